package mirror

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
)

// ErrOverQuota says the newest bundles alone exceed the storage quota; they
// are kept, and served.
var ErrOverQuota = errors.New("storage quota smaller than the newest bundles")

// Enforce deletes bundles until the node's bundle files fit its quota:
// first bundles no current catalog lists, then the oldest bundles of
// current catalogs; a publisher's newest bundle is never deleted. If the
// newest bundles alone exceed the quota, they are kept and Enforce says so:
// a mirror that cannot hold a publisher's latest bundle is of no use to
// its readers.
func (s *Service) Enforce(ctx context.Context) ([]cid.Cid, error) {
	quota := s.n.Quota()
	if quota <= 0 || s.n.BundleBytes() <= quota {
		return nil, nil
	}
	// rank: 0 not in any current catalog; 1 in a catalog; 2 newest of one.
	rank := map[cid.Cid]int{}
	for _, pub := range s.heads.List() {
		h, err := s.heads.Get(pub)
		if err != nil || h == nil {
			continue
		}
		cat, _, err := s.catalog(ctx, h)
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
	held := s.n.HeldBundles()
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
		if s.n.BundleBytes() <= quota {
			return dropped, nil
		}
		if rank[b.Root] == 2 {
			break
		}
		if err := s.n.DropBundle(b.Root); err != nil {
			return dropped, err
		}
		dropped = append(dropped, b.Root)
	}
	if s.n.BundleBytes() > quota {
		return dropped, fmt.Errorf("%w: quota %d bytes, the newest bundles alone %d; keeping them", ErrOverQuota, quota, s.n.BundleBytes())
	}
	return dropped, nil
}
