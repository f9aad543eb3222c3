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
	n.Host.SetStreamHandler(BundleProtocol, func(s network.Stream) {
		defer s.Close()
		s.SetReadDeadline(time.Now().Add(headDeadline))
		req, err := readFrame(bufio.NewReader(s), maxCIDLen)
		if err != nil {
			s.Reset()
			return
		}
		s.SetReadDeadline(time.Time{})
		_, root, err := cid.CidFromBytes(req)
		r, size, ok := n.repo.bundles.open(root)
		if err != nil || !ok {
			s.Write([]byte{bulkNotFound, 0})
			return
		}
		w := bufio.NewWriterSize(n.uploadWriter(context.Background(), s), 256<<10)
		w.Write(binary.AppendUvarint([]byte{bulkOK}, uint64(size)))
		io.Copy(w, io.NewSectionReader(r, 0, size))
		w.Flush()
	})
}

var errBulkUnavailable = errors.New("peer does not have the bundle")

// fetchBulk asks one peer for the whole bundle file and keeps it if it
// verifies: metadata and signature (Open), then every block (CheckBlocks).
// A peer that stalls for stallTimeout is dropped.
func (n *Node) fetchBulk(ctx context.Context, p peer.ID, root cid.Cid, opts bundle.OpenOptions) (*bundle.Bundle, error) {
	s, err := n.Host.NewStream(ctx, p, BundleProtocol)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	stop := context.AfterFunc(ctx, func() { s.Reset() })
	defer stop()
	req := root.Bytes()
	if _, err := s.Write(append(binary.AppendUvarint(nil, uint64(len(req))), req...)); err != nil {
		return nil, err
	}
	s.CloseWrite()
	br := bufio.NewReaderSize(&deadlineReader{s}, 256<<10)
	status, err := br.ReadByte()
	if err != nil {
		return nil, err
	}
	size, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, err
	}
	if status != bulkOK {
		return nil, errBulkUnavailable
	}
	if size > maxBundleFile {
		return nil, fmt.Errorf("%w: bundle file of %d bytes", bundle.ErrTooLarge, size)
	}
	tmp, err := os.CreateTemp(n.repo.bundles.dir, ".fetch-*")
	if err != nil {
		return nil, err
	}
	adopted := false
	defer func() {
		if !adopted {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.CopyN(tmp, br, int64(size)); err != nil {
		return nil, err
	}
	b, err := bundle.OpenReader(tmp, int64(size), opts)
	if err != nil {
		return nil, err
	}
	if b.Root != root {
		return nil, fmt.Errorf("%w: peer sent another bundle", bundle.ErrHashMismatch)
	}
	if err := b.CheckBlocks(); err != nil {
		return nil, err
	}
	if b.Canonical() {
		if err := n.repo.bundles.adopt(tmp, b); err != nil {
			return nil, err
		}
		adopted = true
		return b, nil
	}
	// Verified but laid out otherwise: store the canonical form.
	if err := n.repo.bundles.add(b); err != nil {
		return nil, err
	}
	return b, nil
}

// deadlineReader gives each read stallTimeout: a trickling peer is cut off.
type deadlineReader struct{ s network.Stream }

func (d *deadlineReader) Read(p []byte) (int, error) {
	d.s.SetReadDeadline(time.Now().Add(stallTimeout))
	return d.s.Read(p)
}
