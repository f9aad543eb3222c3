package corpus

import "math/rand/v2"

// zipf draws indexes 0..n-1 of items ranked first..first+n-1, with
// P(rank) ∝ rank^-s.
type zipf struct{ cdf []uint32 }

// newZipf returns the distribution over ranks 1..n with exponent s tenths.
func newZipf(n, s int) zipf { return newZipfFrom(1, n, s) }

// newZipfFrom returns the distribution over ranks first..first+n-1 with
// exponent s tenths.
func newZipfFrom(first, n, s int) zipf {
	if n <= 0 {
		panic("corpus: empty vocabulary list")
	}
	cdf := make([]uint32, n)
	var sum float64
	for i := range n {
		sum += rankWeight(first+i, s)
	}
	var acc float64
	for i := range n {
		acc += rankWeight(first+i, s)
		cdf[i] = uint32(min(acc/sum*(1<<32), 1<<32-1))
	}
	cdf[n-1] = 1<<32 - 1
	return zipf{cdf}
}

func (z zipf) draw(r *rand.Rand) int {
	x := r.Uint32()
	lo, hi := 0, len(z.cdf)-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if x < z.cdf[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// rankWeight returns rank^(-s/10).
//
// It uses only correctly rounded operations (math.Pow may differ in its
// last bit between platforms), and the explicit conversions keep the
// compiler from fusing multiplies and adds, so that the distributions, and
// therefore the generated text, are the same on every platform.
func rankWeight(rank, s int) float64 {
	k := float64(rank)
	// y = k^(1/10), by Newton's method on y^10 = k, from above.
	y := max(k, 1.0)
	for range 200 {
		y2 := float64(y * y)
		y4 := float64(y2 * y2)
		y9 := float64(float64(y4*y4) * y)
		y10 := float64(y9 * y)
		next := float64(y - float64(float64(y10-k)/float64(10*y9)))
		if next >= y {
			break
		}
		y = next
	}
	p := 1.0
	for range s {
		p = float64(p * y)
	}
	return 1 / p
}
