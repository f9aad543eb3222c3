package reader

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/huff0"
	"github.com/klauspost/compress/zstd"
)

// The zstd vectors are frames made by klauspost/compress, the encoder the
// packer uses, for the browser's decoder (test/zstd.test.cjs) to decode.
// -update-zstd regenerates them, retraining the dictionary (training is not
// deterministic); otherwise this test checks that klauspost decodes every
// stored frame to the stored digest, so the vectors cannot drift.
var updateZstd = flag.Bool("update-zstd", false, "regenerate testdata/zstd")

const zstdDir = "testdata/zstd"

// zstdVector is one entry of testdata/zstd/vectors.json. Outputs are kept
// as digests only, so that big inputs cost only their compressed size.
type zstdVector struct {
	Name         string `json:"name"`
	Frame        string `json:"frame"`
	Dict         string `json:"dict"` // a file in testdata/zstd, or ""
	OutputSHA256 string `json:"output_sha256"`
	OutputSize   int    `json:"output_size"`
}

func TestZstdVectors(t *testing.T) {
	if *updateZstd {
		writeZstdVectors(t)
	}
	vectors := readZstdManifest(t)
	used := map[string]bool{"vectors.json": true}
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			used[v.Frame], used[v.Dict] = true, v.Dict != ""
			frame := readZstdFile(t, v.Frame)
			opts := []zstd.DOption{zstd.WithDecoderConcurrency(1)}
			if v.Dict != "" {
				opts = append(opts, zstd.WithDecoderDicts(readZstdFile(t, v.Dict)))
			}
			dec, err := zstd.NewReader(nil, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			out, err := dec.DecodeAll(frame, nil)
			if err != nil {
				t.Fatalf("DecodeAll() error = %v", err)
			}
			sum := sha256.Sum256(out)
			if got := hex.EncodeToString(sum[:]); got != v.OutputSHA256 || len(out) != v.OutputSize {
				t.Errorf("DecodeAll() = %d bytes, sha256 %s; want %d, %s", len(out), got, v.OutputSize, v.OutputSHA256)
			}
		})
	}
	files, err := os.ReadDir(zstdDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !used[f.Name()] {
			t.Errorf("%s/%s is in no vector", zstdDir, f.Name())
		}
	}
}

func readZstdManifest(t *testing.T) []zstdVector {
	t.Helper()
	var vectors []zstdVector
	if err := json.Unmarshal(readZstdFile(t, "vectors.json"), &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) == 0 {
		t.Fatal("no zstd vectors")
	}
	return vectors
}

func readZstdFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(zstdDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// zstdCase is how one vector is made: its input, the encoder options, and
// whether to stream it (then the frame has no content size).
type zstdCase struct {
	name   string
	in     []byte
	dict   string // key into the dictionaries written
	opts   []zstd.EOption
	stream bool
	want   func(h zstd.Header) bool // what the frame must show, so a vector means what its name says
	// craft, if set, assembles the frame by hand instead (for literal
	// types the encoder will not choose on demand).
	craft func(t *testing.T, in, d []byte) []byte
}

func writeZstdVectors(t *testing.T) {
	if err := os.RemoveAll(zstdDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(zstdDir, 0o755); err != nil {
		t.Fatal(err)
	}
	v1, err := os.ReadFile("../../bundle/testdata/vectors/v1-dictionary.dict")
	if err != nil {
		t.Fatal(err)
	}
	// The same dictionary under ID 7, so a frame has a 1-byte ID field
	// (v1's 40000 takes 2, the trained one's 4).
	v1id7 := slices.Clone(v1)
	binary.LittleEndian.PutUint32(v1id7[4:], 7)
	dicts := map[string][]byte{"v1.dict": v1, "v1-id7.dict": v1id7, "trained.dict": trainZstdDict(t)}

	levels := []struct {
		name  string
		level zstd.EncoderLevel
	}{
		{"fastest", zstd.SpeedFastest}, {"default", zstd.SpeedDefault},
		{"better", zstd.SpeedBetterCompression}, {"best", zstd.SpeedBestCompression},
	}
	anyHeader := func(zstd.Header) bool { return true }
	windowed := func(h zstd.Header) bool { return !h.SingleSegment && h.HasFCS }
	noFCS := func(h zstd.Header) bool { return !h.HasFCS }
	checksum := func(h zstd.Header) bool { return h.HasCheckSum }
	idSize := func(id uint32) func(zstd.Header) bool {
		return func(h zstd.Header) bool { return h.DictionaryID == id }
	}
	single := []zstd.EOption{zstd.WithSingleSegment(true)}
	singleWith := func(o zstd.EOption) []zstd.EOption { return []zstd.EOption{zstd.WithSingleSegment(true), o} }
	window := func(n int) []zstd.EOption {
		return []zstd.EOption{zstd.WithSingleSegment(false), zstd.WithWindowSize(n)}
	}

	rng := rand.New(rand.NewSource(1))
	random := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	// Runs of one byte of varied lengths: few literals, RLE sequence modes.
	runs := func(n int) []byte {
		var b []byte
		for len(b) < n {
			b = append(b, bytes.Repeat([]byte{byte('a' + rng.Intn(4))}, 1+rng.Intn(300))...)
		}
		return b[:n]
	}

	cases := []zstdCase{
		{name: "empty", in: nil, opts: single, want: anyHeader},
		{name: "one-byte", in: []byte("x"), opts: single, want: anyHeader},
		{name: "en-short", in: zstdText(2, "en", 120), opts: single, want: anyHeader},
		{name: "ru", in: zstdText(3, "ru", 24<<10), opts: single, want: anyHeader},
		{name: "ar", in: zstdText(4, "ar", 24<<10), opts: single, want: anyHeader},
		{name: "zh", in: zstdText(5, "zh", 24<<10), opts: single, want: anyHeader},
		{name: "random-1k", in: random(1 << 10), opts: single, want: anyHeader},
		{name: "random-100k", in: random(100 << 10), opts: single, want: anyHeader},
		{name: "one-byte-run-300k", in: bytes.Repeat([]byte{'z'}, 300<<10), opts: single, want: anyHeader},
		{name: "runs-200k", in: runs(200 << 10), opts: single, want: anyHeader},
		{name: "multi-1m", in: zstdText(6, "multi", 1<<20), opts: single, want: anyHeader},
		{name: "multi-1.5m-window-1m", in: zstdText(7, "multi", 3<<19), opts: window(1 << 20), want: windowed},
		{name: "multi-300k-window-64k-stream", in: zstdText(8, "multi", 300<<10), opts: window(64 << 10), stream: true, want: noFCS},
		{name: "en-checksum", in: zstdText(9, "en", 40<<10), opts: singleWith(zstd.WithEncoderCRC(true)), want: checksum},
		{name: "v1-id7", in: zstdText(10, "ar", 3<<10), dict: "v1-id7.dict", opts: single, want: idSize(7)},
		{name: "trained-stream-300k", in: zstdText(11, "multi", 300<<10), dict: "trained.dict",
			opts: window(128 << 10), stream: true, want: noFCS},
		// Few literals, all in the previous block's table: treeless literals.
		{name: "runs-200k-best", in: runs(200 << 10), opts: singleWith(zstd.WithEncoderLevel(zstd.SpeedBestCompression)), want: anyHeader},
		// A small alphabet: Huffman weights written directly, 4 bits each.
		{name: "small-alphabet", in: zstdSkewed(rng, 4<<10, 10), opts: single, want: anyHeader},
		{name: "two-symbols", in: zstdSkewed(rng, 1000, 2), opts: single, want: anyHeader},
		// By hand: RLE literals, 1- 2- and 3-byte headers; treeless literals
		// with the dictionary's table, one stream and four.
		{name: "crafted-rle-literals-20", in: bytes.Repeat([]byte{'r'}, 20), craft: zstdCraftRLE, want: anyHeader},
		{name: "crafted-rle-literals-1000", in: bytes.Repeat([]byte{'r'}, 1000), craft: zstdCraftRLE, want: anyHeader},
		{name: "crafted-rle-literals-100000", in: bytes.Repeat([]byte{'r'}, 100000), craft: zstdCraftRLE, want: anyHeader},
		{name: "crafted-treeless-dict-1", in: zstdSkewedFrom(rng, 300, " e"), dict: "trained.dict", craft: zstdCraftTreeless, want: anyHeader},
		{name: "crafted-treeless-dict-4", in: zstdSkewedFrom(rng, 3000, " et"), dict: "trained.dict", craft: zstdCraftTreeless, want: anyHeader},
		{name: "trained-checksum", in: zstdText(12, "ru", 8<<10), dict: "trained.dict",
			opts: singleWith(zstd.WithEncoderCRC(true)), want: checksum},
		{name: "trained-multi-600k-window-128k", in: zstdText(13, "multi", 600<<10), dict: "trained.dict",
			opts: window(128 << 10), want: windowed},
	}
	for i, l := range levels {
		lv := singleWith(zstd.WithEncoderLevel(l.level))
		seed := int64(100 + 10*i)
		cases = append(cases,
			zstdCase{name: "en-64k-" + l.name, in: zstdText(seed, "en", 64<<10), opts: lv, want: anyHeader},
			zstdCase{name: "multi-200k-" + l.name, in: zstdText(seed+1, "multi", 200<<10), opts: lv, want: anyHeader},
			zstdCase{name: "v1-en-" + l.name, in: zstdText(seed+2, "en", 4<<10), dict: "v1.dict", opts: lv, want: idSize(40000)},
			zstdCase{name: "v1-ar-" + l.name, in: zstdText(seed+3, "ar", 1500), dict: "v1.dict", opts: lv, want: idSize(40000)},
			zstdCase{name: "trained-small-" + l.name, in: zstdText(seed+4, "multi", 900), dict: "trained.dict", opts: lv, want: anyHeader},
			zstdCase{name: "trained-en-" + l.name, in: zstdText(seed+5, "en", 6<<10), dict: "trained.dict", opts: lv, want: anyHeader},
			zstdCase{name: "trained-zh-" + l.name, in: zstdText(seed+6, "zh", 12<<10), dict: "trained.dict", opts: lv, want: anyHeader},
			zstdCase{name: "trained-multi-64k-" + l.name, in: zstdText(seed+7, "multi", 64<<10), dict: "trained.dict", opts: lv, want: anyHeader},
			zstdCase{name: "trained-multi-1m-" + l.name, in: zstdText(seed+8, "multi", 1<<20), dict: "trained.dict", opts: lv, want: anyHeader},
		)
	}

	var manifest []zstdVector
	for name, d := range dicts {
		if err := os.WriteFile(filepath.Join(zstdDir, name), d, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cases {
		var frame []byte
		if c.craft != nil {
			frame = c.craft(t, c.in, dicts[c.dict])
		} else {
			frame = encodeZstd(t, c, dicts[c.dict])
		}
		var h zstd.Header
		if err := h.Decode(frame); err != nil || !c.want(h) {
			t.Fatalf("%s: frame header %+v (%v) is not what the vector is for", c.name, h, err)
		}
		sum := sha256.Sum256(c.in)
		v := zstdVector{Name: c.name, Frame: c.name + ".zst", Dict: c.dict,
			OutputSHA256: hex.EncodeToString(sum[:]), OutputSize: len(c.in)}
		if err := os.WriteFile(filepath.Join(zstdDir, v.Frame), frame, 0o644); err != nil {
			t.Fatal(err)
		}
		manifest = append(manifest, v)
	}
	js, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(zstdDir, "vectors.json"), append(js, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func encodeZstd(t *testing.T, c zstdCase, d []byte) []byte {
	t.Helper()
	opts := append([]zstd.EOption{zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false), zstd.WithZeroFrames(true)}, c.opts...)
	if d != nil {
		opts = append(opts, zstd.WithEncoderDict(d))
	}
	if !c.stream {
		enc, err := zstd.NewWriter(nil, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		return enc.EncodeAll(c.in, nil)
	}
	var buf bytes.Buffer
	enc, err := zstd.NewWriter(&buf, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Write(c.in); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zstdSkewed returns n bytes below k, smaller ones likelier.
func zstdSkewed(rng *rand.Rand, n, k int) []byte {
	b := make([]byte, n)
	for i := range b {
		for int(b[i]) < k-1 && rng.Intn(3) == 0 {
			b[i]++
		}
	}
	return b
}

// zstdSkewedFrom returns n bytes of alphabet, earlier ones likelier.
func zstdSkewedFrom(rng *rand.Rand, n int, alphabet string) []byte {
	b := zstdSkewed(rng, n, len(alphabet))
	for i := range b {
		b[i] = alphabet[b[i]]
	}
	return b
}

// zstdCraftFrame wraps one compressed block of literals only (no sequences)
// in a single-segment frame with a 4-byte content size and dictionary ID.
func zstdCraftFrame(dictID uint32, size int, lits []byte) []byte {
	f := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x80 | 0x20 | 3}
	f = binary.LittleEndian.AppendUint32(f, dictID)
	f = binary.LittleEndian.AppendUint32(f, uint32(size))
	n := len(lits) + 1
	f = append(f, byte(n<<3|2<<1|1), byte(n>>5), byte(n>>13))
	return append(append(f, lits...), 0) // Number_of_Sequences 0
}

func zstdCraftRLE(t *testing.T, in, _ []byte) []byte {
	var h []byte
	switch n := len(in); {
	case n < 32:
		h = []byte{byte(n<<3 | 1)}
	case n < 4096:
		h = []byte{byte(n<<4 | 1<<2 | 1), byte(n >> 4)}
	default:
		h = []byte{byte(n<<4 | 3<<2 | 1), byte(n >> 4), byte(n >> 12)}
	}
	return zstdCraftFrame(0, len(in), append(h, in[0]))
}

// zstdCraftTreeless Huffman-codes the input with the dictionary's literal
// table, as treeless literals (which klauspost writes only when that
// table beats a new one, which it rarely does).
func zstdCraftTreeless(t *testing.T, in, d []byte) []byte {
	s, _, err := huff0.ReadTable(d[8:], nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Reuse = huff0.ReusePolicyMust
	var out []byte
	four := len(in) >= 1024
	if four {
		out, _, err = huff0.Compress4X(in, s)
	} else {
		out, _, err = huff0.Compress1X(in, s)
	}
	if err != nil {
		t.Fatalf("the dictionary's table cannot code the input: %v", err)
	}
	n, c := len(in), len(out)
	var h []byte
	switch {
	case !four:
		h = []byte{byte(n<<4 | 3), byte(n>>4 | c<<6), byte(c >> 2)}
	default:
		v := uint64(3|3<<2) | uint64(n)<<4 | uint64(c)<<22
		h = binary.LittleEndian.AppendUint64(nil, v)[:5]
	}
	return zstdCraftFrame(binary.LittleEndian.Uint32(d[4:]), len(in), append(h, out...))
}

// trainZstdDict trains a dictionary of the kind bundle/pack.go makes (with
// klauspost's trainer, where pack.go now uses internal/zdict): ≤ 112 KiB,
// 6-byte hashes, its ID derived from its content (≥ 32768).
func trainZstdDict(t *testing.T) []byte {
	t.Helper()
	var samples [][]byte
	for i := range 400 {
		lang := []string{"en", "ru", "ar", "zh", "multi"}[i%5]
		samples = append(samples, zstdText(int64(10000+i), lang, 2<<10+(i%7)<<10))
	}
	d, err := dict.BuildZstdDict(samples, dict.Options{MaxDictSize: 112 << 10, HashBytes: 6, ZstdDictID: 32768, ZstdLevel: zstd.SpeedDefault})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(d[8:])
	binary.LittleEndian.PutUint32(d[4:8], binary.BigEndian.Uint32(sum[:4])%(1<<31-32768)+32768)
	return d
}

// Vocabularies of the generated articles: enough repetition for a
// dictionary to learn, enough variety for every code path.
var zstdWords = map[string][]string{
	"en": strings.Fields(`the of and to in is was for on that with as by at from his her they were
		government report city council election minister police court people water school said
		would could after before during against between under market price workers protest
		journalists newspaper editor published article freedom press rights law border region`),
	"ru": strings.Fields(`и в не на что с по это как из для от так его но мы она они был была
		правительство город выборы министр полиция суд люди вода школа сказал после перед
		рынок цена рабочие протест журналисты газета редактор статья свобода права закон`),
	"ar": strings.Fields(`في من على إلى عن مع هذا هذه التي الذي كان كانت قال بعد قبل بين
		الحكومة المدينة الانتخابات الوزير الشرطة المحكمة الناس الماء المدرسة السوق السعر
		العمال احتجاج الصحفيين الصحيفة المحرر المقال حرية الصحافة الحقوق القانون الحدود`),
	"zh": strings.Fields(`的 是 在 了 和 有 我们 他们 这 那 一个 不 也 就 都 说 政府 城市 选举 部长
		警察 法院 人民 水 学校 以后 以前 市场 价格 工人 抗议 记者 报纸 编辑 发表 文章 自由 新闻 权利 法律 边境`),
}

// zstdText returns n bytes (cut at a character boundary, so a little less)
// of markdown-ish articles in lang, or in all four by paragraph ("multi").
func zstdText(seed int64, lang string, n int) []byte {
	rng := rand.New(rand.NewSource(seed))
	langs := []string{lang}
	if lang == "multi" {
		langs = []string{"en", "ru", "ar", "zh"}
	}
	var b strings.Builder
	for para := 0; b.Len() < n; para++ {
		l := langs[para%len(langs)]
		words := zstdWords[l]
		sep, stop := " ", ". "
		if l == "zh" {
			sep, stop = "", "。"
		}
		switch rng.Intn(6) {
		case 0:
			b.WriteString("## ")
		case 1:
			b.WriteString("- ")
		}
		for s := 0; s < 1+rng.Intn(5); s++ {
			for w := 0; w < 4+rng.Intn(12); w++ {
				if w > 0 {
					b.WriteString(sep)
				}
				b.WriteString(words[rng.Intn(len(words))])
				if rng.Intn(20) == 0 {
					b.WriteString(sep + "1234567890"[rng.Intn(10):])
				}
			}
			b.WriteString(stop)
		}
		b.WriteString("\n\n")
	}
	s := b.String()[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return []byte(s)
}
