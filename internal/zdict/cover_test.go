package zdict

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// testSamples makes n samples of random words, each also holding one of a
// few shared sentences, so some content recurs across samples and most
// does not.
func testSamples(seed uint64, n int) [][]byte {
	r := rand.New(rand.NewPCG(seed, 1))
	shared := []string{
		"The committee said on Tuesday that the report would be published next week. ",
		"Officials declined to comment on the allegations, citing an ongoing investigation. ",
		"According to figures released by the ministry, inflation rose for a third month. ",
	}
	var out [][]byte
	for i := range n {
		var b bytes.Buffer
		for range 60 {
			for range 3 + r.IntN(6) {
				b.WriteByte(byte('a' + r.IntN(26)))
			}
			b.WriteByte(' ')
		}
		b.WriteString(shared[i%len(shared)])
		out = append(out, b.Bytes())
	}
	return out
}

func TestTrainOptions(t *testing.T) {
	samples := testSamples(1, 50)
	tests := []struct {
		name string
		o    Options
		want error
	}{
		{"defaults", Options{Size: 4096}, nil},
		{"small k and d", Options{Size: 4096, K: 64, D: 6}, nil},
		{"zero size", Options{}, ErrOptions},
		{"size too big", Options{Size: MaxContentSize + 1}, ErrOptions},
		{"d too small", Options{Size: 4096, D: 3}, ErrOptions},
		{"d too big", Options{Size: 4096, D: 9}, ErrOptions},
		{"k below d", Options{Size: 4096, K: 7, D: 8}, ErrOptions},
		{"k too big", Options{Size: 4096, K: maxK + 1}, ErrOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Train(samples, tt.o)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Train() error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestTrainTooLittle(t *testing.T) {
	tests := []struct {
		name    string
		samples [][]byte
	}{
		{"none", nil},
		{"shorter than two segments", [][]byte{bytes.Repeat([]byte("ab"), 100)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Train(tt.samples, Options{Size: 1024}); !errors.Is(err, ErrTooLittle) {
				t.Fatalf("Train() error = %v, want %v", err, ErrTooLittle)
			}
		})
	}
}

func TestTrainContent(t *testing.T) {
	samples := testSamples(2, 300)
	for _, size := range []int{512, 4096, 32 << 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			o := Options{Size: size, K: 256}
			got, err := Train(samples, o)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || len(got) > size {
				t.Fatalf("len(Train()) = %d, want 1..%d", len(got), size)
			}
			again, err := Train(samples, o)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, again) {
				t.Fatal("Train() differs between two runs on the same samples")
			}
			// Each shared sentence is in a hundred samples: it scores
			// highest, so it is chosen first and sits in the last segment
			// placed (the content is filled from its end).
			tail := got[max(0, len(got)-2*o.K):]
			if !bytes.Contains(tail, []byte("the report would be published")) &&
				!bytes.Contains(tail, []byte("citing an ongoing investigation")) &&
				!bytes.Contains(tail, []byte("inflation rose for a third month")) {
				t.Errorf("the last %d bytes of the content hold no shared sentence: %q", len(tail), tail)
			}
		})
	}
}

// TestBest checks one segment choice: at most k bytes, drawn from the
// best-scoring region, and its dmers zeroed so that the next choice
// differs.
func TestBest(t *testing.T) {
	samples := testSamples(3, 100)
	o := Options{Size: 4096, K: 128, D: 8}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	tr := newTrainer(samples, o)
	tr.count(samples)
	b, f, score := tr.best(0, tr.n)
	seg := tr.data[b : f+tr.d-1]
	if score == 0 || len(seg) > o.K {
		t.Fatalf("best() = %d bytes scoring %d, want 1..%d bytes scoring > 0", len(seg), score, o.K)
	}
	// Random words occur once; a shared sentence is in 33 or 34 samples.
	if score < 33*uint64(len(seg)/2) {
		t.Errorf("best() scores %d for %q, want a segment mostly of a shared sentence", score, seg)
	}
	for pos := b; pos < f; pos++ {
		if tr.dmers[tr.hash(pos)].freq != 0 {
			t.Fatalf("dmer at %d still scores %d after being chosen", pos, tr.dmers[tr.hash(pos)].freq)
		}
	}
	for h, e := range tr.dmers {
		if e.live != 0 {
			t.Fatalf("window count of hash %d = %d after best(), want 0", h, e.live)
		}
	}
	b2, f2, _ := tr.best(0, tr.n)
	if b2 == b && f2 == f {
		t.Errorf("best() chose [%d, %d) twice", b, f)
	}
}

func TestBuildCompressesBetter(t *testing.T) {
	samples := testSamples(4, 400)
	content, err := Train(samples, Options{Size: 8 << 10, K: 256})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Build(content, samples, 40000, zstd.SpeedDefault)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Build(content, samples, 40000, zstd.SpeedDefault)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d, again) {
		t.Fatal("Build() differs between two runs on the same input")
	}
	if !bytes.HasPrefix(d, []byte{0x37, 0xa4, 0x30, 0xec, 0x40, 0x9c, 0, 0}) {
		t.Fatalf("Build() starts % x, want the dictionary magic and ID 40000", d[:8])
	}
	plain, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	withDict, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderDict(d))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderDicts(d), zstd.WithDecoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var sizePlain, sizeDict int
	for _, s := range testSamples(5, 50) { // not the training samples
		sizePlain += len(plain.EncodeAll(s, nil))
		c := withDict.EncodeAll(s, nil)
		sizeDict += len(c)
		back, err := dec.DecodeAll(c, nil)
		if err != nil || !bytes.Equal(back, s) {
			t.Fatalf("DecodeAll() = %v, want the sample back", err)
		}
	}
	if sizeDict >= sizePlain {
		t.Errorf("with the dictionary: %d bytes, without: %d; want fewer with it", sizeDict, sizePlain)
	}
}

