package node

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
)

// TestPeerErrors: whatever path a block or bundle comes by, a peer that
// sends other bytes is ErrHashMismatch, and one that does not hold what
// was asked is ErrNotFound, as is a bundle the node itself does not hold.
func TestPeerErrors(t *testing.T) {
	data := testBundle(t, 1, 5, nil)
	b := openBundle(t, data)
	defer b.Close()
	block := b.Blocks()[0]

	reader, empty, liar := startNode(t, false), startNode(t, true), startNode(t, true)
	connect(t, reader, empty)
	connect(t, reader, liar)
	// The liar answers every block request with the same wrong bytes.
	liar.Host.SetStreamHandler(BlockProtocol, func(s network.Stream) {
		defer s.Close()
		if _, err := readFrame(bufio.NewReader(s), maxCIDLen); err != nil {
			s.Reset()
			return
		}
		wrong := []byte("not the block you asked for")
		s.Write(append(binary.AppendUvarint([]byte{bulkOK}, uint64(len(wrong))), wrong...))
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"block from a liar", func() error { _, err := reader.requestBlock(ctx, liar.Host.ID(), block); return err }, bundle.ErrHashMismatch},
		{"block a peer lacks", func() error { _, err := reader.requestBlock(ctx, empty.Host.ID(), block); return err }, bundle.ErrNotFound},
		{"bundle a peer lacks", func() error { return reader.fetchBulk(ctx, empty.Host.ID(), b) }, bundle.ErrNotFound},
		{"bundle not held", func() error { return reader.copyBundle(b.Root, new(bytes.Buffer)) }, bundle.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
			if errKind(err) == "transport" {
				t.Errorf("errKind(%v) = transport, want its kind", err)
			}
		})
	}
}

// TestSourcesFor: a reader asks a peer chosen for one publisher about
// that publisher only, a peer chosen for all about every one; a serving
// node asks every connected peer.
func TestSourcesFor(t *testing.T) {
	pubID := func(seed byte) string { return bundle.PublisherID(publisherKey(seed).Public().(ed25519.PublicKey)) }
	pubA, pubB := pubID(1), pubID(2)
	reader, server := startNode(t, false), startNode(t, true)
	all, forA, forB := startNode(t, true), startNode(t, true), startNode(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range []*Node{reader, server} {
		connect(t, n, all)
		for _, c := range []struct {
			pub string
			to  *Node
		}{{pubA, forA}, {pubB, forB}} {
			if err := n.ConnectFor(ctx, c.pub, peer.AddrInfo{ID: c.to.Host.ID(), Addrs: c.to.Host.Addrs()}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ids := func(ns ...*Node) []peer.ID {
		var out []peer.ID
		for _, n := range ns {
			out = append(out, n.Host.ID())
		}
		slices.Sort(out)
		return out
	}
	sorted := func(ps []peer.ID) []peer.ID { return slices.Sorted(slices.Values(ps)) }
	tests := []struct {
		name      string
		n         *Node
		publisher string
		want      []peer.ID
	}{
		{"reader, no publisher", reader, "", ids(all)},
		{"reader, A", reader, pubA, ids(all, forA)},
		{"reader, B", reader, pubB, ids(all, forB)},
		{"reader, another", reader, pubID(3), ids(all)},
		{"reader, not a publisher ID", reader, "nonsense", ids(all)},
		{"server, A", server, pubA, ids(all, forA, forB)},
		{"server, no publisher", server, "", ids(all, forA, forB)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sorted(tc.n.SourcesFor(tc.publisher)); !slices.Equal(got, tc.want) {
				t.Errorf("SourcesFor(%q) = %v, want %v", tc.publisher, got, tc.want)
			}
		})
	}

}
