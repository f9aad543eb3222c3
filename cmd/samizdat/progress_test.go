package main

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the progress goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestProgress(t *testing.T) {
	var out lockedBuffer
	var done atomic.Int64
	stop := drawProgress(&out, "fetching", func() (int64, int64, string) {
		return done.Load(), 4 << 20, "7 blocks, 2 peers"
	})
	done.Store(1 << 20)
	time.Sleep(3 * progressEvery)
	done.Store(4 << 20)
	stop()
	got := out.String()
	for _, want := range []string{"fetching", "7 blocks, 2 peers", "MB"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress output lacks %q: %q", want, got)
		}
	}
}

// TestProgressQuietWhenPiped: with buffers (or pipes) for output, nothing
// is drawn.
func TestProgressQuietWhenPiped(t *testing.T) {
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr}
	stop := startProgress(e, "fetching", func() (int64, int64, string) { return 1, 2, "x" })
	time.Sleep(2 * progressEvery)
	stop()
	if stdout.Len()+stderr.Len() != 0 {
		t.Errorf("progress drawn into a non-terminal: %q %q", stdout.String(), stderr.String())
	}
}
