package bundle

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"slices"
	"time"

	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
)

// ArticleInfo is an article's metadata as the manifest lists it.
type ArticleInfo struct {
	ID          string
	Title       string
	Lang        string
	Published   time.Time // zero if unknown
	Updated     time.Time // zero if unknown
	URL         string
	Authors     []string
	Summary     string
	ContentType string
	Size        int64   // body bytes
	CID         cid.Cid // raw sha2-256 CID of the body
	Attachments []AttachmentInfo
}

// Date is the article's date for ordering: when it was last updated if
// known, else when it was published (zero if neither is known).
func (a ArticleInfo) Date() time.Time {
	if !a.Updated.IsZero() {
		return a.Updated
	}
	return a.Published
}

// AttachmentInfo describes an attachment.
type AttachmentInfo struct {
	Name        string
	ContentType string
	Size        int64
	CID         cid.Cid
}

func timeOrZero(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

func (e *entry) info() ArticleInfo {
	ai := ArticleInfo{
		ID: e.Id, Title: e.Title, Lang: e.Lang, Published: timeOrZero(e.Published), Updated: timeOrZero(e.Updated),
		URL: e.Url, Authors: e.Authors, Summary: e.Summary, ContentType: e.ContentType, Size: e.Size, CID: e.Cid,
	}
	for _, a := range e.Attachments {
		ai.Attachments = append(ai.Attachments, AttachmentInfo{Name: a.Name, ContentType: a.ContentType, Size: a.Size, CID: a.Cid})
	}
	return ai
}

// List returns the bundle's articles in manifest order.
func (b *Bundle) List() []ArticleInfo {
	out := make([]ArticleInfo, len(b.entries))
	for i := range b.entries {
		out[i] = b.entries[i].info()
	}
	return out
}

// Lookup returns one article's metadata.
func (b *Bundle) Lookup(id string) (ArticleInfo, error) {
	i, ok := b.byID[id]
	if !ok {
		return ArticleInfo{}, errNoArticle
	}
	return b.entries[i].info(), nil
}

// Body returns an article's body, exactly the bytes the publisher packed.
// Only the blocks of that article are read and decompressed.
func (b *Bundle) Body(id string) ([]byte, error) {
	i, ok := b.byID[id]
	if !ok {
		return nil, errNoArticle
	}
	e := &b.entries[i]
	body, err := b.content(e.Cid, e.Size, e.Body, nil)
	if err != nil {
		return nil, &Error{Path: b.path, Object: id, Err: err}
	}
	return body, nil
}

// Attachment returns one attachment of an article.
func (b *Bundle) Attachment(id, name string) ([]byte, error) {
	i, ok := b.byID[id]
	if !ok {
		return nil, errNoArticle
	}
	for _, a := range b.entries[i].Attachments {
		if a.Name == name {
			data, err := b.content(a.Cid, a.Size, a.Body, nil)
			if err != nil {
				return nil, &Error{Path: b.path, Object: id + "/" + name, Err: err}
			}
			return data, nil
		}
	}
	return nil, errNoAttachment
}

// BodyReader returns a reader of an article's body that decodes it as it
// is read, a block at a time: reading takes memory for one block however
// long the body, and a caller that reads only the first bytes decodes only
// the blocks that hold them.
func (b *Bundle) BodyReader(id string) (*Reader, error) {
	i, ok := b.byID[id]
	if !ok {
		return nil, errNoArticle
	}
	e := &b.entries[i]
	return b.newReader(id, e.Cid, e.Size, e.Body, nil), nil
}

// AttachmentReader is BodyReader for one attachment of an article.
func (b *Bundle) AttachmentReader(id, name string) (*Reader, error) {
	i, ok := b.byID[id]
	if !ok {
		return nil, errNoArticle
	}
	for _, a := range b.entries[i].Attachments {
		if a.Name == name {
			return b.newReader(id+"/"+name, a.Cid, a.Size, a.Body, nil), nil
		}
	}
	return nil, errNoAttachment
}

// Reader reads an article's body or attachment, decoding one block at a
// time. Every block is checked against its CID before any of its bytes
// are returned, so every byte read is one the publisher signed; the whole
// is checked against its content CID before the bytes of its last block
// are returned, so a Reader that reaches io.EOF has returned exactly the
// content the manifest names. A failure is an *Error matching ErrInvalid.
// A Reader reads until its bundle is closed; it is not safe for
// concurrent use.
type Reader struct {
	b       *Bundle
	object  string
	content cid.Cid
	size    int64
	spans   []span
	last    int // the last span with bytes, -1 if none
	next    int // the next span to decode
	h       hash.Hash
	cache   *blockCache
	checked bool
	buf     []byte // the current span's bytes not yet read
	err     error  // sticky
}

func (b *Bundle) newReader(object string, content cid.Cid, size int64, spans []span, cache *blockCache) *Reader {
	if cache == nil {
		cache = new(blockCache)
	}
	last := len(spans) - 1
	for last >= 0 && spans[last].Len == 0 {
		last--
	}
	return &Reader{b: b, object: object, content: content, size: size, spans: spans, last: last, h: sha256.New(), cache: cache}
}

// Size returns the content's size in bytes, as the signed manifest lists it.
func (r *Reader) Size() int64 { return r.size }

// Read reads the next bytes of the content.
func (r *Reader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.buf, r.err = r.nextSpan()
		if r.err != nil && r.err != io.EOF {
			r.err = &Error{Path: r.b.path, Object: r.object, Err: r.err}
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// nextSpan decodes the next span with bytes and returns them, checked: its
// block against the block's CID, and, for the last one, the whole against
// the content CID. It returns io.EOF after the last.
func (r *Reader) nextSpan() ([]byte, error) {
	for r.next < len(r.spans) {
		s := r.spans[r.next]
		r.next++
		if r.cache.c != s.Block {
			// The cached block's bytes were all returned or copied
			// out: decode over them.
			r.cache.c = cid.Undef
			raw, err := r.b.decodeBlock(s, r.cache.raw[:0])
			if err != nil {
				return nil, err
			}
			r.cache.c, r.cache.raw = s.Block, raw
		}
		chunk := r.cache.raw[s.Off : s.Off+s.Len]
		r.h.Write(chunk)
		if r.next-1 == r.last {
			if err := r.check(); err != nil {
				return nil, err
			}
		}
		if len(chunk) > 0 {
			return chunk, nil
		}
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return nil, io.EOF
}

// check compares what was hashed with the content CID, once.
func (r *Reader) check() error {
	if r.checked {
		return nil
	}
	r.checked = true
	var sum [sha256.Size]byte
	return checkDigest(r.content, r.h.Sum(sum[:0]))
}

// checkContent checks that content, all of an article's body or
// attachment, hashes to its content CID.
func checkContent(c cid.Cid, content []byte) error {
	sum := sha256.Sum256(content)
	return checkDigest(c, sum[:])
}

// checkDigest compares a sha2-256 digest with the one content CID c
// names. Open accepts only raw sha2-256 content CIDs.
func checkDigest(c cid.Cid, sum []byte) error {
	want, ok := sha256Digest(c)
	if !ok {
		return fmt.Errorf("%w: content cid %s is not a sha2-256 cid", ErrMalformed, c)
	}
	if string(sum) != want {
		return fmt.Errorf("%w: %s", ErrHashMismatch, c)
	}
	return nil
}

// Article returns an article with its body and attachments.
func (b *Bundle) Article(id string) (*Article, error) {
	info, err := b.Lookup(id)
	if err != nil {
		return nil, err
	}
	a := &Article{
		ID: info.ID, Title: info.Title, Lang: info.Lang, Published: info.Published, Updated: info.Updated,
		URL: info.URL, Authors: info.Authors, Summary: info.Summary, ContentType: info.ContentType,
	}
	if a.Body, err = b.Body(id); err != nil {
		return nil, err
	}
	for _, at := range info.Attachments {
		data, err := b.Attachment(id, at.Name)
		if err != nil {
			return nil, err
		}
		a.Attachments = append(a.Attachments, Attachment{Name: at.Name, ContentType: at.ContentType, Data: data})
	}
	return a, nil
}

// Verify reads every article and attachment and checks it against the
// signed manifest. Open already checked everything else.
func (b *Bundle) Verify() error {
	var cache blockCache // the packer writes a cluster's articles in a row
	for i := range b.entries {
		e := &b.entries[i]
		if _, err := b.content(e.Cid, e.Size, e.Body, &cache); err != nil {
			return &Error{Path: b.path, Object: e.Id, Err: err}
		}
		for _, a := range e.Attachments {
			if _, err := b.content(a.Cid, a.Size, a.Body, nil); err != nil {
				return &Error{Path: b.path, Object: e.Id + "/" + a.Name, Err: err}
			}
		}
	}
	return nil
}

// Dictionary returns the bundle's zstd dictionary, or nil. Packing the next
// bundle with it keeps unchanged articles' blocks identical.
func (b *Bundle) Dictionary() []byte { return b.dict }

// Blocks returns the CIDs of the bundle's blocks that the verified envelope
// reaches, metadata first. Blocks in the file that nothing references are
// not listed.
func (b *Bundle) Blocks() []cid.Cid {
	b.blocksOnce.Do(func() { b.blocks = b.listBlocks() })
	return slices.Clone(b.blocks)
}

// listBlocks computes Blocks.
func (b *Bundle) listBlocks() []cid.Cid {
	seen := make(map[cid.Cid]bool, len(b.meta)+len(b.entries))
	out := make([]cid.Cid, 0, len(b.meta)+len(b.entries))
	add := func(c cid.Cid) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, c := range b.meta {
		add(c)
	}
	entries := make([]*entry, len(b.entries))
	for i := range b.entries {
		entries[i] = &b.entries[i]
	}
	for _, c := range contentOrder(entries) {
		add(c)
	}
	return out
}

// contentOrder lists the content blocks of entries, each once, in the
// order a bundle file holds them: by entry, body before attachments.
func contentOrder(entries []*entry) []cid.Cid {
	seen := make(map[cid.Cid]bool)
	var out []cid.Cid
	add := func(spans []span) {
		for _, s := range spans {
			if !seen[s.Block] {
				seen[s.Block] = true
				out = append(out, s.Block)
			}
		}
	}
	for _, e := range entries {
		add(e.Body)
		for _, a := range e.Attachments {
			add(a.Body)
		}
	}
	return out
}

// WriteCAR writes the bundle as a bundle file: the CAR of the blocks
// Blocks lists, in that order, each checked against its CID. A bundle
// written by the packer and re-written by WriteCAR is byte-identical, so
// every carrier serves the same file.
func (b *Bundle) WriteCAR(w io.Writer) error {
	car, err := storage.NewWritable(w, []cid.Cid{b.Root}, carv2.WriteAsCarV1(true))
	if err != nil {
		return err
	}
	for _, c := range b.Blocks() {
		data, err := b.readBlock(c, MaxBlockSize, c.Prefix().Codec)
		if err != nil {
			return &Error{Path: b.path, Object: c.String(), Err: err}
		}
		if err := car.Put(context.Background(), c.KeyString(), data); err != nil {
			return err
		}
	}
	return car.Finalize()
}

// Block returns one of the blocks Blocks lists, checked against its CID.
// Blocks in the file that the signed envelope does not reach are never
// returned: a carrier cannot smuggle content into what a mirror serves.
func (b *Bundle) Block(c cid.Cid) ([]byte, error) {
	if !b.referenced(c) {
		return nil, fmt.Errorf("%w: block %s is not in the bundle", ErrNotFound, c)
	}
	return b.readBlock(c, MaxBlockSize, c.Prefix().Codec)
}

func (b *Bundle) referenced(c cid.Cid) bool {
	b.refOnce.Do(func() {
		b.refs = make(map[cid.Cid]struct{})
		for _, r := range b.Blocks() {
			b.refs[r] = struct{}{}
		}
	})
	_, ok := b.refs[c]
	return ok
}

// String summarizes the bundle in one paragraph.
func (i *Info) String() string {
	return fmt.Sprintf("publisher %s\nsequence  %d\ncreated   %s\narticles  %d\nbytes     %d (%d in the bundle file)\nroot      %s",
		i.Publisher, i.Seq, i.Created.Format(time.RFC3339), i.Articles, i.Bytes, i.Size, i.Root)
}

// Locate returns where a block Blocks lists sits in the bundle file, for a
// bundle opened from a file or reader: the offset and length of its bytes.
// A store can then serve the block from the file without copying it out.
func (b *Bundle) Locate(c cid.Cid) (off int64, n int, ok bool) {
	car, isCAR := b.src.(*carSource)
	if !isCAR || !b.referenced(c) {
		return 0, 0, false
	}
	loc, ok := car.blocks[c]
	return loc.off, loc.n, ok
}

// CheckBlocks reads every block Blocks lists and checks it against its
// CID: the whole file is then exactly what the publisher signed, though
// articles are only decoded (and checked against their content CIDs) when
// read. Verify does both.
func (b *Bundle) CheckBlocks() error {
	for _, c := range b.Blocks() {
		if _, err := b.readBlock(c, MaxBlockSize, c.Prefix().Codec); err != nil {
			return &Error{Path: b.path, Object: c.String(), Err: err}
		}
	}
	return nil
}

// Canonical reports whether a bundle opened from a file holds exactly the
// blocks Blocks lists, in that order, each once: the layout WriteCAR
// writes, so the file is byte-identical to every other canonical copy.
func (b *Bundle) Canonical() bool {
	car, ok := b.src.(*carSource)
	if !ok {
		return false
	}
	want := b.Blocks()
	if len(car.order) != len(want) {
		return false
	}
	for i, c := range want {
		if !car.order[i].Equals(c) {
			return false
		}
	}
	return true
}
