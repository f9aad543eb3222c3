package control

import "time"

// Bounds on what a client of the control socket can make the node hold.
// Only the node's own user (or root) gets past the peer check, but a stuck or
// buggy client must not hold a goroutine, a buffer or Close for long.
const (
	// maxRequest bounds a request: an op, a path and a few publisher IDs
	// fit in far less; a client cannot make the node buffer more.
	maxRequest = 64 << 10

	// maxResponse bounds a response as Call reads it: a status lists every
	// publisher held (about 150 bytes each) and a message is a line or two,
	// so a megabyte is plenty; a confused listener cannot fill our memory.
	maxResponse = 1 << 20

	// connTimeout is the whole life of one connection: reading the request,
	// handling it and writing the answer. A publish verifies and announces a
	// whole bundle and an export writes every block held, so it is long; it
	// still ends a client that connects and never sends or never reads.
	connTimeout = 5 * time.Minute

	// closeGrace is how long a handler's answer may take to write once Close
	// has begun: the answer of a publish that finished during shutdown still
	// reaches its client, but a client that does not read cannot hold Close.
	closeGrace = 5 * time.Second
)
