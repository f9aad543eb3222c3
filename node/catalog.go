package node

import (
	"bytes"
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime"
	"github.com/ipld/go-ipld-prime/codec"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/node/bindnode"
	"github.com/ipld/go-ipld-prime/schema"
	mh "github.com/multiformats/go-multihash"
	"github.com/samizdat/samizdat/bundle"
)

// Catalog lists a publisher's current bundles, newest first. It is not
// signed itself: the head record, signed by the publisher, names it by CID.
type Catalog struct {
	Publisher string
	Bundles   []cid.Cid
}

const catalogSchema = `
type Catalog struct {
	v Int
	type String
	publisher String
	bundles [Link]
}
`

const catalogType = "samizdat/catalog"

type wireCatalog struct {
	V         int64
	Type      string
	Publisher string
	Bundles   []cid.Cid
}

var catalogProto = func() schema.TypedPrototype {
	ts, err := ipld.LoadSchemaBytes([]byte(catalogSchema))
	if err != nil {
		panic(err) // constant schema
	}
	return bindnode.Prototype((*wireCatalog)(nil), ts.TypeByName("Catalog"))
}()

var catalogPrefix = cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.SHA2_256, MhLength: -1}

// Encode returns the catalog's block CID and bytes.
func (c *Catalog) Encode() (cid.Cid, []byte, error) {
	if len(c.Bundles) > maxCatalogBundles {
		return cid.Undef, nil, fmt.Errorf("catalog of %d bundles, limit %d", len(c.Bundles), maxCatalogBundles)
	}
	w := wireCatalog{V: 1, Type: catalogType, Publisher: c.Publisher, Bundles: append([]cid.Cid{}, c.Bundles...)}
	var buf bytes.Buffer
	n := bindnode.Wrap(&w, catalogProto.Type())
	if err := (dagcbor.EncodeOptions{AllowLinks: true, MapSortMode: codec.MapSortMode_RFC7049}).Encode(n.Representation(), &buf); err != nil {
		return cid.Undef, nil, err
	}
	id, err := catalogPrefix.Sum(buf.Bytes())
	return id, buf.Bytes(), err
}

// ParseCatalog checks a catalog block named by a verified head: size,
// hash, type and publisher, before and after decoding.
func ParseCatalog(publisher string, c cid.Cid, data []byte) (cat *Catalog, err error) {
	if len(data) > maxCatalogSize {
		return nil, fmt.Errorf("%w: catalog of %d bytes", bundle.ErrTooLarge, len(data))
	}
	if p := c.Prefix(); p.Codec != cid.DagCBOR || p.MhType != mh.SHA2_256 {
		return nil, fmt.Errorf("%w: catalog cid %s", bundle.ErrWrongType, c)
	}
	if sum, err := c.Prefix().Sum(data); err != nil || !sum.Equals(c) {
		return nil, fmt.Errorf("%w: catalog", bundle.ErrHashMismatch)
	}
	defer func() {
		if r := recover(); r != nil {
			cat, err = nil, fmt.Errorf("%w: catalog decoder panic", bundle.ErrMalformed)
		}
	}()
	nb := catalogProto.Representation().NewBuilder()
	opts := dagcbor.DecodeOptions{AllowLinks: true, AllocationBudget: int64(len(data))*16 + 4096}
	if err := opts.Decode(nb, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("%w: catalog: %v", bundle.ErrMalformed, err)
	}
	w := bindnode.Unwrap(nb.Build()).(*wireCatalog)
	if w.V != 1 {
		return nil, fmt.Errorf("%w: catalog version %d", bundle.ErrUnsupportedVersion, w.V)
	}
	if w.Type != catalogType {
		return nil, fmt.Errorf("%w: %.40q where a catalog belongs", bundle.ErrWrongType, w.Type)
	}
	if len(w.Bundles) > maxCatalogBundles {
		return nil, fmt.Errorf("%w: catalog of %d bundles", bundle.ErrTooLarge, len(w.Bundles))
	}
	// One encoding only, as for every signed-over object of a bundle.
	if _, again, err := (&Catalog{Publisher: w.Publisher, Bundles: w.Bundles}).Encode(); err != nil || !bytes.Equal(again, data) {
		return nil, fmt.Errorf("%w: catalog is not canonical dag-cbor", bundle.ErrMalformed)
	}
	if w.Publisher != publisher {
		return nil, fmt.Errorf("%w: catalog of another publisher", bundle.ErrWrongPublisher)
	}
	return &Catalog{Publisher: w.Publisher, Bundles: w.Bundles}, nil
}
