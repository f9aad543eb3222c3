// Package settle runs a reader's tries of several sources at once and
// stops waiting soon after the first one works: how samizdat dials
// mirrors and asks HTTPS mirrors for heads, so that a black-holed source
// costs a reader a short grace rather than a timeout.
package settle

import (
	"context"
	"sync"
	"time"
)

// Options bound a Run.
type Options struct {
	// Parallel bounds the calls under way at once (at least 1)...
	Parallel int
	// ...but a call that has run for Slot without ending yields its
	// place to the next one (it goes on): a black-holed source, which
	// never answers, does not hold back the sources listed after it.
	// 0: never.
	Slot time.Duration
	// Grace is how long Run waits for the other calls once one has
	// succeeded.
	Grace time.Duration
}

// Run calls f(i) for i in 0..n-1, in that order, at once within o's
// bounds, and returns the indexes whose calls succeeded (f returned nil),
// in the order they ended, once every call has ended or o.Grace after the
// first success, whichever comes first. Calls still under way then go on
// until they end (f sees ctx; a caller that wants them stopped cancels
// it); calls not yet started when ctx ends are not made.
func Run(ctx context.Context, n int, o Options, f func(i int) error) []int {
	type result struct {
		i   int
		err error
	}
	results := make(chan result, n) // never blocks a late call
	sem := make(chan struct{}, max(o.Parallel, 1))
	go func() {
		for i := range n {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil { // also when both were ready
				results <- result{i, ctx.Err()}
				continue
			}
			go func() {
				var once sync.Once
				release := func() { once.Do(func() { <-sem }) }
				if o.Slot > 0 {
					t := time.AfterFunc(o.Slot, release)
					defer t.Stop()
				}
				defer release()
				results <- result{i, f(i)}
			}()
		}
	}()
	var ok []int
	var grace <-chan time.Time
	for range n {
		select {
		case r := <-results:
			if r.err == nil {
				ok = append(ok, r.i)
				if grace == nil {
					grace = time.After(o.Grace)
				}
			}
		case <-grace:
			return ok
		}
	}
	return ok
}
