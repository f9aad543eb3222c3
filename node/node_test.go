package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/corpus"
)

func testBundle(t *testing.T, seed int64, n int, base []byte) []byte {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	p, err := bundle.NewPacker(bundle.PackOptions{Key: key, Seq: uint64(seed), Dict: base, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, d := range corpus.Generate(1, n, 2<<10, 8<<10)[:n] {
		body := d.Body
		if seed > 1 && d.Lang == "en" { // the second bundle changes the English articles
			body += "\n\nUpdated."
		}
		if err := p.Add(&bundle.Article{ID: d.ID, Title: d.Title, Lang: d.Lang, ContentType: "text/markdown", Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := p.Pack(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func startNode(t *testing.T, serve bool) *Node {
	t.Helper()
	return startNodeWith(t, Config{Serve: serve})
}

// startNodeWith starts a node with cfg, listening on loopback.
func startNodeWith(t *testing.T, cfg Config) *Node {
	t.Helper()
	repo, err := OpenRepo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
	n, err := New(context.Background(), repo, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func openBundle(t *testing.T, data []byte) *bundle.Bundle {
	t.Helper()
	b, err := bundle.OpenReader(bytes.NewReader(data), int64(len(data)), bundle.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func connect(t *testing.T, from, to *Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := from.Connect(ctx, peer.AddrInfo{ID: to.Host.ID(), Addrs: to.Host.Addrs()}); err != nil {
		t.Fatal(err)
	}
}

// TestFetchBundle: a reader fetches a bundle from a mirror over loopback,
// gets the publisher's exact file, and on the next bundle fetches only the
// blocks that changed.
func TestFetchBundle(t *testing.T) {
	first := testBundle(t, 1, 60, nil)
	b1 := openBundle(t, first)
	second := testBundle(t, 2, 60, b1.Dictionary())
	b2 := openBundle(t, second)

	mirror, reader := startNode(t, true), startNode(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, b := range []*bundle.Bundle{b1, b2} {
		if err := mirror.AddBundle(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	connect(t, reader, mirror)

	var got bytes.Buffer
	info, err := reader.FetchBundle(ctx, b1.Root, bundle.OpenOptions{Publisher: b1.Publisher}, &got)
	if err != nil {
		t.Fatalf("FetchBundle() = %v", err)
	}
	if !bytes.Equal(got.Bytes(), first) || info.Seq != 1 {
		t.Fatalf("fetched bundle differs from the publisher's file")
	}
	// Received whole, the file is synced and renamed into place in the
	// background; SyncBlocks (before any head is stored) waits for it.
	if err := reader.SyncBlocks(); err != nil {
		t.Fatal(err)
	}
	if onDisk, err := os.ReadFile(filepath.Join(reader.repo.Dir(), bundlesDir, b1.Root.String()+".car")); err != nil || !bytes.Equal(onDisk, first) {
		t.Fatalf("after SyncBlocks the bundle file is not in place: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(reader.repo.Dir(), bundlesDir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left after SyncBlocks: %v", left)
	}
	if sent, recv := mirror.Sent(), reader.Received().Bytes; sent < uint64(len(first)) || recv < uint64(len(first)) {
		t.Errorf("mirror sent %d bytes, reader received %d; the bundle file is %d", sent, recv, len(first))
	}
	before := reader.Received()

	// Second bundle: only blocks not already held travel.
	shared := 0
	have := map[cid.Cid]bool{}
	for _, c := range b1.Blocks() {
		have[c] = true
	}
	for _, c := range b2.Blocks() {
		if have[c] {
			shared++
		}
	}
	got.Reset()
	if _, err := reader.FetchBundle(ctx, b2.Root, bundle.OpenOptions{}, &got); err != nil {
		t.Fatalf("FetchBundle(second) = %v", err)
	}
	if !bytes.Equal(got.Bytes(), second) {
		t.Fatalf("second fetched bundle differs")
	}
	after := reader.Received()
	received := int(after.Blocks - before.Blocks)
	if want := len(b2.Blocks()) - shared; received != want || shared == 0 {
		t.Errorf("second fetch received %d blocks, want %d (of %d; %d shared with the first)", received, want, len(b2.Blocks()), shared)
	}
	t.Logf("second bundle: %d blocks, %d shared, %d fetched", len(b2.Blocks()), shared, received)
}

// TestReaderDoesNotServe: a reader's blocks are not served to others.
func TestReaderDoesNotServe(t *testing.T) {
	data := testBundle(t, 1, 5, nil)
	b := openBundle(t, data)
	holder, asker := startNode(t, false), startNode(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := holder.AddBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	connect(t, asker, holder)
	_, err := asker.FetchBundle(ctx, b.Root, bundle.OpenOptions{}, &bytes.Buffer{})
	if err == nil {
		t.Fatalf("a non-serving reader served a bundle")
	}
}

func TestRepoLock(t *testing.T) {
	dir := t.TempDir()
	r, err := OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRepo(dir); !errors.Is(err, ErrRepoLocked) {
		t.Errorf("second OpenRepo() = %v, want ErrRepoLocked", err)
	}
	id1 := r.key.GetPublic()
	r.Close()
	r2, err := OpenRepo(dir)
	if err != nil {
		t.Fatalf("OpenRepo() after Close = %v", err)
	}
	defer r2.Close()
	if !r2.key.GetPublic().Equals(id1) {
		t.Errorf("node identity changed across restarts")
	}
	if st, _ := os.Stat(filepath.Join(dir, keyName)); st.Mode().Perm() != 0o600 {
		t.Errorf("node key mode = %v, want 0600", st.Mode().Perm())
	}
}

// TestRememberedPeers: a node restarted on its repo reconnects to the
// peers that worked before, without being told.
func TestRememberedPeers(t *testing.T) {
	dir := t.TempDir()
	repo, err := OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), repo, Config{})
	if err != nil {
		t.Fatal(err)
	}
	b := startNode(t, true)
	connect(t, a, b)
	if err := a.RememberPeers(); err != nil {
		t.Fatal(err)
	}
	a.Close()
	repo.Close()

	repo2, err := OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo2.Close()
	a2, err := New(context.Background(), repo2, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if n := a2.DialRemembered(ctx); n != 1 || len(a2.Host.Network().ConnsToPeer(b.Host.ID())) == 0 {
		t.Errorf("DialRemembered() = %d, want the one remembered peer connected", n)
	}
}

// TestDropKeepsSharedBlocks: two bundles share the blocks of unchanged
// articles; dropping either leaves the other whole and served.
func TestDropKeepsSharedBlocks(t *testing.T) {
	first := testBundle(t, 1, 30, nil)
	b1 := openBundle(t, first)
	b2 := openBundle(t, testBundle(t, 2, 30, b1.Dictionary()))
	held := b1.Blocks()
	if !slices.ContainsFunc(b2.Blocks(), func(c cid.Cid) bool { return slices.Contains(held, c) }) {
		t.Fatal("the two bundles share no block: the test proves nothing")
	}
	ctx := context.Background()
	tests := []struct {
		name       string
		drop, keep *bundle.Bundle
	}{
		{"drop the first", b1, b2},
		{"drop the second", b2, b1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := startNode(t, true)
			for _, b := range []*bundle.Bundle{b1, b2} {
				if err := n.AddBundle(ctx, b); err != nil {
					t.Fatal(err)
				}
			}
			if err := n.DropBundle(tt.drop.Root); err != nil {
				t.Fatal(err)
			}
			for _, c := range tt.keep.Blocks() {
				if _, ok := n.local(ctx, c); !ok {
					t.Fatalf("after dropping bundle %d, block %s of bundle %d is gone", tt.drop.Seq, c, tt.keep.Seq)
				}
			}
			if got := n.HasBundle(ctx, tt.keep.Root); !got {
				t.Errorf("HasBundle(kept bundle %d) = %v, want true", tt.keep.Seq, got)
			}
			if got := n.HasBundle(ctx, tt.drop.Root); got {
				t.Errorf("HasBundle(dropped bundle %d) = %v, want false", tt.drop.Seq, got)
			}
		})
	}
}

// TestRelayServiceOptIn: only a node configured for it offers the circuit
// relay hop protocol.
func TestRelayServiceOptIn(t *testing.T) {
	const hop = "/libp2p/circuit/relay/0.2.0/hop"
	has := func(n *Node) bool {
		for _, p := range n.Host.Mux().Protocols() {
			if string(p) == hop {
				return true
			}
		}
		return false
	}
	plain := startNode(t, true)
	repo, err := OpenRepo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	relay, err := New(context.Background(), repo, Config{Serve: true, RelayService: true, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	if has(plain) {
		t.Errorf("a node without RelayService offers %s", hop)
	}
	// The service starts once the host has taken its reachability in.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for !has(relay) {
		select {
		case <-ctx.Done():
			t.Fatalf("a node with RelayService does not offer %s", hop)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestReachedThroughRelay: a mirror behind NAT reserves a slot on its
// relay, and a reader that knows only the relayed address gets a block
// from it.
func TestReachedThroughRelay(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	open := func(cfg Config) *Node {
		repo, err := OpenRepo(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { repo.Close() })
		n, err := New(ctx, repo, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		return n
	}
	relay := open(Config{Serve: true, RelayService: true, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	for !slices.Contains(relay.Host.Mux().Protocols(), "/libp2p/circuit/relay/0.2.0/hop") {
		select {
		case <-ctx.Done():
			t.Fatal("the relay never offered its service")
		case <-time.After(10 * time.Millisecond):
		}
	}
	relayInfo := peer.AddrInfo{ID: relay.Host.ID(), Addrs: relay.Host.Addrs()}
	hidden := open(Config{Serve: true, Relays: []peer.AddrInfo{relayInfo}, BehindNAT: true, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	b := openBundle(t, testBundle(t, 1, 3, nil))
	if err := hidden.AddBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	// libp2p lists relayed addresses only for public relays; on loopback
	// the reader builds the address itself, and dials until the hidden
	// node's reservation is in place.
	circuit := ma.StringCast(relay.Host.Addrs()[0].String() + "/p2p/" + relay.Host.ID().String() + "/p2p-circuit")
	reader := startNode(t, false)
	for reader.Connect(ctx, peer.AddrInfo{ID: hidden.Host.ID(), Addrs: []ma.Multiaddr{circuit}}) != nil {
		select {
		case <-ctx.Done():
			t.Fatal("never reached the hidden mirror through its relay")
		case <-time.After(100 * time.Millisecond):
		}
	}
	for _, c := range reader.Host.Network().ConnsToPeer(hidden.Host.ID()) {
		if !strings.Contains(c.RemoteMultiaddr().String(), "/p2p-circuit") {
			t.Fatalf("reader reached the hidden mirror directly, at %s: the test proves nothing", c.RemoteMultiaddr())
		}
	}
	got, err := reader.GetBlock(ctx, b.Root)
	if err != nil {
		t.Fatalf("GetBlock through the relay: %v", err)
	}
	if want, _ := b.Block(b.Root); !bytes.Equal(got, want) {
		t.Errorf("block through the relay differs")
	}
}
