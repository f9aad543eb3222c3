package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
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
	if _, err := Publish(ctx, pub.Node, pub.heads, key, b, time.Hour); err != nil {
		t.Fatal(err)
	}
	link(t, reader, pub)
	res, err := Sync(ctx, reader.Node, reader.heads, publisher, []peer.ID{pub.Host.ID()})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := WriteBundles(ctx, reader.Node, res, t.TempDir())
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
