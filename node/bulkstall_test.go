package node

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
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
