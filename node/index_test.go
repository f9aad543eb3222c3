package node

import (
	"encoding/binary"
	"testing"

	"github.com/samizdat/samizdat/bundle"
)

// TestBundleIndex: record i of the index says where block i of Blocks()
// lies in the canonical file, and the bytes there hash to its CID.
func TestBundleIndex(t *testing.T) {
	file := testBundle(t, 1, 20, nil)
	b := openBundle(t, file)
	index, err := BundleIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	blocks := b.Blocks()
	if len(index) != IndexRecordSize*len(blocks) {
		t.Fatalf("index of %d bytes for %d blocks", len(index), len(blocks))
	}
	for i, c := range blocks {
		rec := index[i*IndexRecordSize:]
		off, n := binary.BigEndian.Uint64(rec), binary.BigEndian.Uint32(rec[8:])
		if off+uint64(n) > uint64(len(file)) {
			t.Fatalf("record %d points past the file", i)
		}
		if err := bundle.CheckBlock(c, file[off:off+uint64(n)]); err != nil {
			t.Errorf("record %d: %v", i, err)
		}
	}
}
