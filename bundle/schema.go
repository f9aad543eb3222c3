package bundle

import (
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime"
	"github.com/ipld/go-ipld-prime/node/bindnode"
	"github.com/ipld/go-ipld-prime/schema"
)

// The IPLD schema of every dag-cbor object in a bundle. docs/bundle-format.md
// is the normative description; this text is its machine form.
const schemaText = `
type Envelope struct {
	payload BundlePayload
	sig Bytes
}

type BundlePayload struct {
	v Int
	type String
	publisher String
	seq Int
	created Int
	signer Bytes
	authority optional Link
	manifest Link
	articles Int
	bytes Int
}

type Authority struct {
	payload AuthorityPayload
	sig Bytes
}

type AuthorityPayload struct {
	v Int
	type String
	publisher String
	seq Int
	created Int
	name String
	keys [Bytes]
	revoked [Revocation]
	heads optional [HeadKey]
	mirrors optional [String]
}

type Revocation struct {
	key Bytes
	after Int
}

type HeadKey struct {
	key Bytes
	until Int
}

type Manifest struct {
	v Int
	dict optional Link
	pages [Link]
}

type Page struct {
	blocks [Link]
	entries Bytes
}

type Entries [Entry]

type Entry struct {
	id String
	title String
	lang String
	published Int
	updated Int
	url String
	authors [String]
	summary String
	contentType String
	size Int
	cid Bytes
	body [Span]
	attachments [AttachmentEntry]
} representation tuple

type AttachmentEntry struct {
	name String
	contentType String
	size Int
	cid Bytes
	body [Span]
} representation tuple

type Span struct {
	block Int
	enc Int
	raw Int
	off Int
	len Int
} representation tuple
`

// Format constants.
const (
	// FormatVersion is the bundle format this package writes and reads.
	FormatVersion = 1

	typeBundle    = "samizdat/bundle"
	typeAuthority = "samizdat/publisher"

	// Signatures are made over a context string and the dag-cbor encoding
	// of the payload, so that no signed object can be taken for another.
	sigContextBundle    = "samizdat bundle v1\x00"
	sigContextAuthority = "samizdat publisher v1\x00"
)

// Span encodings.
const (
	encNone = 0 // block bytes are the content
	encZstd = 1 // block is one zstd frame, using the manifest's dictionary if any
)

type envelope struct {
	Payload bundlePayload
	Sig     []byte
}

type bundlePayload struct {
	V         int64
	Type      string
	Publisher string
	Seq       int64
	Created   int64
	Signer    []byte
	Authority *cid.Cid
	Manifest  cid.Cid
	Articles  int64
	Bytes     int64
}

type authority struct {
	Payload authorityPayload
	Sig     []byte
}

type authorityPayload struct {
	V         int64
	Type      string
	Publisher string
	Seq       int64
	Created   int64
	Name      string
	Keys      [][]byte
	Revoked   []revocation
	Heads     *[]headKey // absent in documents without head keys
	Mirrors   *[]string  // absent in documents that list no mirrors
}

type revocation struct {
	Key   []byte
	After int64
}

type headKey struct {
	Key   []byte
	Until int64
}

type manifest struct {
	V     int64
	Dict  *cid.Cid
	Pages []cid.Cid
}

// page is a manifest page on the wire: the content blocks its entries
// use, as links so that any IPLD tool sees the whole DAG, and the entries
// themselves, zstd-compressed (metadata is text and compresses 3-4x; it is
// the first thing every reader downloads). Spans name blocks by index.
type page struct {
	Blocks  []cid.Cid
	Entries []byte
}

// The entries of a page are encoded with fxamacker/cbor rather than
// bindnode, and read by the canonical-only parsers of page.go (fxamacker
// is the reference decoder their tests compare with): they are the bulk
// of a manifest, and being a byte string inside the page, not part of the
// IPLD DAG, they need no IPLD node. The bytes are the same dag-cbor the
// schema describes: arrays ("tuple"), strings, integers and byte strings
// only.
type wireEntry struct {
	_           struct{} `cbor:",toarray"`
	Id          string
	Title       string
	Lang        string
	Published   int64
	Updated     int64
	Url         string
	Authors     []string
	Summary     string
	ContentType string
	Size        int64
	Cid         []byte
	Body        []wireSpan
	Attachments []wireAttachment
}

type wireAttachment struct {
	_           struct{} `cbor:",toarray"`
	Name        string
	ContentType string
	Size        int64
	Cid         []byte
	Body        []wireSpan
}

type wireSpan struct {
	_     struct{} `cbor:",toarray"`
	Block int64
	Enc   int64
	Raw   int64
	Off   int64
	Len   int64
}

// entry is a manifest entry as the packer and reader use it, with spans
// resolved to CIDs.
type entry struct {
	Id          string
	Title       string
	Lang        string
	Published   int64
	Updated     int64
	Url         string
	Authors     []string
	Summary     string
	ContentType string
	Size        int64
	Cid         cid.Cid
	Body        []span
	Attachments []attachmentEntry
}

type attachmentEntry struct {
	Name        string
	ContentType string
	Size        int64
	Cid         cid.Cid
	Body        []span
}

type span struct {
	Block cid.Cid
	Enc   int64
	Raw   int64
	Off   int64
	Len   int64
}

var (
	typeSystem = mustSchema()

	schemaEnvelope       = typeSystem.TypeByName("Envelope")
	schemaBundlePayload  = typeSystem.TypeByName("BundlePayload")
	schemaAuthority      = typeSystem.TypeByName("Authority")
	schemaAuthorityPayld = typeSystem.TypeByName("AuthorityPayload")
	schemaManifest       = typeSystem.TypeByName("Manifest")
	schemaPage           = typeSystem.TypeByName("Page")

	// Prototypes are built once: building one checks the Go type against
	// the schema by reflection.
	protoEnvelope      = bindnode.Prototype((*envelope)(nil), schemaEnvelope)
	protoBundlePayload = bindnode.Prototype((*bundlePayload)(nil), schemaBundlePayload)
	protoAuthority     = bindnode.Prototype((*authority)(nil), schemaAuthority)
	protoAuthPayload   = bindnode.Prototype((*authorityPayload)(nil), schemaAuthorityPayld)
	protoManifest      = bindnode.Prototype((*manifest)(nil), schemaManifest)
	protoPage          = bindnode.Prototype((*page)(nil), schemaPage)
)

func mustSchema() *schema.TypeSystem {
	ts, err := ipld.LoadSchemaBytes([]byte(schemaText))
	if err != nil {
		panic(err) // the schema is a constant; a test loads it
	}
	return ts
}
