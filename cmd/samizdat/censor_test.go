package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samizdat/samizdat/internal/censor"
	"github.com/samizdat/samizdat/internal/control"
)

// Reach under censorship (issue 11): the built binary runs as publisher,
// mirror and reader, each in its own network namespace (internal/censor),
// and the test plays the censor with iptables rules in the reader's
// namespace, a user-space link, a proxy. In every scenario the publisher
// has published two bundles (a small one, then a 4 MB update), a mirror
// has followed it, and the reader must end with the newest head and every
// bundle, byte for byte the publisher's, verified. They skip without root
// or network namespaces, unless SAMIZDAT_REQUIRE_NETNS is set (CI).

// censorFixture is the publisher's key and bundles, made once per test
// binary: packing the 4 MB update takes a few seconds.
var censorFixture struct {
	once  sync.Once
	err   error
	key   string
	id    string
	files []string // oldest first
}

// censorUpdateArticles is how many generated articles make the second
// bundle about 4 MB (4.2 MB at --level fastest, no dictionary).
const censorUpdateArticles = 1000

func censorBundles(tb testing.TB) (id, key string, files []string) {
	tb.Helper()
	f := &censorFixture
	f.once.Do(func() {
		dir := filepath.Join(filepath.Dir(binary), "censor-fixture")
		f.err = func() error {
			src := filepath.Join(dir, "src")
			for name, content := range corpusFiles {
				p := filepath.Join(src, filepath.FromSlash(name))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					return err
				}
			}
			f.key = filepath.Join(dir, "root.key")
			out, err := czExec(nil, nil, "keygen", "-o", f.key)
			if err != nil {
				return err
			}
			f.id = strings.TrimSpace(out)
			small, big := filepath.Join(dir, "1.bundle"), filepath.Join(dir, "2.bundle")
			if _, err := czExec(nil, nil, "pack", "-k", f.key, "-o", small, src); err != nil {
				return err
			}
			demo := filepath.Join(dir, "demo")
			if _, err := czExec(nil, nil, "demo", "--dir", demo, "-n", fmt.Sprint(censorUpdateArticles)); err != nil {
				return err
			}
			if _, err := czExec(nil, nil, "pack", "-k", f.key, "--no-dict", "--level", "fastest", "-o", big, filepath.Join(demo, "articles")); err != nil {
				return err
			}
			os.RemoveAll(demo)
			f.files = []string{small, big}
			return nil
		}()
	})
	if f.err != nil {
		tb.Fatalf("censor fixture: %v", f.err)
	}
	return f.id, f.key, f.files
}

