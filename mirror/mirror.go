package mirror

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/node"
)

// ErrOverQuota says the newest bundles alone exceed the storage quota; they
// are kept, and served.
var ErrOverQuota = errors.New("storage quota smaller than the newest bundles")

// DefaultHeadValidity is how long a head stays valid unless renewed: a
// few days, so a reader sees that a publisher went quiet (blocked,
// perhaps) while mirrors still serve what it published.
const DefaultHeadValidity = 72 * time.Hour

// Publish adds a verified bundle to the publisher's catalog on n and signs
// a new head with the next sequence number. key is the publisher's root
// key (the head is an IPNS record of the publisher ID).
func Publish(ctx context.Context, n *node.Node, heads *node.Heads, key ed25519.PrivateKey, b *bundle.Bundle, validity time.Duration) (*node.Head, error) {
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	if b.Publisher != publisher {
		return nil, fmt.Errorf("%w: bundle of %s, key of %s", bundle.ErrWrongPublisher, b.Publisher, publisher)
	}
	if err := n.AddBundle(ctx, b); err != nil {
		return nil, err
	}
	cat := &node.Catalog{Publisher: publisher, Bundles: []cid.Cid{b.Root}}
	var seq uint64 = 1
	cur, err := heads.Get(publisher)
	if err != nil {
		return nil, err
	}
	if cur != nil {
		seq = cur.Seq + 1
		data, err := n.GetBlock(ctx, cur.Catalog)
		if err != nil {
			return nil, fmt.Errorf("current catalog: %w", err)
		}
		old, err := node.ParseCatalog(publisher, cur.Catalog, data)
		if err != nil {
			return nil, err
		}
		for _, c := range old.Bundles {
			if c != b.Root {
				cat.Bundles = append(cat.Bundles, c)
			}
		}
	}
	cc, data, err := cat.Encode()
	if err != nil {
		return nil, err
	}
	if err := n.AdmitBlock(ctx, cc, data); err != nil {
		return nil, err
	}
	if err := n.SyncBlocks(); err != nil {
		return nil, err
	}
	h, err := node.NewHead(key, cc, seq, validity)
	if err != nil {
		return nil, err
	}
	if _, err := heads.Offer(h); err != nil {
		return nil, err
	}
	advertise(ctx, n, h, cat.Bundles)
	return h, nil
}

// SyncResult says what a Sync did.
type SyncResult struct {
	Head    *node.Head
	Bundles []cid.Cid // every bundle of the catalog, newest first
	Fetched []cid.Cid // the ones fetched now
	Skipped []cid.Cid // not fetched: the storage quota is full
	Dropped []cid.Cid // deleted to stay within the quota
}

// Sync brings n up to date with publisher: it asks peers for the newest
// head (keeping the highest valid sequence, never rolling back), fetches
// the catalog it names and every bundle in it that n lacks, verifying each
// completely before keeping any of it, and then stores the head as its
// new high-water mark.
func Sync(ctx context.Context, n *node.Node, heads *node.Heads, publisher string, peers []peer.ID) (*SyncResult, error) {
	h, err := n.ResolveHead(ctx, heads, peers, publisher)
	if n.HasDHT() {
		// The DHT may know a newer head than the peers asked (or they
		// may be none); the newer valid one wins, as between peers.
		dctx, cancel := context.WithTimeout(ctx, discoverTimeout)
		if dh, derr := n.FindHead(dctx, publisher); derr == nil && (h == nil || dh.Seq > h.Seq) {
			if cur, _ := heads.Get(dh.Publisher); cur == nil || dh.Seq >= cur.Seq {
				h, err = dh, nil
			}
		}
		cancel()
	}
	if err != nil {
		return nil, err
	}
	return SyncHead(ctx, n, heads, h)
}

// discoverTimeout bounds one DHT lookup.
const discoverTimeout = 20 * time.Second

