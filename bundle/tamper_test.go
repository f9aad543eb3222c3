package bundle

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/klauspost/compress/zstd"
)

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// tamperCase is a bundle file and what opening and verifying it gives.
type tamperCase struct {
	name string
	data []byte
	opts OpenOptions
	want error // nil: the bundle verifies
}

// tamperCases are the bundles TestTamper checks, and TestTamperVectors
// writes out for the browser reader.
func tamperCases(t *testing.T) []tamperCase {
	t.Helper()
	root, daily, daily2, attacker := testKey(1), testKey(2), testKey(3), testKey(9)
	rootID := PublisherID(pub(root))
	auth1, err := NewAuthority(root, AuthorityParams{Seq: 1, Created: testTime, Name: "Test News", Keys: []ed25519.PublicKey{pub(daily)}})
	if err != nil {
		t.Fatal(err)
	}
	auth2, err := NewAuthority(root, AuthorityParams{Seq: 2, Created: testTime, Keys: []ed25519.PublicKey{pub(daily2)},
		Revoked: []Revocation{{Key: pub(daily), After: 7}}})
	if err != nil {
		t.Fatal(err)
	}
	arts := testArticles(6)
	arts[0].Attachments = []Attachment{{Name: "img/a.png", ContentType: "image/png", Data: []byte("not really a png")}}
	good := packBytes(t, PackOptions{Key: root, Seq: 7, Created: testTime}, arts)
	byDaily := packBytes(t, PackOptions{Key: daily, Authority: auth1, Seq: 7, Created: testTime}, arts)
	byDailyLater := packBytes(t, PackOptions{Key: daily, Authority: auth1, Seq: 8, Created: testTime}, arts)
	clustered := packBytes(t, PackOptions{Key: root, Seq: 7, Created: testTime, Cluster: 64 << 10}, arts)

	forge := func(data []byte, key ed25519.PrivateKey, change func(f *forged)) []byte {
		f := takeApart(t, data, key)
		change(f)
		return f.build(t)
	}
	firstBlock := func(f *forged) *span { return &f.pages[0][0].Body[0] }
	zstdFrame := func(content []byte, o ...zstd.EOption) []byte {
		enc, err := zstd.NewWriter(nil, append([]zstd.EOption{zstd.WithEncoderConcurrency(1)}, o...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		return enc.EncodeAll(content, nil)
	}

	return []tamperCase{
		{"truncated mid-block", good[:len(good)-10], OpenOptions{}, ErrTruncated},
		{"truncated in header", good[:20], OpenOptions{}, ErrTruncated},
		{"empty file", nil, OpenOptions{}, ErrTruncated},
		{"not a CAR", []byte("\x0a<html>blocked</html>"), OpenOptions{}, ErrMalformed},
		{"body block bit-flipped", flipLast(good), OpenOptions{}, ErrHashMismatch},
		{"block missing", forge(good, root, func(f *forged) { f.omit[firstBlock(f).Block] = true }), OpenOptions{}, ErrMissingBlock},
		{"re-signed by another key, same publisher", forge(good, attacker, func(f *forged) { f.payload.Signer = pub(attacker) }), OpenOptions{}, ErrKeyNotAuthorized},
		{"re-signed as another publisher", forge(good, attacker, func(f *forged) {
			f.payload.Signer, f.payload.Publisher = pub(attacker), PublisherID(pub(attacker))
		}), OpenOptions{Publisher: rootID}, ErrWrongPublisher},
		{"signature broken", forge(good, root, func(f *forged) { f.mutateEnvelope = func(e *envelope) { e.Sig[0] ^= 1 } }), OpenOptions{}, ErrBadSignature},
		{"signed field changed after signing", forge(good, root, func(f *forged) { f.mutateEnvelope = func(e *envelope) { e.Payload.Seq++ } }), OpenOptions{}, ErrBadSignature},
		{"revoked key, bundle carries old document", byDailyLater, OpenOptions{Authority: auth2}, ErrKeyRevoked},
		{"revoked key, bundle carries revoking document", forge(byDailyLater, daily, func(f *forged) {
			c := auth2.CID()
			f.payload.Authority = &c
			f.extra = map[cid.Cid][]byte{c: auth2.Bytes()}
		}), OpenOptions{}, ErrKeyRevoked},
		{"delegated key without document", forge(byDaily, daily, func(f *forged) { f.payload.Authority, f.extra = nil, nil }), OpenOptions{}, ErrKeyNotAuthorized},
		{"future format version", forge(good, root, func(f *forged) { f.payload.V = 2 }), OpenOptions{}, ErrUnsupportedVersion},
		{"future manifest version", forge(good, root, func(f *forged) { f.man.V = 9 }), OpenOptions{}, ErrUnsupportedVersion},
		{"manifest block cid lies", forge(good, root, func(f *forged) {
			firstBlock(f).Block = f.putContent(t, []byte("other")) // present, but not this article
			delete(f.content, firstBlock(f).Block)
		}), OpenOptions{}, ErrMissingBlock},
		{"manifest content cid lies", forge(good, root, func(f *forged) {
			f.pages[0][0].Cid, _ = PrefixRaw.Sum([]byte("something else"))
		}), OpenOptions{}, ErrHashMismatch},
		{"manifest size lies", forge(good, root, func(f *forged) { f.pages[0][0].Size++ }), OpenOptions{}, ErrSizeMismatch},
		{"envelope article count lies", forge(good, root, func(f *forged) { f.payload.Articles-- }), OpenOptions{}, ErrSizeMismatch},
		{"envelope byte count lies", forge(good, root, func(f *forged) { f.payload.Bytes++ }), OpenOptions{}, ErrSizeMismatch},
		{"declared block size lies low", forge(good, root, func(f *forged) {
			s := firstBlock(f)
			s.Raw, s.Len = s.Raw-1, s.Len-1
			f.pages[0][0].Size--
			f.payload.Bytes--
		}), OpenOptions{}, ErrSizeMismatch},
		{"root block is raw, not dag-cbor", forge(good, root, func(f *forged) { f.rootCodec = cid.Raw }), OpenOptions{}, ErrWrongType},
		{"envelope of another type", forge(good, root, func(f *forged) { f.payload.Type = typeAuthority }), OpenOptions{}, ErrWrongType},
		{"manifest link to a raw block", forge(good, root, func(f *forged) { f.manifestRaw = true }), OpenOptions{}, ErrWrongType},
		{"content block is dag-cbor", forge(good, root, func(f *forged) {
			c, data, _ := makeBlock(&manifest{V: 1, Pages: []cid.Cid{}}, protoManifest)
			f.extra[c] = data
			firstBlock(f).Block = c
		}), OpenOptions{}, ErrWrongType},
		{"zstd frame expands past declared size", forge(good, root, func(f *forged) {
			s := firstBlock(f)
			s.Block = f.putContent(t, zstdFrame(bytes.Repeat([]byte("A"), int(s.Raw)*50)))
		}), OpenOptions{}, ErrSizeMismatch},
		{"zstd frame with a huge window", forge(good, root, func(f *forged) {
			s := firstBlock(f)
			frame := zstdFrame(bytes.Repeat([]byte("B"), int(s.Raw)), zstd.WithSingleSegment(false))
			var h zstd.Header
			if err := h.Decode(frame); err != nil || h.SingleSegment || frame[4]&0x03 != 0 {
				t.Fatalf("want a frame with a window descriptor and no dictionary id: %v %+v", err, h)
			}
			frame[5] = 19 << 3 // window descriptor: 2^(10+19) = 512 MiB
			s.Block = f.putContent(t, frame)
		}), OpenOptions{}, ErrTooLarge},
		{"zstd frame followed by another frame", forge(good, root, func(f *forged) {
			s := firstBlock(f)
			frame := append(bytes.Clone(f.content[s.Block]), 0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0) // skippable frame
			s.Block = f.putContent(t, frame)
		}), OpenOptions{}, ErrMalformed},
		{"root-signed bundle with a dangling publisher document link", forge(good, root, func(f *forged) {
			c, _ := PrefixDAGCBOR.Sum([]byte("nowhere"))
			f.payload.Authority = &c
		}), OpenOptions{}, ErrMissingBlock},
		{"CARv2 container", carV2(t, good), OpenOptions{}, ErrUnsupportedVersion},
		{"cluster span outside its block", forge(clustered, root, func(f *forged) { firstBlock(f).Off = firstBlock(f).Raw }), OpenOptions{}, ErrSizeMismatch},
		{"attachment name escapes", forge(good, root, func(f *forged) {
			for i := range f.pages[0] {
				if len(f.pages[0][i].Attachments) > 0 {
					f.pages[0][i].Attachments[0].Name = "../../etc/cron.d/x"
				}
			}
		}), OpenOptions{}, ErrUnsafePath},
		{"duplicate article id", forge(good, root, func(f *forged) { f.pages[0][1].Id = f.pages[0][0].Id }), OpenOptions{}, ErrDuplicateID},
		{"old bundle of a retired key stays valid", byDaily, OpenOptions{Authority: auth2}, nil},
	}
}

// TestTamper: every way section 6 of the bundle issue lists to damage or
// forge a bundle is rejected with its own sentinel error.
func TestTamper(t *testing.T) {
	for _, tc := range tamperCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			err := openAndVerify(tc.data, tc.opts)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Open+Verify() = %v, want success", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open+Verify() = %v, want %v", err, tc.want)
			}
			if !errors.Is(err, ErrInvalid) && tc.want != ErrUnsafePath {
				t.Errorf("Open+Verify() = %v, which does not match ErrInvalid", err)
			}
		})
	}
}

