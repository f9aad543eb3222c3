package node

import (
	"bufio"
	"context"
	"encoding/binary"
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

func (n *Node) serveBundles() {
	n.serve(newServer(BundleProtocol), n.serveBundle)
}

// serveBundle answers one bundle request: the file, streamed from disk
// through one buffer at the reader's pace.
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
	w := bufio.NewWriterSize(n.uploadWriter(n.life, st), bundleWriteBuffer)
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
// the file needs no second pass. A peer that stalls for stallTimeout, or
// sends slower than minTransferRate once transferGrace has passed, is
// dropped.
func (n *Node) fetchBulk(ctx context.Context, p peer.ID, b *bundle.Bundle) error {
	s, err := n.Host.NewStream(ctx, p, BundleProtocol)
	if err != nil {
		return err
	}
	defer s.Close()
	stop := context.AfterFunc(ctx, func() { s.Reset() })
	defer stop()
	req := b.Root.Bytes()
	if _, err := s.Write(append(binary.AppendUvarint(nil, uint64(len(req))), req...)); err != nil {
		return err
	}
	s.CloseWrite()
	br := bufio.NewReaderSize(iocount.Reader{R: &deadlineReader{s: s, rate: newRateGuard(time.Now())}, N: &n.recv.bytes}, 256<<10)
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
	got, err := b.Receive(io.LimitReader(br, int64(size)), tmp)
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
