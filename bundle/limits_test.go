package bundle

import (
	"errors"
	"runtime"
	"testing"
)

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxOpenAlloc bounds what opening a bundle of a few small articles may
// allocate, whatever its signed counts claim.
const maxOpenAlloc = 16 << 20

// TestOpenEnvelopeArticleCount: the envelope's signed article count is
// the signer's claim, not a size to allocate by. A 299-byte envelope that
// claimed 2^24 articles once made Open allocate 853 MiB.
func TestOpenEnvelopeArticleCount(t *testing.T) {
	good := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, testArticles(4))
	for _, tc := range []struct {
		name     string
		articles int64
		want     error
	}{
		{"at the limit", MaxArticles, ErrSizeMismatch},
		{"over the limit", MaxArticles + 1, ErrTooLarge},
		{"2^24", 1 << 24, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := takeApart(t, good, testKey(1))
			f.payload.Articles = tc.articles
			data := f.build(t)
			var err error
			n := allocated(func() { _, err = openBytes(data, OpenOptions{}) })
			if !errors.Is(err, tc.want) {
				t.Errorf("Open() = %v, want %v", err, tc.want)
			}
			if n > maxOpenAlloc {
				t.Errorf("Open() allocated %d MiB, want at most %d MiB", n>>20, maxOpenAlloc>>20)
			}
		})
	}
}
