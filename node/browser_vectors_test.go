package node

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	ipns_pb "github.com/ipfs/boxo/ipns/pb"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/crypto"
	mh "github.com/multiformats/go-multihash"
	"github.com/samizdat/samizdat/bundle"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

var updateBrowser = flag.Bool("update-browser", false, "rewrite the browser reader's trust vectors in testdata/browser")

// browserDir holds the vectors web/reader/test/trust.test.cjs checks the
// browser verifier against: heads, the head rule, publisher documents and
// catalogs, each with the verdict of the Go code.
var browserDir = filepath.Join("testdata", "browser")

// Fixed times, so that expiry verdicts stay what they are until 2100.
var (
	vPast    = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	vPast2   = time.Date(2000, 12, 31, 0, 0, 0, 0, time.UTC)
	vFuture  = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	vLater   = vFuture.Add(24 * time.Hour)
	vUntil   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	vCreated = time.Unix(1800000000, 0)
)

// kindOf names the sentinel err matches, as the browser's VerifyError.kind
// does: exactly one, or the vector is ambiguous ("" for nil).
func kindOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return "ok"
	}
	sentinels := []struct {
		name string
		err  error
	}{
		{"ErrTruncated", bundle.ErrTruncated}, {"ErrMalformed", bundle.ErrMalformed}, {"ErrHashMismatch", bundle.ErrHashMismatch},
		{"ErrMissingBlock", bundle.ErrMissingBlock}, {"ErrWrongType", bundle.ErrWrongType},
		{"ErrUnsupportedVersion", bundle.ErrUnsupportedVersion}, {"ErrBadSignature", bundle.ErrBadSignature},
		{"ErrWrongPublisher", bundle.ErrWrongPublisher}, {"ErrKeyNotAuthorized", bundle.ErrKeyNotAuthorized},
		{"ErrKeyRevoked", bundle.ErrKeyRevoked}, {"ErrSizeMismatch", bundle.ErrSizeMismatch}, {"ErrTooLarge", bundle.ErrTooLarge},
		{"ErrDuplicateID", bundle.ErrDuplicateID}, {"ErrUnsafePath", bundle.ErrUnsafePath}, {"ErrBadKey", bundle.ErrBadKey},
		{"ErrNotFound", bundle.ErrNotFound}, {"ErrBadHead", ErrBadHead}, {"ErrRollback", ErrRollback}, {"ErrEquivocated", ErrEquivocated},
	}
	var found []string
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			found = append(found, s.name)
		}
	}
	if len(found) != 1 {
		t.Fatalf("error %q matches %v: want exactly one sentinel", err, found)
	}
	return found[0]
}

// ---- A CBOR writer for crafted objects ----

// kv is one map entry; a []kv is written in its own order (canonical or
// not), a map[string]any sorted as DAG-CBOR wants.
type kv struct {
	k string
	v any
}

// rawCBOR is spliced in as it is.
type rawCBOR []byte

func cborHead(b *bytes.Buffer, major byte, n uint64) {
	m := major << 5
	switch {
	case n < 24:
		b.WriteByte(m | byte(n))
	case n < 1<<8:
		b.Write([]byte{m | 24, byte(n)})
	case n < 1<<16:
		b.WriteByte(m | 25)
		b.Write(binary.BigEndian.AppendUint16(nil, uint16(n)))
	case n < 1<<32:
		b.WriteByte(m | 26)
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(n)))
	default:
		b.WriteByte(m | 27)
		b.Write(binary.BigEndian.AppendUint64(nil, n))
	}
}

func cborEnc(v any) []byte {
	var b bytes.Buffer
	cborWrite(&b, v)
	return b.Bytes()
}

func cborWrite(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteByte(0xf6)
	case bool:
		if v {
			b.WriteByte(0xf5)
		} else {
			b.WriteByte(0xf4)
		}
	case int:
		cborWrite(b, int64(v))
	case int64:
		if v >= 0 {
			cborHead(b, 0, uint64(v))
		} else {
			cborHead(b, 1, uint64(-1-v))
		}
	case uint64:
		cborHead(b, 0, v)
	case float64:
		b.WriteByte(0xfb)
		b.Write(binary.BigEndian.AppendUint64(nil, math.Float64bits(v)))
	case string:
		cborHead(b, 3, uint64(len(v)))
		b.WriteString(v)
	case []byte:
		cborHead(b, 2, uint64(len(v)))
		b.Write(v)
	case cid.Cid:
		b.Write([]byte{0xd8, 42})
		cborHead(b, 2, uint64(v.ByteLen()+1))
		b.WriteByte(0)
		b.Write(v.Bytes())
	case rawCBOR:
		b.Write(v)
	case []any:
		cborHead(b, 4, uint64(len(v)))
		for _, e := range v {
			cborWrite(b, e)
		}
	case []kv:
		cborHead(b, 5, uint64(len(v)))
		for _, e := range v {
			cborWrite(b, e.k)
			cborWrite(b, e.v)
		}
	case map[string]any:
		cborWrite(b, cborKVs(v))
	default:
		panic(fmt.Sprintf("cborWrite: %T", v))
	}
}

// ---- The vector set ----

// vFile is a vector's bytes: a file of the set, or a pattern too large to
// keep (parts: hex chunks, each repeated).
type vFile struct {
	File  string   `json:"file,omitempty"`
	Parts [][2]any `json:"parts,omitempty"`
	data  []byte
}

type headVector struct {
	Name string `json:"name"`
	vFile
	Publisher  string `json:"publisher"`
	Want       string `json:"want"`
	Wrapped    bool   `json:"wrapped,omitempty"`
	Expired    bool   `json:"expired,omitempty"`
	Seq        string `json:"seq,omitempty"`
	DocSeq     string `json:"docSeq,omitempty"`
	Catalog    string `json:"catalog,omitempty"`
	Validity   string `json:"validity,omitempty"`
	ValidityNs string `json:"validityNs,omitempty"`
	Signer     string `json:"signer,omitempty"`
	DocCID     string `json:"docCID,omitempty"`
	// HeadPublisher is the parsed head's publisher: the base58btc form.
	HeadPublisher string `json:"headPublisher,omitempty"`
}

type ruleVector struct {
	Held    string `json:"held"` // a head vector's name; "" for none
	Offered string `json:"offered"`
	Want    string `json:"want"` // "replace", "same" or the refusal's kind
	Why     string `json:"why"`
}

type docVector struct {
	Name string `json:"name"`
	vFile
	Want      string        `json:"want"`
	CID       string        `json:"cid,omitempty"`
	Seq       string        `json:"seq,omitempty"`
	Publisher string        `json:"publisher,omitempty"`
	DocName   string        `json:"docName,omitempty"`
	Keys      []string      `json:"keys,omitempty"`
	Revoked   []revokedJSON `json:"revoked,omitempty"`
	Heads     []headKeyJSON `json:"heads,omitempty"`
	// Mirrors is the parsed mirror list; MirrorURLs, entry by entry, the
	// base URL ParseMirror gives an https mirror ("" for the other kinds
	// and the entries it skips), which the browser learns.
	Mirrors    []string       `json:"mirrors,omitempty"`
	MirrorURLs []string       `json:"mirrorURLs,omitempty"`
	Authorize  []authorizeRow `json:"authorize,omitempty"`
}

type revokedJSON struct {
	Key   string `json:"key"`
	After string `json:"after"`
}

type headKeyJSON struct {
	Key   string `json:"key"`
	Until string `json:"until"`
}

// authorizeRow is one AuthorizeHead or AuthorizeBundle call on a valid
// document and its verdict.
type authorizeRow struct {
	Head    bool   `json:"head,omitempty"` // AuthorizeHead, else AuthorizeBundle
	Key     string `json:"key"`
	Seq     string `json:"seq,omitempty"`     // bundle seq
	Expires string `json:"expires,omitempty"` // RFC 3339 with nanoseconds
	Want    string `json:"want"`
}

type catalogVector struct {
	Name string `json:"name"`
	vFile
	CID       string   `json:"cid"`
	Publisher string   `json:"publisher"`
	Want      string   `json:"want"`
	Bundles   []string `json:"bundles,omitempty"`
	Prev      string   `json:"prev,omitempty"` // hex of the binary CID
}

// vectorSet collects files and JSON tables.
type vectorSet struct {
	t     *testing.T
	files map[string][]byte
}

func (s *vectorSet) file(name string, data []byte) vFile {
	if _, dup := s.files[name]; dup {
		s.t.Fatalf("vector file %s twice", name)
	}
	s.files[name] = data
	return vFile{File: name, data: data}
}

// pattern is a large input kept as its recipe: chunk repeated n times.
func pattern(parts ...[2]any) vFile {
	var data []byte
	for _, p := range parts {
		chunk, _ := hex.DecodeString(p[0].(string))
		data = append(data, bytes.Repeat(chunk, p[1].(int))...)
	}
	return vFile{Parts: parts, data: data}
}

func (s *vectorSet) json(name string, v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		s.t.Fatal(err)
	}
	s.files[name] = append(data, '\n')
}

// ---- Keys, documents and records ----

func seedKey(b byte) ed25519.PrivateKey { return publisherKey(b) }

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

func idOf(k ed25519.PrivateKey) string { return bundle.PublisherID(pub(k)) }

