package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

// exportFixture: a publisher's export files at sequence 1 and 2, and its
// bundle files.
type exportFixture struct {
	key       ed25519.PrivateKey
	publisher string
	files     map[uint64][]byte
	exports   map[uint64][]byte
}

func newExportFixture(t testing.TB) *exportFixture {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
	f := &exportFixture{key: key, publisher: bundle.PublisherID(key.Public().(ed25519.PublicKey)),
		files: map[uint64][]byte{}, exports: map[uint64][]byte{}}
	pub := start(t, false)
	ctx := context.Background()
	for seq := uint64(1); seq <= 2; seq++ {
		file, b := packN(t, key, seq, int64(seq), 12)
		f.files[seq] = file
		if _, err := pub.as(key).Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		res, err := pub.svc.Export(ctx, f.publisher, &buf)
		if err != nil || len(res.Bundles) != int(seq) || res.Head.Seq != seq {
			t.Fatalf("Export() = %+v, %v", res, err)
		}
		f.exports[seq] = buf.Bytes()
	}
	return f
}

func importBytes(n *testNode, data []byte) (*SyncResult, error) {
	return n.svc.Import(context.Background(), bytes.NewReader(data), int64(len(data)))
}

// state is what an import may change: held bundles and the head.
func state(t *testing.T, n *testNode, publisher string) (roots []string, head []byte) {
	t.Helper()
	for _, i := range n.HeldBundles() {
		roots = append(roots, i.Root.String())
	}
	slices.Sort(roots)
	h, err := n.heads.Get(publisher)
	if err != nil {
		t.Fatal(err)
	}
	if h != nil {
		head = h.Bytes()
	}
	return roots, head
}

func TestExportImportRoundTrip(t *testing.T) {
	f := newExportFixture(t)
	n := start(t, false)
	res, err := importBytes(n, f.exports[2])
	if err != nil {
		t.Fatalf("Import() = %v", err)
	}
	if res.Head.Seq != 2 || len(res.Fetched) != 2 {
		t.Fatalf("Import() = head %d, fetched %d; want 2, 2", res.Head.Seq, len(res.Fetched))
	}
	checkHeld(t, n, res, f.publisher, f.files)
	// Importing again changes nothing and fails nothing.
	if res, err := importBytes(n, f.exports[2]); err != nil || len(res.Fetched) != 0 {
		t.Errorf("second Import() = fetched %v, %v; want none, nil", res, err)
	}
	// Exporting from the importer gives the same file.
	var again bytes.Buffer
	if _, err := n.svc.Export(context.Background(), f.publisher, &again); err != nil || !bytes.Equal(again.Bytes(), f.exports[2]) {
		t.Errorf("re-export differs (%v)", err)
	}
}

