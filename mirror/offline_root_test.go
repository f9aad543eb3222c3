package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/corpus"
	"github.com/samizdat/samizdat/node"
)

// newsroom is a publisher whose root key signs only publisher documents,
// at ceremonies; everything else is signed by keys the documents
// authorize.
type newsroom struct {
	t         *testing.T
	root      ed25519.PrivateKey
	publisher string
	docs      []*bundle.Authority
	bundleKey ed25519.PrivateKey
	seq       uint64 // the last bundle's
}

// ceremony signs the next publisher document with the root key, which is
// then put away: one bundle key, the given head keys, the given
// revocations.
func (nr *newsroom) ceremony(heads []ed25519.PrivateKey, revoked ...ed25519.PrivateKey) *bundle.Authority {
	nr.t.Helper()
	p := bundle.AuthorityParams{Seq: uint64(len(nr.docs) + 1), Name: "The Newsroom", Keys: []ed25519.PublicKey{pubKey(nr.bundleKey)}}
	for _, k := range heads {
		p.HeadKeys = append(p.HeadKeys, bundle.HeadKey{Key: pubKey(k), Until: time.Now().Add(90 * 24 * time.Hour)})
	}
	for _, k := range revoked {
		p.Revoked = append(p.Revoked, bundle.Revocation{Key: pubKey(k)})
	}
	doc, err := bundle.NewAuthority(nr.root, p)
	if err != nil {
		nr.t.Fatal(err)
	}
	nr.docs = append(nr.docs, doc)
	return doc
}

// daily packs the day's bundle with the bundle key under doc.
func (nr *newsroom) daily(doc *bundle.Authority) *bundle.Bundle {
	nr.t.Helper()
	nr.seq++
	p, err := bundle.NewPacker(bundle.PackOptions{Key: nr.bundleKey, Authority: doc, Seq: nr.seq, TempDir: nr.t.TempDir()})
	if err != nil {
		nr.t.Fatal(err)
	}
	defer p.Close()
	for _, d := range corpus.Generate(int64(100+nr.seq), 6, 1<<10, 4<<10) {
		a := &bundle.Article{ID: fmt.Sprintf("day%d-%s", nr.seq, d.ID), Title: d.Title, Lang: d.Lang, ContentType: "text/markdown", Body: []byte(d.Body)}
		if err := p.Add(a); err != nil {
			nr.t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := p.Pack(&buf); err != nil {
		nr.t.Fatal(err)
	}
	b, err := bundle.OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), bundle.OpenOptions{})
	if err != nil {
		nr.t.Fatal(err)
	}
	return b
}

