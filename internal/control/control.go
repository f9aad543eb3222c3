// Package control is the local control socket by which samizdat commands
// reach a running node (serve or read) on the same repo: a Unix socket,
// [SocketName] in the repo directory, never a network port. Each connection
// carries one JSON [Request] and one JSON [Response].
//
// Only the node's own user can connect: the socket's mode is 0600 and, on
// Linux, the server also checks the connecting process's uid (root or its
// own) from the kernel's peer credentials.
package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"path/filepath"
	"syscall"
	"time"
)

// SocketName is the control socket's name inside the repo directory.
const SocketName = "control.sock"

// Request is one request to a running node. Op names the operation; Path
// and Publishers are its arguments, where the operation takes them.
type Request struct {
	Op         string   `json:"op"`
	Path       string   `json:"path,omitempty"`
	Publishers []string `json:"publishers,omitempty"`
	// Mirrors are the other mirrors a static copy's browser reader may
	// fetch from (publish-static).
	Mirrors []string `json:"mirrors,omitempty"`
}

// Response is the node's answer to one Request. A non-empty Error means the
// request failed; the server itself answers "bad request" to a request it
// cannot read.
type Response struct {
	Error   string  `json:"error,omitempty"`
	Seq     uint64  `json:"seq,omitempty"`
	Status  *Status `json:"status,omitempty"`
	Message string  `json:"message,omitempty"`
}

// Status is what `samizdat status` shows.
type Status struct {
	PeerID     string            `json:"peer_id,omitempty"`
	Running    bool              `json:"running"`
	Peers      int               `json:"peers"`
	Publishers []PublisherStatus `json:"publishers"`
	Files      int               `json:"files"` // bundle files and loose blocks
	Bytes      int64             `json:"bytes"`
}

// PublisherStatus is one publisher's head as Status shows it.
type PublisherStatus struct {
	ID      string `json:"id"`
	Seq     uint64 `json:"head_seq"`
	Expires string `json:"expires"` // RFC 3339, UTC
	Expired bool   `json:"expired"`
}

// Handler answers one request. ctx ends when the server closes. A Server
// calls its Handler from several goroutines at once.
type Handler func(ctx context.Context, req Request) Response

// Call sends one request to the node running on dir and returns its answer.
//
// running is false, and err nil, when no node listens there: there is no
// socket, or nobody accepts on it (a stale socket left by a crash). Any
// other failure returns running true with the error: a node may be there
// but could not be asked (permission denied, ctx done, an answer that is
// not JSON or is over 1 MiB).
//
// ctx bounds the whole call; the error then matches ctx.Err() with
// [errors.Is].
func Call(ctx context.Context, dir string, req Request) (resp Response, running bool, err error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", filepath.Join(dir, SocketName))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
		return resp, false, nil
	}
	if err != nil {
		return resp, true, fmt.Errorf("control: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(aLongTimeAgo) })
	defer stop()

	b, err := json.Marshal(req)
	if err != nil {
		return resp, true, fmt.Errorf("control: %w", err)
	}
	if _, err := c.Write(b); err != nil {
		return resp, true, callError(ctx, "sending request", err)
	}
	if err := json.NewDecoder(io.LimitReader(c, maxResponse)).Decode(&resp); err != nil {
		return Response{}, true, callError(ctx, "reading response", err)
	}
	return resp, true, nil
}

// aLongTimeAgo, as a deadline, makes pending and later reads and writes on a
// connection fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// callError reports a failed exchange as ctx's error when ctx ended it.
func callError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return fmt.Errorf("control: %s: %w", what, err)
}
