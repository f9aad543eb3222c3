package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
)

// TestBulkNegotiationStall: a peer that takes a bundle stream and never
// answers its protocol negotiation (nor identify, so the reader does not
// know which protocols it speaks) is cut off within stallTimeout, not
// held until the fetch's own deadline: on a serving node every connected
// peer is a source, so one such peer held every sync that asked it for a
// whole file until syncTimeout (10 minutes), and left a Fetch no time
// for its HTTPS mirrors.
func TestBulkNegotiationStall(t *testing.T) {
	b := openBundle(t, testBundle(t, 1, 5, nil))
	defer b.Close()
	reader := startNode(t, false)
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); h.Close() })
	// Below the host's multistream handling: every stream the reader
	// opens is accepted and never answered.
	h.Network().SetStreamHandler(func(s network.Stream) {
		<-stop
		s.Reset()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 6*stallTimeout)
	defer cancel()
	if err := reader.Connect(ctx, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = reader.fetchBulk(ctx, h.ID(), b)
	took := time.Since(start)
	if err == nil {
		t.Fatal("fetchBulk() from a peer that never answered = nil")
	}
	if ctx.Err() != nil || took >= 2*stallTimeout {
		t.Fatalf("fetchBulk() held %v by a peer that never answered (stallTimeout %v): %v", took.Round(time.Millisecond), stallTimeout, err)
	}
}

// TestBulkSourcesBounded: a fetch asks at most maxBulkSources peers for
// the whole file before it takes the bundle block by block. Eight peers
// that serve blocks (so they rank as good sources) and take bundle
// requests without ever answering them cost it maxBulkSources stall
// timeouts, not eight: on a serving node every connected peer is a
// source, and a peer ID costs nothing to make.
func TestBulkSourcesBounded(t *testing.T) {
	const fakes = 8
	file := testBundle(t, 1, 5, nil)
	b := openBundle(t, file)
	defer b.Close()
	reader, honest := startNode(t, false), startNode(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 2*fakes*stallTimeout)
	defer cancel()
	if err := honest.AddBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	var asked []*atomic.Int64
	for range fakes {
		h, n := stallHost(t, BundleProtocol)
		serveBlocksOf(h, b)
		asked = append(asked, n)
		if err := reader.Connect(ctx, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}); err != nil {
			t.Fatal(err)
		}
		reader.served(h.ID(), nil) // they delivered before: asked first
	}
	connect(t, reader, honest)
	start := time.Now()
	var got bytes.Buffer
	if _, err := reader.FetchBundle(ctx, b.Root, bundle.OpenOptions{Publisher: b.Publisher}, &got); err != nil {
		t.Fatalf("FetchBundle() after %v = %v", time.Since(start).Round(time.Millisecond), err)
	}
	took := time.Since(start)
	if !bytes.Equal(got.Bytes(), file) {
		t.Fatal("FetchBundle() wrote other bytes")
	}
	total := int64(0)
	for _, n := range asked {
		total += n.Load()
	}
	if total == 0 {
		t.Fatal("no stalling peer was asked for the file: the test proves nothing")
	}
	if total > maxBulkSources || took >= (maxBulkSources+2)*stallTimeout {
		t.Fatalf("FetchBundle() asked %d stalling peers for the file and took %v, want at most %d of them (stallTimeout %v)", total, took.Round(time.Millisecond), maxBulkSources, stallTimeout)
	}
	t.Logf("%d stalling peers asked for the file, %v", total, took.Round(time.Millisecond))
}

// serveBlocksOf makes h answer block requests for b's blocks, as a peer
// that behaves until it matters does.
func serveBlocksOf(h host.Host, b *bundle.Bundle) {
	h.SetStreamHandler(BlockProtocol, func(s network.Stream) {
		defer s.Close()
		req, err := readFrame(bufio.NewReader(s), maxCIDLen)
		if err != nil {
			s.Reset()
			return
		}
		_, c, err := cid.CidFromBytes(req)
		data, berr := b.Block(c)
		if err != nil || berr != nil {
			writeStatus(s, bulkNotFound)
			return
		}
		s.Write(append(binary.AppendUvarint([]byte{bulkOK}, uint64(len(data))), data...))
	})
}