// czExec runs the samizdat binary (in h, if not nil, with env added) and
// returns its stdout; a non-zero exit is an error carrying its stderr.
func czExec(h *censor.Host, env []string, args ...string) (string, error) {
	var cmd *exec.Cmd
	if h != nil {
		cmd = h.Command(binary, args...)
	} else {
		cmd = exec.Command(binary, args...)
	}
	cmd.Env = append(os.Environ(), env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		return so.String(), fmt.Errorf("samizdat %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, so.String(), se.String())
	}
	return so.String(), nil
}

// czWait polls cond every 50 ms until it holds (true) or d passes.
func czWait(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// czBuffer is a bytes.Buffer safe for a child's stderr and the test.
type czBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *czBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *czBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// censorWorld is a publisher and a mirror that follows it, each serving
// in its own namespace, and a reader's namespace, all on one censor.Net.
type censorWorld struct {
	net                 *censor.Net
	pub, mir, reader    *censor.Host
	id                  string
	files               []string // the publisher's bundles, oldest first
	dir                 string
	pubRepo, mirRepo    string
	pubAddrs, mirAddrs  []string // their libp2p addresses, with /p2p/
	pubAddr, mirAddr    string   // each one's TCP 4001 address
	mirPeer             string   // the mirror's peer ID
	published, mirrored int      // how many of files each holds
}

// newCensorWorld publishes the first n of the fixture's bundles (all, for
// n < 0), starts the publisher and the mirror (listening also on
// mirListen, multiaddrs with MIR for the mirror's IP) and waits until the
// mirror holds them.
func newCensorWorld(tb testing.TB, n int, mirListen ...string) *censorWorld {
	tb.Helper()
	net := censor.New(tb) // first: it may skip the test
	id, key, files := censorBundles(tb)
	if n < 0 {
		n = len(files)
	}
	w := &censorWorld{net: net, id: id, files: files, dir: tb.TempDir()}
	w.pub, w.mir, w.reader = net.Host("pub"), net.Host("mir"), net.Host("reader")
	w.pubRepo, w.mirRepo = filepath.Join(w.dir, "pub"), filepath.Join(w.dir, "mirror")
	for _, f := range files[:n] {
		if _, err := czExec(nil, nil, "publish", "--repo", w.pubRepo, "--key", key, f); err != nil {
			tb.Fatal(err)
		}
	}
	w.published = n
	w.pubAddrs = czServe(tb, w.pub, w.pubRepo, []string{"/ip4/" + w.pub.IP + "/tcp/4001"}, "--key", key)
	listen := []string{"/ip4/" + w.mir.IP + "/tcp/4001"}
	for _, l := range mirListen {
		listen = append(listen, strings.ReplaceAll(l, "MIR", w.mir.IP))
	}
	w.mirAddrs = czServe(tb, w.mir, w.mirRepo, listen, "--follow", id, "--peer", w.pubAddrs[0], "--interval", "200ms")
	w.pubAddr, w.mirAddr = w.pubAddrs[0], w.mirAddrOf(tb, "/tcp/4001/p2p/")
	w.mirPeer = w.mirAddr[strings.LastIndex(w.mirAddr, "/p2p/")+len("/p2p/"):]
	w.waitMirrored(tb)
	return w
}

// czServe starts `samizdat serve` in h and returns its libp2p addresses
// once it has written them.
func czServe(tb testing.TB, h *censor.Host, repo string, listen []string, args ...string) []string {
	tb.Helper()
	full := []string{"serve", "--repo", repo, "--no-mdns", "--no-dht"}
	for _, l := range listen {
		full = append(full, "--listen", l)
	}
	cmd := h.Command(binary, append(full, args...)...)
	stderr := &czBuffer{}
	cmd.Stderr = stderr
	p, err := h.Start(cmd)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		p.Stop()
		if tb.Failed() {
			tb.Logf("serve --repo %s (in %s) stderr:\n%s", repo, h.Name, stderr.String())
		}
	})
	var addrs []string
	ok := czWait(30*time.Second, func() bool {
		data, err := os.ReadFile(filepath.Join(repo, addrsFile))
		if err != nil {
			return false
		}
		addrs = nil
		for line := range strings.Lines(string(data)) {
			if a, ok := strings.CutPrefix(strings.TrimSpace(line), "listening "); ok {
				addrs = append(addrs, a)
			}
		}
		return len(addrs) > 0
	})
	if !ok {
		tb.Fatalf("serve in %s wrote no addresses; stderr:\n%s", h.Name, stderr.String())
	}
	return addrs
}

// publishNext publishes the next fixture bundle through the running
// publisher and waits until the mirror holds it.
func (w *censorWorld) publishNext(tb testing.TB) {
	tb.Helper()
	if _, err := czExec(nil, nil, "publish", "--repo", w.pubRepo, w.files[w.published]); err != nil {
		tb.Fatal(err)
	}
	w.published++
	w.waitMirrored(tb)
}

// waitMirrored waits until the mirror holds the publisher's newest head
// and every bundle.
func (w *censorWorld) waitMirrored(tb testing.TB) {
	tb.Helper()
	ok := czWait(90*time.Second, func() bool {
		out, err := czExec(nil, nil, "status", "--repo", w.mirRepo, "--json")
		var st control.Status
		if err != nil || json.Unmarshal([]byte(out), &st) != nil || len(st.Publishers) != 1 || st.Publishers[0].Seq != uint64(w.published) {
			return false
		}
		cars, _ := filepath.Glob(filepath.Join(w.mirRepo, "bundles", "*.car"))
		return len(cars) == w.published
	})
	if !ok {
		tb.Fatalf("the mirror never got head %d and its bundles", w.published)
	}
	w.mirrored = w.published
}

