package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

// Each path that brings a head in obeys the one head rule
// (node.Supersedes); these tests give each path an equivocating head: the
// same publisher key, the same sequence number, another catalog.

// twins is a publisher whose key signed two heads of sequence 1: node a
// holds one (catalog [ba]), node b the other (catalog [bb]).
type twins struct {
	key       ed25519.PrivateKey
	publisher string
	a, b      *testNode
	ba, bb    *bundle.Bundle
}

func newTwins(t *testing.T, serve bool, startNode func(t *testing.T) *testNode) *twins {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{11}, ed25519.SeedSize))
	tw := &twins{key: key, publisher: bundle.PublisherID(key.Public().(ed25519.PublicKey))}
	if startNode == nil {
		startNode = func(t *testing.T) *testNode { return start(t, serve) }
	}
	tw.a, tw.b = startNode(t), startNode(t)
	_, tw.ba = packN(t, key, 1, 21, 8)
	_, tw.bb = packN(t, key, 1, 22, 8)
	ctx := context.Background()
	for _, p := range []struct {
		n *testNode
		b *bundle.Bundle
	}{{tw.a, tw.ba}, {tw.b, tw.bb}} {
		if h, err := p.n.as(key).Publish(ctx, p.b); err != nil || h.Seq != 1 {
			t.Fatalf("Publish() = %+v, %v", h, err)
		}
	}
	return tw
}

