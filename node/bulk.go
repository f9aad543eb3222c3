package node

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/iocount"
)

// BundleProtocol streams a whole bundle file, beside bitswap: one request,
// one sequential transfer, no per-block round trips. The receiver writes
// it to a temporary file and keeps it only if it verifies.
const BundleProtocol protocol.ID = "/samizdat/bundle/1.0.0"

const (
	bulkOK       = 0
	bulkNotFound = 1
)

const (
	// yamuxHeader is the length of a yamux frame's header (the yamux spec).
	yamuxHeader = 12
	// bundleChunk is what the bundle server writes to the stream at a
	// time: the protocol servers' pace chunk (serveWriteChunk, 16 KiB)
	// less a yamux header, so that each frame is 16 KiB, one full TLS
	// record (or one Noise message). A 16 KiB chunk made a 16,396-byte
	// frame, which TLS sent as a full record and a 12-byte one, each
	// sealed, written and read with syscalls of its own: about 15% of a
	// transfer's CPU, both sides together.
	bundleChunk = serveWriteChunk - yamuxHeader
	// bundleReadBuffer is the buffer the server reads a file from disk
	// through: whole chunks, within the bundleWriteBuffer it reserves.
	bundleReadBuffer = bundleWriteBuffer / serveWriteChunk * bundleChunk

	// readAheadBuffers buffers of readAheadSize bytes (4 MiB; a file
	// smaller than one buffer gets one of its size) are what a receiver
	// reads from a bundle stream ahead of checking and writing it, in
	// memory: nothing is written before it is checked. yamux lets a stream
	// grow its receive window (up to 16 MiB) only when the reader empties
	// it within four round trips, which a reader that hashes and writes
	// as it reads rarely does on a fast link: the window stayed at
	// 256–512 KiB, and the sender waited on each window update. Read
	// ahead, the stream drains as fast as it arrives, and checking runs
	// beside the transfer. The memory is the receiver's own, one fetch's.
	readAheadBuffers = 8
	readAheadSize    = 512 << 10
)

func (n *Node) serveBundles() {
	n.serve(newServer(BundleProtocol), n.serveBundle)
}

// serveBundle answers one bundle request: the file, streamed from disk
// through one buffer at the reader's pace, in chunks of bundleChunk.
func (n *Node) serveBundle(st *serverStream) error {
	req, err := st.request(maxCIDLen)
	if err != nil {
		return err
	}
	_, root, err := cid.CidFromBytes(req)
	if err != nil {
		return writeStatus(st, bulkNotFound)
	}
	r, size, ok := n.repo.bundles.open(root)
	if !ok {
		return writeStatus(st, bulkNotFound)
	}
	if err := st.hold(bundleWriteBuffer); err != nil {
		return err
	}
	st.w.chunk = bundleChunk // frames that fill TLS records; the pace is as before
	w := bufio.NewWriterSize(n.uploadWriter(n.life, st), bundleReadBuffer)
	w.Write(binary.AppendUvarint([]byte{bulkOK}, uint64(size)))
	if _, err := io.Copy(w, io.NewSectionReader(r, 0, size)); err != nil {
		return err
	}
	return w.Flush()
}

// writeStatus writes a response with status and no body.
func writeStatus(w io.Writer, status byte) error {
	_, err := w.Write([]byte{status, 0})
	return err
}

var errBulkUnavailable = fmt.Errorf("%w: the peer does not hold the bundle", bundle.ErrNotFound)

