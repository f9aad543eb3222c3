package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// tempDir is where Listen creates the socket before renaming it into place.
// "control.tmp/s" is one byte longer than SocketName, so a socket path that
// the kernel accepts there also fits once renamed.
const tempDir = "control.tmp"

// Accept errors (too many open files, say) are retried after a pause that
// doubles from minBackoff up to maxBackoff, until Close.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// Server is a listening control socket. Create it with Listen, answer
// requests with Serve, and stop it with Close.
type Server struct {
	ln   net.Listener
	path string
	uid  uint32        // besides root, the only user whose connections are served
	done chan struct{} // closed when Close begins

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{} // open connections, for Close to cut short
	wg     sync.WaitGroup        // Serve loops and connection goroutines

	closeOnce sync.Once
	closeErr  error
}

// Listen creates the control socket in the repo directory dir, replacing a
// stale one left by a crash: the caller must hold the repo lock, so no other
// node can be listening there.
//
// The socket has mode 0600 whatever the umask, from the moment its name
// appears: it is bound inside a new directory dir/control.tmp of mode 0700,
// which no other user can enter, set to 0600 there, and then renamed to
// dir/control.sock. So no other user can connect between the bind and the
// chmod. (On Linux, Serve also checks each peer's uid.)
func Listen(dir string) (*Server, error) {
	ln, err := listen(dir)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	return &Server{
		ln:    ln,
		path:  filepath.Join(dir, SocketName),
		uid:   uint32(os.Geteuid()),
		done:  make(chan struct{}),
		conns: make(map[net.Conn]struct{}),
	}, nil
}

func listen(dir string) (*net.UnixListener, error) {
	tmp := filepath.Join(dir, tempDir)
	if err := os.RemoveAll(tmp); err != nil { // left by a crash
		return nil, err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o700); err != nil { // a umask may have taken our own bits
		return nil, err
	}

	sock := filepath.Join(tmp, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false) // it will have moved: Close removes it
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	if err := os.Rename(sock, filepath.Join(dir, SocketName)); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// Serve accepts connections until Close and returns when Close is called (at
// once if it already was). Each connection is handled in its own goroutine,
// which calls h once with a ctx that ends when Close is called; Close waits
// for these goroutines.
//
// On Linux, a connection from a process whose effective uid is neither the
// server's nor root is closed without an answer. A request that is not JSON,
// or is over 64 KiB, is answered Response{Error: "bad request"}. A connection
// lasts at most 5 minutes.
func (s *Server) Serve(h Handler) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	// No caller's ctx reaches here: the server's life is Listen to Close.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // runs once Close has closed the listener
	var backoff time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			t := time.NewTimer(backoff)
			select {
			case <-s.done:
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		backoff = 0
		c.SetDeadline(time.Now().Add(connTimeout)) // before Close can see c and shorten it

		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(ctx, c, h)
	}
}

func (s *Server) serveConn(ctx context.Context, c net.Conn, h Handler) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()

	if !s.admit(c) {
		return
	}
	var req Request
	if err := json.NewDecoder(io.LimitReader(c, maxRequest)).Decode(&req); err != nil {
		if !errors.Is(err, os.ErrDeadlineExceeded) { // else too slow, or Close: no answer
			s.reply(c, Response{Error: "bad request"})
		}
		return
	}
	s.reply(c, h(ctx, req))
}

// admit reports whether the process at the other end of c may be served.
func (s *Server) admit(c net.Conn) bool {
	if !peerCredentials {
		return true // the socket's mode keeps others out
	}
	uid, err := peerUID(c)
	return err == nil && allowed(uid, s.uid)
}

// allowed reports whether a peer whose effective uid is uid may use the
// control socket of a server running as self: only its own user, or root.
func allowed(uid, self uint32) bool {
	return uid == self || uid == 0
}

func (s *Server) reply(c net.Conn, resp Response) {
	s.mu.Lock()
	if s.closed {
		c.SetWriteDeadline(time.Now().Add(closeGrace))
	}
	s.mu.Unlock()
	json.NewEncoder(c).Encode(resp) // a client gone is no error of ours
}

// Close stops accepting, removes the socket file, ends the handlers' ctx and
// waits for every connection's goroutine and Serve to return. A request not
// yet read is dropped unanswered; a handler's answer gets 5 seconds to be
// written. Close may be called more than once: later calls wait for the
// first and return its result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	s.mu.Lock()
	s.closed = true
	close(s.done)
	for c := range s.conns {
		c.SetReadDeadline(aLongTimeAgo)
		c.SetWriteDeadline(time.Now().Add(closeGrace))
	}
	s.mu.Unlock()

	err := s.ln.Close()
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("control: close: %w", err)
	}
	return nil
}
