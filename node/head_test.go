package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
)

func catalogCID(t *testing.T, s string) cid.Cid {
	t.Helper()
	c, err := bundle.PrefixDAGCBOR.Sum([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func publisherKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

// TestHeadRecord: ParseHead returns a head the publisher signed, expired
// or not, and refuses every other record as ErrBadHead.
func TestHeadRecord(t *testing.T) {
	key, other := publisherKey(1), publisherKey(2)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	mk := func(k ed25519.PrivateKey, seq uint64, catalog string, validity time.Duration) *Head {
		t.Helper()
		h, err := NewHead(k, catalogCID(t, catalog), seq, validity)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := mk(key, 5, "c5", time.Hour)
	tests := []struct {
		name        string
		data        []byte
		wantErr     error
		wantSeq     uint64
		wantCatalog string
		wantExpired bool
	}{
		{"valid", h.Bytes(), nil, 5, "c5", false},
		{"expired", mk(key, 1, "c1", -time.Hour).Bytes(), nil, 1, "c1", true},
		{"signed by another key", mk(other, 99, "evil", time.Hour).Bytes(), ErrBadHead, 0, "", false},
		{"garbage", []byte("not a record"), ErrBadHead, 0, "", false},
		{"oversized", make([]byte, maxHeadSize+1), ErrBadHead, 0, "", false},
		{"bit flipped", flip(h.Bytes(), 40), ErrBadHead, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHead(id, tt.data)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseHead() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got.Publisher != id || got.Seq != tt.wantSeq || got.Catalog != catalogCID(t, tt.wantCatalog) || got.Expired != tt.wantExpired {
				t.Errorf("ParseHead() = publisher %s, seq %d, catalog %s, expired %v; want %s, %d, %s, %v",
					got.Publisher, got.Seq, got.Catalog, got.Expired, id, tt.wantSeq, catalogCID(t, tt.wantCatalog), tt.wantExpired)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i%len(out)] ^= 0x01
	return out
}

// TestSupersedes is the head rule's table: every case of an offered head
// against a held one.
func TestSupersedes(t *testing.T) {
	key := publisherKey(1)
	mk := func(seq uint64, catalog string, validity time.Duration) *Head {
		t.Helper()
		h, err := NewHead(key, catalogCID(t, catalog), seq, validity)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h5 := mk(5, "c5", time.Hour)
	other, _ := NewHead(publisherKey(2), catalogCID(t, "c5"), 6, time.Hour)
	tests := []struct {
		name          string
		held, offered *Head
		want          bool
		wantErr       error
	}{
		{"nothing held", nil, h5, true, nil},
		{"nothing held, offered expired", nil, mk(5, "c5", -time.Hour), true, nil},
		{"higher sequence", h5, mk(6, "c6", time.Hour), true, nil},
		{"higher sequence, expired, over one still valid", h5, mk(6, "c6", -time.Hour), false, nil},
		{"higher sequence, expired, over one expired too", mk(5, "c5", -2*time.Hour), mk(6, "c6", -time.Hour), true, nil},
		{"higher sequence, valid, over one expired", mk(5, "c5", -time.Hour), mk(6, "c6", time.Hour), true, nil},
		{"higher sequence, shorter validity", h5, mk(6, "c6", time.Minute), true, nil},
		{"higher sequence, same catalog", h5, mk(6, "c5", time.Hour), true, nil},
		{"lower sequence", h5, mk(4, "c4", 2*time.Hour), false, ErrRollback},
		{"lower sequence, same catalog", h5, mk(4, "c5", 2*time.Hour), false, ErrRollback},
		{"same sequence, other catalog", h5, mk(5, "evil", 2*time.Hour), false, ErrEquivocated},
		{"same sequence, other catalog, held expired", mk(5, "c5", -time.Hour), mk(5, "evil", time.Hour), false, ErrEquivocated},
		{"renewal: same head, later expiry", h5, mk(5, "c5", 2*time.Hour), true, nil},
		{"renewal of an expired head", mk(5, "c5", -time.Hour), mk(5, "c5", time.Hour), true, nil},
		{"same head, earlier expiry", h5, mk(5, "c5", time.Minute), false, nil},
		{"the very same record", h5, h5, false, nil},
		{"another publisher", h5, other, false, ErrBadHead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Supersedes(tt.held, tt.offered)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Supersedes() = %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestNewest: the rule folded over several offers keeps the first of two
// equivocating heads and reports the other as evidence.
func TestNewest(t *testing.T) {
	key := publisherKey(1)
	h := func(seq uint64, catalog string) *Head {
		t.Helper()
		h, err := NewHead(key, catalogCID(t, catalog), seq, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h3, h5, h5b, h7 := h(3, "c3"), h(5, "c5"), h(5, "evil"), h(7, "c7")
	tests := []struct {
		name      string
		held      *Head
		offered   []*Head
		want      *Head
		wantEvid  int // equivocations among the errors
		wantRefus int // all refusals
	}{
		{"none", nil, nil, nil, 0, 0},
		{"held only", h5, nil, h5, 0, 0},
		{"highest wins in any order", nil, []*Head{h3, h7, h5}, h7, 0, 1},
		{"stale offers keep the held", h5, []*Head{h3, h3}, h5, 0, 2},
		{"equivocation keeps the held", h5, []*Head{h5b}, h5, 1, 1},
		{"equivocation among offers keeps the first", nil, []*Head{h5, h5b}, h5, 1, 1},
		{"a newer head after equivocation wins", h5, []*Head{h5b, h7}, h7, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := Newest(tt.held, tt.offered...)
			evid := 0
			for _, err := range errs {
				if errors.Is(err, ErrEquivocated) {
					evid++
				}
			}
			if got != tt.want || evid != tt.wantEvid || len(errs) != tt.wantRefus {
				t.Errorf("Newest() = %v, %d refusals (%d equivocations); want %v, %d (%d)", got, len(errs), evid, tt.want, tt.wantRefus, tt.wantEvid)
			}
		})
	}
}

// TestHeadsOffer: the store obeys the rule, persists what it stores, and
// treats a stored head that no longer parses as none.
func TestHeadsOffer(t *testing.T) {
	key := publisherKey(1)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	dir := t.TempDir()
	hs, err := OpenHeads(dir)
	if err != nil {
		t.Fatal(err)
	}
	h5, _ := NewHead(key, catalogCID(t, "c5"), 5, time.Hour)
	h3, _ := NewHead(key, catalogCID(t, "c3"), 3, time.Hour)
	h5b, _ := NewHead(key, catalogCID(t, "other"), 5, time.Hour)
	renewed, _ := NewHead(key, catalogCID(t, "c5"), 5, 2*time.Hour)
	steps := []struct {
		name    string
		offer   *Head
		want    bool
		wantErr error
	}{
		{"first", h5, true, nil},
		{"rollback", h3, false, ErrRollback},
		{"equivocation", h5b, false, ErrEquivocated},
		{"again", h5, false, nil},
		{"renewal", renewed, true, nil},
	}
	for _, st := range steps {
		if up, err := hs.Offer(st.offer); up != st.want || !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
			t.Errorf("Offer(%s) = %v, %v; want %v, %v", st.name, up, err, st.want, st.wantErr)
		}
	}
	// A restart sees the same high-water mark.
	hs2, _ := OpenHeads(dir)
	got, err := hs2.Get(id)
	if err != nil || got.Seq != 5 || !bytes.Equal(got.Bytes(), renewed.Bytes()) {
		t.Errorf("Get() after reopen = %+v, %v; want the renewal", got, err)
	}
	// A damaged file is no high-water mark: the next valid head replaces it.
	if err := os.WriteFile(filepath.Join(dir, id), []byte("rot"), 0o600); err != nil {
		t.Fatal(err)
	}
	if up, err := hs2.Offer(h3); !up || err != nil {
		t.Errorf("Offer() over a damaged head = %v, %v; want stored", up, err)
	}
}

// TestResolveHead: a reader asks an honest, a stale, a forging, an
// equivocating and a garbage-serving mirror; it takes the honest head,
// never rolls back, and keeps its own head against equivocation.
func TestResolveHead(t *testing.T) {
	key := publisherKey(1)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	h5, _ := NewHead(key, catalogCID(t, "c5"), 5, time.Hour)
	h3, _ := NewHead(key, catalogCID(t, "c3"), 3, time.Hour)
	h5b, _ := NewHead(key, catalogCID(t, "evil"), 5, 2*time.Hour)
	forged, _ := NewHead(publisherKey(9), catalogCID(t, "evil"), 50, time.Hour)

	mirror := func(record []byte) *Node {
		n := startNode(t, true)
		if record != nil { // written directly: a lying mirror does not check what it serves
			if err := os.WriteFile(filepath.Join(n.repo.heads.dir, id), record, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		n.ServeHeads()
		return n
	}
	honest, stale, liar, junk, twin := mirror(h5.Bytes()), mirror(h3.Bytes()), mirror(forged.Bytes()), mirror([]byte("junk")), mirror(h5b.Bytes())
	reader := startNode(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, m := range []*Node{honest, stale, liar, junk, twin} {
		connect(t, reader, m)
	}
	ids := func(ns ...*Node) (out []peer.ID) {
		for _, n := range ns {
			out = append(out, n.Host.ID())
		}
		return out
	}
	got, err := reader.ResolveHead(ctx, ids(honest, stale, liar, junk), id)
	if err != nil || got.Seq != 5 || got.Catalog != catalogCID(t, "c5") {
		t.Fatalf("ResolveHead() = %+v, %v; want the honest head 5", got, err)
	}
	if _, err := reader.Heads().Offer(got); err != nil { // as Sync does once it holds the content
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		peers []*Node
	}{
		{"stale only", []*Node{stale}},
		{"equivocating twin", []*Node{twin}},
		{"twin and stale", []*Node{twin, stale}},
	} {
		got, err := reader.ResolveHead(ctx, ids(tt.peers...), id)
		if err != nil || !bytes.Equal(got.Bytes(), h5.Bytes()) {
			t.Errorf("ResolveHead(%s) = %+v, %v; want to keep the held 5", tt.name, got, err)
		}
	}
	// Only liars: no head at all for a reader that had none.
	fresh := startNode(t, false)
	connect(t, fresh, liar)
	connect(t, fresh, junk)
	if _, err := fresh.ResolveHead(ctx, ids(liar, junk), id); !errors.Is(err, ErrNoHead) {
		t.Errorf("ResolveHead(liars only) = %v, want ErrNoHead", err)
	}
}

// FuzzParseHead: no bytes from a peer crash the head parser, and what it
// accepts is signed by the publisher.
func FuzzParseHead(f *testing.F) {
	key := publisherKey(1)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	h, err := NewHead(key, cid.MustParse("bafyreigqs7rmu3hjm6fx4myppq3ek7gbewwo2rxwbfl3ujuedsrcgr3xj4"), 7, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(h.Bytes())
	if vec, err := os.ReadFile(filepath.Join("testdata", "delegated-head.bin")); err == nil {
		f.Add(vec) // a delegated head: the wrapper and its document
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseHead(id, data)
		if err != nil {
			return
		}
		if got.Publisher != id || !got.Catalog.Defined() {
			t.Fatalf("accepted head %+v", got)
		}
	})
}

// TestParseCatalog: ParseCatalog returns the publisher's catalog the CID
// names, and refuses another publisher's, one that does not hash to its
// CID, a non-canonical encoding and one over the size limit.
func TestParseCatalog(t *testing.T) {
	key := publisherKey(1)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	cat := &Catalog{Publisher: id, Bundles: []cid.Cid{catalogCID(t, "b2"), catalogCID(t, "b1")}}
	c, data, err := cat.Encode()
	if err != nil {
		t.Fatal(err)
	}
	other := bundle.PublisherID(publisherKey(2).Public().(ed25519.PublicKey))
	oc, odata, _ := (&Catalog{Publisher: other, Bundles: cat.Bundles}).Encode()
	// A non-canonical encoding: the same map with "v" as a two-byte integer.
	i := bytes.Index(data, []byte{0x61, 'v', 0x01})
	long := append(append(append([]byte{}, data[:i+2]...), 0x18, 0x01), data[i+3:]...)
	lc, _ := bundle.PrefixDAGCBOR.Sum(long)
	tests := []struct {
		name string
		c    cid.Cid
		data []byte
		want error
	}{
		{"valid", c, data, nil},
		{"another publisher's", oc, odata, bundle.ErrWrongPublisher},
		{"hash mismatch", c, append(bytes.Clone(data), 0), bundle.ErrHashMismatch},
		{"not canonical", lc, long, bundle.ErrMalformed},
		{"too large", c, make([]byte, maxCatalogSize+1), bundle.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCatalog(id, tt.c, tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseCatalog() = %+v, %v; want %v", got, err, tt.want)
			}
			if err != nil {
				return
			}
			if got.Publisher != id || !slices.Equal(got.Bundles, cat.Bundles) {
				t.Errorf("ParseCatalog() = %+v, want %+v", got, cat)
			}
		})
	}
}
