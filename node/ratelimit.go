package node

import (
	"context"
	"io"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	"github.com/samizdat/samizdat/internal/iocount"
	"golang.org/x/time/rate"
)

// rateWriter spends tokens of a shared limiter for every byte it writes,
// so all the node's uploads (samizdat's protocols, bitswap, the HTTP
// gateway and the relay service) together stay under the operator's cap.
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

// uploadWriter wraps w with the node's upload counter (Sent) and cap.
func (n *Node) uploadWriter(ctx context.Context, w io.Writer) io.Writer {
	return n.capWriter(ctx, iocount.Writer{W: w, N: &n.sent})
}

// capWriter wraps w with the node's upload cap, if it has one.
func (n *Node) capWriter(ctx context.Context, w io.Writer) io.Writer {
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

// relayHost is the host the circuit relay service sees: the streams it
// opens (to a relayed connection's destination) and those it accepts
// (from its source) write through the node's upload cap, so --max-upload
// bounds relayed bytes too, both ways. They are not counted in Sent: they
// are other peers' traffic, not the node's bundles and blocks. The DHT
// sees it too: a DHT server's answers (a 10 KiB record for a 40-byte
// request, as often as a peer asks) are bounded by the cap as well.
type relayHost struct {
	host.Host
	n *Node
}

func (h relayHost) NewStream(ctx context.Context, p peer.ID, pids ...protocol.ID) (network.Stream, error) {
	s, err := h.Host.NewStream(ctx, p, pids...)
	if err != nil {
		return nil, err
	}
	return &uploadStream{Stream: s, w: h.n.capWriter(h.n.life, s)}, nil
}

func (h relayHost) SetStreamHandler(pid protocol.ID, handler network.StreamHandler) {
	h.Host.SetStreamHandler(pid, func(s network.Stream) {
		handler(&uploadStream{Stream: s, w: h.n.capWriter(h.n.life, s)})
	})
}

// startRelay starts the circuit relay v2 service (Config.RelayService) on
// the node's host, within the relay limits of limits.go and the upload cap.
func (n *Node) startRelay() (*relayv2.Relay, error) {
	return relayv2.New(relayHost{n.Host, n}, relayv2.WithResources(relayv2.Resources{
		Limit:                 &relayv2.RelayLimit{Duration: relayDuration, Data: relayDataLimit},
		ReservationTTL:        relayReservationTTL,
		MaxReservations:       relayMaxReservations,
		MaxCircuits:           relayMaxCircuits,
		BufferSize:            relayBufferSize,
		MaxReservationsPerIP:  relayMaxReservationsPerIP,
		MaxReservationsPerASN: relayMaxReservationsPerASN,
	}))
}
