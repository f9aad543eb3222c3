package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	carv2 "github.com/ipld/go-car/v2"
	"github.com/samizdat/samizdat/bundle"
)

// bigGateway is a serving node with upload cap upload holding one bundle
// of about 500 KB, its gateway on loopback behind an optional wrapper.
// The server's sockets have small send buffers, so a client that stops
// reading stops the handler's writes within a few KiB.
type bigGateway struct {
	n    *Node
	b    *bundle.Bundle
	size int // the bundle file's bytes
	srv  *httptest.Server
}

func startBigGateway(t *testing.T, upload int64, timeout time.Duration, wrap func(http.Handler) http.Handler) *bigGateway {
	t.Helper()
	repo, err := OpenRepo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	n, err := New(context.Background(), repo, Config{Serve: true, UploadRate: upload})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	data := testBundle(t, 1, 200, nil)
	b := openBundle(t, data)
	if err := n.AddBundle(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	gw, err := n.Gateway(GatewayConfig{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		gw = wrap(gw)
	}
	srv := httptest.NewUnstartedServer(gw)
	srv.Listener = smallSendBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	return &bigGateway{n: n, b: b, size: len(data), srv: srv}
}

// smallSendBuffers shrinks each accepted connection's send buffer.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

// slowClient returns an HTTP client whose connections come from local
// (127.0.0.1 if empty) and have small receive buffers: what it does not
// read, the server cannot write far ahead of.
func slowClient(local string) *http.Client {
	d := &net.Dialer{}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetReadBuffer(4 << 10)
			}
			return c, err
		},
	}}
}

func (g *bigGateway) carURL() string { return g.srv.URL + "/ipfs/" + g.b.Root.String() + "?format=car" }

// TestGatewayUploadCap: the gateway's responses count against the node's
// upload cap. In 2 s at 32 KiB/s a client gets a fraction of a 500 KB
// bundle's CAR (32 KiB of burst and 64 KiB of rate); without the cap, all
// of it in milliseconds.
func TestGatewayUploadCap(t *testing.T) {
	const capRate = 32 << 10
	for _, tc := range []struct {
		name   string
		upload int64
		capped bool
	}{{"capped", capRate, true}, {"uncapped", 0, false}} {
		t.Run(tc.name, func(t *testing.T) {
			g := startBigGateway(t, tc.upload, 0, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, "GET", g.carURL(), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			if resp, err := g.srv.Client().Do(req); err == nil {
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				got = int(n)
			}
			if capped := got < g.size/2; capped != tc.capped {
				t.Errorf("received %d of a %d-byte bundle's CAR in 2 s; the node sent %d (cap %d B/s)", got, g.size, g.n.Sent(), tc.upload)
			}
			if tc.capped && g.n.Sent() > 4*capRate {
				t.Errorf("the node sent %d bytes in about 2 s at a cap of %d B/s", g.n.Sent(), capRate)
			}
			if !tc.capped && g.n.Sent() < uint64(g.size) {
				t.Errorf("Sent() = %d after a %d-byte bundle's CAR: the gateway's bytes are not counted", g.n.Sent(), g.size)
			}
		})
	}
}

// TestGatewayConcurrency: while gatewayMaxPerClient requests from one
// address are in flight (their clients read nothing, so their handlers
// are stuck writing), one more from it is answered 429 at once, and one
// from another address is served; while gatewayMaxRequests are in flight
// from many addresses, one more from a new one is answered 503. The
// other addresses are 127.0.0.x, which Linux routes to loopback.
func TestGatewayConcurrency(t *testing.T) {
	perClient := make([]string, gatewayMaxPerClient)
	for i := range perClient {
		perClient[i] = "127.0.0.1"
	}
	var global []string
	for i := range gatewayMaxRequests {
		global = append(global, fmt.Sprintf("127.0.0.%d", 2+i/gatewayMaxPerClient))
	}
	tests := []struct {
		name       string
		held       []string // the addresses of the requests held in flight
		from       string   // one more request's
		wantStatus int
	}{
		{"one client at its limit", perClient, "127.0.0.1", http.StatusTooManyRequests},
		{"one client at its limit, another", perClient, "127.0.0.200", http.StatusOK},
		{"every client together at the limit", global, "127.0.0.200", http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A long timeout: the held clients must not be cut during the test.
			g := startBigGateway(t, 0, time.Minute, nil)
			if c, err := net.DialTCP("tcp", &net.TCPAddr{IP: net.ParseIP(tt.from)}, g.srv.Listener.Addr().(*net.TCPAddr)); err != nil {
				t.Skipf("cannot dial from %s: %v", tt.from, err)
			} else {
				c.Close()
			}
			for _, from := range tt.held {
				resp, err := slowClient(from).Get(g.carURL())
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != 200 {
					t.Fatalf("held request from %s: %s", from, resp.Status)
				}
				// Its handler is now writing a body nobody reads.
				t.Cleanup(func() { resp.Body.Close() })
			}
			raw := g.srv.URL + "/ipfs/" + g.b.Root.String() + "?format=raw"
			resp, err := slowClient(tt.from).Get(raw)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("GET from %s with %d requests in flight = %s, want %d", tt.from, len(tt.held), resp.Status, tt.wantStatus)
			}
		})
	}
}

