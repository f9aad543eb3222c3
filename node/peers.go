package node

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/internal/settle"
)

// peersFile remembers peers that worked, so a restart does not depend on
// a bootstrap list a censor can block.
const peersFile = "peers"

// maxRememberedPeers bounds the remembered peers.
const maxRememberedPeers = 64

// RememberPeers writes the addresses of the connected peers the node
// fetches from for every publisher (Sources; those that have listen
// addresses) to the repo, atomically. A reader does not remember the
// peers it chose for one publisher (ConnectFor): remembered peers are
// dialled with Connect at the next start, and would be asked about every
// publisher it follows; its follow list keeps a link's peers instead.
func (n *Node) RememberPeers() error {
	var buf bytes.Buffer
	count := 0
	for _, p := range n.Sources() {
		if count >= maxRememberedPeers {
			break
		}
		for _, a := range n.Host.Peerstore().Addrs(p) {
			buf.WriteString(a.Encapsulate(ma.StringCast("/p2p/" + p.String())).String())
			buf.WriteByte('\n')
		}
		count++
	}
	if count == 0 {
		return nil // keep the last good list rather than forget it
	}
	return atomicfile.WriteBytes(filepath.Join(n.repo.dir, peersFile), 0o600, buf.Bytes())
}

// RememberedPeers reads the peers RememberPeers wrote.
func (n *Node) RememberedPeers() []peer.AddrInfo {
	data, err := os.ReadFile(filepath.Join(n.repo.dir, peersFile))
	if err != nil {
		return nil
	}
	var addrs []ma.Multiaddr
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if a, err := ma.NewMultiaddr(sc.Text()); err == nil {
			addrs = append(addrs, a)
		}
	}
	infos, err := peer.AddrInfosFromP2pAddrs(addrs...)
	if err != nil {
		return nil
	}
	return infos
}

// DialRemembered connects to the remembered peers (DialFirst); it
// returns how many answered by the time it returns.
func (n *Node) DialRemembered(ctx context.Context) int {
	var targets []DialTarget
	for _, ai := range n.RememberedPeers() {
		if ai.ID != n.Host.ID() {
			targets = append(targets, DialTarget{Info: ai})
		}
	}
	connected, _ := n.DialFirst(ctx, targets, 0, nil)
	return connected
}

// DialTarget is a peer to dial: for every publisher (Publisher ""), as
// Connect does, or for one publisher only, as ConnectFor does.
type DialTarget struct {
	Info      peer.AddrInfo
	Publisher string
}

// DialFirst dials targets at once (settle.Run: dialParallel at a time,
// a dial that has not connected within dialSlot yielding its place, each
// within dialTimeout) and returns how many connected, once every dial has
// ended or DialSettle after the first connected, whichever comes first:
// one black-holed address does not hold a reader for a dial timeout once
// another peer has answered. With patience > 0, it also returns when no
// dial has connected by then: for a caller with another path to try.
// Dials under way when it returns go on until they end or ctx does (a
// peer that connects late is a source like the others), but no other
// starts: started says how many targets, the first ones, were dialled.
// done, if not nil, is called with each dialled target's index and
// outcome, also after DialFirst has returned, from any goroutine.
func (n *Node) DialFirst(ctx context.Context, targets []DialTarget, patience time.Duration, done func(i int, err error)) (connected, started int) {
	opts := settle.Options{Parallel: dialParallel, Slot: dialSlot, Grace: DialSettle, Patience: patience}
	out := settle.Run(ctx, len(targets), opts, func(i int) error {
		err := n.dialTarget(ctx, targets[i])
		if done != nil {
			done(i, err)
		}
		return err
	})
	return len(out.OK), out.Started
}

// dialTarget makes one of DialFirst's dials.
func (n *Node) dialTarget(ctx context.Context, t DialTarget) error {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	if t.Publisher == "" {
		return n.Connect(ctx, t.Info)
	}
	return n.ConnectFor(ctx, t.Publisher, t.Info)
}

// sources is what a node knows of the peers it fetches from: which it
// chose, for whom, and how they served lately. The zero value is ready.
type sources struct {
	mu sync.Mutex
	// global are the peers chosen for every publisher: those the user
	// named, the remembered ones, neighbours found on the LAN.
	global map[peer.ID]bool
	// per are the peers chosen for one publisher only, oldest first: its
	// link's peers, those the caller named (ConnectFor). found are the
	// providers of its catalog and bundles the DHT named
	// (ConnectProviders): anyone can announce himself a provider, so
	// they are kept apart, each list within maxPublisherSources, and
	// however many are found they never push out a peer the reader was
	// given.
	per, found map[string][]peer.ID
	// records says how peers served lately.
	records map[peer.ID]sourceRecord
}

// sourceRecord is how a peer served lately: good when it delivered, bad
// when a request failed (a timeout, a transfer too slow, bytes that were
// not what was asked for, a broken stream). A peer that only said it
// lacks something gets no record.
type sourceRecord struct {
	good  bool
	until time.Time // forgotten then
}

// Source ranks: the order in which a node asks its sources.
const (
	rankGood = iota
	rankUnknown
	rankBad
)

