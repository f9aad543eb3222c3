package node

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"flag"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipld/go-ipld-prime/node/bindnode"
	"github.com/samizdat/samizdat/bundle"
)

// docs is a publisher's root key and a way to sign its documents.
type docs struct {
	t    *testing.T
	root ed25519.PrivateKey
	id   string
}

func newDocs(t *testing.T, seed byte) *docs {
	root := publisherKey(seed)
	return &docs{t: t, root: root, id: bundle.PublisherID(root.Public().(ed25519.PublicKey))}
}

// doc signs document seq granting head keys (each valid for a day) and
// revoking others.
func (d *docs) doc(seq uint64, heads []ed25519.PrivateKey, revoked ...ed25519.PrivateKey) *bundle.Authority {
	d.t.Helper()
	p := bundle.AuthorityParams{Seq: seq}
	for _, k := range heads {
		p.HeadKeys = append(p.HeadKeys, bundle.HeadKey{Key: k.Public().(ed25519.PublicKey), Until: time.Now().Add(24 * time.Hour)})
	}
	for _, k := range revoked {
		p.Revoked = append(p.Revoked, bundle.Revocation{Key: k.Public().(ed25519.PublicKey)})
	}
	a, err := bundle.NewAuthority(d.root, p)
	if err != nil {
		d.t.Fatal(err)
	}
	return a
}

func (d *docs) head(key ed25519.PrivateKey, auth *bundle.Authority, seq uint64, catalog string) *Head {
	d.t.Helper()
	h, err := NewDelegatedHead(key, auth, catalogCID(d.t, catalog), seq, time.Hour)
	if err != nil {
		d.t.Fatal(err)
	}
	return h
}

