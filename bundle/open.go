package bundle

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
	"github.com/klauspost/compress/zstd"
	"github.com/multiformats/go-varint"
)

// OpenOptions says what a reader already trusts.
type OpenOptions struct {
	// Publisher, if set, is the only publisher whose bundles are accepted.
	Publisher string
	// Authority is the newest publisher document the reader holds, if any.
	// A bundle signed by a key it revoked is rejected even if the bundle
	// carries an older document that still lists the key.
	Authority *Authority
}

// Bundle is an open, verified bundle. Open checks the signature, the
// authorization of the signing key, the manifest and the presence of every
// block; each block is checked against its CID again when it is read, so
// content that reaches a caller is always what the publisher signed.
// A Bundle is safe for concurrent use.
type Bundle struct {
	Info
	// Authority is the newer of the publisher document the bundle carries
	// and OpenOptions.Authority; nil when neither exists. When a signing
	// key other than the root signed, it is the document that authorized it.
	Authority *Authority

	src     blockSource
	closer  io.Closer
	path    string
	entries []entry
	byID    map[string]int
	dict    []byte
	dictID  uint32
	dec     *zstd.Decoder
	// sharedDec: dec belongs to the bundle this one was received from.
	sharedDec bool
	manifest  cid.Cid
	meta      []cid.Cid // envelope, authority, manifest, dictionary, pages

	refOnce sync.Once
	refs    map[cid.Cid]struct{}

	blocksOnce sync.Once
	blocks     []cid.Cid // Blocks, computed once
}

type blockLoc struct {
	off int64 // of the block data in the file
	n   int   // data length
}

// Open opens and verifies the bundle file at path.
func Open(path string, opts OpenOptions) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	b, err := open(f, st.Size(), opts)
	if err != nil {
		f.Close()
		return nil, &Error{Path: path, Err: err}
	}
	b.closer, b.path = f, path
	return b, nil
}

// OpenReader opens and verifies a bundle held by r.
func OpenReader(r io.ReaderAt, size int64, opts OpenOptions) (*Bundle, error) {
	return open(r, size, opts)
}

// Close releases the bundle's file.
func (b *Bundle) Close() error {
	if b.dec != nil && !b.sharedDec {
		b.dec.Close()
	}
	if b.closer != nil {
		return b.closer.Close()
	}
	return nil
}

func open(r io.ReaderAt, size int64, opts OpenOptions) (*Bundle, error) {
	car := &carSource{r: r, blocks: make(map[cid.Cid]blockLoc)}
	root, err := car.index(size)
	if err != nil {
		return nil, err
	}
	b := &Bundle{src: car}
	b.Size = size
	if err := b.verify(root, opts); err != nil {
		return nil, err
	}
	return b, nil
}

// BlockGetter returns the bytes of a block, from wherever the caller keeps
// or fetches blocks. It need not check them: the bundle does.
type BlockGetter func(c cid.Cid) ([]byte, error)

// OpenBlocks opens and verifies the bundle whose envelope is root, reading
// blocks through get: from a block store, or from the network. It fetches
// only the metadata (envelope, publisher document, manifest, pages and
// dictionary), each checked against its CID, the signature and the
// manifest before the next is asked for, so a caller fetching content
// blocks afterwards (WriteCAR, Body) asks only for blocks the publisher
// signed. Bundle.Size is 0 for such a bundle.
func OpenBlocks(root cid.Cid, get BlockGetter, opts OpenOptions) (*Bundle, error) {
	b := &Bundle{src: getterSource(get)}
	if err := b.verify(root, opts); err != nil {
		return nil, err
	}
	return b, nil
}

// OpenBlocksPrefetch is OpenBlocks with a hint: once the manifest is
// verified, prefetch is called with the blocks it names that Open reads
// next (the pages and the dictionary), so a network getter can fetch them
// in parallel; get is still asked for each, and checks nothing less.
func OpenBlocksPrefetch(root cid.Cid, get BlockGetter, prefetch func([]cid.Cid), opts OpenOptions) (*Bundle, error) {
	b := &Bundle{src: prefetchSource{getterSource(get), prefetch}}
	if err := b.verify(root, opts); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Bundle) verify(root cid.Cid, opts OpenOptions) error {
	if err := b.verifyEnvelope(root, opts); err != nil {
		return err
	}
	return b.loadManifest()
}

