package bundle

import (
	"bytes"
	"errors"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/klauspost/compress/zstd"
)

// FuzzDecodeEntries fuzzes the decoder of a page's decompressed entries,
// below the zstd frame that keeps FuzzDecodeManifest from reaching it.
// The shape check must refuse nothing the decoder alone would accept, and
// what is accepted must be canonical.
func FuzzDecodeEntries(f *testing.F) {
	dec, _ := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxPageRaw))
	defer dec.Close()
	for _, s := range seedObjects(f, 0x71) { // dag-cbor
		pg, err := DecodeDAGCBOR[page](protoPage, s, "manifest page")
		if err != nil {
			continue
		}
		raw, err := dec.DecodeAll(pg.Entries, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add(claimedArray(1000))
	f.Add(entryWith(12, claimedArray(100)))
	// The decoder alone, bounded for the small inputs fuzzing makes: it
	// sizes each list by its declared length, so the bound on elements is
	// kept low (an input of 16 KiB holds no more elements anyway), or the
	// oracle itself spends seconds allocating and stalls the fuzzer.
	const maxInput = 16 << 10
	plain := mustDecMode(cbor.DecOptions{
		DupMapKey: cbor.DupMapKeyEnforcedAPF, IndefLength: cbor.IndefLengthForbidden, TagsMd: cbor.TagsForbidden,
		UTF8: cbor.UTF8RejectInvalid, MaxNestedLevels: 8, MaxArrayElements: maxInput, MaxMapPairs: 16,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > maxInput {
			return
		}
		wire, err := decodeWireEntries(raw, MaxBundleSpans)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("decodeWireEntries() = %v, want an error matching ErrMalformed or ErrTooLarge", err)
			}
			var alone []wireEntry
			if plain.Unmarshal(raw, &alone) == nil {
				if again, merr := entriesEnc.Marshal(alone); merr == nil && bytes.Equal(again, raw) {
					t.Fatalf("decodeWireEntries refused canonical entries: %v", err)
				}
			}
			return
		}
		if again, err := entriesEnc.Marshal(wire); err != nil || !bytes.Equal(again, raw) {
			t.Fatalf("accepted entries do not re-encode to themselves: %v", err)
		}
	})
}
