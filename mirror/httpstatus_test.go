package mirror

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSyncHTTPStatusText: a server's status text, which SyncHTTP's errors
// name, comes quoted: a hostile server cannot put terminal escapes (or a
// fake line of output) into what samizdat get prints.
func TestSyncHTTPStatusText(t *testing.T) {
	const evil = "\x1b]0;owned\x07\x1b[2K\rsamizdat get: 2 bundles verified"
	hostile := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		buf.WriteString("HTTP/1.1 500 " + evil + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		buf.Flush()
	}))
	reader := start(t, false)
	_, err := syncHTTP(t, reader, "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN", 5*time.Second, hostile)
	if !errors.Is(err, ErrHTTPStatus) {
		t.Fatalf("SyncHTTP(a server answering 500) = %v, want %v", err, ErrHTTPStatus)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\x1b\x07\r") {
		t.Errorf("SyncHTTP() error = %q: the server's control characters, unquoted", msg)
	}
}
