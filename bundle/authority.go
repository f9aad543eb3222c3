package bundle

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// Authority is a verified publisher document: the root key's signed list of
// the keys allowed to sign bundles for the publisher, of the keys allowed
// to sign its heads (each until a time), and of revoked keys. It lets a
// newsroom keep the root key offline: daily bundles and head renewals are
// signed with keys it can replace. Documents are sequence-numbered; a
// newer one replaces an older one entirely.
type Authority struct {
	Publisher string
	Seq       uint64
	Created   time.Time
	Name      string
	Keys      []ed25519.PublicKey
	Revoked   []Revocation
	HeadKeys  []HeadKey
	// Mirrors are where else readers may fetch the publisher: libp2p
	// multiaddrs and HTTPS base URLs, as node.ParseMirror reads them.
	// They are hints, not trust: whatever a mirror serves is verified.
	Mirrors []string

	cid cid.Cid
	raw []byte
}

// HeadKey allows a key to sign the publisher's heads, each valid no later
// than Until: a head key that leaks is worth nothing once its window
// closes, and the root need not be online to end it.
type HeadKey struct {
	Key   ed25519.PublicKey
	Until time.Time
}

// Revocation withdraws a signing key. Bundles the key signed with a sequence
// number up to After stay valid (a key retired in an orderly rotation);
// After = 0 rejects every bundle it ever signed (a compromised key).
type Revocation struct {
	Key   ed25519.PublicKey
	After uint64
}

// AuthorityParams describes a publisher document to sign.
type AuthorityParams struct {
	Seq     uint64 // must be higher than any earlier document's
	Created time.Time
	Name    string
	Keys    []ed25519.PublicKey
	Revoked []Revocation
	// HeadKeys may sign heads; none leaves the document in the form it
	// had before head keys existed.
	HeadKeys []HeadKey
	// Mirrors to list (checkMirrors' rules); none leaves the document in
	// the form it had before mirror lists existed.
	Mirrors []string
}

// NewAuthority signs a publisher document with the publisher's root key.
func NewAuthority(root ed25519.PrivateKey, p AuthorityParams) (*Authority, error) {
	if p.Seq == 0 || p.Seq > math.MaxInt64 {
		return nil, fmt.Errorf("authority sequence %d out of range", p.Seq)
	}
	if len(p.Keys) > MaxAuthorityKeys || len(p.Revoked) > MaxAuthorityKeys || len(p.HeadKeys) > MaxAuthorityKeys {
		return nil, fmt.Errorf("%w: more than %d keys", ErrTooLarge, MaxAuthorityKeys)
	}
	if p.Created.IsZero() {
		p.Created = time.Now()
	}
	if len(p.Name) > MaxNameLen || !utf8.ValidString(p.Name) {
		return nil, fmt.Errorf("%w: publisher name longer than %d bytes", ErrTooLarge, MaxNameLen)
	}
	pl := authorityPayload{
		V:         FormatVersion,
		Type:      typeAuthority,
		Publisher: PublisherID(root.Public().(ed25519.PublicKey)),
		Seq:       int64(p.Seq),
		Created:   p.Created.Unix(),
		Name:      p.Name,
		Keys:      [][]byte{},
		Revoked:   []revocation{},
	}
	for _, k := range p.Keys {
		pl.Keys = append(pl.Keys, []byte(k))
	}
	for _, r := range p.Revoked {
		if r.After > math.MaxInt64 {
			return nil, fmt.Errorf("revocation sequence %d out of range", r.After)
		}
		pl.Revoked = append(pl.Revoked, revocation{Key: []byte(r.Key), After: int64(r.After)})
	}
	if len(p.HeadKeys) > 0 {
		heads := []headKey{}
		for _, hk := range p.HeadKeys {
			if hk.Until.Unix() <= 0 {
				return nil, fmt.Errorf("head key valid until %v: out of range", hk.Until)
			}
			heads = append(heads, headKey{Key: []byte(hk.Key), Until: hk.Until.Unix()})
		}
		pl.Heads = &heads
	}
	if len(p.Mirrors) > 0 {
		if err := checkMirrors(p.Mirrors); err != nil {
			return nil, err
		}
		mirrors := slices.Clone(p.Mirrors)
		pl.Mirrors = &mirrors
	}
	msg, err := encodeNode(&pl, protoAuthPayload)
	if err != nil {
		return nil, err
	}
	doc := authority{Payload: pl, Sig: ed25519.Sign(root, append([]byte(sigContextAuthority), msg...))}
	c, data, err := makeBlock(&doc, protoAuthority)
	if err != nil {
		return nil, err
	}
	return ParseAuthority(c, data)
}

