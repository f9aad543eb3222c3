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

// Outcome is what a Run saw by the time it returned.
type Outcome struct {
	// OK are the indexes whose calls succeeded (f returned nil), in the
	// order they ended.
	OK []int
	// Started is how many calls were made: those of indexes 0 to
	// Started-1 (calls start in index order). The others never will be.
	Started int
}

// Run calls f(i) for i in 0..n-1, in that order, at once within o's
// bounds, and returns once every call has ended, o.Grace after the first
// success, or o.Patience with none, whichever comes first. Calls under
// way then go on until they end (f sees ctx; a caller that wants them
// stopped cancels it), but no other call starts, so a caller knows which
// sources were tried (Outcome.Started); once ctx ends, no call starts
// either.
func Run(ctx context.Context, n int, o Options, f func(i int) error) Outcome {
	type result struct {
		i   int
		err error
	}
	results := make(chan result, n) // never blocks a late call
	sem := make(chan struct{}, max(o.Parallel, 1))
	stop := make(chan struct{})
	var mu sync.Mutex // orders starting a call against returning
	stopped, started := false, 0
	go func() {
		for i := range n {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			case <-stop:
			}
			mu.Lock()
			if stopped || ctx.Err() != nil { // also when several were ready
				mu.Unlock()
				return
			}
			started++
			mu.Unlock()
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
	finish := func(ok []int) Outcome {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		close(stop)
		return Outcome{OK: ok, Started: started}
	}
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
			return finish(ok)
		case <-patience:
			if len(ok) == 0 {
				return finish(nil)
			}
		case <-ctx.Done():
			return finish(ok)
		}
	}
	return finish(ok)
}