func openAndVerify(data []byte, opts OpenOptions) error {
	b, err := openBytes(data, opts)
	if err != nil {
		return err
	}
	defer b.Close()
	return b.Verify()
}

// flipLast flips a bit in the last block's data: a body block.
func flipLast(data []byte) []byte {
	out := bytes.Clone(data)
	out[len(out)-3] ^= 0x10
	return out
}

// TestBitFlipAnywhere flips every bit position (one byte at a time, one bit
// each) of a small bundle: no flip may pass Open and Verify.
func TestBitFlipAnywhere(t *testing.T) {
	data := packBytes(t, PackOptions{Key: testKey(1), Seq: 3, Created: testTime, NoDict: true}, testArticles(3))
	for i := range data {
		for _, bit := range []byte{0x01, 0x80} {
			d := bytes.Clone(data)
			d[i] ^= bit
			err := openAndVerify(d, OpenOptions{Publisher: PublisherID(pub(testKey(1)))})
			if err == nil {
				t.Fatalf("flip of bit %#x at byte %d of %d went unnoticed", bit, i, len(data))
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("flip at byte %d: error %v does not match ErrInvalid", i, err)
			}
		}
	}
}

// carV2 wraps a CARv1 in a CARv2 with the go-car library.
func carV2(t *testing.T, v1 []byte) []byte {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "v1.car"), filepath.Join(dir, "v2.car")
	if err := os.WriteFile(in, v1, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := carv2.WrapV1File(in, out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestBlockServesOnlySignedBlocks: a block a carrier added to the file is
// not served.
func TestBlockServesOnlySignedBlocks(t *testing.T) {
	data := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, testArticles(3))
	f := takeApart(t, data, testKey(1))
	smuggled := f.putContent(t, []byte("smuggled content"))
	b, err := openBytes(f.build(t), OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Block(smuggled); !errors.Is(err, ErrNotFound) {
		t.Errorf("Block(smuggled) = %v, want ErrNotFound", err)
	}
	for _, c := range b.Blocks() {
		if c.Equals(smuggled) {
			t.Errorf("Blocks() lists the smuggled block")
		}
		if _, err := b.Block(c); err != nil {
			t.Errorf("Block(%s) = %v", c, err)
		}
	}
}

// TestPageStrictness: a page may not link blocks its entries do not use,
// nor carry entries in a second encoding.
func TestPageStrictness(t *testing.T) {
	data := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, testArticles(3))
	f := takeApart(t, data, testKey(1))
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	defer enc.Close()
	dec, _ := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxPageRaw), zstd.WithDecodeAllCapLimit(true))
	defer dec.Close()
	_, good, err := encodePage(f.pages[0], enc)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := DecodeDAGCBOR[page](protoPage, good, "manifest page")
	if err != nil {
		t.Fatal(err)
	}
	extra, _ := PrefixRaw.Sum([]byte("unused"))
	pg.Blocks = append(pg.Blocks, extra)
	_, unused, err := makeBlock(pg, protoPage)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodePage(unused, dec); !errors.Is(err, ErrMalformed) {
		t.Errorf("decodePage(page with an unused link) = %v, want ErrMalformed", err)
	}
	// The same entries with one integer in a longer encoding.
	pg.Blocks = pg.Blocks[:len(pg.Blocks)-1]
	raw, err := dec.DecodeAll(pg.Entries, make([]byte, 0, MaxPageRaw))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(raw, []byte{0x85, 0x00}) // a span (array of 5) naming block 0
	if i < 0 {
		t.Fatal("no span in the entries")
	}
	long := append(append(append([]byte{}, raw[:i+1]...), 0x18, 0x00), raw[i+2:]...)
	pg.Entries = enc.EncodeAll(long, nil)
	_, noncanon, err := makeBlock(pg, protoPage)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodePage(noncanon, dec); !errors.Is(err, ErrMalformed) {
		t.Errorf("decodePage(non-shortest integer) = %v, want ErrMalformed", err)
	}
}
