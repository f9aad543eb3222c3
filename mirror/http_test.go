package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

// httpFixture: a publisher node holding two bundles, with a gateway, a
// static copy of its state now (seq 2) and one of its state at seq 1.
type httpFixture struct {
	publisher string
	files     map[uint64][]byte // bundle files by sequence
	roots     map[uint64]string // bundle root CIDs by sequence
	gateway   *httptest.Server
	static    http.Handler // the seq-2 copy
	staticDir string       // its directory
	staticV1  http.Handler
}

func newHTTPFixture(t *testing.T) *httpFixture {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	f := &httpFixture{publisher: bundle.PublisherID(key.Public().(ed25519.PublicKey)),
		files: map[uint64][]byte{}, roots: map[uint64]string{}}
	pub := start(t, true)
	ctx := context.Background()
	v1 := t.TempDir()
	for seq := uint64(1); seq <= 2; seq++ {
		file, b := packN(t, key, seq, int64(seq), 12)
		f.files[seq], f.roots[seq] = file, b.Root.String()
		if _, err := pub.as(key).Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
		if seq == 1 {
			if _, err := pub.svc.WriteStatic(ctx, v1, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	v2 := t.TempDir()
	res, err := pub.svc.WriteStatic(ctx, v2, nil)
	if err != nil || len(res) != 1 || res[0].Bundles != 2 {
		t.Fatalf("WriteStatic() = %+v, %v", res, err)
	}
	gw, err := pub.Gateway(node.GatewayConfig{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.gateway = httptest.NewServer(gw)
	t.Cleanup(f.gateway.Close)
	f.static, f.staticV1, f.staticDir = http.FileServer(http.Dir(v2)), http.FileServer(http.Dir(v1)), v2
	return f
}

// serve starts a test server for h.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// checkGot checks that reader holds both bundles, byte-identical to the
// publisher's, and the head of sequence 2.
func (f *httpFixture) checkGot(t *testing.T, reader *testNode, res *SyncResult) {
	t.Helper()
	if res.Head.Seq != 2 || len(res.Bundles) != 2 {
		t.Fatalf("SyncHTTP() = head %d, %d bundles; want 2, 2", res.Head.Seq, len(res.Bundles))
	}
	checkHeld(t, reader, res, f.publisher, f.files)
}

// checkHeld checks that reader stores the head of sequence 2 and writes
// out both bundles res lists, byte-identical to files (by sequence).
func checkHeld(t *testing.T, reader *testNode, res *SyncResult, publisher string, files map[uint64][]byte) {
	t.Helper()
	if h, _ := reader.heads.Get(publisher); h == nil || h.Seq != 2 {
		t.Errorf("stored head = %+v, want sequence 2", h)
	}
	paths, err := reader.svc.WriteBundles(context.Background(), res, t.TempDir())
	if err != nil || len(paths) != 2 {
		t.Fatalf("WriteBundles() = %v, %v", paths, err)
	}
	for _, p := range paths {
		b, err := bundle.Open(p, bundle.OpenOptions{Publisher: publisher})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(p)
		if !bytes.Equal(got, files[b.Seq]) {
			t.Errorf("bundle %d differs from the publisher's file", b.Seq)
		}
		b.Close()
	}
}

func syncHTTP(t *testing.T, reader *testNode, publisher string, timeout time.Duration, urls ...string) (*SyncResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return reader.svc.SyncHTTP(ctx, publisher, HTTPSource{URLs: urls, Timeout: timeout, TempDir: t.TempDir()})
}

// TestSyncHTTP: a reader syncs both bundles and the head from a trustless
// gateway and from a static copy; a second sync fetches nothing.
func TestSyncHTTP(t *testing.T) {
	f := newHTTPFixture(t)
	tests := []struct {
		name string
		url  string
	}{
		{"gateway", f.gateway.URL},
		{"static", serve(t, f.static) + "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reader := start(t, false)
			res, err := syncHTTP(t, reader, f.publisher, 5*time.Second, tt.url)
			if err != nil {
				t.Fatalf("SyncHTTP(%s) = %v", tt.name, err)
			}
			f.checkGot(t, reader, res)
			// Incremental: nothing new, nothing fetched.
			res, err = syncHTTP(t, reader, f.publisher, 5*time.Second, tt.url)
			if err != nil {
				t.Fatalf("second SyncHTTP(%s) = %v", tt.name, err)
			}
			if len(res.Fetched) != 0 {
				t.Errorf("second SyncHTTP(%s) fetched %d, want none", tt.name, len(res.Fetched))
			}
		})
	}
}

// TestSyncHTTPSubstitutedBlock: a server that changes one byte of a
// bundle is passed over; the next URL delivers.
func TestSyncHTTPSubstitutedBlock(t *testing.T) {
	f := newHTTPFixture(t)
	var tampered atomic.Int32
	bad := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.TrimPrefix(r.URL.Path, "/ipfs/") != f.roots[2] {
			f.static.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		f.static.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		body[len(body)-1] ^= 1 // the last block's last byte
		tampered.Add(1)
		w.Write(body)
	}))
	reader := start(t, false)
	if _, err := syncHTTP(t, reader, f.publisher, 5*time.Second, bad); err == nil {
		t.Fatal("SyncHTTP(tampering server) succeeded")
	}
	if h, _ := reader.heads.Get(f.publisher); h != nil {
		t.Errorf("head stored although a bundle failed")
	}
	if reader.HasBundle(context.Background(), mustCid(t, f.roots[2])) {
		t.Errorf("tampered bundle stored")
	}
	res, err := syncHTTP(t, reader, f.publisher, 5*time.Second, bad, serve(t, f.static))
	if err != nil {
		t.Fatalf("SyncHTTP(bad, good) = %v", err)
	}
	if tampered.Load() != 2 {
		t.Errorf("tampering server asked %d times, want 2", tampered.Load())
	}
	f.checkGot(t, reader, res)
}

// TestSyncHTTPRollback: a server offering an older head than the reader
// holds is refused; a newer one elsewhere is taken.
func TestSyncHTTPRollback(t *testing.T) {
	f := newHTTPFixture(t)
	old, cur := serve(t, f.staticV1), serve(t, f.static)
	reader := start(t, false)
	if _, err := syncHTTP(t, reader, f.publisher, 5*time.Second, cur); err != nil {
		t.Fatal(err)
	}
	if _, err := syncHTTP(t, reader, f.publisher, 5*time.Second, old); !errors.Is(err, node.ErrRollback) {
		t.Errorf("SyncHTTP(older copy) = %v, want ErrRollback", err)
	}
	res, err := syncHTTP(t, reader, f.publisher, 5*time.Second, old, cur)
	if err != nil {
		t.Fatalf("SyncHTTP(old, new) = %v", err)
	}
	f.checkGot(t, reader, res)

	// A fresh reader asking both takes the newer.
	fresh := start(t, false)
	res, err = syncHTTP(t, fresh, f.publisher, 5*time.Second, old, cur)
	if err != nil {
		t.Fatal(err)
	}
	f.checkGot(t, fresh, res)
}

// TestSyncHTTPHanging: a server that never answers, and one that stalls
// in the middle of a bundle, are passed over after the timeout.
func TestSyncHTTPHanging(t *testing.T) {
	f := newHTTPFixture(t)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/ipfs/"+f.roots[2]) || strings.HasPrefix(r.URL.Path, "/ipfs/"+f.roots[1]) {
			// Start the file, then stall.
			w.Header().Set("Content-Length", "100000")
			w.Write(make([]byte, 1000))
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	stall := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/ipfs/"+f.roots[2]) {
			w.Header().Set("Content-Length", "100000")
			w.Write(make([]byte, 1000))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		f.static.ServeHTTP(w, r)
	}))
	reader := start(t, false)
	t0 := time.Now()
	res, err := syncHTTP(t, reader, f.publisher, 500*time.Millisecond, hang.URL, stall, serve(t, f.static))
	if err != nil {
		t.Fatalf("SyncHTTP(hanging, stalling, good) = %v", err)
	}
	f.checkGot(t, reader, res)
	if d := time.Since(t0); d > 20*time.Second {
		t.Errorf("SyncHTTP took %v past hanging servers", d)
	}
}