// blockSource is where a Bundle's blocks come from.
type blockSource interface {
	// get returns a block's bytes, at most limit of them; the caller
	// checks them against c. A source that copies blocks out of
	// somewhere (a file) copies them into *buf, if buf is not nil, and
	// grows it if it must; others allocate, or return bytes they own.
	get(c cid.Cid, limit int, buf *[]byte) ([]byte, error)
	// size returns a block's size: n < 0 if it is not known without
	// fetching the block, ok false if the block is known to be missing.
	size(c cid.Cid) (n int, ok bool)
}

// carSource reads blocks from a CAR file through its index.
type carSource struct {
	r      io.ReaderAt
	blocks map[cid.Cid]blockLoc
	order  []cid.Cid
}

func (s *carSource) get(c cid.Cid, limit int, buf *[]byte) ([]byte, error) {
	loc, ok := s.blocks[c]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrMissingBlock, c)
	}
	if loc.n > limit {
		return nil, fmt.Errorf("%w: block %s of %d bytes, limit %d", ErrTooLarge, c, loc.n, limit)
	}
	var data []byte
	switch {
	case buf == nil:
		data = make([]byte, loc.n)
	case cap(*buf) < loc.n:
		*buf = make([]byte, loc.n)
		data = *buf
	default:
		data = (*buf)[:loc.n]
	}
	if _, err := s.r.ReadAt(data, loc.off); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTruncated, err)
	}
	return data, nil
}

func (s *carSource) size(c cid.Cid) (int, bool) {
	loc, ok := s.blocks[c]
	return loc.n, ok
}

type getterSource BlockGetter

// prefetchSource is a getterSource that can be told the blocks about to
// be read.
type prefetchSource struct {
	getterSource
	prefetch func([]cid.Cid)
}

func (g getterSource) get(c cid.Cid, limit int, _ *[]byte) ([]byte, error) {
	data, err := g(c)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMissingBlock, c, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%w: block %s of %d bytes, limit %d", ErrTooLarge, c, len(data), limit)
	}
	return data, nil
}

func (g getterSource) size(cid.Cid) (int, bool) { return -1, true }

// carWindow is how much of a CAR file the index reads at a time: many
// sections' heads for one read.
const carWindow = 256 << 10

// index reads the CAR's section headers and records where each block is.
func (b *carSource) index(size int64) (cid.Cid, error) {
	br, err := carv2.NewBlockReader(bufio.NewReaderSize(io.NewSectionReader(b.r, 0, size), 4<<10),
		carv2.MaxAllowedHeaderSize(MaxCARHeader))
	if err != nil {
		return cid.Undef, carError(err)
	}
	if br.Version != 1 {
		return cid.Undef, fmt.Errorf("%w: CAR version %d, want 1", ErrUnsupportedVersion, br.Version)
	}
	if len(br.Roots) != 1 {
		return cid.Undef, fmt.Errorf("%w: CAR has %d roots, want 1", ErrMalformed, len(br.Roots))
	}
	// The CAR decoder tolerates some non-canonical headers; accept only
	// the one encoding of this root, so no byte of the file is unchecked.
	want, err := carHeader(br.Roots[0])
	if err != nil {
		return cid.Undef, err
	}
	got := make([]byte, len(want))
	if _, err := b.r.ReadAt(got, 0); err != nil || !bytes.Equal(got, want) {
		return cid.Undef, fmt.Errorf("%w: CAR header is not canonical", ErrMalformed)
	}
	w := newWindowReader(b.r, size, carWindow)
	w.pos = int64(len(want))
	for {
		c, n, err := nextSection(w)
		if err == io.EOF {
			break
		}
		if err != nil {
			return cid.Undef, err
		}
		if n > MaxBlockSize {
			return cid.Undef, fmt.Errorf("%w: block of %d bytes", ErrTooLarge, n)
		}
		if len(b.order) >= MaxBlocks {
			return cid.Undef, fmt.Errorf("%w: more than %d blocks", ErrTooLarge, MaxBlocks)
		}
		if _, dup := b.blocks[c]; dup {
			continue
		}
		b.blocks[c] = blockLoc{off: w.pos - n, n: int(n)}
		b.order = append(b.order, c)
	}
	return br.Roots[0], nil
}

