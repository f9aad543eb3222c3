package bundle

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/node/bindnode"
	mh "github.com/multiformats/go-multihash"
)

func TestDAGCBORRoundTrip(t *testing.T) {
	dict, _ := PrefixRaw.Sum([]byte("dictionary"))
	page, _ := PrefixDAGCBOR.Sum([]byte("page"))
	want := &manifest{V: FormatVersion, Dict: &dict, Pages: []cid.Cid{page}}
	data, err := EncodeDAGCBOR(bindnode.Wrap(want, protoManifest.Type()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeDAGCBOR[manifest](protoManifest, data, "manifest")
	if err != nil {
		t.Fatalf("DecodeDAGCBOR() = %v", err)
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(cid.Cid.Equals)); diff != "" {
		t.Errorf("DecodeDAGCBOR() mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeDAGCBORRejects(t *testing.T) {
	// {"v": 1, "pages": []}: the canonical encoding, and others that the
	// strict decoder alone takes.
	canonical := []byte{0xa2, 0x61, 'v', 0x01, 0x65, 'p', 'a', 'g', 'e', 's', 0x80}
	if _, err := DecodeDAGCBOR[manifest](protoManifest, canonical, "manifest"); err != nil {
		t.Fatalf("DecodeDAGCBOR(canonical) = %v", err)
	}
	keysOutOfOrder := []byte{0xa2, 0x65, 'p', 'a', 'g', 'e', 's', 0x80, 0x61, 'v', 0x01}
	if err := decodeOptions(len(keysOutOfOrder)).Decode(protoManifest.Representation().NewBuilder(), bytes.NewReader(keysOutOfOrder)); err != nil {
		t.Fatalf("the strict decoder refuses keys out of order (%v): the canonical check is untested", err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"keys out of order", keysOutOfOrder},
		{"non-shortest integer", []byte{0xa2, 0x61, 'v', 0x18, 0x01, 0x65, 'p', 'a', 'g', 'e', 's', 0x80}},
		{"trailing bytes", append(bytes.Clone(canonical), 0x00)},
		{"truncated", canonical[:len(canonical)-1]},
		{"empty", nil},
		{"a list, not a map", []byte{0x80}},
		{"a missing field", []byte{0xa1, 0x61, 'v', 0x01}},
		{"an unknown field", []byte{0xa3, 0x61, 'v', 0x01, 0x61, 'x', 0x01, 0x65, 'p', 'a', 'g', 'e', 's', 0x80}},
		{"a list declaring 2^32 entries", []byte{0xa2, 0x61, 'v', 0x01, 0x65, 'p', 'a', 'g', 'e', 's', 0x9b, 0, 0, 0, 1, 0, 0, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeDAGCBOR[manifest](protoManifest, tc.data, "manifest"); !errors.Is(err, ErrMalformed) {
				t.Errorf("DecodeDAGCBOR() = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestCheckBlock(t *testing.T) {
	data := []byte("a block")
	cbor, _ := PrefixDAGCBOR.Sum(data)
	raw, _ := PrefixRaw.Sum(data)
	v0, _ := cid.Prefix{Version: 0, Codec: cid.DagProtobuf, MhType: mh.SHA2_256, MhLength: -1}.Sum(data)
	sha512, _ := cid.Prefix{Version: 1, Codec: cid.Raw, MhType: mh.SHA2_512, MhLength: -1}.Sum(data)
	short, _ := cid.Prefix{Version: 1, Codec: cid.Raw, MhType: mh.SHA2_256, MhLength: 4}.Sum(data)
	tests := []struct {
		name  string
		c     cid.Cid
		data  []byte
		codec uint64 // for checkBlockOf; 0 to skip
		want  error
	}{
		{"dag-cbor", cbor, data, cid.DagCBOR, nil},
		{"raw", raw, data, cid.Raw, nil},
		{"other bytes", raw, []byte("another block"), cid.Raw, ErrHashMismatch},
		{"no bytes", cbor, nil, cid.DagCBOR, ErrHashMismatch},
		{"CIDv0", v0, data, 0, ErrWrongType},
		{"sha2-512", sha512, data, 0, ErrWrongType},
		{"truncated digest", short, data, 0, ErrWrongType},
		{"undefined", cid.Undef, data, 0, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckBlock(tc.c, tc.data); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Errorf("CheckBlock() = %v, want %v", err, tc.want)
			}
			if tc.codec == 0 {
				return
			}
			if err := checkBlockOf(tc.c, tc.data, tc.codec); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Errorf("checkBlockOf(its codec) = %v, want %v", err, tc.want)
			}
			other := uint64(cid.Raw)
			if tc.codec == cid.Raw {
				other = cid.DagCBOR
			}
			if err := checkBlockOf(tc.c, tc.data, other); !errors.Is(err, ErrWrongType) {
				t.Errorf("checkBlockOf(another codec) = %v, want ErrWrongType", err)
			}
		})
	}
}

// TestCIDForms: the byte-level tests of a CID's form (sha256Digest,
// isRawSHA256, the fast path of CheckBlock) agree with the same tests
// made on the parsed prefix, for CIDs of every form.
func TestCIDForms(t *testing.T) {
	data := []byte("block")
	sum := func(p cid.Prefix) cid.Cid {
		c, err := p.Sum(data)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for name, c := range map[string]cid.Cid{
		"raw sha2-256":            sum(PrefixRaw),
		"dag-cbor sha2-256":       sum(PrefixDAGCBOR),
		"v0":                      sum(cid.Prefix{Version: 0, Codec: cid.DagProtobuf, MhType: mh.SHA2_256, MhLength: -1}),
		"dag-json (2-byte codec)": sum(cid.Prefix{Version: 1, Codec: cid.DagJSON, MhType: mh.SHA2_256, MhLength: -1}),
		"sha2-256 cut to 20":      sum(cid.Prefix{Version: 1, Codec: cid.Raw, MhType: mh.SHA2_256, MhLength: 20}),
		"sha2-512":                sum(cid.Prefix{Version: 1, Codec: cid.Raw, MhType: mh.SHA2_512, MhLength: -1}),
		"blake2b-256":             sum(cid.Prefix{Version: 1, Codec: cid.Raw, MhType: mh.BLAKE2B_MIN + 31, MhLength: -1}),
		"identity of 32 bytes":    cid.NewCidV1(cid.Raw, append([]byte{mh.IDENTITY, 32}, bytes.Repeat([]byte{1}, 32)...)),
		"undefined":               cid.Undef,
	} {
		t.Run(name, func(t *testing.T) {
			var p cid.Prefix
			if c.Defined() {
				p = c.Prefix()
			}
			sha := c.Defined() && p.Version == 1 && p.MhType == mh.SHA2_256 && p.MhLength == 32
			digest, ok := sha256Digest(c)
			if ok != (sha && p.Codec < 0x80) {
				t.Errorf("sha256Digest() ok = %v, prefix %+v", ok, p)
			}
			if ok {
				if dm, _ := mh.Decode(c.Hash()); digest != string(dm.Digest) {
					t.Errorf("sha256Digest() = %x, want %x", digest, dm.Digest)
				}
			}
			if got, want := isRawSHA256(c), sha && p.Codec == cid.Raw; got != want {
				t.Errorf("isRawSHA256() = %v, want %v", got, want)
			}
			if sha {
				if err := CheckBlock(c, data); err != nil {
					t.Errorf("CheckBlock(its block) = %v", err)
				}
				if err := CheckBlock(c, []byte("other")); !errors.Is(err, ErrHashMismatch) {
					t.Errorf("CheckBlock(other bytes) = %v, want ErrHashMismatch", err)
				}
			}
			for _, codec := range []uint64{cid.Raw, cid.DagCBOR} {
				err := checkBlockOf(c, data, codec)
				if c.Defined() && p.Codec != codec && !errors.Is(err, ErrWrongType) {
					t.Errorf("checkBlockOf(codec 0x%x) = %v, want ErrWrongType", codec, err)
				}
				if sha && p.Codec == codec && err != nil {
					t.Errorf("checkBlockOf(codec 0x%x) = %v", codec, err)
				}
			}
		})
	}
}
