package crawl

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/samizdat/samizdat/bundle/ingest"
)

// inputKey is the context key under which Walk puts its input (a
// walkInput): the dialer reads it to tell an internal site from a public
// one, and get to keep an https walk on https.
type inputKey struct{}

// walkInput is what a walk's requests know of its input.
type walkInput struct {
	host   string // lower case
	secure bool   // https
}

// withInput returns ctx for a walk whose input is u.
func withInput(ctx context.Context, u *url.URL) context.Context {
	return context.WithValue(ctx, inputKey{}, walkInput{strings.ToLower(u.Hostname()), u.Scheme == "https"})
}

func inputOf(ctx context.Context) walkInput {
	in, _ := ctx.Value(inputKey{}).(walkInput)
	return in
}

// secured returns u as it is fetched on the walk of ctx: an http URL on
// a walk whose input is https is fetched over https (port 80, if named,
// becomes 443's default). An item, image or redirect that goes over
// plain http could be rewritten by anyone on the path, the censor a
// bundle is made to get around among them, and the publisher would sign
// the rewrite.
func secured(ctx context.Context, u *url.URL) *url.URL {
	if u.Scheme != "http" || !inputOf(ctx).secure {
		return u
	}
	up := *u
	up.Scheme = "https"
	if up.Port() == "80" {
		up.Host = up.Hostname()
		if strings.Contains(up.Host, ":") {
			up.Host = "[" + up.Host + "]"
		}
	}
	return &up
}

// guard wraps dial so that a walk of a public site cannot reach the
// publisher's own network: a connection for a host that the walk may
// not reach on a non-public address (mayReachPrivate) to such an address
// (loopback, private, link-local, unspecified) is refused with
// ErrPrivateAddress. A compromised CMS could otherwise link a feed item
// or an image to intranet.news.example, a name on the site that only
// the newsroom's DNS resolves, and the page or image would be packed
// into a bundle for the world. The first connection to a walk's input
// host settles whether the site is internal (a later answer of its DNS
// does not change that: DNS rebinding). A connection to the configured
// proxy is not judged: the proxy decides. A connection to a non-public
// address is returned as a privateConn, so that what comes over it is
// known for what it is (see Fetcher.do).
//
// private says which of the fetcher's pools the dialer serves. The
// public pool's never returns a connection to a non-public address: its
// requests were sent there because they could not reach one when the
// pool was chosen, and the input's pin may settle as internal before
// their dial is judged; a connection let in then would stay idle in the
// public pool for the next public walk that asks for the host.
func (f *Fetcher) guard(dial func(ctx context.Context, network, addr string) (net.Conn, error), private bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	proxies := proxyAddrs()
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil || proxies[addr] {
			return conn, err
		}
		host, _, _ := net.SplitHostPort(addr)
		host = strings.ToLower(host)
		ap, perr := netip.ParseAddrPort(conn.RemoteAddr().String())
		if perr == nil && f.public(ap.Addr().Unmap()) {
			f.pin(ctx, host, false)
			return conn, nil
		}
		if private {
			f.pin(ctx, host, true)
		}
		if !private || !f.mayReachPrivate(ctx, host) {
			conn.Close()
			return nil, fmt.Errorf("%w: %w: %s", ingest.ErrBadReference, ErrPrivateAddress, host)
		}
		return privateConn{conn}, nil
	}
}

// pin records, at the first connection to the host of a walk's input,
// whether the site is internal (its address is not public): see
// TestInternalPinned.
func (f *Fetcher) pin(ctx context.Context, host string, internal bool) {
	if host != inputOf(ctx).host {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, known := f.internal[host]; !known {
		f.internal[host] = internal
	}
}

// mayReachPrivate reports whether a request of the walk of ctx for host
// may be answered from a non-public address: when host is the walk's
// input (the publisher chose it) or the input's site is internal. It is
// the one rule behind the dialer (guard), the connection pools
// (Fetcher.do) and the cache (Fetcher.hop).
func (f *Fetcher) mayReachPrivate(ctx context.Context, host string) bool {
	input := inputOf(ctx).host
	if strings.EqualFold(host, input) {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.internal[input]
}

// privateConn is a connection to a non-public address.
type privateConn struct{ net.Conn }

// isPrivate reports whether c, as the HTTP client got it for a request
// (see httptrace.GotConnInfo), is a privateConn, under TLS or not.
func isPrivate(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	_, ok := c.(privateConn)
	return ok
}

// sharedSpace is the carrier-grade NAT range (RFC 6598), which
// IsPrivate does not count but which overlay networks (Tailscale, some
// clouds') use for internal hosts.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// nat64 is the well-known NAT64 prefix (RFC 6052): on an IPv6-only
// network, DNS64 answers with it for an IPv4-only name, and the gateway
// translates to the IPv4 address in its last 32 bits, which may be the
// newsroom's own. nat64Local is the prefix for local use (RFC 8215),
// translated as the network's operator pleases.
var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
)

// isPublic reports whether a is an address on the public internet.
func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	return a.IsGlobalUnicast() && !a.IsPrivate() && !sharedSpace.Contains(a) && !nat64Local.Contains(a)
}

// proxyAddrs returns the host:port of the proxies the environment
// names (HTTP_PROXY, HTTPS_PROXY), as net/http dials them.
func proxyAddrs() map[string]bool {
	out := map[string]bool{}
	for _, scheme := range []string{"http", "https"} {
		req := &http.Request{URL: &url.URL{Scheme: scheme, Host: "samizdat.invalid"}}
		p, err := http.ProxyFromEnvironment(req)
		if err != nil || p == nil {
			continue
		}
		port := p.Port()
		if port == "" {
			port = map[string]string{"https": "443", "socks5": "1080"}[p.Scheme]
			if port == "" {
				port = "80"
			}
		}
		out[net.JoinHostPort(p.Hostname(), port)] = true
	}
	return out
}