// cidPeek is how many bytes of a section nextSection hands the CID
// decoder at first: every CID this format uses is 36 bytes.
const cidPeek = 256

// nextSection reads the section at w's position, a varint length, a CID
// and the block's data, and leaves w after it; it returns the CID and the
// data's length, or io.EOF at the end of the file. It checks what go-car's
// block reader checks, with the same errors (bundle-format.md section 9,
// step 2), but reads the CID from the window instead of a byte at a time
// through three readers: the index of a bundle of 10,000 articles took
// 8 ms that way.
func nextSection(w *windowReader) (cid.Cid, int64, error) {
	l, err := varint.ReadUvarint(w)
	if err == io.EOF {
		return cid.Undef, 0, io.EOF // no section starts here: the end
	}
	if err != nil {
		return cid.Undef, 0, carError(err)
	}
	if l > MaxBlockSize+128 {
		return cid.Undef, 0, fmt.Errorf("%w: section of %d bytes", ErrTooLarge, l)
	}
	if l == 0 {
		return cid.Undef, 0, fmt.Errorf("%w: empty section", ErrMalformed)
	}
	// The CID is read from the section's bytes the file holds, as the
	// decoder reads them: running out of them is ErrTruncated, whether the
	// file or the section ends first (a file that ends right after a
	// section's length included, which go-car took for the end).
	k := int(min(int64(l), w.size-w.pos))
	region, err := w.peek(min(k, cidPeek))
	if err != nil {
		return cid.Undef, 0, carError(err)
	}
	n, c, err := cid.CidFromBytes(region)
	if err != nil {
		// CidFromBytes parses what CidFromReader, go-car's decoder, does,
		// without allocating a reader; but only the latter's errors tell
		// a CID cut short from a malformed one.
		n, c, err = cid.CidFromReader(bytes.NewReader(region))
	}
	if err != nil && len(region) < k && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
		// A CID longer than cidPeek: give it the whole section.
		if region, err = w.peek(k); err != nil {
			return cid.Undef, 0, carError(err)
		}
		n, c, err = cid.CidFromReader(bytes.NewReader(region))
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return cid.Undef, 0, carError(err)
	}
	data := int64(l) - int64(n)
	if w.pos+int64(n)+data > w.size {
		return cid.Undef, 0, fmt.Errorf("%w: section of %d bytes past the end of the file", ErrTruncated, l)
	}
	w.pos += int64(n) + data
	return c, data, nil
}

