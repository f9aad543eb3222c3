package bundle

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
	"github.com/klauspost/compress/zstd"
	"github.com/samizdat/samizdat/internal/iocount"
	"github.com/samizdat/samizdat/internal/zdict"
)

// Level is a compression setting.
type Level int

// Compression levels, fastest to smallest.
const (
	LevelFastest Level = iota + 1
	LevelDefault
	LevelBetter
	LevelBest
)

// ParseLevel parses "fastest", "default", "better" or "best".
func ParseLevel(s string) (Level, error) {
	for l, name := range levelNames {
		if name == s {
			return Level(l), nil
		}
	}
	return 0, fmt.Errorf("unknown compression level %q (want fastest, default, better or best)", s)
}

var levelNames = [...]string{LevelFastest: "fastest", LevelDefault: "default", LevelBetter: "better", LevelBest: "best"}

func (l Level) String() string {
	if l > 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

func (l Level) zstd() zstd.EncoderLevel {
	switch l {
	case LevelFastest:
		return zstd.SpeedFastest
	case LevelBetter:
		return zstd.SpeedBetterCompression
	case LevelBest:
		return zstd.SpeedBestCompression
	}
	return zstd.SpeedDefault
}

// PackOptions configures a Packer. Key and Seq are required.
type PackOptions struct {
	// Key signs the bundle: the publisher's root key, or a key that
	// Authority authorizes.
	Key ed25519.PrivateKey
	// Authority is the publisher document authorizing Key. It travels in
	// the bundle. Nil means Key is the root key.
	Authority *Authority
	// Seq is the per-publisher sequence number, higher than any earlier
	// bundle's.
	Seq uint64
	// Created is the creation time; zero means now.
	Created time.Time
	// Level is the zstd setting; zero means LevelFastest, which with the
	// dictionary packs at about 50 MB/s on one core (see BenchmarkPack).
	Level Level
	// Cluster is the target decompressed size of a body block holding
	// several articles. Zero puts each article in its own block, so a
	// reader can fetch and decompress any one article alone.
	Cluster int
	// Dict, if set, is used instead of training a dictionary. Passing the
	// previous bundle's dictionary keeps unchanged articles' blocks
	// byte-identical across re-packs.
	Dict []byte
	// NoDict disables the dictionary.
	NoDict bool
	// TempDir holds the packer's spool files; empty means os.TempDir.
	TempDir string
	// Progress, if set, is called as Pack compresses article bodies, with
	// the bytes done and the total, for a progress display.
	Progress func(done, total int64)
}

// Packer builds a bundle from articles. Bodies are spooled to a temporary
// file as they are added, so memory holds only metadata: packing is
// streaming in the size of the input.
type Packer struct {
	opts      PackOptions
	publisher string
	spool     *os.File
	spoolBuf  *bufio.Writer // spool writes are sequential; reads flush first
	spoolEnd  int64
	items     []*packItem
	ids       map[string]struct{}
	total     int64 // body bytes
	spans     int   // spans Pack will write, body and attachments
	packed    bool  // Pack has begun: the items are sorted and spanned
}

type packItem struct {
	e      entry   // the CIDs and spans of the body and attachments are filled when packed
	off    int64   // body in the spool
	attOff []int64 // each attachment's data in the spool
}

// NewPacker validates opts and creates the spool file.
func NewPacker(opts PackOptions) (*Packer, error) {
	if len(opts.Key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: no signing key", ErrBadKey)
	}
	if opts.Seq == 0 || opts.Seq > math.MaxInt64 {
		return nil, fmt.Errorf("sequence number %d out of range", opts.Seq)
	}
	if opts.Cluster < 0 || opts.Cluster > MaxBlockRaw {
		return nil, fmt.Errorf("cluster size %d out of range 0..%d", opts.Cluster, MaxBlockRaw)
	}
	if opts.Level == 0 {
		opts.Level = LevelFastest
	}
	if opts.Created.IsZero() {
		opts.Created = time.Now()
	}
	signer := opts.Key.Public().(ed25519.PublicKey)
	publisher := PublisherID(signer)
	if opts.Authority != nil {
		publisher = opts.Authority.Publisher
		if publisher != PublisherID(signer) {
			if err := opts.Authority.authorize(signer, opts.Seq); err != nil {
				return nil, err
			}
		}
	}
	if len(opts.Dict) > MaxDictSize {
		return nil, fmt.Errorf("%w: dictionary of %d bytes", ErrTooLarge, len(opts.Dict))
	}
	f, err := os.CreateTemp(opts.TempDir, "samizdat-pack-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name()) // unlinked: the OS reclaims it however we exit
	return &Packer{opts: opts, publisher: publisher, spool: f, spoolBuf: bufio.NewWriterSize(f, 1<<20), ids: make(map[string]struct{})}, nil
}

// Close releases the spool.
func (p *Packer) Close() error { return p.spool.Close() }

// Add validates an article and spools it. It fails with ErrDuplicateID if
// the id was added before, and with ErrAlreadyPacked after Pack.
func (p *Packer) Add(a *Article) error {
	if p.packed {
		return ErrAlreadyPacked
	}
	e := entry{
		Id: a.ID, Title: a.Title, Lang: a.Lang, Published: unixOrZero(a.Published), Updated: unixOrZero(a.Updated),
		Url: a.URL, Authors: append([]string{}, a.Authors...), Summary: a.Summary, ContentType: a.ContentType,
		Size: int64(len(a.Body)), Attachments: make([]attachmentEntry, 0, len(a.Attachments)),
	}
	if e.Lang == "" {
		e.Lang = "und"
	}
	for _, at := range a.Attachments {
		e.Attachments = append(e.Attachments, attachmentEntry{Name: at.Name, ContentType: at.ContentType, Size: int64(len(at.Data))})
	}
	spans := packedSpans(a)
	if err := checkEntry(&e, spans); err != nil {
		return &Error{Object: a.ID, Err: err}
	}
	if a.ContentType == "" {
		// Writers must name it; readers accept an entry without one.
		return &Error{Object: a.ID, Err: fmt.Errorf("%w: article has no content type", ErrMalformed)}
	}
	if _, dup := p.ids[a.ID]; dup {
		return &Error{Object: a.ID, Err: ErrDuplicateID}
	}
	if len(p.items) >= MaxArticles {
		return fmt.Errorf("%w: more than %d articles", ErrTooLarge, MaxArticles)
	}
	if p.spans+spans > MaxBundleSpans {
		return fmt.Errorf("%w: more than %d spans", ErrTooLarge, MaxBundleSpans)
	}
	it := &packItem{e: e}
	var err error
	if it.off, err = p.spoolWrite(a.Body); err != nil {
		return err
	}
	for _, at := range a.Attachments {
		off, err := p.spoolWrite(at.Data)
		if err != nil {
			return err
		}
		it.attOff = append(it.attOff, off)
	}
	p.ids[a.ID] = struct{}{}
	p.items = append(p.items, it)
	p.total += int64(len(a.Body))
	p.spans += spans
	return nil
}

func (p *Packer) spoolWrite(b []byte) (int64, error) {
	off := p.spoolEnd
	if _, err := p.spoolBuf.Write(b); err != nil {
		return 0, err
	}
	p.spoolEnd += int64(len(b))
	return off, nil
}

func (p *Packer) spoolRead(off, n int64) ([]byte, error) {
	return p.spoolReadInto(nil, off, n)
}

// spoolReadInto reads into buf's storage when it is large enough.
func (p *Packer) spoolReadInto(buf []byte, off, n int64) ([]byte, error) {
	if p.spoolBuf.Buffered() > 0 {
		if err := p.spoolBuf.Flush(); err != nil {
			return nil, err
		}
	}
	if int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := p.spool.ReadAt(buf, off)
	return buf, err
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// Info summarizes a bundle.
type Info struct {
	Root      cid.Cid
	Publisher string
	Signer    string // publisher ID form of the signing key
	Seq       uint64
	Created   time.Time
	Articles  int
	Bytes     int64 // article bodies and attachments, decompressed
	Size      int64 // the bundle file
}

// blockWriter collects compressed blocks in a spool file, deduplicated.
type blockWriter struct {
	f   *os.File
	w   *bufio.Writer
	end int64
	at  map[cid.Cid][2]int64 // offset, length
	enc *zstd.Encoder
	buf []byte // reused for compressed output; put copies it out
}

func (bw *blockWriter) put(data []byte) (cid.Cid, error) {
	c, err := PrefixRaw.Sum(data)
	if err != nil {
		return cid.Undef, err
	}
	if _, ok := bw.at[c]; ok {
		return c, nil
	}
	if _, err := bw.w.Write(data); err != nil {
		return cid.Undef, err
	}
	bw.at[c] = [2]int64{bw.end, int64(len(data))}
	bw.end += int64(len(data))
	return c, nil
}

// putContent stores raw as one block and returns its span. A block that
// zstd does not shrink (by a sixteenth, for attachments such as images) is
// stored as is, so no block exceeds MaxBlockSize.
func (bw *blockWriter) putContent(raw []byte, attachment bool) (span, error) {
	data := bw.enc.EncodeAll(raw, bw.buf[:0])
	bw.buf = data
	enc := int64(encZstd)
	if len(data) >= len(raw) || attachment && len(data) >= len(raw)-len(raw)/16 {
		data, enc = raw, encNone
	}
	c, err := bw.put(data)
	return span{Block: c, Enc: enc, Raw: int64(len(raw)), Off: 0, Len: int64(len(raw))}, err
}

// Pack packs the added articles and writes the bundle (a CARv1) to w.
// It may be called once: a later call returns ErrAlreadyPacked, whether
// or not the first succeeded.
func (p *Packer) Pack(w io.Writer) (*Info, error) {
	if p.packed {
		return nil, ErrAlreadyPacked
	}
	if len(p.items) == 0 {
		return nil, errors.New("no articles to pack")
	}
	p.packed = true
	dictBytes, err := p.dictionary()
	if err != nil {
		return nil, err
	}
	eopts := []zstd.EOption{
		zstd.WithEncoderLevel(p.opts.Level.zstd()), zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false),
		zstd.WithSingleSegment(true), zstd.WithZeroFrames(true),
	}
	if dictBytes != nil {
		eopts = append(eopts, zstd.WithEncoderDict(dictBytes))
	}
	enc, err := zstd.NewWriter(nil, eopts...)
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	defer enc.Close()
	bf, err := os.CreateTemp(p.opts.TempDir, "samizdat-blocks-*")
	if err != nil {
		return nil, err
	}
	os.Remove(bf.Name())
	defer bf.Close()
	bw := &blockWriter{f: bf, w: bufio.NewWriterSize(bf, 1<<20), at: make(map[cid.Cid][2]int64), enc: enc}

	// Articles of one language, oldest first: a growing corpus appends at
	// the end of each language's run, so earlier clusters stay unchanged,
	// and a cluster holds one language, which compresses better.
	slices.SortFunc(p.items, func(a, b *packItem) int {
		if c := strings.Compare(a.e.Lang, b.e.Lang); c != 0 {
			return c
		}
		if a.e.Published != b.e.Published {
			return int(min(max(a.e.Published-b.e.Published, -1), 1))
		}
		return strings.Compare(a.e.Id, b.e.Id)
	})
	if err := p.packBodies(bw); err != nil {
		return nil, err
	}
	for _, it := range p.items {
		for i, off := range it.attOff {
			ae := &it.e.Attachments[i]
			raw, err := p.spoolRead(off, ae.Size)
			if err != nil {
				return nil, err
			}
			if ae.Cid, err = PrefixRaw.Sum(raw); err != nil {
				return nil, err
			}
			ae.Body = []span{}
			for chunk := range slices.Chunk(raw, MaxBlockRaw) {
				s, err := bw.putContent(chunk, true)
				if err != nil {
					return nil, err
				}
				ae.Body = append(ae.Body, s)
			}
		}
	}
	return p.write(w, bw, dictBytes)
}

// packBodies compresses every body into blocks: one article per block, or
// clusters of articles when opts.Cluster is set.
func (p *Packer) packBodies(bw *blockWriter) error {
	var (
		cluster []byte
		members []*packItem // articles whose spans point into cluster
	)
	flush := func() error {
		if len(members) == 0 {
			return nil
		}
		s, err := bw.putContent(cluster, false)
		if err != nil {
			return err
		}
		for _, it := range members {
			last := &it.e.Body[len(it.e.Body)-1]
			last.Block, last.Enc, last.Raw = s.Block, s.Enc, s.Raw
		}
		cluster, members = cluster[:0], members[:0]
		return nil
	}
	var buf []byte // each body is compressed or copied into cluster before the next is read
	var done, total int64
	for _, it := range p.items {
		total += int64(it.e.Size)
	}
	for _, it := range p.items {
		if p.opts.Progress != nil {
			p.opts.Progress(done, total)
			done += int64(it.e.Size)
		}
		body, err := p.spoolReadInto(buf, it.off, it.e.Size)
		if err != nil {
			return err
		}
		buf = body
		if it.e.Cid, err = PrefixRaw.Sum(body); err != nil {
			return err
		}
		it.e.Body = []span{}
		if p.opts.Cluster == 0 || len(body) > p.opts.Cluster {
			// Alone: in one block, or several if it exceeds MaxBlockRaw.
			for chunk := range slices.Chunk(body, MaxBlockRaw) {
				s, err := bw.putContent(chunk, false)
				if err != nil {
					return err
				}
				it.e.Body = append(it.e.Body, s)
			}
			if len(body) == 0 {
				s, err := bw.putContent(nil, false)
				if err != nil {
					return err
				}
				it.e.Body = append(it.e.Body, s)
			}
			continue
		}
		if len(cluster)+len(body) > p.opts.Cluster || len(members) > 0 && members[0].e.Lang != it.e.Lang {
			if err := flush(); err != nil {
				return err
			}
		}
		it.e.Body = append(it.e.Body, span{Enc: encZstd, Off: int64(len(cluster)), Len: int64(len(body))})
		cluster = append(cluster, body...)
		members = append(members, it)
		// Content-defined cut points: an article whose id hashes to a
		// boundary ends its cluster once the cluster is half full, so a
		// changed article shifts the clusters after it only until the
		// next boundary.
		if len(cluster) >= p.opts.Cluster/2 && idHash(it.e.Id)%4 == 0 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if p.opts.Progress != nil {
		p.opts.Progress(total, total)
	}
	return flush()
}

func idHash(id string) uint32 {
	h := sha256.Sum256([]byte(id))
	return binary.BigEndian.Uint32(h[:4])
}

// dictionary returns the dictionary to use: the given one, one trained on a
// sample of the bodies, or nil.
func (p *Packer) dictionary() ([]byte, error) {
	if p.opts.NoDict {
		return nil, nil
	}
	if p.opts.Dict != nil {
		return p.opts.Dict, nil
	}
	if p.total < dictMinInput {
		return nil, nil
	}
	samples, err := p.dictSamples()
	if err != nil || len(samples) < 8 {
		return nil, err
	}
	content, err := zdict.Train(samples, zdict.Options{Size: p.dictTrainSize()})
	if err != nil {
		// Training fails on inputs with too little repetition; packing
		// without a dictionary is still correct.
		return nil, nil
	}
	// The entropy tables are fitted to an even subset of the samples:
	// fitting them means encoding those samples at the packing level, and
	// more samples than this do not make the tables better.
	step := len(samples)/dictTableSamples + 1
	var tables [][]byte
	for i := 0; i < len(samples); i += step {
		tables = append(tables, samples[i])
	}
	// Dictionary IDs 0..32767 are reserved by the zstd format; the ID is
	// set from the content below.
	d, err := zdict.Build(content, tables, 32768, p.opts.Level.zstd())
	if err != nil {
		return nil, nil
	}
	// Name the dictionary by its content: equal IDs then mean equal
	// dictionaries, whichever version of the trainer made them.
	sum := sha256.Sum256(d[8:])
	binary.LittleEndian.PutUint32(d[4:8], binary.BigEndian.Uint32(sum[:4])%(1<<31-32768)+32768)
	return d, nil
}

// dictTrainSize is the content to train: dictContentSize for articles
// alone or small clusters, less for large clusters, which find most of
// their matches within themselves (on real text, 1 MiB clusters at level
// best come out smallest with about 16 KiB, 256 KiB clusters with 32 to
// 64 KiB; docs/bundle-format.md §13).
func (p *Packer) dictTrainSize() int {
	return int(int64(dictContentSize) * dictFullCluster / max(int64(p.opts.Cluster), dictFullCluster))
}

// dictSamples returns the first dictSampleHead bytes of an even sample of
// the bodies, in the order added (which for a given source tree is
// deterministic): about dictSamplesPerContent times the content to train.
// Heads rather than whole bodies keep a few long
// bodies from outweighing many articles.
func (p *Packer) dictSamples() ([][]byte, error) {
	var heads int64
	for _, it := range p.items {
		heads += int64(min(it.e.Size, dictSampleHead))
	}
	step := max(1, int(heads/int64(dictSamplesPerContent*p.dictTrainSize()))+1)
	var samples [][]byte
	for i := 0; i < len(p.items); i += step {
		it := p.items[i]
		b, err := p.spoolRead(it.off, min(it.e.Size, dictSampleHead))
		if err != nil {
			return nil, err
		}
		if len(b) >= 8 {
			samples = append(samples, b)
		}
	}
	return samples, nil
}

// write lays out the CAR in Bundle.Blocks order: envelope, authority,
// manifest, dictionary and pages first, so a streaming reader verifies the
// signature before any content arrives; then the content blocks by entry.
func (p *Packer) write(w io.Writer, bw *blockWriter, dictBytes []byte) (*Info, error) {
	type blk struct {
		c    cid.Cid
		data []byte
	}
	var meta []blk
	m := manifest{V: FormatVersion, Pages: []cid.Cid{}}
	if dictBytes != nil {
		c, err := PrefixRaw.Sum(dictBytes)
		if err != nil {
			return nil, err
		}
		m.Dict = &c
	}
	penc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(p.opts.Level.zstd()), zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false), zstd.WithSingleSegment(true), zstd.WithZeroFrames(true))
	if err != nil {
		return nil, err
	}
	defer penc.Close()
	var (
		pg     []entry
		est    int
		blocks int
		bytes  int64
	)
	flushPage := func() error {
		if len(pg) == 0 {
			return nil
		}
		c, data, err := encodePage(pg, penc)
		if err != nil {
			return err
		}
		meta = append(meta, blk{c, data})
		m.Pages = append(m.Pages, c)
		pg, est, blocks = nil, 0, 0
		return nil
	}
	for _, it := range p.items {
		pg = append(pg, it.e)
		est += entrySizeEstimate(&it.e)
		blocks += len(it.e.Body)
		bytes += it.e.Size
		for _, a := range it.e.Attachments {
			bytes += a.Size
			blocks += len(a.Body)
		}
		if est >= pageTarget || blocks >= pageMaxBlocks {
			if err := flushPage(); err != nil {
				return nil, err
			}
		}
	}
	if err := flushPage(); err != nil {
		return nil, err
	}
	mc, mdata, err := makeBlock(&m, protoManifest)
	if err != nil {
		return nil, err
	}
	if len(mdata) > MaxBlockSize {
		return nil, fmt.Errorf("%w: manifest of %d bytes", ErrTooLarge, len(mdata))
	}
	signer := p.opts.Key.Public().(ed25519.PublicKey)
	pl := bundlePayload{
		V: FormatVersion, Type: typeBundle, Publisher: p.publisher, Seq: int64(p.opts.Seq),
		Created: p.opts.Created.Unix(), Signer: []byte(signer), Manifest: mc,
		Articles: int64(len(p.items)), Bytes: bytes,
	}
	var authBlk *blk
	if a := p.opts.Authority; a != nil {
		c := a.CID()
		pl.Authority = &c
		authBlk = &blk{c, a.Bytes()}
	}
	msg, err := encodeNode(&pl, protoBundlePayload)
	if err != nil {
		return nil, err
	}
	env := envelope{Payload: pl, Sig: ed25519.Sign(p.opts.Key, append([]byte(sigContextBundle), msg...))}
	root, edata, err := makeBlock(&env, protoEnvelope)
	if err != nil {
		return nil, err
	}

	var size atomic.Int64
	car, err := storage.NewWritable(iocount.Writer{W: w, N: &size}, []cid.Cid{root}, carv2.WriteAsCarV1(true))
	if err != nil {
		return nil, err
	}
	ctx := context.Background() // the CAR writer's interface wants one; it never blocks on it
	put := func(c cid.Cid, data []byte) error { return car.Put(ctx, c.KeyString(), data) }
	if err := put(root, edata); err != nil {
		return nil, err
	}
	if authBlk != nil {
		if err := put(authBlk.c, authBlk.data); err != nil {
			return nil, err
		}
	}
	if err := put(mc, mdata); err != nil {
		return nil, err
	}
	if m.Dict != nil {
		if err := put(*m.Dict, dictBytes); err != nil {
			return nil, err
		}
	}
	for _, b := range meta {
		if err := put(b.c, b.data); err != nil {
			return nil, err
		}
	}
	if err := bw.w.Flush(); err != nil {
		return nil, err
	}
	// Content in the order Bundle.Blocks lists it, so that a bundle
	// re-serialized from its blocks (WriteCAR) is byte-identical.
	entries := make([]*entry, len(p.items))
	for i, it := range p.items {
		entries[i] = &it.e
	}
	buf := make([]byte, 0, MaxBlockSize)
	for _, c := range contentOrder(entries) {
		at := bw.at[c]
		buf = buf[:at[1]]
		if _, err := bw.f.ReadAt(buf, at[0]); err != nil {
			return nil, err
		}
		if err := put(c, buf); err != nil {
			return nil, err
		}
	}
	if err := car.Finalize(); err != nil {
		return nil, err
	}
	return &Info{
		Root: root, Publisher: p.publisher, Signer: PublisherID(signer), Seq: p.opts.Seq,
		Created: time.Unix(pl.Created, 0).UTC(), Articles: len(p.items), Bytes: bytes, Size: size.Load(),
	}, nil
}

func entrySizeEstimate(e *entry) int {
	const perSpan = 16 // five small integers; the block's link is counted by pageMaxBlocks
	n := 96 + len(e.Id) + len(e.Title) + len(e.Lang) + len(e.Url) + len(e.Summary) + len(e.ContentType) + perSpan*len(e.Body)
	for _, a := range e.Authors {
		n += len(a) + 2
	}
	for _, a := range e.Attachments {
		n += 96 + len(a.Name) + len(a.ContentType) + perSpan*len(a.Body)
	}
	return n
}

// packedSpans returns the number of spans Pack gives an article and its
// attachments: one per MaxBlockRaw bytes or part of it, and one for an
// empty body (an empty attachment has none).
func packedSpans(a *Article) int {
	n := max(1, blocksFor(len(a.Body)))
	for _, at := range a.Attachments {
		n += blocksFor(len(at.Data))
	}
	return n
}

// blocksFor returns the number of MaxBlockRaw blocks n bytes need alone.
func blocksFor(n int) int { return (n + MaxBlockRaw - 1) / MaxBlockRaw }
