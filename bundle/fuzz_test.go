package bundle

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/klauspost/compress/zstd"
)

func seedBundles(f *testing.F) [][]byte {
	arts := testArticles(4)
	arts[0].Attachments = []Attachment{{Name: "a.png", ContentType: "image/png", Data: []byte("png")}}
	auth, err := NewAuthority(testKey(1), AuthorityParams{Seq: 1, Keys: []ed25519.PublicKey{pub(testKey(2))}})
	if err != nil {
		f.Fatal(err)
	}
	return [][]byte{
		packBytes(f, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, arts),
		packBytes(f, PackOptions{Key: testKey(1), Seq: 2, Created: testTime, Cluster: 1 << 12}, arts),
		packBytes(f, PackOptions{Key: testKey(2), Authority: auth, Seq: 3, Created: testTime}, arts),
	}
}

// FuzzOpen feeds arbitrary bytes to the whole reader. Whatever it accepts
// must be fully readable and consistent with its own manifest.
func FuzzOpen(f *testing.F) {
	for _, s := range seedBundles(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := openBytes(data, OpenOptions{})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Open() error %v does not match ErrInvalid", err)
			}
			return
		}
		defer b.Close()
		if b.Verify() != nil {
			return
		}
		var total int64
		for _, a := range b.List() {
			body, err := b.Body(a.ID)
			if err != nil || int64(len(body)) != a.Size {
				t.Fatalf("verified bundle: Body(%q) = %d bytes, %v; manifest says %d", a.ID, len(body), err, a.Size)
			}
			total += a.Size
			for _, at := range a.Attachments {
				total += at.Size
			}
		}
		if total != b.Bytes {
			t.Fatalf("verified bundle holds %d bytes, envelope says %d", total, b.Bytes)
		}
	})
}

// The inner decoders: signatures make outer fuzzing shallow, so each
// decoder of signed-over bytes is fuzzed on its own, with a round trip.
func seedObjects(f *testing.F, codec uint64) [][]byte {
	var out [][]byte
	for _, data := range seedBundles(f) {
		b, err := openBytes(data, OpenOptions{})
		if err != nil {
			f.Fatal(err)
		}
		for _, c := range b.src.(*carSource).order {
			if c.Prefix().Codec == codec {
				blk, err := b.Block(c)
				if err != nil {
					f.Fatal(err)
				}
				out = append(out, blk)
			}
		}
	}
	return out
}

func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range seedObjects(f, cid.DagCBOR) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxEnvelopeSize {
			return
		}
		checkVersion(data)
		v, err := DecodeDAGCBOR[envelope](protoEnvelope, data, "envelope")
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeDAGCBOR() error %v does not match ErrMalformed", err)
			}
			return
		}
		// Accepted means canonical: the value encodes to the same bytes.
		again, err := encodeNode(v, protoEnvelope)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("envelope round trip failed: %v", err)
		}
	})
}

func FuzzDecodeManifest(f *testing.F) {
	for _, s := range seedObjects(f, cid.DagCBOR) {
		f.Add(s)
	}
	pageDec, _ := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxPageRaw), zstd.WithDecodeAllCapLimit(true))
	pageEnc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxBlockSize {
			return
		}
		if m, err := DecodeDAGCBOR[manifest](protoManifest, data, "manifest"); err == nil {
			if again, err := encodeNode(m, protoManifest); err != nil || !bytes.Equal(again, data) {
				t.Fatalf("manifest round trip failed: %v", err)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("DecodeDAGCBOR() error %v does not match ErrMalformed", err)
		}
		entries, err := decodePage(data, pageDec)
		if err != nil {
			return
		}
		_, again, err := encodePage(entries, pageEnc)
		if err != nil {
			t.Fatalf("re-encode a decoded page: %v", err)
		}
		back, err := decodePage(again, pageDec)
		if err != nil || len(back) != len(entries) {
			t.Fatalf("page round trip failed: %v", err)
		}
	})
}

func FuzzParseAuthority(f *testing.F) {
	auth, err := NewAuthority(testKey(1), AuthorityParams{Seq: 4, Name: "News", Keys: []ed25519.PublicKey{pub(testKey(2))},
		Revoked: []Revocation{{Key: pub(testKey(3)), After: 2}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(auth.Bytes())
	withHeads, err := NewAuthority(testKey(1), AuthorityParams{Seq: 5, Keys: []ed25519.PublicKey{pub(testKey(2))},
		HeadKeys: []HeadKey{{Key: pub(testKey(4)), Until: time.Unix(1900000000, 0)}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(withHeads.Bytes())
	withMirrors, err := NewAuthority(testKey(1), AuthorityParams{Seq: 6, Mirrors: []string{"https://m.example/n", "/ip4/127.0.0.1/tcp/443/tls/ws"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(withMirrors.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAuthorityFile(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseAuthorityFile() error %v does not match ErrInvalid", err)
			}
			return
		}
		if a.Publisher == "" || a.Seq == 0 {
			t.Fatalf("accepted document with empty fields: %+v", a)
		}
	})
}

// FuzzBlockContent fuzzes the zstd path: any frame, any declared size.
func FuzzBlockContent(f *testing.F) {
	data := seedBundles(f)[0]
	b, err := openBytes(data, OpenOptions{})
	if err != nil {
		f.Fatal(err)
	}
	e := b.entries[0]
	blk, _ := b.Block(e.Body[0].Block)
	f.Add(blk, e.Body[0].Raw)
	f.Fuzz(func(t *testing.T, frame []byte, declared int64) {
		if declared < 0 || declared > MaxBlockRaw || len(frame) > MaxBlockSize {
			return
		}
		c, _ := PrefixRaw.Sum(frame)
		src := &carSource{r: bytes.NewReader(frame), blocks: map[cid.Cid]blockLoc{c: {0, len(frame)}}}
		bb := &Bundle{src: src, dec: b.dec, dictID: b.dictID}
		raw, err := bb.blockContent(span{Block: c, Enc: encZstd, Raw: declared, Len: declared})
		if err == nil && int64(len(raw)) != declared {
			t.Fatalf("blockContent returned %d bytes, declared %d", len(raw), declared)
		}
	})
}