// k51 is a key's ID as a base36 CIDv1 of codec libp2p-key.
func k51(t *testing.T, k ed25519.PrivateKey) string {
	m, err := mh.FromB58String(idOf(k))
	if err != nil {
		t.Fatal(err)
	}
	s, err := cid.NewCidV1(cid.Libp2pKey, m).StringOfBase('k')
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signedDoc signs a document payload (any shape) with root, as
// NewAuthority signs, so that a crafted document fails only where meant.
func signedDoc(root ed25519.PrivateKey, payload any) []byte {
	msg := append([]byte("samizdat publisher v1\x00"), cborEnc(payload)...)
	return cborEnc([]kv{{"sig", ed25519.Sign(root, msg)}, {"payload", payload}})
}

// payload is a canonical document payload with the usual fields; edit
// changes it before it is signed.
func docPayload(root ed25519.PrivateKey, edit func(map[string]any)) map[string]any {
	p := map[string]any{
		"v": 1, "type": "samizdat/publisher", "publisher": idOf(root), "seq": 1, "created": vCreated.Unix(),
		"name": "Crafted", "keys": []any{}, "revoked": []any{},
	}
	if edit != nil {
		edit(p)
	}
	return p
}

type recordSpec struct {
	data   any // the signed DAG-CBOR data, as a value for cborEnc
	noV1   bool
	v1     func(*ipns_pb.IpnsRecord)
	after  func([]byte) []byte // edits of the marshalled protobuf
	signer ed25519.PrivateKey
}

// ipnsData is the data map NewRecord writes, with extra entries.
func ipnsData(value []byte, eol string, seq int64, extra map[string]any) map[string]any {
	m := map[string]any{"Value": value, "Validity": []byte(eol), "ValidityType": 0, "Sequence": seq, "TTL": int64(headTTL)}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// craftRecord signs data as an IPNS record (signatureV2), with V1 fields
// copied from a map data unless noV1.
func craftRecord(t *testing.T, key ed25519.PrivateKey, spec recordSpec) []byte {
	t.Helper()
	data := cborEnc(spec.data)
	pb := &ipns_pb.IpnsRecord{Data: data, SignatureV2: ed25519.Sign(key, append([]byte("ipns-signature:"), data...))}
	if m, ok := spec.data.(map[string]any); ok && !spec.noV1 {
		asInt := func(v any) int64 {
			switch v := v.(type) {
			case int:
				return int64(v)
			case int64:
				return v
			}
			return 0
		}
		pb.Value, _ = m["Value"].([]byte)
		pb.Validity, _ = m["Validity"].([]byte)
		typ := ipns_pb.IpnsRecord_ValidityType(asInt(m["ValidityType"]))
		pb.ValidityType = &typ
		seq, ttl := uint64(asInt(m["Sequence"])), uint64(asInt(m["TTL"]))
		pb.Sequence, pb.Ttl = &seq, &ttl
		pb.SignatureV1 = ed25519.Sign(key, append(append(bytes.Clone(pb.Value), pb.Validity...), '0'))
	}
	if spec.v1 != nil {
		spec.v1(pb)
	}
	out, err := proto.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	if spec.after != nil {
		out = spec.after(out)
	}
	return out
}

func rfc3339(tm time.Time) string { return tm.UTC().Format(time.RFC3339Nano) }

func catalogPath(c cid.Cid) []byte { return []byte("/ipfs/" + c.String()) }

// TestBrowserVectors writes (with -update-browser) or checks the vectors
// of the browser reader's trust chain: every head, document and catalog
// verdict and every head-rule verdict is what the Go code returns for
// it, never typed by hand; each case's intent is checked too, so a
// vector cannot silently stop testing what its name says.
func TestBrowserVectors(t *testing.T) {
	s := &vectorSet{t: t, files: map[string][]byte{}}
	heads := browserHeads(t, s)
	s.json("heads.json", heads.list)
	s.json("rule.json", browserRule(t, heads))
	s.json("documents.json", browserDocuments(t, s))
	s.json("catalogs.json", browserCatalogs(t, s))

	if *updateBrowser {
		if err := os.RemoveAll(browserDir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(browserDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range s.files {
			if err := os.WriteFile(filepath.Join(browserDir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ents, err := os.ReadDir(browserDir)
	if err != nil {
		t.Fatalf("%v (run with -update-browser to create the vectors)", err)
	}
	for _, e := range ents {
		if _, ok := s.files[e.Name()]; !ok {
			t.Errorf("%s: a file the vectors no longer make (run with -update-browser)", e.Name())
		}
	}
	for name, want := range s.files {
		got, err := os.ReadFile(filepath.Join(browserDir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: differs from what the Go code makes now (run with -update-browser after a deliberate change): %v", name, err)
		}
	}
}

// headSet is the head vectors and the parsed heads, by name.
type headSet struct {
	list   []headVector
	parsed map[string]*Head
}

func browserHeads(t *testing.T, s *vectorSet) *headSet {
	root, other, k1, k2, thief := seedKey(0xb1), seedKey(0xb2), seedKey(0xb3), seedKey(0xb4), seedKey(0xb5)
	P, P2 := idOf(root), idOf(other)
	hs := &headSet{parsed: map[string]*Head{}}
	newDoc := func(r ed25519.PrivateKey, seq uint64, name string, hks []bundle.HeadKey, revoked []bundle.Revocation) *bundle.Authority {
		a, err := bundle.NewAuthority(r, bundle.AuthorityParams{Seq: seq, Created: vCreated, Name: name,
			Keys: []ed25519.PublicKey{pub(k2)}, HeadKeys: hks, Revoked: revoked})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	k1Until := func(u time.Time) []bundle.HeadKey { return []bundle.HeadKey{{Key: pub(k1), Until: u}} }
	doc1 := newDoc(root, 3, "Browser Vectors", k1Until(vUntil), nil)
	doc2 := newDoc(root, 4, "Browser Vectors", k1Until(vUntil), nil)
	doc3b := newDoc(root, 3, "Equivocation", k1Until(vUntil), nil)
	revoking := newDoc(root, 4, "Browser Vectors", k1Until(vUntil), []bundle.Revocation{{Key: pub(k1), After: 10}})
	otherDoc := newDoc(other, 3, "Other", k1Until(vUntil), nil)
	// Go's time.Time holds seconds since year 1 in an int64: an until
	// near the int64 limit wraps around in AuthorizeHead's comparison.
	const unixToInternal = (1969*365 + 1969/4 - 1969/100 + 1969/400) * 24 * 60 * 60
	maxUntil := newDoc(root, 5, "Max until", k1Until(time.Unix(math.MaxInt64, 0)), nil)
	edgeUntil := newDoc(root, 5, "Edge until", k1Until(time.Unix(math.MaxInt64-unixToInternal, 0)), nil)
	docV2 := signedDoc(root, docPayload(root, func(p map[string]any) { p["v"] = 2 }))

	cat := func(s string) cid.Cid { return catalogCID(t, s) }
	rec := func(k ed25519.PrivateKey, c string, seq uint64, eol time.Time, doc *bundle.Authority) []byte {
		r, err := signRecord(k, cat(c), seq, eol, doc)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	wrap := func(doc []byte, publisher string, signer []byte, record []byte) []byte {
		return rewrap(t, wireHead{V: 1, Type: headType, Publisher: publisher, Authority: doc, Signer: signer, Record: record})
	}
	deleg := func(k ed25519.PrivateKey, doc *bundle.Authority, c string, seq uint64, eol time.Time) []byte {
		return wrap(doc.Bytes(), doc.Publisher, pub(k), rec(k, c, seq, eol, doc))
	}
	custom := func(k ed25519.PrivateKey, spec recordSpec) []byte { return craftRecord(t, k, spec) }
	c5 := cat("c5")
	std := func(value []byte, eol string, seq int64, extra map[string]any) any {
		return ipnsData(value, eol, seq, extra)
	}
	appendField := func(b []byte) func([]byte) []byte {
		return func(rec []byte) []byte { return append(bytes.Clone(rec), b...) }
	}
	varintField := func(num protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
	}
	bytesField := func(num protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), v)
	}
	libp2pKey := func(k ed25519.PrivateKey) []byte {
		lk, _ := crypto.UnmarshalEd25519PublicKey(pub(k))
		b, _ := crypto.MarshalPublicKey(lk)
		return b
	}
	docCID := func(d *bundle.Authority) []byte { return d.CID().Bytes() }
	validRoot := rec(root, "c5", 5, vFuture, nil)

	type hcase struct {
		name      string
		data      vFile
		publisher string
		want      string // the intent: "ok", "expired" or a kind
	}
	file := func(name string, data []byte) vFile { return s.file("head-"+name+".bin", data) }
	cases := []hcase{
		// Root-signed (bare) heads.
		{"root-valid", file("root-valid", validRoot), P, "ok"},
		{"root-expired", file("root-expired", rec(root, "c4", 4, vPast, nil)), P, "expired"},
		{"root-renewal", file("root-renewal", rec(root, "c5", 5, vLater, nil)), P, "ok"},
		{"root-renewal-1ns", file("root-renewal-1ns", rec(root, "c5", 5, vFuture.Add(time.Nanosecond), nil)), P, "ok"},
		{"root-seq5-expired", file("root-seq5-expired", rec(root, "c5", 5, vPast, nil)), P, "expired"},
		{"root-equivocation", file("root-equivocation", rec(root, "evil", 5, vFuture, nil)), P, "ok"},
		{"root-seq6", file("root-seq6", rec(root, "c6", 6, vFuture, nil)), P, "ok"},
		{"root-seq6-expired", file("root-seq6-expired", rec(root, "c6", 6, vPast2, nil)), P, "expired"},
		{"root-seq4", file("root-seq4", rec(root, "c4", 4, vLater, nil)), P, "ok"},
		{"other-publisher", file("other-publisher", rec(other, "c5", 6, vFuture, nil)), P2, "ok"},
		{"k51-publisher-argument", vFile{File: "head-root-valid.bin", data: validRoot}, k51(t, root), "ok"},
		{"publisher-argument-not-an-id", vFile{File: "head-root-valid.bin", data: validRoot}, "not-an-id", "ErrBadKey"},
		{"record-of-another-key", file("record-of-another-key", rec(other, "evil", 99, vFuture, nil)), P, "ErrBadHead"},
		{"head-key-bare-record", file("head-key-bare-record", rec(k1, "c7", 7, vFuture, nil)), P, "ErrBadHead"},
		{"bit-flipped", file("bit-flipped", flip(validRoot, 40)), P, "ErrBadHead"},
		{"truncated", file("truncated", validRoot[:len(validRoot)-1]), P, "ErrBadHead"},
		{"empty", file("empty", nil), P, "ErrBadHead"},
		{"garbage", file("garbage", []byte("not a record")), P, "ErrBadHead"},
		{"oversized-head", pattern([2]any{"00", maxHeadSize + 1}), P, "ErrBadHead"},
		{"oversized-bare-record", file("oversized-bare-record", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			after: appendField(bytesField(15, make([]byte, maxRecordSize)))})), P, "ErrBadHead"},
		{"v2-only-no-ttl", file("v2-only-no-ttl", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{"TTL": nil}), noV1: true})), P, "ok"},
		{"v2-only-no-sequence", file("v2-only-no-sequence", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{"Sequence": nil}), noV1: true})), P, "ErrBadHead"},
		{"v2-only-no-value", file("v2-only-no-value", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{"Value": nil}), noV1: true})), P, "ErrBadHead"},
		{"v1-missing-ttl", file("v1-missing-ttl", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{"TTL": nil})})), P, "ErrBadHead"},
		{"pubkey-of-signer", file("pubkey-of-signer", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1: func(pb *ipns_pb.IpnsRecord) { pb.PubKey = libp2pKey(root) }})), P, "ok"},
		{"pubkey-of-another-key", file("pubkey-of-another-key", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1: func(pb *ipns_pb.IpnsRecord) { pb.PubKey = libp2pKey(other) }})), P, "ErrBadHead"},
		{"pubkey-garbage", file("pubkey-garbage", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1: func(pb *ipns_pb.IpnsRecord) { pb.PubKey = []byte("xx") }})), P, "ErrBadHead"},
		{"no-signature-v2", file("no-signature-v2", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1: func(pb *ipns_pb.IpnsRecord) { pb.SignatureV2 = nil }})), P, "ErrBadHead"},
		{"signature-v2-flipped", file("signature-v2-flipped", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1: func(pb *ipns_pb.IpnsRecord) { pb.SignatureV2[3] ^= 1 }})), P, "ErrBadHead"},
		{"signature-v2-short", file("signature-v2-short", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1: func(pb *ipns_pb.IpnsRecord) { pb.SignatureV2 = pb.SignatureV2[:63] }})), P, "ErrBadHead"},
		{"no-data", file("no-data", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1: func(pb *ipns_pb.IpnsRecord) { pb.Data = nil }})), P, "ErrBadHead"},
		{"data-not-a-map", file("data-not-a-map", custom(root, recordSpec{data: []any{1, 2}})), P, "ErrBadHead"},
		{"data-keys-unsorted", file("data-keys-unsorted", custom(root, recordSpec{noV1: true, data: []kv{{"TTL", 1}, {"Value", catalogPath(c5)},
			{"Sequence", 5}, {"Validity", []byte(rfc3339(vFuture))}, {"ValidityType", 0}}})), P, "ok"},
		{"data-float-metadata", file("data-float-metadata", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{"_x": 1.5})})), P, "ok"},
		{"data-undefined-metadata", file("data-undefined-metadata", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{"_x": rawCBOR{0xf7}})})), P, "ok"},
		{"data-key-repeated", file("data-key-repeated", custom(root, recordSpec{noV1: true, data: []kv{{"TTL", 1}, {"TTL", 1}, {"Value", catalogPath(c5)},
			{"Sequence", 5}, {"Validity", []byte(rfc3339(vFuture))}, {"ValidityType", 0}}})), P, "ErrBadHead"},
		{"data-trailing-byte", file("data-trailing-byte", custom(root, recordSpec{noV1: true, data: rawCBOR(append(cborEnc(ipnsData(catalogPath(c5), rfc3339(vFuture), 5, nil)), 0))})), P, "ErrBadHead"},
		{"data-integer-not-shortest", file("data-integer-not-shortest", custom(root, recordSpec{noV1: true, data: []kv{{"TTL", rawCBOR{0x18, 0x01}}, {"Value", catalogPath(c5)},
			{"Sequence", 5}, {"Validity", []byte(rfc3339(vFuture))}, {"ValidityType", 0}}})), P, "ErrBadHead"},
		{"v1-value-mismatch", file("v1-value-mismatch", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1: func(pb *ipns_pb.IpnsRecord) { pb.Value = catalogPath(cat("evil")) }})), P, "ErrBadHead"},
		{"v1-sequence-mismatch", file("v1-sequence-mismatch", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1: func(pb *ipns_pb.IpnsRecord) { s := uint64(6); pb.Sequence = &s }})), P, "ErrBadHead"},
		{"v1-sequence-absent", file("v1-sequence-absent", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1: func(pb *ipns_pb.IpnsRecord) { pb.Sequence = nil }})), P, "ErrBadHead"},
		{"v1-validity-mismatch", file("v1-validity-mismatch", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1: func(pb *ipns_pb.IpnsRecord) { pb.Validity = []byte(rfc3339(vLater)) }})), P, "ErrBadHead"},
		{"v1-only-signature-v1", file("v1-only-signature-v1", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1: func(pb *ipns_pb.IpnsRecord) {
				pb.Value, pb.Validity, pb.ValidityType, pb.Sequence, pb.Ttl = nil, nil, nil, nil, nil
			}})), P, "ErrBadHead"},
		{"v1-validity-type-2^32", file("v1-validity-type-2^32", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1:    func(pb *ipns_pb.IpnsRecord) { pb.ValidityType = nil },
			after: appendField(varintField(3, 1<<32))})), P, "ok"},
		{"v1-validity-type-1", file("v1-validity-type-1", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1:    func(pb *ipns_pb.IpnsRecord) { pb.ValidityType = nil },
			after: appendField(varintField(3, 1))})), P, "ErrBadHead"},
		{"validity-type-1", file("validity-type-1", custom(root, recordSpec{noV1: true, data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{"ValidityType": 1})})), P, "ErrBadHead"},
		{"unknown-fields", file("unknown-fields", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			after: appendField(bytes.Join([][]byte{varintField(15, 1<<40), bytesField(20, []byte("x")),
				protowire.AppendFixed32(protowire.AppendTag(nil, 16, protowire.Fixed32Type), 7),
				protowire.AppendFixed64(protowire.AppendTag(nil, 17, protowire.Fixed64Type), 7),
				protowire.AppendTag(nil, 18, protowire.StartGroupType), varintField(2, 1), bytesField(9, []byte("in a group")),
				protowire.AppendTag(nil, 18, protowire.EndGroupType)}, nil))})), P, "ok"},
		{"known-field-wrong-wire-type", file("known-field-wrong-wire-type", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			after: appendField(append(varintField(9, 1), bytesField(5, []byte{1})...))})), P, "ok"},
		{"field-repeated-last-wins", file("field-repeated-last-wins", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			after: appendField(varintField(5, 6))})), P, "ErrBadHead"},
		{"bytes-field-repeated-last-wins", file("bytes-field-repeated-last-wins", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			after: appendField(bytesField(1, catalogPath(cat("evil"))))})), P, "ErrBadHead"},
		{"bytes-field-repeated-last-right", file("bytes-field-repeated-last-right", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1:    func(pb *ipns_pb.IpnsRecord) { pb.Value = catalogPath(cat("evil")) },
			after: appendField(bytesField(1, catalogPath(c5)))})), P, "ok"},
		{"data-repeated-last-right", file("data-repeated-last-right", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			v1:    func(pb *ipns_pb.IpnsRecord) { pb.Data = cborEnc(ipnsData(catalogPath(c5), rfc3339(vLater), 5, nil)) },
			after: appendField(bytesField(9, cborEnc(ipnsData(catalogPath(c5), rfc3339(vFuture), 5, nil))))})), P, "ok"},
		{"varint-not-minimal", file("varint-not-minimal", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			after: appendField([]byte{0x28, 0x85, 0x80, 0x00})})), P, "ok"},
		{"wire-type-6", file("wire-type-6", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			after: appendField([]byte{0x7e, 0x00})})), P, "ErrBadHead"},
		{"field-number-0", file("field-number-0", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			after: appendField([]byte{0x00, 0x00})})), P, "ErrBadHead"},
		{"stray-end-group", file("stray-end-group", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			after: appendField(protowire.AppendTag(nil, 18, protowire.EndGroupType))})), P, "ErrBadHead"},
		{"group-unclosed", file("group-unclosed", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			after: appendField(protowire.AppendTag(nil, 18, protowire.StartGroupType))})), P, "ErrBadHead"},
		{"varint-overflow", file("varint-overflow", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			after: appendField([]byte{0x78, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02})})), P, "ErrBadHead"},
		{"length-beyond-end", file("length-beyond-end", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, nil),
			after: appendField([]byte{0xa2, 0x01, 0x05, 0x00})})), P, "ErrBadHead"},
		{"sequence-negative", file("sequence-negative", custom(root, recordSpec{noV1: true, data: std(catalogPath(c5), rfc3339(vFuture), -1, nil)})), P, "ok"},
		{"sequence-beyond-int64", file("sequence-beyond-int64", custom(root, recordSpec{noV1: true, data: std(catalogPath(c5), rfc3339(vFuture), 0, map[string]any{"Sequence": uint64(1 << 63)})})), P, "ErrBadHead"},
		{"ttl-negative", file("ttl-negative", custom(root, recordSpec{noV1: true, data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{"TTL": -1})})), P, "ErrBadHead"},
		{"ttl-negative-expired", file("ttl-negative-expired", custom(root, recordSpec{noV1: true, data: std(catalogPath(c5), rfc3339(vPast), 5, map[string]any{"TTL": -1})})), P, "expired"},
		{"ttl-not-an-int", file("ttl-not-an-int", custom(root, recordSpec{noV1: true, data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{"TTL": "5m"})})), P, "ok"},
		{"value-ipld-path", file("value-ipld-path", custom(root, recordSpec{data: std([]byte("/ipld/"+c5.String()), rfc3339(vFuture), 5, nil)})), P, "ok"},
		{"value-binary-cid", file("value-binary-cid", custom(root, recordSpec{data: std(c5.Bytes(), rfc3339(vFuture), 5, nil)})), P, "ok"},
		{"value-empty", file("value-empty", custom(root, recordSpec{data: std([]byte{}, rfc3339(vFuture), 5, nil)})), P, "ok"},
		{"value-cidv0", file("value-cidv0", custom(root, recordSpec{data: std([]byte("/ipfs/QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n"), rfc3339(vFuture), 5, nil)})), P, "ok"},
		{"value-base36-cid", file("value-base36-cid", custom(root, recordSpec{data: std([]byte("/ipfs/"+mustBase(t, c5, 'k')), rfc3339(vFuture), 5, nil)})), P, "ok"},
		{"value-base58-cid", file("value-base58-cid", custom(root, recordSpec{data: std([]byte("/ipfs/"+mustBase(t, c5, 'z')), rfc3339(vFuture), 5, nil)})), P, "ok"},
		{"value-trailing-slash", file("value-trailing-slash", custom(root, recordSpec{data: std([]byte("/ipfs/"+c5.String()+"/"), rfc3339(vFuture), 5, nil)})), P, "ok"},
		{"value-dot-segments", file("value-dot-segments", custom(root, recordSpec{data: std([]byte("/x/../ipfs/./"+c5.String()), rfc3339(vFuture), 5, nil)})), P, "ok"},
		{"value-double-slash", file("value-double-slash", custom(root, recordSpec{data: std([]byte("/ipfs//"+c5.String()), rfc3339(vFuture), 5, nil)})), P, "ok"},
		{"value-subpath", file("value-subpath", custom(root, recordSpec{data: std([]byte("/ipfs/"+c5.String()+"/sub"), rfc3339(vFuture), 5, nil)})), P, "ErrBadHead"},
		{"value-ipns-path", file("value-ipns-path", custom(root, recordSpec{data: std([]byte("/ipns/"+P), rfc3339(vFuture), 5, nil)})), P, "ErrBadHead"},
		{"value-not-rooted", file("value-not-rooted", custom(root, recordSpec{data: std([]byte("ipfs/"+c5.String()), rfc3339(vFuture), 5, nil)})), P, "ErrBadHead"},
		{"value-bad-cid", file("value-bad-cid", custom(root, recordSpec{data: std([]byte("/ipfs/bafyGARBAGE"), rfc3339(vFuture), 5, nil)})), P, "ErrBadHead"},
		{"value-not-bytes", file("value-not-bytes", custom(root, recordSpec{noV1: true, data: std(nil, rfc3339(vFuture), 5, map[string]any{"Value": "/ipfs/" + c5.String()})})), P, "ErrBadHead"},
		{"validity-offset", file("validity-offset", custom(root, recordSpec{data: std(catalogPath(c5), "2100-01-01T01:00:00+01:00", 5, nil)})), P, "ok"},
		{"validity-offset-24h", file("validity-offset-24h", custom(root, recordSpec{data: std(catalogPath(c5), "2100-01-02T00:00:00+24:00", 5, nil)})), P, "ok"},
		{"validity-one-digit-hour", file("validity-one-digit-hour", custom(root, recordSpec{data: std(catalogPath(c5), "2100-01-01T1:00:00Z", 5, nil)})), P, "ok"},
		{"validity-comma-fraction", file("validity-comma-fraction", custom(root, recordSpec{data: std(catalogPath(c5), "2100-01-01T00:00:00,5Z", 5, nil)})), P, "ok"},
		{"validity-ten-digit-fraction", file("validity-ten-digit-fraction", custom(root, recordSpec{data: std(catalogPath(c5), "2100-01-01T00:00:00.1234567899Z", 5, nil)})), P, "ok"},
		{"validity-leap-day", file("validity-leap-day", custom(root, recordSpec{data: std(catalogPath(c5), "2096-02-29T00:00:00Z", 5, nil)})), P, "ok"},
		{"validity-year-0000", file("validity-year-0000", custom(root, recordSpec{data: std(catalogPath(c5), "0000-01-01T00:00:00Z", 5, nil)})), P, "expired"},
		{"validity-no-leap-day", file("validity-no-leap-day", custom(root, recordSpec{data: std(catalogPath(c5), "2100-02-29T00:00:00Z", 5, nil)})), P, "ErrBadHead"},
		{"validity-hour-24", file("validity-hour-24", custom(root, recordSpec{data: std(catalogPath(c5), "2100-01-01T24:00:00Z", 5, nil)})), P, "ErrBadHead"},
		{"validity-second-60", file("validity-second-60", custom(root, recordSpec{data: std(catalogPath(c5), "2100-01-01T00:00:60Z", 5, nil)})), P, "ErrBadHead"},
		{"validity-space", file("validity-space", custom(root, recordSpec{data: std(catalogPath(c5), "2100-01-01 00:00:00Z", 5, nil)})), P, "ErrBadHead"},
		{"validity-lowercase-z", file("validity-lowercase-z", custom(root, recordSpec{data: std(catalogPath(c5), "2100-01-01T00:00:00z", 5, nil)})), P, "ErrBadHead"},
		{"validity-offset-25h", file("validity-offset-25h", custom(root, recordSpec{data: std(catalogPath(c5), "2100-01-01T00:00:00+25:00", 5, nil)})), P, "ErrBadHead"},
		{"validity-no-zone", file("validity-no-zone", custom(root, recordSpec{data: std(catalogPath(c5), "2100-01-01T00:00:00", 5, nil)})), P, "ErrBadHead"},
		{"validity-dot-no-digits", file("validity-dot-no-digits", custom(root, recordSpec{data: std(catalogPath(c5), "2100-01-01T00:00:00.Z", 5, nil)})), P, "ErrBadHead"},
		{"doc-metadata-in-bare-record", file("doc-metadata-in-bare-record", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{recordDocKey: docCID(doc1)})})), P, "ok"},
		{"doc-metadata-not-bytes", file("doc-metadata-not-bytes", custom(root, recordSpec{data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{recordDocKey: "doc"})})), P, "ErrBadHead"},

		// Delegated heads: wrappers.
		{"deleg-valid", file("deleg-valid", deleg(k1, doc1, "c7", 7, vFuture)), P, "ok"},
		{"deleg-expired", file("deleg-expired", deleg(k1, doc1, "c8", 8, vPast)), P, "expired"},
		{"deleg-root", file("deleg-root", deleg(root, doc1, "c9", 9, vFuture)), P, "ok"},
		{"deleg-renewal", file("deleg-renewal", deleg(root, doc1, "c7", 7, vLater)), P, "ok"},
		{"deleg-equivocation", file("deleg-equivocation", deleg(root, doc1, "evil", 7, vFuture)), P, "ok"},
		{"deleg-doc2", file("deleg-doc2", deleg(k1, doc2, "d1", 1, vFuture)), P, "ok"},
		{"deleg-doc2-expired", file("deleg-doc2-expired", deleg(k1, doc2, "d1", 1, vPast)), P, "expired"},
		{"deleg-doc3b", file("deleg-doc3b", deleg(k1, doc3b, "c7", 7, vFuture)), P, "ok"},
		{"deleg-until-exact", file("deleg-until-exact", deleg(k1, doc1, "c7", 7, vUntil)), P, "ok"},
		{"deleg-until-plus-1ns", file("deleg-until-plus-1ns", wrap(doc1.Bytes(), P, pub(k1), rec(k1, "c7", 7, vUntil.Add(time.Nanosecond), doc1))), P, "ErrBadHead"},
		{"deleg-until-max-int64", file("deleg-until-max-int64", deleg(k1, maxUntil, "c7", 7, vFuture)), P, "ErrBadHead"},
		{"deleg-until-go-edge", file("deleg-until-go-edge", deleg(k1, edgeUntil, "c7", 7, vFuture)), P, "ok"},
		{"deleg-k51-publisher-argument", vFile{File: "head-deleg-valid.bin", data: deleg(k1, doc1, "c7", 7, vFuture)}, k51(t, root), "ok"},
		{"deleg-signing-key-not-head-key", file("deleg-signing-key-not-head-key", wrap(doc1.Bytes(), P, pub(k2), rec(k2, "c7", 7, vFuture, doc1))), P, "ErrBadHead"},
		{"deleg-signer-unlisted", file("deleg-signer-unlisted", wrap(doc1.Bytes(), P, pub(thief), rec(thief, "c7", 7, vFuture, doc1))), P, "ErrBadHead"},
		{"deleg-signer-revoked", file("deleg-signer-revoked", wrap(revoking.Bytes(), P, pub(k1), rec(k1, "c7", 7, vFuture, revoking))), P, "ErrBadHead"},
		{"deleg-old-record-newer-doc", file("deleg-old-record-newer-doc", wrap(doc2.Bytes(), P, pub(k1), rec(k1, "c7", 7, vFuture, doc1))), P, "ErrBadHead"},
		{"deleg-record-naming-no-doc", file("deleg-record-naming-no-doc", wrap(doc1.Bytes(), P, pub(k1), rec(k1, "c7", 7, vFuture, nil))), P, "ErrBadHead"},
		{"deleg-root-record-naming-no-doc", file("deleg-root-record-naming-no-doc", wrap(doc1.Bytes(), P, pub(root), rec(root, "c7", 7, vFuture, nil))), P, "ErrBadHead"},
		{"deleg-doc-metadata-not-bytes", file("deleg-doc-metadata-not-bytes", wrap(doc1.Bytes(), P, pub(k1), custom(k1, recordSpec{
			data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{recordDocKey: hex.EncodeToString(docCID(doc1))})}))), P, "ErrBadHead"},
		{"deleg-pubkey-of-signer", file("deleg-pubkey-of-signer", wrap(doc1.Bytes(), P, pub(k1), custom(k1, recordSpec{
			data: std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{recordDocKey: docCID(doc1)}),
			v1:   func(pb *ipns_pb.IpnsRecord) { pb.PubKey = libp2pKey(k1) }}))), P, "ok"},
		{"deleg-other-publishers-doc", file("deleg-other-publishers-doc", wrap(otherDoc.Bytes(), P, pub(k1), rec(k1, "c7", 7, vFuture, otherDoc))), P, "ErrBadHead"},
		{"deleg-record-by-another-key", file("deleg-record-by-another-key", wrap(doc1.Bytes(), P, pub(k1), rec(thief, "c7", 7, vFuture, doc1))), P, "ErrBadHead"},
		{"deleg-doc-tampered", file("deleg-doc-tampered", wrap(flip(doc1.Bytes(), len(doc1.Bytes())-3), P, pub(k1), rec(k1, "c7", 7, vFuture, doc1))), P, "ErrBadHead"},
		{"deleg-doc-version-2", file("deleg-doc-version-2", wrap(docV2, P, pub(root), rec(root, "c7", 7, vFuture, nil))), P, "ErrBadHead"},
		{"deleg-wrong-type", file("deleg-wrong-type", rewrap(t, wireHead{V: 1, Type: "samizdat/catalog", Publisher: P, Authority: doc1.Bytes(), Signer: pub(k1), Record: rec(k1, "c7", 7, vFuture, doc1)})), P, "ErrBadHead"},
		{"deleg-wrong-version", file("deleg-wrong-version", rewrap(t, wireHead{V: 2, Type: headType, Publisher: P, Authority: doc1.Bytes(), Signer: pub(k1), Record: rec(k1, "c7", 7, vFuture, doc1)})), P, "ErrBadHead"},
		{"deleg-publisher-field-other", file("deleg-publisher-field-other", wrap(doc1.Bytes(), P2, pub(k1), rec(k1, "c7", 7, vFuture, doc1))), P, "ErrBadHead"},
		{"deleg-publisher-field-k51", file("deleg-publisher-field-k51", wrap(doc1.Bytes(), k51(t, root), pub(k1), rec(k1, "c7", 7, vFuture, doc1))), P, "ErrBadHead"},
		{"deleg-signer-31-bytes", file("deleg-signer-31-bytes", wrap(doc1.Bytes(), P, pub(k1)[:31], rec(k1, "c7", 7, vFuture, doc1))), P, "ErrBadHead"},
		{"deleg-extra-field", file("deleg-extra-field", cborEnc(map[string]any{"v": 1, "type": headType, "record": rec(k1, "c7", 7, vFuture, doc1),
			"signer": []byte(pub(k1)), "authority": doc1.Bytes(), "publisher": P, "extra": 1})), P, "ErrBadHead"},
		{"deleg-missing-field", file("deleg-missing-field", cborEnc(map[string]any{"v": 1, "type": headType, "record": rec(k1, "c7", 7, vFuture, doc1),
			"signer": []byte(pub(k1)), "authority": doc1.Bytes()})), P, "ErrBadHead"},
		{"deleg-keys-unsorted", file("deleg-keys-unsorted", cborEnc([]kv{{"type", headType}, {"v", 1}, {"record", rec(k1, "c7", 7, vFuture, doc1)},
			{"signer", []byte(pub(k1))}, {"authority", doc1.Bytes()}, {"publisher", P}})), P, "ErrBadHead"},
		{"deleg-truncated", file("deleg-truncated", func() []byte { b := deleg(k1, doc1, "c7", 7, vFuture); return b[:len(b)-1] }()), P, "ErrBadHead"},
		{"deleg-record-oversized", file("deleg-record-oversized", wrap(doc1.Bytes(), P, pub(k1), custom(k1, recordSpec{
			data:  std(catalogPath(c5), rfc3339(vFuture), 5, map[string]any{recordDocKey: docCID(doc1)}),
			after: appendField(bytesField(15, make([]byte, maxRecordSize)))}))), P, "ErrBadHead"},
		{"deleg-not-a-map-but-a-map-byte", file("deleg-not-a-map-but-a-map-byte", []byte{0xa0}), P, "ErrBadHead"},
		{"golden-delegated-head", vFile{File: "../delegated-head.bin", data: mustRead(t, filepath.Join("testdata", "delegated-head.bin"))}, idOf(seedKey(0xa1)), "ok"},
	}
	for _, c := range cases {
		h, err := ParseHead(c.publisher, c.data.data)
		want := kindOf(t, err)
		if err == nil && h.Expired {
			want = "expired"
		}
		if want != c.want {
			t.Errorf("head %s: ParseHead() = %s (%v), want %s", c.name, want, err, c.want)
		}
		v := headVector{Name: c.name, vFile: c.data, Publisher: c.publisher, Want: kindOf(t, err)}
		if err == nil {
			hs.parsed[c.name] = h
			v.Wrapped, v.Expired, v.Seq, v.DocSeq = h.Authority != nil, h.Expired, fmt.Sprint(h.Seq), fmt.Sprint(h.docSeq())
			v.Catalog = hex.EncodeToString(h.Catalog.Bytes())
			v.Validity, v.ValidityNs = rfc3339(h.Expires), unixNanoBig(h.Expires)
			v.HeadPublisher = h.Publisher
			v.Signer = hex.EncodeToString(h.Signer)
			if h.Authority != nil {
				v.DocCID = h.Authority.CID().String()
			}
		}
		hs.list = append(hs.list, v)
	}
	return hs
}

