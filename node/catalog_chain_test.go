package node

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
)

func testPublisher(t testing.TB) string { return testPublisherN(t, 1) }

func testPublisherN(t testing.TB, seed byte) string {
	return bundle.PublisherID(publisherKey(seed).Public().(ed25519.PublicKey))
}

// fakeRoots returns n distinct bundle CIDs, the newest (the last made)
// first.
func fakeRoots(t testing.TB, n int) []cid.Cid {
	t.Helper()
	out := make([]cid.Cid, n)
	for i := range n {
		c, err := bundle.PrefixDAGCBOR.Sum([]byte(fmt.Sprintf("bundle %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		out[n-1-i] = c
	}
	return out
}

// appendAll publishes roots (oldest first) one by one with NextCatalog,
// as a publisher does, keeping every page in store; it returns the head
// page's CID.
func appendAll(t testing.TB, pub string, oldestFirst []cid.Cid, store map[cid.Cid][]byte) cid.Cid {
	t.Helper()
	var cur *Catalog
	var curCID cid.Cid
	for _, r := range oldestFirst {
		next := NextCatalog(pub, r, cur, curCID)
		c, data, err := next.Encode()
		if err != nil {
			t.Fatal(err)
		}
		store[c] = data
		cur, curCID = next, c
	}
	return curCID
}

// TestCatalogChain: appending bundles one by one keeps the newest page at
// most CatalogPage bundles and every older page unchanged; walking the
// chain gives back every bundle, newest first; BuildCatalog lays the same
// list out as the same pages, byte for byte; a walk stops at a held page.
func TestCatalogChain(t *testing.T) {
	pub := testPublisher(t)
	for _, n := range []int{1, CatalogPage - 1, CatalogPage, CatalogPage + 1, 3*CatalogPage + 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			roots := fakeRoots(t, n) // newest first
			oldest := make([]cid.Cid, n)
			for i, r := range roots {
				oldest[n-1-i] = r
			}
			store := map[cid.Cid][]byte{}
			head := appendAll(t, pub, oldest, store)
			get := func(c cid.Cid) ([]byte, error) {
				if d, ok := store[c]; ok {
					return d, nil
				}
				return nil, bundle.ErrNotFound
			}
			pages, err := WalkCatalog(pub, head, get, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := ChainBundles(pages)
			if len(got) != n || !got[0].Equals(roots[0]) || !got[n-1].Equals(roots[n-1]) {
				t.Fatalf("the chain lists %d bundles, want %d, newest first", len(got), n)
			}
			if want := (n + CatalogPage - 1) / CatalogPage; len(pages) != want || len(pages[0].Catalog.Bundles) > CatalogPage {
				t.Errorf("%d pages, the newest of %d bundles; want %d pages of at most %d", len(pages), len(pages[0].Catalog.Bundles), want, CatalogPage)
			}
			built, err := BuildCatalog(pub, roots)
			if err != nil {
				t.Fatal(err)
			}
			if last := built[len(built)-1]; !last.CID.Equals(head) || len(built) != len(pages) {
				t.Errorf("BuildCatalog made %d pages ending in %s; appending made %d ending in %s", len(built), last.CID, len(pages), head)
			}
			// A reader holding the chain before the newest bundle reads one page.
			if n > 1 {
				before := appendAll(t, pub, oldest[:n-1], map[cid.Cid][]byte{})
				held := map[cid.Cid]bool{before: true}
				for _, p := range pages[1:] {
					held[p.CID] = true
				}
				fresh, err := WalkCatalog(pub, head, get, func(c cid.Cid) bool { return held[c] })
				if err != nil || len(fresh) != 1 {
					t.Errorf("an update read %d pages (%v), want 1", len(fresh), err)
				}
			}
		})
	}
}

// TestCatalogChainRefused: a prev that cannot name a catalog, a page of
// another publisher, and a chain past its bounds are refused.
func TestCatalogChainRefused(t *testing.T) {
	pub := testPublisher(t)
	raw, _ := bundle.PrefixRaw.Sum([]byte("x"))
	c, data, err := (&Catalog{Publisher: pub, Bundles: []cid.Cid{}, Prev: &raw}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseCatalog(pub, c, data); !errors.Is(err, bundle.ErrWrongType) {
		t.Errorf("ParseCatalog(prev raw) = %v, want ErrWrongType", err)
	}
	// A chain longer than maxCatalogChain pages: each page links the next.
	store := map[cid.Cid][]byte{}
	var prev *cid.Cid
	for range maxCatalogChain + 1 {
		c, data, err := (&Catalog{Publisher: pub, Bundles: []cid.Cid{}, Prev: prev}).Encode()
		if err != nil {
			t.Fatal(err)
		}
		store[c] = data
		prev = &c
	}
	get := func(c cid.Cid) ([]byte, error) { return store[c], nil }
	if _, err := WalkCatalog(pub, *prev, get, nil); !errors.Is(err, bundle.ErrTooLarge) {
		t.Errorf("WalkCatalog(%d pages) = %v, want ErrTooLarge", maxCatalogChain+1, err)
	}
	// A page of another publisher inside the chain.
	other := testPublisherN(t, 9)
	oc, odata, _ := (&Catalog{Publisher: other, Bundles: []cid.Cid{}}).Encode()
	store[oc] = odata
	hc, hdata, _ := (&Catalog{Publisher: pub, Bundles: []cid.Cid{}, Prev: &oc}).Encode()
	store[hc] = hdata
	if _, err := WalkCatalog(pub, hc, get, nil); !errors.Is(err, bundle.ErrWrongPublisher) {
		t.Errorf("WalkCatalog(another publisher's page) = %v, want ErrWrongPublisher", err)
	}
}

// BenchmarkCatalogUpdates: a year of hourly updates (8,760), appended one
// by one: the newest page's size, which is what each update carries, at
// the start and at the end of the year, against the single catalog of
// the first version (every bundle in one block).
func BenchmarkCatalogUpdates(b *testing.B) {
	pub := testPublisher(b)
	const updates = 8760
	roots := fakeRoots(b, updates)
	for b.Loop() {
		var cur *Catalog
		var curCID cid.Cid
		var largest, last int
		for i := updates - 1; i >= 0; i-- {
			next := NextCatalog(pub, roots[i], cur, curCID)
			c, data, err := next.Encode()
			if err != nil {
				b.Fatal(err)
			}
			largest, last = max(largest, len(data)), len(data)
			cur, curCID = next, c
		}
		_, data, err := (&Catalog{Publisher: pub, Bundles: roots}).Encode()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(largest), "max-update-catalog-B")
		b.ReportMetric(float64(last), "last-update-catalog-B")
		b.ReportMetric(float64(len(data)), "single-catalog-B")
	}
}
