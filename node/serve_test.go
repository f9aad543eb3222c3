package node

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
)

// pacedPeer is a stream to a peer that reads as readAt says (readAt(x) is
// how long after the start it has read x bytes; never, for a peer that
// stops), behind a window of bytes sent and not yet read, on a virtual
// clock.
type pacedPeer struct {
	start, clock, deadline time.Time
	sent, window           int
	readAt                 func(x int) time.Duration
}

const never = time.Duration(1 << 62)

func (p *pacedPeer) now() time.Time                     { return p.clock }
func (p *pacedPeer) SetWriteDeadline(t time.Time) error { p.deadline = t; return nil }

func (p *pacedPeer) Write(b []byte) (int, error) {
	done := p.start
	if x := p.sent + len(b) - p.window; x > 0 {
		done = p.start.Add(p.readAt(x))
	}
	if done.After(p.deadline) {
		p.clock = later(p.clock, p.deadline)
		return 0, os.ErrDeadlineExceeded
	}
	p.clock = later(p.clock, done)
	p.sent += len(b)
	return len(b), nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// readRate reads r bytes a second; steps reads the same, but is seen in steps
// of step bytes (a muxer's window updates); stops reads r bytes a second
// until it has read n, and then nothing.
func readRate(r int) func(int) time.Duration {
	return func(x int) time.Duration { return time.Duration(x) * time.Second / time.Duration(r) }
}

func steps(r, step int) func(int) time.Duration {
	return func(x int) time.Duration { return readRate(r)((x + step - 1) / step * step) }
}

func stops(r, n int) func(int) time.Duration {
	return func(x int) time.Duration {
		if x > n {
			return never
		}
		return readRate(r)(x)
	}
}

// TestPaceWriter: a reader is cut off once it falls serveWriteGrace behind
// serveMinRate, and only then: not for reading in a muxer's steps, not for
// the server's own pauses, and not later for having read fast before.
func TestPaceWriter(t *testing.T) {
	const (
		window   = 256 << 10
		response = 8 << 20
		write    = 64 << 10 // a bufio.Writer's flush
	)
	chunkTime := time.Duration(serveWriteChunk) * time.Second / serveMinRate
	for _, tt := range []struct {
		name             string
		readAt           func(int) time.Duration
		pause            time.Duration // the server's, after each write
		cut              bool
		notBefore, notAt time.Duration // when a cut may come: [notBefore, notAt)
	}{
		{name: "fast reader", readAt: readRate(1 << 20)},
		{name: "reader at twice the minimum", readAt: readRate(2 * serveMinRate)},
		{name: "reader at 4 KiB/s seen in 128 KiB steps", readAt: steps(4<<10, 128<<10)},
		{name: "server pausing for the upload cap", readAt: readRate(2 * serveMinRate), pause: 10 * serveWriteGrace},
		{name: "reader at half the minimum", readAt: readRate(serveMinRate / 2), cut: true, notAt: response * time.Second / serveMinRate},
		{name: "reader that never reads", readAt: stops(1, 0), cut: true,
			notBefore: serveWriteGrace, notAt: serveWriteGrace + chunkTime + 1},
		{name: "fast reader that stops", readAt: stops(1<<20, 4<<20), cut: true,
			notBefore: 4*time.Second + serveWriteGrace, notAt: 4*time.Second + serveWriteGrace + chunkTime + 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Unix(0, 0)
			p := &pacedPeer{start: start, clock: start, window: window, readAt: tt.readAt}
			w := paceWriter{s: p, now: p.now, chunk: serveWriteChunk, minRate: serveMinRate, grace: serveWriteGrace, slack: serveWriteGrace}
			var err error
			for sent := 0; sent < response && err == nil; sent += write {
				_, err = w.Write(make([]byte, write))
				p.clock = p.clock.Add(tt.pause)
			}
			at := p.clock.Sub(start)
			if cut := err != nil; cut != tt.cut {
				t.Fatalf("after %v: Write() = %v; want a cut: %v", at, err, tt.cut)
			}
			if !tt.cut {
				return
			}
			if !timedOut(err) {
				t.Errorf("Write() = %v, want a deadline's error", err)
			}
			if at < tt.notBefore || tt.notAt > 0 && at >= tt.notAt {
				t.Errorf("cut off at %v, want in [%v, %v)", at, tt.notBefore, tt.notAt)
			}
		})
	}
}