// unixNanoBig is t in nanoseconds since the epoch, in decimal, also
// outside the years UnixNano covers (1678–2262).
func unixNanoBig(t time.Time) string {
	n := new(big.Int).Mul(big.NewInt(t.Unix()), big.NewInt(1e9))
	return n.Add(n, big.NewInt(int64(t.Nanosecond()))).String()
}

// mustBase writes c in base36 ('k') or base58btc ('z').
func mustBase(t *testing.T, c cid.Cid, base rune) string {
	var s string
	var err error
	switch base {
	case 'k':
		s, err = c.StringOfBase('k')
	case 'z':
		s, err = c.StringOfBase('z')
	default:
		t.Fatalf("mustBase(%c)", base)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func browserRule(t *testing.T, hs *headSet) []ruleVector {
	rows := []struct{ held, offered, intent, why string }{
		{"", "root-valid", "replace", "no head held"},
		{"", "root-expired", "replace", "no head held, offered expired"},
		{"root-seq6", "deleg-valid", "replace", "a newer document wins over a bare head, whatever the sequence"},
		{"deleg-valid", "deleg-doc2", "replace", "a newer document wins with a lower sequence"},
		{"deleg-valid", "deleg-doc2-expired", "replace", "a newer document wins though expired"},
		{"deleg-doc2", "deleg-valid", "ErrRollback", "an older document"},
		{"deleg-valid", "root-seq6", "ErrRollback", "a bare head once a wrapped one is held"},
		{"deleg-valid", "deleg-doc3b", "ErrEquivocated", "two documents with one sequence number"},
		{"deleg-doc3b", "deleg-valid", "ErrEquivocated", "two documents with one sequence number, the other way"},
		{"deleg-root", "deleg-valid", "ErrRollback", "one document, a lower sequence"},
		{"root-valid", "root-seq4", "ErrRollback", "bare, a lower sequence, a later expiry"},
		{"sequence-negative", "root-valid", "ErrRollback", "bare, held sequence 2^64-1"},
		{"root-valid", "sequence-negative", "replace", "bare, offered sequence 2^64-1"},
		{"root-valid", "root-equivocation", "ErrEquivocated", "bare, one sequence, another catalog"},
		{"root-seq5-expired", "root-equivocation", "ErrEquivocated", "bare, one sequence, another catalog, held expired"},
		{"deleg-valid", "deleg-equivocation", "ErrEquivocated", "one document, one sequence, another catalog (root and head key)"},
		{"root-valid", "root-renewal", "replace", "renewal: one sequence and catalog, later expiry"},
		{"root-valid", "root-renewal-1ns", "replace", "renewal later by a nanosecond"},
		{"root-seq5-expired", "root-valid", "replace", "renewal of an expired head"},
		{"deleg-valid", "deleg-renewal", "replace", "renewal under one document by another allowed key"},
		{"deleg-valid", "deleg-until-exact", "replace", "renewal until the key's window end"},
		{"root-valid", "root-valid", "same", "the very same head"},
		{"root-renewal", "root-valid", "same", "one sequence and catalog, earlier expiry"},
		{"root-renewal-1ns", "root-valid", "same", "earlier by a nanosecond"},
		{"deleg-renewal", "deleg-valid", "same", "under one document, earlier expiry"},
		{"root-valid", "root-seq6", "replace", "a higher sequence"},
		{"root-valid", "root-seq6-expired", "same", "a higher sequence, expired, over one still valid"},
		{"root-expired", "root-seq6-expired", "replace", "a higher sequence, expired, over one expired too"},
		{"root-seq5-expired", "root-seq6", "replace", "a higher sequence, valid, over one expired"},
		{"deleg-valid", "deleg-expired", "same", "one document, a higher sequence, expired, over one valid"},
		{"deleg-valid", "deleg-root", "replace", "one document, a higher sequence signed by the root"},
		{"root-valid", "other-publisher", "ErrBadHead", "heads of two publishers"},
	}
	var out []ruleVector
	for _, r := range rows {
		var held *Head
		if r.held != "" {
			held = hs.parsed[r.held]
		}
		offered := hs.parsed[r.offered]
		if offered == nil || (r.held != "" && held == nil) {
			t.Fatalf("rule row %q: a head that did not parse", r.why)
		}
		ok, err := Supersedes(held, offered)
		want := kindOf(t, err)
		switch {
		case ok && err == nil:
			want = "replace"
		case err == nil:
			want = "same"
		}
		if want != r.intent {
			t.Errorf("rule %q: Supersedes() = %s, want %s", r.why, want, r.intent)
		}
		out = append(out, ruleVector{Held: r.held, Offered: r.offered, Want: want, Why: r.why})
	}
	return out
}

func browserDocuments(t *testing.T, s *vectorSet) []docVector {
	root, other, k1, k2 := seedKey(0xb1), seedKey(0xb2), seedKey(0xb3), seedKey(0xb4)
	P := idOf(root)
	full, err := bundle.NewAuthority(root, bundle.AuthorityParams{Seq: 9, Created: vCreated, Name: "Полный документ",
		Keys:     []ed25519.PublicKey{pub(k2), pub(k1)},
		Revoked:  []bundle.Revocation{{Key: pub(other), After: 0}, {Key: pub(seedKey(0xb6)), After: 12}},
		HeadKeys: []bundle.HeadKey{{Key: pub(k1), Until: vUntil}, {Key: pub(seedKey(0xb7)), Until: vFuture}}})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := bundle.NewAuthority(root, bundle.AuthorityParams{Seq: 1, Created: vCreated, Name: "No head keys", Keys: []ed25519.PublicKey{pub(k2)}})
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(map[string]any)) []byte { return signedDoc(root, docPayload(root, f)) }
	key := func(k ed25519.PrivateKey) []byte { return []byte(pub(k)) }
	manyKeys := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = bytes.Repeat([]byte{byte(i)}, 32)
		}
		return out
	}
	canonicalPayload := cborEnc(docPayload(root, nil))
	unsortedPayload := []kv{{"seq", 1}, {"v", 1}, {"keys", []any{}}, {"name", "Crafted"}, {"type", "samizdat/publisher"},
		{"created", vCreated.Unix()}, {"revoked", []any{}}, {"publisher", P}}
	flippedSig := func() []byte {
		d := edit(nil)
		d[8] ^= 1 // inside the signature: a2 63 "sig" 58 40 <sig>
		return d
	}()
	// Mirror lists (bundle-format.md §7, *Mirrors*): each kind a reader
	// meets, https ones ParseMirror takes and ones it skips.
	mirrorKinds := []string{
		"https://mirror.example.org/news", "https://m2.example:8443", "https://m3.example/a/b/", "https://m4.example//",
		"https://M5.Example/x$y&z+w=v:u@t/", "https://m6.example/a-b_c.d~e",
		"https://user@m7.example/", "https://m8.example/?q=1", "https://m9.example/?", "https://m10.example/#f",
		"https://", "https:///path", "http://plain.example/", "HTTPS://upper.example/", "https:/m11.example/",
		"/dns4/m.example.net/tcp/443/tls/ws/p2p/12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5",
		"/ip4/203.0.113.9/tcp/4001", "/not/a/multiaddr", "tor:x", "ipfs-gateway:https://dweb.example/",
	}
	withMirrors, err := bundle.NewAuthority(root, bundle.AuthorityParams{Seq: 3, Created: vCreated, Name: "Mirrors",
		Keys:     []ed25519.PublicKey{pub(k2)},
		HeadKeys: []bundle.HeadKey{{Key: pub(k1), Until: vUntil}},
		Mirrors:  []string{"https://mirror.example.org/news", "/dns4/m.example.net/tcp/443/tls/ws/p2p/12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5", "tor:x"}})
	if err != nil {
		t.Fatal(err)
	}
	longMirror := "https://" + strings.Repeat("a", bundle.MaxMirrorLen-len("https://"))
	manyMirrors := make([]string, bundle.MaxMirrors+1)
	for i := range manyMirrors {
		manyMirrors[i] = fmt.Sprintf("https://m%d.example/", i)
	}
	strs := func(ss []string) []any {
		out := make([]any, len(ss))
		for i, s := range ss {
			out[i] = s
		}
		return out
	}
	type dcase struct {
		name   string
		data   vFile
		intent string
	}
	file := func(name string, data []byte) vFile { return s.file("doc-"+name+".bin", data) }
	cases := []dcase{
		{"full", file("full", full.Bytes()), "ok"},
		{"no-head-keys", file("no-head-keys", plain.Bytes()), "ok"},
		{"crafted-minimal", file("crafted-minimal", edit(nil)), "ok"},
		{"golden-publisher-document", vFile{File: "../publisher-document.bin", data: mustRead(t, filepath.Join("testdata", "publisher-document.bin"))}, "ok"},
		{"oversized", pattern([2]any{"00", bundle.MaxAuthoritySize + 1}), "ErrTooLarge"},
		{"version-2", file("version-2", edit(func(p map[string]any) { p["v"] = 2 })), "ErrUnsupportedVersion"},
		{"version-2-not-canonical", file("version-2-not-canonical", signedDoc(root, append([]kv{{"seq", 1}, {"v", 2}}, unsortedPayload[2:]...))), "ErrUnsupportedVersion"},
		{"version-2-extra-field", file("version-2-extra-field", edit(func(p map[string]any) { p["v"] = 2; p["new"] = "field" })), "ErrUnsupportedVersion"},
		{"version-float", file("version-float", edit(func(p map[string]any) { p["v"] = 1.0 })), "ErrMalformed"},
		{"version-float-2", file("version-float-2", edit(func(p map[string]any) { p["v"] = 2.0 })), "ErrMalformed"},
		{"version-0", file("version-0", edit(func(p map[string]any) { p["v"] = 0 })), "ErrUnsupportedVersion"},
		{"payload-not-a-map", file("payload-not-a-map", cborEnc(map[string]any{"sig": []byte{}, "payload": []any{2}})), "ErrMalformed"},
		{"not-canonical", file("not-canonical", signedDoc(root, unsortedPayload)), "ErrMalformed"},
		{"trailing-byte", file("trailing-byte", append(edit(nil), 0)), "ErrMalformed"},
		{"truncated", file("truncated", func() []byte { d := edit(nil); return d[:len(d)-1] }()), "ErrMalformed"},
		{"extra-field", file("extra-field", edit(func(p map[string]any) { p["extra"] = 1 })), "ErrMalformed"},
		{"missing-field", file("missing-field", edit(func(p map[string]any) { delete(p, "created") })), "ErrMalformed"},
		{"null-heads", file("null-heads", edit(func(p map[string]any) { p["heads"] = rawCBOR{0xf6} })), "ErrMalformed"},
		{"wrong-kind", file("wrong-kind", edit(func(p map[string]any) { p["seq"] = "1" })), "ErrMalformed"},
		{"wrong-type", file("wrong-type", edit(func(p map[string]any) { p["type"] = "samizdat/bundle" })), "ErrWrongType"},
		{"type-not-utf8", file("type-not-utf8", edit(func(p map[string]any) { p["type"] = "samizdat/\xff" })), "ErrWrongType"},
		{"publisher-k51", file("publisher-k51", edit(func(p map[string]any) { p["publisher"] = k51(t, root) })), "ErrMalformed"},
		{"publisher-garbage", file("publisher-garbage", edit(func(p map[string]any) { p["publisher"] = "nobody" })), "ErrMalformed"},
		{"seq-0", file("seq-0", edit(func(p map[string]any) { p["seq"] = 0 })), "ErrMalformed"},
		{"seq-negative", file("seq-negative", edit(func(p map[string]any) { p["seq"] = -1 })), "ErrMalformed"},
		{"seq-beyond-int64", file("seq-beyond-int64", edit(func(p map[string]any) { p["seq"] = uint64(1 << 63) })), "ErrMalformed"},
		{"heads-empty", file("heads-empty", edit(func(p map[string]any) { p["heads"] = []any{} })), "ErrMalformed"},
		{"name-too-long", file("name-too-long", edit(func(p map[string]any) { p["name"] = strings.Repeat("n", bundle.MaxNameLen+1) })), "ErrMalformed"},
		{"name-longest", file("name-longest", edit(func(p map[string]any) { p["name"] = strings.Repeat("n", bundle.MaxNameLen) })), "ok"},
		{"name-not-utf8", file("name-not-utf8", edit(func(p map[string]any) { p["name"] = "bad \xc0\xaf" })), "ErrMalformed"},
		{"too-many-keys", file("too-many-keys", edit(func(p map[string]any) { p["keys"] = manyKeys(bundle.MaxAuthorityKeys + 1) })), "ErrMalformed"},
		{"most-keys", file("most-keys", edit(func(p map[string]any) { p["keys"] = manyKeys(bundle.MaxAuthorityKeys) })), "ok"},
		{"too-many-revocations", file("too-many-revocations", edit(func(p map[string]any) {
			var r []any
			for _, k := range manyKeys(bundle.MaxAuthorityKeys + 1) {
				r = append(r, map[string]any{"key": k, "after": 0})
			}
			p["revoked"] = r
		})), "ErrMalformed"},
		{"too-many-head-keys", file("too-many-head-keys", edit(func(p map[string]any) {
			var r []any
			for _, k := range manyKeys(bundle.MaxAuthorityKeys + 1) {
				r = append(r, map[string]any{"key": k, "until": 1})
			}
			p["heads"] = r
		})), "ErrMalformed"},
		{"signature-flipped", file("signature-flipped", flippedSig), "ErrBadSignature"},
		{"signature-short", file("signature-short", cborEnc([]kv{{"sig", make([]byte, 63)}, {"payload", rawCBOR(canonicalPayload)}})), "ErrBadSignature"},
		{"signed-by-another-key", file("signed-by-another-key", cborEnc([]kv{
			{"sig", ed25519.Sign(other, append([]byte("samizdat publisher v1\x00"), canonicalPayload...))}, {"payload", rawCBOR(canonicalPayload)}})), "ErrBadSignature"},
		{"signed-without-context", file("signed-without-context", cborEnc([]kv{
			{"sig", ed25519.Sign(root, canonicalPayload)}, {"payload", rawCBOR(canonicalPayload)}})), "ErrBadSignature"},
		{"payload-tampered", file("payload-tampered", bytes.Replace(edit(nil), []byte("Crafted"), []byte("Crafteb"), 1)), "ErrBadSignature"},
		{"key-31-bytes", file("key-31-bytes", edit(func(p map[string]any) { p["keys"] = []any{make([]byte, 31)} })), "ErrMalformed"},
		{"revoked-key-33-bytes", file("revoked-key-33-bytes", edit(func(p map[string]any) { p["revoked"] = []any{map[string]any{"key": make([]byte, 33), "after": 0}} })), "ErrMalformed"},
		{"revoked-after-negative", file("revoked-after-negative", edit(func(p map[string]any) { p["revoked"] = []any{map[string]any{"key": key(k1), "after": -1}} })), "ErrMalformed"},
		{"revocation-extra-field", file("revocation-extra-field", edit(func(p map[string]any) {
			p["revoked"] = []any{map[string]any{"key": key(k1), "after": 0, "why": "x"}}
		})), "ErrMalformed"},
		{"head-key-until-0", file("head-key-until-0", edit(func(p map[string]any) { p["heads"] = []any{map[string]any{"key": key(k1), "until": 0}} })), "ErrMalformed"},
		{"head-key-until-1", file("head-key-until-1", edit(func(p map[string]any) { p["heads"] = []any{map[string]any{"key": key(k1), "until": 1}} })), "ok"},
		{"head-key-30-bytes", file("head-key-30-bytes", edit(func(p map[string]any) { p["heads"] = []any{map[string]any{"key": make([]byte, 30), "until": 1}} })), "ErrMalformed"},
		{"mirrors", file("mirrors", withMirrors.Bytes()), "ok"},
		{"mirrors-kinds", file("mirrors-kinds", edit(func(p map[string]any) { p["mirrors"] = strs(mirrorKinds) })), "ok"},
		{"mirrors-longest-entry", file("mirrors-longest-entry", edit(func(p map[string]any) { p["mirrors"] = strs([]string{longMirror}) })), "ok"},
		{"mirrors-most", file("mirrors-most", edit(func(p map[string]any) { p["mirrors"] = strs(manyMirrors[:bundle.MaxMirrors]) })), "ok"},
		{"mirrors-too-many", file("mirrors-too-many", edit(func(p map[string]any) { p["mirrors"] = strs(manyMirrors) })), "ErrMalformed"},
		{"mirrors-entry-too-long", file("mirrors-entry-too-long", edit(func(p map[string]any) { p["mirrors"] = strs([]string{longMirror + "a"}) })), "ErrMalformed"},
		{"mirrors-entry-empty", file("mirrors-entry-empty", edit(func(p map[string]any) { p["mirrors"] = strs([]string{"https://a.example", ""}) })), "ErrMalformed"},
		{"mirrors-space", file("mirrors-space", edit(func(p map[string]any) { p["mirrors"] = strs([]string{"https://a.example/b c"}) })), "ErrMalformed"},
		{"mirrors-control-byte", file("mirrors-control-byte", edit(func(p map[string]any) { p["mirrors"] = strs([]string{"https://a.example/\t"}) })), "ErrMalformed"},
		{"mirrors-not-ascii", file("mirrors-not-ascii", edit(func(p map[string]any) { p["mirrors"] = strs([]string{"https://пример.example"}) })), "ErrMalformed"},
		{"mirrors-byte-80", file("mirrors-byte-80", edit(func(p map[string]any) { p["mirrors"] = strs([]string{"https://a.example/\x80"}) })), "ErrMalformed"},
		{"mirrors-del", file("mirrors-del", edit(func(p map[string]any) { p["mirrors"] = strs([]string{"https://a.example/\x7f"}) })), "ErrMalformed"},
		{"mirrors-tilde", file("mirrors-tilde", edit(func(p map[string]any) {
			p["mirrors"] = strs([]string{"https://a.example/~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"})
		})), "ok"},
		{"mirrors-duplicate", file("mirrors-duplicate", edit(func(p map[string]any) {
			p["mirrors"] = strs([]string{"https://a.example", "tor:x", "https://a.example"})
		})), "ErrMalformed"},
		{"mirrors-empty-list", file("mirrors-empty-list", edit(func(p map[string]any) { p["mirrors"] = []any{} })), "ErrMalformed"},
		{"mirrors-null", file("mirrors-null", edit(func(p map[string]any) { p["mirrors"] = rawCBOR{0xf6} })), "ErrMalformed"},
		{"mirrors-not-a-list", file("mirrors-not-a-list", edit(func(p map[string]any) { p["mirrors"] = "https://a.example" })), "ErrMalformed"},
		{"mirrors-entry-bytes", file("mirrors-entry-bytes", edit(func(p map[string]any) { p["mirrors"] = []any{[]byte("https://a.example")} })), "ErrMalformed"},
		// Canonical order puts mirrors between created and revoked.
		{"mirrors-before-created", file("mirrors-before-created", signedDoc(root, swapKeys(docPayload(root, func(p map[string]any) {
			p["mirrors"] = strs([]string{"https://a.example"})
		}), "mirrors", "created"))), "ErrMalformed"},
		// The list is signed: an entry changed after signing breaks the
		// signature; a broken list is refused before the signature is
		// checked (ErrMalformed, as Go's order has it).
		{"mirrors-tampered", file("mirrors-tampered", bytes.Replace(withMirrors.Bytes(), []byte("mirror.example.org"), []byte("mirror.example.net"), 1)), "ErrBadSignature"},
		{"mirrors-duplicate-unsigned", file("mirrors-duplicate-unsigned", cborEnc([]kv{{"sig", make([]byte, 64)},
			{"payload", docPayload(root, func(p map[string]any) { p["mirrors"] = strs([]string{"tor:x", "tor:x"}) })}})), "ErrMalformed"},
		{"root-key-not-a-point", file("root-key-not-a-point", func() []byte {
			// A document naming a publisher whose "key" is no curve point:
			// nothing can verify for it.
			bad := bytes.Repeat([]byte{0xff}, 32)
			bad[31] = 0x7f
			p := docPayload(root, func(p map[string]any) { p["publisher"] = bundle.PublisherID(bad) })
			return cborEnc([]kv{{"sig", make([]byte, 64)}, {"payload", p}})
		}()), "ErrBadSignature"},
	}
	var out []docVector
	for _, c := range cases {
		a, err := bundle.ParseAuthorityFile(c.data.data)
		got := kindOf(t, err)
		if got != c.intent {
			t.Errorf("document %s: ParseAuthorityFile() = %s (%v), want %s", c.name, got, err, c.intent)
		}
		v := docVector{Name: c.name, vFile: c.data, Want: got}
		if err == nil {
			v.CID, v.Seq, v.Publisher, v.DocName = a.CID().String(), fmt.Sprint(a.Seq), a.Publisher, a.Name
			for _, k := range a.Keys {
				v.Keys = append(v.Keys, hex.EncodeToString(k))
			}
			for _, r := range a.Revoked {
				v.Revoked = append(v.Revoked, revokedJSON{hex.EncodeToString(r.Key), fmt.Sprint(r.After)})
			}
			for _, hk := range a.HeadKeys {
				v.Heads = append(v.Heads, headKeyJSON{hex.EncodeToString(hk.Key), fmt.Sprint(hk.Until.Unix())})
			}
			if c.name == "full" {
				v.Authorize = authorizeRows(t, a, root, other, k1, k2)
			}
			v.Mirrors = a.Mirrors
			for _, m := range a.Mirrors {
				pm, _ := ParseMirror(m)
				v.MirrorURLs = append(v.MirrorURLs, pm.URL)
			}
		}
		out = append(out, v)
	}
	return out
}

