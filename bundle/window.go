package bundle

import (
	"io"
)

// windowReader reads an io.ReaderAt of known size from a position that
// moves forward, through a window of the bytes ahead read at once: the CAR
// index reads each section's head and moves past its data, so many heads
// come from one read, and a block's bytes are never copied out.
type windowReader struct {
	r    io.ReaderAt
	size int64
	pos  int64  // the next byte to read
	win  []byte // the bytes from off
	off  int64
	buf  []byte // win's storage
}

func newWindowReader(r io.ReaderAt, size int64, window int) *windowReader {
	return &windowReader{r: r, size: size, buf: make([]byte, window)}
}

// peek returns the n bytes from pos on (fewer if the source ends first),
// without moving pos.
func (w *windowReader) peek(n int) ([]byte, error) {
	n = int(min(int64(n), max(w.size-w.pos, 0)))
	if w.pos < w.off || w.pos+int64(n) > w.off+int64(len(w.win)) {
		if n > len(w.buf) {
			w.buf = make([]byte, n)
		}
		m := int(min(int64(len(w.buf)), w.size-w.pos))
		k, err := w.r.ReadAt(w.buf[:m], w.pos)
		if k < m {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF // the source is shorter than its size
			}
			return nil, err
		}
		w.win, w.off = w.buf[:m], w.pos
	}
	i := w.pos - w.off
	return w.win[i : i+int64(n)], nil
}

// ReadByte reads the byte at pos.
func (w *windowReader) ReadByte() (byte, error) {
	b, err := w.peek(1)
	if err != nil {
		return 0, err
	}
	if len(b) == 0 {
		return 0, io.EOF
	}
	w.pos++
	return b[0], nil
}