func carError(err error) error {
	if strings.Contains(err.Error(), "beyond allowable maximum") || strings.Contains(err.Error(), "exceeds maximum") {
		// go-car's size-limit errors are not exported from its public
		// packages; their text is stable across its v2 releases.
		return fmt.Errorf("%w: %v", ErrTooLarge, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %v", ErrTruncated, err)
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}

// readBlock reads a block's bytes, refusing blocks over limit, and checks
// them against their CID.
func (b *Bundle) readBlock(c cid.Cid, limit int, codec uint64) ([]byte, error) {
	return b.readBlockBuf(c, limit, codec, nil)
}

// readBlockBuf is readBlock into *buf, as blockSource.get says.
func (b *Bundle) readBlockBuf(c cid.Cid, limit int, codec uint64, buf *[]byte) ([]byte, error) {
	data, err := b.src.get(c, limit, buf)
	if err != nil {
		return nil, err
	}
	if err := checkBlockOf(c, data, codec); err != nil {
		return nil, err
	}
	return data, nil
}

func (b *Bundle) verifyEnvelope(root cid.Cid, opts OpenOptions) error {
	data, err := b.readBlock(root, MaxEnvelopeSize, cid.DagCBOR)
	if err != nil {
		return err
	}
	if err := checkVersion(data); err != nil {
		return err
	}
	// Only the canonical encoding is accepted, so one signed bundle has
	// exactly one root CID.
	env, err := DecodeDAGCBOR[envelope](protoEnvelope, data, "envelope")
	if err != nil {
		return err
	}
	pl := &env.Payload
	if pl.Type != typeBundle {
		return fmt.Errorf("%w: %.40q where a bundle envelope belongs", ErrWrongType, pl.Type)
	}
	rootKey, err := ParsePublisherID(pl.Publisher)
	if err != nil || PublisherID(rootKey) != pl.Publisher {
		return fmt.Errorf("%w: envelope names no valid publisher", ErrMalformed)
	}
	if opts.Publisher != "" {
		want, err := NormalizePublisherID(opts.Publisher)
		if err != nil {
			return err
		}
		if want != pl.Publisher {
			return fmt.Errorf("%w: signed for %s, want %s", ErrWrongPublisher, pl.Publisher, want)
		}
	}
	if len(pl.Signer) != ed25519.PublicKeySize || pl.Seq <= 0 || pl.Articles < 0 || pl.Bytes < 0 {
		return fmt.Errorf("%w: envelope fields out of range", ErrMalformed)
	}
	if pl.Articles > MaxArticles {
		return fmt.Errorf("%w: envelope claims %d articles, limit %d", ErrTooLarge, pl.Articles, MaxArticles)
	}
	signer := ed25519.PublicKey(pl.Signer)
	msg, err := encodeNode(pl, protoBundlePayload)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !ed25519.Verify(signer, append([]byte(sigContextBundle), msg...), env.Sig) {
		return ErrBadSignature
	}
	// A bundle may carry the publisher document even when the root key
	// signed it, so readers learn the newest one; it is verified either way.
	var embedded *Authority
	if pl.Authority != nil {
		adata, err := b.readBlock(*pl.Authority, MaxAuthoritySize, cid.DagCBOR)
		if err != nil {
			return err
		}
		if embedded, err = ParseAuthority(*pl.Authority, adata); err != nil {
			return err
		}
		if embedded.Publisher != pl.Publisher {
			return fmt.Errorf("%w: publisher document of another publisher", ErrWrongPublisher)
		}
		b.meta = append(b.meta, *pl.Authority)
	}
	known := opts.Authority
	if known != nil && known.Publisher != pl.Publisher {
		known = nil
	}
	eff := Newer(known, embedded)
	b.Authority = eff
	if !signer.Equal(rootKey) {
		if eff == nil {
			return fmt.Errorf("%w: key %s, no publisher document", ErrKeyNotAuthorized, PublisherID(signer))
		}
		if err := eff.authorize(signer, uint64(pl.Seq)); err != nil {
			return err
		}
	}
	b.meta = append([]cid.Cid{root}, b.meta...)
	b.Info = Info{
		Root: root, Publisher: pl.Publisher, Signer: PublisherID(signer), Seq: uint64(pl.Seq),
		Created: time.Unix(pl.Created, 0).UTC(), Articles: int(pl.Articles), Bytes: pl.Bytes, Size: b.Size,
	}
	b.manifest = pl.Manifest
	return nil
}

func (b *Bundle) loadManifest() error {
	data, err := b.readBlock(b.manifest, MaxBlockSize, cid.DagCBOR)
	if err != nil {
		return err
	}
	m, err := DecodeDAGCBOR[manifest](protoManifest, data, "manifest")
	if err != nil {
		return err
	}
	if m.V != FormatVersion {
		return fmt.Errorf("%w: manifest version %d", ErrUnsupportedVersion, m.V)
	}
	if len(m.Pages) > MaxPages {
		return fmt.Errorf("%w: %d manifest pages", ErrTooLarge, len(m.Pages))
	}
	if p, ok := b.src.(prefetchSource); ok {
		// The signed manifest names them: let a network source fetch them
		// all at once rather than one round trip each.
		batch := slices.Clone(m.Pages)
		if m.Dict != nil {
			batch = append(batch, *m.Dict)
		}
		p.prefetch(batch)
	}
	b.meta = append(b.meta, b.manifest)
	if err := b.loadDict(m.Dict); err != nil {
		return err
	}

	var spanInfo map[cid.Cid][2]int64 // enc, raw: one block, one meaning
	var pageRaw []byte                // decompressed entries, page after page
	var total int64
	var manifestRaw, bundleSpans int
	pageDec, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxPageRaw), zstd.WithDecoderMaxWindow(MaxPageRaw),
		zstd.WithDecodeAllCapLimit(true), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return err
	}
	defer pageDec.Close()
	for i, pc := range m.Pages {
		pdata, err := b.readBlock(pc, MaxBlockSize, cid.DagCBOR)
		if err != nil {
			return err
		}
		entries, n, err := decodePageSize(pdata, pageDec, pageBudget{raw: MaxManifestRaw - manifestRaw, spans: MaxBundleSpans - bundleSpans}, &pageRaw)
		if err != nil {
			return err
		}
		if i == 0 {
			// Sized for as many entries as the envelope claims, but never
			// by the claim alone (the signer's count is checked only once
			// the pages are read): at most the first page's entries for
			// each page, and at most maxPresize; larger bundles grow.
			room := min(b.Articles, len(entries)*len(m.Pages), maxPresize)
			b.byID = make(map[string]int, room)
			b.entries = make([]entry, 0, room)
			spanInfo = make(map[cid.Cid][2]int64, room)
		}
		manifestRaw += n
		b.meta = append(b.meta, pc)
		for i := range entries {
			spans, size, err := b.admit(&entries[i], spanInfo)
			if err != nil {
				return err
			}
			bundleSpans += spans
			total += size
		}
	}
	if len(b.entries) != b.Articles || total != b.Bytes {
		return fmt.Errorf("%w: manifest has %d articles of %d bytes, envelope says %d of %d",
			ErrSizeMismatch, len(b.entries), total, b.Articles, b.Bytes)
	}
	return nil
}

