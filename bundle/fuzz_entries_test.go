package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
)

func mustDecMode(o cbor.DecOptions) cbor.DecMode {
	m, err := o.DecMode()
	if err != nil {
		panic(err) // constant options
	}
	return m
}

// entriesDec is the strict decoder the entries' encoding is defined by:
// what it decodes and entriesEnc writes back to the same bytes is what a
// reader accepts. parseEntries must accept exactly that, and decode it to
// the same values.
var entriesDec = mustDecMode(cbor.DecOptions{
	DupMapKey:         cbor.DupMapKeyEnforcedAPF,
	IndefLength:       cbor.IndefLengthForbidden,
	TagsMd:            cbor.TagsForbidden,
	UTF8:              cbor.UTF8RejectInvalid,
	MaxNestedLevels:   8,
	MaxArrayElements:  MaxPageRaw / 2,
	MaxMapPairs:       16,
	ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
})

// decodeWireEntries is decodeEntries by the definition: the shape check
// and the span count, then the strict decoder and the re-encoding.
func decodeWireEntries(raw []byte, maxSpans int) ([]wireEntry, error) {
	spans, err := checkEntriesShape(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: page entries: %v", ErrMalformed, err)
	}
	if spans > maxSpans {
		return nil, fmt.Errorf("%w: page entries hold %d spans", ErrTooLarge, spans)
	}
	var wire []wireEntry
	if err := entriesDec.Unmarshal(raw, &wire); err != nil {
		return nil, fmt.Errorf("%w: page entries: %v", ErrMalformed, err)
	}
	if again, err := entriesEnc.Marshal(wire); err != nil || !bytes.Equal(again, raw) {
		return nil, fmt.Errorf("%w: page entries are not canonical", ErrMalformed)
	}
	return wire, nil
}

// wireOf returns what parseEntries decoded in the form of the strict
// decoder's values.
func wireOf(pe *pageEntries) []wireEntry {
	out := make([]wireEntry, 0, len(pe.entries))
	k, c := 0, 0
	// Lists are never nil: the strict decoder makes [] an empty slice.
	spans := func(ss []span) []wireSpan {
		ws := []wireSpan{}
		for _, s := range ss {
			ws = append(ws, wireSpan{Block: pe.blocks[k], Enc: s.Enc, Raw: s.Raw, Off: s.Off, Len: s.Len})
			k++
		}
		return ws
	}
	for _, e := range pe.entries {
		we := wireEntry{Id: e.Id, Title: e.Title, Lang: e.Lang, Published: e.Published, Updated: e.Updated, Url: e.Url,
			Authors: e.Authors, Summary: e.Summary, ContentType: e.ContentType, Size: e.Size, Cid: pe.cids[c]}
		c++
		we.Body, we.Attachments = spans(e.Body), []wireAttachment{}
		for _, a := range e.Attachments {
			wa := wireAttachment{Name: a.Name, ContentType: a.ContentType, Size: a.Size, Cid: pe.cids[c]}
			c++
			wa.Body = spans(a.Body)
			we.Attachments = append(we.Attachments, wa)
		}
		out = append(out, we)
	}
	return out
}

// sentinelOf returns the sentinel of a decodeEntries error.
func sentinelOf(err error) error {
	for _, s := range []error{ErrTooLarge, ErrMalformed} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

// FuzzDecodeEntries fuzzes the decoder of a page's decompressed entries,
// below the zstd frame that keeps FuzzDecodeManifest from reaching it,
// against its definition: decodeEntries must accept exactly what the
// shape check and the strict decoder with re-encoding accept, refuse the
// rest with the same error, and decode the same values; and the shape
// check must refuse nothing the strict decoder alone would accept.
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
	for _, s := range entriesCases() {
		f.Add(s.raw)
	}
	// The strict decoder alone, bounded for the small inputs fuzzing
	// makes: it sizes each list by its declared length, so the bound on
	// elements is kept low (an input of 16 KiB holds no more elements
	// anyway), or the oracle itself spends seconds allocating and stalls
	// the fuzzer.
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
		want, wantErr := decodeWireEntries(raw, MaxBundleSpans)
		pe, err := decodeEntries(raw, MaxBundleSpans)
		if err != nil || wantErr != nil {
			if sentinelOf(err) != sentinelOf(wantErr) {
				t.Fatalf("decodeEntries() = %v, the strict decoder %v", err, wantErr)
			}
			// The shape check must refuse nothing canonical.
			var alone []wireEntry
			if plain.Unmarshal(raw, &alone) == nil {
				if again, merr := entriesEnc.Marshal(alone); merr == nil && bytes.Equal(again, raw) {
					t.Fatalf("decodeEntries refused canonical entries: %v", err)
				}
			}
			return
		}
		if got := wireOf(pe); !reflect.DeepEqual(want, got) {
			t.Fatalf("decodeEntries() differs from the strict decoder (-strict +parsed):\n%s", cmp.Diff(want, got))
		}
	})
}
