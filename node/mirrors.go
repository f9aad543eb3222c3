package node

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// ErrUnknownMirror is a mirror entry of a kind this version does not use.
// A reader skips it: publisher documents may list kinds that later
// versions read (bundle-format.md §7, *Mirrors*).
var ErrUnknownMirror = errors.New("mirror of an unknown kind")

// Mirror is one usable entry of a publisher's mirror list, or of a link:
// a libp2p peer, or the base URL of an HTTPS mirror (a trustless gateway
// or a static copy, protocol.md §8.2). Exactly one of Peer and URL is set.
type Mirror struct {
	Addr string         // the entry as written
	Peer *peer.AddrInfo // a libp2p mirror: one multiaddr, with its /p2p/ID
	URL  string         // an HTTPS mirror's base URL
}

// ParseMirror reads one mirror entry (protocol.md §3, *Mirror lists*): a
// multiaddr naming its peer ID ("/dns4/m.example/tcp/443/tls/ws/p2p/
// 12D3KooW…"), or an https URL with a host and no user information,
// query or fragment ("https://m.example/news/"). Anything else is
// ErrUnknownMirror, a plain http URL included: its requests would show
// the network which publisher and which bundles a reader fetches.
func ParseMirror(s string) (Mirror, error) {
	switch {
	case strings.HasPrefix(s, "/"):
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return Mirror{}, fmt.Errorf("%w: not a multiaddr", ErrUnknownMirror)
		}
		ai, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil || len(ai.Addrs) == 0 {
			return Mirror{}, fmt.Errorf("%w: a multiaddr needs an address and its /p2p/ID", ErrUnknownMirror)
		}
		return Mirror{Addr: s, Peer: ai}, nil
	case strings.HasPrefix(s, "https://"):
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
			return Mirror{}, fmt.Errorf("%w: not an https base URL", ErrUnknownMirror)
		}
		return Mirror{Addr: s, URL: strings.TrimSuffix(s, "/")}, nil
	}
	return Mirror{}, ErrUnknownMirror
}

// PeerMirror is a libp2p mirror given as a peer and its addresses (a
// link's peers for one peer ID): its entry is its first address with its
// /p2p/ID, the key under which a MirrorBook remembers it.
func PeerMirror(ai peer.AddrInfo) Mirror {
	addr := "/p2p/" + ai.ID.String()
	if as, err := peer.AddrInfoToP2pAddrs(&ai); err == nil && len(as) > 0 {
		addr = as[0].String()
	}
	return Mirror{Addr: addr, Peer: &ai}
}

// ParseMirrors reads a list of mirror entries, keeping the usable ones in
// their order and skipping the rest.
func ParseMirrors(entries []string) []Mirror {
	var out []Mirror
	for _, s := range entries {
		if m, err := ParseMirror(s); err == nil {
			out = append(out, m)
		}
	}
	return out
}