// mirAddrOf returns the mirror's address that contains part (say
// "/tls/ws"), failing the test if it has none.
func (w *censorWorld) mirAddrOf(tb testing.TB, part string) string {
	tb.Helper()
	for _, a := range w.mirAddrs {
		if strings.Contains(a, part) {
			return a
		}
	}
	tb.Fatalf("the mirror has no %s address among %q", part, w.mirAddrs)
	return ""
}

// get runs `samizdat get --publisher ID args...` in the reader's
// namespace, with env added.
func (w *censorWorld) get(env []string, args ...string) (string, error) {
	return czExec(w.reader, env, append([]string{"get", "--publisher", w.id}, args...)...)
}

// mustGet is get into a fresh output directory, which must then hold
// the newest head's bundles.
func (w *censorWorld) mustGet(tb testing.TB, env []string, args ...string) {
	tb.Helper()
	out, stdout := w.getTo(tb, env, args...)
	w.checkGot(tb, out, stdout)
}

// getTo is get into a fresh output directory, which it returns with what
// get printed; a failure fails the test.
func (w *censorWorld) getTo(tb testing.TB, env []string, args ...string) (out, stdout string) {
	tb.Helper()
	out, err := os.MkdirTemp(w.dir, "got-*")
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err = w.get(env, append(args, "-o", out)...)
	if err != nil {
		tb.Fatalf("the reader failed: %v", err)
	}
	return out, stdout
}

// checkGot checks that out holds exactly the publisher's bundles, each
// verified, and that get reported the newest head.
func (w *censorWorld) checkGot(tb testing.TB, out, stdout string) {
	tb.Helper()
	if want := fmt.Sprintf("head %d ", w.published); !strings.Contains(stdout, want) {
		tb.Errorf("get printed %q, want %q", stdout, want)
	}
	got, _ := filepath.Glob(filepath.Join(out, "*.bundle"))
	if len(got) != w.published {
		tb.Fatalf("the reader wrote %d bundles, want %d: %v", len(got), w.published, got)
	}
	want := map[string]bool{}
	for _, f := range w.files[:w.published] {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		want[string(data)] = true
	}
	for _, f := range got {
		data, _ := os.ReadFile(f)
		if !want[string(data)] {
			tb.Errorf("%s is not one of the publisher's bundles", filepath.Base(f))
		}
		delete(want, string(data))
		if _, err := czExec(nil, nil, "verify", "-p", w.id, f); err != nil {
			tb.Errorf("verify: %v", err)
		}
	}
}

// onlyAllow makes the reader's namespace drop everything it sends except
// to loopback and what the accept specs (each an iptables rule spec
// before -j ACCEPT) let through; it returns the final DROP rule.
func (w *censorWorld) onlyAllow(accept ...[]string) *censor.Rule {
	w.reader.Rule("OUTPUT", "-o", "lo", "-j", "ACCEPT")
	for _, spec := range accept {
		w.reader.Rule("OUTPUT", append(spec, "-j", "ACCEPT")...)
	}
	return w.reader.Rule("OUTPUT", "-j", "DROP")
}

// staticCopy writes the mirror's static copy and serves it over HTTPS
// on web:443 as https://static.example/, with a certificate from ca.
func (w *censorWorld) staticCopy(tb testing.TB, web *censor.Host, ca *censor.CA) {
	tb.Helper()
	site := filepath.Join(w.dir, "site")
	os.RemoveAll(site)
	if _, err := czExec(nil, nil, "publish-static", "--repo", w.mirRepo, "-o", site); err != nil {
		tb.Fatal(err)
	}
	if _, err := web.ServeHTTP(web.IP+":443", http.FileServer(http.Dir(site)), ca, "static.example"); err != nil {
		tb.Fatal(err)
	}
}

