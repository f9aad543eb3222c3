package bundle

import (
	"bytes"
	"errors"
	"fmt"

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
	entries, _, err := decodePageSize(data, dec, MaxPageRaw)
	return entries, err
}

// decodePageSize is decodePage that also returns the entries' decoded
// size, refusing pages whose entries would exceed budget bytes.
func decodePageSize(data []byte, dec *zstd.Decoder, budget int) ([]entry, int, error) {
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
	if h.FrameContentSize > MaxPageRaw || h.FrameContentSize > uint64(max(budget, 0)) {
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
	var wire []wireEntry
	if err := entriesDec.Unmarshal(raw, &wire); err != nil {
		return nil, 0, fmt.Errorf("%w: page entries: %v", ErrMalformed, err)
	}
	// One encoding only: the decoder tolerates nulls and non-shortest
	// integers, so re-encode and compare.
	if again, err := entriesEnc.Marshal(wire); err != nil || !bytes.Equal(again, raw) {
		return nil, 0, fmt.Errorf("%w: page entries are not canonical", ErrMalformed)
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