// discover connects to providers of c found in the DHT, if the node runs one.
func discover(ctx context.Context, n *node.Node, c cid.Cid) {
	if !n.HasDHT() || n.HasBlock(ctx, c) {
		return
	}
	dctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	n.ConnectProviders(dctx, c, 3)
}

// advertise puts a held head in the DHT and provides its catalog and
// bundles: serving nodes only, never readers.
func advertise(ctx context.Context, n *node.Node, h *node.Head, bundles []cid.Cid) {
	if !n.HasDHT() || !n.Serves() {
		return
	}
	dctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	n.PutHead(dctx, h)
	n.Provide(dctx, h.Catalog)
	for _, c := range bundles {
		if n.HasBundle(ctx, c) {
			n.Provide(dctx, c)
		}
	}
}

// SyncHead is Sync for a head already verified (announced, say).
func SyncHead(ctx context.Context, n *node.Node, heads *node.Heads, h *node.Head) (*SyncResult, error) {
	discover(ctx, n, h.Catalog)
	data, err := n.GetBlock(ctx, h.Catalog)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	cat, err := node.ParseCatalog(h.Publisher, h.Catalog, data)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{Head: h, Bundles: cat.Bundles}
	if err := fetchMissing(ctx, n, res, func(root cid.Cid) error {
		discover(ctx, n, root)
		_, err := n.FetchBundle(ctx, root, bundle.OpenOptions{Publisher: h.Publisher}, io.Discard)
		return err
	}); err != nil {
		return res, err
	}
	if err := storeHead(ctx, n, heads, h, data, res); err != nil {
		return res, err
	}
	advertise(ctx, n, h, res.Bundles)
	return res, nil
}

// fetchMissing fetches, with fetch, the bundles of res.Bundles (newest
// first) that n lacks, into res.Fetched, within n's quota: once it is
// reached, older bundles are left to other mirrors (res.Skipped), never
// fetched only to be dropped; the newest is always fetched. It returns
// the fetches that failed, joined.
func fetchMissing(ctx context.Context, n *node.Node, res *SyncResult, fetch func(cid.Cid) error) error {
	var errs []error
	full := false // the quota stopped the walk: older ones are skipped too
	for i, root := range res.Bundles {
		if n.HasBundle(ctx, root) {
			continue
		}
		if q := n.Quota(); q > 0 && i > 0 && (full || n.BundleBytes() >= q || n.Dropped(root)) {
			full = true
			res.Skipped = append(res.Skipped, root)
			continue
		}
		if err := fetch(root); err != nil {
			errs = append(errs, fmt.Errorf("bundle %s: %w", root, err))
			continue
		}
		res.Fetched = append(res.Fetched, root)
	}
	return errors.Join(errs...)
}

// storeHead finishes a sync, an HTTP sync or an import once every bundle
// of h's catalog that is to be held is held: the catalog block, then a
// sync of the store, then the head, last, so a stored head never names
// content a crash could take away; then the quota. A newer head stored
// meanwhile (another sync beside this one) wins, and the bundles stay.
func storeHead(ctx context.Context, n *node.Node, heads *node.Heads, h *node.Head, catalog []byte, res *SyncResult) error {
	if err := n.AdmitBlock(ctx, h.Catalog, catalog); err != nil {
		return err
	}
	if err := n.SyncBlocks(); err != nil {
		return err
	}
	if _, err := heads.Offer(h); err != nil && !errors.Is(err, node.ErrRollback) && !errors.Is(err, node.ErrEquivocated) {
		return err
	}
	var err error
	res.Dropped, err = Enforce(ctx, n, heads)
	return err
}

