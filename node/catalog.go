package node

import (
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime"
	"github.com/ipld/go-ipld-prime/node/bindnode"
	"github.com/ipld/go-ipld-prime/schema"
	mh "github.com/multiformats/go-multihash"
	"github.com/samizdat/samizdat/bundle"
)

// Catalog lists a publisher's current bundles, newest first. It is not
// signed itself: the head record, signed by the publisher, names it by CID.
// A catalog may be one page of a chain (protocol.md §5): Prev then links
// the page of the bundles before these, so that an update carries a page
// of at most CatalogPage bundles however long the publisher's history.
type Catalog struct {
	Publisher string
	Bundles   []cid.Cid
	Prev      *cid.Cid // the previous page; nil on the last (or only) one
}

const catalogSchema = `
type Catalog struct {
	v Int
	type String
	publisher String
	bundles [Link]
	prev optional Link
}
`

const catalogType = "samizdat/catalog"

type wireCatalog struct {
	V         int64
	Type      string
	Publisher string
	Bundles   []cid.Cid
	Prev      *cid.Cid
}

var catalogProto = func() schema.TypedPrototype {
	ts, err := ipld.LoadSchemaBytes([]byte(catalogSchema))
	if err != nil {
		panic(err) // constant schema
	}
	return bindnode.Prototype((*wireCatalog)(nil), ts.TypeByName("Catalog"))
}()

// Encode returns the catalog's block CID and bytes.
func (c *Catalog) Encode() (cid.Cid, []byte, error) {
	if len(c.Bundles) > maxCatalogBundles {
		return cid.Undef, nil, fmt.Errorf("%w: catalog of %d bundles, limit %d", bundle.ErrTooLarge, len(c.Bundles), maxCatalogBundles)
	}
	w := wireCatalog{V: 1, Type: catalogType, Publisher: c.Publisher, Bundles: append([]cid.Cid{}, c.Bundles...), Prev: c.Prev}
	data, err := bundle.EncodeDAGCBOR(bindnode.Wrap(&w, catalogProto.Type()))
	if err != nil {
		return cid.Undef, nil, err
	}
	id, err := bundle.PrefixDAGCBOR.Sum(data)
	return id, data, err
}

// ParseCatalog checks a catalog block named by a verified head: size,
// CID and hash, strict canonical decoding, version, type and publisher.
func ParseCatalog(publisher string, c cid.Cid, data []byte) (*Catalog, error) {
	if len(data) > maxCatalogSize {
		return nil, fmt.Errorf("%w: catalog of %d bytes", bundle.ErrTooLarge, len(data))
	}
	if c.Defined() && c.Prefix().Codec != cid.DagCBOR {
		return nil, fmt.Errorf("%w: catalog cid %s is not dag-cbor", bundle.ErrWrongType, c)
	}
	if err := bundle.CheckBlock(c, data); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	w, err := bundle.DecodeDAGCBOR[wireCatalog](catalogProto, data, "catalog")
	if err != nil {
		return nil, err
	}
	if w.V != 1 {
		return nil, fmt.Errorf("%w: catalog version %d", bundle.ErrUnsupportedVersion, w.V)
	}
	if w.Type != catalogType {
		return nil, fmt.Errorf("%w: %.40q where a catalog belongs", bundle.ErrWrongType, w.Type)
	}
	if len(w.Bundles) > maxCatalogBundles {
		return nil, fmt.Errorf("%w: catalog of %d bundles", bundle.ErrTooLarge, len(w.Bundles))
	}
	if w.Publisher != publisher {
		return nil, fmt.Errorf("%w: catalog of another publisher", bundle.ErrWrongPublisher)
	}
	if w.Prev != nil && !isCatalogCID(*w.Prev) {
		return nil, fmt.Errorf("%w: a catalog's prev is not a dag-cbor sha2-256 CIDv1", bundle.ErrWrongType)
	}
	return &Catalog{Publisher: w.Publisher, Bundles: w.Bundles, Prev: w.Prev}, nil
}

// isCatalogCID says whether c can name a catalog: CIDv1, dag-cbor, a
// full sha2-256 digest.
func isCatalogCID(c cid.Cid) bool {
	p := c.Prefix()
	return p.Version == 1 && p.Codec == cid.DagCBOR && p.MhType == mh.SHA2_256 && p.MhLength == 32
}

