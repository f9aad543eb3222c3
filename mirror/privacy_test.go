package mirror

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
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

// spy is a libp2p host in front of a serving node: it answers the
// samizdat protocols by passing each request on to the node, and records
// every samizdat or bitswap stream it gets, with its request.
type spy struct {
	host.Host
	mu   sync.Mutex
	reqs []spyRequest
}

type spyRequest struct {
	proto protocol.ID
	body  []byte // the request frame's body; nil for a protocol it does not answer
}

func newSpy(t *testing.T, backend *testNode) *spy {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: backend.Host.ID(), Addrs: backend.Host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	sp := &spy{Host: h}
	for _, p := range []protocol.ID{node.HeadProtocol, node.BlockProtocol, node.BundleProtocol} {
		h.SetStreamHandler(p, func(s network.Stream) {
			defer s.Close()
			br := bufio.NewReader(s)
			size, err := binary.ReadUvarint(br)
			if err != nil || size > 1<<10 {
				s.Reset()
				return
			}
			body := make([]byte, size)
			if _, err := io.ReadFull(br, body); err != nil {
				s.Reset()
				return
			}
			sp.record(p, body)
			bs, err := h.NewStream(context.Background(), backend.Host.ID(), p)
			if err != nil {
				s.Reset()
				return
			}
			defer bs.Close()
			bs.Write(append(binary.AppendUvarint(nil, size), body...))
			bs.CloseWrite()
			io.Copy(s, bs)
		})
	}
	// Any other samizdat or bitswap protocol is recorded and refused.
	h.SetStreamHandlerMatch("/samizdat/", func(p protocol.ID) bool {
		return strings.HasPrefix(string(p), "/samizdat/") || strings.HasPrefix(string(p), "/ipfs/bitswap")
	}, func(s network.Stream) {
		sp.record(s.Protocol(), nil)
		s.Reset()
	})
	return sp
}

func (sp *spy) record(p protocol.ID, body []byte) {
	sp.mu.Lock()
	sp.reqs = append(sp.reqs, spyRequest{p, body})
	sp.mu.Unlock()
}

func (sp *spy) info() peer.AddrInfo { return peer.AddrInfo{ID: sp.ID(), Addrs: sp.Addrs()} }

// requests returns the requests sp got that about says are about
// something.
func (sp *spy) requests(about func(spyRequest) bool) []spyRequest {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	var out []spyRequest
	for _, r := range sp.reqs {
		if about(r) {
			out = append(out, r)
		}
	}
	return out
}

// publishedOn publishes a bundle of key's on a new serving node and
// returns the node and a test of whether a request is about that
// publisher: its head, its catalog, its bundle or one of its blocks.
func publishedOn(t *testing.T, ctx context.Context, key ed25519.PrivateKey, seed int64) (*testNode, func(spyRequest) bool) {
	t.Helper()
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	n := start(t, true)
	_, b := pack(t, key, 1, seed)
	h, err := n.as(key).Publish(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	cids := map[cid.Cid]bool{h.Catalog: true, b.Root: true}
	for _, c := range b.Blocks() {
		cids[c] = true
	}
	return n, func(r spyRequest) bool {
		if r.body == nil || string(r.body) == publisher {
			return true // a protocol the spy does not know might be about anything
		}
		_, c, err := cid.CidFromBytes(r.body)
		return err == nil && cids[c]
	}
}

// TestReaderSourcesPerPublisher: a reader follows publishers A and B,
// each from the peers of its link, LA and LB. After it has synced both,
// and A again while connected to LB, LB has received no request about A
// (its head, catalog, bundles or blocks) and LA none about B: a link's
// peer learns only that the reader follows that link's publisher.
func TestReaderSourcesPerPublisher(t *testing.T) {
	keyA := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{6}, ed25519.SeedSize))
	keyB := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	pubA := bundle.PublisherID(keyA.Public().(ed25519.PublicKey))
	pubB := bundle.PublisherID(keyB.Public().(ed25519.PublicKey))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	mirrorA, aboutA := publishedOn(t, ctx, keyA, 6)
	mirrorB, aboutB := publishedOn(t, ctx, keyB, 7)
	la, lb := newSpy(t, mirrorA), newSpy(t, mirrorB)
	reader := start(t, false)

	fctx, fcancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer fcancel()
	follow := func(publisher string, via *spy, wake chan struct{}) chan error {
		synced := make(chan error, 1)
		wg.Go(func() {
			reader.svc.Follow(fctx, publisher, FollowOptions{Every: time.Hour, Wake: wake, Peers: []peer.AddrInfo{via.info()},
				Report: func(_ *SyncResult, err error) { synced <- err }})
		})
		return synced
	}
	waitSync := func(name string, synced chan error) {
		t.Helper()
		select {
		case err := <-synced:
			if err != nil {
				t.Fatalf("sync of %s: %v", name, err)
			}
		case <-ctx.Done():
			t.Fatalf("sync of %s: %v", name, ctx.Err())
		}
	}
	wakeA := make(chan struct{}, 1)
	syncedA := follow(pubA, la, wakeA)
	waitSync("A", syncedA)
	syncedB := follow(pubB, lb, nil) // connected to LA already
	waitSync("B", syncedB)
	wakeA <- struct{}{} // connected to LB now
	waitSync("A again", syncedA)

	if got := la.requests(aboutA); len(got) == 0 {
		t.Fatal("LA got no request about A: the spy sees nothing, and the test proves nothing")
	}
	for _, c := range []struct {
		name  string
		spy   *spy
		about func(spyRequest) bool
	}{{"LB about A", lb, aboutA}, {"LA about B", la, aboutB}} {
		if got := c.spy.requests(c.about); len(got) != 0 {
			var protos []string
			for _, r := range got {
				protos = append(protos, string(r.proto))
			}
			t.Errorf("%s: %d requests (%v), want none", c.name, len(got), protos)
		}
	}
}
