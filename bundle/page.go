package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
	"github.com/ipfs/go-cid"
	"github.com/klauspost/compress/zstd"
)

var (
	entriesEnc = mustEncMode(func() cbor.EncOptions {
		o := cbor.CoreDetEncOptions()
		// A nil list encodes as [], so a null in the input does not
		// survive the canonical re-encoding check.
		o.NilContainers = cbor.NilContainerAsEmpty
		return o
	}())
	entriesDec = mustDecMode(cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		UTF8:              cbor.UTF8RejectInvalid,
		MaxNestedLevels:   8,
		MaxArrayElements:  MaxPageRaw / 2,
		MaxMapPairs:       16,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	})
)

func mustEncMode(o cbor.EncOptions) cbor.EncMode {
	m, err := o.EncMode()
	if err != nil {
		panic(err) // constant options
	}
	return m
}

func mustDecMode(o cbor.DecOptions) cbor.DecMode {
	m, err := o.DecMode()
	if err != nil {
		panic(err) // constant options
	}
	return m
}

// encodePage encodes entries as one manifest page block.
func encodePage(entries []entry, enc *zstd.Encoder) (cid.Cid, []byte, error) {
	pg := page{Blocks: []cid.Cid{}}
	index := make(map[cid.Cid]int64)
	wireSpans := func(spans []span) []wireSpan {
		out := make([]wireSpan, 0, len(spans))
		for _, s := range spans {
			i, ok := index[s.Block]
			if !ok {
				i = int64(len(pg.Blocks))
				index[s.Block] = i
				pg.Blocks = append(pg.Blocks, s.Block)
			}
			out = append(out, wireSpan{Block: i, Enc: s.Enc, Raw: s.Raw, Off: s.Off, Len: s.Len})
		}
		return out
	}
	wire := make([]wireEntry, 0, len(entries))
	for _, e := range entries {
		we := wireEntry{
			Id: e.Id, Title: e.Title, Lang: e.Lang, Published: e.Published, Updated: e.Updated, Url: e.Url,
			Authors: e.Authors, Summary: e.Summary, ContentType: e.ContentType, Size: e.Size, Cid: e.Cid.Bytes(),
			Body: wireSpans(e.Body), Attachments: []wireAttachment{},
		}
		if we.Authors == nil {
			we.Authors = []string{}
		}
		for _, a := range e.Attachments {
			we.Attachments = append(we.Attachments, wireAttachment{Name: a.Name, ContentType: a.ContentType, Size: a.Size,
				Cid: a.Cid.Bytes(), Body: wireSpans(a.Body)})
		}
		wire = append(wire, we)
	}
	raw, err := entriesEnc.Marshal(wire)
	if err != nil {
		return cid.Undef, nil, err
	}
	if len(raw) > MaxPageRaw {
		return cid.Undef, nil, fmt.Errorf("%w: manifest page of %d bytes", ErrTooLarge, len(raw))
	}
	pg.Entries = enc.EncodeAll(raw, nil)
	c, data, err := makeBlock(&pg, protoPage)
	if err != nil {
		return cid.Undef, nil, err
	}
	if len(data) > MaxBlockSize {
		return cid.Undef, nil, fmt.Errorf("%w: manifest page block of %d bytes", ErrTooLarge, len(data))
	}
	return c, data, nil
}

// decodePage decodes a manifest page block whose size and hash the caller
// has checked. Decompression is bounded by MaxPageRaw.
func decodePage(data []byte, dec *zstd.Decoder) ([]entry, error) {
	entries, _, err := decodePageSize(data, dec, pageBudget{raw: MaxPageRaw, spans: MaxBundleSpans})
	return entries, err
}

// pageBudget is what is left of a bundle's limits for its next page.
type pageBudget struct {
	raw   int // decompressed bytes of entries (MaxManifestRaw)
	spans int // spans (MaxBundleSpans)
}