// TestCensorPublisherBlocked (scenario a): the censor drops everything to
// the publisher's address; the reader, given the publisher's address
// first and a mirror's second, gets everything from the mirror.
func TestCensorPublisherBlocked(t *testing.T) {
	w := newCensorWorld(t, -1)
	drop := w.reader.Rule("OUTPUT", "-d", w.pub.IP, "-j", "DROP")
	t0 := time.Now()
	w.mustGet(t, nil, "--peer", w.pubAddr, "--peer", w.mirAddr, "--repo", filepath.Join(w.dir, "reader"), "--timeout", "90s")
	t.Logf("with the publisher black-holed: %v", time.Since(t0).Round(time.Millisecond))
	if drop.Packets() == 0 {
		t.Errorf("the reader never tried the publisher, so the block showed nothing")
	}
}

// censorDPI is the censor's rule on libp2p's clear-text negotiation.
var censorDPI = []string{"-p", "tcp", "-m", "string", "--string", "/multistream/1.0.0", "--algo", "bm", "-j", "DROP"}

// TestCensorDPI (scenario b): the censor drops every TCP packet that
// carries "/multistream/1.0.0" and all UDP. The reader gets everything
// from the mirror's /tls/ws address, and the DPI rule never matched: no
// libp2p negotiation crossed the wire in clear. The same reader over
// plain /tcp, or QUIC, fails, and the rules show why.
func TestCensorDPI(t *testing.T) {
	w := newCensorWorld(t, -1, "/ip4/MIR/udp/4001/quic-v1", "/ip4/MIR/tcp/443/tls/ws")
	dpi := w.reader.Rule("OUTPUT", censorDPI...)
	udp := w.reader.Rule("OUTPUT", "-p", "udp", "-j", "DROP")

	w.mustGet(t, nil, "--peer", w.mirAddrOf(t, "/tls/ws"), "--repo", filepath.Join(w.dir, "reader"), "--timeout", "60s")
	if got := dpi.Packets(); got != 0 {
		t.Errorf("the DPI rule matched %d packets on the /tls/ws path", got)
	}
	// Given every address of the mirror, as a link carries them: the
	// reader dials /tls/ws first and the others only if it has not
	// connected within a head start (250 ms on a private address), so
	// whether clear text crossed depends on timing: logged, not asserted.
	var all []string
	for _, a := range w.mirAddrs {
		all = append(all, "--peer", a)
	}
	w.mustGet(t, nil, append(all, "--timeout", "60s")...)
	t.Logf("given every address: the DPI rule matched %d packets, the UDP rule %d", dpi.Packets(), udp.Packets())
	before := dpi.Packets()

	if _, err := w.get(nil, "--peer", w.mirAddr, "-o", filepath.Join(w.dir, "tcp"), "--timeout", "8s"); err == nil {
		t.Errorf("the reader got through over plain /tcp past the DPI rule")
	}
	if dpi.Packets() == before {
		t.Errorf("the DPI rule matched nothing over plain /tcp")
	}
	if _, err := w.get(nil, "--peer", w.mirAddrOf(t, "/quic-v1"), "-o", filepath.Join(w.dir, "quic"), "--timeout", "8s"); err == nil {
		t.Errorf("the reader got through over QUIC with UDP dropped")
	}
	if udp.Packets() == 0 {
		t.Errorf("the UDP rule matched nothing over QUIC")
	}
}

