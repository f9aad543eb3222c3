package node

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/samizdat/samizdat/bundle"
)

// BlockProtocol answers a request for one block with the block: one round
// trip, for a reader opening one article. Bitswap remains for many blocks
// from many peers, and for IPFS tools.
const BlockProtocol protocol.ID = "/samizdat/block/1.0.0"

func (n *Node) serveBlocks() {
	n.Host.SetStreamHandler(BlockProtocol, func(s network.Stream) {
		defer s.Close()
		s.SetDeadline(time.Now().Add(headDeadline))
		req, err := readFrame(bufio.NewReader(s), maxCIDLen)
		if err != nil {
			s.Reset()
			return
		}
		_, c, err := cid.CidFromBytes(req)
		var data []byte
		ok := false
		if err == nil {
			data, ok = n.local(context.Background(), c) // only verified blocks
		}
		if !ok {
			s.Write([]byte{bulkNotFound, 0})
			return
		}
		n.uploadWriter(context.Background(), s).Write(append(binary.AppendUvarint([]byte{bulkOK}, uint64(len(data))), data...))
	})
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
