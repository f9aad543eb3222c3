package dpiproxy

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// echo starts a TCP server that echoes what it reads.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// TestScanAcrossWrites: a pattern split across two writes (and so,
// most likely, two reads) is counted once, in each direction it passes.
func TestScanAcrossWrites(t *testing.T) {
	p, err := Start(echo(t), Observe, "/multistream/1.0.0", "/noise")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := "xx/multistream/1.0.0\nyy"
	for _, part := range []string{msg[:8], msg[8:]} {
		if _, err := c.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // separate reads at the proxy
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Fatalf("echo = %q, %v", got, err)
	}
	if a, b := p.Hits("/multistream/1.0.0", ToServer), p.Hits("/multistream/1.0.0", ToClient); a != 1 || b != 1 {
		t.Errorf("hits = %d to the server, %d to the client; want 1, 1", a, b)
	}
	if s := p.Seen(); !slices.Equal(s, []string{"/multistream/1.0.0"}) {
		t.Errorf("Seen() = %q", s)
	}
}

// TestReset: at a match the connection is cut and the bytes are not
// forwarded; a connection without one passes.
func TestReset(t *testing.T) {
	p, err := Start(echo(t), Reset, "forbidden")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, _ := net.Dial("tcp", p.Addr())
	defer c.Close()
	c.Write([]byte("a forbidden word"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 64)); err == nil {
		t.Errorf("read %d bytes through a reset connection", n)
	}
	ok, _ := net.Dial("tcp", p.Addr())
	defer ok.Close()
	ok.Write([]byte("harmless"))
	got := make([]byte, 8)
	ok.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(ok, got); err != nil || string(got) != "harmless" {
		t.Errorf("clean connection: %q, %v", got, err)
	}
}

// TestStall: at a match nothing more passes, but the connection stays
// open.
func TestStall(t *testing.T) {
	p, err := Start(echo(t), Stall, "forbidden")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, _ := net.Dial("tcp", p.Addr())
	defer c.Close()
	c.Write([]byte("a forbidden word"))
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = c.Read(make([]byte, 64))
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Errorf("read on a stalled connection: %v, want a timeout", err)
	}
}

// TestClientHello: the proxy reads SNI and ALPN off a real Go TLS
// handshake, and none for an IP address.
func TestClientHello(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	p, err := Start(strings.TrimPrefix(srv.URL, "https://"), Observe)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, name := range []string{"mirror.example.org", "127.0.0.1"} {
		c, err := tls.Dial("tcp", p.Addr(), &tls.Config{ServerName: name, InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	h := p.ClientHellos()
	if len(h) != 2 {
		t.Fatalf("ClientHellos() = %+v", h)
	}
	if h[0].SNI != "mirror.example.org" || !slices.Equal(h[0].ALPN, []string{"http/1.1"}) {
		t.Errorf("with a name: %+v", h[0])
	}
	if h[1].SNI != "" {
		t.Errorf("with an IP address the ClientHello named %q", h[1].SNI)
	}
}