// TestCensorOnly443 (scenario c): nothing leaves the reader's namespace
// but TCP to port 443. libp2p on port 4001 fails; a static copy over
// HTTPS on 443 works, and so does libp2p over TLS WebSocket on 443.
func TestCensorOnly443(t *testing.T) {
	w := newCensorWorld(t, -1, "/ip4/MIR/tcp/443/tls/ws")
	web := w.net.Host("web")
	ca := censor.NewCA(t)
	w.staticCopy(t, web, ca)
	w.reader.Hosts(map[string]string{"static.example": web.IP})
	drop := w.onlyAllow([]string{"-p", "tcp", "--dport", "443"})

	if _, err := w.get(nil, "--peer", w.mirAddr, "-o", filepath.Join(w.dir, "blocked"), "--timeout", "5s"); err == nil {
		t.Fatalf("the reader reached the mirror on port 4001 past the censor")
	}
	if drop.Packets() == 0 {
		t.Errorf("the DROP rule counted nothing: the libp2p try never left")
	}
	w.mustGet(t, []string{"SSL_CERT_FILE=" + ca.File}, "--http", "https://static.example/", "--repo", filepath.Join(w.dir, "reader"), "--timeout", "60s")
	// And libp2p over TLS WebSocket on 443, from the mirror itself.
	w.mustGet(t, nil, "--peer", w.mirAddrOf(t, "/tcp/443/tls/ws"), "--repo", filepath.Join(w.dir, "reader2"), "--timeout", "60s")
}

// TestCensorSOCKS5 (scenario d): the reader may reach nothing but a SOCKS5
// proxy; through it (socks5h, so the proxy resolves the name) it gets a
// static copy over HTTPS, and nothing else leaves its namespace.
func TestCensorSOCKS5(t *testing.T) {
	w := newCensorWorld(t, -1)
	web, proxyHost := w.net.Host("web"), w.net.Host("proxy")
	ca := censor.NewCA(t)
	w.staticCopy(t, web, ca)
	proxy, err := proxyHost.SOCKS5(proxyHost.IP+":1080", map[string]string{"static.example": web.IP})
	if err != nil {
		t.Fatal(err)
	}
	// The reader could resolve the name itself: the censor drops that.
	w.reader.Hosts(map[string]string{"static.example": web.IP})
	drop := w.onlyAllow([]string{"-d", proxyHost.IP, "-p", "tcp", "--dport", "1080"})
	env := []string{"SSL_CERT_FILE=" + ca.File}

	if _, err := w.get(env, "--http", "https://static.example/", "-o", filepath.Join(w.dir, "blocked"), "--timeout", "5s"); err == nil {
		t.Fatalf("the reader reached the static copy directly past the censor")
	}
	dropped := drop.Packets()
	if dropped == 0 {
		t.Errorf("the DROP rule counted nothing: the direct try never left")
	}
	if _, err := w.get(nil, "--peer", w.mirAddr, "-o", filepath.Join(w.dir, "blocked2"), "--timeout", "5s"); err == nil {
		t.Fatalf("the reader reached the mirror directly past the censor")
	}
	dropped = drop.Packets()

	env = append(env, "ALL_PROXY=socks5h://"+proxy.Addr())
	w.mustGet(t, env, "--http", "https://static.example/", "--repo", filepath.Join(w.dir, "reader"), "--timeout", "60s")
	if r := proxy.Requests(); len(r) == 0 || r[0] != "static.example:443" {
		t.Errorf("the proxy was asked for %v, want static.example:443", r)
	}
	if got := drop.Packets(); got != dropped {
		t.Errorf("%d packets tried to go around the proxy", got-dropped)
	}
}

// censorTestRate is the throttled link's rate in the test: 512 KB/s, so
// the 4 MB update takes about 8 s. BenchmarkCensor4MB measures the
// issue's 32 KB/s (SAMIZDAT_BENCH_SLOW=1: over two minutes), at which
// the libp2p path fails today: a direct block request is bounded by 2 s
// whatever its size, and the update's one manifest page is a 195 KB
// block (docs/design.md, "Reach scenarios").
const censorTestRate = 512 << 10

