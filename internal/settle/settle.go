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
	// Patience, if not 0, is how long Run waits for a first success: with
	// none by then it returns (an empty list), the calls going on. For a
	// caller with another way to try: a reader whose every libp2p dial
	// hangs turns to its HTTPS mirrors without waiting out dial timeouts.
	Patience time.Duration
}

// Run calls f(i) for i in 0..n-1, in that order, at once within o's
// bounds, and returns the indexes whose calls succeeded (f returned nil),
// in the order they ended, once every call has ended, o.Grace after the
// first success, or o.Patience with none, whichever comes first. Calls still under way then go on
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
	var grace, patience <-chan time.Time
	if o.Patience > 0 {
		t := time.NewTimer(o.Patience)
		defer t.Stop()
		patience = t.C
	}
	for ended := 0; ended < n; {
		select {
		case r := <-results:
			ended++
			if r.err == nil {
				ok = append(ok, r.i)
				if grace == nil {
					grace = time.After(o.Grace)
				}
			}
		case <-grace:
			return ok
		case <-patience:
			if len(ok) == 0 {
				return nil
			}
		}
	}
	return ok
}
