package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/klauspost/compress/zstd"
)

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxOpenAlloc bounds what opening a bundle of a few small articles may
// allocate, whatever its signed counts claim.
const maxOpenAlloc = 16 << 20

// TestOpenEnvelopeArticleCount: the envelope's signed article count is
// the signer's claim, not a size to allocate by. A 299-byte envelope that
// claimed 2^24 articles once made Open allocate 853 MiB.
func TestOpenEnvelopeArticleCount(t *testing.T) {
	good := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, testArticles(4))
	for _, tc := range []struct {
		name     string
		articles int64
		want     error
	}{
		{"at the limit", MaxArticles, ErrSizeMismatch},
		{"over the limit", MaxArticles + 1, ErrTooLarge},
		{"2^24", 1 << 24, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := takeApart(t, good, testKey(1))
			f.payload.Articles = tc.articles
			data := f.build(t)
			var err error
			n := allocated(func() { _, err = openBytes(data, OpenOptions{}) })
			if !errors.Is(err, tc.want) {
				t.Errorf("Open() = %v, want %v", err, tc.want)
			}
			if n > maxOpenAlloc {
				t.Errorf("Open() allocated %d MiB, want at most %d MiB", n>>20, maxOpenAlloc>>20)
			}
		})
	}
}

// cborHead encodes a CBOR head: major type and argument, in its shortest form.
func cborHead(major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return []byte{m | byte(n)}
	case n < 1<<8:
		return []byte{m | 24, byte(n)}
	case n < 1<<16:
		return []byte{m | 25, byte(n >> 8), byte(n)}
	case n < 1<<32:
		return []byte{m | 26, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return []byte{m | 27, byte(n >> 56), byte(n >> 48), byte(n >> 40), byte(n >> 32), byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

// claimedArray is a CBOR array that claims n elements and holds n zero
// bytes: well-formed, n elements long, and nothing like what it claims.
func claimedArray(n int) []byte {
	return append(cborHead(4, uint64(n)), make([]byte, n)...)
}

// entryWith is the entries of a page with one entry whose list at field
// i (6 authors, 11 body, 12 attachments) is list.
func entryWith(i int, list []byte) []byte {
	fields := [][]byte{
		{0x62, 'i', 'd'}, {0x60}, {0x60}, {0x00}, {0x00}, {0x60}, {0x80}, {0x60}, {0x60}, {0x00},
		append([]byte{0x58, 36}, make([]byte, 36)...), {0x80}, {0x80},
	}
	fields[i] = list
	out := append(cborHead(4, 1), cborHead(4, uint64(len(fields)))...)
	for _, f := range fields {
		out = append(out, f...)
	}
	return out
}

// TestOpenPageEntryCounts: a list's declared length in a page's entries
// is not a size to allocate by. The entries decoder made each list's
// elements before decoding one, so a few hundred bytes of compressed
// entries claiming 2^21 entries made Open allocate 432 MiB.
func TestOpenPageEntryCounts(t *testing.T) {
	good := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, testArticles(4))
	const n = MaxPageRaw / 2
	for _, tc := range []struct {
		name    string
		entries []byte
	}{
		{"entries", claimedArray(n)},
		{"authors", entryWith(6, claimedArray(n))},
		{"body spans", entryWith(11, claimedArray(n))},
		{"attachments", entryWith(12, claimedArray(n))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := takeApart(t, good, testKey(1))
			f.rawEntries = map[int][]byte{0: tc.entries}
			data := f.build(t)
			var err error
			alloc := allocated(func() { _, err = openBytes(data, OpenOptions{}) })
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Open() = %v, want %v", err, ErrMalformed)
			}
			if alloc > maxOpenAlloc {
				t.Errorf("Open() allocated %d MiB for a %d-byte bundle, want at most %d MiB", alloc>>20, len(data), maxOpenAlloc>>20)
			}
		})
	}
}