// head returns n's stored head of the twins' publisher.
func (tw *twins) head(t *testing.T, n *testNode) *node.Head {
	t.Helper()
	h, err := n.heads.Get(tw.publisher)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// checkKept checks that reader still holds a's head and never took b's
// bundle.
func (tw *twins) checkKept(t *testing.T, reader *testNode) {
	t.Helper()
	if h := tw.head(t, reader); h == nil || !bytes.Equal(h.Bytes(), tw.head(t, tw.a).Bytes()) {
		t.Errorf("stored head = %+v, want the first one held", h)
	}
	if reader.HasBundle(context.Background(), tw.bb.Root) {
		t.Errorf("the equivocating head's bundle was fetched")
	}
}

func TestHeadRuleImport(t *testing.T) {
	tw := newTwins(t, false, nil)
	export := func(n *testNode) []byte {
		var buf bytes.Buffer
		if _, err := n.svc.Export(context.Background(), tw.publisher, &buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	fa, fb := export(tw.a), export(tw.b)
	reader := start(t, false)
	if _, err := importBytes(reader, fa); err != nil {
		t.Fatal(err)
	}
	if _, err := importBytes(reader, fb); !errors.Is(err, node.ErrEquivocated) {
		t.Errorf("Import(equivocating head) = %v, want ErrEquivocated", err)
	}
	tw.checkKept(t, reader)
	if _, err := importBytes(reader, fa); err != nil {
		t.Errorf("Import(the held head again) = %v, want nil", err)
	}
}

func TestHeadRuleHTTP(t *testing.T) {
	tw := newTwins(t, false, nil)
	static := func(n *testNode) string {
		dir := t.TempDir()
		if _, err := n.svc.WriteStatic(context.Background(), dir, nil); err != nil {
			t.Fatal(err)
		}
		return serve(t, http.FileServer(http.Dir(dir)))
	}
	ua, ub := static(tw.a), static(tw.b)
	reader := start(t, false)
	if _, err := syncHTTP(t, reader, tw.publisher, 5*time.Second, ua); err != nil {
		t.Fatal(err)
	}
	if _, err := syncHTTP(t, reader, tw.publisher, 5*time.Second, ub); !errors.Is(err, node.ErrEquivocated) {
		t.Errorf("SyncHTTP(equivocating copy) = %v, want ErrEquivocated", err)
	}
	// Both copies: the held head stays, and the sync completes from it.
	res, err := syncHTTP(t, reader, tw.publisher, 5*time.Second, ub, ua)
	if err != nil || !bytes.Equal(res.Head.Bytes(), tw.head(t, tw.a).Bytes()) {
		t.Errorf("SyncHTTP(both) = %+v, %v; want the held head", res, err)
	}
	tw.checkKept(t, reader)
	// A fresh reader asking b first keeps b's: kept first, whichever.
	fresh := start(t, false)
	res, err = syncHTTP(t, fresh, tw.publisher, 5*time.Second, ub, ua)
	if err != nil || !bytes.Equal(res.Head.Bytes(), tw.head(t, tw.b).Bytes()) {
		t.Errorf("fresh SyncHTTP(b, a) = %+v, %v; want b's head, the first seen", res, err)
	}
}

func TestHeadRulePeers(t *testing.T) {
	tw := newTwins(t, true, nil)
	reader := start(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	link(t, reader, tw.a)
	if _, err := reader.svc.Sync(ctx, tw.publisher, []peer.ID{tw.a.Host.ID()}); err != nil {
		t.Fatal(err)
	}
	link(t, reader, tw.b)
	res, err := reader.svc.Sync(ctx, tw.publisher, []peer.ID{tw.b.Host.ID()})
	if err != nil || !bytes.Equal(res.Head.Bytes(), tw.head(t, tw.a).Bytes()) {
		t.Errorf("Sync(equivocating peer) = %+v, %v; want the held head", res, err)
	}
	tw.checkKept(t, reader)
}

func TestHeadRuleDHT(t *testing.T) {
	boot := startDHT(t, node.DHTServer, true, nil)
	bootInfo := []peer.AddrInfo{{ID: boot.Host.ID(), Addrs: boot.Host.Addrs()}}
	tw := newTwins(t, true, func(t *testing.T) *testNode { return startDHT(t, node.DHTServer, true, bootInfo) })
	reader := startDHT(t, node.DHTServer, true, bootInfo)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	waitDHT(t, ctx, boot, tw.a, tw.b, reader)
	link(t, reader, tw.a)
	if _, err := reader.svc.Sync(ctx, tw.publisher, []peer.ID{tw.a.Host.ID()}); err != nil {
		t.Fatal(err)
	}
	// b's head, renewed to outlast a's, is the one the DHT keeps; the
	// reader asks no peer.
	hb, err := node.NewHead(tw.key, tw.head(t, tw.b).Catalog, 1, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.b.PutHead(ctx, hb); err != nil {
		t.Fatal(err)
	}
	if dh, err := reader.FindHead(ctx, tw.publisher); err != nil || !bytes.Equal(dh.Bytes(), hb.Bytes()) {
		t.Fatalf("FindHead() = %+v, %v; want b's head from the DHT", dh, err)
	}
	res, err := reader.svc.Sync(ctx, tw.publisher, []peer.ID{})
	if err != nil || !bytes.Equal(res.Head.Bytes(), tw.head(t, tw.a).Bytes()) {
		t.Errorf("Sync(DHT with an equivocating head) = %+v, %v; want the held head", res, err)
	}
	tw.checkKept(t, reader)
}

// TestPublishSequenceExhausted: no head can follow the largest sequence
// number, and Publish says so rather than wrapping to 0.
func TestPublishSequenceExhausted(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{12}, ed25519.SeedSize))
	pub := start(t, false)
	_, b1 := packN(t, key, 1, 31, 4)
	ctx := context.Background()
	h, err := pub.as(key).Publish(ctx, b1)
	if err != nil {
		t.Fatal(err)
	}
	last, err := node.NewHead(key, h.Catalog, math.MaxUint64, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.heads.Offer(last); err != nil {
		t.Fatal(err)
	}
	_, b2 := packN(t, key, 2, 32, 4)
	if _, err := pub.as(key).Publish(ctx, b2); !errors.Is(err, ErrSequenceExhausted) {
		t.Errorf("Publish() after sequence 2^64-1 = %v, want ErrSequenceExhausted", err)
	}
}

// TestOlderBundleMissing: a copy that lacks an older bundle of the catalog
// still gives a reader the head and the newest bundle (protocol.md §4:
// the newest MUST be held, older ones SHOULD); the sync reports what it
// lacks. A copy that lacks the newest gives no head.
func TestOlderBundleMissing(t *testing.T) {
	f := newHTTPFixture(t)
	dir := t.TempDir()
	copyDir(t, f.staticDir, dir)
	if err := os.Remove(filepath.Join(dir, "ipfs", f.roots[1])); err != nil {
		t.Fatal(err)
	}
	reader := start(t, false)
	res, err := syncHTTP(t, reader, f.publisher, 5*time.Second, serve(t, http.FileServer(http.Dir(dir))))
	if !errors.Is(err, ErrHTTPStatus) || res == nil || res.Head.Seq != 2 {
		t.Fatalf("SyncHTTP(older bundle missing) = %+v, %v; want head 2 and the missing bundle reported", res, err)
	}
	if h, _ := reader.heads.Get(f.publisher); h == nil || h.Seq != 2 {
		t.Errorf("stored head = %+v, want 2", h)
	}
	if err := os.Remove(filepath.Join(dir, "ipfs", f.roots[2])); err != nil {
		t.Fatal(err)
	}
	fresh := start(t, false)
	if _, err := syncHTTP(t, fresh, f.publisher, 5*time.Second, serve(t, http.FileServer(http.Dir(dir)))); err == nil {
		t.Errorf("SyncHTTP(newest missing) succeeded")
	}
	if h, _ := fresh.heads.Get(f.publisher); h != nil {
		t.Errorf("a head was stored without its newest bundle")
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil && !errors.Is(err, fs.ErrExist) {
		t.Fatal(err)
	}
}

// TestRefusedInTheGate: a head that passed the gate's first check while
// its twin was being stored is refused when it is offered, and the sync
// says so: the gate then ignores the announcement instead of relaying it.
func TestRefusedInTheGate(t *testing.T) {
	tw := newTwins(t, true, nil)
	mir := start(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	link(t, mir, tw.a)
	link(t, mir, tw.b)
	if _, err := mir.svc.Sync(ctx, tw.publisher, []peer.ID{tw.a.Host.ID()}); err != nil {
		t.Fatal(err)
	}
	// What the gate runs for an announcement that arrived before a's head
	// was stored, and so passed the validator's check.
	if _, err := mir.svc.syncHead(ctx, tw.head(t, tw.b), fromAnnouncement); !errors.Is(err, node.ErrEquivocated) {
		t.Errorf("syncHead(the twin) = %v, want ErrEquivocated (the gate must not relay it)", err)
	}
	if h := tw.head(t, mir); !bytes.Equal(h.Bytes(), tw.head(t, tw.a).Bytes()) {
		t.Errorf("stored head changed to the twin")
	}
}
