// Package iocount counts the bytes that pass through readers and writers:
// a node's transfer totals, a progress display, a parser's offset in a
// file. Counts go to an *atomic.Int64 the caller owns, so one counter can
// total many streams, and another goroutine can read it while bytes flow.
package iocount

import (
	"io"
	"sync/atomic"
)

// Reader is an io.Reader that adds the byte count of every read to N and
// calls Progress after every read that returned bytes. Either may be nil.
//
// It is also an io.ByteReader, so binary.ReadUvarint takes it. ReadByte
// is R's own when R is an io.ByteReader (a bufio.Reader); otherwise each
// call is one Read of R, so put a bufio.Reader under a Reader that is read
// a byte at a time.
type Reader struct {
	R io.Reader
	N *atomic.Int64
	// Progress is for a stall timer or a progress display: it is called
	// from the reading goroutine, and should be quick.
	Progress func()
}

func (r Reader) Read(p []byte) (int, error) {
	n, err := r.R.Read(p)
	r.count(n)
	return n, err
}

// ReadByte reads one byte and counts it.
func (r Reader) ReadByte() (byte, error) {
	if br, ok := r.R.(io.ByteReader); ok {
		c, err := br.ReadByte()
		if err == nil {
			r.count(1)
		}
		return c, err
	}
	var b [1]byte
	n, err := io.ReadFull(r.R, b[:]) // io.EOF when there is no byte
	r.count(n)
	return b[0], err
}

func (r Reader) count(n int) {
	if n <= 0 {
		return
	}
	if r.N != nil {
		r.N.Add(int64(n))
	}
	if r.Progress != nil {
		r.Progress()
	}
}

// Writer is an io.Writer that adds the byte count of every write, short
// ones included, to N, which must not be nil.
type Writer struct {
	W io.Writer
	N *atomic.Int64
}

func (w Writer) Write(p []byte) (int, error) {
	n, err := w.W.Write(p)
	w.N.Add(int64(n))
	return n, err
}

// ReaderAt is an io.ReaderAt that raises End, which must not be nil, to
// the end offset of every read that returned bytes: how far into R reading
// has got, for the progress display of a file checked front to back.
// Concurrent reads may finish in any order; End only grows.
type ReaderAt struct {
	R   io.ReaderAt
	End *atomic.Int64
}

func (r ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.R.ReadAt(p, off)
	if n > 0 {
		end := off + int64(n)
		for {
			cur := r.End.Load()
			if end <= cur || r.End.CompareAndSwap(cur, end) {
				break
			}
		}
	}
	return n, err
}
