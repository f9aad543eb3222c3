package zdict

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Options configures Train. The zero value of K and D selects the default.
type Options struct {
	// Size is the most content bytes to produce, 1..MaxContentSize.
	Size int
	// K is the segment length in bytes (0: DefaultK).
	K int
	// D is the dmer length in bytes, 4..8 (0: DefaultD).
	D int
}

// Sentinel errors.
var (
	// ErrOptions reports an option out of range.
	ErrOptions = errors.New("zdict: option out of range")
	// ErrTooLittle reports samples with nothing worth a dictionary: too
	// few bytes, or no dmer that occurs in more than one place.
	ErrTooLittle = errors.New("zdict: samples too small to train on")
)

func (o *Options) check() error {
	if o.K == 0 {
		o.K = DefaultK
	}
	if o.D == 0 {
		o.D = DefaultD
	}
	switch {
	case o.Size < 1 || o.Size > MaxContentSize:
		return fmt.Errorf("%w: size %d not in 1..%d", ErrOptions, o.Size, MaxContentSize)
	case o.D < minD || o.D > maxD:
		return fmt.Errorf("%w: d %d not in %d..%d", ErrOptions, o.D, minD, maxD)
	case o.K < max(minK, o.D) || o.K > maxK:
		return fmt.Errorf("%w: k %d not in %d..%d", ErrOptions, o.K, max(minK, o.D), maxK)
	}
	return nil
}

// trainer holds the samples, concatenated, and the dmer tables.
type trainer struct {
	data  []byte // samples back to back, then maxD zero bytes so hashing never reads past the end
	n     int    // sample bytes in data
	d, k  int    // dmer and segment length
	shift uint   // 64 - hashBits
	mask  uint64 // keeps the low d bytes of a little-endian load
	dmers []dmer // by dmer hash

	scanned int // dmer positions best has scanned, bounded by maxScanPasses·n
}

// dmer is a table entry: both counts in one place, so the scan's random
// access costs one cache miss, not two.
type dmer struct {
	freq uint32 // samples the dmer occurs in, zeroed once chosen
	live uint32 // occurrences in the current window
}

// Train returns up to o.Size bytes of dictionary content chosen from the
// samples by COVER, most valuable last. Only the first MaxSampleBytes of
// the samples are read. It returns ErrTooLittle if the samples hold fewer
// than 2·o.K bytes or nothing that recurs.
func Train(samples [][]byte, o Options) ([]byte, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	t := newTrainer(samples, o)
	if t.n < 2*t.k {
		return nil, ErrTooLittle
	}
	t.count(samples)
	content := t.cover(o.Size)
	if len(content) == 0 {
		return nil, ErrTooLittle
	}
	return content, nil
}

func newTrainer(samples [][]byte, o Options) *trainer {
	n := 0
	for _, s := range samples {
		n += len(s)
	}
	n = min(n, MaxSampleBytes)
	data := make([]byte, 0, n+maxD)
	for _, s := range samples {
		data = append(data, s[:min(len(s), n-len(data))]...)
	}
	data = append(data, make([]byte, maxD)...)
	// Tables of about twice as many entries as sample bytes, up to
	// 2^hashBits: small inputs train without allocating the full size.
	bits := uint(minHashBits)
	for bits < hashBits && 1<<bits < 2*n {
		bits++
	}
	return &trainer{
		data: data, n: n, d: o.D, k: o.K,
		shift: 64 - bits,
		mask:  ^uint64(0) >> (64 - 8*uint(o.D)),
		dmers: make([]dmer, 1<<bits),
	}
}

// hash returns the table index of the dmer at pos.
func (t *trainer) hash(pos int) uint32 {
	const prime = 0x9E3779B185EBCA87
	v := binary.LittleEndian.Uint64(t.data[pos:]) & t.mask
	return uint32((v * prime) >> t.shift)
}

// count sets freq to the number of samples each dmer starts in. A dmer
// that runs into the next sample counts for the one it starts in.
func (t *trainer) count(samples [][]byte) {
	seen := make([]uint32, len(t.dmers)) // by hash: 1 + the last sample counted
	start := 0
	for i, s := range samples {
		end := min(start+len(s), t.n)
		for pos := start; pos+t.d <= t.n && pos < end; pos++ {
			h := t.hash(pos)
			if seen[h] != uint32(i+1) {
				seen[h] = uint32(i + 1)
				t.dmers[h].freq++
			}
		}
		if start = end; start >= t.n {
			break
		}
	}
}

// cover fills size bytes of content from the end, taking the best segment
// of each epoch in turn, and returns the filled part.
func (t *trainer) cover(size int) []byte {
	epochs := max(1, size/t.k/passes)
	epochSize := t.n / epochs
	if epochSize < minEpochSegments*t.k {
		epochSize = min(t.n, minEpochSegments*t.k)
		epochs = max(1, t.n/epochSize)
	}
	out := make([]byte, size)
	tail := size
	// Like zstd, give up after this many epochs in a row without a
	// segment worth anything; and, unlike zstd, after maxScanPasses scans
	// of the samples: samples whose best segments are a few bytes long
	// would otherwise have every epoch scanned once per few bytes of
	// content.
	maxZeroRun := max(10, min(100, epochs>>3))
	budget := maxScanPasses * t.n
	for e, zeroRun := 0, 0; tail > 0 && zeroRun < maxZeroRun && t.scanned < budget; e = (e + 1) % epochs {
		begin := e * epochSize
		end := begin + epochSize
		if e == epochs-1 {
			end = t.n
		}
		b, f, score := t.best(begin, end)
		if score == 0 {
			zeroRun++
			continue
		}
		zeroRun = 0
		seg := t.data[b : f+t.d-1]
		if len(seg) > tail {
			seg = seg[len(seg)-tail:]
		}
		tail -= len(seg)
		copy(out[tail:], seg)
	}
	return out[tail:]
}
