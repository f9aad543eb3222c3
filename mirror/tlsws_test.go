package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/dpiproxy"
	"github.com/samizdat/samizdat/node"
)

// libp2p's protocol names, which its negotiation (multistream-select)
// sends in clear on plain TCP and WebSocket, and which a censor's DPI can
// match; "libp2p" is the ALPN and certificate extension of libp2p's TLS
// handshake.
var libp2pStrings = []string{"/multistream/1.0.0", "/noise", "/tls/1.0.0", "/yamux", "libp2p"}

// startListening starts a serving node listening on the given addresses.
func startListening(t testing.TB, listen ...string) *testNode {
	t.Helper()
	repo, err := node.OpenRepo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(context.Background(), repo, node.Config{Serve: true, Listen: listen})
	if err != nil {
		repo.Close()
		t.Fatal(err)
	}
	tn := wrap(n, repo)
	t.Cleanup(tn.stop)
	return tn
}

// addrOf returns the node's listen address that pred accepts.
func addrOf(t testing.TB, n *testNode, pred func(ma.Multiaddr) bool) ma.Multiaddr {
	t.Helper()
	for _, a := range n.Host.Addrs() {
		if pred(a) {
			return a
		}
	}
	t.Fatalf("no such address among %v", n.Host.Addrs())
	return nil
}

// TestSyncOverTLSWS: a mirror that listens only on /tls/ws, with the
// certificate it made itself, carries a publisher that has gone offline;
// a reader that knows only the mirror's /tls/ws address gets the newest
// head and every bundle, verified and byte-identical.
func TestSyncOverTLSWS(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{21}, ed25519.SeedSize))
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	file1, b1 := pack(t, key, 1, 1)
	file2, b2 := pack(t, key, 2, 2)
	pub := start(t, true)
	mir := startListening(t, "/ip4/127.0.0.1/tcp/0/tls/ws")
	reader := start(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, b := range []*bundle.Bundle{b1, b2} {
		if _, err := pub.as(key).Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	link(t, mir, pub)
	if res, err := mir.svc.Sync(ctx, publisher, []peer.ID{pub.Host.ID()}); err != nil || res.Head.Seq != 2 {
		t.Fatalf("mirror Sync() = %+v, %v", res, err)
	}
	pub.Close()

	addrs := mir.Host.Addrs()
	if len(addrs) != 1 || !node.IsTLSWS(addrs[0]) {
		t.Fatalf("mirror listens on %v, want only /tls/ws", addrs)
	}
	if err := reader.Connect(ctx, peer.AddrInfo{ID: mir.Host.ID(), Addrs: addrs}); err != nil {
		t.Fatal(err)
	}
	res, err := reader.svc.Sync(ctx, publisher, []peer.ID{mir.Host.ID()})
	if err != nil || res.Head.Seq != 2 || len(res.Fetched) != 2 {
		t.Fatalf("reader Sync() over /tls/ws = %+v, %v", res, err)
	}
	paths, err := reader.svc.WriteBundles(ctx, res, t.TempDir())
	if err != nil || len(paths) != 2 {
		t.Fatalf("WriteBundles() = %v, %v", paths, err)
	}
	want := map[uint64][]byte{1: file1, 2: file2}
	for _, p := range paths {
		got, _ := os.ReadFile(p)
		b, err := bundle.Open(p, bundle.OpenOptions{Publisher: publisher})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want[b.Seq]) {
			t.Errorf("bundle %d differs from the publisher's", b.Seq)
		}
		b.Close()
	}
}