// ParseAuthority verifies a publisher document block: its CID, size,
// encoding, type, version and the root key's signature.
func ParseAuthority(c cid.Cid, data []byte) (*Authority, error) {
	if len(data) > MaxAuthoritySize {
		return nil, fmt.Errorf("%w: publisher document of %d bytes", ErrTooLarge, len(data))
	}
	if err := checkBlockOf(c, data, cid.DagCBOR); err != nil {
		return nil, err
	}
	if err := checkVersion(data); err != nil {
		return nil, err
	}
	doc, err := DecodeDAGCBOR[authority](protoAuthority, data, "publisher document")
	if err != nil {
		return nil, err
	}
	pl := &doc.Payload
	if pl.Type != typeAuthority {
		return nil, fmt.Errorf("%w: %.40q where a publisher document belongs", ErrWrongType, pl.Type)
	}
	root, err := ParsePublisherID(pl.Publisher)
	if err != nil {
		return nil, fmt.Errorf("%w: publisher document names no valid publisher", ErrMalformed)
	}
	if pl.Seq <= 0 || len(pl.Keys) > MaxAuthorityKeys || len(pl.Revoked) > MaxAuthorityKeys ||
		pl.Heads != nil && (len(*pl.Heads) == 0 || len(*pl.Heads) > MaxAuthorityKeys) ||
		len(pl.Name) > MaxNameLen || !utf8.ValidString(pl.Name) || pl.Publisher != PublisherID(root) {
		return nil, fmt.Errorf("%w: publisher document fields out of range", ErrMalformed)
	}
	if pl.Mirrors != nil {
		if err := checkMirrors(*pl.Mirrors); err != nil || len(*pl.Mirrors) == 0 {
			return nil, fmt.Errorf("%w: publisher document's mirrors", ErrMalformed)
		}
	}
	msg, err := encodeNode(pl, protoAuthPayload)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !ed25519.Verify(root, append([]byte(sigContextAuthority), msg...), doc.Sig) {
		return nil, fmt.Errorf("%w: publisher document", ErrBadSignature)
	}
	a := &Authority{
		Publisher: pl.Publisher,
		Seq:       uint64(pl.Seq),
		Created:   time.Unix(pl.Created, 0).UTC(),
		Name:      pl.Name,
		cid:       c,
		raw:       data,
	}
	for _, k := range pl.Keys {
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: key of %d bytes in publisher document", ErrMalformed, len(k))
		}
		a.Keys = append(a.Keys, ed25519.PublicKey(k))
	}
	for _, r := range pl.Revoked {
		if len(r.Key) != ed25519.PublicKeySize || r.After < 0 {
			return nil, fmt.Errorf("%w: revocation in publisher document", ErrMalformed)
		}
		a.Revoked = append(a.Revoked, Revocation{Key: ed25519.PublicKey(r.Key), After: uint64(r.After)})
	}
	if pl.Heads != nil {
		for _, hk := range *pl.Heads {
			if len(hk.Key) != ed25519.PublicKeySize || hk.Until <= 0 {
				return nil, fmt.Errorf("%w: head key in publisher document", ErrMalformed)
			}
			a.HeadKeys = append(a.HeadKeys, HeadKey{Key: ed25519.PublicKey(hk.Key), Until: time.Unix(hk.Until, 0).UTC()})
		}
	}
	if pl.Mirrors != nil {
		a.Mirrors = slices.Clone(*pl.Mirrors)
	}
	return a, nil
}

// checkMirrors applies the format's rule to a document's mirror list
// (bundle-format.md §7, *Mirrors*): at most MaxMirrors entries, each 1
// to MaxMirrorLen bytes of printable ASCII without spaces, no two alike.
// What an entry names is node.ParseMirror's to read; a reader skips the
// kinds it does not know, so that later kinds need no format change.
func checkMirrors(mirrors []string) error {
	if len(mirrors) > MaxMirrors {
		return fmt.Errorf("%w: more than %d mirrors", ErrTooLarge, MaxMirrors)
	}
	seen := make(map[string]bool, len(mirrors))
	for _, m := range mirrors {
		if len(m) == 0 || len(m) > MaxMirrorLen {
			return fmt.Errorf("%w: a mirror of %d bytes (1 to %d)", ErrMalformed, len(m), MaxMirrorLen)
		}
		for i := 0; i < len(m); i++ {
			if m[i] <= ' ' || m[i] > '~' {
				return fmt.Errorf("%w: a mirror with a byte %#x: printable ASCII only", ErrMalformed, m[i])
			}
		}
		if seen[m] {
			return fmt.Errorf("%w: mirror %.64q listed twice", ErrMalformed, m)
		}
		seen[m] = true
	}
	return nil
}