// swapKeys is m in canonical order but for keys a and b, which change
// places.
func swapKeys(m map[string]any, a, b string) []kv {
	var out []kv
	for _, e := range cborKVs(m) {
		switch e.k {
		case a:
			e = kv{b, m[b]}
		case b:
			e = kv{a, m[a]}
		}
		out = append(out, e)
	}
	return out
}

// cborKVs is m's entries in DAG-CBOR's canonical order.
func cborKVs(m map[string]any) []kv {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) < len(keys[j])
		}
		return keys[i] < keys[j]
	})
	out := make([]kv, len(keys))
	for i, k := range keys {
		out[i] = kv{k, m[k]}
	}
	return out
}

// authorizeRows runs AuthorizeHead and AuthorizeBundle over the cases of
// bundle-format.md §7 on the full document.
func authorizeRows(t *testing.T, a *bundle.Authority, root, other, k1, k2 ed25519.PrivateKey) []authorizeRow {
	retired, hk2 := seedKey(0xb6), seedKey(0xb7)
	var rows []authorizeRow
	for _, c := range []struct {
		key     ed25519.PrivateKey
		expires time.Time
	}{
		{k1, vFuture}, {k1, vUntil}, {k1, vUntil.Add(time.Nanosecond)}, {k1, vPast},
		{hk2, vFuture}, {hk2, vFuture.Add(time.Nanosecond)}, {k2, vFuture}, {other, vFuture}, {retired, vFuture}, {root, vFuture},
	} {
		err := a.AuthorizeHead(pub(c.key), c.expires)
		rows = append(rows, authorizeRow{Head: true, Key: hex.EncodeToString(pub(c.key)), Expires: rfc3339(c.expires), Want: kindOf(t, err)})
	}
	for _, c := range []struct {
		key ed25519.PrivateKey
		seq uint64
	}{
		{k2, 1}, {k1, 100}, {other, 1}, {retired, 12}, {retired, 13}, {retired, 1}, {hk2, 1}, {root, 5}, {seedKey(0xb8), 1},
	} {
		err := a.AuthorizeBundle(idOf(c.key), c.seq)
		rows = append(rows, authorizeRow{Key: hex.EncodeToString(pub(c.key)), Seq: fmt.Sprint(c.seq), Want: kindOf(t, err)})
	}
	return rows
}

