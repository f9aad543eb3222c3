package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	mh "github.com/multiformats/go-multihash"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

// TestReaderAnnouncesNothing: a reader that fetched a publisher's bundles
// and read ten articles listens on no address, serves no samizdat
// protocol, joined no announcement topic, and its neighbours cannot fetch
// from it what it read.
func TestReaderAnnouncesNothing(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, ed25519.SeedSize))
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	_, b := pack(t, key, 1, 6)
	pub, reader, neighbour := start(t, true), start(t, false), start(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pub.as(key).Publish(ctx, b); err != nil {
		t.Fatal(err)
	}
	link(t, reader, pub)
	res, err := reader.svc.Sync(ctx, publisher, []peer.ID{pub.Host.ID()})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := reader.svc.WriteBundles(ctx, res, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got, err := bundle.Open(paths[0], bundle.OpenOptions{Publisher: publisher})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got.List()[:10] {
		if _, err := got.Body(a.ID); err != nil {
			t.Fatal(err)
		}
	}
	got.Close()

	if addrs := reader.Host.Addrs(); len(addrs) != 0 {
		t.Errorf("reader listens on %v", addrs)
	}
	for _, p := range []string{string(node.HeadProtocol), string(node.BundleProtocol), string(node.BlockProtocol)} {
		if slices.Contains(protocolsOf(reader), p) {
			t.Errorf("reader serves %s", p)
		}
	}
	if n := reader.TopicPeers(publisher); n != 0 {
		t.Errorf("reader is on the publisher's topic with %d peers", n)
	}
	// A neighbour that connects to the reader cannot fetch what it read.
	link(t, reader, neighbour) // the neighbour cannot dial the reader: it listens on nothing
	nctx, ncancel := context.WithTimeout(ctx, 3*time.Second)
	defer ncancel()
	if _, err := neighbour.GetBlock(nctx, b.Root); err == nil {
		t.Errorf("a neighbour fetched a block from the reader")
	}
}

func protocolsOf(n *testNode) []string {
	var out []string
	for _, p := range n.Host.Mux().Protocols() {
		out = append(out, string(p))
	}
	return out
}

// TestReaderAsksOnlyChosenPeers: a reader connected to a mirror it chose
// and to another peer it did not (as a DHT neighbour would be) sends no
// request of any kind for blocks, bundles or heads to the other peer.
func TestReaderAsksOnlyChosenPeers(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, ed25519.SeedSize))
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	_, b := pack(t, key, 1, 6)
	mir, reader, other := start(t, true), start(t, false), start(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Both serving nodes hold the bundle: the other peer could answer.
	for _, n := range []*testNode{mir, other} {
		if _, err := n.as(key).Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	asked := map[string]int{}
	for _, p := range other.Host.Mux().Protocols() {
		if strings.HasPrefix(string(p), "/samizdat/") || strings.HasPrefix(string(p), "/ipfs/bitswap") {
			other.Host.SetStreamHandler(p, func(s network.Stream) {
				mu.Lock()
				asked[string(p)]++
				mu.Unlock()
				s.Reset()
			})
		}
	}
	if err := reader.Host.Connect(ctx, peer.AddrInfo{ID: other.Host.ID(), Addrs: other.Host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	link(t, reader, mir) // the peer the reader chose
	res, err := reader.svc.Sync(ctx, publisher, []peer.ID{mir.Host.ID()})
	if err != nil || len(res.Fetched) != 1 {
		t.Fatalf("Sync() = %+v, %v", res, err)
	}
	// An article read later, and a block no one has, ask only the mirror.
	if _, err := reader.GetBlock(ctx, b.Blocks()[len(b.Blocks())-1]); err != nil {
		t.Fatal(err)
	}
	gctx, gcancel := context.WithTimeout(ctx, 3*time.Second)
	defer gcancel()
	reader.GetBlock(gctx, cid.NewCidV1(cid.Raw, must(mh.Sum([]byte("nobody has this"), mh.SHA2_256, -1))))
	if len(reader.Host.Network().ConnsToPeer(other.Host.ID())) == 0 {
		t.Fatal("the reader is no longer connected to the other peer: the test proves nothing")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 0 {
		t.Errorf("the reader asked a peer it did not choose: %v", asked)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
