package main

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHTTPConnsBounded: an HTTP listener (--http, --metrics) holds at
// most httpMaxConns connections open. Past them, a client that sends a
// whole request is not answered while the others hold theirs (here:
// requests whose headers never end), and is answered once one closes.
func TestHTTPConnsBounded(t *testing.T) {
	old := httpMaxConns
	httpMaxConns = 4
	t.Cleanup(func() { httpMaxConns = old })
	e := &env{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	stop, line, err := startHTTP(e, "--http", "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop) // after the connections close (cleanups run last first)
	addr := strings.TrimPrefix(strings.TrimSpace(line), "http http://")
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	var held []net.Conn
	for range httpMaxConns {
		c := dial()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n") // no end of headers
		held = append(held, c)
	}
	last := dial()
	io.WriteString(last, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	last.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	br := bufio.NewReader(last)
	if _, err := br.ReadString('\n'); err == nil {
		t.Fatalf("a connection past the %d held ones was answered", httpMaxConns)
	}
	held[0].Close()
	last.SetReadDeadline(time.Now().Add(10 * time.Second))
	if status, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
		t.Errorf("after one closed: %q, %v; want the answer", status, err)
	}
}
