package node

import (
	"context"
	"io"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/samizdat/samizdat/internal/iocount"
	"golang.org/x/time/rate"
)

// rateWriter spends tokens of a shared limiter for every byte it writes,
// so all the node's uploads (samizdat's protocols, bitswap and the HTTP
// gateway) together stay under the operator's cap.
type rateWriter struct {
	ctx context.Context
	w   io.Writer
	l   *rate.Limiter
}

func (r *rateWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), r.l.Burst())]
		if err := r.l.WaitN(r.ctx, len(chunk)); err != nil {
			return written, err
		}
		n, err := r.w.Write(chunk)
		written += n
		if err != nil {
			return written, err
		}
		p = p[len(chunk):]
	}
	return written, nil
}

// uploadWriter wraps w with the node's upload cap, if it has one.
func (n *Node) uploadWriter(ctx context.Context, w io.Writer) io.Writer {
	w = iocount.Writer{W: w, N: &n.sent}
	if n.upload == nil {
		return w
	}
	return &rateWriter{ctx: ctx, w: w, l: n.upload}
}

// bitswapHost is the host bitswap sees on a serving node: every stream it
// opens (bitswap sends blocks on streams it opens to the asking peer)
// writes through the node's upload counter and cap, so --max-upload
// bounds bitswap too.
type bitswapHost struct {
	host.Host
	n *Node
}

func (h bitswapHost) NewStream(ctx context.Context, p peer.ID, pids ...protocol.ID) (network.Stream, error) {
	s, err := h.Host.NewStream(ctx, p, pids...)
	if err != nil {
		return nil, err
	}
	return &uploadStream{Stream: s, w: h.n.uploadWriter(h.n.life, s)}, nil
}

// uploadStream is a stream whose writes go through an upload writer.
type uploadStream struct {
	network.Stream
	w io.Writer
}

func (s *uploadStream) Write(p []byte) (int, error) { return s.w.Write(p) }
