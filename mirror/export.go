package mirror

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime"
	"github.com/ipld/go-ipld-prime/codec"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/node/bindnode"
	"github.com/ipld/go-ipld-prime/schema"
	mh "github.com/multiformats/go-multihash"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

// An export file (docs/protocol.md, Export files) is a CARv1 whose one
// root is the export block, written first; then the catalog block; then
// the blocks of each held bundle the catalog lists, newest bundle first,
// each bundle's in its canonical order, a block shared with an earlier
// bundle not repeated.

const exportSchema = `
type Export struct {
	v Int
	type String
	publisher String
	head Bytes
	catalog Link
}
type CarHeader struct {
	roots [Link]
	version Int
}
`

const exportType = "samizdat/export"

type wireExport struct {
	V         int64
	Type      string
	Publisher string
	Head      []byte
	Catalog   cid.Cid
}

type wireCarHeader struct {
	Roots   []cid.Cid
	Version int64
}

var exportProto, carHeaderProto = func() (schema.TypedPrototype, schema.TypedPrototype) {
	ts, err := ipld.LoadSchemaBytes([]byte(exportSchema))
	if err != nil {
		panic(err) // constant schema
	}
	return bindnode.Prototype((*wireExport)(nil), ts.TypeByName("Export")),
		bindnode.Prototype((*wireCarHeader)(nil), ts.TypeByName("CarHeader"))
}()

var exportPrefix = cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.SHA2_256, MhLength: -1}

func encodeCBOR(n schema.TypedNode) ([]byte, error) {
	var buf bytes.Buffer
	err := (dagcbor.EncodeOptions{AllowLinks: true, MapSortMode: codec.MapSortMode_RFC7049}).Encode(n.Representation(), &buf)
	return buf.Bytes(), err
}

func encodeExport(e *wireExport) (cid.Cid, []byte, error) {
	data, err := encodeCBOR(bindnode.Wrap(e, exportProto.Type()))
	if err != nil {
		return cid.Undef, nil, err
	}
	c, err := exportPrefix.Sum(data)
	return c, data, err
}

// decodeCBOR decodes data strictly into the prototype's Go value, with an
// allocation budget, and requires the canonical encoding.
func decodeCBOR(proto schema.TypedPrototype, data []byte, what string) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%w: %s decoder panic", bundle.ErrMalformed, what)
		}
	}()
	nb := proto.Representation().NewBuilder()
	opts := dagcbor.DecodeOptions{AllowLinks: true, AllocationBudget: int64(len(data))*16 + 4096}
	if err := opts.Decode(nb, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", bundle.ErrMalformed, what, err)
	}
	tn := nb.Build().(schema.TypedNode)
	if again, err := encodeCBOR(tn); err != nil || !bytes.Equal(again, data) {
		return nil, fmt.Errorf("%w: %s is not canonical dag-cbor", bundle.ErrMalformed, what)
	}
	return bindnode.Unwrap(tn), nil
}

// ExportResult says what Export wrote.
type ExportResult struct {
	Head    *node.Head
	Bundles []cid.Cid // the bundles written, newest first
	Missing []cid.Cid // listed by the catalog but not held, so not written
}

// heldCatalog returns publisher's stored head and the catalog it names,
// which n must hold: what Export and WriteStatic carry elsewhere.
func heldCatalog(ctx context.Context, n *node.Node, heads *node.Heads, publisher string) (*node.Head, []byte, *node.Catalog, error) {
	h, err := heads.Get(publisher)
	if err != nil {
		return nil, nil, nil, err
	}
	if h == nil {
		return nil, nil, nil, ErrNoHead
	}
	if !n.HasBlock(ctx, h.Catalog) {
		return nil, nil, nil, fmt.Errorf("catalog %s is not held", h.Catalog)
	}
	data, err := n.GetBlock(ctx, h.Catalog)
	if err != nil {
		return nil, nil, nil, err
	}
	cat, err := node.ParseCatalog(publisher, h.Catalog, data)
	if err != nil {
		return nil, nil, nil, err
	}
	return h, data, cat, nil
}

// Export writes everything n holds of publisher, its head included, to w
// as one export file, for carrying by hand: a reader imports it with
// Import, which checks it all as a sync would. The catalog's newest bundle
// must be held.
func Export(ctx context.Context, n *node.Node, heads *node.Heads, publisher string, w io.Writer) (*ExportResult, error) {
	publisher, err := bundle.NormalizePublisherID(publisher)
	if err != nil {
		return nil, err
	}
	h, catData, cat, err := heldCatalog(ctx, n, heads, publisher)
	if err != nil {
		return nil, err
	}
	if len(cat.Bundles) == 0 || !n.HasBundle(ctx, cat.Bundles[0]) {
		return nil, errors.New("the newest bundle is not held")
	}
	root, exp, err := encodeExport(&wireExport{V: 1, Type: exportType, Publisher: publisher, Head: h.Bytes(), Catalog: h.Catalog})
	if err != nil {
		return nil, err
	}
	header, err := encodeCBOR(wrapHeader(root))
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.Write(appendUvarint(nil, len(header)))
	bw.Write(header)
	writeSection(bw, root, exp)
	writeSection(bw, h.Catalog, catData)
	res := &ExportResult{Head: h}
	written := map[cid.Cid]bool{root: true, h.Catalog: true}
	for _, br := range cat.Bundles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !n.HasBundle(ctx, br) {
			res.Missing = append(res.Missing, br)
			continue
		}
		b, err := n.OpenBundle(br)
		if err != nil {
			return nil, err
		}
		for _, c := range b.Blocks() {
			if written[c] {
				continue
			}
			data, err := b.Block(c) // checked against c
			if err != nil {
				b.Close()
				return nil, err
			}
			writeSection(bw, c, data)
			written[c] = true
		}
		b.Close()
		res.Bundles = append(res.Bundles, br)
	}
	return res, bw.Flush()
}

