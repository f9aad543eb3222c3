package bundle

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
	"github.com/ipfs/go-cid"
	"github.com/klauspost/compress/zstd"
)

// entriesEnc writes a page's entries in their one encoding: definite
// lengths and every head in its shortest form, a nil list as [].
// parseEntries accepts exactly what it writes.
var entriesEnc = mustEncMode(func() cbor.EncOptions {
	o := cbor.CoreDetEncOptions()
	o.NilContainers = cbor.NilContainerAsEmpty
	return o
}())

func mustEncMode(o cbor.EncOptions) cbor.EncMode {
	m, err := o.EncMode()
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
	entries, _, err := decodePageSize(data, dec, pageBudget{raw: MaxPageRaw, spans: MaxBundleSpans}, nil)
	return entries, err
}

// pageBudget is what is left of a bundle's limits for its next page.
type pageBudget struct {
	raw   int // decompressed bytes of entries (MaxManifestRaw)
	spans int // spans (MaxBundleSpans)
}

// decodePageSize is decodePage that also returns the entries' decoded
// size, refusing pages whose entries would exceed the budget. The
// decompressed entries go into *scratch, if not nil (grown as needed),
// which the caller may reuse for the next page: nothing decoded refers
// to it.
func decodePageSize(data []byte, dec *zstd.Decoder, budget pageBudget, scratch *[]byte) ([]entry, int, error) {
	pg, err := decodePageBlock(data)
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
	if scratch == nil {
		scratch = new([]byte)
	}
	*scratch = slices.Grow((*scratch)[:0], int(h.FrameContentSize))
	raw, err := dec.DecodeAll(pg.Entries, (*scratch)[:0])
	if err != nil || uint64(len(raw)) != h.FrameContentSize {
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrFrameSizeExceeded) {
			return nil, 0, fmt.Errorf("%w: page entries expand past their declared size", ErrSizeMismatch)
		}
		return nil, 0, fmt.Errorf("%w: page entries: %v", ErrMalformed, err)
	}
	pe, err := decodeEntries(raw, budget.spans)
	if err != nil {
		return nil, 0, err
	}
	if err := pe.resolve(pg.Blocks); err != nil {
		return nil, 0, err
	}
	return pe.entries, len(raw), nil
}

// decodeEntries decodes a page's decompressed entries strictly and
// canonically, allocating no more than the entries' bytes can back, and
// refuses them if they hold more than maxSpans spans.
func decodeEntries(raw []byte, maxSpans int) (*pageEntries, error) {
	// A list must be shown to fit in its bytes before anything is made
	// for its elements, and the spans counted against the bundle's limit
	// before any is decoded.
	spans, err := checkEntriesShape(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: page entries: %v", ErrMalformed, err)
	}
	if spans > maxSpans {
		return nil, fmt.Errorf("%w: page entries hold %d spans, %d left of MaxBundleSpans", ErrTooLarge, spans, max(maxSpans, 0))
	}
	pe, err := parseEntries(raw, spans)
	if err != nil {
		return nil, fmt.Errorf("%w: page entries: %v", ErrMalformed, err)
	}
	return pe, nil
}