// maxPresize bounds the entries Open makes room for before they are read:
// 32,768 entries' metadata take a few MiB.
const maxPresize = 1 << 15

// loadDict reads the dictionary the manifest names (dict, nil: none) and
// makes the bundle's body decoder with it.
func (b *Bundle) loadDict(dict *cid.Cid) error {
	var err error
	if dict != nil {
		if b.dict, err = b.readBlock(*dict, MaxDictSize, cid.Raw); err != nil {
			return err
		}
		b.meta = append(b.meta, *dict)
	}
	dopts := []zstd.DOption{
		zstd.WithDecoderMaxMemory(MaxBlockRaw), zstd.WithDecoderMaxWindow(MaxZstdWindow),
		zstd.WithDecodeAllCapLimit(true), zstd.WithDecoderLowmem(false),
	}
	if b.dict != nil {
		if len(b.dict) < 8 || !bytes.Equal(b.dict[:4], []byte{0x37, 0xa4, 0x30, 0xec}) {
			return fmt.Errorf("%w: dictionary is not a zstd dictionary", ErrMalformed)
		}
		b.dictID = uint32(b.dict[4]) | uint32(b.dict[5])<<8 | uint32(b.dict[6])<<16 | uint32(b.dict[7])<<24
		dopts = append(dopts, zstd.WithDecoderDicts(b.dict))
	}
	if b.dec, err = zstd.NewReader(nil, dopts...); err != nil {
		return fmt.Errorf("%w: dictionary: %v", ErrMalformed, err)
	}
	return nil
}

// admit checks one manifest entry (the article counts, its metadata, its
// spans, a duplicate id) and adds it; it returns the entry's spans and
// decoded bytes, body and attachments.
func (b *Bundle) admit(e *entry, spanInfo map[cid.Cid][2]int64) (spans int, size int64, err error) {
	if len(b.entries) >= MaxArticles {
		return 0, 0, fmt.Errorf("%w: more than %d articles", ErrTooLarge, MaxArticles)
	}
	if len(b.entries) >= b.Articles {
		return 0, 0, fmt.Errorf("%w: manifest lists more articles than the envelope's %d", ErrSizeMismatch, b.Articles)
	}
	spans = len(e.Body)
	size = e.Size
	for _, a := range e.Attachments {
		spans += len(a.Body)
		size += a.Size
	}
	if err := checkEntryText(e, spans, true); err != nil {
		return 0, 0, &Error{Object: e.Id, Err: err}
	}
	if err := b.checkEntrySpans(e, spanInfo); err != nil {
		return 0, 0, &Error{Object: e.Id, Err: err}
	}
	// One map operation, not a lookup and an insertion: an id seen
	// before does not grow the map. The index it overwrites does not
	// matter, as the bundle is refused.
	before := len(b.byID)
	if b.byID[e.Id] = len(b.entries); len(b.byID) == before {
		return 0, 0, &Error{Object: e.Id, Err: ErrDuplicateID}
	}
	b.entries = append(b.entries, *e)
	return spans, size, nil
}

