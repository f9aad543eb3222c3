package iocount

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
)

// plainReader hides any ReadByte of the reader it wraps.
type plainReader struct{ io.Reader }

func TestReader(t *testing.T) {
	const text = "one two three"
	errBroken := errors.New("broken")
	tests := []struct {
		name      string
		r         io.Reader
		bytes     int   // read with ReadByte before the rest with Read
		wantN     int64 // counted
		wantCalls int   // Progress calls, at least
		wantErr   error
	}{
		{"byte reader", strings.NewReader(text), 3, int64(len(text)), 4, nil},
		{"plain reader", plainReader{strings.NewReader(text)}, 3, int64(len(text)), 4, nil},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader(text)), 0, int64(len(text)), len(text), nil},
		{"empty", strings.NewReader(""), 1, 0, 0, io.EOF},
		{"failing", iotest.ErrReader(errBroken), 0, 0, 0, errBroken},
		{"failing after data", io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(errBroken)), 0, 3, 1, errBroken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int64
			calls := 0
			r := Reader{R: tc.r, N: &n, Progress: func() { calls++ }}
			var got []byte
			var err error
			for range tc.bytes {
				var c byte
				if c, err = r.ReadByte(); err != nil {
					break
				}
				got = append(got, c)
			}
			if err == nil {
				var rest []byte
				rest, err = io.ReadAll(r)
				got = append(got, rest...)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("read error = %v, want %v", err, tc.wantErr)
			}
			if n.Load() != tc.wantN || int64(len(got)) != tc.wantN {
				t.Errorf("N = %d after reading %d bytes, want %d", n.Load(), len(got), tc.wantN)
			}
			if tc.wantN == 0 && calls != 0 || tc.wantN > 0 && calls < tc.wantCalls {
				t.Errorf("Progress called %d times, want %d or more (never for no bytes)", calls, tc.wantCalls)
			}
		})
	}
}

// TestReaderOffset is a parser's use: the offset after a varint read
// through a buffer.
func TestReaderOffset(t *testing.T) {
	data := binary.AppendUvarint(nil, 300) // two bytes
	data = append(data, "payload"...)
	var off atomic.Int64
	r := Reader{R: bufio.NewReader(bytes.NewReader(data)), N: &off}
	v, err := binary.ReadUvarint(r)
	if err != nil || v != 300 {
		t.Fatalf("ReadUvarint() = %d, %v, want 300", v, err)
	}
	if got := off.Load(); got != 2 {
		t.Errorf("offset after the varint = %d, want 2", got)
	}
}

func TestReaderNilCounter(t *testing.T) {
	calls := 0
	got, err := io.ReadAll(Reader{R: strings.NewReader("abc"), Progress: func() { calls++ }})
	if err != nil || string(got) != "abc" || calls == 0 {
		t.Errorf("ReadAll() = %q, %v with %d Progress calls, want %q, nil, some calls", got, err, calls, "abc")
	}
}

// shortWriter accepts at most max bytes a write, failing past them.
type shortWriter struct{ max int }

var errShort = errors.New("short")

func (w shortWriter) Write(p []byte) (int, error) {
	if len(p) > w.max {
		return w.max, errShort
	}
	return len(p), nil
}

func TestWriter(t *testing.T) {
	tests := []struct {
		name    string
		w       io.Writer
		writes  []string
		wantN   int64
		wantErr error
	}{
		{"whole", io.Discard, []string{"abc", "", "de"}, 5, nil},
		{"short write", shortWriter{2}, []string{"ab", "cde"}, 4, errShort},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int64
			w := Writer{W: tc.w, N: &n}
			var err error
			for _, s := range tc.writes {
				if _, err = io.WriteString(w, s); err != nil {
					break
				}
			}
			if !errors.Is(err, tc.wantErr) || n.Load() != tc.wantN {
				t.Errorf("N = %d, error %v; want %d, %v", n.Load(), err, tc.wantN, tc.wantErr)
			}
		})
	}
}

// TestSharedCounter totals the writes of many goroutines in one counter,
// as a node totals its streams.
func TestSharedCounter(t *testing.T) {
	var n atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			w := Writer{W: io.Discard, N: &n}
			for range 100 {
				w.Write(make([]byte, 10))
			}
		})
	}
	wg.Wait()
	if got := n.Load(); got != 8*100*10 {
		t.Errorf("N = %d, want %d", got, 8*100*10)
	}
}

func TestReaderAt(t *testing.T) {
	data := strings.NewReader("0123456789")
	var end atomic.Int64
	r := ReaderAt{R: data, End: &end}
	buf := make([]byte, 3)
	for _, tc := range []struct {
		off     int64
		wantEnd int64
	}{
		{4, 7},  // a read raises End to where it stopped
		{0, 7},  // an earlier read lowers nothing
		{8, 10}, // a short read at the end counts what it got
		{12, 10},
	} {
		r.ReadAt(buf, tc.off)
		if got := end.Load(); got != tc.wantEnd {
			t.Errorf("End after ReadAt(3 bytes at %d) = %d, want %d", tc.off, got, tc.wantEnd)
		}
	}
	// Concurrent reads, finishing in any order: End is the furthest.
	end.Store(0)
	var wg sync.WaitGroup
	for off := range int64(10) {
		wg.Go(func() { r.ReadAt(make([]byte, 1), off) })
	}
	wg.Wait()
	if got := end.Load(); got != 10 {
		t.Errorf("End after concurrent reads = %d, want 10", got)
	}
}
