package bundle

import (
	"errors"
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/klauspost/compress/zstd"
)

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
	raw, err := encodeNode(&wire, protoEntries)
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
	pg, err := decodeNode[page](data, protoPage)
	if err != nil {
		return nil, err
	}
	if len(pg.Blocks) > MaxPageBlocks {
		return nil, fmt.Errorf("%w: page lists %d blocks", ErrTooLarge, len(pg.Blocks))
	}
	var h zstd.Header
	if err := h.Decode(pg.Entries); err != nil || h.Skippable || !h.HasFCS || h.DictionaryID != 0 {
		return nil, fmt.Errorf("%w: page entries are not a plain zstd frame", ErrMalformed)
	}
	if h.FrameContentSize > MaxPageRaw {
		return nil, fmt.Errorf("%w: page entries of %d bytes", ErrTooLarge, h.FrameContentSize)
	}
	if n, err := frameLen(pg.Entries, &h); err != nil || n != len(pg.Entries) {
		return nil, fmt.Errorf("%w: page entries are not exactly one zstd frame", ErrMalformed)
	}
	raw, err := dec.DecodeAll(pg.Entries, make([]byte, 0, h.FrameContentSize))
	if err != nil || uint64(len(raw)) != h.FrameContentSize {
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
			return nil, fmt.Errorf("%w: page entries expand past their declared size", ErrSizeMismatch)
		}
		return nil, fmt.Errorf("%w: page entries: %v", ErrMalformed, err)
	}
	wire, err := decodeNode[[]wireEntry](raw, protoEntries)
	if err != nil {
		return nil, err
	}
	spans := func(ws []wireSpan) ([]span, error) {
		out := make([]span, 0, len(ws))
		for _, s := range ws {
			if s.Block < 0 || s.Block >= int64(len(pg.Blocks)) {
				return nil, fmt.Errorf("%w: span names block %d of %d", ErrMalformed, s.Block, len(pg.Blocks))
			}
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
	out := make([]entry, 0, len(*wire))
	for _, we := range *wire {
		e := entry{
			Id: we.Id, Title: we.Title, Lang: we.Lang, Published: we.Published, Updated: we.Updated, Url: we.Url,
			Authors: we.Authors, Summary: we.Summary, ContentType: we.ContentType, Size: we.Size,
		}
		if e.Cid, err = contentCID(we.Cid); err != nil {
			return nil, err
		}
		if e.Body, err = spans(we.Body); err != nil {
			return nil, err
		}
		for _, wa := range we.Attachments {
			a := attachmentEntry{Name: wa.Name, ContentType: wa.ContentType, Size: wa.Size}
			if a.Cid, err = contentCID(wa.Cid); err != nil {
				return nil, err
			}
			if a.Body, err = spans(wa.Body); err != nil {
				return nil, err
			}
			e.Attachments = append(e.Attachments, a)
		}
		out = append(out, e)
	}
	return out, nil
}