func wrapHeader(root cid.Cid) schema.TypedNode {
	return bindnode.Wrap(&wireCarHeader{Roots: []cid.Cid{root}, Version: 1}, carHeaderProto.Type())
}

func appendUvarint(b []byte, n int) []byte { return binary.AppendUvarint(b, uint64(n)) }

func writeSection(w *bufio.Writer, c cid.Cid, data []byte) {
	cb := c.Bytes()
	w.Write(appendUvarint(nil, len(cb)+len(data)))
	w.Write(cb)
	w.Write(data)
}

// exportFile is an indexed export file: where each block's bytes are.
// Nothing in it is checked until read.
type exportFile struct {
	r     io.ReaderAt
	root  cid.Cid
	index map[cid.Cid]span
}

type span struct {
	off int64
	n   int
}

// readExport indexes an export file: the CAR header (one root, version
// 1), and every section's CID and place, within the limits; the first
// section must be the root. A file that ends inside a section is
// ErrTruncated.
func readExport(r io.ReaderAt, size int64) (*exportFile, error) {
	if size > maxExportFile {
		return nil, fmt.Errorf("%w: export file of %d bytes, limit %d", bundle.ErrTooLarge, size, int64(maxExportFile))
	}
	cr := &countReader{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10)}
	hl, err := binary.ReadUvarint(cr)
	if err != nil {
		return nil, fmt.Errorf("%w: export header", bundle.ErrTruncated)
	}
	if hl == 0 || hl > bundle.MaxCARHeader {
		return nil, fmt.Errorf("%w: export header of %d bytes", bundle.ErrMalformed, hl)
	}
	hdr := make([]byte, hl)
	if _, err := io.ReadFull(cr, hdr); err != nil {
		return nil, fmt.Errorf("%w: export header", bundle.ErrTruncated)
	}
	v, err := decodeCBOR(carHeaderProto, hdr, "export header")
	if err != nil {
		return nil, err
	}
	h := v.(*wireCarHeader)
	if h.Version != 1 || len(h.Roots) != 1 {
		return nil, fmt.Errorf("%w: export header: version %d, %d roots", bundle.ErrMalformed, h.Version, len(h.Roots))
	}
	f := &exportFile{r: r, root: h.Roots[0], index: make(map[cid.Cid]span)}
	buf := make([]byte, maxSection)
	for first := true; ; first = false {
		l, err := binary.ReadUvarint(cr)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: section length", bundle.ErrTruncated)
		}
		if l == 0 || l > maxSection {
			return nil, fmt.Errorf("%w: section of %d bytes", bundle.ErrMalformed, l)
		}
		start := cr.n
		if _, err := io.ReadFull(cr, buf[:l]); err != nil {
			return nil, fmt.Errorf("%w: section at %d", bundle.ErrTruncated, start)
		}
		cl, c, err := cid.CidFromBytes(buf[:l])
		if err != nil {
			return nil, fmt.Errorf("%w: section at %d: %v", bundle.ErrMalformed, start, err)
		}
		if first && c != f.root {
			return nil, fmt.Errorf("%w: the export block is not first", bundle.ErrMalformed)
		}
		if _, dup := f.index[c]; !dup {
			if len(f.index) >= maxExportBlocks {
				return nil, fmt.Errorf("%w: more than %d blocks", bundle.ErrTooLarge, maxExportBlocks)
			}
			f.index[c] = span{start + int64(cl), int(l) - cl}
		}
	}
	if len(f.index) == 0 {
		return nil, fmt.Errorf("%w: no export block", bundle.ErrTruncated)
	}
	return f, nil
}

// block reads a block and checks it against its CID.
func (f *exportFile) block(c cid.Cid) ([]byte, error) {
	s, ok := f.index[c]
	if !ok {
		return nil, fmt.Errorf("%w: %s", bundle.ErrMissingBlock, c)
	}
	if s.n > bundle.MaxBlockSize {
		return nil, fmt.Errorf("%w: block %s", bundle.ErrTooLarge, c)
	}
	data := make([]byte, s.n)
	if _, err := f.r.ReadAt(data, s.off); err != nil {
		return nil, fmt.Errorf("%w: block %s", bundle.ErrTruncated, c)
	}
	if sum, err := c.Prefix().Sum(data); err != nil || !sum.Equals(c) {
		return nil, fmt.Errorf("%w: %s", bundle.ErrHashMismatch, c)
	}
	return data, nil
}

