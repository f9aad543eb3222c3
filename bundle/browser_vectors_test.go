package bundle

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/klauspost/compress/zstd"
	"github.com/multiformats/go-multibase"
	"github.com/multiformats/go-varint"
)

var updateTamper = flag.Bool("update-tamper", false, "rewrite the browser reader's tamper vectors in testdata/tamper")

// tamperDir holds the damaged and forged bundles the browser reader
// (web/reader) must reject with the same error as this package.
var tamperDir = filepath.Join("testdata", "tamper")

// tamperVector describes one file of tamperDir in cases.json.
type tamperVector struct {
	Name string `json:"name"`
	File string `json:"file"`
	// Want is the sentinel's name (ErrMalformed, ...) or "ok".
	Want string `json:"want"`
	// Publisher is the pinned publisher, "" for none.
	Publisher string `json:"publisher"`
	// Authority is the file of the publisher document the reader already
	// trusts, "" for none.
	Authority string `json:"authority"`
}

// sentinelNames names the errors a vector may want, most specific first:
// an unsafe attachment name matches both ErrUnsafePath and ErrMalformed.
var sentinelNames = []struct {
	name string
	err  error
}{
	{"ErrUnsafePath", ErrUnsafePath}, {"ErrTruncated", ErrTruncated}, {"ErrMalformed", ErrMalformed},
	{"ErrHashMismatch", ErrHashMismatch}, {"ErrMissingBlock", ErrMissingBlock}, {"ErrWrongType", ErrWrongType},
	{"ErrUnsupportedVersion", ErrUnsupportedVersion}, {"ErrBadSignature", ErrBadSignature},
	{"ErrWrongPublisher", ErrWrongPublisher}, {"ErrKeyNotAuthorized", ErrKeyNotAuthorized},
	{"ErrKeyRevoked", ErrKeyRevoked}, {"ErrSizeMismatch", ErrSizeMismatch}, {"ErrTooLarge", ErrTooLarge},
	{"ErrDuplicateID", ErrDuplicateID}, {"ErrBadKey", ErrBadKey},
}

