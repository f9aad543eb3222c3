package node

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
)

// Every samizdat protocol server (head, block, bundle) runs its handler
// through one wrapper, server.handle, which gives it the bounds they all
// share:
//
//   - a peer holds at most a few streams of each protocol at once
//     (protocolBounds, perPeer); a stream over its cap is reset at once,
//     so peers that hold their caps cannot keep others out;
//   - the request must arrive within serveRequestTimeout;
//   - the response is written under a deadline that moves with the bytes
//     (paceWriter): a reader that stops, or reads slower than
//     serveMinRate for longer than serveWriteGrace, is cut off, however
//     large the response;
//   - the stream belongs to the resource manager's serveService, and
//     what the handler holds in memory is reserved in the stream's scope,
//     so the per-protocol limits of addServerLimits bound the streams and
//     memory of each protocol, all peers together.
//
// A handler that returns an error has its stream reset; nil, closed.

// serveService is the resource manager service of samizdat's protocol
// servers.
const serveService = "samizdat"

// protocolBound is what one protocol's server may hold.
type protocolBound struct {
	proto      protocol.ID
	streams    int   // inbound streams, all peers together
	memory     int64 // memory its handlers hold, all peers together
	perPeer    int   // streams one peer may hold at once
	peerMemory int64 // memory its handlers hold for one peer
}

// protocolBounds returns the bounds of each protocol server, from the
// constants of limits.go.
func protocolBounds() []protocolBound {
	return []protocolBound{
		{HeadProtocol, headStreams, headStreams * maxHeadSize, headPeerStreams, headPeerStreams * maxHeadSize},
		{BlockProtocol, blockStreams, blockServeMemory, blockPeerStreams, blockPeerMemory},
		{BundleProtocol, bundleStreams, bundleStreams * bundleWriteBuffer, bundlePeerStreams, bundlePeerStreams * bundleWriteBuffer},
	}
}

// addServerLimits adds to cfg the resource manager's limits for the
// protocol servers: each protocol's inbound streams and memory (so that
// peers holding every stream one protocol allows leave the others' budget,
// bitswap's and the DHT's included, alone), the same per peer (a backstop
// behind the handler's cap: see rcmgrPeerSlack), and the service's, their
// sums.
func addServerLimits(cfg *rcmgr.ScalingLimitConfig) {
	svc, svcPeer := cfg.ServiceBaseLimit, cfg.ServicePeerBaseLimit
	svc.StreamsInbound, svc.Memory, svcPeer.StreamsInbound, svcPeer.Memory = 0, 0, 0, 0
	for _, b := range protocolBounds() {
		// Outbound streams (this node's own requests) keep libp2p's
		// defaults: this node's fetches bound them.
		l := cfg.ProtocolBaseLimit
		l.StreamsInbound, l.Memory = b.streams, b.memory
		l.Streams = l.StreamsInbound + l.StreamsOutbound
		cfg.AddProtocolLimit(b.proto, l, rcmgr.BaseLimitIncrease{})
		pl := cfg.ProtocolPeerBaseLimit
		pl.StreamsInbound, pl.Memory = rcmgrPeerSlack*b.perPeer, b.peerMemory
		pl.Streams = pl.StreamsInbound + pl.StreamsOutbound
		cfg.AddProtocolPeerLimit(b.proto, pl, rcmgr.BaseLimitIncrease{})
		svc.StreamsInbound += l.StreamsInbound
		svc.Memory += l.Memory
		svcPeer.StreamsInbound += pl.StreamsInbound
		svcPeer.Memory += pl.Memory
	}
	svc.Streams = svc.StreamsInbound + svc.StreamsOutbound
	svcPeer.Streams = svcPeer.StreamsInbound + svcPeer.StreamsOutbound
	cfg.AddServiceLimit(serveService, svc, rcmgr.BaseLimitIncrease{})
	cfg.AddServicePeerLimit(serveService, svcPeer, rcmgr.BaseLimitIncrease{})
}

// server is one protocol's server: its bounds, the streams each peer
// holds, and counts of the streams it refused and cut off.
type server struct {
	proto   protocol.ID
	perPeer int
	request time.Duration // to read the request
	grace   time.Duration // paceWriter's
	minRate int           // paceWriter's, bytes per second

	mu    sync.Mutex
	peers map[peer.ID]int // streams held, by peer

	refused atomic.Uint64 // reset at once: over the peer's cap, or a resource manager limit
	cut     atomic.Uint64 // reset for stalling: a request or a reader too slow
}

