package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
)

func catalogCID(t *testing.T, s string) cid.Cid {
	t.Helper()
	c, err := cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: 0x12, MhLength: -1}.Sum([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func publisherKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func TestHeadRecord(t *testing.T) {
	key, other := publisherKey(1), publisherKey(2)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	h, err := NewHead(key, catalogCID(t, "c5"), 5, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseHead(id, h.Bytes())
	if err != nil || got.Seq != 5 || got.Catalog != catalogCID(t, "c5") || got.Expired {
		t.Fatalf("ParseHead() = %+v, %v", got, err)
	}
	forged, _ := NewHead(other, catalogCID(t, "evil"), 99, time.Hour)
	for name, data := range map[string][]byte{
		"signed by another key": forged.Bytes(),
		"garbage":               []byte("not a record"),
		"oversized":             make([]byte, maxHeadSize+1),
		"bit flipped":           flip(h.Bytes(), 40),
	} {
		if _, err := ParseHead(id, data); !errors.Is(err, ErrBadHead) {
			t.Errorf("ParseHead(%s) = %v, want ErrBadHead", name, err)
		}
	}
	old, err := NewHead(key, catalogCID(t, "c1"), 1, -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err = ParseHead(id, old.Bytes())
	if err != nil || !got.Expired {
		t.Errorf("ParseHead(expired) = %+v, %v; want a valid, expired head", got, err)
	}
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i%len(out)] ^= 0x01
	return out
}

func TestHeadsHighWaterMark(t *testing.T) {
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
	if up, err := hs.Offer(h5); !up || err != nil {
		t.Fatalf("Offer(5) = %v, %v", up, err)
	}
	if _, err := hs.Offer(h3); !errors.Is(err, ErrRollback) {
		t.Errorf("Offer(3 after 5) = %v, want ErrRollback", err)
	}
	if _, err := hs.Offer(h5b); !errors.Is(err, ErrEquivocated) {
		t.Errorf("Offer(another 5) = %v, want ErrEquivocated", err)
	}
	renewed, _ := NewHead(key, catalogCID(t, "c5"), 5, 2*time.Hour)
	if up, err := hs.Offer(renewed); !up || err != nil {
		t.Errorf("Offer(renewed 5) = %v, %v; want the renewal stored", up, err)
	}
	// A restart sees the same high-water mark.
	hs2, _ := OpenHeads(dir)
	got, err := hs2.Get(id)
	if err != nil || got.Seq != 5 || got.Catalog != catalogCID(t, "c5") {
		t.Errorf("Get() after reopen = %+v, %v", got, err)
	}
}

// TestResolveHead: a reader asks an honest, a stale, a forging and a
// garbage-serving mirror; it takes the honest head and never rolls back.
func TestResolveHead(t *testing.T) {
	key := publisherKey(1)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	h5, _ := NewHead(key, catalogCID(t, "c5"), 5, time.Hour)
	h3, _ := NewHead(key, catalogCID(t, "c3"), 3, time.Hour)
	forged, _ := NewHead(publisherKey(9), catalogCID(t, "evil"), 50, time.Hour)

	mirror := func(record []byte) *Node {
		n := startNode(t, true)
		dir := t.TempDir()
		hs, _ := OpenHeads(dir)
		if record != nil { // written directly: a lying mirror does not check what it serves
			if err := os.WriteFile(filepath.Join(dir, id), record, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		n.ServeHeads(hs)
		return n
	}
	honest, stale, liar, junk := mirror(h5.Bytes()), mirror(h3.Bytes()), mirror(forged.Bytes()), mirror([]byte("junk"))
	reader := startNode(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var peers []peer.ID
	for _, m := range []*Node{honest, stale, liar, junk} {
		connect(t, reader, m)
		peers = append(peers, m.Host.ID())
	}
	hs, _ := OpenHeads(t.TempDir())
	got, err := reader.ResolveHead(ctx, hs, peers, id)
	if err != nil || got.Seq != 5 || got.Catalog != catalogCID(t, "c5") {
		t.Fatalf("ResolveHead() = %+v, %v; want the honest head 5", got, err)
	}
	if _, err := hs.Offer(got); err != nil { // as Sync does once it holds the content
		t.Fatal(err)
	}
	// Later only the stale mirror answers: the reader keeps 5.
	got, err = reader.ResolveHead(ctx, hs, []peer.ID{stale.Host.ID()}, id)
	if err != nil || got.Seq != 5 {
		t.Errorf("ResolveHead(stale only) = %+v, %v; want to keep 5", got, err)
	}
	// Only liars: no head at all for a reader that had none.
	if _, err := reader.ResolveHead(ctx, func() *Heads { h, _ := OpenHeads(t.TempDir()); return h }(), []peer.ID{liar.Host.ID(), junk.Host.ID()}, id); err == nil {
		t.Errorf("ResolveHead(liars only) succeeded")
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

func TestParseCatalog(t *testing.T) {
	key := publisherKey(1)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	cat := &Catalog{Publisher: id, Bundles: []cid.Cid{catalogCID(t, "b2"), catalogCID(t, "b1")}}
	c, data, err := cat.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseCatalog(id, c, data)
	if err != nil || len(got.Bundles) != 2 || got.Bundles[0] != cat.Bundles[0] {
		t.Fatalf("ParseCatalog() = %+v, %v", got, err)
	}
	other := bundle.PublisherID(publisherKey(2).Public().(ed25519.PublicKey))
	oc, odata, _ := (&Catalog{Publisher: other, Bundles: cat.Bundles}).Encode()
	// A non-canonical encoding: the same map with "v" as a two-byte integer.
	i := bytes.Index(data, []byte{0x61, 'v', 0x01})
	long := append(append(append([]byte{}, data[:i+2]...), 0x18, 0x01), data[i+3:]...)
	lc, _ := catalogPrefix.Sum(long)
	for name, tc := range map[string]struct {
		c    cid.Cid
		data []byte
		want error
	}{
		"another publisher's": {oc, odata, bundle.ErrWrongPublisher},
		"hash mismatch":       {c, append(bytes.Clone(data), 0), bundle.ErrHashMismatch},
		"not canonical":       {lc, long, bundle.ErrMalformed},
		"too large":           {c, make([]byte, maxCatalogSize+1), bundle.ErrTooLarge},
	} {
		if _, err := ParseCatalog(id, tc.c, tc.data); !errors.Is(err, tc.want) {
			t.Errorf("ParseCatalog(%s) = %v, want %v", name, err, tc.want)
		}
	}
}
