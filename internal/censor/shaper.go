package censor

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Shaper is a user-space link: a TCP forwarder that paces the bytes it
// carries to a rate in each direction, shared by all its connections (as
// one access link would be), and that can cut every connection at once.
// Traffic takes it only if the test gives its address instead of the
// target's (and blocks the direct path with a rule).
//
// A cut resets every connection at once, both ends, and refuses new ones
// (accepted, then reset at once) until Restore: a dead link whose ends
// learn of it quickly. A link that goes silent instead, so that each end
// waits for its own timeouts, is a DROP rule.
type Shaper struct {
	ln     net.Listener
	dial   func(ctx context.Context) (net.Conn, error)
	rate   atomic.Int64 // bytes a second each way; 0: no limit
	toCli  atomic.Int64 // bytes forwarded to the client
	toTgt  atomic.Int64 // bytes forwarded to the target
	accept atomic.Int64 // connections accepted
	closed chan struct{}

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	cut    bool
	cutAt  int64 // cut once toCli reaches this (0: not armed)
	paceUp pacer // toward the target
	paceDn pacer // toward the client
	wg     sync.WaitGroup
}

// Shaper listens inside h on listen (an IP address and port; port 0 picks
// one) and forwards each connection, from h, to target (an IP address
// and port), at bytesPerSecond each way (0: no limit). It is closed when
// the test ends.
func (h *Host) Shaper(listen, target string, bytesPerSecond int) (*Shaper, error) {
	ln, err := h.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	s := &Shaper{
		ln:     ln,
		dial:   func(ctx context.Context) (net.Conn, error) { return h.Dial(ctx, "tcp", target) },
		closed: make(chan struct{}),
		conns:  map[net.Conn]struct{}{},
	}
	s.rate.Store(int64(bytesPerSecond))
	s.wg.Add(1)
	go s.serve()
	h.net.t.Cleanup(s.Close)
	return s, nil
}

// Addr is the address the shaper listens on.
func (s *Shaper) Addr() string { return s.ln.Addr().String() }

// SetRate changes the rate, in bytes a second each way (0: no limit).
func (s *Shaper) SetRate(bytesPerSecond int) { s.rate.Store(int64(bytesPerSecond)) }

// ToClient returns the bytes forwarded so far toward the clients (the
// download), and ToTarget those toward the target.
func (s *Shaper) ToClient() int64 { return s.toCli.Load() }

// ToTarget returns the bytes forwarded so far toward the target.
func (s *Shaper) ToTarget() int64 { return s.toTgt.Load() }

// Accepted returns how many connections the shaper has accepted.
func (s *Shaper) Accepted() int64 { return s.accept.Load() }

// Cut resets every connection and refuses new ones until Restore.
func (s *Shaper) Cut() {
	s.mu.Lock()
	s.cut, s.cutAt = true, 0
	conns := s.conns
	s.conns = map[net.Conn]struct{}{}
	s.mu.Unlock()
	for c := range conns {
		reset(c)
	}
}

// CutAt arms a Cut for the moment ToClient reaches n bytes.
func (s *Shaper) CutAt(n int64) {
	s.mu.Lock()
	s.cutAt = n
	s.mu.Unlock()
	if s.toCli.Load() >= n {
		s.Cut()
	}
}

// IsCut reports whether the link is cut.
func (s *Shaper) IsCut() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cut
}

// Restore lets connections through again after a Cut.
func (s *Shaper) Restore() {
	s.mu.Lock()
	s.cut = false
	s.mu.Unlock()
}

// Close stops the shaper and resets its connections.
func (s *Shaper) Close() {
	select {
	case <-s.closed:
		return
	default:
	}
	close(s.closed)
	s.ln.Close()
	s.Cut()
	s.wg.Wait()
}

func (s *Shaper) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accept.Add(1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(c)
		}()
	}
}

// track adds c to the live connections, unless the link is cut.
func (s *Shaper) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cut {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Shaper) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Shaper) handle(cli net.Conn) {
	if !s.track(cli) {
		reset(cli)
		return
	}
	defer s.untrack(cli)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tgt, err := s.dial(ctx)
	cancel()
	if err != nil {
		reset(cli)
		return
	}
	if !s.track(tgt) {
		reset(cli)
		reset(tgt)
		return
	}
	defer s.untrack(tgt)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.pipe(tgt, cli, &s.paceUp, &s.toTgt) }()
	go func() { defer wg.Done(); s.pipe(cli, tgt, &s.paceDn, &s.toCli) }()
	wg.Wait()
	cli.Close()
	tgt.Close()
}

// pipe copies src to dst at the shaper's rate. At src's end it closes
// dst's write side; on an error it resets both.
func (s *Shaper) pipe(dst, src net.Conn, p *pacer, count *atomic.Int64) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf[:s.chunk()])
		if n > 0 {
			if d := p.reserve(time.Now(), n, s.rate.Load()); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-s.closed:
					t.Stop()
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				reset(src)
				return
			}
			if total := count.Add(int64(n)); count == &s.toCli {
				s.mu.Lock()
				fire := s.cutAt > 0 && total >= s.cutAt
				s.mu.Unlock()
				if fire {
					s.Cut()
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if tc, ok := dst.(*net.TCPConn); ok {
					tc.CloseWrite()
					return
				}
			}
			reset(dst)
			return
		}
	}
}

// chunk is how much one read may take: about 1/50 s of the rate, so the
// pace holds over tens of milliseconds.
func (s *Shaper) chunk() int {
	r := s.rate.Load()
	switch {
	case r <= 0 || r/50 > 32<<10:
		return 32 << 10
	case r/50 < 256:
		return 256
	}
	return int(r / 50)
}

// pacer spaces chunks so that their bytes average a rate: each chunk may
// go once the previous ones would have finished crossing the link. An
// idle link earns no burst.
type pacer struct {
	mu   sync.Mutex
	next time.Time
}

// reserve books n bytes at rate and returns how long to wait before
// sending them.
func (p *pacer) reserve(now time.Time, n int, rate int64) time.Duration {
	if rate <= 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next.Before(now) {
		p.next = now
	}
	p.next = p.next.Add(time.Duration(int64(n) * int64(time.Second) / rate))
	return p.next.Sub(now)
}

// reset closes c with a TCP reset rather than a clean end.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
