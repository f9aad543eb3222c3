package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// serve starts a server on a new directory, closed when the test ends.
func serve(t *testing.T, h Handler) (dir string, s *Server) {
	t.Helper()
	dir = t.TempDir()
	s, err := Listen(dir)
	if err != nil {
		t.Fatalf("Listen() = %v", err)
	}
	start(t, s, h)
	return dir, s
}

// start runs s.Serve(h) until the test ends, and checks that Close makes
// Serve return.
func start(t *testing.T, s *Server, h Handler) {
	t.Helper()
	served := make(chan struct{})
	go func() { s.Serve(h); close(served) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		<-served
	})
}

// echo answers with what it was asked.
func echo(_ context.Context, req Request) Response {
	return Response{Message: fmt.Sprintf("%s %d %v", req.Op, len(req.Path), req.Publishers)}
}

// exchange sends raw bytes on a new connection, closes its write side and
// reads one response.
func exchange(t *testing.T, dir string, raw []byte) (Response, error) {
	t.Helper()
	c, err := net.Dial("unix", filepath.Join(dir, SocketName))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(raw)                   // the server may close first: its answer says how it went
	c.(*net.UnixConn).CloseWrite() // so the server sees the end of a short request
	var resp Response
	err = json.NewDecoder(c).Decode(&resp)
	return resp, err
}