func sentinelName(err error) string {
	if err == nil {
		return "ok"
	}
	for _, s := range sentinelNames {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return "unknown: " + err.Error()
}

// TestTamperVectors writes every case of TestTamper, and of the page and
// browser cases below, to testdata/tamper (with -update-tamper), as NN.car
// and cases.json; a case with a known publisher document has it in NN.doc.
// Without the flag it makes them again and fails if a stored file
// differs, so the vectors cannot drift from what this package does. Each
// vector is checked here to give its want, on the bytes stored.
func TestTamperVectors(t *testing.T) {
	cases := slices.Concat(tamperCases(t), pageStrictnessCases(t), browserCases(t))
	files := map[string][]byte{}
	var index []tamperVector
	for i, tc := range cases {
		data := stableBlockOrder(t, tc.data)
		if err := openAndVerify(data, tc.opts); sentinelName(err) != sentinelName(tc.want) {
			t.Errorf("%s: Open+Verify() = %v, want %v", tc.name, err, tc.want)
		}
		v := tamperVector{Name: tc.name, File: fmt.Sprintf("%02d.car", i), Want: sentinelName(tc.want), Publisher: tc.opts.Publisher}
		files[v.File] = data
		if tc.opts.Authority != nil {
			v.Authority = fmt.Sprintf("%02d.doc", i)
			files[v.Authority] = tc.opts.Authority.Bytes()
		}
		index = append(index, v)
	}
	js, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	files["cases.json"] = append(js, '\n')

	if *updateTamper {
		if err := os.RemoveAll(tamperDir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(tamperDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(tamperDir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	stored, err := os.ReadDir(tamperDir)
	if err != nil {
		t.Fatalf("%v (run go test ./bundle -run TestTamperVectors -update-tamper)", err)
	}
	for _, de := range stored {
		if _, ok := files[de.Name()]; !ok {
			t.Errorf("%s: not a vector this test makes (run with -update-tamper)", de.Name())
		}
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(tamperDir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the test makes (err %v; run with -update-tamper)", name, err)
		}
	}
}

// stableBlockOrder rewrites a CARv1 file that parses whole with the root
// block first and the others by CID (a stable sort, so a repeated block
// keeps its first copy first): forged bundles are written from maps, in
// an order that changes from run to run. Verification does not depend on
// the order (bundle-format.md §4), and the caller checks the result.
// Anything else is returned as it is.
func stableBlockOrder(t *testing.T, data []byte) []byte {
	root, blocks, ok := carSections(data)
	if !ok {
		return data
	}
	sort.SliceStable(blocks, func(i, j int) bool {
		ri, rj := blocks[i].c.Equals(root), blocks[j].c.Equals(root)
		if ri != rj {
			return ri
		}
		return bytes.Compare(blocks[i].c.Bytes(), blocks[j].c.Bytes()) < 0
	})
	return carBytes(t, root, blocks)
}

type carBlock struct {
	c    cid.Cid
	data []byte
}

// carSections returns the blocks of a CARv1 file with the canonical
// header for one root, or ok false.
func carSections(data []byte) (root cid.Cid, blocks []carBlock, ok bool) {
	br, err := carv2.NewBlockReader(bytes.NewReader(data), carv2.MaxAllowedSectionSize(MaxBlockSize+128))
	if err != nil || br.Version != 1 || len(br.Roots) != 1 {
		return cid.Undef, nil, false
	}
	if h, err := carHeader(br.Roots[0]); err != nil || !bytes.HasPrefix(data, h) {
		return cid.Undef, nil, false
	}
	for {
		b, err := br.Next()
		if err == io.EOF {
			return br.Roots[0], blocks, true
		}
		if err != nil {
			return cid.Undef, nil, false
		}
		blocks = append(blocks, carBlock{b.Cid(), b.RawData()})
	}
}

// carBytes writes a CARv1 file: the canonical header for root, then the
// blocks as they are, unchecked.
func carBytes(t *testing.T, root cid.Cid, blocks []carBlock) []byte {
	t.Helper()
	out, err := carHeader(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		out = append(out, varint.ToUvarint(uint64(b.c.ByteLen()+len(b.data)))...)
		out = append(append(out, b.c.Bytes()...), b.data...)
	}
	return out
}

// pageStrictnessCases are TestPageStrictness's pages in whole bundles.
func pageStrictnessCases(t *testing.T) []tamperCase {
	good := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, testArticles(3))
	withEntries := func(change func(blocks []cid.Cid, raw []byte) ([]cid.Cid, []byte)) []byte {
		f := takeApart(t, good, testKey(1))
		blocks, raw := pageParts(t, f.pages[0])
		f.rawBlocks, raw = change(blocks, raw)
		f.rawEntries = map[int][]byte{0: raw}
		return f.build(t)
	}
	extra, _ := PrefixRaw.Sum([]byte("unused"))
	return []tamperCase{
		{"page links a block no span uses", withEntries(func(b []cid.Cid, raw []byte) ([]cid.Cid, []byte) {
			return append(b, extra), raw
		}), OpenOptions{}, ErrMalformed},
		{"page entries with a non-shortest integer", withEntries(func(b []cid.Cid, raw []byte) ([]cid.Cid, []byte) {
			return b, replaceFirst(t, raw, []byte{0x85, 0x00}, []byte{0x85, 0x18, 0x00})
		}), OpenOptions{}, ErrMalformed},
	}
}

// pageParts returns what encodePage makes of entries: the page's block
// links and its entries before compression.
func pageParts(t *testing.T, entries []entry) ([]cid.Cid, []byte) {
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	defer enc.Close()
	dec, _ := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxPageRaw))
	defer dec.Close()
	_, data, err := encodePage(entries, enc)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := DecodeDAGCBOR[page](protoPage, data, "manifest page")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := dec.DecodeAll(pg.Entries, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pg.Blocks, raw
}

func replaceFirst(t *testing.T, data, old, new []byte) []byte {
	i := bytes.Index(data, old)
	if i < 0 {
		t.Fatalf("% x not found", old)
	}
	return slices.Concat(data[:i], new, data[i+len(old):])
}

// frameParts splits a zstd frame into its header's fields and the rest
// (blocks and checksum), so a case can write another header for the same
// blocks.
type frameParts struct {
	single, checksum bool
	window           byte   // the window descriptor, if not single
	dict             []byte // the dictionary ID field
	fcs              []byte // the content size field
	rest             []byte
}

func splitFrame(t *testing.T, frame []byte) frameParts {
	var h zstd.Header
	if err := h.Decode(frame); err != nil || h.Skippable {
		t.Fatalf("not a zstd frame: %v", err)
	}
	fhd := frame[4]
	p := frameParts{single: fhd&0x20 != 0, checksum: fhd&0x04 != 0}
	off := 5
	if !p.single {
		p.window = frame[off]
		off++
	}
	dn := []int{0, 1, 2, 4}[fhd&3]
	p.dict, off = frame[off:off+dn], off+dn
	fn := []int{0, 2, 4, 8}[fhd>>6]
	if fn == 0 && p.single {
		fn = 1
	}
	p.fcs, off = frame[off:off+fn], off+fn
	p.rest = frame[off:]
	return p
}

func (p frameParts) join() []byte {
	var fhd byte
	if p.single {
		fhd |= 0x20
	}
	if p.checksum {
		fhd |= 0x04
	}
	fhd |= map[int]byte{0: 0, 1: 1, 2: 2, 4: 3}[len(p.dict)]
	fhd |= map[int]byte{0: 0, 1: 0, 2: 1, 4: 2, 8: 3}[len(p.fcs)] << 6
	out := []byte{0x28, 0xb5, 0x2f, 0xfd, fhd}
	if !p.single {
		out = append(out, p.window)
	}
	return slices.Concat(out, p.dict, p.fcs, p.rest)
}

func le32(n uint32) []byte { return []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)} }

// browserCases are further ways to damage or forge a bundle, one check of
// the reader's each, chosen where an independent reader is most likely to
// differ: the CAR container, the order of the checks of §9 steps 7–13, the
// zstd frames of content and pages, and the strictness of page entries.
func browserCases(t *testing.T) []tamperCase {
	root, daily, daily2, attacker := testKey(1), testKey(2), testKey(3), testKey(9)
	rootID := PublisherID(pub(root))
	auth1, err := NewAuthority(root, AuthorityParams{Seq: 1, Created: testTime, Name: "Test News", Keys: []ed25519.PublicKey{pub(daily)}})
	if err != nil {
		t.Fatal(err)
	}
	dropsDaily, err := NewAuthority(root, AuthorityParams{Seq: 2, Created: testTime, Keys: []ed25519.PublicKey{pub(daily2)}})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := NewAuthority(attacker, AuthorityParams{Seq: 9, Created: testTime, Keys: []ed25519.PublicKey{pub(daily)}})
	if err != nil {
		t.Fatal(err)
	}
	arts := testArticles(4)
	arts[0].Attachments = []Attachment{{Name: "img/a.png", ContentType: "image/png", Data: []byte("not really a png")}}
	good := packBytes(t, PackOptions{Key: root, Seq: 5, Created: testTime}, arts)
	byDaily := packBytes(t, PackOptions{Key: daily, Authority: auth1, Seq: 5, Created: testTime}, arts)
	dictBytes, err := os.ReadFile(filepath.Join("testdata", "vectors", "v1-dictionary.dict"))
	if err != nil {
		t.Fatal(err)
	}

	forge := func(data []byte, key ed25519.PrivateKey, change func(f *forged)) []byte {
		f := takeApart(t, data, key)
		change(f)
		return f.build(t)
	}
	first := func(f *forged) *entry { return &f.pages[0][0] }
	withAttachment := func(f *forged) *entry {
		for i := range f.pages[0] {
			if len(f.pages[0][i].Attachments) > 0 {
				return &f.pages[0][i]
			}
		}
		t.Fatal("no article with an attachment")
		return nil
	}
	// reframe gives the first article's one block (a single-segment
	// frame) another header, as change makes it.
	reframe := func(change func(f *forged, s *span, p *frameParts)) []byte {
		return forge(good, root, func(f *forged) {
			s := &first(f).Body[0]
			if s.Enc != encZstd {
				t.Fatal("the first article is not stored as zstd")
			}
			p := splitFrame(t, f.content[s.Block])
			change(f, s, &p)
			s.Block = f.putContent(t, p.join())
		})
	}
	withRawEntries := func(blocks []cid.Cid, raw []byte) []byte {
		return forge(good, root, func(f *forged) {
			f.rawBlocks, f.rawEntries = blocks, map[int][]byte{0: raw}
		})
	}
	entries := func(change func(blocks []cid.Cid, raw []byte) ([]cid.Cid, []byte)) []byte {
		f := takeApart(t, good, root)
		return withRawEntries(change(pageParts(t, f.pages[0])))
	}
	// withEnvelope replaces the envelope with the bytes change makes of
	// it, under their own CID.
	withEnvelope := func(change func([]byte) []byte) []byte {
		r, blocks, ok := carSections(good)
		if !ok {
			t.Fatal("the packed bundle does not parse")
		}
		for i, b := range blocks {
			if b.c.Equals(r) {
				data := change(bytes.Clone(b.data))
				c, _ := PrefixDAGCBOR.Sum(data)
				blocks[i] = carBlock{c, data}
				return carBytes(t, c, blocks)
			}
		}
		t.Fatal("no envelope")
		return nil
	}
	r, _, _ := carSections(good)
	header, _ := carHeader(r)
	sections := good[len(header):]
	rawHeader := func(h []byte) []byte { return slices.Concat(varint.ToUvarint(uint64(len(h))), h, sections) }
	libp2pKey := cid.NewCidV1(cid.Libp2pKey, keyMultihash(pub(root)))
	base36, err := libp2pKey.StringOfBase(multibase.Base36)
	if err != nil {
		t.Fatal(err)
	}
	emptyCID, _ := PrefixRaw.Sum(nil)

	return []tamperCase{
		// The container (§9 steps 1 and 2).
		{"CAR header of version 3", rawHeader(replaceFirst(t, header[1:], []byte("version\x01"), []byte("version\x03"))), OpenOptions{}, ErrMalformed},
		{"CAR header with two roots", rawHeader(slices.Concat([]byte{0xa2, 0x65}, []byte("roots"), []byte{0x82},
			header[9:9+41], header[9:9+41], []byte{0x67}, []byte("version"), []byte{0x01})), OpenOptions{}, ErrMalformed},
		{"CAR header with a non-shortest version", rawHeader(replaceFirst(t, header[1:], []byte("version\x01"), []byte("version\x18\x01"))), OpenOptions{}, ErrMalformed},
		{"CAR header longer than MaxCARHeader", slices.Concat(varint.ToUvarint(MaxCARHeader+1), make([]byte, MaxCARHeader+1)), OpenOptions{}, ErrTooLarge},
		{"section longer than a block may be", slices.Concat(good, varint.ToUvarint(MaxBlockSize+129), []byte{1, 0x55, 0x12, 0x20}), OpenOptions{}, ErrTooLarge},
		{"section of length zero", slices.Concat(good, []byte{0}), OpenOptions{}, ErrMalformed},
		{"section length not minimally encoded", slices.Concat(good, []byte{0x85, 0x00}, emptyCID.Bytes()), OpenOptions{}, ErrMalformed},
		{"file ends inside a section's CID", slices.Concat(good, []byte{40, 0x01, 0x55}), OpenOptions{}, ErrTruncated},
		{"a block twice, the second copy damaged", func() []byte {
			_, blocks, _ := carSections(good)
			last := blocks[len(blocks)-1]
			return slices.Concat(good, carBytes(t, r, []carBlock{{last.c, []byte("damaged")}})[len(header):])
		}(), OpenOptions{}, nil},
		{"a block nothing links", slices.Concat(good, carBytes(t, r, []carBlock{{emptyCID, nil}})[len(header):]), OpenOptions{}, nil},

		// The envelope and the publisher document (steps 3 to 10).
		{"envelope not canonical", withEnvelope(func(e []byte) []byte {
			return replaceFirst(t, e, []byte("sig\x58\x40"), []byte("sig\x59\x00\x40"))
		}), OpenOptions{}, ErrMalformed},
		{"pinned publisher in base36", good, OpenOptions{Publisher: base36}, nil},
		{"pinned publisher that is no publisher ID", good, OpenOptions{Publisher: "hello"}, ErrBadKey},
		{"sequence number 0", forge(good, root, func(f *forged) { f.payload.Seq = 0 }), OpenOptions{}, ErrMalformed},
		{"signer of 31 bytes", forge(good, root, func(f *forged) { f.payload.Signer = f.payload.Signer[:31] }), OpenOptions{}, ErrMalformed},
		{"envelope claims more than MaxArticles", forge(good, root, func(f *forged) { f.payload.Articles = MaxArticles + 1 }), OpenOptions{}, ErrTooLarge},
		{"publisher document of another publisher", forge(byDaily, daily, func(f *forged) {
			c := foreign.CID()
			f.payload.Authority, f.extra = &c, map[cid.Cid][]byte{c: foreign.Bytes()}
		}), OpenOptions{}, ErrWrongPublisher},
		{"publisher document with a bad signature", forge(good, root, func(f *forged) {
			doc, err := DecodeDAGCBOR[authority](protoAuthority, auth1.Bytes(), "publisher document")
			if err != nil {
				t.Fatal(err)
			}
			doc.Sig[5] ^= 1
			c, data, err := makeBlock(doc, protoAuthority)
			if err != nil {
				t.Fatal(err)
			}
			f.payload.Authority, f.extra = &c, map[cid.Cid][]byte{c: data}
		}), OpenOptions{}, ErrBadSignature},
		{"publisher document linked as a raw block", forge(good, root, func(f *forged) {
			c, _ := PrefixRaw.Sum(auth1.Bytes())
			f.payload.Authority, f.extra = &c, map[cid.Cid][]byte{c: auth1.Bytes()}
		}), OpenOptions{}, ErrWrongType},
		{"root-signed bundle carrying a document", forge(good, root, func(f *forged) {
			c := auth1.CID()
			f.payload.Authority, f.extra = &c, map[cid.Cid][]byte{c: auth1.Bytes()}
		}), OpenOptions{}, nil},
		{"known document drops the delegated key", byDaily, OpenOptions{Authority: dropsDaily}, ErrKeyNotAuthorized},
		{"known document of another publisher is ignored", byDaily, OpenOptions{Authority: foreign, Publisher: rootID}, nil},

		// The manifest and the dictionary (steps 11 and 12).
		{"dictionary that is not one", forge(good, root, func(f *forged) {
			c := f.putContent(t, []byte("not a zstd dictionary at all"))
			f.man.Dict = &c
		}), OpenOptions{}, ErrMalformed},
		{"dictionary of ID 0", forge(good, root, func(f *forged) {
			c := f.putContent(t, slices.Concat(dictBytes[:4], le32(0), dictBytes[8:]))
			f.man.Dict = &c
		}), OpenOptions{}, ErrMalformed},
		{"unused dictionary", forge(good, root, func(f *forged) {
			c := f.putContent(t, dictBytes)
			f.man.Dict = &c
		}), OpenOptions{}, nil},

		// Page entries (step 13).
		{"page entries with a byte after them", entries(func(b []cid.Cid, raw []byte) ([]cid.Cid, []byte) {
			return b, append(raw, 0)
		}), OpenOptions{}, ErrMalformed},
		{"page entries claiming 2^21 entries", withRawEntries(nil, claimedArray(MaxPageRaw/2)), OpenOptions{}, ErrMalformed},
		{"page entry claiming 2^21 authors", withRawEntries(nil, entryWith(6, claimedArray(MaxPageRaw/2))), OpenOptions{}, ErrMalformed},
		{"page entry published past int64", withRawEntries(nil, entryWith(3, []byte{0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0})), OpenOptions{}, ErrMalformed},
		{"page entry of 12 fields", withRawEntries(nil, replaceFirst(t, entryWith(12, nil), []byte{0x81, 0x8d}, []byte{0x81, 0x8c})), OpenOptions{}, ErrMalformed},
		{"span names a block outside its page", entries(func(b []cid.Cid, raw []byte) ([]cid.Cid, []byte) {
			return b, replaceFirst(t, raw, []byte{0x85, 0x00}, []byte{0x85, 0x18, 0x63})
		}), OpenOptions{}, ErrMalformed},
		{"content cid of the dag-cbor codec", forge(good, root, func(f *forged) {
			first(f).Cid, _ = PrefixDAGCBOR.Sum([]byte("body"))
		}), OpenOptions{}, ErrWrongType},
		{"empty article id", forge(good, root, func(f *forged) { first(f).Id = "" }), OpenOptions{}, ErrMalformed},
		{"title over MaxTitleLen", forge(good, root, func(f *forged) {
			first(f).Title = string(bytes.Repeat([]byte("é"), MaxTitleLen/2+1))
		}), OpenOptions{}, ErrTooLarge},
		{"attachment named twice", forge(good, root, func(f *forged) {
			e := withAttachment(f)
			e.Attachments = append(e.Attachments, e.Attachments[0])
			f.payload.Bytes += e.Attachments[0].Size
		}), OpenOptions{}, ErrMalformed},
		{"attachment name with a backslash", forge(good, root, func(f *forged) { withAttachment(f).Attachments[0].Name = `img\a.png` }), OpenOptions{}, ErrUnsafePath},
		{"attachment name with a dot segment", forge(good, root, func(f *forged) { withAttachment(f).Attachments[0].Name = "img/./a.png" }), OpenOptions{}, ErrUnsafePath},
		{"unknown span encoding", forge(good, root, func(f *forged) { first(f).Body[0].Enc = 2 }), OpenOptions{}, ErrUnsupportedVersion},
		{"one block declared with two sizes", forge(good, root, func(f *forged) {
			e, s := first(f), f.pages[0][1].Body[0]
			s.Raw++
			e.Body = append(e.Body, span{Block: s.Block, Enc: s.Enc, Raw: s.Raw})
		}), OpenOptions{}, ErrSizeMismatch},
		{"an article's spans over MaxSpans", forge(good, root, func(f *forged) {
			e := first(f)
			empty := f.putContent(t, nil)
			for len(e.Body) <= MaxSpans {
				e.Body = append(e.Body, span{Block: empty})
			}
		}), OpenOptions{}, ErrTooLarge},
		{"empty body naming a block twice", forge(good, root, func(f *forged) {
			enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false))
			defer enc.Close()
			big := f.putContent(t, enc.EncodeAll(make([]byte, MaxBlockRaw), nil))
			e := first(f)
			f.payload.Bytes -= e.Size
			e.Size, e.Cid = 0, emptyCID
			e.Body = []span{{Block: big, Enc: encZstd, Raw: MaxBlockRaw}, {Block: big, Enc: encZstd, Raw: MaxBlockRaw}}
		}), OpenOptions{}, ErrTooLarge},
		{"stored block longer than its raw size", forge(good, root, func(f *forged) {
			a := &withAttachment(f).Attachments[0]
			a.Body[0].Raw--
			a.Body[0].Len--
			a.Size--
			f.payload.Bytes--
		}), OpenOptions{}, ErrSizeMismatch},

		// Content frames (step 15).
		{"content frame naming a dictionary the bundle lacks", reframe(func(_ *forged, _ *span, p *frameParts) { p.dict = []byte{7} }), OpenOptions{}, ErrMalformed},
		{"content frame without a content size", reframe(func(_ *forged, _ *span, p *frameParts) {
			p.single, p.window, p.fcs = false, 3<<3, nil
		}), OpenOptions{}, ErrSizeMismatch},
		{"content frame with a window descriptor", reframe(func(_ *forged, s *span, p *frameParts) {
			p.single, p.window, p.fcs = false, 3<<3, le32(uint32(s.Raw))
		}), OpenOptions{}, nil},
		{"content frame with a window over MaxZstdWindow", reframe(func(_ *forged, s *span, p *frameParts) {
			p.single, p.window, p.fcs = false, 11<<3, le32(uint32(s.Raw))
		}), OpenOptions{}, ErrTooLarge},
		{"content frame shorter than its content size", reframe(func(_ *forged, s *span, p *frameParts) {
			s.Raw++
			p.fcs = le32(uint32(s.Raw))
		}), OpenOptions{}, ErrMalformed},
		{"content frame with a wrong checksum", reframe(func(_ *forged, _ *span, p *frameParts) {
			p.checksum, p.rest = true, append(bytes.Clone(p.rest), 1, 2, 3, 4)
		}), OpenOptions{}, ErrMalformed},
		{"content frame with a reserved block type", reframe(func(_ *forged, _ *span, p *frameParts) {
			p.rest = bytes.Clone(p.rest)
			p.rest[0] |= 3 << 1
		}), OpenOptions{}, ErrMalformed},
		{"content frame with a byte after it", reframe(func(_ *forged, _ *span, p *frameParts) {
			p.rest = append(bytes.Clone(p.rest), 0)
		}), OpenOptions{}, ErrMalformed},
	}
}