// rewrite re-encodes an export file with its export block changed by
// edit, the rest kept: a forger who can build valid CARs.
func rewrite(t *testing.T, data []byte, edit func(*wireExport)) []byte {
	t.Helper()
	ef, err := readExport(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	old, err := ef.block(ef.root)
	if err != nil {
		t.Fatal(err)
	}
	e, err := bundle.DecodeDAGCBOR[wireExport](exportProto, old, "export")
	if err != nil {
		t.Fatal(err)
	}
	edit(e)
	root, blk, err := encodeExport(e)
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := bundle.EncodeDAGCBOR(wrapHeader(root))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.Write(appendUvarint(nil, len(hdr)))
	buf.Write(hdr)
	buf.Write(appendUvarint(nil, len(root.Bytes())+len(blk)))
	buf.Write(root.Bytes())
	buf.Write(blk)
	// The old export section follows the header: skip it.
	s := ef.index[ef.root]
	buf.Write(data[s.off+int64(s.n):])
	return buf.Bytes()
}

func TestImportRejects(t *testing.T) {
	f := newExportFixture(t)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	flipLast := func(b []byte) []byte {
		b = bytes.Clone(b)
		b[len(b)-1] ^= 1
		return b
	}
	tests := []struct {
		name string
		file []byte
		want error
	}{
		{"head signature", rewrite(t, f.exports[2], func(e *wireExport) { e.Head = flipLast(e.Head) }), node.ErrBadHead},
		{"head by another key", rewrite(t, f.exports[2], func(e *wireExport) {
			h, err := node.NewHead(other, e.Catalog, 3, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			e.Head = h.Bytes()
		}), node.ErrBadHead},
		{"catalog not the head's", rewrite(t, f.exports[2], func(e *wireExport) {
			c, err := bundle.PrefixDAGCBOR.Sum([]byte("another catalog"))
			if err != nil {
				t.Fatal(err)
			}
			e.Catalog = c
		}), bundle.ErrInvalid},
		{"export block byte", func() []byte {
			b := bytes.Clone(f.exports[2])
			ef, _ := readExport(bytes.NewReader(b), int64(len(b)))
			b[ef.index[ef.root].off+3] ^= 1
			return b
		}(), bundle.ErrHashMismatch},
		{"block byte", func() []byte {
			// The last block of the newest bundle (the target holds the
			// older one, so its blocks are not read).
			b2, err := bundle.OpenReader(bytes.NewReader(f.files[2]), int64(len(f.files[2])), bundle.OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			blocks := b2.Blocks()
			b := bytes.Clone(f.exports[2])
			ef, _ := readExport(bytes.NewReader(b), int64(len(b)))
			s := ef.index[blocks[len(blocks)-1]]
			b[s.off+int64(s.n)-1] ^= 1
			return b
		}(), bundle.ErrInvalid}, // bundle reports it as a missing block
		{"older head", f.exports[1], node.ErrRollback},
		{"truncated mid-file", f.exports[2][:len(f.exports[2])/2], bundle.ErrTruncated},
		{"truncated last byte", f.exports[2][:len(f.exports[2])-1], bundle.ErrTruncated},
		{"truncated header", f.exports[2][:10], bundle.ErrTruncated},
		{"empty", nil, bundle.ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := start(t, false)
			// The target holds sequence 1 (or 2, for the rollback case).
			base := f.exports[1]
			if tt.want == node.ErrRollback {
				base = f.exports[2]
			}
			if _, err := importBytes(n, base); err != nil {
				t.Fatal(err)
			}
			roots, head := state(t, n, f.publisher)
			_, err := importBytes(n, tt.file)
			if !errors.Is(err, tt.want) {
				t.Errorf("Import() = %v, want %v", err, tt.want)
			}
			roots2, head2 := state(t, n, f.publisher)
			if !slices.Equal(roots, roots2) || !bytes.Equal(head, head2) {
				t.Errorf("a rejected import changed the repo: bundles %v -> %v", roots, roots2)
			}
		})
	}
}

func FuzzImportDecoder(f *testing.F) {
	ef := newExportFixture(f)
	f.Add(ef.exports[1])
	f.Add(ef.exports[1][:200])
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := readExport(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		blk, err := x.block(x.root)
		if err != nil {
			return
		}
		h, err := parseExportBlock(x.root, blk)
		if err != nil {
			return
		}
		// Round trip: what parses re-encodes to the same block.
		c, again, err := encodeExport(&wireExport{V: 1, Type: exportType, Publisher: h.Publisher, Head: h.Bytes(), Catalog: h.Catalog})
		if err != nil || c != x.root || !bytes.Equal(again, blk) {
			t.Errorf("export block does not round-trip")
		}
	})
}

// FuzzExportBlock fuzzes the inner decoder beneath the signature check.
func FuzzExportBlock(f *testing.F) {
	_, blk, err := encodeExport(&wireExport{V: 1, Type: exportType, Publisher: "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5", Head: []byte("head"), Catalog: cid.NewCidV1(cid.Raw, []byte{0, 0})})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(blk)
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := bundle.DecodeDAGCBOR[wireExport](exportProto, data, "export")
		if err != nil {
			return
		}
		_, again, err := encodeExport(e)
		if err != nil || !bytes.Equal(again, data) {
			t.Errorf("decoded export block does not re-encode to its bytes")
		}
	})
}