// Connect dials a peer the caller chose to fetch from for every
// publisher: a peer the user named, a remembered one, a neighbour on the
// LAN. A peer chosen for one publisher (a link's peer, a provider of its
// content) is connected with ConnectFor instead.
func (n *Node) Connect(ctx context.Context, ai peer.AddrInfo) error {
	if err := n.Host.Connect(ctx, ai); err != nil {
		return err
	}
	n.sources.mu.Lock()
	defer n.sources.mu.Unlock()
	if n.sources.global == nil {
		n.sources.global = make(map[peer.ID]bool)
	}
	n.sources.global[ai.ID] = true
	return nil
}

// ConnectFor dials a peer the caller chose to fetch publisher's heads,
// catalogs and bundles from, and from no one else's: a reader asks it
// nothing about any other publisher, so it learns only that the reader
// follows this one. A node keeps the last maxPublisherSources peers so
// chosen for each publisher.
func (n *Node) ConnectFor(ctx context.Context, publisher string, ai peer.AddrInfo) error {
	return n.connectFor(ctx, publisher, ai, &n.sources.per)
}

// connectFor connects ai as a source of publisher's in list (per or
// found), keeping the last maxPublisherSources there.
func (n *Node) connectFor(ctx context.Context, publisher string, ai peer.AddrInfo, list *map[string][]peer.ID) error {
	id, err := bundle.NormalizePublisherID(publisher)
	if err != nil {
		return err
	}
	if err := n.Host.Connect(ctx, ai); err != nil {
		return err
	}
	n.sources.mu.Lock()
	defer n.sources.mu.Unlock()
	if *list == nil {
		*list = make(map[string][]peer.ID)
	}
	ps := slices.DeleteFunc((*list)[id], func(p peer.ID) bool { return p == ai.ID })
	if len(ps) >= maxPublisherSources {
		ps = slices.Delete(ps, 0, len(ps)-maxPublisherSources+1)
	}
	(*list)[id] = append(ps, ai.ID)
	return nil
}

// Sources lists the connected peers the node asks for what is not any
// one publisher's, best first (SourcesFor). A serving node asks any of
// them: it announces what it holds anyway. A reader asks only the peers
// it chose for every publisher (Connect): those the user named, the
// remembered ones. Its DHT neighbours and whoever dialled it never see
// what it wants, nor do the peers it chose for one publisher.
func (n *Node) Sources() []peer.ID { return n.SourcesFor("") }

// SourcesFor lists the connected peers the node asks for publisher's
// heads, catalogs and bundles: on a reader, those chosen for every
// publisher (Connect) and those chosen for this one (ConnectFor); on a
// serving node, every connected peer. "" is no publisher: Sources. The
// list is best first: peers that delivered lately, then those not asked
// lately, and last those that failed or were too slow within the last
// sourceMemory.
func (n *Node) SourcesFor(publisher string) []peer.ID {
	conns := n.Host.Network().Peers()
	id, err := bundle.NormalizePublisherID(publisher)
	if err != nil {
		id = "" // only the global sources
	}
	n.sources.mu.Lock()
	defer n.sources.mu.Unlock()
	out := conns
	if !n.serves {
		out = conns[:0]
		for _, p := range conns {
			chosen := id != "" && (slices.Contains(n.sources.per[id], p) || slices.Contains(n.sources.found[id], p))
			if n.sources.global[p] || chosen {
				out = append(out, p)
			}
		}
	}
	return n.rankLocked(out, time.Now())
}

// rank orders peers best first, keeping the order of peers of one rank.
func (n *Node) rank(peers []peer.ID) []peer.ID {
	n.sources.mu.Lock()
	defer n.sources.mu.Unlock()
	return n.rankLocked(peers, time.Now())
}

func (n *Node) rankLocked(peers []peer.ID, now time.Time) []peer.ID {
	rank := func(p peer.ID) int {
		r, ok := n.sources.records[p]
		switch {
		case !ok || now.After(r.until):
			return rankUnknown
		case r.good:
			return rankGood
		default:
			return rankBad
		}
	}
	slices.SortStableFunc(peers, func(a, b peer.ID) int { return rank(a) - rank(b) })
	return peers
}

// served records how a peer answered a request: err nil is good; a peer
// that lacks what was asked gets no record; any other error is bad. The
// caller leaves out requests it cancelled itself. A record lasts
// sourceMemory; the node keeps at most maxSourceRecords.
func (n *Node) served(p peer.ID, err error) {
	if errors.Is(err, bundle.ErrNotFound) {
		return
	}
	now := time.Now()
	n.sources.mu.Lock()
	defer n.sources.mu.Unlock()
	if n.sources.records == nil {
		n.sources.records = make(map[peer.ID]sourceRecord)
	}
	if _, ok := n.sources.records[p]; !ok && len(n.sources.records) >= maxSourceRecords {
		maps.DeleteFunc(n.sources.records, func(_ peer.ID, r sourceRecord) bool { return now.After(r.until) })
		for q := range n.sources.records {
			if len(n.sources.records) < maxSourceRecords {
				break
			}
			delete(n.sources.records, q)
		}
	}
	n.sources.records[p] = sourceRecord{good: err == nil, until: now.Add(sourceMemory)}
}

// forget drops a good record of p: a peer that was outrun, not one that
// failed.
func (n *Node) forget(p peer.ID) {
	n.sources.mu.Lock()
	defer n.sources.mu.Unlock()
	if r, ok := n.sources.records[p]; ok && r.good {
		delete(n.sources.records, p)
	}
}