// CatalogPage is how many bundles a publisher's newest catalog page
// lists at most (NextCatalog): an update's catalog is at most about 2.5
// KiB, whatever the history.
const CatalogPage = 64

// NextCatalog returns the catalog page that lists root before the
// bundles of cur, the publisher's current page (named curCID; nil for a
// first catalog): cur's bundles with root in front while cur lists fewer
// than CatalogPage, else a page of root alone whose prev is cur. Earlier
// pages are untouched, so an update adds one small page.
func NextCatalog(publisher string, root cid.Cid, cur *Catalog, curCID cid.Cid) *Catalog {
	next := &Catalog{Publisher: publisher, Bundles: []cid.Cid{root}}
	switch {
	case cur == nil:
	case len(cur.Bundles) < CatalogPage:
		next.Bundles = append(next.Bundles, cur.Bundles...)
		next.Prev = cur.Prev
	default:
		next.Prev = &curCID
	}
	return next
}

// BuildCatalog lays bundles (newest first) out as a chain of pages, the
// last (oldest) first: full pages of CatalogPage bundles, and the newest
// page holding the rest (1 to CatalogPage), as NextCatalog would have
// built them one bundle at a time. Each page is encoded; the newest is
// last, and its CID is the one a head names.
func BuildCatalog(publisher string, bundles []cid.Cid) ([]CatalogBlock, error) {
	if len(bundles) == 0 {
		c, data, err := (&Catalog{Publisher: publisher, Bundles: []cid.Cid{}}).Encode()
		return []CatalogBlock{{CID: c, Data: data}}, err
	}
	head := (len(bundles)-1)%CatalogPage + 1
	var out []CatalogBlock
	var prev *cid.Cid
	for end := len(bundles); end > 0; {
		start := end - CatalogPage
		if end == head {
			start = 0
		}
		page := &Catalog{Publisher: publisher, Bundles: bundles[start:end], Prev: prev}
		c, data, err := page.Encode()
		if err != nil {
			return nil, err
		}
		out = append(out, CatalogBlock{CID: c, Data: data, Catalog: page})
		prev, end = &c, start
	}
	return out, nil
}

// CatalogBlock is one page of a catalog chain: its CID, its block and
// what it says.
type CatalogBlock struct {
	CID     cid.Cid
	Data    []byte
	Catalog *Catalog
}

// WalkCatalog follows publisher's catalog chain from the page head names,
// reading each page with get (which must return the block checked or
// not: every page is checked here) and checking it, until a page whose
// CID stop accepts (not read: the caller holds it and all before it) or
// the last page. It returns the pages read, newest first. The chain is
// bounded: at most maxCatalogChain pages, maxCatalogTotal bundles.
func WalkCatalog(publisher string, head cid.Cid, get func(cid.Cid) ([]byte, error), stop func(cid.Cid) bool) ([]CatalogBlock, error) {
	var out []CatalogBlock
	total := 0
	for next := &head; next != nil; {
		c := *next
		if stop != nil && stop(c) {
			break
		}
		if len(out) == maxCatalogChain {
			return nil, fmt.Errorf("%w: a catalog chain of more than %d pages", bundle.ErrTooLarge, maxCatalogChain)
		}
		data, err := get(c)
		if err != nil {
			return nil, fmt.Errorf("catalog page %d: %w", len(out)+1, err)
		}
		cat, err := ParseCatalog(publisher, c, data)
		if err != nil {
			return nil, fmt.Errorf("catalog page %d: %w", len(out)+1, err)
		}
		if total += len(cat.Bundles); total > maxCatalogTotal {
			return nil, fmt.Errorf("%w: a catalog chain of more than %d bundles", bundle.ErrTooLarge, maxCatalogTotal)
		}
		out = append(out, CatalogBlock{CID: c, Data: data, Catalog: cat})
		next = cat.Prev
	}
	return out, nil
}

// ChainBundles lists the bundles of pages (newest page first, as
// WalkCatalog returns them) newest first, each once: a bundle a writer
// listed twice counts where it is newest.
func ChainBundles(pages []CatalogBlock) []cid.Cid {
	var out []cid.Cid
	seen := map[cid.Cid]bool{}
	for _, p := range pages {
		for _, b := range p.Catalog.Bundles {
			if !seen[b] {
				seen[b] = true
				out = append(out, b)
			}
		}
	}
	return out
}