func TestBuildTooLittle(t *testing.T) {
	if _, err := Build([]byte("short"), testSamples(6, 2), 40000, zstd.SpeedDefault); !errors.Is(err, ErrTooLittle) {
		t.Fatalf("Build() error = %v, want %v", err, ErrTooLittle)
	}
}

// FuzzTrain trains on samples cut from arbitrary bytes: it must not panic,
// must stay within Size, and must give the same content twice.
func FuzzTrain(f *testing.F) {
	f.Add(bytes.Join(testSamples(7, 20), []byte{0}), uint16(1024), uint8(64), uint8(8))
	f.Add(bytes.Repeat([]byte{0}, 5000), uint16(100), uint8(16), uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, size uint16, k, d uint8) {
		samples := bytes.Split(data, []byte{0})
		o := Options{Size: int(size), K: int(k), D: int(d)}
		got, err := Train(samples, o)
		if err != nil {
			if !errors.Is(err, ErrOptions) && !errors.Is(err, ErrTooLittle) {
				t.Fatalf("Train() error = %v, want ErrOptions or ErrTooLittle", err)
			}
			return
		}
		if len(got) == 0 || len(got) > int(size) {
			t.Fatalf("len(Train()) = %d, want 1..%d", len(got), size)
		}
		again, _ := Train(samples, o)
		if !bytes.Equal(got, again) {
			t.Fatal("Train() differs between two runs")
		}
	})
}

func TestTableBlocks(t *testing.T) {
	const m = maxBlock
	tests := []struct {
		name  string
		sizes []int
		want  []int
	}{
		{"none", nil, nil},
		{"small ones share a block", []int{100, 200, 300}, []int{600}},
		{"a sample that does not fit starts a block", []int{m - 10, 100}, []int{m - 10, 100}},
		{"a long sample is cut", []int{2*m + 5}, []int{m, m, 5}},
		{"a long sample fills the open block first", []int{10, m + 20}, []int{m, 30}},
		{"exact fit", []int{m / 2, m / 2, 1}, []int{m, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var samples [][]byte
			var all []byte
			for i, n := range tt.sizes {
				s := bytes.Repeat([]byte{byte('a' + i)}, n)
				samples, all = append(samples, s), append(all, s...)
			}
			blocks := tableBlocks(samples)
			var got []int
			for _, b := range blocks {
				got = append(got, len(b))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("tableBlocks() sizes = %v, want %v", got, tt.want)
			}
			if joined := bytes.Join(blocks, nil); !bytes.Equal(joined, all) {
				t.Error("tableBlocks() does not keep the samples' bytes in order")
			}
		})
	}
}

// FuzzBuild wraps arbitrary content and samples: Build must not panic,
// and what it returns must work as a dictionary both ways.
func FuzzBuild(f *testing.F) {
	f.Add([]byte("the committee said on tuesday that the report"), bytes.Join(testSamples(9, 10), []byte{0}))
	f.Add(bytes.Repeat([]byte{1}, 300), bytes.Repeat([]byte{0, 1, 2}, 50000))
	f.Fuzz(func(t *testing.T, content, data []byte) {
		samples := bytes.Split(data, []byte{0})
		d, err := Build(content, samples, 40000, zstd.SpeedFastest)
		if err != nil {
			return
		}
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderDict(d))
		if err != nil {
			t.Fatalf("NewWriter(dictionary from Build) error = %v", err)
		}
		dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderDicts(d))
		if err != nil {
			t.Fatalf("NewReader(dictionary from Build) error = %v", err)
		}
		defer dec.Close()
		back, err := dec.DecodeAll(enc.EncodeAll(data, nil), nil)
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("round trip with the dictionary: %v", err)
		}
	})
}

// TestCoverScanBounded trains on samples where every best segment is a
// few bytes: one byte repeated, with a distinct 8-byte token every 1,100
// bytes, so that once the filler is taken each epoch offers one token per
// window. Without a bound, each epoch is scanned once per token (about
// seven times the bound here, and hundreds of times at MaxSampleBytes).
func TestCoverScanBounded(t *testing.T) {
	var samples [][]byte
	tok := uint64(1)
	for range 64 {
		s := bytes.Repeat([]byte{'a'}, 16<<10)
		// Tokens more than k apart, also across samples.
		for at := 600; at+8 <= len(s)-700; at += 1100 {
			binary.LittleEndian.PutUint64(s[at:], tok*0x9E3779B97F4A7C15)
			tok++
		}
		samples = append(samples, s)
	}
	o := Options{Size: 32 << 10}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	tr := newTrainer(samples, o)
	tr.count(samples)
	content := tr.cover(o.Size)
	if len(content) == 0 {
		t.Fatal("cover() = no content, want some")
	}
	if limit := (maxScanPasses + 1) * tr.n; tr.scanned > limit {
		t.Errorf("cover() scanned %d dmer positions, want at most %d (%d passes over %d bytes)",
			tr.scanned, limit, maxScanPasses+1, tr.n)
	}
}
