package node

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/samizdat/samizdat/bundle"
)

// BlockProtocol answers a request for one block with the block: one round
// trip, for a reader opening one article. Bitswap remains for many blocks
// from many peers, and for IPFS tools.
const BlockProtocol protocol.ID = "/samizdat/block/1.0.0"

func (n *Node) serveBlocks() {
	n.serve(newServer(BlockProtocol), n.serveBlock)
}

// serveBlock answers one block request from the verified blocks.
func (n *Node) serveBlock(st *serverStream) error {
	req, err := st.request(maxCIDLen)
	if err != nil {
		return err
	}
	_, c, err := cid.CidFromBytes(req)
	if err != nil {
		return writeStatus(st, bulkNotFound)
	}
	// Reserve the block's memory before reading it, so handlers reading
	// at once stay within the protocol's memory bound.
	size, err := n.repo.Blockstore().GetSize(n.life, c)
	if err != nil {
		return writeStatus(st, bulkNotFound)
	}
	if err := st.hold(size); err != nil {
		return err
	}
	data, ok := n.local(n.life, c) // only verified blocks
	if !ok || len(data) > size {
		return writeStatus(st, bulkNotFound)
	}
	w := n.uploadWriter(n.life, st)
	if _, err := w.Write(binary.AppendUvarint([]byte{bulkOK}, uint64(len(data)))); err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

var errNoBlock = fmt.Errorf("%w: the peer does not hold the block", bundle.ErrNotFound)

// requestBlock asks one peer for one block and checks it against its CID.
func (n *Node) requestBlock(ctx context.Context, p peer.ID, c cid.Cid) ([]byte, error) {
	status, data, err := n.exchange(ctx, p, BlockProtocol, c.Bytes(), maxBlockFrame, blockRequestTimeout)
	if err != nil {
		return nil, err
	}
	if status != bulkOK {
		return nil, errNoBlock
	}
	n.recv.bytes.Add(int64(len(data)))
	if err := bundle.CheckBlock(c, data); err != nil {
		return nil, err
	}
	n.recv.blocks.Add(1)
	return data, nil
}
