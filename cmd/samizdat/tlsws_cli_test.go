package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samizdat/samizdat/internal/dpiproxy"
	"github.com/samizdat/samizdat/node"
)

// TestServeDefaultListen: serve listens on TLS WebSocket by default, on
// 443 when it can bind it and on 4443 when not; --listen replaces the
// defaults; --tls-cert and --tls-key go together, and with a TLS
// WebSocket listener.
func TestServeDefaultListen(t *testing.T) {
	e := &env{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	bindable := true
	defer func(f func(int) bool) { canBind = f }(canBind)
	canBind = func(port int) bool { return bindable && port == 443 }
	parse := func(args ...string) (*serveOptions, error) {
		return parseServeFlags(e, append([]string{"--repo", t.TempDir()}, args...))
	}
	o, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(o.node.Listen, "/ip4/0.0.0.0/tcp/443/tls/ws") || !slices.Contains(o.node.Listen, "/ip4/0.0.0.0/tcp/4001") {
		t.Errorf("defaults with 443 bindable: %q", o.node.Listen)
	}
	bindable = false
	if o, err = parse(); err != nil || !slices.Contains(o.node.Listen, "/ip4/0.0.0.0/tcp/4443/tls/ws") || slices.Contains(o.node.Listen, "/ip4/0.0.0.0/tcp/443/tls/ws") {
		t.Errorf("defaults with 443 not bindable: %q, %v", o.node.Listen, err)
	}
	if o, err = parse("--listen", "/ip4/127.0.0.1/tcp/0"); err != nil || !slices.Equal(o.node.Listen, []string{"/ip4/127.0.0.1/tcp/0"}) {
		t.Errorf("--listen: %q, %v", o.node.Listen, err)
	}
	if o, err = parse("--tls-cert", "c.pem", "--tls-key", "k.pem"); err != nil || o.node.TLSCert != "c.pem" || o.node.TLSKey != "k.pem" {
		t.Errorf("--tls-cert, --tls-key: %+v, %v", o, err)
	}
	if _, err = parse("--tls-cert", "c.pem", "--tls-key", "k.pem", "--listen", "/ip4/0.0.0.0/tcp/8443/tls/ws"); err != nil {
		t.Errorf("--tls-cert with a /tls/ws --listen: %v", err)
	}
	for _, args := range [][]string{
		{"--tls-cert", "c.pem"},
		{"--tls-key", "k.pem"},
		{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--listen", "/ip4/0.0.0.0/tcp/4001"},
	} {
		if _, err := parse(args...); !errors.Is(err, errUsage) {
			t.Errorf("serve %q = %v, want a usage error", args, err)
		}
	}
}

// TestCanBind: a port another socket holds cannot be bound.
func TestCanBind(t *testing.T) {
	ln, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if canBind(ln.Addr().(*net.TCPAddr).Port) {
		t.Error("canBind says yes for a port in use")
	}
}

// TestLinkAddrsOrder: a link carries public, then private, then loopback
// addresses, and in each the TLS WebSocket ones first.
func TestLinkAddrsOrder(t *testing.T) {
	const id = "/p2p/12D3KooWGzLhRNf4sSaXnGZXhbNT2h3SxKMGtFJbjTkBAV8L4ytb"
	dir := t.TempDir()
	lines := []string{
		"/ip4/127.0.0.1/tcp/4001", "/ip4/127.0.0.1/tcp/443/tls/ws",
		"/ip4/192.168.1.5/tcp/4001", "/ip4/192.168.1.5/udp/4001/quic-v1", "/ip4/192.168.1.5/tcp/443/tls/ws",
		"/ip4/1.2.3.4/tcp/4001", "/ip4/1.2.3.4/tcp/4002/ws", "/ip4/1.2.3.4/tcp/443/tls/ws",
	}
	var file string
	for _, l := range lines {
		file += "listening " + l + id + "\n"
	}
	file += "http http://127.0.0.1:8080\n"
	if err := os.WriteFile(filepath.Join(dir, addrsFile), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/ip4/1.2.3.4/tcp/443/tls/ws", "/ip4/1.2.3.4/tcp/4001", "/ip4/1.2.3.4/tcp/4002/ws",
		"/ip4/192.168.1.5/tcp/443/tls/ws", "/ip4/192.168.1.5/tcp/4001", "/ip4/192.168.1.5/udp/4001/quic-v1",
		"/ip4/127.0.0.1/tcp/443/tls/ws", "/ip4/127.0.0.1/tcp/4001",
	}
	for i := range want {
		want[i] += id
	}
	public, local := linkAddrs(dir)
	if got := slices.Concat(public, local); !slices.Equal(got, want) {
		t.Errorf("linkAddrs =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestParsePeersMerge: a peer named by several addresses is one dial,
// with its TLS WebSocket addresses first; peers keep their order.
func TestParsePeersMerge(t *testing.T) {
	const a = "/p2p/12D3KooWGzLhRNf4sSaXnGZXhbNT2h3SxKMGtFJbjTkBAV8L4ytb"
	const b = "/p2p/12D3KooWB2vWFMNQ1uniBFdcBMpVL6C69TiU1TByh9BABTm1bdNc"
	infos, err := parsePeers([]string{"/ip4/1.2.3.4/tcp/4001" + a, "/ip4/5.6.7.8/tcp/443/tls/ws" + b, "/ip4/1.2.3.4/tcp/443/tls/ws" + a})
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || "/p2p/"+infos[0].ID.String() != a || "/p2p/"+infos[1].ID.String() != b {
		t.Fatalf("parsePeers = %v", infos)
	}
	if got := infos[0].Addrs; len(got) != 2 || !node.IsTLSWS(got[0]) || node.IsTLSWS(got[1]) {
		t.Errorf("first peer's addresses %v, want the /tls/ws one first", got)
	}
}

// TestCLITLSWS: `link` puts the TLS WebSocket address first, and `get`
// with a link whose every address passes a censor that acts on
// "/multistream/1.0.0" gets the bundle over the TLS WebSocket one, at
// once, though the link names the plain TCP one first: the censor stalls
// that one (as an iptables DROP of every packet carrying the string
// does), so a reader that dialled it first would wait out libp2p's dial
// timeout (5 s on loopback; 15 s, and then get's own, on the internet).
func TestCLITLSWS(t *testing.T) {
	dir := t.TempDir()
	id, file, repo := publishedRepo(t, dir)
	startServe(t, repo, "--listen", "/ip4/127.0.0.1/tcp/0/tls/ws")
	link, err := node.ParseLink(strings.SplitN(mustRun(t, "link", "--repo", repo).stdout, "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(link.Peers) != 2 || !isTLSWSText(link.Peers[0]) || isTLSWSText(link.Peers[1]) {
		t.Fatalf("link peers %q, want the /tls/ws one first", link.Peers)
	}
	// Each of the node's addresses behind its own censoring proxy.
	var through []string
	var proxies []*dpiproxy.Proxy
	for i, p := range []string{link.Peers[1], link.Peers[0]} { // TCP first
		host, port, rest := splitTCP(t, p)
		action := dpiproxy.Stall
		if i == 1 {
			action = dpiproxy.Reset
		}
		proxy, err := dpiproxy.Start(net.JoinHostPort(host, port), action, "/multistream/1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		defer proxy.Close()
		proxies = append(proxies, proxy)
		through = append(through, "/ip4/127.0.0.1/tcp/"+proxy.PortString()+rest)
	}
	// The same get with the TLS WebSocket address alone first, as the
	// baseline on this machine: a reader that dialled the stalled address
	// first would take libp2p's 5 s dial timeout longer than it.
	t0 := time.Now()
	mustRun(t, "get", "--publisher", node.Link{Publisher: id, Peers: through[1:]}.String(), "-o", filepath.Join(dir, "base"), "--timeout", "60s")
	base := time.Since(t0)
	censored := node.Link{Publisher: id, Peers: through}.String()
	out := filepath.Join(dir, "got")
	t0 = time.Now()
	mustRun(t, "get", "--publisher", censored, "-o", out, "--timeout", "60s")
	if took := time.Since(t0); took > base+3*time.Second {
		t.Errorf("get took %v (%v with the TLS WebSocket address alone): it waited on the stalled plain TCP address", took, base)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.bundle"))
	want, _ := os.ReadFile(file)
	if len(files) != 1 {
		t.Fatalf("get wrote %v", files)
	}
	if got, _ := os.ReadFile(files[0]); !bytes.Equal(got, want) {
		t.Error("the bundle differs from the publisher's")
	}
	tcpProxy, tlsProxy := proxies[0], proxies[1]
	if tlsProxy.Bytes(dpiproxy.ToClient) < int64(len(want)) || len(tlsProxy.Seen()) != 0 {
		t.Errorf("through the /tls/ws proxy: %d bytes to the reader, seen %q", tlsProxy.Bytes(dpiproxy.ToClient), tlsProxy.Seen())
	}
	// Not asserted (a slow machine may start the TCP dial before the TLS
	// WebSocket one is through), but worth seeing: whether the reader
	// sent libp2p's negotiation in clear at all.
	t.Logf("plain TCP proxy: %d connections, %q seen", tcpProxy.Conns(), tcpProxy.Seen())
}

// splitTCP splits /ip4/HOST/tcp/PORT/REST/p2p/ID into HOST, PORT and
// /REST/p2p/ID.
func splitTCP(t *testing.T, addr string) (host, port, rest string) {
	t.Helper()
	parts := strings.SplitN(strings.TrimPrefix(addr, "/"), "/", 5)
	if len(parts) < 5 || parts[0] != "ip4" || parts[2] != "tcp" {
		t.Fatalf("not /ip4/…/tcp/…: %s", addr)
	}
	return parts[1], parts[3], "/" + parts[4]
}
