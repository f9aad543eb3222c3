package bundle

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/node/bindnode"
	"github.com/ipld/go-ipld-prime/schema"
	mh "github.com/multiformats/go-multihash"
)

// Every samizdat object is a block named by a CIDv1 with a sha2-256
// multihash: dag-cbor for structured objects (the envelope, publisher
// documents, manifests and pages of a bundle; node's catalogs; mirror's
// export blocks), raw for content blocks and dictionaries. Structured
// objects have exactly one encoding, so that one object has one CID:
// EncodeDAGCBOR writes it and DecodeDAGCBOR accepts nothing else.
var (
	// PrefixDAGCBOR is the CID prefix of structured objects.
	PrefixDAGCBOR = cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.SHA2_256, MhLength: -1}
	// PrefixRaw is the CID prefix of content blocks and dictionaries.
	PrefixRaw = cid.Prefix{Version: 1, Codec: cid.Raw, MhType: mh.SHA2_256, MhLength: -1}
)

// CheckBlock checks that data is the block c names: c must be a CIDv1
// with a full sha2-256 digest (ErrWrongType otherwise; ErrMalformed if it
// is undefined), and data must hash to it (ErrHashMismatch). Whoever sent
// the block, a peer, a file or a gateway, this is the check.
func CheckBlock(c cid.Cid, data []byte) error {
	if d, ok := sha256Digest(c); ok {
		// Every samizdat CID has this form: hash without building a
		// second CID to compare, so checking a block allocates nothing.
		if sum := sha256.Sum256(data); string(sum[:]) != d {
			return fmt.Errorf("%w: %s", ErrHashMismatch, c)
		}
		return nil
	}
	if !c.Defined() {
		return fmt.Errorf("%w: undefined cid", ErrMalformed)
	}
	p := c.Prefix()
	if p.Version != 1 || p.MhType != mh.SHA2_256 || p.MhLength != 32 {
		return fmt.Errorf("%w: block %s is not a CIDv1 sha2-256 block", ErrWrongType, c)
	}
	sum, err := p.Sum(data)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !sum.Equals(c) {
		return fmt.Errorf("%w: %s", ErrHashMismatch, c)
	}
	return nil
}

// sha256Digest returns the digest of c if c is a CIDv1 with a one-byte
// codec (raw and dag-cbor are) and a full sha2-256 multihash: its binary
// form is then the bytes 0x01, the codec, 0x12 (sha2-256), 0x20 (32
// bytes), and the digest. Any other CID returns false, and goes the
// general way.
func sha256Digest(c cid.Cid) (digest string, ok bool) {
	k := c.KeyString()
	if len(k) != 4+sha256.Size || k[0] != 1 || k[1] >= 0x80 || k[2] != mh.SHA2_256 || k[3] != sha256.Size {
		return "", false
	}
	return k[4:], true
}

// checkBlockOf is CheckBlock for a block that must have the given codec.
func checkBlockOf(c cid.Cid, data []byte, codec uint64) error {
	if k := c.KeyString(); len(k) > 1 && k[0] == 1 && k[1] < 0x80 && uint64(k[1]) == codec {
		return CheckBlock(c, data) // the codec, a one-byte varint, matches
	}
	if c.Defined() && c.Prefix().Codec != codec {
		return fmt.Errorf("%w: block %s has codec 0x%x, want 0x%x", ErrWrongType, c, c.Prefix().Codec, codec)
	}
	return CheckBlock(c, data)
}

// encodeOptions write canonical DAG-CBOR: links as tag 42 and map keys in
// RFC 7049 order (shorter keys first), DAG-CBOR's canonical order; the
// encoder writes integers and lengths in their shortest form.
var encodeOptions = dagcbor.EncodeOptions{AllowLinks: true, MapSortMode: codec.MapSortMode_RFC7049}

// decodeOptions are strict: no non-shortest integers, indefinite lengths,
// NaN or trailing bytes; the allocation budget is in limits.go.
func decodeOptions(size int) dagcbor.DecodeOptions {
	return dagcbor.DecodeOptions{AllowLinks: true, AllocationBudget: int64(size)*dagCBORBudgetPerByte + dagCBORBudgetBase}
}

// EncodeDAGCBOR encodes n, through its representation, as canonical
// DAG-CBOR: the one encoding DecodeDAGCBOR accepts. n is typically a
// bindnode.Wrap of a Go value and its schema type.
func EncodeDAGCBOR(n schema.TypedNode) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeOptions.Encode(n.Representation(), &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeDAGCBOR decodes data, a block from outside whose size the caller
// has bounded, into a new value of type T, the Go type proto binds (proto
// is bindnode.Prototype((*T)(nil), schemaType); any other T panics). It
// decodes strictly, within an allocation budget of a small multiple of
// len(data), and accepts only the canonical encoding: data must be what
// EncodeDAGCBOR writes for the decoded value. Every error wraps
// ErrMalformed and names what, the kind of object ("manifest"), for its
// message. A decoder panic is reported as such an error, not raised.
func DecodeDAGCBOR[T any](proto schema.TypedPrototype, data []byte, what string) (*T, error) {
	n, err := decodeDAGCBOR(proto, data, what)
	if err != nil {
		return nil, err
	}
	return bindnode.Unwrap(n).(*T), nil
}

func decodeDAGCBOR(proto schema.TypedPrototype, data []byte, what string) (n schema.TypedNode, err error) {
	defer func() {
		// The decoder is fuzzed upstream and here; this guards a reader
		// against a decoder bug turning hostile bytes into a crash.
		if r := recover(); r != nil {
			n, err = nil, fmt.Errorf("%w: %s: decoder panic: %v", ErrMalformed, what, r)
		}
	}()
	nb := proto.Representation().NewBuilder()
	if err := decodeOptions(len(data)).Decode(nb, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
	}
	n, ok := nb.Build().(schema.TypedNode)
	if !ok {
		return nil, fmt.Errorf("%w: %s: not a typed node", ErrMalformed, what)
	}
	// The decoder accepts some encodings the encoder never writes (map
	// keys out of order, for one); one object must have one CID.
	if again, err := EncodeDAGCBOR(n); err != nil || !bytes.Equal(again, data) {
		return nil, fmt.Errorf("%w: %s is not canonical dag-cbor", ErrMalformed, what)
	}
	return n, nil
}

// encodeNode encodes a Go value bound to proto.
func encodeNode(v any, proto schema.TypedPrototype) ([]byte, error) {
	return EncodeDAGCBOR(bindnode.Wrap(v, proto.Type()))
}

// makeBlock encodes v and returns its CID and bytes.
func makeBlock(v any, proto schema.TypedPrototype) (cid.Cid, []byte, error) {
	data, err := encodeNode(v, proto)
	if err != nil {
		return cid.Undef, nil, err
	}
	c, err := PrefixDAGCBOR.Sum(data)
	return c, data, err
}
