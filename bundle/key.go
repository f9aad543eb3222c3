package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
)

// A publisher ID is the libp2p peer ID of the publisher's Ed25519 root key:
// the base58btc identity multihash of the key's libp2p protobuf encoding
// ("12D3KooW..."). The same key names the publisher's IPNS record, so the ID
// a reader copies from a QR code is the name the network resolves. It embeds
// the public key, so verifying needs nothing but the ID.

// libp2pEd25519Prefix is the protobuf encoding of a libp2p PublicKey message
// header for an Ed25519 key: field 1 (Type) = 1, field 2 (Data) of length 32.
var libp2pEd25519Prefix = []byte{0x08, 0x01, 0x12, 0x20}

// PublisherID returns the publisher ID of an Ed25519 public key.
func PublisherID(pub ed25519.PublicKey) string {
	return keyMultihash(pub).B58String()
}

func keyMultihash(pub ed25519.PublicKey) mh.Multihash {
	buf := make([]byte, 0, 2+len(libp2pEd25519Prefix)+ed25519.PublicKeySize)
	buf = append(buf, mh.IDENTITY, byte(len(libp2pEd25519Prefix)+ed25519.PublicKeySize))
	buf = append(buf, libp2pEd25519Prefix...)
	buf = append(buf, pub...)
	return mh.Multihash(buf)
}

// ParsePublisherID returns the Ed25519 public key named by id, which may be
// a peer ID ("12D3KooW...") or the CIDv1 form of an IPNS name ("k51...").
func ParsePublisherID(id string) (ed25519.PublicKey, error) {
	var m mh.Multihash
	if c, err := cid.Decode(id); err == nil && c.Version() == 1 {
		if c.Type() != cid.Libp2pKey {
			return nil, fmt.Errorf("%w: publisher id %.80q is not a key", ErrBadKey, id)
		}
		m = c.Hash()
	} else {
		m, err = mh.FromB58String(id)
		if err != nil {
			return nil, fmt.Errorf("%w: publisher id %.80q does not decode", ErrBadKey, id)
		}
	}
	dm, err := mh.Decode(m)
	if err != nil || dm.Code != mh.IDENTITY || len(dm.Digest) != len(libp2pEd25519Prefix)+ed25519.PublicKeySize ||
		!bytes.HasPrefix(dm.Digest, libp2pEd25519Prefix) {
		return nil, fmt.Errorf("%w: publisher id %.80q is not an Ed25519 key", ErrBadKey, id)
	}
	return ed25519.PublicKey(bytes.Clone(dm.Digest[len(libp2pEd25519Prefix):])), nil
}

// NormalizePublisherID returns the canonical (peer ID) form of id.
func NormalizePublisherID(id string) (string, error) {
	pub, err := ParsePublisherID(id)
	if err != nil {
		return "", err
	}
	return PublisherID(pub), nil
}

// GenerateKey returns a new Ed25519 key.
func GenerateKey() (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return priv, err
}

const (
	pemPrivate = "PRIVATE KEY"
	pemPublic  = "PUBLIC KEY"
)

// MarshalPrivateKey encodes a key as PKCS #8 PEM, a form OpenSSL reads too.
func MarshalPrivateKey(priv ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: der}), nil
}

// ParsePrivateKey decodes a PKCS #8 PEM Ed25519 key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != pemPrivate {
		return nil, fmt.Errorf("%w: not a PEM private key", ErrBadKey)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: not an Ed25519 key", ErrBadKey)
	}
	return priv, nil
}

// MarshalPublicKey encodes a public key as PKIX PEM.
func MarshalPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: der}), nil
}

// ParsePublicKey returns the public key of a PEM file holding either a
// private or a public Ed25519 key, or of a key ID as printed by keygen.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(data)
	if blk == nil {
		return ParsePublisherID(string(bytes.TrimSpace(data)))
	}
	switch blk.Type {
	case pemPrivate:
		priv, err := ParsePrivateKey(data)
		if err != nil {
			return nil, err
		}
		return priv.Public().(ed25519.PublicKey), nil
	case pemPublic:
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: not an Ed25519 key", ErrBadKey)
		}
		return pub, nil
	}
	return nil, fmt.Errorf("%w: unexpected PEM block %q", ErrBadKey, blk.Type)
}
