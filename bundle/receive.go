package bundle

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
)

// ReceiveFile is where Receive writes a bundle file: written in order,
// then read back by offset. An *os.File is one.
type ReceiveFile interface {
	io.Writer
	io.ReaderAt
}

// Receive reads b's canonical file (the bytes WriteCAR writes) from r and
// copies it to f, in one pass: the header must be the one encoding of b's
// root, and each section must be the next block Blocks lists, its data
// hashing to its CID, checked as it arrives. b is a bundle already opened
// and verified from elsewhere (OpenBlocks over the network fetches its
// metadata); Receive returns the same bundle reading from f, without
// decoding its metadata again. Bytes after the last block are refused.
//
// The returned bundle shares b's decoding state: it reads articles only
// until b is closed, and closing it leaves b alone. On error, f holds a prefix of what r sent, verified only up to the
// failing section: the caller discards it.
func (b *Bundle) Receive(r io.Reader, f ReceiveFile) (*Bundle, error) {
	want := b.Blocks()
	br := bufio.NewReaderSize(r, 256<<10)
	hdr, err := carHeader(b.Root)
	if err != nil {
		return nil, err
	}
	got := make([]byte, len(hdr))
	if _, err := io.ReadFull(br, got); err != nil {
		return nil, fmt.Errorf("%w: CAR header: %v", ErrTruncated, err)
	}
	if !bytes.Equal(got, hdr) {
		return nil, fmt.Errorf("%w: CAR header is not this bundle's", ErrMalformed)
	}
	// Sections are small (an article, a page): write in large chunks.
	fw := bufio.NewWriterSize(f, 1<<20)
	if _, err := fw.Write(got); err != nil {
		return nil, err
	}
	off := int64(len(hdr))
	locs := make(map[cid.Cid]blockLoc, len(want))
	buf := make([]byte, 0, 64<<10)
	var lenBuf [binary.MaxVarintLen64]byte
	for _, c := range want {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			return nil, fmt.Errorf("%w: before block %s: %v", ErrTruncated, c, unexpected(err))
		}
		key := c.Bytes()
		if n < uint64(len(key)) || n > uint64(len(key)+MaxBlockSize) {
			return nil, fmt.Errorf("%w: section of %d bytes for block %s", ErrTooLarge, n, c)
		}
		if cap(buf) < int(n) {
			buf = make([]byte, 0, n)
		}
		sec := buf[:n]
		if _, err := io.ReadFull(br, sec); err != nil {
			return nil, fmt.Errorf("%w: block %s: %v", ErrTruncated, c, unexpected(err))
		}
		if !bytes.Equal(sec[:len(key)], key) {
			return nil, fmt.Errorf("%w: section is not block %s, the next in canonical order", ErrMalformed, c)
		}
		data := sec[len(key):]
		if err := CheckBlock(c, data); err != nil {
			return nil, err
		}
		vl := binary.PutUvarint(lenBuf[:], n)
		if _, err := fw.Write(lenBuf[:vl]); err != nil {
			return nil, err
		}
		if _, err := fw.Write(sec); err != nil {
			return nil, err
		}
		off += int64(vl) + int64(len(key))
		locs[c] = blockLoc{off: off, n: len(data)}
		off += int64(len(data))
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		if err == nil {
			return nil, fmt.Errorf("%w: bytes after the last block", ErrMalformed)
		}
		return nil, err
	}
	if err := fw.Flush(); err != nil {
		return nil, err
	}
	out := &Bundle{
		Info:      b.Info,
		Authority: b.Authority,
		src:       &carSource{r: f, blocks: locs, order: want},
		entries:   b.entries,
		byID:      b.byID,
		dict:      b.dict,
		dictID:    b.dictID,
		dec:       b.dec,
		sharedDec: true,
		manifest:  b.manifest,
		meta:      b.meta,
	}
	out.Size = off
	return out, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