// WriteBundles writes the held bundle files of the catalog res describes
// into dir, named by sequence, and returns their paths. Each is verified
// again from the repo and written atomically. Bundles not held (a peer
// lacked them, or the quota skipped them) are left out.
func WriteBundles(ctx context.Context, n *node.Node, res *SyncResult, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, root := range res.Bundles {
		if !n.HasBundle(ctx, root) {
			continue
		}
		get := func(c cid.Cid) ([]byte, error) { return n.GetBlock(ctx, c) }
		b, err := bundle.OpenBlocks(root, get, bundle.OpenOptions{Publisher: res.Head.Publisher})
		if err != nil {
			return paths, err
		}
		p := filepath.Join(dir, fmt.Sprintf("%s-%d.bundle", b.Publisher, b.Seq))
		if err := atomicfile.Write(p, 0o644, b.WriteCAR); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// Follow keeps n up to date with publisher until ctx ends: it syncs at
// once, on every newer head announced on the publisher's topic (before
// relaying it), and every interval, fetching from whichever connected
// peers hold the blocks. report, if not nil, is called after each attempt.
func Follow(ctx context.Context, n *node.Node, heads *node.Heads, publisher string, every time.Duration, report func(*SyncResult, error)) error {
	// Relay an announced head only once its content is here.
	n.SetGate(publisher, func(ctx context.Context, h *node.Head) error {
		res, err := SyncHead(ctx, n, heads, h)
		if report != nil && ctx.Err() == nil {
			report(res, err)
		}
		if errors.Is(err, ErrOverQuota) {
			return nil // the content is held (over quota): relay it
		}
		return err
	})
	ann, err := n.Announcements(ctx, heads, publisher)
	if err != nil {
		return err
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		var res *SyncResult
		select {
		case <-ctx.Done():
			return nil
		case h, ok := <-ann:
			if !ok {
				return nil
			}
			res, err = SyncHead(ctx, n, heads, h)
		case <-timer.C:
			res, err = Sync(ctx, n, heads, publisher, n.Sources())
			timer.Reset(every)
		}
		if report != nil && ctx.Err() == nil {
			report(res, err)
		}
	}
}

// Enforce deletes bundles until the node's bundle files fit its quota:
// first bundles no current catalog lists, then the oldest bundles of
// current catalogs; a publisher's newest bundle is never deleted. If the
// newest bundles alone exceed the quota, they are kept and Enforce says so:
// a mirror that cannot hold a publisher's latest bundle is of no use to
// its readers.
func Enforce(ctx context.Context, n *node.Node, heads *node.Heads) ([]cid.Cid, error) {
	quota := n.Quota()
	if quota <= 0 || n.BundleBytes() <= quota {
		return nil, nil
	}
	// rank: 0 not in any current catalog; 1 in a catalog; 2 newest of one.
	rank := map[cid.Cid]int{}
	for _, pub := range heads.List() {
		h, err := heads.Get(pub)
		if err != nil || h == nil {
			continue
		}
		data, err := n.GetBlock(ctx, h.Catalog)
		if err != nil {
			continue
		}
		cat, err := node.ParseCatalog(pub, h.Catalog, data)
		if err != nil {
			continue
		}
		for i, c := range cat.Bundles {
			r := 1
			if i == 0 {
				r = 2
			}
			rank[c] = max(rank[c], r)
		}
	}
	held := n.HeldBundles()
	slices.SortFunc(held, func(a, b bundle.Info) int {
		if d := rank[a.Root] - rank[b.Root]; d != 0 {
			return d
		}
		if d := a.Created.Compare(b.Created); d != 0 {
			return d
		}
		// Created has second precision; the sequence orders a
		// publisher's bundles made in one second.
		if a.Seq != b.Seq {
			return cmp.Compare(a.Seq, b.Seq)
		}
		return strings.Compare(a.Root.KeyString(), b.Root.KeyString())
	})
	var dropped []cid.Cid
	for _, b := range held {
		if n.BundleBytes() <= quota {
			return dropped, nil
		}
		if rank[b.Root] == 2 {
			break
		}
		if err := n.DropBundle(b.Root); err != nil {
			return dropped, err
		}
		dropped = append(dropped, b.Root)
	}
	if n.BundleBytes() > quota {
		return dropped, fmt.Errorf("%w: quota %d bytes, the newest bundles alone %d; keeping them", ErrOverQuota, quota, n.BundleBytes())
	}
	return dropped, nil
}
