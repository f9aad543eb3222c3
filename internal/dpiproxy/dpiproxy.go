// Package dpiproxy is a TCP forwarder for tests that reads every byte it
// forwards, as a censor's deep packet inspection does: it counts, in each
// direction, the occurrences of byte strings (libp2p's protocol names, say)
// anywhere in the stream, also across reads, and can cut or stall a
// connection at the first one, and it parses the TLS ClientHello a
// connection opens with (SNI, ALPN), which is what such a censor reads of
// TLS. It runs in user space on loopback and needs no privileges.
//
// What it models: a censor that sees the whole reassembled TCP stream of
// one connection (as `iptables -m string` sees each packet, and more: a
// string split across two packets escapes iptables but not this proxy)
// and acts on a match. What it does not: packet sizes and timing,
// per-packet matching, IP or port blocking, UDP, DNS, active probing, or
// a censor that terminates TLS (a man in the middle).
package dpiproxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"strconv"
	"sync"
)

// Action is what the proxy does at the first match of a connection.
type Action int

const (
	// Observe forwards everything and only counts.
	Observe Action = iota
	// Reset closes both sides of the connection at once (as a censor
	// that injects TCP resets does). The matching bytes are not
	// forwarded.
	Reset
	// Stall stops forwarding in both directions but keeps both sides
	// open, reading and dropping what they send (as a rule that drops
	// every packet carrying the string does: the sender retransmits into
	// the void until it times out). The matching bytes are not forwarded.
	Stall
)

// Direction is a side of the stream.
type Direction int

const (
	// ToServer is from the side that connected to the proxy (the dialer)
	// to the target.
	ToServer Direction = iota
	// ToClient is from the target to the dialer.
	ToClient
)

// ClientHello is what a TLS ClientHello shows in clear.
type ClientHello struct {
	SNI  string   // server_name, "" when absent
	ALPN []string // application_layer_protocol_negotiation, nil when absent
}

// Proxy forwards connections from its address to a target address.
type Proxy struct {
	ln       net.Listener
	target   string
	patterns [][]byte
	action   Action
	maxPat   int

	mu     sync.Mutex
	hits   map[string]*[2]int
	hellos []ClientHello
	conns  int
	bytes  [2]int64
	open   map[net.Conn]bool
	closed bool

	wg sync.WaitGroup
}

// Start listens on 127.0.0.1 (a free port) and forwards every connection
// to target (host:port), scanning both directions for patterns.
func Start(target string, action Action, patterns ...string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, action: action, hits: make(map[string]*[2]int), open: make(map[net.Conn]bool)}
	for _, s := range patterns {
		if s == "" {
			continue
		}
		p.patterns = append(p.patterns, []byte(s))
		p.hits[s] = new([2]int)
		p.maxPat = max(p.maxPat, len(s))
	}
	p.wg.Go(p.accept)
	return p, nil
}

// Addr is the proxy's listening address (127.0.0.1:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the proxy's listening port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// PortString is Port in decimal, for building a multiaddr.
func (p *Proxy) PortString() string { return strconv.Itoa(p.Port()) }

// Hits returns how many times pattern was seen in dir.
func (p *Proxy) Hits(pattern string, dir Direction) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h := p.hits[pattern]; h != nil {
		return h[dir]
	}
	return 0
}

// Seen lists the patterns seen in either direction, in the order given
// to Start.
func (p *Proxy) Seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, pat := range p.patterns {
		if h := p.hits[string(pat)]; h[ToServer]+h[ToClient] > 0 {
			out = append(out, string(pat))
		}
	}
	return out
}

// Bytes returns the bytes forwarded in dir.
func (p *Proxy) Bytes(dir Direction) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bytes[dir]
}

// Conns returns the number of connections accepted.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns
}

// ClientHellos returns the ClientHellos of the connections that opened
// with one, in the order they were parsed.
func (p *Proxy) ClientHellos() []ClientHello {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ClientHello(nil), p.hellos...)
}

// Close stops listening, closes every open connection and waits for the
// forwarding goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.open {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

// track adds c to the open connections, or closes it if the proxy is
// closing.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.open[c] = true
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.open, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) serve(client net.Conn) {
	if !p.track(client) {
		return
	}
	defer p.untrack(client)
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(server) {
		return
	}
	defer p.untrack(server)
	p.mu.Lock()
	p.conns++
	p.mu.Unlock()
	c := &conn{p: p, client: client, server: server}
	var wg sync.WaitGroup
	wg.Go(func() { c.pipe(client, server, ToServer) })
	wg.Go(func() { c.pipe(server, client, ToClient) })
	wg.Wait()
}

// conn is one proxied connection.
type conn struct {
	p              *Proxy
	client, server net.Conn

	mu      sync.Mutex
	tripped bool // the action was taken
}

// trip takes the proxy's action on a match; it reports whether to stop
// forwarding.
func (c *conn) trip() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.p.action {
	case Reset:
		c.tripped = true
		c.client.Close()
		c.server.Close()
	case Stall:
		c.tripped = true
	}
	return c.tripped
}

func (c *conn) isTripped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tripped
}