// resolve checks the content CIDs and the spans' block indexes of the
// entries against the page's links, and names each span's block by its
// CID: per entry, its content CID, its body's spans, then each
// attachment's CID and spans; then that every link is used.
func (pe *pageEntries) resolve(blocks []cid.Cid) error {
	used := make([]bool, len(blocks))
	k := 0 // the next span, in pe.blocks
	spans := func(ss []span) error {
		for i := range ss {
			b := pe.blocks[k]
			k++
			if b < 0 || b >= int64(len(blocks)) {
				return fmt.Errorf("%w: span names block %d of %d", ErrMalformed, b, len(blocks))
			}
			used[b] = true
			ss[i].Block = blocks[b]
		}
		return nil
	}
	c := 0 // the next content CID, in pe.cids
	contentCID := func() (cid.Cid, error) {
		b := pe.cids[c]
		c++
		id, err := cid.Cast(b)
		if err != nil || !isRawSHA256(id) {
			return cid.Undef, fmt.Errorf("%w: content cid is not a raw sha2-256 cid", ErrWrongType)
		}
		return id, nil
	}
	var err error
	for i := range pe.entries {
		e := &pe.entries[i]
		if e.Cid, err = contentCID(); err != nil {
			return err
		}
		if err := spans(e.Body); err != nil {
			return err
		}
		for j := range e.Attachments {
			a := &e.Attachments[j]
			if a.Cid, err = contentCID(); err != nil {
				return err
			}
			if err := spans(a.Body); err != nil {
				return err
			}
		}
	}
	for i, u := range used {
		if !u {
			return fmt.Errorf("%w: page links block %s that no entry uses", ErrMalformed, blocks[i])
		}
	}
	return nil
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
	n, err := s.listHead(minEntryBytes)
	for i := uint64(0); err == nil && i < n; i++ {
		err = s.entry()
	}
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

// listHead reads the head of an array whose elements each take at least
// min bytes, and returns its length.
func (s *shapeScanner) listHead(min int) (uint64, error) {
	n, err := s.head(4)
	if err != nil {
		return 0, err
	}
	if n > uint64((len(s.b)-s.off)/min) {
		return 0, fmt.Errorf("list of %d elements in %d bytes", n, len(s.b)-s.off)
	}
	return n, nil
}

// tupleHead reads the head of an array of exactly n fields.
func (s *shapeScanner) tupleHead(n uint64) error {
	m, err := s.head(4)
	if err != nil {
		return err
	}
	if m != n {
		return fmt.Errorf("tuple of %d fields, want %d", m, n)
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

// texts reads n text strings.
func (s *shapeScanner) texts(n uint64) error {
	for range n {
		if err := s.bytesOf(3); err != nil {
			return err
		}
	}
	return nil
}

// ints reads n integers.
func (s *shapeScanner) ints(n int) error {
	for range n {
		major := byte(0)
		if s.off < len(s.b) && s.b[s.off]>>5 == 1 {
			major = 1
		}
		if _, err := s.head(major); err != nil {
			return err
		}
	}
	return nil
}

// entry reads an Entry: id, title, lang, published, updated, url,
// authors, summary, contentType, size, cid, body, attachments.
func (s *shapeScanner) entry() error {
	if err := s.tupleHead(13); err != nil {
		return err
	}
	if err := s.texts(3); err != nil {
		return err
	}
	if err := s.ints(2); err != nil {
		return err
	}
	if err := s.texts(1); err != nil {
		return err
	}
	authors, err := s.listHead(minStringBytes)
	if err != nil {
		return err
	}
	if err := s.texts(authors + 2); err != nil {
		return err
	}
	if err := s.ints(1); err != nil {
		return err
	}
	if err := s.bytesOf(2); err != nil {
		return err
	}
	if err := s.spanList(); err != nil {
		return err
	}
	attachments, err := s.listHead(minAttachmentBytes)
	if err != nil {
		return err
	}
	for range attachments {
		if err := s.attachment(); err != nil {
			return err
		}
	}
	return nil
}

// attachment reads an AttachmentEntry: name, contentType, size, cid,
// body.
func (s *shapeScanner) attachment() error {
	if err := s.tupleHead(5); err != nil {
		return err
	}
	if err := s.texts(2); err != nil {
		return err
	}
	if err := s.ints(1); err != nil {
		return err
	}
	if err := s.bytesOf(2); err != nil {
		return err
	}
	return s.spanList()
}

// spanList reads a list of spans, each a tuple of five integers, and
// counts them.
func (s *shapeScanner) spanList() error {
	n, err := s.listHead(minSpanBytes)
	if err != nil {
		return err
	}
	for range n {
		s.spans++
		if err := s.tupleHead(5); err != nil {
			return err
		}
		if err := s.ints(5); err != nil {
			return err
		}
	}
	return nil
}

// decodePageBlock decodes a manifest page block, {"blocks": [links],
// "entries": bytes}, strictly: the bytes must be the one encoding
// EncodeDAGCBOR writes for the page they decode to, which is exactly what
// DecodeDAGCBOR[page] accepts (FuzzDecodePageBlock compares the two), at a
// fraction of its cost. A page's links are most of its bytes: every
// content block its entries use.
func decodePageBlock(data []byte) (*page, error) {
	pg, err := parsePageBlock(data)
	if err != nil {
		return nil, fmt.Errorf("%w: manifest page: %v", ErrMalformed, err)
	}
	return pg, nil
}

// minLinkBytes is the fewest bytes a link in a page takes: its tag (2), a
// byte string head (1), the 0x00 prefix DAG-CBOR puts before a CID, and a
// CID of at least 2 bytes.
const minLinkBytes = 6

func parsePageBlock(data []byte) (*page, error) {
	p := cborParser{b: data}
	if n, err := p.head(majorMap); err != nil || n != 2 {
		return nil, errors.New("not a map of two fields")
	}
	if k, err := p.bytesOf(majorText); err != nil || string(k) != "blocks" {
		return nil, errors.New(`first key is not "blocks"`)
	}
	n, err := p.head(majorArray)
	if err != nil {
		return nil, err
	}
	if n > uint64((len(data)-p.off)/minLinkBytes) {
		return nil, fmt.Errorf("list of %d links in %d bytes", n, len(data)-p.off)
	}
	pg := &page{Blocks: make([]cid.Cid, 0, n)}
	for range n {
		// Tag 42 (a link) in its one encoding, then the CID's bytes after
		// a 0x00.
		if len(data)-p.off < 2 || data[p.off] != 0xd8 || data[p.off+1] != 42 {
			return nil, errors.New("a block is not a link")
		}
		p.off += 2
		b, err := p.bytesOf(majorBytes)
		if err != nil {
			return nil, err
		}
		if len(b) == 0 || b[0] != 0 {
			return nil, errors.New("a link lacks its 0x00 prefix")
		}
		c, err := cid.Cast(b[1:])
		if err != nil {
			return nil, err
		}
		pg.Blocks = append(pg.Blocks, c)
	}
	if k, err := p.bytesOf(majorText); err != nil || string(k) != "entries" {
		return nil, errors.New(`second key is not "entries"`)
	}
	if pg.Entries, err = p.bytesOf(majorBytes); err != nil {
		return nil, err
	}
	if p.off != len(data) {
		return nil, errors.New("bytes after the page")
	}
	return pg, nil
}

// pageEntries are a page's entries as parseEntries reads them, before
// resolve checks their links: spans name their block by an index into the
// page's links, kept in blocks (span by span, in the order resolve walks
// them), and content CIDs are bytes, in cids.
type pageEntries struct {
	entries []entry
	blocks  []int64
	cids    [][]byte
}

// parseEntries decodes raw, entries that checkEntriesShape accepted with
// spans spans, as the one encoding entriesEnc writes: every head in its
// shortest form, text valid UTF-8, integers within int64 and no list over
// maxListElements. It accepts exactly what decoding them with
// fxamacker/cbor in strict mode and re-encoding them to the same bytes
// accepts (FuzzDecodeEntries compares the two), without allocating for
// each field: the text fields are parts of one string of raw, and the
// spans of all entries share one array.
func parseEntries(raw []byte, spans int) (*pageEntries, error) {
	p := cborParser{b: raw, s: string(raw)}
	n, err := p.list()
	if err != nil {
		return nil, err
	}
	pe := &pageEntries{
		entries: make([]entry, n),
		blocks:  make([]int64, 0, spans),
		cids:    make([][]byte, 0, n),
	}
	slab := make([]span, 0, spans)
	for i := range pe.entries {
		if slab, err = p.entry(&pe.entries[i], slab, pe); err != nil {
			return nil, err
		}
	}
	if p.off != len(raw) {
		return nil, errors.New("bytes after the entries")
	}
	return pe, nil
}

// maxListElements is the most elements the strict decoder the entries'
// encoding was defined with accepts in a list (cbor.DecOptions
// MaxArrayElements), so parseEntries refuses longer lists too.
const maxListElements = MaxPageRaw / 2

func (p *cborParser) entry(e *entry, slab []span, pe *pageEntries) ([]span, error) {
	if err := p.tuple(13); err != nil {
		return nil, err
	}
	var err error
	if e.Id, err = p.text(); err != nil {
		return nil, err
	}
	if e.Title, err = p.text(); err != nil {
		return nil, err
	}
	if e.Lang, err = p.text(); err != nil {
		return nil, err
	}
	if e.Published, err = p.int(); err != nil {
		return nil, err
	}
	if e.Updated, err = p.int(); err != nil {
		return nil, err
	}
	if e.Url, err = p.text(); err != nil {
		return nil, err
	}
	n, err := p.list()
	if err != nil {
		return nil, err
	}
	e.Authors = make([]string, n)
	for i := range e.Authors {
		if e.Authors[i], err = p.text(); err != nil {
			return nil, err
		}
	}
	if e.Summary, err = p.text(); err != nil {
		return nil, err
	}
	if e.ContentType, err = p.text(); err != nil {
		return nil, err
	}
	if e.Size, err = p.int(); err != nil {
		return nil, err
	}
	c, err := p.bytesOf(majorBytes)
	if err != nil {
		return nil, err
	}
	pe.cids = append(pe.cids, c)
	if e.Body, slab, err = p.spans(slab, pe); err != nil {
		return nil, err
	}
	if n, err = p.list(); err != nil {
		return nil, err
	}
	if n > 0 {
		e.Attachments = make([]attachmentEntry, n)
	}
	for i := range e.Attachments {
		a := &e.Attachments[i]
		if err := p.tuple(5); err != nil {
			return nil, err
		}
		if a.Name, err = p.text(); err != nil {
			return nil, err
		}
		if a.ContentType, err = p.text(); err != nil {
			return nil, err
		}
		if a.Size, err = p.int(); err != nil {
			return nil, err
		}
		if c, err = p.bytesOf(majorBytes); err != nil {
			return nil, err
		}
		pe.cids = append(pe.cids, c)
		if a.Body, slab, err = p.spans(slab, pe); err != nil {
			return nil, err
		}
	}
	return slab, nil
}

// spans reads a list of spans onto the end of slab and returns them, as a
// slice that appending to cannot grow into the next entry's.
func (p *cborParser) spans(slab []span, pe *pageEntries) ([]span, []span, error) {
	n, err := p.list()
	if err != nil {
		return nil, nil, err
	}
	if n > cap(slab)-len(slab) {
		return nil, nil, errors.New("more spans than counted")
	}
	start := len(slab)
	for range n {
		if err := p.tuple(5); err != nil {
			return nil, nil, err
		}
		var f [5]int64
		for i := range f {
			if f[i], err = p.int(); err != nil {
				return nil, nil, err
			}
		}
		pe.blocks = append(pe.blocks, f[0])
		slab = append(slab, span{Enc: f[1], Raw: f[2], Off: f[3], Len: f[4]})
	}
	return slab[start:len(slab):len(slab)], slab, nil
}

// CBOR major types.
const (
	majorUint  = 0
	majorNeg   = 1
	majorBytes = 2
	majorText  = 3
	majorArray = 4
	majorMap   = 5
)

// cborParser reads CBOR that must be in its one canonical encoding:
// definite lengths, every head in its shortest form.
type cborParser struct {
	b   []byte
	s   string // b as a string, if text fields are read
	off int
}

// head reads a head of the given major type and returns its argument.
func (p *cborParser) head(major byte) (uint64, error) {
	if p.off >= len(p.b) {
		return 0, io.ErrUnexpectedEOF
	}
	ib := p.b[p.off]
	if ib>>5 != major {
		return 0, fmt.Errorf("major type %d where %d belongs", ib>>5, major)
	}
	p.off++
	info := ib & 0x1f
	if info < 24 {
		return uint64(info), nil
	}
	if info > 27 {
		return 0, errors.New("indefinite length or reserved head")
	}
	n := 1 << (info - 24)
	if len(p.b)-p.off < n {
		return 0, io.ErrUnexpectedEOF
	}
	var v uint64
	for _, c := range p.b[p.off : p.off+n] {
		v = v<<8 | uint64(c)
	}
	p.off += n
	// The shortest form: 1 byte of argument only from 24, 2 from 256 and
	// so on.
	if least := [4]uint64{24, 1 << 8, 1 << 16, 1 << 32}[info-24]; v < least {
		return 0, errors.New("a head not in its shortest form")
	}
	return v, nil
}

// bytesOf reads a byte or text string (by major) and returns its bytes, a
// part of p.b.
func (p *cborParser) bytesOf(major byte) ([]byte, error) {
	n, err := p.head(major)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(p.b)-p.off) {
		return nil, io.ErrUnexpectedEOF
	}
	b := p.b[p.off : p.off+int(n)]
	p.off += int(n)
	return b, nil
}

// text reads a text string, which must be UTF-8, as a part of p.s.
func (p *cborParser) text() (string, error) {
	b, err := p.bytesOf(majorText)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", errors.New("text is not valid UTF-8")
	}
	return p.s[p.off-len(b) : p.off], nil
}

// int reads an integer that fits in an int64.
func (p *cborParser) int() (int64, error) {
	major := byte(majorUint)
	if p.off < len(p.b) && p.b[p.off]>>5 == majorNeg {
		major = majorNeg
	}
	v, err := p.head(major)
	if err != nil {
		return 0, err
	}
	if v > math.MaxInt64 {
		return 0, errors.New("integer overflows int64")
	}
	if major == majorNeg {
		return -1 - int64(v), nil
	}
	return int64(v), nil
}

// list reads the head of a list, of at most maxListElements elements.
func (p *cborParser) list() (int, error) {
	n, err := p.head(majorArray)
	if err != nil {
		return 0, err
	}
	if n > maxListElements {
		return 0, fmt.Errorf("list of %d elements, limit %d", n, maxListElements)
	}
	if n > uint64(len(p.b)-p.off) {
		return 0, io.ErrUnexpectedEOF // every element takes a byte
	}
	return int(n), nil
}

// tuple reads the head of a tuple of n fields.
func (p *cborParser) tuple(n int) error {
	m, err := p.head(majorArray)
	if err != nil {
		return err
	}
	if m != uint64(n) {
		return fmt.Errorf("tuple of %d fields, want %d", m, n)
	}
	return nil
}
