// Package flock takes exclusive advisory locks on files, for the one
// process that may use a directory at a time (a node's repo, a publisher's
// daily state). The kernel drops a lock when its process dies, so a crash
// never leaves a stale lock behind.
package flock

import "errors"

// ErrLocked says another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// ErrUnsupported says the system has no advisory file locks.
var ErrUnsupported = errors.New("file locking is not supported on this system")