// TestCensorThrottled (scenario f): the only path to the mirror is a
// link paced to censorTestRate. The reader completes; then the link is
// cut halfway through the update, the reader fails, and a second get on
// the same repo, once the link is back, completes.
func TestCensorThrottled(t *testing.T) {
	w := newCensorWorld(t, -1)
	link, err := w.mir.Shaper(w.mir.IP+":4101", w.mir.IP+":4001", censorTestRate)
	if err != nil {
		t.Fatal(err)
	}
	shaped := fmt.Sprintf("/ip4/%s/tcp/4101/p2p/%s", w.mir.IP, w.mirPeer)
	drop := w.onlyAllow([]string{"-d", w.mir.IP, "-p", "tcp", "--dport", "4101"})

	t0 := time.Now()
	w.mustGet(t, nil, "--peer", shaped, "--timeout", "120s")
	took := time.Since(t0)
	full := link.ToClient()
	t.Logf("throttled to %d KB/s: %d bytes in %v", censorTestRate>>10, full, took.Round(time.Millisecond))
	if drop.Packets() != 0 {
		t.Errorf("the reader tried to go around the throttled link")
	}

	// Cut halfway through the update: the reader fails.
	big, _ := os.Stat(w.files[len(w.files)-1])
	repo := filepath.Join(w.dir, "reader")
	start := link.ToClient()
	link.CutAt(start + big.Size()/2)
	t0 = time.Now()
	if _, err := w.get(nil, "--peer", shaped, "--repo", repo, "-o", filepath.Join(w.dir, "cut"), "--timeout", "60s"); err == nil {
		t.Fatalf("the reader completed through a link cut halfway")
	}
	if !link.IsCut() {
		t.Fatalf("the link was never cut")
	}
	t.Logf("the link was cut %d bytes into the update; the reader exited %v after it started", link.ToClient()-start, time.Since(t0).Round(time.Millisecond))
	link.Restore()
	mid := link.ToClient()
	w.mustGet(t, nil, "--peer", shaped, "--repo", repo, "--timeout", "120s")
	// What "resume" means today: a bundle file whose transfer was cut is
	// fetched again from its first byte (nothing of it is kept). Logged,
	// not asserted, so a block-level resume would pass too.
	t.Logf("after the cut, the second get moved %d bytes (the update is %d, everything %d)", link.ToClient()-mid, big.Size(), full)
}