// rewrap builds a head wrapper from parts, signed or not, as an attacker
// would.
func rewrap(t *testing.T, w wireHead) []byte {
	t.Helper()
	data, err := bundle.EncodeDAGCBOR(bindnode.Wrap(&w, headProto.Type()))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestParseDelegatedHead: a head key's head is valid for the publisher
// only under a document of that publisher that lists the key, unrevoked,
// for the head's whole validity.
func TestParseDelegatedHead(t *testing.T) {
	d, other := newDocs(t, 1), newDocs(t, 2)
	k1, k2, thief := publisherKey(11), publisherKey(12), publisherKey(13)
	doc := d.doc(1, []ed25519.PrivateKey{k1})
	h := d.head(k1, doc, 5, "c5")
	got, err := ParseHead(d.id, h.Bytes())
	if err != nil || got.Seq != 5 || got.Authority == nil || !got.Signer.Equal(k1.Public().(ed25519.PublicKey)) {
		t.Fatalf("ParseHead() = %+v, %v", got, err)
	}
	if got.IPNSName().Peer().String() != bundle.PublisherID(k1.Public().(ed25519.PublicKey)) {
		t.Errorf("IPNSName() = %s, want the head key's name", got.IPNSName())
	}
	// The root key may sign a wrapped head too.
	if _, err := ParseHead(d.id, d.head(d.root, doc, 6, "c6").Bytes()); err != nil {
		t.Errorf("ParseHead(root-signed wrapper) = %v", err)
	}
	// recUnder signs a record naming doc (nil: none); rec one naming the
	// document it is then wrapped with, so each case fails for its own
	// reason.
	recUnder := func(k ed25519.PrivateKey, validity time.Duration, doc *bundle.Authority) []byte {
		r, err := signRecord(k, catalogCID(t, "c"), 7, time.Now().Add(validity), doc)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	rec := func(k ed25519.PrivateKey, validity time.Duration) []byte { return recUnder(k, validity, doc) }
	pk := func(k ed25519.PrivateKey) []byte { return k.Public().(ed25519.PublicKey) }
	w := func(doc *bundle.Authority, publisher string, signer ed25519.PrivateKey, record []byte) []byte {
		return rewrap(t, wireHead{V: 1, Type: headType, Publisher: publisher, Authority: doc.Bytes(), Signer: pk(signer), Record: record})
	}
	doc2 := d.doc(2, []ed25519.PrivateKey{k1})         // lists k1 still
	revoking := d.doc(2, []ed25519.PrivateKey{k1}, k1) // revokes it
	otherDoc := other.doc(1, []ed25519.PrivateKey{k1})
	tamperedDoc := bytes.Clone(doc.Bytes())
	tamperedDoc[len(tamperedDoc)-3] ^= 1
	tests := []struct {
		name string
		data []byte
	}{
		{"signer not a head key", w(doc, d.id, k2, rec(k2, time.Hour))},
		{"signer revoked", w(revoking, d.id, k1, recUnder(k1, time.Hour, revoking))},
		{"an old record rewrapped with a newer document", w(doc2, d.id, k1, rec(k1, time.Hour))},
		{"a record naming no document", w(doc, d.id, k1, recUnder(k1, time.Hour, nil))},
		{"validity past the key's window", w(doc, d.id, k1, rec(k1, 48*time.Hour))},
		{"another publisher's document", w(otherDoc, d.id, k1, recUnder(k1, time.Hour, otherDoc))},
		{"record signed by another key than the signer", w(doc, d.id, k1, rec(thief, time.Hour))},
		{"document altered", rewrap(t, wireHead{V: 1, Type: headType, Publisher: d.id, Authority: tamperedDoc, Signer: pk(k1), Record: rec(k1, time.Hour)})},
		{"wrong type", rewrap(t, wireHead{V: 1, Type: "samizdat/catalog", Publisher: d.id, Authority: doc.Bytes(), Signer: pk(k1), Record: rec(k1, time.Hour)})},
		{"wrong version", rewrap(t, wireHead{V: 2, Type: headType, Publisher: d.id, Authority: doc.Bytes(), Signer: pk(k1), Record: rec(k1, time.Hour)})},
		{"a bare record of a head key", recUnder(k1, time.Hour, nil)},
		{"oversized", make([]byte, maxHeadSize+1)},
		{"a truncated wrapper", h.Bytes()[:len(h.Bytes())-1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseHead(d.id, tt.data); !errors.Is(err, ErrBadHead) {
				t.Errorf("ParseHead() = %v, want ErrBadHead", err)
			}
		})
	}
	// Signing refuses what parsing would.
	if _, err := NewDelegatedHead(k2, doc, catalogCID(t, "c"), 1, time.Hour); !errors.Is(err, bundle.ErrKeyNotAuthorized) {
		t.Errorf("NewDelegatedHead(unlisted key) = %v, want ErrKeyNotAuthorized", err)
	}
	// A validity longer than the key's window is cut to it.
	long, err := NewDelegatedHead(k1, doc, catalogCID(t, "c"), 1, 30*24*time.Hour)
	if err != nil || long.Expires.After(doc.HeadKeys[0].Until) {
		t.Errorf("NewDelegatedHead(long validity) = %+v, %v; want it cut to the window", long, err)
	}
}

// TestSupersedesDocuments: the head rule orders delegated heads by their
// document first, so a revocation ends a leaked key's heads whatever
// sequence they carry.
func TestSupersedesDocuments(t *testing.T) {
	d := newDocs(t, 1)
	k1, k2 := publisherKey(11), publisherKey(12)
	doc1, doc2 := d.doc(1, []ed25519.PrivateKey{k1}), d.doc(2, []ed25519.PrivateKey{k2}, k1)
	doc2b := d.doc(2, []ed25519.PrivateKey{k1, k2})
	stolen := d.head(k1, doc1, math.MaxUint64, "thief")
	// k1's window closed an hour ago; k2's is open. A thief with k1 can
	// only sign heads valid until the window's end: already expired.
	closed, err := bundle.NewAuthority(d.root, bundle.AuthorityParams{Seq: 5, HeadKeys: []bundle.HeadKey{
		{Key: k1.Public().(ed25519.PublicKey), Until: time.Now().Add(-time.Hour)},
		{Key: k2.Public().(ed25519.PublicKey), Until: time.Now().Add(time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewDelegatedHead(k1, closed, catalogCID(t, "x"), 9, time.Hour); !errors.Is(err, bundle.ErrKeyNotAuthorized) {
		t.Errorf("NewDelegatedHead() after the key's window = %v, want ErrKeyNotAuthorized", err)
	}
	rec, err := signRecord(k1, catalogCID(t, "thief"), math.MaxUint64, closed.HeadKeys[0].Until, closed)
	if err != nil {
		t.Fatal(err)
	}
	lateTheft, err := WrapRecord(closed, k1.Public().(ed25519.PublicKey), rec)
	if err != nil || !lateTheft.Expired {
		t.Fatalf("a late theft = %+v, %v; want a valid, expired head", lateTheft, err)
	}
	rootHead, err := NewHead(d.root, catalogCID(t, "r"), 1000, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		held, offered *Head
		want          bool
		wantErr       error
	}{
		{"a newer document beats any sequence", stolen, d.head(k2, doc2, 1, "c1"), true, nil},
		{"an older document loses whatever its sequence", d.head(k2, doc2, 1, "c1"), stolen, false, ErrRollback},
		{"a delegated head beats a root-signed one without a document", rootHead, d.head(k1, doc1, 1, "c1"), true, nil},
		{"a root-signed head without a document loses to a delegated one", d.head(k1, doc1, 1, "c1"), rootHead, false, ErrRollback},
		{"two documents with one sequence number", d.head(k2, doc2, 3, "c3"), d.head(k1, doc2b, 4, "c4"), false, ErrEquivocated},
		{"under one document, a higher sequence", d.head(k1, doc1, 3, "c3"), d.head(k1, doc1, 4, "c4"), true, nil},
		{"under one document, equivocation", d.head(k1, doc1, 3, "c3"), d.head(k1, doc1, 3, "evil"), false, ErrEquivocated},
		{"the root signs under the document too", d.head(k1, doc1, 3, "c3"), d.head(d.root, doc1, 4, "c4"), true, nil},
		{"a key leaked after its window closed signs only expired heads, which lose", d.head(k2, closed, 3, "c3"), lateTheft, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Supersedes(tt.held, tt.offered)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Supersedes() = %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestDelegatedHeadWire is the wire form's golden shape: a wrapper that
// starts with a CBOR map, which no IPNS record (a protobuf) does.
func TestDelegatedHeadWire(t *testing.T) {
	d := newDocs(t, 1)
	k1 := publisherKey(11)
	h := d.head(k1, d.doc(1, []ed25519.PrivateKey{k1}), 1, "c1")
	if h.Bytes()[0]&0xe0 != 0xa0 {
		t.Errorf("wrapper starts with %#x, want a CBOR map", h.Bytes()[0])
	}
	root, err := NewHead(d.root, catalogCID(t, "c1"), 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if root.Bytes()[0]&0xe0 == 0xa0 || !bytes.Equal(root.Bytes(), root.Record()) {
		t.Errorf("a root-signed head is not its bare record")
	}
}

var update = flag.Bool("update", false, "rewrite the golden head vectors in testdata/")

// TestHeadVectors: a delegated head and its publisher document, made from
// fixed keys and times, are byte for byte the vectors in testdata/ (a
// change of encoding breaks this test; -update rewrites them after a
// deliberate change), and the vectors parse as they should.
func TestHeadVectors(t *testing.T) {
	seed := func(b byte) ed25519.PrivateKey {
		return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
	}
	root, hk := seed(0xa1), seed(0xa2)
	doc, err := bundle.NewAuthority(root, bundle.AuthorityParams{Seq: 7, Created: time.Unix(1790000000, 0), Name: "Vector News",
		HeadKeys: []bundle.HeadKey{{Key: hk.Public().(ed25519.PublicKey), Until: time.Unix(4000000000, 0)}}})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := signRecord(hk, catalogCID(t, "vector catalog"), 42, time.Unix(3900000000, 0).UTC(), doc)
	if err != nil {
		t.Fatal(err)
	}
	h, err := WrapRecord(doc, hk.Public().(ed25519.PublicKey), rec)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"delegated-head.bin": h.Bytes(), "publisher-document.bin": doc.Bytes()} {
		p := filepath.Join("testdata", name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(data, want) {
			t.Errorf("%s: the encoding changed (%d bytes, want %d)", name, len(data), len(want))
		}
	}
	want, _ := os.ReadFile(filepath.Join("testdata", "delegated-head.bin"))
	got, err := ParseHead(doc.Publisher, want)
	if err != nil || got.Seq != 42 || got.Authority.Seq != 7 || got.Catalog != catalogCID(t, "vector catalog") || !got.Expires.Equal(time.Unix(3900000000, 0)) {
		t.Errorf("ParseHead(vector) = %+v, %v", got, err)
	}
}

// TestGatewayDelegatedHead: a gateway serves a delegated head's record
// under its head key's IPNS name (not the publisher's), the wire form at
// HeadPath, and nothing for a name it holds no head for.
func TestGatewayDelegatedHead(t *testing.T) {
	d := newDocs(t, 1)
	k1 := publisherKey(11)
	h := d.head(k1, d.doc(1, []ed25519.PrivateKey{k1}), 3, "c3")
	n := startNode(t, true)
	if _, err := n.Heads().Offer(h); err != nil {
		t.Fatal(err)
	}
	gw, err := n.Gateway(GatewayConfig{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	get := func(path string) (int, []byte) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	hkName := bundle.PublisherID(k1.Public().(ed25519.PublicKey))
	for _, tt := range []struct {
		name, path string
		want       int
		body       []byte
	}{
		{"the record under the head key's name", "/ipns/" + hkName + "?format=ipns-record", http.StatusOK, h.Record()},
		{"nothing under the publisher's own name", "/ipns/" + d.id + "?format=ipns-record", http.StatusNotFound, nil},
		{"a name no head is valid for", "/ipns/" + bundle.PublisherID(publisherKey(77).Public().(ed25519.PublicKey)) + "?format=ipns-record", http.StatusNotFound, nil},
		{"the wire form", HeadPath + d.id, http.StatusOK, h.Bytes()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(tt.path)
			if code != tt.want || tt.body != nil && !bytes.Equal(body, tt.body) {
				t.Errorf("GET %s = %d (%d bytes), want %d", tt.path, code, len(body), tt.want)
			}
		})
	}
}
