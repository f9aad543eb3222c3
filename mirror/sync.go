package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/node"
)

// SyncResult says what a Sync, SyncHTTP or Import did.
type SyncResult struct {
	Head    *node.Head
	Bundles []cid.Cid // every bundle of the catalog, newest first
	Fetched []cid.Cid // the ones fetched now
	Skipped []cid.Cid // not fetched: the storage quota is full
	Revoked []cid.Cid // listed, but the publisher's document no longer authorizes their signer
	Dropped []cid.Cid // deleted to stay within the quota
	// Answered is how many sources gave a valid head, the one chosen or
	// another (peers and the DHT for Sync, URLs for SyncHTTP; none for
	// Import): 0 means the head is the stored one, for want of answers.
	Answered int
}

// Sync brings the node up to date with publisher: it asks peers (nil: the
// node's sources for publisher, node.Node.SourcesFor) and, on a node that
// runs one, the DHT for the newest
// head, and takes the one the head rule prefers over the stored one
// (node.Newest: never a rollback, the held one on equivocation); then it
// fetches the catalog that head names and every bundle in it the node
// lacks, verifying each completely before keeping any of it, and stores
// the head last. The catalog and bundles come from publisher's sources: a
// reader asks no peer it chose only for another publisher.
func (s *Service) Sync(ctx context.Context, publisher string, peers []peer.ID) (*SyncResult, error) {
	if peers == nil {
		peers = s.n.SourcesFor(publisher)
	}
	h, answered, err := s.n.ResolveHeadFrom(ctx, peers, publisher)
	if s.n.HasDHT() {
		// The DHT may know a newer head than the peers asked (or they
		// may be none): the same rule decides between them.
		dctx, cancel := context.WithTimeout(ctx, discoverTimeout)
		dh, derr := s.n.FindHead(dctx, publisher)
		cancel()
		if derr == nil {
			best, errs := node.Newest(h, dh)
			s.evidence(errs)
			h, err = best, nil
			answered++
		}
	}
	if err != nil {
		return nil, err
	}
	res, err := s.syncHead(ctx, h, fromHere)
	if res != nil {
		res.Answered = answered
	}
	return res, err
}

// evidence logs the equivocations among the head rule's refusals.
func (s *Service) evidence(errs []error) {
	for _, err := range errs {
		if errors.Is(err, node.ErrEquivocated) {
			s.log.Warn("two heads with one sequence number: evidence of publisher key misuse")
		}
	}
}

// syncHead is Sync for a head already chosen and verified.
func (s *Service) syncHead(ctx context.Context, h *node.Head, from origin) (*SyncResult, error) {
	s.discover(ctx, h.Publisher, h.Catalog)
	pages, bundles, err := s.fetchChain(ctx, h, func(c cid.Cid) ([]byte, error) { return s.n.GetBlockFor(ctx, h.Publisher, c) })
	if err != nil {
		return nil, err
	}
	res := &SyncResult{Head: h, Bundles: bundles}
	ferr := s.fetchMissing(ctx, res, func(root cid.Cid) error {
		s.discover(ctx, h.Publisher, root)
		_, err := s.n.FetchBundle(ctx, root, bundle.OpenOptions{Publisher: h.Publisher, Authority: h.Authority}, io.Discard)
		return err
	})
	return s.finishSync(ctx, res, pages, from, ferr)
}

// finishSync stores res.Head, and the catalog pages the node lacked, once
// the newest bundle its catalog lists is held (protocol.md §4: older ones
// a mirror may lack), and returns the
// fetches that failed, ferr, with what storing returns.
func (s *Service) finishSync(ctx context.Context, res *SyncResult, pages []node.CatalogBlock, from origin, ferr error) (*SyncResult, error) {
	if len(res.Bundles) > 0 && !s.n.HasBundle(ctx, res.Bundles[0]) {
		if ferr == nil {
			ferr = fmt.Errorf("%w: the newest bundle %s", bundle.ErrNotFound, res.Bundles[0])
		}
		return res, ferr
	}
	var err error
	res.Dropped, err = s.adopt(ctx, res.Head, pages, from)
	return res, errors.Join(ferr, err)
}

// discover connects to providers of c, one of publisher's catalogs or
// bundles, found in the DHT, if the node runs one and lacks c: they
// become sources of publisher's only.
func (s *Service) discover(ctx context.Context, publisher string, c cid.Cid) {
	if !s.n.HasDHT() || s.n.HasBlock(ctx, c) {
		return
	}
	dctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	s.n.ConnectProviders(dctx, publisher, c, 3)
}

// advertise puts a held head in the DHT and provides its catalog and
// held bundles: serving nodes only, never readers. Failures only delay
// discovery: they are logged at DEBUG.
func (s *Service) advertise(ctx context.Context, h *node.Head, bundles []cid.Cid) {
	if !s.n.HasDHT() || !s.n.Serves() {
		return
	}
	dctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	if err := s.n.PutHead(dctx, h); err != nil {
		s.log.Debug("DHT: head not stored", "err", err)
	}
	s.n.Provide(dctx, h.Catalog)
	for _, c := range bundles {
		if s.n.HasBundle(ctx, c) {
			s.n.Provide(dctx, c)
		}
	}
}

// fetchMissing fetches, with fetch, the bundles of res.Bundles (newest
// first) that the node lacks, into res.Fetched, within the node's quota:
// once it is reached, older bundles are left to other mirrors
// (res.Skipped), never fetched only to be dropped; the newest is always
// fetched. Bundles whose signer the head's document no longer authorizes
// go to res.Revoked. It returns the fetches that failed, joined.
func (s *Service) fetchMissing(ctx context.Context, res *SyncResult, fetch func(cid.Cid) error) error {
	var errs []error
	full := false // the quota stopped the walk: older ones are skipped too
	for i, root := range res.Bundles {
		if s.n.HasBundle(ctx, root) {
			continue
		}
		if q := s.n.Quota(); q > 0 && i > 0 && (full || s.n.BundleBytes() >= q || s.n.Dropped(root)) {
			full = true
			res.Skipped = append(res.Skipped, root)
			continue
		}
		if err := fetch(root); errors.Is(err, bundle.ErrKeyRevoked) || errors.Is(err, bundle.ErrKeyNotAuthorized) {
			res.Revoked = append(res.Revoked, root) // the catalog predates the document: no fault of the source
			continue
		} else if err != nil {
			errs = append(errs, fmt.Errorf("bundle %s: %w", root, err))
			continue
		}
		res.Fetched = append(res.Fetched, root)
	}
	return errors.Join(errs...)
}

// WriteBundles writes the held bundle files of the catalog res describes
// into dir, named by sequence, and returns their paths. Each is verified
// again from the repo and written atomically. Bundles not held (a peer
// lacked them, or the quota skipped them) are left out.
func (s *Service) WriteBundles(ctx context.Context, res *SyncResult, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, root := range res.Bundles {
		if !s.n.HasBundle(ctx, root) {
			continue
		}
		get := func(c cid.Cid) ([]byte, error) { return s.n.GetBlock(ctx, c) }
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
