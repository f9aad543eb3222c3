package settle

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunWaitsForAll: with no source hanging, Run returns every success
// and leaves out the failures.
func TestRunWaitsForAll(t *testing.T) {
	got := runOK(context.Background(), 6, Options{Parallel: 2, Grace: time.Hour}, func(i int) error {
		if i%2 == 1 {
			return errors.New("down")
		}
		return nil
	})
	slices.Sort(got)
	if !slices.Equal(got, []int{0, 2, 4}) {
		t.Errorf("Run() = %v, want [0 2 4]", got)
	}
}

// TestRunGrace: sources that never answer hold Run for the grace after
// the first success, not until they end.
func TestRunGrace(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	got := runOK(context.Background(), 4, Options{Parallel: 4, Grace: 10 * time.Millisecond}, func(i int) error {
		if i == 2 {
			return nil
		}
		<-release // black-holed
		return errors.New("timeout")
	})
	if !slices.Equal(got, []int{2}) {
		t.Errorf("Run() = %v, want [2]", got)
	}
}

// TestRunSlot: black-holed sources that fill every slot yield them, so
// that the one working source listed after them is reached.
func TestRunSlot(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var started atomic.Int32
	got := runOK(context.Background(), 10, Options{Parallel: 3, Slot: 5 * time.Millisecond, Grace: time.Millisecond}, func(i int) error {
		started.Add(1)
		if i == 9 {
			return nil
		}
		<-release
		return errors.New("timeout")
	})
	if !slices.Equal(got, []int{9}) || started.Load() != 10 {
		t.Errorf("Run() = %v after %d calls, want [9] after 10", got, started.Load())
	}
	// Without Slot, the same sources never let the tenth start.
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var calls []int
	done := make(chan []int)
	go func() {
		done <- runOK(ctx, 10, Options{Parallel: 3, Grace: time.Millisecond}, func(i int) error {
			mu.Lock()
			calls = append(calls, i)
			mu.Unlock()
			select {
			case <-release:
			case <-ctx.Done():
			}
			return errors.New("timeout")
		})
	}()
	for {
		mu.Lock()
		n := len(calls)
		mu.Unlock()
		if n == 3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // Slot would have let more start by now
	mu.Lock()
	n := len(calls)
	mu.Unlock()
	cancel()
	<-done
	if n != 3 {
		t.Errorf("without Slot, %d calls started while 3 hung, want 3", n)
	}
}

// TestRunCancelled: once ctx ends, calls not started are not made, and
// Run returns.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	got := runOK(ctx, 5, Options{Parallel: 1, Grace: time.Hour}, func(i int) error {
		calls.Add(1)
		cancel()
		return ctx.Err()
	})
	if len(got) != 0 || calls.Load() != 1 {
		t.Errorf("Run() = %v after %d calls, want none after 1", got, calls.Load())
	}
}

// TestRunPatience: with no success by Patience, Run gives up waiting;
// a success before it makes Run wait out the grace as usual.
func TestRunPatience(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	got := runOK(context.Background(), 3, Options{Parallel: 3, Grace: time.Hour, Patience: 10 * time.Millisecond}, func(i int) error {
		<-release
		return nil
	})
	if len(got) != 0 {
		t.Errorf("Run() = %v, want none", got)
	}
	got = runOK(context.Background(), 2, Options{Parallel: 2, Grace: 50 * time.Millisecond, Patience: time.Millisecond}, func(i int) error {
		if i == 0 {
			return nil
		}
		time.Sleep(20 * time.Millisecond) // within the grace, past the patience
		return nil
	})
	if len(got) != 2 {
		t.Errorf("Run() = %v, want both: patience ends only a wait with no success", got)
	}
}

// runOK is Run's successes.
func runOK(ctx context.Context, n int, o Options, f func(i int) error) []int {
	return Run(ctx, n, o, f).OK
}

// TestRunStopsStarting: once Run has returned, calls not started are
// never made, and Started says which were.
func TestRunStopsStarting(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	out := Run(context.Background(), 10, Options{Parallel: 2, Slot: time.Hour, Grace: time.Millisecond}, func(i int) error {
		calls.Add(1)
		if i == 0 {
			return nil
		}
		<-release
		return errors.New("timeout")
	})
	if !slices.Equal(out.OK, []int{0}) {
		t.Errorf("Run().OK = %v, want [0]", out.OK)
	}
	close(release) // the hung call ends, freeing its place
	time.Sleep(20 * time.Millisecond)
	if out.Started < 2 || out.Started > 3 || int(calls.Load()) != out.Started {
		t.Errorf("Started = %d, %d calls made after Run returned; want 2 or 3, all of them before", out.Started, calls.Load())
	}
}
