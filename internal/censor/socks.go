package censor

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// SOCKS5 is a minimal SOCKS5 proxy (RFC 1928): no authentication, the
// CONNECT command only, names resolved from its own table (as socks5h://
// clients expect of a proxy such as Tor's). It is enough for a reader
// whose only way out is a proxy; it is not a hardened server.
type SOCKS5 struct {
	ln    net.Listener
	h     *Host
	names map[string]string
	wg    sync.WaitGroup

	mu       sync.Mutex
	requests []string
	conns    map[net.Conn]struct{}
	closed   bool
}

// SOCKS5 starts a proxy listening inside h on listen (IP address and
// port) that connects out from h; names maps the host names it will
// resolve to IP addresses (others are refused). It is closed when the
// test ends.
func (h *Host) SOCKS5(listen string, names map[string]string) (*SOCKS5, error) {
	ln, err := h.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	p := &SOCKS5{ln: ln, h: h, names: names, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	h.net.t.Cleanup(p.Close)
	return p, nil
}

// Addr is the proxy's address.
func (p *SOCKS5) Addr() string { return p.ln.Addr().String() }

// Requests returns the destinations asked for so far, as host:port, in
// order (granted or not).
func (p *SOCKS5) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// Close stops the proxy and closes its connections.
func (p *SOCKS5) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	p.ln.Close()
	for c := range conns {
		c.Close()
	}
	p.wg.Wait()
}

func (p *SOCKS5) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *SOCKS5) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *SOCKS5) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			if !p.track(c) {
				c.Close()
				return
			}
			defer p.untrack(c)
			defer c.Close()
			p.handle(c)
		}()
	}
}

// SOCKS5 reply codes.
const (
	socksOK          = 0
	socksFailure     = 1
	socksUnreachable = 4
	socksRefused     = 5
	socksBadCommand  = 7
	socksBadAddress  = 8
)

func (p *SOCKS5) handle(c net.Conn) {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if !greet(c) {
		return
	}
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil || req[0] != 5 {
		return
	}
	host, err := readAddr(c, req[3])
	if err != nil {
		reply(c, socksBadAddress, nil)
		return
	}
	var port [2]byte
	if _, err := io.ReadFull(c, port[:]); err != nil {
		return
	}
	portText := strconv.Itoa(int(binary.BigEndian.Uint16(port[:])))
	p.mu.Lock()
	p.requests = append(p.requests, net.JoinHostPort(host, portText))
	p.mu.Unlock()
	if req[1] != 1 { // CONNECT
		reply(c, socksBadCommand, nil)
		return
	}
	ip := host
	if net.ParseIP(host) == nil {
		if ip = p.names[host]; ip == "" {
			reply(c, socksUnreachable, nil)
			return
		}
	}
	p.relay(c, net.JoinHostPort(ip, portText))
}

// greet reads the client's greeting and accepts "no authentication",
// the only method offered here.
func greet(c net.Conn) bool {
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 5 {
		return false
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return false
	}
	if !slices.Contains(methods, 0) {
		c.Write([]byte{5, 0xff})
		return false
	}
	_, err := c.Write([]byte{5, 0})
	return err == nil
}

// relay connects to dest from the proxy's namespace, answers the client,
// and copies both ways until both sides are done.
func (p *SOCKS5) relay(c net.Conn, dest string) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	up, err := p.h.Dial(ctx, "tcp", dest)
	cancel()
	if err != nil {
		code := byte(socksUnreachable)
		if errors.Is(err, syscall.ECONNREFUSED) {
			code = socksRefused
		}
		reply(c, code, nil)
		return
	}
	if !p.track(up) {
		up.Close()
		return
	}
	defer p.untrack(up)
	defer up.Close()
	if err := reply(c, socksOK, up.LocalAddr().(*net.TCPAddr)); err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(up, c)
	go cp(c, up)
	<-done
	<-done
}

// readAddr reads a SOCKS5 address of type atyp.
func readAddr(r io.Reader, atyp byte) (string, error) {
	switch atyp {
	case 1, 4:
		b := make([]byte, map[byte]int{1: 4, 4: 16}[atyp])
		if _, err := io.ReadFull(r, b); err != nil {
			return "", err
		}
		return net.IP(b).String(), nil
	case 3:
		var l [1]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return "", err
		}
		b := make([]byte, l[0])
		if _, err := io.ReadFull(r, b); err != nil {
			return "", err
		}
		return string(b), nil
	}
	return "", errors.New("unknown address type")
}

// reply writes a SOCKS5 reply with code and the bound address (zero if
// nil).
func reply(w io.Writer, code byte, bound *net.TCPAddr) error {
	msg := []byte{5, code, 0, 1, 0, 0, 0, 0, 0, 0}
	if bound != nil {
		if ip4 := bound.IP.To4(); ip4 != nil {
			copy(msg[4:8], ip4)
		}
		binary.BigEndian.PutUint16(msg[8:], uint16(bound.Port))
	}
	_, err := w.Write(msg)
	return err
}
