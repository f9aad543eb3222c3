package mirror

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime"
	"github.com/ipld/go-ipld-prime/node/bindnode"
	"github.com/ipld/go-ipld-prime/schema"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/iocount"
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

func encodeExport(e *wireExport) (cid.Cid, []byte, error) {
	data, err := bundle.EncodeDAGCBOR(bindnode.Wrap(e, exportProto.Type()))
	if err != nil {
		return cid.Undef, nil, err
	}
	c, err := bundle.PrefixDAGCBOR.Sum(data)
	return c, data, err
}

// ExportResult says what Export wrote.
type ExportResult struct {
	Head    *node.Head
	Bundles []cid.Cid // the bundles written, newest first
	Missing []cid.Cid // listed by the catalog but not held, so not written
}

// heldCatalog returns publisher's stored head, the pages of the catalog
// chain it names (newest first) and the chain's bundles, all of which the
// node must hold: what Export and WriteStatic carry elsewhere.
func (s *Service) heldCatalog(ctx context.Context, publisher string) (*node.Head, []node.CatalogBlock, *node.Catalog, error) {
	h, err := s.Head(publisher)
	if err != nil {
		return nil, nil, nil, err
	}
	if !s.n.HasBlock(ctx, h.Catalog) {
		return nil, nil, nil, fmt.Errorf("%w: catalog %s is not held", bundle.ErrNotFound, h.Catalog)
	}
	cat, pages, err := s.catalog(ctx, h)
	if err != nil {
		return nil, nil, nil, err
	}
	return h, pages, cat, nil
}

// Export writes everything the node holds of publisher, its head
// included, to w as one export file, for carrying by hand: a reader imports it with
// Import, which checks it all as a sync would. The catalog's newest bundle
// must be held.
func (s *Service) Export(ctx context.Context, publisher string, w io.Writer) (*ExportResult, error) {
	publisher, err := bundle.NormalizePublisherID(publisher)
	if err != nil {
		return nil, err
	}
	h, pages, cat, err := s.heldCatalog(ctx, publisher)
	if err != nil {
		return nil, err
	}
	if len(cat.Bundles) == 0 || !s.n.HasBundle(ctx, cat.Bundles[0]) {
		return nil, fmt.Errorf("%w: the newest bundle is not held", bundle.ErrNotFound)
	}
	root, exp, err := encodeExport(&wireExport{V: 1, Type: exportType, Publisher: publisher, Head: h.Bytes(), Catalog: h.Catalog})
	if err != nil {
		return nil, err
	}
	header, err := bundle.EncodeDAGCBOR(wrapHeader(root))
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.Write(appendUvarint(nil, len(header)))
	bw.Write(header)
	writeSection(bw, root, exp)
	res := &ExportResult{Head: h}
	written := map[cid.Cid]bool{root: true}
	for _, p := range pages { // the head's page first, then the older ones
		writeSection(bw, p.CID, p.Data)
		written[p.CID] = true
	}
	for _, br := range cat.Bundles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !s.n.HasBundle(ctx, br) {
			res.Missing = append(res.Missing, br)
			continue
		}
		b, err := s.n.OpenBundle(br)
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
	var off atomic.Int64
	cr := iocount.Reader{R: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10), N: &off}
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
	h, err := bundle.DecodeDAGCBOR[wireCarHeader](carHeaderProto, hdr, "export header")
	if err != nil {
		return nil, err
	}
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
		start := off.Load()
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
	if err := bundle.CheckBlock(c, data); err != nil {
		return nil, err
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
	if c.Defined() && c.Prefix().Codec != cid.DagCBOR {
		return nil, fmt.Errorf("%w: export block cid %s is not dag-cbor", bundle.ErrWrongType, c)
	}
	if err := bundle.CheckBlock(c, data); err != nil {
		return nil, fmt.Errorf("export block: %w", err)
	}
	e, err := bundle.DecodeDAGCBOR[wireExport](exportProto, data, "export block")
	if err != nil {
		return nil, err
	}
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

// Import adds an export file's content to the node: it checks the export
// block, the head (signed by the publisher; the head rule must not refuse
// it against the stored one: no rollback, no other catalog at the stored
// sequence), the catalog, and every bundle in the file completely
// (publisher pinned, every block against its CID) before it stores
// anything; then it stores the bundles the node lacks, the catalog and,
// last, the head. A failure while checking stores nothing; a failure
// while storing (a full disk, a crash) may leave some of the verified
// bundles stored, but never the head. The file's newest bundle must be in
// it or held already; older ones it lacks are reported as Skipped.
func (s *Service) Import(ctx context.Context, r io.ReaderAt, size int64) (*SyncResult, error) {
	f, h, pages, bundles, err := s.openExport(r, size)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{Head: h, Bundles: bundles}
	opts := bundle.OpenOptions{Publisher: h.Publisher, Authority: h.Authority}
	var verified []cid.Cid // checked, closed again: a file may carry thousands
	for i, root := range bundles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if s.n.HasBundle(ctx, root) {
			continue
		}
		if _, ok := f.index[root]; !ok {
			if i == 0 {
				return nil, fmt.Errorf("%w: the newest bundle %s is not in the file", bundle.ErrMissingBlock, root)
			}
			res.Skipped = append(res.Skipped, root)
			continue
		}
		err := f.check(root, opts)
		if errors.Is(err, bundle.ErrKeyRevoked) || errors.Is(err, bundle.ErrKeyNotAuthorized) {
			res.Revoked = append(res.Revoked, root) // the file predates the head's document
			continue
		}
		if err != nil {
			return nil, err
		}
		verified = append(verified, root)
	}
	// All checked: store.
	for _, root := range verified {
		b, err := bundle.OpenBlocks(root, f.block, opts)
		if err != nil {
			return nil, fmt.Errorf("bundle %s: %w", root, err)
		}
		err = s.n.AddBundle(ctx, b) // writes the file, checking every block again
		b.Close()
		if err != nil {
			return nil, err
		}
		res.Fetched = append(res.Fetched, root)
	}
	return s.finishSync(ctx, res, pages, fromHere, nil)
}

// openExport indexes an export file and checks its export block, its
// head against the stored one by the head rule, and its catalog chain:
// the pages the node lacks from the file, the rest from the store
// (fetchChain). It returns the pages read from the file, newest first,
// and the chain's bundles.
func (s *Service) openExport(r io.ReaderAt, size int64) (*exportFile, *node.Head, []node.CatalogBlock, []cid.Cid, error) {
	f, err := readExport(r, size)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	data, err := f.block(f.root)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	h, err := parseExportBlock(f.root, data)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if _, err := s.heads.Check(h); err != nil {
		return nil, nil, nil, nil, err
	}
	pages, bundles, err := s.fetchChain(context.Background(), h, f.block)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return f, h, pages, bundles, nil
}

// check verifies one bundle of the file completely under opts.
func (f *exportFile) check(root cid.Cid, opts bundle.OpenOptions) error {
	b, err := bundle.OpenBlocks(root, f.block, opts)
	if err != nil {
		return fmt.Errorf("bundle %s: %w", root, err)
	}
	defer b.Close()
	if err := b.CheckBlocks(); err != nil {
		return fmt.Errorf("bundle %s: %w", root, err)
	}
	return nil
}