// TestSyncHTTPOversize: responses over the limits are cut off (endless
// bodies) or refused before reading (a declared size over the bundle
// file limit).
func TestSyncHTTPOversize(t *testing.T) {
	f := newHTTPFixture(t)
	var mu sync.Mutex
	sent := map[string]int64{}
	var headsOK atomic.Bool // once set, heads come from the good copy
	huge := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if headsOK.Load() && !strings.HasPrefix(r.URL.Path, "/ipfs/") {
			f.static.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/ipfs/"+f.roots[2]) || strings.HasPrefix(r.URL.Path, "/ipfs/"+f.roots[1]) {
			w.Header().Set("Content-Length", fmt.Sprint(int64(node.MaxBundleFile)+1))
			w.WriteHeader(200)
			mu.Lock()
			sent["bundle"]++
			mu.Unlock()
			return
		}
		kind := "head"
		if strings.HasPrefix(r.URL.Path, "/ipfs/") {
			kind = "catalog"
		}
		chunk := bytes.Repeat([]byte{0xa5}, 64<<10)
		var n int64
		for n < 1<<30 {
			m, err := w.Write(chunk)
			n += int64(m)
			if err != nil {
				break
			}
		}
		mu.Lock()
		sent[kind] += n
		mu.Unlock()
	}))
	reader := start(t, false)
	// Alone, the endless head is refused.
	if _, err := syncHTTP(t, reader, f.publisher, 5*time.Second, huge); !errors.Is(err, bundle.ErrTooLarge) {
		t.Errorf("SyncHTTP(endless head) = %v, want ErrTooLarge", err)
	}
	// With a valid head, the huge server is asked first for the rest (it
	// is listed first, and gave the head the other gave).
	headsOK.Store(true)
	res, err := syncHTTP(t, reader, f.publisher, 5*time.Second, huge, serve(t, f.static))
	if err != nil {
		t.Fatalf("SyncHTTP(huge, good) = %v", err)
	}
	f.checkGot(t, reader, res)
	mu.Lock()
	defer mu.Unlock()
	if sent["catalog"] == 0 || sent["bundle"] != 2 {
		t.Errorf("huge server was asked for catalog %d bytes, bundles %d times; want both asked", sent["catalog"], sent["bundle"])
	}
	// What the server managed to send before the client hung up is
	// bounded by the limit plus socket buffers, not by the 1 GiB offered.
	for kind, n := range sent {
		if kind != "bundle" && n > 64<<20 {
			t.Errorf("server sent %d bytes of %s before being cut off", n, kind)
		}
	}
}