// pipe copies src to dst, scanning what passes.
func (c *conn) pipe(src, dst net.Conn, dir Direction) {
	defer func() {
		// Half-close, so the other direction drains; a stalled or reset
		// connection is closed by serve.
		if tc, ok := dst.(*net.TCPConn); ok && !c.isTripped() {
			tc.CloseWrite()
		}
	}()
	var tail []byte  // the last maxPat-1 bytes already scanned
	var hello []byte // the opening bytes, until a ClientHello is parsed
	parseHello := dir == ToServer
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if parseHello {
				hello = append(hello, chunk...)
				if h, done := parseClientHello(hello); done {
					parseHello, hello = false, nil
					if h != nil {
						c.p.mu.Lock()
						c.p.hellos = append(c.p.hellos, *h)
						c.p.mu.Unlock()
					}
				}
			}
			matched := c.scan(&tail, chunk, dir)
			switch {
			case c.isTripped():
				// Stalled (or reset): read and drop.
			case matched && c.trip():
			default:
				if _, werr := dst.Write(chunk); werr != nil {
					return
				}
				c.p.mu.Lock()
				c.p.bytes[dir] += int64(n)
				c.p.mu.Unlock()
			}
		}
		if err != nil {
			return
		}
	}
}

// scan counts the patterns in chunk, including those that begin in tail
// (the end of the previous chunks) and end in chunk, and updates tail. It
// reports whether any was found.
func (c *conn) scan(tail *[]byte, chunk []byte, dir Direction) bool {
	if len(c.p.patterns) == 0 {
		return false
	}
	window := append(append([]byte(nil), *tail...), chunk...)
	found := false
	for _, pat := range c.p.patterns {
		count := 0
		for off := 0; ; {
			i := bytes.Index(window[off:], pat)
			if i < 0 {
				break
			}
			// Matches wholly inside tail were counted with the chunk
			// before.
			if off+i+len(pat) > len(*tail) {
				count++
			}
			off += i + 1
		}
		if count > 0 {
			found = true
			c.p.mu.Lock()
			c.p.hits[string(pat)][dir] += count
			c.p.mu.Unlock()
		}
	}
	keep := min(len(window), c.p.maxPat-1)
	*tail = append((*tail)[:0], window[len(window)-keep:]...)
	return found
}

// errShort is a ClientHello cut short: wait for more bytes.
var errShort = errors.New("short")

// parseClientHello parses the TLS record that b begins with. done is
// false while b is too short to tell; h is nil when b does not begin
// with a ClientHello (no TLS, or a malformed one).
func parseClientHello(b []byte) (h *ClientHello, done bool) {
	if len(b) < 5 {
		return nil, false
	}
	if b[0] != 0x16 || b[1] != 3 { // a handshake record, TLS 1.x
		return nil, true
	}
	n := int(binary.BigEndian.Uint16(b[3:5]))
	if len(b) < 5+n {
		if len(b) > 5+(1<<14)+256 {
			return nil, true
		}
		return nil, false
	}
	h, err := clientHello(b[5 : 5+n])
	if err != nil {
		return nil, true
	}
	return h, true
}

// clientHello parses a handshake message that must be a ClientHello
// (RFC 8446 §4.1.2). It assumes the message fits in one record.
func clientHello(b []byte) (*ClientHello, error) {
	r := reader(b)
	typ, err := r.u8()
	if err != nil || typ != 1 {
		return nil, errors.New("not a ClientHello")
	}
	msg, err := r.vec(3)
	if err != nil {
		return nil, err
	}
	r = msg
	if _, err := r.bytes(2 + 32); err != nil { // legacy_version, random
		return nil, err
	}
	if _, err := r.vec(1); err != nil { // legacy_session_id
		return nil, err
	}
	if _, err := r.vec(2); err != nil { // cipher_suites
		return nil, err
	}
	if _, err := r.vec(1); err != nil { // legacy_compression_methods
		return nil, err
	}
	h := &ClientHello{}
	if len(r) == 0 {
		return h, nil // no extensions
	}
	exts, err := r.vec(2)
	if err != nil {
		return nil, err
	}
	for len(exts) > 0 {
		typ, err := exts.u16()
		if err != nil {
			return nil, err
		}
		data, err := exts.vec(2)
		if err != nil {
			return nil, err
		}
		switch typ {
		case 0: // server_name
			list, err := data.vec(2)
			if err != nil {
				return nil, err
			}
			for len(list) > 0 {
				kind, err := list.u8()
				if err != nil {
					return nil, err
				}
				name, err := list.vec(2)
				if err != nil {
					return nil, err
				}
				if kind == 0 {
					h.SNI = string(name)
				}
			}
		case 16: // application_layer_protocol_negotiation
			list, err := data.vec(2)
			if err != nil {
				return nil, err
			}
			for len(list) > 0 {
				proto, err := list.vec(1)
				if err != nil {
					return nil, err
				}
				h.ALPN = append(h.ALPN, string(proto))
			}
		}
	}
	return h, nil
}

// reader reads big-endian fields off a byte slice.
type reader []byte

func (r *reader) bytes(n int) ([]byte, error) {
	if len(*r) < n {
		return nil, errShort
	}
	out := (*r)[:n]
	*r = (*r)[n:]
	return out, nil
}

func (r *reader) u8() (byte, error) {
	b, err := r.bytes(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (r *reader) u16() (int, error) {
	b, err := r.bytes(2)
	if err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint16(b)), nil
}

// vec reads a vector with a size-byte length prefix.
func (r *reader) vec(size int) (reader, error) {
	b, err := r.bytes(size)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, x := range b {
		n = n<<8 | int(x)
	}
	v, err := r.bytes(n)
	return reader(v), err
}