// TestOpenArticleDecodeBounds: the spans of an article may not make
// reading it decode more than MaxArticleSize, nor much more than the
// article's own bytes, however small the blocks they name.
func TestOpenArticleDecodeBounds(t *testing.T) {
	good := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, testArticles(4))
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	mib := enc.EncodeAll(make([]byte, 1<<20), nil) // 1 MiB of zeros in a few dozen bytes
	byte1 := []byte{'x'}
	// spans returns n spans of len bytes each over the MiB block, and
	// then extra 1-byte spans over a 1-byte block.
	type spec struct {
		n, len, extra int
	}
	for _, tc := range []struct {
		name      string
		body, att spec
		want      error
	}{
		{"1024 spans of one block: a 1 GiB body", spec{n: 1024, len: 1 << 20}, spec{}, ErrTooLarge},
		{"body at the article limit", spec{n: MaxArticleSize >> 20, len: 1 << 20}, spec{}, nil},
		{"body one byte over the article limit", spec{n: MaxArticleSize >> 20, len: 1 << 20, extra: 1}, spec{}, ErrTooLarge},
		{"body and attachment together over the limit", spec{n: MaxArticleSize >> 21, len: 1 << 20}, spec{n: MaxArticleSize >> 21, len: 1 << 20, extra: 1}, ErrTooLarge},
		{"empty body naming one block", spec{n: 1}, spec{}, nil}, // a short body in its cluster: MaxArticleSlack
		{"empty body naming a block twice", spec{n: 2}, spec{}, ErrTooLarge},
		{"empty body naming a block 1024 times", spec{n: 1024}, spec{}, ErrTooLarge},
		{"empty attachment naming a block 1000 times", spec{extra: 1}, spec{n: 1000}, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := takeApart(t, good, testKey(1))
			big, one := f.putContent(t, mib), f.putContent(t, byte1)
			spans := func(s spec) ([]span, int64) {
				out := []span{}
				var size int64
				for range s.n {
					out = append(out, span{Block: big, Enc: encZstd, Raw: 1 << 20, Len: int64(s.len)})
					size += int64(s.len)
				}
				for range s.extra {
					out = append(out, span{Block: one, Enc: encNone, Raw: 1, Len: 1})
					size++
				}
				return out, size
			}
			e := &f.pages[0][0]
			f.payload.Bytes -= e.Size
			e.Body, e.Size = spans(tc.body)
			f.payload.Bytes += e.Size
			if tc.att != (spec{}) {
				a := attachmentEntry{Name: "a.bin", ContentType: "application/octet-stream", Cid: e.Cid}
				a.Body, a.Size = spans(tc.att)
				e.Attachments = append(e.Attachments, a)
				f.payload.Bytes += a.Size
			}
			b, err := openBytes(f.build(t), OpenOptions{})
			if err == nil {
				b.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("Open() = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestOpenBundleSpans: spans cost a reader memory whatever bytes they
// name, and an empty block can be named by any number of them. 2400
// articles of 1024 spans of the empty block, a 12 KB bundle, once made
// Open hold 109 MiB; at MaxManifestRaw, about 1.9 GiB.
func TestOpenBundleSpans(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes about 2^21 spans")
	}
	good := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, testArticles(1))
	f := takeApart(t, good, testKey(1))
	empty := f.putContent(t, nil)
	f.rawBlocks = []cid.Cid{empty}
	f.rawEntries = map[int][]byte{}
	// An entry of MaxSpans spans of the empty block: [0, 0, 0, 0, 0].
	spanned := func(i int) []byte {
		id := fmt.Sprintf("a%07d", i)
		e := append(cborHead(4, 13), cborHead(3, uint64(len(id)))...)
		e = append(e, id...)
		e = append(e, 0x60, 0x60, 0x00, 0x00, 0x60, 0x80, 0x60, 0x60, 0x00, 0x58, 36)
		e = append(e, empty.Bytes()...)
		e = append(e, cborHead(4, MaxSpans)...)
		e = append(e, bytes.Repeat([]byte{0x85, 0, 0, 0, 0, 0}, MaxSpans)...)
		return append(e, 0x80)
	}
	const perPage = 600
	articles := (MaxBundleSpans + MaxSpans) / MaxSpans // one span over the limit, and more
	pages := make([][]byte, (articles+perPage-1)/perPage)
	for i := range articles {
		pages[i/perPage] = append(pages[i/perPage], spanned(i)...)
	}
	f.pages = make([][]entry, len(pages))
	for i, p := range pages {
		f.rawEntries[i] = append(cborHead(4, uint64(min(perPage, articles-i*perPage))), p...)
	}
	f.payload.Articles, f.payload.Bytes = int64(articles), 0
	data := f.build(t)
	b, err := openBytes(data, OpenOptions{})
	if err == nil {
		b.Close()
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Open() of %d articles of %d spans = %v, want %v", articles, MaxSpans, err, ErrTooLarge)
	}
}

// TestAddBundleSpans: the packer refuses an article that would take a
// bundle past MaxBundleSpans, which a reader would refuse.
func TestAddBundleSpans(t *testing.T) {
	p, err := NewPacker(PackOptions{Key: testKey(1), Seq: 1, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	arts := testArticles(2)
	arts[1].Attachments = []Attachment{{Name: "a.bin", ContentType: "application/octet-stream", Data: []byte("x")}}
	p.spans = MaxBundleSpans - 2 // as if earlier articles had taken them
	if err := p.Add(arts[1]); err != nil {
		t.Fatalf("Add() of an article reaching MaxBundleSpans = %v, want nil", err)
	}
	if err := p.Add(arts[0]); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Add() of an article past MaxBundleSpans = %v, want %v", err, ErrTooLarge)
	}
}