func TestProxyFunc(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		url, want string
	}{
		{"none", nil, "http://example.org/x", ""},
		{"http", map[string]string{"HTTP_PROXY": "http://p:8080"}, "http://example.org/x", "http://p:8080"},
		{"http not for https", map[string]string{"HTTP_PROXY": "http://p:8080"}, "https://example.org/x", ""},
		{"https", map[string]string{"HTTPS_PROXY": "http://p:8443"}, "https://example.org/x", "http://p:8443"},
		{"lower case", map[string]string{"https_proxy": "http://q:1"}, "https://example.org/x", "http://q:1"},
		{"all socks5h", map[string]string{"ALL_PROXY": "socks5h://s:1080"}, "https://example.org/x", "socks5h://s:1080"},
		{"all socks5 for http", map[string]string{"all_proxy": "socks5://s:1080"}, "http://example.org/x", "socks5://s:1080"},
		{"specific wins", map[string]string{"ALL_PROXY": "socks5h://s:1080", "HTTPS_PROXY": "http://p:8443"}, "https://example.org/x", "http://p:8443"},
		{"no_proxy", map[string]string{"ALL_PROXY": "socks5h://s:1080", "NO_PROXY": "example.org"}, "https://example.org/x", ""},
		{"no_proxy other host", map[string]string{"ALL_PROXY": "socks5h://s:1080", "NO_PROXY": "example.com"}, "https://example.org/x", "socks5h://s:1080"},
		{"loopback never", map[string]string{"ALL_PROXY": "socks5h://s:1080"}, "http://127.0.0.1:80/x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := ProxyFunc(func(k string) string { return tt.env[k] })
			req, _ := http.NewRequest("GET", tt.url, nil)
			u, err := proxy(req)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if u != nil {
				got = u.String()
			}
			if got != tt.want {
				t.Errorf("proxy(%s) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}

// socks5Server is a minimal SOCKS5 proxy (no authentication, CONNECT
// only) that sends every connection to target and records the host names
// it was asked for.
func socks5Server(t *testing.T, target string) (addr string, asked func() []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var hosts []string
	handle := func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 262)
		if _, err := io.ReadFull(c, buf[:2]); err != nil || buf[0] != 5 {
			return
		}
		if _, err := io.ReadFull(c, buf[:buf[1]]); err != nil {
			return
		}
		c.Write([]byte{5, 0})
		if _, err := io.ReadFull(c, buf[:4]); err != nil || buf[1] != 1 {
			return
		}
		var host string
		switch buf[3] {
		case 1:
			io.ReadFull(c, buf[:4])
			host = net.IP(buf[:4]).String()
		case 3:
			io.ReadFull(c, buf[:1])
			n := int(buf[0])
			io.ReadFull(c, buf[:n])
			host = string(buf[:n])
		default:
			return
		}
		io.ReadFull(c, buf[:2])
		port := binary.BigEndian.Uint16(buf[:2])
		mu.Lock()
		hosts = append(hosts, fmt.Sprintf("%s:%d", host, port))
		mu.Unlock()
		up, err := net.Dial("tcp", target)
		if err != nil {
			c.Write([]byte{5, 1, 0, 1, 0, 0, 0, 0, 0, 0})
			return
		}
		defer up.Close()
		c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
		go io.Copy(up, c)
		io.Copy(c, up)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return ln.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), hosts...)
	}
}