// ParseAuthorityFile verifies a publisher document as written by Bytes.
func ParseAuthorityFile(data []byte) (*Authority, error) {
	if len(data) > MaxAuthoritySize {
		return nil, fmt.Errorf("%w: publisher document of %d bytes", ErrTooLarge, len(data))
	}
	c, err := PrefixDAGCBOR.Sum(data)
	if err != nil {
		return nil, err
	}
	return ParseAuthority(c, data)
}

// CID returns the document's block CID.
func (a *Authority) CID() cid.Cid { return a.cid }

// Bytes returns the document's block bytes; this is also its file form.
func (a *Authority) Bytes() []byte { return a.raw }

// authorize reports whether a bundle with sequence seq signed by key is
// valid under this document.
func (a *Authority) authorize(key ed25519.PublicKey, seq uint64) error {
	for _, r := range a.Revoked {
		if r.Key.Equal(key) && (r.After == 0 || seq > r.After) {
			return fmt.Errorf("%w: key %s, publisher document %d", ErrKeyRevoked, PublisherID(key), a.Seq)
		}
	}
	for _, k := range a.Keys {
		if k.Equal(key) {
			return nil
		}
	}
	for _, r := range a.Revoked {
		if r.Key.Equal(key) {
			return nil // retired key, bundle from before its retirement
		}
	}
	return fmt.Errorf("%w: key %s, publisher document %d", ErrKeyNotAuthorized, PublisherID(key), a.Seq)
}

// AuthorizeBundle reports whether a bundle of the document's publisher
// with sequence seq, signed by signer (in publisher ID form, as Info has
// it), is valid under this document, by §7 of docs/bundle-format.md: the
// root key always is. A node checks the bundles it holds with it when a
// newer document arrives.
func (a *Authority) AuthorizeBundle(signer string, seq uint64) error {
	if signer == a.Publisher {
		return nil
	}
	key, err := ParsePublisherID(signer)
	if err != nil {
		return err
	}
	return a.authorize(key, seq)
}

// AuthorizeHead reports whether key may sign a head of the publisher that
// is valid until expires, under this document: the document lists key as
// a head key, valid until at least expires, and revokes it in no way (a
// revocation of a key, whatever its cut-off, ends its right to sign
// heads). The root key needs no document, and is not checked here.
func (a *Authority) AuthorizeHead(key ed25519.PublicKey, expires time.Time) error {
	for _, r := range a.Revoked {
		if r.Key.Equal(key) {
			return fmt.Errorf("%w: head key %s, publisher document %d", ErrKeyRevoked, PublisherID(key), a.Seq)
		}
	}
	for _, hk := range a.HeadKeys {
		if hk.Key.Equal(key) {
			if expires.After(hk.Until) {
				return fmt.Errorf("%w: head valid until %s, past its key's window (%s)", ErrKeyNotAuthorized,
					expires.UTC().Format(time.RFC3339), hk.Until.Format(time.RFC3339))
			}
			return nil
		}
	}
	return fmt.Errorf("%w: head key %s, publisher document %d", ErrKeyNotAuthorized, PublisherID(key), a.Seq)
}

// Newer returns whichever of a and b has the higher sequence number. Two
// different documents with the same sequence number are evidence of root key
// misuse; Newer keeps a, the one already trusted.
func Newer(a, b *Authority) *Authority {
	switch {
	case a == nil:
		return b
	case b == nil || b.Seq <= a.Seq:
		return a
	}
	return b
}

// checkVersion reads the payload's "v" field with a schema-free decode
// before the object is decoded against this version's schema, so that a
// future version's object is reported as such rather than as malformed.
// Anything it cannot read is left to the strict decoder.
func checkVersion(data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: decoder panic: %v", ErrMalformed, r)
		}
	}()
	nb := basicnode.Prototype.Any.NewBuilder()
	if decodeOptions(len(data)).Decode(nb, bytes.NewReader(data)) != nil {
		return nil
	}
	pl, err := nb.Build().LookupByString("payload")
	if err != nil {
		return nil
	}
	vn, err := pl.LookupByString("v")
	if err != nil {
		return nil
	}
	v, err := vn.AsInt()
	if err != nil {
		return nil
	}
	if v != FormatVersion {
		return fmt.Errorf("%w: version %d", ErrUnsupportedVersion, v)
	}
	return nil
}
