package zdict

import "testing"

// BenchmarkTrain trains 112 KiB of content from about 1 MB of samples.
func BenchmarkTrain(b *testing.B) {
	samples := testSamples(8, 2000)
	var n int64
	for _, s := range samples {
		n += int64(len(s))
	}
	b.SetBytes(n)
	for b.Loop() {
		if _, err := Train(samples, Options{Size: 112 << 10}); err != nil {
			b.Fatal(err)
		}
	}
}
