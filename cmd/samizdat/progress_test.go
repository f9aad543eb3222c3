package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the progress goroutine. Every
// write signals on wrote, so a test can wait for output instead of
// sleeping.
type lockedBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{} // capacity 1
}

func newLockedBuffer() *lockedBuffer {
	return &lockedBuffer{wrote: make(chan struct{}, 1)}
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor returns once b holds every string in wants, checking after
// each write; it fails the test if that takes longer than is reasonable.
func (b *lockedBuffer) waitFor(t *testing.T, wants ...string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		got := b.String()
		missing := ""
		for _, want := range wants {
			if !strings.Contains(got, want) {
				missing = want
				break
			}
		}
		if missing == "" {
			return
		}
		select {
		case <-b.wrote:
		case <-timeout:
			t.Fatalf("progress output lacks %q: %q", missing, got)
		}
	}
}

// TestProgress: while running, the bar shows the description with the
// detail the poll function returns, and bytes. It waits for that output,
// not for a number of ticks.
func TestProgress(t *testing.T) {
	out := newLockedBuffer()
	stop := drawProgress(out, "fetching", func() (int64, int64, string) {
		return 1 << 20, 4 << 20, "7 blocks, 2 peers"
	})
	defer stop()
	out.waitFor(t, "fetching (7 blocks, 2 peers)", "MB")
}

// TestProgressQuietWhenPiped: with buffers or pipes for output,
// startProgress returns a no-op: it never polls (a drawing bar polls a
// last time before its stop returns) and writes nothing.
func TestProgressQuietWhenPiped(t *testing.T) {
	for _, tc := range []struct {
		name string
		out  func(t *testing.T) (w io.Writer, written func() string)
	}{
		{"buffer", func(t *testing.T) (io.Writer, func() string) {
			var b bytes.Buffer
			return &b, b.String
		}},
		{"pipe", func(t *testing.T) (io.Writer, func() string) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			return w, func() string {
				w.Close()
				b, err := io.ReadAll(r)
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, writtenOut := tc.out(t)
			stderr, writtenErr := tc.out(t)
			var polls atomic.Int64
			stop := startProgress(&env{stdout: stdout, stderr: stderr}, "fetching", func() (int64, int64, string) {
				polls.Add(1)
				return 1, 2, "x"
			})
			stop()
			if n := polls.Load(); n != 0 {
				t.Errorf("progress polled %d times with no terminal, want 0", n)
			}
			if o, e := writtenOut(), writtenErr(); o+e != "" {
				t.Errorf("progress drawn into a non-terminal: stdout %q, stderr %q", o, e)
			}
		})
	}
}
