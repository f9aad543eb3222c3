package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/ipfs/boxo/ipns"
	"github.com/ipfs/go-cid"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	record "github.com/libp2p/go-libp2p-record"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/samizdat/samizdat/bundle"
)

// DHTMode says how a node takes part in the Kademlia DHT.
type DHTMode int

const (
	// DHTOff: no DHT (the zero value).
	DHTOff DHTMode = iota
	// DHTClient queries the DHT but answers no one and stores nothing for
	// others: what a reader uses, and only when it has no peer to ask.
	DHTClient
	// DHTServer takes full part: mirrors and publishers.
	DHTServer
)

// defaultDHTPrefix is the IPFS DHT's protocol prefix: mirrors, heads
// (IPNS records) and bundles are then findable by any IPFS node too.
const defaultDHTPrefix = "/ipfs"

func newDHT(h host.Host, cfg Config) (*dht.IpfsDHT, error) {
	mode := dht.ModeClient
	if cfg.DHT == DHTServer {
		mode = dht.ModeServer
	}
	prefix := cfg.DHTPrefix
	if prefix == "" {
		prefix = defaultDHTPrefix
	}
	return dht.New(h,
		dht.Mode(mode),
		dht.ProtocolPrefix(protocol.ID(prefix)),
		dht.BootstrapPeers(cfg.Bootstrap...),
		dht.Validator(record.NamespacedValidator{
			"ipns": ipns.Validator{KeyBook: h.Peerstore()},
			"pk":   record.PublicKeyValidator{},
		}),
	)
}

var errNoDHT = errors.New("this node runs no DHT")

func headKey(publisher string) (string, error) {
	pid, err := peer.Decode(publisher)
	if err != nil {
		return "", err
	}
	return string(ipns.NameFromPeer(pid).RoutingKey()), nil
}

// PutHead stores a head record in the DHT under the publisher's IPNS name.
func (n *Node) PutHead(ctx context.Context, h *Head) error {
	if n.dht == nil {
		return errNoDHT
	}
	key, err := headKey(h.Publisher)
	if err != nil {
		return err
	}
	return n.dht.PutValue(ctx, key, h.Bytes())
}

// FindHead looks a publisher's head up in the DHT and checks it.
func (n *Node) FindHead(ctx context.Context, publisher string) (*Head, error) {
	if n.dht == nil {
		return nil, errNoDHT
	}
	id, err := bundle.NormalizePublisherID(publisher)
	if err != nil {
		return nil, err
	}
	key, err := headKey(id)
	if err != nil {
		return nil, err
	}
	data, err := n.dht.GetValue(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("head not found in the DHT: %w", err)
	}
	return ParseHead(id, data)
}

// Provide announces in the DHT that this node holds c. Readers never call
// it: a reader does not announce what it holds.
func (n *Node) Provide(ctx context.Context, c cid.Cid) error {
	if n.dht == nil {
		return errNoDHT
	}
	return n.dht.Provide(ctx, c, true)
}

// ConnectProviders finds up to max peers that provide c and connects to
// them; it returns how many it connected to.
func (n *Node) ConnectProviders(ctx context.Context, c cid.Cid, max int) int {
	if n.dht == nil {
		return 0
	}
	ok := 0
	for ai := range n.dht.FindProvidersAsync(ctx, c, max) {
		if ai.ID == n.Host.ID() || len(ai.Addrs) == 0 {
			continue
		}
		if n.Connect(ctx, ai) == nil {
			ok++
		}
	}
	return ok
}

// HasDHT reports whether the node runs a DHT.
func (n *Node) HasDHT() bool { return n.dht != nil }

// DHTPeers returns the size of the node's DHT routing table.
func (n *Node) DHTPeers() int {
	if n.dht == nil {
		return 0
	}
	return n.dht.RoutingTable().Size()
}

// Providers returns up to max providers of c the DHT knows.
func (n *Node) Providers(ctx context.Context, c cid.Cid, max int) []peer.ID {
	if n.dht == nil {
		return nil
	}
	var out []peer.ID
	for ai := range n.dht.FindProvidersAsync(ctx, c, max) {
		out = append(out, ai.ID)
	}
	return out
}