// fetchBulk asks one peer for the whole file of b, a bundle whose metadata
// is already verified, and keeps it: each block is checked against its CID
// and its place in the canonical order as it arrives (Bundle.Receive), so
// the file needs no second pass. The stream is read on a goroutine of its
// own, up to readAheadBuffers ahead of the check (readAhead). A peer that
// stalls for stallTimeout, or sends slower than minTransferRate once
// transferGrace has passed, is dropped.
func (n *Node) fetchBulk(ctx context.Context, p peer.ID, b *bundle.Bundle) error {
	s, err := n.openBulk(ctx, p)
	if err != nil {
		return err
	}
	defer s.Close()
	stop := context.AfterFunc(ctx, func() { s.Reset() })
	defer stop()
	s.SetWriteDeadline(time.Now().Add(stallTimeout)) // the request is one small frame
	req := b.Root.Bytes()
	if _, err := s.Write(append(binary.AppendUvarint(nil, uint64(len(req))), req...)); err != nil {
		return err
	}
	s.CloseWrite()
	// The buffer is for the status and the size: readAhead reads the
	// file past it, into its own buffers.
	br := bufio.NewReader(iocount.Reader{R: &deadlineReader{s: s, rate: newRateGuard(time.Now())}, N: &n.recv.bytes})
	status, err := br.ReadByte()
	if err != nil {
		return err
	}
	size, err := binary.ReadUvarint(br)
	if err != nil {
		return err
	}
	if status != bulkOK {
		return errBulkUnavailable
	}
	if size > maxBundleFile {
		return fmt.Errorf("%w: bundle file of %d bytes", bundle.ErrTooLarge, size)
	}
	n.recv.expected.Add(int64(size))
	adopted := false
	defer func() {
		if !adopted {
			n.recv.expected.Add(-int64(size)) // not coming after all
		}
	}()
	tmp, err := os.CreateTemp(n.repo.bundles.dir, ".fetch-*")
	if err != nil {
		return err
	}
	defer func() {
		if !adopted {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	ahead := newReadAhead(io.LimitReader(br, int64(size)), int(min(size, readAheadSize)), func() { s.Reset() })
	got, err := b.Receive(ahead, tmp)
	ahead.close(err != nil)
	if err != nil {
		return err
	}
	if got.Size != int64(size) {
		return fmt.Errorf("%w: peer announced %d bytes and sent %d", bundle.ErrMalformed, size, got.Size)
	}
	if err := n.repo.bundles.adopt(tmp, got); err != nil {
		return err
	}
	adopted = true
	n.recv.blocks.Add(int64(len(got.Blocks())))
	return nil
}

// openBulk opens a bundle stream to p within stallTimeout. libp2p bounds
// opening a stream (identify, protocol negotiation) by its own timeout
// only under a context without a deadline: under a sync's, a peer that
// took the stream and never answered the negotiation held the fetch to
// that deadline (minutes), though it never sent a byte.
func (n *Node) openBulk(ctx context.Context, p peer.ID) (network.Stream, error) {
	ctx, cancel := context.WithTimeout(ctx, stallTimeout)
	defer cancel() // bounds the opening only, not the stream
	return n.Host.NewStream(ctx, p, BundleProtocol)
}

// deadlineReader gives each read stallTimeout, and the whole transfer a
// minimum rate (rateGuard): a peer that stalls or trickles is cut off.
type deadlineReader struct {
	s    network.Stream
	rate *rateGuard
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	d.s.SetReadDeadline(time.Now().Add(stallTimeout))
	n, err := d.s.Read(p)
	d.rate.add(n)
	if err == nil {
		err = d.rate.check(time.Now())
	}
	return n, err
}

// readAhead reads r on a goroutine of its own, up to readAheadBuffers
// buffers ahead of its Read, so that a stream drains while its reader
// works on what came before. Read returns what r returned, in order, then
// r's error (io.EOF at its end). It is for one goroutine; close stops it.
type readAhead struct {
	full   chan []byte   // buffers read, in order; closed after the last
	free   chan []byte   // buffers Read is done with
	done   chan struct{} // closed by close
	exited chan struct{} // closed when the goroutine returns
	stop   func()        // unblocks a read of r (resets the stream)
	err    error         // r's error; set before full is closed

	cur, buf []byte // the unread rest of the buffer Read is on, and all of it
}

// newReadAhead starts reading r into buffers of size bytes (at least
// one). stop must make a read of r that blocks return.
func newReadAhead(r io.Reader, size int, stop func()) *readAhead {
	size = max(size, 1) // an empty buffer would read nothing, forever
	a := &readAhead{full: make(chan []byte, readAheadBuffers), free: make(chan []byte, readAheadBuffers),
		done: make(chan struct{}), exited: make(chan struct{}), stop: stop}
	go a.run(r, size)
	return a
}

func (a *readAhead) run(r io.Reader, size int) {
	defer close(a.exited)
	defer close(a.full)
	made := 0
	for {
		var buf []byte
		if made < readAheadBuffers && len(a.free) == 0 {
			buf = make([]byte, size) // allocated as needed: a small bundle needs one
			made++
		} else {
			select {
			case buf = <-a.free:
			case <-a.done:
				return
			}
		}
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			select {
			case a.full <- buf[:n]:
			case <-a.done:
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF // r ended inside this buffer
			}
			a.err = err
			return
		}
	}
}

func (a *readAhead) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.buf != nil {
			a.free <- a.buf[:cap(a.buf)] // never blocks: free holds every buffer
			a.buf = nil
		}
		buf, ok := <-a.full
		if !ok {
			return 0, a.err
		}
		a.cur, a.buf = buf, buf
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// close stops the goroutine and waits for it to return. After a failure
// it may still be reading: stop makes that read return. A Read that
// returned io.EOF has seen the goroutine's end, which needs no stop.
func (a *readAhead) close(failed bool) {
	close(a.done)
	if failed {
		a.stop()
	}
	<-a.exited
}