// newServer returns the server of proto, with its bounds from limits.go.
func newServer(proto protocol.ID) *server {
	srv := &server{proto: proto, request: serveRequestTimeout, grace: serveWriteGrace, minRate: serveMinRate, peers: make(map[peer.ID]int)}
	for _, b := range protocolBounds() {
		if b.proto == proto {
			srv.perPeer = b.perPeer
		}
	}
	return srv
}

// serve sets h as the handler of srv's protocol, behind srv's bounds.
func (n *Node) serve(srv *server, h func(*serverStream) error) {
	n.Host.SetStreamHandler(srv.proto, func(s network.Stream) { srv.handle(s, h) })
}

func (srv *server) handle(s network.Stream, h func(*serverStream) error) {
	p := s.Conn().RemotePeer()
	if !srv.acquire(p) {
		srv.refused.Add(1)
		s.Reset()
		return
	}
	defer srv.release(p)
	if err := s.Scope().SetService(serveService); err != nil {
		srv.refused.Add(1)
		s.Reset()
		return
	}
	s.SetReadDeadline(time.Now().Add(srv.request))
	st := &serverStream{
		s: s,
		// A request is one frame of at most maxHeadRequest bytes.
		r: bufio.NewReaderSize(s, 2*maxHeadRequest),
		w: paceWriter{s: s, now: time.Now, chunk: serveWriteChunk, minRate: srv.minRate, grace: srv.grace, slack: srv.grace},
	}
	err := h(st)
	s.Scope().ReleaseMemory(st.held)
	if err != nil {
		switch {
		case timedOut(err):
			srv.cut.Add(1)
		case errors.Is(err, network.ErrResourceLimitExceeded):
			srv.refused.Add(1)
		}
		s.Reset()
		return
	}
	s.Close()
}

func (srv *server) acquire(p peer.ID) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.peers[p] >= srv.perPeer {
		return false
	}
	srv.peers[p]++
	return true
}

func (srv *server) release(p peer.ID) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.peers[p]--; srv.peers[p] <= 0 {
		delete(srv.peers, p)
	}
}

// serverStream is the stream a handler sees: it reads the request, writes
// the response at a minimum rate, and reserves the memory it holds.
type serverStream struct {
	s    network.Stream
	r    *bufio.Reader
	w    paceWriter
	held int // bytes reserved in the stream's resource scope
}

// request reads the request frame, refusing one over limit before
// reading it.
func (st *serverStream) request(limit int) ([]byte, error) { return readFrame(st.r, limit) }

// Write writes to the peer under paceWriter's deadline.
func (st *serverStream) Write(p []byte) (int, error) { return st.w.Write(p) }

// hold reserves n bytes the handler holds (buffers, a block) in the
// stream's resource scope, until the handler returns; an error means the
// protocol, the service, the peer or the node is at its memory limit.
func (st *serverStream) hold(n int) error {
	if err := st.s.Scope().ReserveMemory(n, network.ReservationPriorityAlways); err != nil {
		return err
	}
	st.held += n
	return nil
}

// deadlineWriter is what paceWriter writes to: a stream.
type deadlineWriter interface {
	Write([]byte) (int, error)
	SetWriteDeadline(time.Time) error
}

// paceWriter writes under a write deadline that moves with the bytes
// written: each chunk of at most chunk bytes earns the time it takes at
// minRate, and the reader may fall behind by at most grace (the
// slack it starts with). So a reader slower than minRate is cut off once
// it has used up its grace, and a reader that stops at once after grace
// plus one chunk's time, however much it read before: credit is not
// banked beyond grace. Time between writes (the upload cap's waits, the
// disk) is not counted against the reader.
type paceWriter struct {
	s       deadlineWriter
	now     func() time.Time
	chunk   int // bytes written under one deadline
	minRate int // bytes per second
	grace   time.Duration
	slack   time.Duration // how far the reader may still fall behind
}

func (w *paceWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), w.chunk)]
		earned := time.Duration(len(chunk)) * time.Second / time.Duration(w.minRate)
		start := w.now()
		if err := w.s.SetWriteDeadline(start.Add(w.slack + earned)); err != nil {
			return written, err
		}
		n, err := w.s.Write(chunk)
		written += n
		if err != nil {
			return written, err
		}
		w.slack = max(0, min(w.grace, w.slack+earned-w.now().Sub(start)))
		p = p[n:]
	}
	return written, nil
}

// timedOut reports whether err is a deadline's.
func timedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