func TestWireFormat(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"request", Request{Op: "export", Path: "/p", Publishers: []string{"a", "b"}},
			`{"op":"export","path":"/p","publishers":["a","b"]}`},
		{"request op only", Request{Op: "status"}, `{"op":"status"}`},
		{"response empty", Response{}, `{}`},
		{"response", Response{Error: "e", Seq: 7, Message: "m"}, `{"error":"e","seq":7,"message":"m"}`},
		{"status", Response{Status: &Status{
			PeerID: "12D3", Running: true, Peers: 2,
			Publishers: []PublisherStatus{{ID: "pub", Seq: 3, Expires: "2030-01-02T03:04:05Z", Expired: true}},
			Files:      4, Bytes: 5,
		}}, `{"status":{"peer_id":"12D3","running":true,"peers":2,"publishers":[{"id":"pub","head_seq":3,"expires":"2030-01-02T03:04:05Z","expired":true}],"files":4,"bytes":5}}`},
		{"status offline", Status{Publishers: []PublisherStatus{}},
			`{"running":false,"peers":0,"publishers":[],"files":0,"bytes":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("json.Marshal() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	st := &Status{
		PeerID: "12D3", Running: true, Peers: 2,
		Publishers: []PublisherStatus{{ID: "pub", Seq: 3, Expires: "2030-01-02T03:04:05Z"}},
		Files:      4, Bytes: 5,
	}
	dir, _ := serve(t, func(ctx context.Context, req Request) Response {
		switch req.Op {
		case "status":
			return Response{Status: st}
		case "publish":
			return Response{Seq: 9, Message: req.Path}
		}
		return echo(ctx, req)
	})
	tests := []struct {
		req  Request
		want Response
	}{
		{Request{Op: "status"}, Response{Status: st}},
		{Request{Op: "publish", Path: "/a/b.bundle"}, Response{Seq: 9, Message: "/a/b.bundle"}},
		{Request{Op: "export", Path: "/x", Publishers: []string{"p", "q"}}, Response{Message: "export 2 [p q]"}},
	}
	for _, tt := range tests {
		t.Run(tt.req.Op, func(t *testing.T) {
			got, running, err := Call(t.Context(), dir, tt.req)
			if err != nil || !running {
				t.Fatalf("Call() = %v, %v, want running", running, err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Call() response (-want +got):\n%s", d)
			}
		})
	}
}

func TestBadRequest(t *testing.T) {
	dir, _ := serve(t, echo)
	// sized returns a status request whose path pads it to n bytes.
	const head, tail = `{"op":"status","path":"`, `"}`
	sized := func(n int) []byte {
		return []byte(head + strings.Repeat("a", n-len(head)-len(tail)) + tail)
	}
	bad := Response{Error: "bad request"}
	tests := []struct {
		name string
		raw  []byte
		want Response
	}{
		{"empty", nil, bad},
		{"not json", []byte("status\n"), bad},
		{"truncated", []byte(`{"op":"status"`), bad},
		{"wrong type", []byte(`{"op":5}`), bad},
		{"array", []byte(`["status"]`), bad},
		{"at limit", sized(maxRequest), Response{Message: fmt.Sprintf("status %d []", maxRequest-len(head)-len(tail))}},
		{"over limit", sized(maxRequest + 1), bad},
		{"far over limit", sized(4 * maxRequest), bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := exchange(t, dir, tt.raw)
			if err != nil {
				t.Fatalf("reading response: %v", err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("response (-want +got):\n%s", d)
			}
		})
	}
}

func TestCallNoServer(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the dir to call
	}{
		{"no socket", func(t *testing.T, dir string) string { return dir }},
		{"no directory", func(t *testing.T, dir string) string { return filepath.Join(dir, "missing") }},
		{"stale socket", func(t *testing.T, dir string) string {
			staleSocket(t, dir)
			return dir
		}},
		{"after close", func(t *testing.T, dir string) string {
			s, err := Listen(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.setup(t, t.TempDir())
			resp, running, err := Call(t.Context(), dir, Request{Op: "status"})
			if running || err != nil {
				t.Errorf("Call() = %+v, %v, %v, want not running and no error", resp, running, err)
			}
		})
	}
}

// staleSocket leaves in dir the socket of a listener that crashed.
func staleSocket(t *testing.T, dir string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, SocketName), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
}

func TestCallResponseLimit(t *testing.T) {
	tests := []struct {
		name   string
		size   int // of the message
		wantOK bool
	}{
		{"small", 10, true},
		{"under limit", maxResponse - 100, true},
		{"over limit", maxResponse, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := strings.Repeat("m", tt.size)
			dir, _ := serve(t, func(context.Context, Request) Response { return Response{Message: msg} })
			got, running, err := Call(t.Context(), dir, Request{Op: "big"})
			if !running {
				t.Fatalf("Call() running = false, want true")
			}
			if (err == nil) != tt.wantOK {
				t.Fatalf("Call() error = %v, want ok %v", err, tt.wantOK)
			}
			if tt.wantOK && got.Message != msg {
				t.Errorf("Call() message of %d bytes, want %d", len(got.Message), len(msg))
			}
		})
	}
}

func TestCallContext(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	dir, _ := serve(t, func(ctx context.Context, req Request) Response {
		close(started)
		<-release
		return Response{Message: "late"}
	})
	defer close(release)

	ctx, cancel := context.WithCancel(t.Context())
	type result struct {
		running bool
		err     error
	}
	called := make(chan result, 1)
	go func() {
		_, running, err := Call(ctx, dir, Request{Op: "slow"})
		called <- result{running, err}
	}()
	<-started
	cancel()
	select {
	case r := <-called:
		if !r.running || !errors.Is(r.err, context.Canceled) {
			t.Errorf("Call() = %v, %v, want running and context.Canceled", r.running, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Call still waiting after its ctx was cancelled")
	}
}

func TestStaleReplaced(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
	}{
		{"stale socket", staleSocket},
		{"regular file", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, SocketName), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"stale temporary directory", func(t *testing.T, dir string) {
			if err := os.MkdirAll(filepath.Join(dir, tempDir, "s"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			s, err := Listen(dir)
			if err != nil {
				t.Fatalf("Listen() = %v", err)
			}
			start(t, s, echo)
			got, running, err := Call(t.Context(), dir, Request{Op: "status"})
			if err != nil || !running || got.Message != "status 0 []" {
				t.Errorf("Call() = %+v, %v, %v, want the echo", got, running, err)
			}
			if _, err := os.Lstat(filepath.Join(dir, tempDir)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Lstat(%s) = %v, want not exist", tempDir, err)
			}
		})
	}
}

func TestCloseWaitsForHandler(t *testing.T) {
	started := make(chan struct{})
	cancelled := make(chan struct{})
	release := make(chan struct{})
	finished := make(chan struct{})
	dir, s := serve(t, func(ctx context.Context, req Request) Response {
		close(started)
		<-ctx.Done()
		close(cancelled)
		<-release
		close(finished)
		return Response{Message: "finished"}
	})

	type result struct {
		resp    Response
		running bool
		err     error
	}
	called := make(chan result, 1)
	go func() {
		resp, running, err := Call(t.Context(), dir, Request{Op: "slow"})
		called <- result{resp, running, err}
	}()
	<-started

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select { // Close ends the handler's ctx ...
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end the handler's ctx")
	}
	select { // ... but waits for the handler to return: a Close that did not would by now
	case err := <-closed:
		t.Fatalf("Close() = %v before the handler returned", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-closed; err != nil {
		t.Errorf("Close() = %v", err)
	}
	select {
	case <-finished:
	default:
		t.Error("Close returned before the handler finished")
	}

	// The answer finished during shutdown still reaches its client.
	r := <-called
	if r.err != nil || !r.running || r.resp.Message != "finished" {
		t.Errorf("Call() = %+v, %v, %v, want the handler's answer", r.resp, r.running, r.err)
	}
	if _, err := os.Lstat(filepath.Join(dir, SocketName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Close, Lstat(socket) = %v, want not exist", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
}

// watchedConn tells when the server first reads from, and first writes to,
// a connection.
type watchedConn struct {
	*net.UnixConn                  // for the peer check
	reading, writing chan struct{} // closed then; nil if nobody waits
}

func (c *watchedConn) Read(p []byte) (int, error) {
	if c.reading != nil {
		close(c.reading)
		c.reading = nil
	}
	return c.UnixConn.Read(p)
}

func (c *watchedConn) Write(p []byte) (int, error) {
	if c.writing != nil {
		close(c.writing)
		c.writing = nil
	}
	return c.UnixConn.Write(p)
}

// watch makes the first connection s accepts tell when the server first
// reads from it and first writes to it.
func watch(s *Server) (reading, writing <-chan struct{}) {
	l := &watchedListener{Listener: s.ln, reading: make(chan struct{}), writing: make(chan struct{})}
	s.ln = l
	return l.reading, l.writing
}

type watchedListener struct {
	net.Listener
	reading, writing chan struct{}
}

func (l *watchedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	w := &watchedConn{UnixConn: c.(*net.UnixConn), reading: l.reading, writing: l.writing}
	l.reading, l.writing = nil, nil
	return w, nil
}

func TestCloseDropsUnreadRequest(t *testing.T) {
	dir := t.TempDir()
	s, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	reading, _ := watch(s)
	start(t, s, func(context.Context, Request) Response {
		t.Error("handler called for a request never finished")
		return Response{}
	})

	c, err := net.Dial("unix", filepath.Join(dir, SocketName))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(`{"op":`)); err != nil {
		t.Fatal(err)
	}
	<-reading

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close() = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waits on a client that sent half a request")
	}
	// Closed with no answer: reset if the server had not read all we sent.
	var resp Response
	if err := json.NewDecoder(c).Decode(&resp); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("client read %+v, %v, want EOF or a reset", resp, err)
	}
}

func TestCloseLimitsUnreadAnswer(t *testing.T) {
	dir := t.TempDir()
	s, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, writing := watch(s)
	big := strings.Repeat("m", 4*maxResponse) // more than the socket buffers hold
	start(t, s, func(context.Context, Request) Response { return Response{Message: big} })

	c, err := net.Dial("unix", filepath.Join(dir, SocketName))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := json.NewEncoder(c).Encode(Request{Op: "big"}); err != nil {
		t.Fatal(err)
	}
	<-writing // and the client reads nothing

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close() = %v", err)
		}
	case <-time.After(closeGrace + 10*time.Second):
		t.Fatal("Close still waits on a client that does not read its answer")
	}
}

func TestServeAfterClose(t *testing.T) {
	s, err := Listen(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Serve(echo) // returns at once
}

func TestAllowed(t *testing.T) {
	tests := []struct {
		uid, self uint32
		want      bool
	}{
		{1000, 1000, true},
		{0, 1000, true},
		{1001, 1000, false},
		{65534, 1000, false},
		{0, 0, true},
		{1000, 0, false},
	}
	for _, tt := range tests {
		if got := allowed(tt.uid, tt.self); got != tt.want {
			t.Errorf("allowed(%d, %d) = %v, want %v", tt.uid, tt.self, got, tt.want)
		}
	}
}