// decodePageSize is decodePage that also returns the entries' decoded
// size, refusing pages whose entries would exceed the budget.
func decodePageSize(data []byte, dec *zstd.Decoder, budget pageBudget) ([]entry, int, error) {
	pg, err := DecodeDAGCBOR[page](protoPage, data, "manifest page")
	if err != nil {
		return nil, 0, err
	}
	if len(pg.Blocks) > MaxPageBlocks {
		return nil, 0, fmt.Errorf("%w: page lists %d blocks", ErrTooLarge, len(pg.Blocks))
	}
	var h zstd.Header
	if err := h.Decode(pg.Entries); err != nil || h.Skippable || !h.HasFCS || h.DictionaryID != 0 {
		return nil, 0, fmt.Errorf("%w: page entries are not a plain zstd frame", ErrMalformed)
	}
	if h.FrameContentSize > MaxPageRaw || h.FrameContentSize > uint64(max(budget.raw, 0)) {
		return nil, 0, fmt.Errorf("%w: page entries of %d bytes", ErrTooLarge, h.FrameContentSize)
	}
	if n, err := frameLen(pg.Entries, &h); err != nil || n != len(pg.Entries) {
		return nil, 0, fmt.Errorf("%w: page entries are not exactly one zstd frame", ErrMalformed)
	}
	raw, err := dec.DecodeAll(pg.Entries, make([]byte, 0, h.FrameContentSize))
	if err != nil || uint64(len(raw)) != h.FrameContentSize {
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrFrameSizeExceeded) {
			return nil, 0, fmt.Errorf("%w: page entries expand past their declared size", ErrSizeMismatch)
		}
		return nil, 0, fmt.Errorf("%w: page entries: %v", ErrMalformed, err)
	}
	wire, err := decodeWireEntries(raw, budget.spans)
	if err != nil {
		return nil, 0, err
	}
	used := make([]bool, len(pg.Blocks))
	spans := func(ws []wireSpan) ([]span, error) {
		out := make([]span, 0, len(ws))
		for _, s := range ws {
			if s.Block < 0 || s.Block >= int64(len(pg.Blocks)) {
				return nil, fmt.Errorf("%w: span names block %d of %d", ErrMalformed, s.Block, len(pg.Blocks))
			}
			used[s.Block] = true
			out = append(out, span{Block: pg.Blocks[s.Block], Enc: s.Enc, Raw: s.Raw, Off: s.Off, Len: s.Len})
		}
		return out, nil
	}
	contentCID := func(b []byte) (cid.Cid, error) {
		c, err := cid.Cast(b)
		if err != nil || !isRawSHA256(c) {
			return cid.Undef, fmt.Errorf("%w: content cid is not a raw sha2-256 cid", ErrWrongType)
		}
		return c, nil
	}
	out := make([]entry, 0, len(wire))
	for _, we := range wire {
		e := entry{
			Id: we.Id, Title: we.Title, Lang: we.Lang, Published: we.Published, Updated: we.Updated, Url: we.Url,
			Authors: we.Authors, Summary: we.Summary, ContentType: we.ContentType, Size: we.Size,
		}
		if e.Cid, err = contentCID(we.Cid); err != nil {
			return nil, 0, err
		}
		if e.Body, err = spans(we.Body); err != nil {
			return nil, 0, err
		}
		for _, wa := range we.Attachments {
			a := attachmentEntry{Name: wa.Name, ContentType: wa.ContentType, Size: wa.Size}
			if a.Cid, err = contentCID(wa.Cid); err != nil {
				return nil, 0, err
			}
			if a.Body, err = spans(wa.Body); err != nil {
				return nil, 0, err
			}
			e.Attachments = append(e.Attachments, a)
		}
		out = append(out, e)
	}
	for i, u := range used {
		if !u {
			return nil, 0, fmt.Errorf("%w: page links block %s that no entry uses", ErrMalformed, pg.Blocks[i])
		}
	}
	return out, len(raw), nil
}

// decodeWireEntries decodes a page's decompressed entries strictly and
// canonically, allocating no more than the entries' bytes can back, and
// refuses them if they hold more than maxSpans spans.
func decodeWireEntries(raw []byte, maxSpans int) ([]wireEntry, error) {
	// The decoder makes all of a list's elements before it decodes the
	// first, so a list must first be shown to fit in its bytes.
	spans, err := checkEntriesShape(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: page entries: %v", ErrMalformed, err)
	}
	if spans > maxSpans {
		return nil, fmt.Errorf("%w: page entries hold %d spans, %d left of MaxBundleSpans", ErrTooLarge, spans, max(maxSpans, 0))
	}
	var wire []wireEntry
	if err := entriesDec.Unmarshal(raw, &wire); err != nil {
		return nil, fmt.Errorf("%w: page entries: %v", ErrMalformed, err)
	}
	// One encoding only: the decoder tolerates nulls and non-shortest
	// integers, so re-encode and compare.
	if again, err := entriesEnc.Marshal(wire); err != nil || !bytes.Equal(again, raw) {
		return nil, fmt.Errorf("%w: page entries are not canonical", ErrMalformed)
	}
	return wire, nil
}