// parseExportBlock checks the export block: size, hash, strict canonical
// decoding, version, type; then the head, signed by the publisher it
// names, must name the catalog the block links.
func parseExportBlock(c cid.Cid, data []byte) (*node.Head, error) {
	if len(data) > maxExportBlock {
		return nil, fmt.Errorf("%w: export block of %d bytes", bundle.ErrTooLarge, len(data))
	}
	if p := c.Prefix(); p.Codec != cid.DagCBOR || p.MhType != mh.SHA2_256 {
		return nil, fmt.Errorf("%w: export block cid %s", bundle.ErrWrongType, c)
	}
	if sum, err := c.Prefix().Sum(data); err != nil || !sum.Equals(c) {
		return nil, fmt.Errorf("%w: export block", bundle.ErrHashMismatch)
	}
	v, err := decodeCBOR(exportProto, data, "export block")
	if err != nil {
		return nil, err
	}
	e := v.(*wireExport)
	if e.V != 1 {
		return nil, fmt.Errorf("%w: export version %d", bundle.ErrUnsupportedVersion, e.V)
	}
	if e.Type != exportType {
		return nil, fmt.Errorf("%w: %.40q where an export belongs", bundle.ErrWrongType, e.Type)
	}
	if id, err := bundle.NormalizePublisherID(e.Publisher); err != nil || id != e.Publisher {
		return nil, fmt.Errorf("%w: publisher %.80q", bundle.ErrMalformed, e.Publisher)
	}
	h, err := node.ParseHead(e.Publisher, e.Head)
	if err != nil {
		return nil, err
	}
	if h.Catalog != e.Catalog {
		return nil, fmt.Errorf("%w: the head names another catalog", bundle.ErrMalformed)
	}
	return h, nil
}

// Import adds an export file's content to n: it checks the export block,
// the head (signature by the publisher; not older than heads holds, nor
// another catalog at the same sequence), the catalog, and every bundle in
// the file completely (publisher pinned, every block against its CID)
// before it stores anything; then it stores the bundles n lacks, the
// catalog and, last, the head. Any failure stores nothing. The file's
// newest bundle must be in it or held already; older ones it lacks are
// reported as Skipped.
func Import(ctx context.Context, n *node.Node, heads *node.Heads, r io.ReaderAt, size int64) (*SyncResult, error) {
	f, err := readExport(r, size)
	if err != nil {
		return nil, err
	}
	data, err := f.block(f.root)
	if err != nil {
		return nil, err
	}
	h, err := parseExportBlock(f.root, data)
	if err != nil {
		return nil, err
	}
	cur, err := heads.Get(h.Publisher)
	if err != nil {
		return nil, err
	}
	if cur != nil && h.Seq < cur.Seq {
		return nil, fmt.Errorf("%w: sequence %d, %d held", node.ErrRollback, h.Seq, cur.Seq)
	}
	if cur != nil && h.Seq == cur.Seq && h.Catalog != cur.Catalog {
		return nil, fmt.Errorf("%w: sequence %d", node.ErrEquivocated, h.Seq)
	}
	catData, err := f.block(h.Catalog)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	cat, err := node.ParseCatalog(h.Publisher, h.Catalog, catData)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{Head: h, Bundles: cat.Bundles}
	var verified []cid.Cid // checked, closed again: a file may carry thousands
	for i, root := range cat.Bundles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if n.HasBundle(ctx, root) {
			continue
		}
		if _, ok := f.index[root]; !ok {
			if i == 0 {
				return nil, fmt.Errorf("%w: the newest bundle %s is not in the file", bundle.ErrMissingBlock, root)
			}
			res.Skipped = append(res.Skipped, root)
			continue
		}
		b, err := bundle.OpenBlocks(root, f.block, bundle.OpenOptions{Publisher: h.Publisher})
		if err != nil {
			return nil, fmt.Errorf("bundle %s: %w", root, err)
		}
		err = b.CheckBlocks()
		b.Close()
		if err != nil {
			return nil, fmt.Errorf("bundle %s: %w", root, err)
		}
		verified = append(verified, root)
	}
	// All checked: store.
	for _, root := range verified {
		b, err := bundle.OpenBlocks(root, f.block, bundle.OpenOptions{Publisher: h.Publisher})
		if err != nil {
			return nil, fmt.Errorf("bundle %s: %w", root, err)
		}
		err = n.AddBundle(ctx, b) // writes the file, checking every block again
		b.Close()
		if err != nil {
			return nil, err
		}
		res.Fetched = append(res.Fetched, root)
	}
	if err := storeHead(ctx, n, heads, h, catData, res); err != nil {
		return res, err
	}
	return res, nil
}

type countReader struct {
	r *bufio.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}
