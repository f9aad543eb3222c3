package node

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multihash"
	"github.com/samizdat/samizdat/bundle"
)

// TestProvidersKeepLinkPeers: the DHT's providers of a publisher's
// content, which anyone can announce, do not push the peers a reader was
// given for the publisher (a link's) out of its sources, however many
// there are. Before, both shared one list of maxPublisherSources, the
// oldest going first: a sync that looked up a dozen bundles' providers,
// each announced by peers that never serve, left the reader asking only
// them.
func TestProvidersKeepLinkPeers(t *testing.T) {
	const prefix = "/samizdat-test"
	publisher := bundle.PublisherID(publisherKey(3).Public().(ed25519.PublicKey))
	server := startNodeWith(t, Config{Serve: true, DHT: DHTServer, DHTPrefix: prefix})
	boot := []peer.AddrInfo{{ID: server.Host.ID(), Addrs: server.Host.Addrs()}}
	reader := startNodeWith(t, Config{DHT: DHTClient, DHTPrefix: prefix, Bootstrap: boot})
	linkPeer := startNode(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := reader.ConnectFor(ctx, publisher, peer.AddrInfo{ID: linkPeer.Host.ID(), Addrs: linkPeer.Host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	// Sybils announce themselves as providers of the publisher's bundles,
	// three of each, as many as a sync of a dozen bundles looks up.
	const bundles, each = 12, 3
	var cids []cid.Cid
	for i := range bundles {
		c, err := cid.V1Builder{Codec: cid.DagCBOR, MhType: multihash.SHA2_256}.Sum([]byte(fmt.Sprintf("bundle %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		cids = append(cids, c)
		for range each {
			h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.Close() })
			d, err := dht.New(h, dht.Mode(dht.ModeClient), dht.ProtocolPrefix(prefix), dht.BootstrapPeers(boot...))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Close() })
			if err := h.Connect(ctx, boot[0]); err != nil {
				t.Fatal(err)
			}
			waitRoutingTable(t, ctx, d)
			if err := d.Provide(ctx, c, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := reader.dht.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, c := range cids {
		found += reader.ConnectProviders(ctx, publisher, c, each)
	}
	if found <= maxPublisherSources {
		t.Fatalf("the reader connected to %d providers, want more than %d: the test proves nothing", found, maxPublisherSources)
	}
	if !slices.Contains(reader.SourcesFor(publisher), linkPeer.Host.ID()) {
		t.Errorf("after %d providers were found, the link's peer is no longer among the publisher's sources", found)
	}
}

// waitRoutingTable waits until d has a peer in its routing table.
func waitRoutingTable(t *testing.T, ctx context.Context, d *dht.IpfsDHT) {
	t.Helper()
	for d.RoutingTable().Size() == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("DHT routing table stayed empty")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
