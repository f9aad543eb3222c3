package node

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/ipfs/boxo/ipns"
	"github.com/ipfs/boxo/path"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime"
	"github.com/ipld/go-ipld-prime/node/bindnode"
	"github.com/ipld/go-ipld-prime/schema"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
)

// Head is a publisher's signed, sequence-numbered, expiring pointer to its
// current catalog. Its core is an IPNS record, so IPFS tools can resolve
// and check it too: signed by the publisher's root key (a root-signed
// head: the record alone, valid for the publisher's IPNS name), or by a
// head key that a publisher document signed by the root key authorizes (a
// delegated head: the record, valid for the head key's own IPNS name,
// travels wrapped with that document, so every node learns the newest
// document, and so every revocation, with the next head). See
// docs/protocol.md §4.
type Head struct {
	Publisher string
	Seq       uint64
	Catalog   cid.Cid
	Expires   time.Time
	// Expired is set when the signature holds but the validity has passed:
	// the content is still the publisher's, but may be stale or blocked.
	Expired bool
	// Authority is the publisher document that authorizes a delegated
	// head's key; nil for a root-signed head.
	Authority *bundle.Authority
	// Signer is the key that signed the record: the root key or a head
	// key.
	Signer ed25519.PublicKey

	record []byte // the IPNS record
	raw    []byte // the head's wire form: the record, or the wrapper
	doc    []byte // the CID of the document the record names, if any
}

// Bytes returns the head's wire form, what every samizdat path carries:
// the IPNS record of a root-signed head, the wrapper of a delegated one.
func (h *Head) Bytes() []byte { return h.raw }

// Record returns the head's IPNS record, valid for the IPNS name of the
// key that signed it (IPNSName).
func (h *Head) Record() []byte { return h.record }

// IPNSName returns the IPNS name the head's record is valid for: the
// publisher's own for a root-signed head, the head key's for a delegated
// one.
func (h *Head) IPNSName() ipns.Name {
	pid, _ := peerID(h.Signer) // parsed from a valid key
	return ipns.NameFromPeer(pid)
}

// docSeq is the sequence number of the head's publisher document; 0 for a
// root-signed head.
func (h *Head) docSeq() uint64 {
	if h.Authority == nil {
		return 0
	}
	return h.Authority.Seq
}

// Delegated heads travel in a DAG-CBOR wrapper (docs/protocol.md §4).
const headSchema = `
type Head struct {
	v Int
	type String
	publisher String
	authority Bytes
	signer Bytes
	record Bytes
}
`

const headType = "samizdat/head"

type wireHead struct {
	V         int64
	Type      string
	Publisher string
	Authority []byte
	Signer    []byte
	Record    []byte
}

var headProto = func() schema.TypedPrototype {
	ts, err := ipld.LoadSchemaBytes([]byte(headSchema))
	if err != nil {
		panic(err) // constant schema
	}
	return bindnode.Prototype((*wireHead)(nil), ts.TypeByName("Head"))
}()

// NewHead signs a head for catalog with the publisher's root key.
func NewHead(key ed25519.PrivateKey, catalog cid.Cid, seq uint64, validity time.Duration) (*Head, error) {
	rec, err := signRecord(key, catalog, seq, time.Now().Add(validity), nil)
	if err != nil {
		return nil, err
	}
	return ParseHead(bundle.PublisherID(key.Public().(ed25519.PublicKey)), rec)
}

// NewDelegatedHead signs a head for catalog with key, a head key that the
// publisher document auth authorizes (or the root key itself, which needs
// no authorization but then carries the document too). validity is cut to
// the end of the key's window.
func NewDelegatedHead(key ed25519.PrivateKey, auth *bundle.Authority, catalog cid.Cid, seq uint64, validity time.Duration) (*Head, error) {
	signer := key.Public().(ed25519.PublicKey)
	eol := time.Now().Add(validity)
	if bundle.PublisherID(signer) != auth.Publisher {
		for _, hk := range auth.HeadKeys {
			if hk.Key.Equal(signer) && hk.Until.Before(eol) {
				eol = hk.Until
			}
		}
		if err := auth.AuthorizeHead(signer, eol); err != nil {
			return nil, err
		}
		if !eol.After(time.Now()) {
			return nil, fmt.Errorf("%w: the head key's window closed at %s", bundle.ErrKeyNotAuthorized, eol.UTC().Format(time.RFC3339))
		}
	}
	rec, err := signRecord(key, catalog, seq, eol, auth)
	if err != nil {
		return nil, err
	}
	return WrapRecord(auth, signer, rec)
}

// WrapRecord makes a delegated head of an IPNS record signed by signer
// and the publisher document auth, and checks it as ParseHead does: how
// a node that holds a document takes a head key's record from a source
// that carries records only (the DHT, an IPFS gateway's /ipns/). The
// record must have been signed under auth (protocol.md §4.2), so a newer
// document is never learned this way.
func WrapRecord(auth *bundle.Authority, signer ed25519.PublicKey, rec []byte) (*Head, error) {
	w := wireHead{V: 1, Type: headType, Publisher: auth.Publisher, Authority: auth.Bytes(), Signer: signer, Record: rec}
	data, err := bundle.EncodeDAGCBOR(bindnode.Wrap(&w, headProto.Type()))
	if err != nil {
		return nil, err
	}
	return ParseHead(auth.Publisher, data)
}