// TestGatewayClientKey: requests count against their IPv4 address or
// IPv6 /64.
func TestGatewayClientKey(t *testing.T) {
	tests := []struct {
		a, b       string
		fwdA, fwdB string // X-Forwarded-For
		same       bool
	}{
		{"192.0.2.1:1000", "192.0.2.1:2000", "", "", true},
		{"192.0.2.1:1000", "192.0.2.2:1000", "", "", false},
		{"[2001:db8::1]:1000", "[2001:db8::ffff:1]:1000", "", "", true},
		{"[2001:db8::1]:1000", "[2001:db8:0:1::1]:1000", "", "", false},
		{"[::ffff:192.0.2.1]:1000", "192.0.2.1:1000", "", "", true},
		// Behind a proxy on this machine, readers are told apart by what
		// the proxy says; elsewhere the header is not believed.
		{"127.0.0.1:1000", "127.0.0.1:1001", "198.51.100.1", "198.51.100.2", false},
		{"127.0.0.1:1000", "127.0.0.1:1001", "203.0.113.9, 198.51.100.1", "198.51.100.1", true},
		{"192.0.2.1:1000", "192.0.2.1:1001", "198.51.100.1", "198.51.100.2", true},
	}
	for _, tt := range tests {
		ra, rb := &http.Request{RemoteAddr: tt.a, Header: http.Header{}}, &http.Request{RemoteAddr: tt.b, Header: http.Header{}}
		if tt.fwdA != "" {
			ra.Header.Set("X-Forwarded-For", tt.fwdA)
		}
		if tt.fwdB != "" {
			rb.Header.Set("X-Forwarded-For", tt.fwdB)
		}
		ka, kb := clientOf(ra), clientOf(rb)
		if got := ka == kb; got != tt.same {
			t.Errorf("clientOf(%s) == clientOf(%s) is %v (%v, %v), want %v", tt.a, tt.b, got, ka, kb, tt.same)
		}
		if ka == (netip.Prefix{}) {
			t.Errorf("clientOf(%s) = zero prefix", tt.a)
		}
	}
}

// TestGatewayStalledClient: a client that asks for a bundle's CAR and
// reads nothing is cut off, its handler returning, while one that reads
// slowly but steadily (100 times gatewayMinRate, and for longer than the
// timeout) gets the whole bundle.
func TestGatewayStalledClient(t *testing.T) {
	const timeout = time.Second
	done := make(chan string, 2)
	g := startBigGateway(t, 0, timeout, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			done <- r.Header.Get("X-Test")
		})
	})
	get := func(who string, client *http.Client) *http.Response {
		req, err := http.NewRequest("GET", g.carURL(), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Test", who)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %s", who, resp.Status)
		}
		return resp
	}
	stalled := get("stalled", slowClient(""))
	defer stalled.Body.Close()
	honest := get("honest", &http.Client{Transport: &http.Transport{DisableKeepAlives: true}})
	got := make(chan []byte)
	go func() {
		defer honest.Body.Close()
		var body bytes.Buffer
		tick := time.NewTicker(10 * time.Millisecond) // 2 KiB each: 200 KiB/s
		defer tick.Stop()
		for range tick.C {
			if _, err := io.CopyN(&body, honest.Body, 2<<10); err != nil {
				break
			}
		}
		got <- body.Bytes()
	}()

	// Without a pace the stalled handler would write for ever; 30 s is
	// only the test's bound, far past the timeout and the stall rule.
	finished := map[string]bool{}
	for !finished["stalled"] {
		select {
		case who := <-done:
			finished[who] = true
		case <-time.After(30 * time.Second):
			t.Fatalf("the handler serving a client that reads nothing has not returned")
		}
	}
	body := <-got
	b, err := carv2.NewBlockReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the slow client's CAR (%d bytes): %v", len(body), err)
	}
	n := 0
	for {
		_, err := b.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the slow client's CAR, after %d blocks: %v", n, err)
		}
		n++
	}
	if want := len(g.b.Blocks()); n != want {
		t.Errorf("the slow client got %d blocks, want the bundle's %d", n, want)
	}
}