// TestDPI puts a user-space DPI box (internal/dpiproxy) between a reader
// and a mirror and looks at what it reads on each transport. On plain TCP
// and plain WebSocket it reads libp2p's negotiation (the WebSocket
// client masks its frames, the server does not), and a censor that cuts
// connections carrying "/multistream/1.0.0" stops the reader. On /tls/ws
// it reads a ClientHello without SNI, then nothing it can match, and the
// reader gets the head and the bundle through it even when it cuts.
func TestDPI(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{22}, ed25519.SeedSize))
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	file, b := packN(t, key, 1, 7, 200)
	mir := startListening(t, "/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/tcp/0/ws", "/ip4/127.0.0.1/tcp/0/tls/ws")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := mir.as(key).Publish(ctx, b); err != nil {
		t.Fatal(err)
	}
	isWS := func(a ma.Multiaddr) bool {
		_, err := a.ValueForProtocol(ma.P_WS)
		return err == nil && !node.IsTLSWS(a)
	}
	isTCP := func(a ma.Multiaddr) bool { return !isWS(a) && !node.IsTLSWS(a) }
	transports := []struct {
		name string
		addr ma.Multiaddr
		tail string // the multiaddr after /tcp/PORT
	}{
		{"tcp", addrOf(t, mir, isTCP), ""},
		{"ws", addrOf(t, mir, isWS), "/ws"},
		{"tls/ws", addrOf(t, mir, node.IsTLSWS), "/tls/ws"},
	}

	// fetch syncs a fresh reader from the mirror through proxy; it
	// reports whether the reader got the head and the bundle, and checks
	// what it got.
	fetch := func(t *testing.T, proxy *dpiproxy.Proxy, tail string) bool {
		reader := start(t, false)
		defer reader.stop()
		through := ma.StringCast("/ip4/127.0.0.1/tcp/" + proxy.PortString() + tail)
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		err := reader.Connect(cctx, peer.AddrInfo{ID: mir.Host.ID(), Addrs: []ma.Multiaddr{through}})
		ccancel()
		if err != nil {
			return false
		}
		sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
		res, err := reader.svc.Sync(sctx, publisher, []peer.ID{mir.Host.ID()})
		scancel()
		if err != nil || res.Head.Seq != 1 || len(res.Fetched) != 1 {
			return false
		}
		paths, err := reader.svc.WriteBundles(ctx, res, t.TempDir())
		if err != nil || len(paths) != 1 {
			t.Fatalf("WriteBundles() = %v, %v", paths, err)
		}
		if got, _ := os.ReadFile(paths[0]); !bytes.Equal(got, file) {
			t.Fatal("the bundle differs from the publisher's")
		}
		return true
	}

	for _, tr := range transports {
		t.Run("observe/"+tr.name, func(t *testing.T) {
			port, _ := tr.addr.ValueForProtocol(ma.P_TCP)
			proxy, err := dpiproxy.Start(net.JoinHostPort("127.0.0.1", port), dpiproxy.Observe, libp2pStrings...)
			if err != nil {
				t.Fatal(err)
			}
			defer proxy.Close()
			if !fetch(t, proxy, tr.tail) {
				t.Fatalf("no fetch over %s through an observing proxy", tr.name)
			}
			// The bundle crossed the proxy, not some other path.
			if got := proxy.Bytes(dpiproxy.ToClient); got < int64(len(file)) {
				t.Fatalf("only %d bytes through the proxy, the bundle is %d", got, len(file))
			}
			ms := "/multistream/1.0.0"
			t.Logf("%s: seen %q; %q %d times to the server, %d to the client; %d bytes to the client",
				tr.name, proxy.Seen(), ms, proxy.Hits(ms, dpiproxy.ToServer), proxy.Hits(ms, dpiproxy.ToClient), proxy.Bytes(dpiproxy.ToClient))
			switch tr.name {
			case "tcp":
				if proxy.Hits(ms, dpiproxy.ToServer) == 0 || proxy.Hits(ms, dpiproxy.ToClient) == 0 {
					t.Errorf("the proxy did not read %q both ways on plain TCP", ms)
				}
			case "ws":
				if proxy.Hits(ms, dpiproxy.ToClient) == 0 {
					t.Errorf("the proxy did not read %q in the server's WebSocket frames", ms)
				}
			case "tls/ws":
				if seen := proxy.Seen(); len(seen) != 0 {
					t.Errorf("the proxy read %q on /tls/ws", seen)
				}
				hellos := proxy.ClientHellos()
				if len(hellos) == 0 {
					t.Fatal("no TLS ClientHello on /tls/ws")
				}
				for _, h := range hellos {
					if h.SNI != "" || !slices.Equal(h.ALPN, []string{"http/1.1"}) {
						t.Errorf("ClientHello with SNI %q, ALPN %q; want none, [http/1.1]", h.SNI, h.ALPN)
					}
				}
			}
		})
	}
	for _, tr := range transports {
		t.Run("block/"+tr.name, func(t *testing.T) {
			port, _ := tr.addr.ValueForProtocol(ma.P_TCP)
			proxy, err := dpiproxy.Start(net.JoinHostPort("127.0.0.1", port), dpiproxy.Reset, "/multistream/1.0.0")
			if err != nil {
				t.Fatal(err)
			}
			defer proxy.Close()
			ok := fetch(t, proxy, tr.tail)
			if want := tr.name == "tls/ws"; ok != want {
				t.Errorf("fetch over %s through a censor that cuts on %q: got it %v, want %v", tr.name, "/multistream/1.0.0", ok, want)
			}
			if proxy.Conns() == 0 {
				t.Error("nothing went through the proxy")
			}
		})
	}
}
