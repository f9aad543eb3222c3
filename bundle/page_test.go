package bundle

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ipfs/go-cid"
)

type entriesCase struct {
	name string
	raw  []byte
	want error // nil: accepted
}

// entriesCases are page entries in and out of their one encoding, each
// field kind in turn.
func entriesCases() []entriesCase {
	good := func(f func(we *wireEntry)) []byte {
		c, _ := PrefixRaw.Sum([]byte("body"))
		we := wireEntry{Id: "a", Title: "Заголовок", Lang: "ru", Published: 1700000000, Updated: -1, Url: "https://e.example/a",
			Authors: []string{"A", "B"}, Summary: "s", ContentType: "text/plain", Size: 4, Cid: c.Bytes(),
			Body:        []wireSpan{{Block: 0, Enc: 1, Raw: 300, Off: 24, Len: 4}},
			Attachments: []wireAttachment{{Name: "i.png", ContentType: "image/png", Size: 0, Cid: c.Bytes(), Body: []wireSpan{}}}}
		if f != nil {
			f(&we)
		}
		raw, err := entriesEnc.Marshal([]wireEntry{we, we})
		if err != nil {
			panic(err)
		}
		return raw
	}
	// replace returns raw with the first old replaced by new.
	replace := func(raw []byte, old, new []byte) []byte {
		i := bytes.Index(raw, old)
		if i < 0 {
			panic("no such bytes")
		}
		return append(append(append([]byte{}, raw[:i]...), new...), raw[i+len(old):]...)
	}
	plain := good(nil)
	return []entriesCase{
		{"canonical", plain, nil},
		{"no entries", []byte{0x80}, nil},
		{"extreme integers", good(func(we *wireEntry) { we.Published, we.Updated = math.MaxInt64, math.MinInt64 }), nil},
		{"no authors, attachments or spans", good(func(we *wireEntry) { we.Authors, we.Attachments, we.Body = nil, nil, nil }), nil},
		{"long text", good(func(we *wireEntry) { we.Summary = strings.Repeat("x", 70000) }), nil},
		{"integer in a longer head", replace(plain, []byte{0x85, 0x00, 0x01}, []byte{0x85, 0x18, 0x00, 0x01}), ErrMalformed},
		{"length in a longer head", replace(plain, []byte{0x62, 'r', 'u'}, []byte{0x78, 0x02, 'r', 'u'}), ErrMalformed},
		{"2-byte head for a 1-byte value", replace(plain, []byte{0x19, 0x01, 0x2c}, []byte{0x1a, 0x00, 0x00, 0x01, 0x2c}), ErrMalformed},
		{"text not UTF-8", replace(plain, []byte{0x62, 'r', 'u'}, []byte{0x62, 0xff, 'u'}), ErrMalformed},
		{"integer over int64", replace(plain, []byte{0x1a, 0x65, 0x53, 0xf1, 0x00}, append([]byte{0x1b, 0x80}, make([]byte, 7)...)), ErrMalformed},
		{"negative integer under int64", replace(plain, []byte{0x20}, append([]byte{0x3b, 0x80}, make([]byte, 7)...)), ErrMalformed},
		{"null for a list", replace(plain, []byte{0x82, 0x61, 'A'}, []byte{0xf6, 0x61, 'A'}), ErrMalformed},
		{"indefinite list", []byte{0x9f, 0xff}, ErrMalformed},
		{"tuple of 12", replace(plain, []byte{0x8d}, []byte{0x8c}), ErrMalformed},
		{"bytes after", append(bytes.Clone(plain), 0x00), ErrMalformed},
		{"text for bytes", replace(plain, []byte{0x58, 0x24}, []byte{0x78, 0x24}), ErrMalformed},
		{"authors over the decoder's list limit", entryWith(6, append(cborHead(4, maxListElements+1), bytes.Repeat([]byte{0x60}, maxListElements+1)...)), ErrMalformed},
		{"authors at the decoder's list limit", entryWith(6, append(cborHead(4, maxListElements), bytes.Repeat([]byte{0x60}, maxListElements)...)), nil},
	}
}

// TestDecodeEntries: the page entries parser accepts exactly what its
// definition, the strict decoder with re-encoding, accepts, and decodes
// the same values.
func TestDecodeEntries(t *testing.T) {
	for _, tc := range entriesCases() {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := decodeWireEntries(tc.raw, MaxBundleSpans)
			if sentinelOf(wantErr) != sentinelOf(tc.want) {
				t.Fatalf("the strict decoder = %v, want %v: a wrong case", wantErr, tc.want)
			}
			pe, err := decodeEntries(tc.raw, MaxBundleSpans)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("decodeEntries() = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeEntries() = %v", err)
			}
			if got := wireOf(pe); !reflect.DeepEqual(want, got) {
				t.Errorf("decodeEntries() (-strict +parsed):\n%s", cmp.Diff(want, got))
			}
		})
	}
}