// TestSyncHTTPProxy: through ALL_PROXY=socks5h:// and HTTP_PROXY=http://,
// as the environment gives them, every request goes through the proxy,
// which resolves the mirror's name (unknown to this machine's resolver).
func TestSyncHTTPProxy(t *testing.T) {
	f := newHTTPFixture(t)
	static := httptest.NewServer(f.static)
	t.Cleanup(static.Close)
	const mirrorURL = "http://mirror.samizdat.invalid/"

	tests := []struct {
		name string
		// proxy starts a proxy to the static copy and returns the
		// environment that names it, and what the proxy was asked for.
		proxy    func(t *testing.T) (env map[string]string, asked func() []string)
		wantHost string // what the proxy is asked for: the name, unresolved
	}{
		{"socks5h", func(t *testing.T) (map[string]string, func() []string) {
			addr, asked := socks5Server(t, static.Listener.Addr().String())
			return map[string]string{"ALL_PROXY": "socks5h://" + addr, "NO_PROXY": "example.com"}, asked
		}, "mirror.samizdat.invalid:80"},
		{"http proxy", func(t *testing.T) (map[string]string, func() []string) {
			var mu sync.Mutex
			var hosts []string
			proxy := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				hosts = append(hosts, r.URL.Host)
				mu.Unlock()
				if r.URL.Host != "mirror.samizdat.invalid" {
					http.Error(w, "unknown host", http.StatusBadGateway)
					return
				}
				f.static.ServeHTTP(w, r)
			}))
			return map[string]string{"HTTP_PROXY": proxy}, func() []string {
				mu.Lock()
				defer mu.Unlock()
				return slices.Clone(hosts)
			}
		}, "mirror.samizdat.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, asked := tt.proxy(t)
			client := NewHTTPClient(ProxyFunc(func(k string) string { return env[k] }))
			client.Transport.(*http.Transport).DisableKeepAlives = true // one connection per request
			reader := start(t, false)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res, err := reader.svc.SyncHTTP(ctx, f.publisher, HTTPSource{URLs: []string{mirrorURL}, Client: client, TempDir: t.TempDir()})
			if err != nil {
				t.Fatalf("SyncHTTP via %s = %v", tt.name, err)
			}
			f.checkGot(t, reader, res)
			hosts := asked()
			if len(hosts) != 4 { // head, catalog, two bundles
				t.Errorf("proxy was asked %d times, want 4: %v", len(hosts), hosts)
			}
			for _, h := range hosts {
				if h != tt.wantHost {
					t.Errorf("proxy asked for %q, want %q", h, tt.wantHost)
				}
			}
		})
	}
}