// BenchmarkCensor4MB: time for a reader holding the first head to get the
// 4 MB update, in each scenario, against the open network, same run.
// Each needs a fresh world (seconds to set up); run with -benchtime=1x.
// The 32 KB/s links run only with SAMIZDAT_BENCH_SLOW=1.
func BenchmarkCensor4MB(b *testing.B) {
	b.Run("open", func(b *testing.B) {
		w, seed := benchWorld(b)
		benchGets(b, w, seed, nil, "--peer", w.mirAddr)
	})
	b.Run("publisher-blocked", func(b *testing.B) {
		w, seed := benchWorld(b)
		w.reader.Rule("OUTPUT", "-d", w.pub.IP, "-j", "DROP")
		benchGets(b, w, seed, nil, "--peer", w.pubAddr, "--peer", w.mirAddr)
	})
	b.Run("dpi-udp-tls-ws", func(b *testing.B) {
		w, seed := benchWorld(b, "/ip4/MIR/tcp/443/tls/ws")
		w.reader.Rule("OUTPUT", censorDPI...)
		w.reader.Rule("OUTPUT", "-p", "udp", "-j", "DROP")
		benchGets(b, w, seed, nil, "--peer", w.mirAddrOf(b, "/tls/ws"))
	})
	b.Run("only-443-tls-ws", func(b *testing.B) {
		w, seed := benchWorld(b, "/ip4/MIR/tcp/443/tls/ws")
		w.onlyAllow([]string{"-p", "tcp", "--dport", "443"})
		benchGets(b, w, seed, nil, "--peer", w.mirAddrOf(b, "/tls/ws"))
	})
	b.Run("only-443-https", func(b *testing.B) {
		w, seed := benchWorld(b)
		web, ca := w.net.Host("web"), censor.NewCA(b)
		w.staticCopy(b, web, ca)
		w.reader.Hosts(map[string]string{"static.example": web.IP})
		w.onlyAllow([]string{"-p", "tcp", "--dport", "443"})
		benchGets(b, w, seed, []string{"SSL_CERT_FILE=" + ca.File}, "--http", "https://static.example/")
	})
	b.Run("socks5-https", func(b *testing.B) {
		w, seed := benchWorld(b)
		web, proxyHost, ca := w.net.Host("web"), w.net.Host("proxy"), censor.NewCA(b)
		w.staticCopy(b, web, ca)
		proxy, err := proxyHost.SOCKS5(proxyHost.IP+":1080", map[string]string{"static.example": web.IP})
		if err != nil {
			b.Fatal(err)
		}
		w.onlyAllow([]string{"-d", proxyHost.IP, "-p", "tcp", "--dport", "1080"})
		benchGets(b, w, seed, []string{"SSL_CERT_FILE=" + ca.File, "ALL_PROXY=socks5h://" + proxy.Addr()}, "--http", "https://static.example/")
	})
	// The same 32 KB/s in front of an HTTPS static copy instead.
	b.Run("throttled-32KBps-https", func(b *testing.B) {
		slowBench(b)
		w, seed := benchWorld(b)
		web, ca := w.net.Host("web"), censor.NewCA(b)
		w.staticCopy(b, web, ca)
		if _, err := web.Shaper(web.IP+":8443", web.IP+":443", 32<<10); err != nil {
			b.Fatal(err)
		}
		w.reader.Hosts(map[string]string{"static.example": web.IP})
		w.onlyAllow([]string{"-d", web.IP, "-p", "tcp", "--dport", "8443"})
		benchGets(b, w, seed, []string{"SSL_CERT_FILE=" + ca.File}, "--http", "https://static.example:8443/", "--timeout", "10m")
	})
	for _, rate := range []int{32 << 10, 128 << 10, censorTestRate} {
		b.Run(fmt.Sprintf("throttled-%dKBps", rate>>10), func(b *testing.B) {
			if rate < 64<<10 {
				slowBench(b)
			}
			w, seed := benchWorld(b)
			if _, err := w.mir.Shaper(w.mir.IP+":4101", w.mir.IP+":4001", rate); err != nil {
				b.Fatal(err)
			}
			w.onlyAllow([]string{"-d", w.mir.IP, "-p", "tcp", "--dport", "4101"})
			benchGets(b, w, seed, nil, "--peer", fmt.Sprintf("/ip4/%s/tcp/4101/p2p/%s", w.mir.IP, w.mirPeer), "--timeout", "10m")
		})
	}
}

// slowBench skips a benchmark that takes minutes unless
// SAMIZDAT_BENCH_SLOW is set.
func slowBench(b *testing.B) {
	if os.Getenv("SAMIZDAT_BENCH_SLOW") == "" {
		b.Skip("4 MB at 32 KB/s takes over two minutes; SAMIZDAT_BENCH_SLOW=1 runs it")
	}
}

// benchWorld is a world in which the reader holds the first head (in the
// repo seed, got before any censor rule) and the mirror the second.
func benchWorld(b *testing.B, mirListen ...string) (*censorWorld, string) {
	w := newCensorWorld(b, 1, mirListen...)
	seed := filepath.Join(w.dir, "seed")
	w.mustGet(b, nil, "--peer", w.mirAddr, "--repo", seed, "--timeout", "60s")
	w.publishNext(b)
	return w, seed
}

// benchGets times b.N gets of the update, each from a copy of seed.
func benchGets(b *testing.B, w *censorWorld, seed string, env []string, args ...string) {
	b.StopTimer()
	b.ResetTimer() // not the world's setup
	update, _ := os.Stat(w.files[w.published-1])
	for i := range b.N {
		repo := filepath.Join(w.dir, fmt.Sprintf("reader-%d", i))
		if out, err := exec.Command("cp", "-a", seed, repo).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v: %s", err, out)
		}
		args := append(append([]string{}, args...), "--repo", repo)
		if !containsArg(args, "--timeout") {
			args = append(args, "--timeout", "120s")
		}
		b.StartTimer()
		out, stdout := w.getTo(b, env, args...)
		b.StopTimer()
		w.checkGot(b, out, stdout)
	}
	b.SetBytes(update.Size())
}

func containsArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}
