package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"
	"github.com/klauspost/compress/zstd"
)

// forged is a bundle taken apart so a test can change any piece and put
// it back together, re-signed, the way an attacker with a key would.
type forged struct {
	key     ed25519.PrivateKey
	payload bundlePayload
	man     manifest
	pages   [][]entry
	content map[cid.Cid][]byte // content blocks and dictionary
	extra   map[cid.Cid][]byte // authority etc.

	// Hooks to damage the result after signing.
	mutateEnvelope func(*envelope)
	rootCodec      uint64 // 0: dag-cbor
	manifestRaw    bool   // link the manifest as a raw block
	omit           map[cid.Cid]bool
	// rawEntries replaces page i's entries with these bytes (before
	// compression), for entries the encoder would never write; the page
	// links rawBlocks.
	rawEntries map[int][]byte
	rawBlocks  []cid.Cid
}

// takeApart opens a bundle made by the packer and returns its pieces.
func takeApart(t testing.TB, data []byte, key ed25519.PrivateKey) *forged {
	t.Helper()
	b, err := openBytes(data, OpenOptions{})
	if err != nil {
		t.Fatalf("open the bundle to take apart: %v", err)
	}
	f := &forged{key: key, content: map[cid.Cid][]byte{}, extra: map[cid.Cid][]byte{}, omit: map[cid.Cid]bool{}}
	car := b.src.(*carSource)
	get := func(c cid.Cid) []byte {
		buf, err := car.get(c, MaxBlockSize, nil)
		if err != nil {
			t.Fatal(err)
		}
		return buf
	}
	env, err := DecodeDAGCBOR[envelope](protoEnvelope, get(b.Root), "envelope")
	if err != nil {
		t.Fatal(err)
	}
	f.payload = env.Payload
	m, err := DecodeDAGCBOR[manifest](protoManifest, get(b.manifest), "manifest")
	if err != nil {
		t.Fatal(err)
	}
	f.man = *m
	dec, _ := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxPageRaw))
	defer dec.Close()
	for _, pc := range m.Pages {
		pg, err := decodePage(get(pc), dec)
		if err != nil {
			t.Fatal(err)
		}
		f.pages = append(f.pages, pg)
	}
	for _, c := range car.order {
		if c.Prefix().Codec == cid.Raw {
			f.content[c] = get(c)
		} else if f.payload.Authority != nil && c.Equals(*f.payload.Authority) {
			f.extra[c] = get(c)
		}
	}
	return f
}

// build re-encodes the pages and manifest, signs the payload and writes
// the CAR.
func (f *forged) build(t testing.TB) []byte {
	t.Helper()
	type blk struct {
		c    cid.Cid
		data []byte
	}
	var blocks []blk
	f.man.Pages = nil
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	defer enc.Close()
	for i := range f.pages {
		c, data, err := encodePage(f.pages[i], enc)
		if raw, ok := f.rawEntries[i]; ok {
			c, data, err = makeBlock(&page{Blocks: append([]cid.Cid{}, f.rawBlocks...), Entries: enc.EncodeAll(raw, nil)}, protoPage)
		}
		if err != nil {
			t.Fatal(err)
		}
		f.man.Pages = append(f.man.Pages, c)
		blocks = append(blocks, blk{c, data})
	}
	mc, mdata, err := makeBlock(&f.man, protoManifest)
	if err != nil {
		t.Fatal(err)
	}
	if f.manifestRaw {
		mc, _ = PrefixRaw.Sum(mdata)
	}
	blocks = append(blocks, blk{mc, mdata})
	f.payload.Manifest = mc
	msg, err := encodeNode(&f.payload, protoBundlePayload)
	if err != nil {
		t.Fatal(err)
	}
	env := envelope{Payload: f.payload, Sig: ed25519.Sign(f.key, append([]byte(sigContextBundle), msg...))}
	if f.mutateEnvelope != nil {
		f.mutateEnvelope(&env)
	}
	edata, err := encodeNode(&env, protoEnvelope)
	if err != nil {
		t.Fatal(err)
	}
	pfx := PrefixDAGCBOR
	if f.rootCodec != 0 {
		pfx.Codec = f.rootCodec
	}
	root, err := pfx.Sum(edata)
	if err != nil {
		t.Fatal(err)
	}
	blocks = append([]blk{{root, edata}}, blocks...)
	for c, d := range f.extra {
		blocks = append(blocks, blk{c, d})
	}
	for c, d := range f.content {
		blocks = append(blocks, blk{c, d})
	}
	var buf bytes.Buffer
	car, err := storage.NewWritable(&buf, []cid.Cid{root}, carv2.WriteAsCarV1(true))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if f.omit[b.c] {
			continue
		}
		if err := car.Put(context.Background(), b.c.KeyString(), b.data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// putContent adds a content block and returns its CID.
func (f *forged) putContent(t testing.TB, data []byte) cid.Cid {
	t.Helper()
	c, err := PrefixRaw.Sum(data)
	if err != nil {
		t.Fatal(err)
	}
	f.content[c] = data
	return c
}