// TestSyncHTTPBadURL: a URL that is not http or https fails SyncHTTP
// before any request is made, even to a valid URL listed with it.
func TestSyncHTTPBadURL(t *testing.T) {
	var asked atomic.Int32
	valid := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.NotFound(w, r)
	}))
	publisher := bundle.PublisherID(ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey))
	reader := start(t, false)
	tests := []struct {
		name, url string
	}{
		{"ftp", "ftp://x/"},
		{"file", "file:///etc"},
		{"not a url", "not a url"},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := asked.Load()
			if _, err := syncHTTP(t, reader, publisher, time.Second, tt.url); err == nil {
				t.Errorf("SyncHTTP(%q) succeeded", tt.url)
			}
			if _, err := syncHTTP(t, reader, publisher, time.Second, valid, tt.url); err == nil {
				t.Errorf("SyncHTTP(valid, %q) succeeded", tt.url)
			}
			if n := asked.Load() - before; n != 0 {
				t.Errorf("the valid URL was asked %d times, want none", n)
			}
		})
	}
}

func mustCid(t *testing.T, s string) cid.Cid {
	t.Helper()
	c, err := cid.Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHTTPNoDowngrade: a redirect from https to http is refused before the
// plaintext request is made; http to https, and within https, is followed.
func TestHTTPNoDowngrade(t *testing.T) {
	var plainHits atomic.Int32 // plaintext requests a redirect led to
	var secureURL string
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/up" {
			http.Redirect(w, r, secureURL+"/ok", http.StatusFound)
			return
		}
		plainHits.Add(1)
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/down":
			http.Redirect(w, r, plain.URL+"/ipns/x", http.StatusFound)
		case "/same":
			http.Redirect(w, r, "/ok", http.StatusFound)
		}
	}))
	defer secure.Close()
	secureURL = secure.URL
	c := NewHTTPClient(nil)
	c.Transport.(*http.Transport).TLSClientConfig = secure.Client().Transport.(*http.Transport).TLSClientConfig
	tests := []struct {
		name    string
		url     string
		refused bool
	}{
		{"https to http", secure.URL + "/down", true},
		{"https to https", secure.URL + "/same", false},
		{"http to https", plain.URL + "/up", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := plainHits.Load()
			resp, err := c.Get(tt.url)
			if tt.refused {
				// No sentinel to match: the refusal is CheckRedirect's
				// own error, which says what it refused.
				if err == nil || !strings.Contains(err.Error(), "https to http") {
					t.Errorf("Get(%s) = %v, want the redirect refused", tt.url, err)
				}
			} else if err != nil {
				t.Fatalf("Get(%s) = %v, want the redirect followed", tt.url, err)
			} else {
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.Request.URL.Path != "/ok" {
					t.Errorf("Get(%s) = %s at %s, want 200 at /ok", tt.url, resp.Status, resp.Request.URL)
				}
			}
			if n := plainHits.Load() - before; n != 0 {
				t.Errorf("the plaintext server was asked %d times", n)
			}
		})
	}
}

