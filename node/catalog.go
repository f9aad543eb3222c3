package node

import (
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime"
	"github.com/ipld/go-ipld-prime/node/bindnode"
	"github.com/ipld/go-ipld-prime/schema"
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

// Encode returns the catalog's block CID and bytes.
func (c *Catalog) Encode() (cid.Cid, []byte, error) {
	if len(c.Bundles) > maxCatalogBundles {
		return cid.Undef, nil, fmt.Errorf("%w: catalog of %d bundles, limit %d", bundle.ErrTooLarge, len(c.Bundles), maxCatalogBundles)
	}
	w := wireCatalog{V: 1, Type: catalogType, Publisher: c.Publisher, Bundles: append([]cid.Cid{}, c.Bundles...)}
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
	return &Catalog{Publisher: w.Publisher, Bundles: w.Bundles}, nil
}
