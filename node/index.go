package node

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/samizdat/samizdat/bundle"
)

// IndexPath is where a static copy keeps each bundle's block index:
// IndexPath + bundle root (docs/protocol.md §8.2).
const IndexPath = "/samizdat/index/"

// IndexRecordSize is the size of one record of a block index: the offset
// of the block's bytes in the bundle file (8 bytes) and their length (4
// bytes), both big endian.
const IndexRecordSize = 12

// errNotCanonical: an index describes the canonical file only.
var errNotCanonical = errors.New("bundle file is not canonical")

// BundleIndex returns the block index of a bundle opened from its
// canonical file: one record per block, in the order Blocks lists them,
// saying where that block's bytes lie in the file. A reader that verified
// the bundle's metadata knows that order, and so which record to ask for
// to fetch one block by byte range. The index is not signed and needs no
// signature: each block is checked against its CID once fetched.
func BundleIndex(b *bundle.Bundle) ([]byte, error) {
	if !b.Canonical() {
		return nil, errNotCanonical
	}
	blocks := b.Blocks()
	out := make([]byte, 0, len(blocks)*IndexRecordSize)
	for _, c := range blocks {
		off, n, ok := b.Locate(c)
		if !ok {
			return nil, fmt.Errorf("block %s: not in the bundle file", c)
		}
		out = binary.BigEndian.AppendUint64(out, uint64(off))
		out = binary.BigEndian.AppendUint32(out, uint32(n))
	}
	return out, nil
}
