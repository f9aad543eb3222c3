package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

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
		// kad-dht's default store is in memory and unbounded.
		dht.Datastore(newDHTStore(maxDHTStore)),
		dht.Validator(record.NamespacedValidator{
			"ipns": ipns.Validator{KeyBook: h.Peerstore()},
			"pk":   record.PublicKeyValidator{},
		}),
	)
}

var errNoDHT = errors.New("this node runs no DHT")

// PutHead stores a head's IPNS record in the DHT under the IPNS name it
// is valid for: the publisher's for a root-signed head, the head key's
// for a delegated one (any IPFS DHT node accepts either).
func (n *Node) PutHead(ctx context.Context, h *Head) error {
	if n.dht == nil {
		return errNoDHT
	}
	return n.dht.PutValue(ctx, string(h.IPNSName().RoutingKey()), h.Record())
}

// FindHead looks a publisher's head up in the DHT and checks it: the
// record under the publisher's own IPNS name (a root-signed head) and,
// when the node holds a delegated head of the publisher, the records
// under the names of the head keys its publisher document lists, still
// in their window (at most maxHeadKeyLookups), each joined with that
// document. A newer document is never learned here: it comes with a
// head from a peer, HTTP or an import. It returns the head the head rule
// prefers among those found.
func (n *Node) FindHead(ctx context.Context, publisher string) (*Head, error) {
	if n.dht == nil {
		return nil, errNoDHT
	}
	id, err := bundle.NormalizePublisherID(publisher)
	if err != nil {
		return nil, err
	}
	held, _ := n.repo.heads.held(id)
	var found []*Head
	var errs []error
	for _, l := range RecordLookups(id, held, time.Now()) {
		h, err := n.findRecord(ctx, l.Key, l.Parse)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		found = append(found, h)
	}
	best, _ := Newest(nil, found...)
	if best == nil {
		return nil, fmt.Errorf("head not found in the DHT: %w", errors.Join(errs...))
	}
	return best, nil
}

// RecordLookup is one IPNS record a node looks up where records travel
// alone (the DHT, an IPFS gateway's /ipns/), and how it makes a head of
// what it finds.
type RecordLookup struct {
	Key   ed25519.PublicKey // the record's signer
	Name  string            // its IPNS name: Key's peer ID
	Parse func(record []byte) (*Head, error)
}

// RecordLookups returns the records to look up for publisher, given the
// stored head held (nil for none): while held is bare or absent, the one
// under the publisher's own name (a root-signed head); once held is
// delegated, those under the names of its document's head keys whose
// window has not closed at now, at most maxHeadKeyLookups, in the
// document's order, each wrapped with that document (WrapRecord). A
// bare head would be a rollback then (protocol.md §4.4), so the
// publisher's own name is not asked. A newer document is never learned
// this way.
func RecordLookups(publisher string, held *Head, now time.Time) []RecordLookup {
	if held == nil || held.Authority == nil {
		root, err := bundle.ParsePublisherID(publisher)
		if err != nil {
			return nil
		}
		return []RecordLookup{{Key: root, Name: bundle.PublisherID(root), Parse: func(rec []byte) (*Head, error) {
			return ParseHead(publisher, rec)
		}}}
	}
	auth := held.Authority
	var out []RecordLookup
	for _, hk := range auth.HeadKeys {
		if len(out) == maxHeadKeyLookups || hk.Until.Before(now) {
			continue
		}
		out = append(out, RecordLookup{Key: hk.Key, Name: bundle.PublisherID(hk.Key), Parse: func(rec []byte) (*Head, error) {
			return WrapRecord(auth, hk.Key, rec)
		}})
	}
	return out
}

// findRecord gets the IPNS record of key's name from the DHT and parses it
// with parse.
func (n *Node) findRecord(ctx context.Context, key ed25519.PublicKey, parse func([]byte) (*Head, error)) (*Head, error) {
	pid, err := peerID(key)
	if err != nil {
		return nil, err
	}
	data, err := n.dht.GetValue(ctx, string(ipns.NameFromPeer(pid).RoutingKey()))
	if err != nil {
		return nil, err
	}
	return parse(data)
}

// Provide announces in the DHT that this node holds c. Readers never call
// it: a reader does not announce what it holds.
func (n *Node) Provide(ctx context.Context, c cid.Cid) error {
	if n.dht == nil {
		return errNoDHT
	}
	return n.dht.Provide(ctx, c, true)
}

// ConnectProviders finds up to max peers that provide c, one of
// publisher's catalogs or bundles, and connects to them as sources of
// publisher's only, as ConnectFor does, but apart from the peers the
// caller chose: providers found never push those out (sources.found);
// it returns how many it connected to.
func (n *Node) ConnectProviders(ctx context.Context, publisher string, c cid.Cid, max int) int {
	if n.dht == nil {
		return 0
	}
	ok := 0
	for ai := range n.dht.FindProvidersAsync(ctx, c, max) {
		if ai.ID == n.Host.ID() || len(ai.Addrs) == 0 {
			continue
		}
		if n.connectFor(ctx, publisher, ai, &n.sources.found) == nil {
			ok++
		}
	}
	return ok
}

// HasDHT reports whether the node runs a DHT.
func (n *Node) HasDHT() bool { return n.dht != nil }

// RepoDir is the directory of the node's repo: where temporary files
// that may be large belong, rather than a tmpfs.
func (n *Node) RepoDir() string { return n.repo.dir }

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
