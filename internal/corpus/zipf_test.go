package corpus

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRankWeight(t *testing.T) {
	for _, s := range []int{5, 8, 11} {
		for _, rank := range []int{1, 2, 3, 10, 47, 100, 400, 5000} {
			got, want := rankWeight(rank, s), math.Pow(float64(rank), -float64(s)/10)
			if math.Abs(got-want) > 1e-12*want {
				t.Errorf("rankWeight(%d, %d) = %v, want %v", rank, s, got, want)
			}
		}
	}
}

func TestZipf(t *testing.T) {
	z := newZipf(300, zipfS)
	r := rand.New(rand.NewPCG(1, 2))
	const n = 1 << 20
	var count [300]int
	for range n {
		count[z.draw(r)]++
	}
	// P(1)/P(2) = 2^1.1, P(1)/P(10) = 10^1.1.
	for _, k := range []int{2, 10} {
		got, want := float64(count[0])/float64(count[k-1]), math.Pow(float64(k), 1.1)
		if math.Abs(got-want) > 0.05*want {
			t.Errorf("P(1)/P(%d) = %.2f, want %.2f", k, got, want)
		}
	}
	if z := newZipfFrom(5, 3, zipfS); len(z.cdf) != 3 || z.cdf[2] != 1<<32-1 {
		t.Errorf("newZipfFrom(5, 3) cdf = %v", z.cdf)
	}
}