// The fewest bytes an element of each list in the entries can take: an
// array head and one byte for each field.
const (
	minEntryBytes      = 1 + 13
	minAttachmentBytes = 1 + 5
	minSpanBytes       = 1 + 5
	minStringBytes     = 1
)

// checkEntriesShape walks raw, the decompressed entries of a page, as an
// Entries value (arrays of definite length, strings, byte strings and
// integers, in the schema's places) without decoding it, and refuses a
// list that declares more elements than the bytes after its head could
// hold. Anything it refuses, the decoder would refuse too; what it
// accepts makes the decoder allocate at most about 16 bytes of elements
// (a string header for each one-byte author) per byte of raw. It returns
// the number of spans, body and attachment spans together.
func checkEntriesShape(raw []byte) (spans int, err error) {
	s := shapeScanner{b: raw}
	err = s.list(minEntryBytes, s.entry)
	if err == nil && s.off != len(s.b) {
		err = errors.New("bytes after the entries")
	}
	return s.spans, err
}

type shapeScanner struct {
	b     []byte
	off   int
	spans int
}

// head reads a CBOR head of the given major type and returns its argument.
func (s *shapeScanner) head(major byte) (uint64, error) {
	if s.off >= len(s.b) {
		return 0, io.ErrUnexpectedEOF
	}
	ib := s.b[s.off]
	s.off++
	if ib>>5 != major {
		return 0, fmt.Errorf("major type %d where %d belongs", ib>>5, major)
	}
	info := ib & 0x1f
	if info < 24 {
		return uint64(info), nil
	}
	if info > 27 {
		return 0, errors.New("indefinite length or reserved head")
	}
	n := 1 << (info - 24)
	if len(s.b)-s.off < n {
		return 0, io.ErrUnexpectedEOF
	}
	var v uint64
	for _, c := range s.b[s.off : s.off+n] {
		v = v<<8 | uint64(c)
	}
	s.off += n
	return v, nil
}

// list reads an array whose elements each take at least min bytes.
func (s *shapeScanner) list(min int, elem func() error) error {
	n, err := s.head(4)
	if err != nil {
		return err
	}
	if n > uint64((len(s.b)-s.off)/min) {
		return fmt.Errorf("list of %d elements in %d bytes", n, len(s.b)-s.off)
	}
	for range n {
		if err := elem(); err != nil {
			return err
		}
	}
	return nil
}

// tuple reads an array of exactly the given fields.
func (s *shapeScanner) tuple(fields ...func() error) error {
	n, err := s.head(4)
	if err != nil {
		return err
	}
	if n != uint64(len(fields)) {
		return fmt.Errorf("tuple of %d fields, want %d", n, len(fields))
	}
	for _, f := range fields {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

func (s *shapeScanner) bytesOf(major byte) error {
	n, err := s.head(major)
	if err != nil {
		return err
	}
	if n > uint64(len(s.b)-s.off) {
		return io.ErrUnexpectedEOF
	}
	s.off += int(n)
	return nil
}

func (s *shapeScanner) text() error  { return s.bytesOf(3) }
func (s *shapeScanner) bytes() error { return s.bytesOf(2) }

func (s *shapeScanner) int() error {
	if s.off < len(s.b) && s.b[s.off]>>5 == 1 {
		_, err := s.head(1)
		return err
	}
	_, err := s.head(0)
	return err
}

func (s *shapeScanner) entry() error {
	t, i := s.text, s.int
	return s.tuple(t, t, t, i, i, t,
		func() error { return s.list(minStringBytes, t) }, // authors
		t, t, i, s.bytes,
		func() error { return s.list(minSpanBytes, s.span) },             // body
		func() error { return s.list(minAttachmentBytes, s.attachment) }, // attachments
	)
}

func (s *shapeScanner) attachment() error {
	t := s.text
	return s.tuple(t, t, s.int, s.bytes, func() error { return s.list(minSpanBytes, s.span) })
}

func (s *shapeScanner) span() error {
	s.spans++
	i := s.int
	return s.tuple(i, i, i, i, i)
}