// blackHole returns the URL of a server that accepts connections and
// never answers, until the test ends.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// TestSyncHTTPBlackHoles: URLs that never answer, listed before the one
// that works, hold the reader neither for their timeout (an hour here)
// nor for a place in line: more of them than are asked at once still
// let the working URL be asked, and it serves the rest. Each URL's
// outcome is reported.
func TestSyncHTTPBlackHoles(t *testing.T) {
	f := newHTTPFixture(t)
	reader := start(t, false)
	var urls []string
	for range httpHeadParallel + 1 {
		urls = append(urls, blackHole(t))
	}
	good := serve(t, f.static)
	urls = append(urls, good)
	var mu sync.Mutex
	served := map[string]error{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := reader.svc.SyncHTTP(ctx, f.publisher, HTTPSource{URLs: urls, Timeout: time.Hour, TempDir: t.TempDir(),
		Served: func(u string, err error) {
			mu.Lock()
			defer mu.Unlock()
			served[u] = err
		}})
	if err != nil {
		t.Fatalf("SyncHTTP() = %v", err)
	}
	f.checkGot(t, reader, res)
	mu.Lock()
	defer mu.Unlock()
	if err, ok := served[good]; !ok || err != nil {
		t.Errorf("the working URL was reported %v (reported: %v)", err, ok)
	}
	for _, u := range urls[:len(urls)-1] {
		if err := served[u]; !errors.Is(err, errNoAnswer) {
			t.Errorf("a black hole was reported %v, want errNoAnswer", err)
		}
	}
}

// TestSyncHTTPIPFSGatewayDelegated: an IPFS gateway serves IPNS records
// but no wrapped heads. A reader that holds a delegated head asks it for
// the records under its document's head keys, wraps each with that
// document and checks it, and so takes the publisher's next head from
// the gateway; a reader that holds none has no head key to ask for.
func TestSyncHTTPIPFSGatewayDelegated(t *testing.T) {
	ctx := context.Background()
	nr := &newsroom{t: t, root: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x31}, 32)), bundleKey: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x32}, 32))}
	nr.publisher = bundle.PublisherID(pubKey(nr.root))
	hk := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x33}, 32))
	doc := nr.ceremony([]ed25519.PrivateKey{hk})
	pub := start(t, true)
	pubSvc := newService(pub.Node, Options{Key: hk, Authority: doc, HeadValidity: time.Hour})
	gw, err := pub.Gateway(node.GatewayConfig{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	full := serve(t, gw)
	ipfs := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, node.HeadPath) {
			http.NotFound(w, r) // no samizdat/heads/: an IPFS gateway
			return
		}
		gw.ServeHTTP(w, r)
	}))
	if _, err := pubSvc.Publish(ctx, nr.daily(doc)); err != nil {
		t.Fatal(err)
	}
	reader := start(t, false)
	if _, err := syncHTTP(t, reader, nr.publisher, 5*time.Second, full); err != nil {
		t.Fatal(err)
	}
	h2, err := pubSvc.Publish(ctx, nr.daily(doc))
	if err != nil {
		t.Fatal(err)
	}
	res, err := syncHTTP(t, reader, nr.publisher, 5*time.Second, ipfs)
	if err != nil {
		t.Fatalf("SyncHTTP(IPFS gateway) = %v", err)
	}
	if res.Head.Seq != h2.Seq || res.Head.Authority == nil || len(res.Fetched) != 1 {
		t.Errorf("SyncHTTP(IPFS gateway) = head %d (document %v), %d fetched; want head %d, delegated, 1 fetched",
			res.Head.Seq, res.Head.Authority != nil, len(res.Fetched), h2.Seq)
	}
	if _, err := syncHTTP(t, start(t, false), nr.publisher, 5*time.Second, ipfs); err == nil {
		t.Error("a reader with no document took a delegated head from an IPFS gateway")
	}
}
