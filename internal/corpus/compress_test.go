package corpus

import (
	"fmt"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestCompressionRatio checks that the text compresses like real news:
// random bytes would give about 1, trivially repetitive text over 15.
func TestCompressionRatio(t *testing.T) {
	const sample = 1 << 20
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	ratio := func(b []byte) float64 { return float64(len(b)) / float64(len(enc.EncodeAll(b, nil))) }

	samples := map[string][]byte{}
	var mixed []byte
	g := New(31, 1000, 12000)
	for full := 0; full < len(languages()); {
		d := g.Next()
		md := Markdown(d)
		if len(mixed) < sample {
			mixed = append(mixed, md...)
		}
		if s := samples[d.Lang]; len(s) < sample {
			s = append(s, md...)
			if len(s) >= sample {
				full++
			}
			samples[d.Lang] = s
		}
	}
	check := func(name string, b []byte) {
		b = b[:sample]
		r := ratio(b)
		t.Logf("%-5s zstd default level, 1 MiB: ratio %.2f", name, r)
		if r < 2.5 || r > 8 {
			t.Errorf("%s: compression ratio %.2f, want between 2.5 and 8", name, r)
		}
	}
	check("mixed", mixed)
	for _, l := range languages() {
		check(l.tag, samples[l.tag])
	}
}

// BenchmarkGenerate measures generation speed in body bytes per second.
// Each operation generates 1 MiB of bodies on average.
func BenchmarkGenerate(b *testing.B) {
	for _, size := range []struct{ min, max int }{{2 << 10, 16 << 10}, {200, 2000}} {
		b.Run(fmt.Sprintf("%d-%d", size.min, size.max), func(b *testing.B) {
			const op = 1 << 20
			g := New(1, size.min, size.max)
			b.SetBytes(op)
			budget := 0
			for b.Loop() {
				budget += op
				for budget > 0 {
					budget -= len(g.Next().Body)
				}
			}
		})
	}
}