// checkEntrySpans checks the spans of an entry's body and attachments,
// and that reading them decodes at most MaxArticleSlack bytes beyond the
// article's own.
func (b *Bundle) checkEntrySpans(e *entry, spanInfo map[cid.Cid][2]int64) error {
	if err := b.checkSpans(e.Cid, e.Size, e.Body, spanInfo); err != nil {
		return err
	}
	for _, a := range e.Attachments {
		if err := b.checkSpans(a.Cid, a.Size, a.Body, spanInfo); err != nil {
			return err
		}
	}
	// checkSpans bounded each raw by MaxBlockRaw and checkEntry the spans
	// by MaxSpans and the sizes by MaxArticleSize: no sum overflows.
	decoded := spansRaw(e.Body)
	for _, a := range e.Attachments {
		decoded += spansRaw(a.Body)
	}
	if size := articleSize(e); decoded > size+MaxArticleSlack {
		return fmt.Errorf("%w: spans name %d bytes of blocks for an article of %d", ErrTooLarge, decoded, size)
	}
	return nil
}

// spansRaw returns the bytes reading spans decodes: each span's whole block.
func spansRaw(spans []span) int64 {
	var n int64
	for _, s := range spans {
		n += s.Raw
	}
	return n
}

// checkSpans checks what can be checked without reading content: the
// content CID's form, that every block is present and that the declared
// sizes add up.
func (b *Bundle) checkSpans(content cid.Cid, size int64, spans []span, spanInfo map[cid.Cid][2]int64) error {
	if !isRawSHA256(content) {
		return fmt.Errorf("%w: content cid is not a raw sha2-256 cid", ErrWrongType)
	}
	var sum int64
	for _, s := range spans {
		n, ok := b.src.size(s.Block)
		if !ok {
			return fmt.Errorf("%w: %s", ErrMissingBlock, s.Block)
		}
		if !isRawSHA256(s.Block) {
			return fmt.Errorf("%w: content block %s is not a raw block", ErrWrongType, s.Block)
		}
		if s.Raw < 0 || s.Raw > MaxBlockRaw || s.Off < 0 || s.Len < 0 || s.Off > s.Raw || s.Len > s.Raw-s.Off {
			return fmt.Errorf("%w: span outside its block", ErrSizeMismatch)
		}
		switch s.Enc {
		case encNone:
			if n >= 0 && int64(n) != s.Raw {
				return fmt.Errorf("%w: stored block %s is %d bytes, manifest says %d", ErrSizeMismatch, s.Block, n, s.Raw)
			}
		case encZstd:
		default:
			return fmt.Errorf("%w: unknown encoding %d", ErrUnsupportedVersion, s.Enc)
		}
		if prev, ok := spanInfo[s.Block]; !ok {
			spanInfo[s.Block] = [2]int64{s.Enc, s.Raw}
		} else if prev != [2]int64{s.Enc, s.Raw} {
			return fmt.Errorf("%w: block %s declared with two sizes", ErrSizeMismatch, s.Block)
		}
		sum += s.Len
	}
	if sum != size || size < 0 {
		return fmt.Errorf("%w: spans hold %d bytes, manifest says %d", ErrSizeMismatch, sum, size)
	}
	return nil
}