func pubKey(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// TestWeekWithRootOffline: a newsroom runs a week with its root key
// offline: daily bundles signed by a bundle key, heads signed and renewed
// by a head key, a head key rotation on day 3, and on day 5 a leak: a
// thief signs a head with the largest sequence number, which every node
// takes, freezing the publisher's own heads. On day 6 the root revokes
// the stolen key at a ceremony and the newsroom's next head wins on the
// mirror and the reader, whatever sequence the thief signed; on day 7 it
// renews. The mirror and the reader follow every step.
func TestWeekWithRootOffline(t *testing.T) {
	nr := &newsroom{t: t, root: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{40}, 32)), bundleKey: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{41}, 32))}
	nr.publisher = bundle.PublisherID(pubKey(nr.root))
	k1, k2, k3 := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{42}, 32)), ed25519.NewKeyFromSeed(bytes.Repeat([]byte{43}, 32)), ed25519.NewKeyFromSeed(bytes.Repeat([]byte{44}, 32))
	pub, mir, thief, reader := start(t, true), start(t, true), start(t, true), start(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	link(t, mir, pub)
	link(t, reader, mir)

	// online is the newsroom's node with a head key and its document:
	// no root key.
	online := func(key ed25519.PrivateKey, doc *bundle.Authority) *Service {
		return newService(pub.Node, Options{Key: key, Authority: doc, HeadValidity: 24 * time.Hour})
	}
	// follow has the mirror sync from from, and the reader from the
	// mirror; both must end with want, holding every bundle it lists.
	follow := func(day string, from *testNode, want *node.Head) {
		t.Helper()
		if _, err := mir.svc.Sync(ctx, nr.publisher, []peer.ID{from.Host.ID()}); err != nil {
			t.Fatalf("%s: mirror Sync() = %v", day, err)
		}
		res, err := reader.svc.Sync(ctx, nr.publisher, []peer.ID{mir.Host.ID()})
		if err != nil {
			t.Fatalf("%s: reader Sync() = %v", day, err)
		}
		for _, n := range []*testNode{mir, reader} {
			if h, _ := n.heads.Get(nr.publisher); h == nil || !bytes.Equal(h.Bytes(), want.Bytes()) {
				t.Fatalf("%s: stored head = %+v, want %d under document %d", day, h, want.Seq, want.Authority.Seq)
			}
		}
		for _, root := range res.Bundles {
			if !reader.HasBundle(ctx, root) {
				t.Fatalf("%s: the reader lacks bundle %s", day, root)
			}
		}
	}

	// Day 0, a ceremony: head key k1. The root key goes offline.
	doc1 := nr.ceremony([]ed25519.PrivateKey{k1})
	svc := online(k1, doc1)
	var h *node.Head
	var err error
	for day := 1; day <= 2; day++ {
		if h, err = svc.Publish(ctx, nr.daily(doc1)); err != nil {
			t.Fatalf("day %d: Publish() = %v", day, err)
		}
		follow(fmt.Sprintf("day %d", day), pub, h)
	}
	if h, err = svc.Renew(ctx); err != nil || h.Seq != 2 {
		t.Fatalf("day 2: Renew() = %+v, %v", h, err)
	}
	follow("day 2, renewed", pub, h)

	// Day 3, a ceremony: rotation to head key k2.
	doc2 := nr.ceremony([]ed25519.PrivateKey{k2})
	svc = online(k2, doc2)
	if h, err = svc.Publish(ctx, nr.daily(doc2)); err != nil || h.Authority.Seq != 2 {
		t.Fatalf("day 3: Publish() = %+v, %v", h, err)
	}
	follow("day 3", pub, h)
	retired := nr.daily(doc1)
	if _, err := online(k1, doc1).Publish(ctx, retired); !errors.Is(err, bundle.ErrKeyNotAuthorized) {
		t.Errorf("day 3: Publish() with the retired head key = %v, want ErrKeyNotAuthorized", err)
	}

	// Day 4: a quiet day.
	if h, err = svc.Publish(ctx, nr.daily(doc2)); err != nil {
		t.Fatal(err)
	}
	follow("day 4", pub, h)

	// Day 5: k2 leaks. The thief signs the current catalog one short of
	// the largest sequence number (so that a count carried on past it
	// would run out at the next head), and the mirror takes it from the
	// thief's node.
	stolen, err := node.NewDelegatedHead(k2, doc2, h.Catalog, math.MaxUint64-1, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := thief.heads.Offer(stolen); err != nil {
		t.Fatal(err)
	}
	if err := thief.AdmitBlock(ctx, h.Catalog, mustBlock(t, ctx, pub, h.Catalog)); err != nil {
		t.Fatal(err)
	}
	link(t, mir, thief)
	follow("day 5, the leak", thief, stolen)
	frozen, err := svc.Publish(ctx, nr.daily(doc2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mir.svc.Sync(ctx, nr.publisher, []peer.ID{pub.Host.ID()}); err != nil {
		t.Fatal(err)
	}
	if cur, _ := mir.heads.Get(nr.publisher); cur.Seq != math.MaxUint64-1 || frozen.Seq == math.MaxUint64-1 {
		t.Fatalf("day 5: the mirror holds head %d, want the thief's (the newsroom's %d frozen out)", cur.Seq, frozen.Seq)
	}

	// Day 6, a ceremony: k2 revoked, head key k3. The newsroom's next head
	// wins everywhere, whatever the thief's sequence number.
	doc3 := nr.ceremony([]ed25519.PrivateKey{k3}, k2)
	svc = online(k3, doc3)
	// The newsroom's own node took the thief's head too (it follows
	// itself through a mirror, say): it refuses to renew it, and
	// publishes past it, the count starting again under the new document.
	if _, err := pub.heads.Offer(stolen); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Renew(ctx); !errors.Is(err, ErrNotRenewable) {
		t.Errorf("day 6: Renew() of the thief's head = %v, want ErrNotRenewable", err)
	}
	if h, err = svc.Publish(ctx, nr.daily(doc3)); err != nil || h.Authority.Seq != 3 || h.Seq != 1 {
		t.Fatalf("day 6: Publish() = %+v, %v; want head 1 under document 3", h, err)
	}
	follow("day 6, after the revocation", pub, h)
	if _, err := node.NewDelegatedHead(k2, doc3, h.Catalog, math.MaxUint64, time.Hour); !errors.Is(err, bundle.ErrKeyRevoked) {
		t.Errorf("day 6: the thief signing under the new document = %v, want ErrKeyRevoked", err)
	}
	if _, err := mir.svc.Sync(ctx, nr.publisher, []peer.ID{thief.Host.ID()}); err != nil {
		t.Fatal(err)
	}
	if cur, _ := mir.heads.Get(nr.publisher); !bytes.Equal(cur.Bytes(), h.Bytes()) {
		t.Errorf("day 6: the thief's head came back: %+v", cur)
	}

	// Day 7: a renewal and a bundle, and the week's bundles are all with
	// the reader.
	if h, err = svc.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	follow("day 7, renewed", pub, h)
	if h, err = svc.Publish(ctx, nr.daily(doc3)); err != nil || h.Seq != 2 {
		t.Fatalf("day 7: Publish() = %+v, %v; want head 2 under document 3", h, err)
	}
	follow("day 7", pub, h)
	// Eight packed, seven published: the retired key's was refused.
	if got := len(reader.HeldBundles()); got != int(nr.seq)-1 {
		t.Errorf("the reader holds %d bundles, want all %d published", got, nr.seq-1)
	}
	if pub.HasBundle(ctx, retired.Root) {
		t.Errorf("a bundle whose head could not be signed was stored")
	}
}

func mustBlock(t *testing.T, ctx context.Context, n *testNode, c cid.Cid) []byte {
	t.Helper()
	data, err := n.GetBlock(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRevokedBundlesDropped: a bundle key leaks; the root's next document
// revokes it after the last bundle the newsroom signed with it. The
// mirror and the reader delete the thief's bundle (signed after the
// cut-off) once they take a head under the new document: it is no longer
// served, held or listed; the newsroom's own bundles stay.
func TestRevokedBundlesDropped(t *testing.T) {
	nr := &newsroom{t: t, root: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{50}, 32)), bundleKey: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{51}, 32))}
	nr.publisher = bundle.PublisherID(pubKey(nr.root))
	hk := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{52}, 32))
	pub, mir, reader := start(t, true), start(t, true), start(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	link(t, mir, pub)
	link(t, reader, mir)
	sync := func() {
		t.Helper()
		if _, err := mir.svc.Sync(ctx, nr.publisher, []peer.ID{pub.Host.ID()}); err != nil {
			t.Fatal(err)
		}
		if _, err := reader.svc.Sync(ctx, nr.publisher, []peer.ID{mir.Host.ID()}); err != nil {
			t.Fatal(err)
		}
	}
	doc1 := nr.ceremony([]ed25519.PrivateKey{hk})
	svc := newService(pub.Node, Options{Key: hk, Authority: doc1, HeadValidity: time.Hour})
	own := nr.daily(doc1) // seq 1, the newsroom's
	if _, err := svc.Publish(ctx, own); err != nil {
		t.Fatal(err)
	}
	// The thief signs seq 2 with the leaked bundle key; the newsroom's
	// node publishes it unknowing (the leak is not yet known).
	stolen := nr.daily(doc1)
	if _, err := svc.Publish(ctx, stolen); err != nil {
		t.Fatal(err)
	}
	sync()
	for _, n := range []*testNode{mir, reader} {
		if !n.HasBundle(ctx, stolen.Root) {
			t.Fatal("the stolen bundle did not spread before the revocation")
		}
	}
	// The ceremony: the old bundle key revoked after seq 1, a new one.
	leaked := nr.bundleKey
	nr.bundleKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{53}, 32))
	p := bundle.AuthorityParams{Seq: 2, Keys: []ed25519.PublicKey{pubKey(nr.bundleKey)},
		Revoked:  []bundle.Revocation{{Key: pubKey(leaked), After: 1}},
		HeadKeys: []bundle.HeadKey{{Key: pubKey(hk), Until: time.Now().Add(24 * time.Hour)}}}
	doc2, err := bundle.NewAuthority(nr.root, p)
	if err != nil {
		t.Fatal(err)
	}
	svc = newService(pub.Node, Options{Key: hk, Authority: doc2, HeadValidity: time.Hour})
	next := nr.daily(doc2) // seq 3, the new key
	h, err := svc.Publish(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	sync()
	cat, _, err := svc.catalog(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(cat.Bundles, stolen.Root) || !slices.Contains(cat.Bundles, own.Root) {
		t.Errorf("the new catalog lists %v; want the newsroom's bundles and not the stolen one", cat.Bundles)
	}
	for name, n := range map[string]*testNode{"publisher": pub, "mirror": mir, "reader": reader} {
		if n.HasBundle(ctx, stolen.Root) {
			t.Errorf("%s still holds the bundle signed with the revoked key", name)
		}
		for _, b := range []*bundle.Bundle{own, next} {
			if !n.HasBundle(ctx, b.Root) {
				t.Errorf("%s lacks the newsroom's bundle %d", name, b.Seq)
			}
		}
	}
}