// waitFor waits until cond holds.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestServerBounds: the server wrapper, on a test protocol with short
// limits, serves an honest reader, cuts off a peer that stalls in its
// request and one that stops reading, and resets at once a peer's streams
// over its cap while it holds the cap, and serves another peer then.
func TestServerBounds(t *testing.T) {
	response := make([]byte, 8<<20) // more than any muxer's window
	n := startNode(t, false)
	// Two servers: one that cuts off stalling peers in a moment, and one
	// that leaves them be (to hold a peer's cap).
	serve := func(proto protocol.ID, timeout time.Duration) *server {
		srv := newServer(proto)
		srv.perPeer, srv.request, srv.grace, srv.minRate = 2, timeout, timeout, 64<<10
		n.serve(srv, func(st *serverStream) error {
			if _, err := st.request(maxCIDLen); err != nil {
				return err
			}
			_, err := st.Write(response)
			return err
		})
		return srv
	}
	quick := serve("/samizdat/test-quick/1.0.0", 300*time.Millisecond)
	patient := serve("/samizdat/test-patient/1.0.0", time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	open := func(c *Node, srv *server, req []byte) network.Stream {
		t.Helper()
		s, err := c.Host.NewStream(ctx, n.Host.ID(), srv.proto)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Reset() })
		if _, err := s.Write(req); err != nil {
			t.Fatal(err)
		}
		return s
	}
	client := func() *Node {
		c := startNode(t, false)
		connect(t, c, n)
		return c
	}
	held := func(srv *server, c *Node) int {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.peers[c.Host.ID()]
	}

	t.Run("honest reader", func(t *testing.T) {
		got, err := io.ReadAll(open(client(), quick, frame([]byte("x"))))
		if err != nil || len(got) != len(response) {
			t.Errorf("read %d bytes, %v; want %d", len(got), err, len(response))
		}
	})
	t.Run("stalled request", func(t *testing.T) {
		before := quick.cut.Load()
		s := open(client(), quick, []byte{0x80}) // a length prefix, unfinished
		if _, err := s.Read(make([]byte, 1)); !errors.Is(err, network.ErrReset) {
			t.Errorf("read = %v, want a reset", err)
		}
		waitFor(ctx, t, "the cut", func() bool { return quick.cut.Load() > before })
	})
	t.Run("stalled reader", func(t *testing.T) {
		before := quick.cut.Load()
		s := open(client(), quick, frame([]byte("x")))
		if _, err := io.ReadFull(s, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		waitFor(ctx, t, "the cut", func() bool { return quick.cut.Load() > before })
	})
	t.Run("over the cap", func(t *testing.T) {
		c := client()
		for range patient.perPeer {
			open(c, patient, []byte{0x80})
		}
		waitFor(ctx, t, "the cap held", func() bool { return held(patient, c) == patient.perPeer })
		if _, err := open(c, patient, frame([]byte("x"))).Read(make([]byte, 1)); !errors.Is(err, network.ErrReset) {
			t.Errorf("read over the cap = %v, want a reset", err)
		}
		if got := patient.refused.Load(); got != 1 {
			t.Errorf("refused %d streams, want 1", got)
		}
		if got := held(patient, c); got != patient.perPeer {
			t.Errorf("the peer holds %d streams after the excess one, want %d", got, patient.perPeer)
		}
		var svc network.ScopeStat
		n.Host.Network().ResourceManager().ViewService(serveService, func(s network.ServiceScope) error {
			svc = s.Stat()
			return nil
		})
		if svc.NumStreamsInbound < patient.perPeer {
			t.Errorf("the service scope counts %d inbound streams, want the %d held", svc.NumStreamsInbound, patient.perPeer)
		}
		got, err := io.ReadAll(open(client(), patient, frame([]byte("x"))))
		if err != nil || len(got) != len(response) {
			t.Errorf("another peer read %d bytes, %v; want %d", len(got), err, len(response))
		}
	})
}

// TestServerLimits: the node's resource manager has each protocol
// server's limits, and the service's, and leaves the other protocols at
// least half the node's inbound streams.
func TestServerLimits(t *testing.T) {
	n := startNode(t, true)
	rm := n.Host.Network().ResourceManager()
	limit := func(view func(func(network.ResourceScope) error) error) (l rcmgr.Limit) {
		view(func(s network.ResourceScope) error {
			l = s.(rcmgr.ResourceScopeLimiter).Limit()
			return nil
		})
		return l
	}
	var streams int
	var memory int64
	for _, b := range protocolBounds() {
		l := limit(func(f func(network.ResourceScope) error) error {
			return rm.ViewProtocol(b.proto, func(s network.ProtocolScope) error { return f(s) })
		})
		if got := l.GetStreamLimit(network.DirInbound); got != b.streams {
			t.Errorf("%s: inbound stream limit %d, want %d", b.proto, got, b.streams)
		}
		if got := l.GetMemoryLimit(); got != b.memory {
			t.Errorf("%s: memory limit %d, want %d", b.proto, got, b.memory)
		}
		streams += b.streams
		memory += b.memory
	}
	svc := limit(func(f func(network.ResourceScope) error) error {
		return rm.ViewService(serveService, func(s network.ServiceScope) error { return f(s) })
	})
	if got := svc.GetStreamLimit(network.DirInbound); got != streams {
		t.Errorf("service inbound stream limit %d, want %d", got, streams)
	}
	if got := svc.GetMemoryLimit(); got != memory {
		t.Errorf("service memory limit %d, want %d", got, memory)
	}
	sys := limit(rm.ViewSystem)
	if all := sys.GetStreamLimit(network.DirInbound); streams > all/2 {
		t.Errorf("the protocol servers may hold %d of the node's %d inbound streams, want at most half", streams, all)
	}
}