func browserCatalogs(t *testing.T, s *vectorSet) []catalogVector {
	root, other := seedKey(0xb1), seedKey(0xb2)
	P, P2 := idOf(root), idOf(other)
	b1, b2 := catalogCID(t, "bundle 1"), catalogCID(t, "bundle 2")
	v0, err := cid.Decode("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n")
	if err != nil {
		t.Fatal(err)
	}
	sum := func(p cid.Prefix, data []byte) cid.Cid {
		c, err := p.Sum(data)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	enc := func(v any) ([]byte, cid.Cid) {
		data := cborEnc(v)
		return data, sum(bundle.PrefixDAGCBOR, data)
	}
	catalog := func(edit func(map[string]any)) ([]byte, cid.Cid) {
		m := map[string]any{"v": 1, "type": catalogType, "publisher": P, "bundles": []any{b2, b1}}
		if edit != nil {
			edit(m)
		}
		return enc(m)
	}
	type ccase struct {
		name      string
		data      vFile
		c         cid.Cid
		publisher string
		intent    string
	}
	var cases []ccase
	add := func(name string, data []byte, c cid.Cid, publisher, intent string) {
		cases = append(cases, ccase{name, s.file("catalog-"+name+".bin", data), c, publisher, intent})
	}
	rc, rdata, err := (&Catalog{Publisher: P, Bundles: []cid.Cid{b2, b1}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	add("valid", rdata, rc, P, "ok")
	d, c := catalog(func(m map[string]any) { m["bundles"] = []any{} })
	add("empty", d, c, P, "ok")
	d, c = catalog(func(m map[string]any) { m["bundles"] = []any{v0, b1} })
	add("any-cid-listed", d, c, P, "ok")
	add("other-publisher-pinned", rdata, rc, P2, "ErrWrongPublisher")
	d, c = catalog(func(m map[string]any) { m["publisher"] = P2 })
	add("another-publishers", d, c, P, "ErrWrongPublisher")
	add("raw-cid", rdata, sum(bundle.PrefixRaw, rdata), P, "ErrWrongType")
	add("cidv0", rdata, sum(cid.Prefix{Version: 0, Codec: cid.DagProtobuf, MhType: mh.SHA2_256, MhLength: -1}, rdata), P, "ErrWrongType")
	add("sha512-cid", rdata, sum(cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.SHA2_512, MhLength: -1}, rdata), P, "ErrWrongType")
	add("truncated-digest-cid", rdata, sum(cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.SHA2_256, MhLength: 20}, rdata), P, "ErrWrongType")
	add("hash-mismatch", append(bytes.Clone(rdata), 0), rc, P, "ErrHashMismatch")
	d, c = enc([]kv{{"v", 1}, {"type", catalogType}, {"publisher", P}, {"bundles", []any{b2, b1}}})
	add("not-canonical", d, c, P, "ErrMalformed")
	d, c = enc([]kv{{"v", 2}, {"type", catalogType}, {"publisher", P}, {"bundles", []any{b2, b1}}})
	add("version-2-not-canonical", d, c, P, "ErrMalformed")
	d, c = catalog(func(m map[string]any) { m["v"] = 2 })
	add("version-2", d, c, P, "ErrUnsupportedVersion")
	d, c = catalog(func(m map[string]any) { m["v"] = 2; m["type"] = "\xff" })
	add("version-2-type-not-utf8", d, c, P, "ErrUnsupportedVersion")
	d, c = catalog(func(m map[string]any) { m["type"] = "samizdat/head" })
	add("wrong-type", d, c, P, "ErrWrongType")
	d, c = catalog(func(m map[string]any) { m["type"] = "samizdat/\xff" })
	add("type-not-utf8", d, c, P, "ErrWrongType")
	d, c = catalog(func(m map[string]any) { m["bundles"] = []any{b1.Bytes()} })
	add("bytes-not-link", d, c, P, "ErrMalformed")
	d, c = catalog(func(m map[string]any) { m["extra"] = true })
	add("extra-field", d, c, P, "ErrMalformed")
	d, c = catalog(func(m map[string]any) { delete(m, "bundles") })
	add("missing-field", d, c, P, "ErrMalformed")
	d, c = catalog(func(m map[string]any) { m["publisher"] = k51(t, root) })
	add("publisher-k51", d, c, P, "ErrWrongPublisher")
	// Pages of a chain (protocol.md §5): prev links the page before.
	pc, pdata, err := (&Catalog{Publisher: P, Bundles: []cid.Cid{b2}, Prev: &rc}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	add("prev", pdata, pc, P, "ok")
	d, c = catalog(func(m map[string]any) { m["prev"] = sum(bundle.PrefixRaw, rdata) })
	add("prev-raw-cid", d, c, P, "ErrWrongType")
	d, c = catalog(func(m map[string]any) {
		m["prev"] = sum(cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: mh.SHA2_512, MhLength: -1}, rdata)
	})
	add("prev-sha512-cid", d, c, P, "ErrWrongType")
	d, c = catalog(func(m map[string]any) { m["prev"] = rc.Bytes() })
	add("prev-bytes-not-link", d, c, P, "ErrMalformed")
	d, c = catalog(func(m map[string]any) { m["prev"] = nil })
	add("prev-null", d, c, P, "ErrMalformed")
	d, c = catalog(func(m map[string]any) { m["prev"] = []any{rc} })
	add("prev-list", d, c, P, "ErrMalformed")

	// Catalogs too large to keep as files: patterns of one link repeated.
	link := hex.EncodeToString(cborEnc(b1))
	head := func(n int) string {
		var b bytes.Buffer
		b.Write([]byte{0xa4, 0x61, 'v', 0x01, 0x64, 't', 'y', 'p', 'e'})
		cborWrite(&b, catalogType)
		cborWrite(&b, "bundles")
		cborHead(&b, 4, uint64(n))
		return hex.EncodeToString(b.Bytes())
	}
	tail := hex.EncodeToString(append(cborEnc("publisher"), cborEnc(P)...))
	for _, n := range []int{maxCatalogBundles, maxCatalogBundles + 1} {
		p := pattern([2]any{head(n), 1}, [2]any{link, n}, [2]any{tail, 1})
		intent := "ok"
		if n > maxCatalogBundles {
			intent = "ErrTooLarge"
		}
		cases = append(cases, ccase{fmt.Sprintf("%d-bundles", n), p, sum(bundle.PrefixDAGCBOR, p.data), P, intent})
	}
	big := pattern([2]any{"00", maxCatalogSize + 1})
	cases = append(cases, ccase{"oversized", big, sum(bundle.PrefixDAGCBOR, big.data), P, "ErrTooLarge"})

	var out []catalogVector
	for _, c := range cases {
		cat, err := ParseCatalog(c.publisher, c.c, c.data.data)
		got := kindOf(t, err)
		if got != c.intent {
			t.Errorf("catalog %s: ParseCatalog() = %s (%v), want %s", c.name, got, err, c.intent)
		}
		v := catalogVector{Name: c.name, vFile: c.data, CID: hex.EncodeToString(c.c.Bytes()), Publisher: c.publisher, Want: got}
		if err == nil {
			for _, b := range cat.Bundles {
				v.Bundles = append(v.Bundles, hex.EncodeToString(b.Bytes()))
			}
			if len(v.Bundles) > 2 {
				v.Bundles = nil // the patterns: one link repeated
			}
			if cat.Prev != nil {
				v.Prev = hex.EncodeToString(cat.Prev.Bytes())
			}
		}
		out = append(out, v)
	}
	return out
}