// content reads and checks the bytes a list of spans describes. cache, if
// not nil, keeps the last decoded block for a caller walking a cluster;
// either way a block named by consecutive spans is decoded once.
func (b *Bundle) content(content cid.Cid, size int64, spans []span, cache *blockCache) ([]byte, error) {
	if cache == nil && len(spans) == 1 && spans[0].Off == 0 && spans[0].Len == spans[0].Raw {
		// A body in a block of its own, as the packer stores every body
		// by default: decoded straight into the slice returned.
		out, err := b.decodeBlock(spans[0], make([]byte, 0, spans[0].Raw))
		if err != nil {
			return nil, err
		}
		if err := checkContent(content, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	if cache == nil {
		// Decoded blocks are copied out span by span: decode them into a
		// pooled buffer.
		buf := getBuf()
		defer putBuf(buf)
		cache = &blockCache{raw: *buf}
		defer func() { *buf = cache.raw }()
	}
	r := b.newReader("", content, size, spans, cache)
	// Grow as blocks arrive rather than trusting size for the allocation.
	out := make([]byte, 0, min(size, MaxBlockRaw))
	for {
		chunk, err := r.nextSpan()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, chunk...)
	}
}

// blockCache is the last block a reader decoded: c, its CID, or cid.Undef
// when raw holds no block (raw's capacity is reused).
type blockCache struct {
	c   cid.Cid
	raw []byte
}

// blockContent reads a content block and decodes it, never producing more
// than the span's declared size.
func (b *Bundle) blockContent(s span) ([]byte, error) {
	return b.decodeBlock(s, nil)
}

// decodeBlock reads span s's block, checks it, decodes it (the whole
// block, never more than the span's declared raw size) and appends the
// bytes to dst. The stored bytes are read into a pooled buffer, and
// decoded straight into dst if it has room.
func (b *Bundle) decodeBlock(s span, dst []byte) ([]byte, error) {
	buf := getBuf()
	defer putBuf(buf)
	data, err := b.readBlockBuf(s.Block, MaxBlockSize, cid.Raw, buf)
	if err != nil {
		return nil, err
	}
	if s.Enc == encNone {
		if int64(len(data)) != s.Raw {
			return nil, fmt.Errorf("%w: stored block %s is %d bytes, manifest says %d", ErrSizeMismatch, s.Block, len(data), s.Raw)
		}
		return append(dst, data...), nil
	}
	var h zstd.Header
	if err := h.Decode(data); err != nil || h.Skippable {
		return nil, fmt.Errorf("%w: block %s is not a zstd frame", ErrMalformed, s.Block)
	}
	if !h.HasFCS || h.FrameContentSize != uint64(s.Raw) {
		return nil, fmt.Errorf("%w: zstd frame declares %d bytes, manifest %d", ErrSizeMismatch, h.FrameContentSize, s.Raw)
	}
	if !h.SingleSegment && h.WindowSize > MaxZstdWindow {
		return nil, fmt.Errorf("%w: zstd window of %d bytes", ErrTooLarge, h.WindowSize)
	}
	if h.DictionaryID != 0 && h.DictionaryID != b.dictID {
		return nil, fmt.Errorf("%w: zstd frame wants dictionary %d", ErrMalformed, h.DictionaryID)
	}
	if n, err := frameLen(data, &h); err != nil || n != len(data) {
		return nil, fmt.Errorf("%w: block %s is not exactly one zstd frame", ErrMalformed, s.Block)
	}
	// The decoder limits its output to dst's spare capacity, and the frame
	// to its declared size, s.Raw; s.Raw is at most MaxBlockRaw.
	start := len(dst)
	dst = slices.Grow(dst, int(s.Raw))
	raw, err := b.dec.DecodeAll(data, dst)
	if err != nil {
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrFrameSizeExceeded) {
			return nil, fmt.Errorf("%w: zstd frame expands past %d bytes", ErrSizeMismatch, s.Raw)
		}
		return nil, fmt.Errorf("%w: zstd: %v", ErrMalformed, err)
	}
	if int64(len(raw)-start) != s.Raw {
		return nil, fmt.Errorf("%w: zstd frame holds %d bytes, manifest %d", ErrSizeMismatch, len(raw)-start, s.Raw)
	}
	return raw, nil
}

// isRawSHA256 reports whether c is a CIDv1 of the raw codec with a full
// sha2-256 digest: 01 55 12 20 and the digest.
func isRawSHA256(c cid.Cid) bool {
	_, ok := sha256Digest(c)
	return ok && c.KeyString()[1] == cid.Raw
}

// carHeader returns the canonical CARv1 header for a single root.
func carHeader(root cid.Cid) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := storage.NewWritable(&buf, []cid.Cid{root}, carv2.WriteAsCarV1(true)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// frameLen returns the length of the zstd frame at the start of data, by
// walking its block headers (RFC 8878 section 3.1.1.2) without decoding.
func frameLen(data []byte, h *zstd.Header) (int, error) {
	n := h.HeaderSize
	for {
		if n+3 > len(data) {
			return 0, io.ErrUnexpectedEOF
		}
		bh := uint32(data[n]) | uint32(data[n+1])<<8 | uint32(data[n+2])<<16
		n += 3
		size := int(bh >> 3)
		switch (bh >> 1) & 3 {
		case 0, 2: // raw, compressed
			n += size
		case 1: // RLE: one byte repeated size times
			n++
		default:
			return 0, errors.New("reserved block type")
		}
		if bh&1 == 1 {
			break
		}
	}
	if h.HasCheckSum {
		n += 4
	}
	if n > len(data) {
		return 0, io.ErrUnexpectedEOF
	}
	return n, nil
}