// recordDocKey is the record's signed metadata field naming, by CID, the
// publisher document a delegated head was signed under: the wrapper is
// not signed, so without it any old record of a key could be presented
// with any newer document that still lists the key, and outrank the
// publisher's current head.
const recordDocKey = "_samizdat_doc"

// signRecord signs an IPNS record for catalog; under a publisher document
// (auth, nil for a bare root-signed head) the record names it.
func signRecord(key ed25519.PrivateKey, catalog cid.Cid, seq uint64, eol time.Time, auth *bundle.Authority) ([]byte, error) {
	sk, err := crypto.UnmarshalEd25519PrivateKey(key)
	if err != nil {
		return nil, err
	}
	var opts []ipns.Option
	if auth != nil {
		opts = append(opts, ipns.WithMetadata(map[string]any{recordDocKey: auth.CID().Bytes()}))
	}
	rec, err := ipns.NewRecord(sk, path.FromCid(catalog), seq, eol, headTTL, opts...)
	if err != nil {
		return nil, err
	}
	return ipns.MarshalRecord(rec)
}

// ParseHead checks a head in its wire form for publisher: size first;
// then, for a delegated head (the wrapper, which starts with a CBOR map),
// strict canonical decoding, the publisher document (signed by the
// publisher's root key), the signer's authorization by it (the root key
// itself, or a head key it lists, not revoked, the record's validity
// within the key's window)
// and the record's signature by the signer; for a root-signed head (a
// bare IPNS record), the record's signature by the publisher's key. The
// record must name a catalog CID. An expired head is returned with Expired
// set; everything else that fails is ErrBadHead.
func ParseHead(publisher string, data []byte) (*Head, error) {
	if len(data) > maxHeadSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadHead, len(data))
	}
	root, err := bundle.ParsePublisherID(publisher)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 || data[0]&0xe0 != 0xa0 { // not a CBOR map: a bare record
		h, err := parseRecord(root, data)
		if err != nil {
			return nil, err
		}
		h.Publisher, h.raw = bundle.PublisherID(root), data
		return h, nil
	}
	w, err := bundle.DecodeDAGCBOR[wireHead](headProto, data, "head")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	if w.V != 1 || w.Type != headType || w.Publisher != bundle.PublisherID(root) || len(w.Signer) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: head wrapper fields", ErrBadHead)
	}
	auth, err := bundle.ParseAuthorityFile(w.Authority)
	if err != nil {
		return nil, fmt.Errorf("%w: publisher document: %v", ErrBadHead, err)
	}
	if auth.Publisher != w.Publisher {
		return nil, fmt.Errorf("%w: the publisher document is another publisher's", ErrBadHead)
	}
	h, err := parseRecord(ed25519.PublicKey(w.Signer), w.Record)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(h.doc, auth.CID().Bytes()) {
		return nil, fmt.Errorf("%w: the record was not signed under the document it travels with", ErrBadHead)
	}
	if !h.Signer.Equal(root) {
		if err := auth.AuthorizeHead(h.Signer, h.Expires); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
		}
	}
	h.Publisher, h.Authority, h.raw = w.Publisher, auth, data
	return h, nil
}

// parseRecord checks an IPNS record signed by key, naming a catalog.
func parseRecord(key ed25519.PublicKey, data []byte) (*Head, error) {
	if len(data) > maxRecordSize {
		return nil, fmt.Errorf("%w: record of %d bytes", ErrBadHead, len(data))
	}
	pid, err := peerID(key)
	if err != nil {
		return nil, err
	}
	rec, err := ipns.UnmarshalRecord(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	expired := false
	if err := ipns.ValidateWithName(rec, ipns.NameFromPeer(pid)); errors.Is(err, ipns.ErrExpiredRecord) {
		expired = true
	} else if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	seq, err := rec.Sequence()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	eol, err := rec.Validity()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	val, err := rec.Value()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	ip, err := path.NewImmutablePath(val)
	if err != nil || len(ip.Segments()) != 2 {
		return nil, fmt.Errorf("%w: value is not a catalog CID", ErrBadHead)
	}
	h := &Head{Seq: seq, Catalog: ip.RootCid(), Expires: eol, Expired: expired, Signer: key, record: data}
	if v, err := rec.Metadata(recordDocKey); err == nil {
		if h.doc, err = v.AsBytes(); err != nil {
			return nil, fmt.Errorf("%w: %s is not bytes", ErrBadHead, recordDocKey)
		}
	}
	return h, nil
}

// peerID returns the libp2p peer ID of an Ed25519 key.
func peerID(key ed25519.PublicKey) (peer.ID, error) {
	lpub, err := crypto.UnmarshalEd25519PublicKey(key)
	if err != nil {
		return "", err
	}
	return peer.IDFromPublicKey(lpub)
}