// TestDecodeEntriesSpansShareNothing: an entry's spans are a part of one
// array for the page, and appending to one entry's must not overwrite the
// next entry's.
func TestDecodeEntriesSpansShareNothing(t *testing.T) {
	pe, err := decodeEntries(entriesCases()[0].raw, MaxBundleSpans)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(pe.entries[0].Body, span{Raw: 99})
	if len(pe.entries[1].Body) == 0 || pe.entries[1].Body[0].Raw == 99 {
		t.Errorf("appending to entry 0's spans changed entry 1's: %+v", pe.entries[1].Body)
	}
}

// FuzzDecodePageBlock: the page block decoder accepts exactly what the
// generic strict DAG-CBOR decoder accepts, with the same values.
func FuzzDecodePageBlock(f *testing.F) {
	for _, s := range seedObjects(f, cid.DagCBOR) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxBlockSize {
			return
		}
		checkPageBlock(t, data)
	})
}

func checkPageBlock(t *testing.T, data []byte) {
	t.Helper()
	want, wantErr := DecodeDAGCBOR[page](protoPage, data, "manifest page")
	got, err := decodePageBlock(data)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("decodePageBlock() = %v, DecodeDAGCBOR() = %v", err, wantErr)
	}
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("decodePageBlock() = %v, want ErrMalformed", err)
		}
		return
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b cid.Cid) bool { return a.Equals(b) })); diff != "" {
		t.Fatalf("decodePageBlock() (-generic +fast):\n%s", diff)
	}
}

// TestDecodePageBlock: a page block in its one encoding and variants of
// it, each checked against the generic decoder.
func TestDecodePageBlock(t *testing.T) {
	data := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, testArticles(3))
	b, err := openBytes(data, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pageBlock []byte
	for _, c := range b.meta {
		blk, _ := b.Block(c)
		if _, err := DecodeDAGCBOR[page](protoPage, blk, "manifest page"); err == nil {
			pageBlock = blk
		}
	}
	if pageBlock == nil {
		t.Fatal("no page block")
	}
	v0, _ := cid.Decode("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n")
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"as packed", pageBlock},
		{"empty", []byte{0xa2, 0x66, 'b', 'l', 'o', 'c', 'k', 's', 0x80, 0x67, 'e', 'n', 't', 'r', 'i', 'e', 's', 0x40}},
		{"keys swapped", []byte{0xa2, 0x67, 'e', 'n', 't', 'r', 'i', 'e', 's', 0x40, 0x66, 'b', 'l', 'o', 'c', 'k', 's', 0x80}},
		{"a third key", []byte{0xa3, 0x66, 'b', 'l', 'o', 'c', 'k', 's', 0x80, 0x67, 'e', 'n', 't', 'r', 'i', 'e', 's', 0x40, 0x61, 'x', 0x00}},
		{"entries in a longer head", []byte{0xa2, 0x66, 'b', 'l', 'o', 'c', 'k', 's', 0x80, 0x67, 'e', 'n', 't', 'r', 'i', 'e', 's', 0x58, 0x00}},
		{"a CIDv0 link", append(append([]byte{0xa2, 0x66, 'b', 'l', 'o', 'c', 'k', 's', 0x81, 0xd8, 42, 0x58, 35, 0x00}, v0.Bytes()...), 0x67, 'e', 'n', 't', 'r', 'i', 'e', 's', 0x40)},
		{"a link without 0x00", append(append([]byte{0xa2, 0x66, 'b', 'l', 'o', 'c', 'k', 's', 0x81, 0xd8, 42, 0x58, 34}, v0.Bytes()...), 0x67, 'e', 'n', 't', 'r', 'i', 'e', 's', 0x40)},
		{"a link that is no CID", []byte{0xa2, 0x66, 'b', 'l', 'o', 'c', 'k', 's', 0x81, 0xd8, 42, 0x43, 0x00, 0x01, 0x55, 0x67, 'e', 'n', 't', 'r', 'i', 'e', 's', 0x40}},
		{"tag 43", []byte{0xa2, 0x66, 'b', 'l', 'o', 'c', 'k', 's', 0x81, 0xd8, 43, 0x41, 0x00, 0x67, 'e', 'n', 't', 'r', 'i', 'e', 's', 0x40}},
		{"a byte after", append(bytes.Clone(pageBlock), 0)},
		{"a byte short", pageBlock[:len(pageBlock)-1]},
	} {
		t.Run(tc.name, func(t *testing.T) { checkPageBlock(t, tc.data) })
	}
}
