package node

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	ma "github.com/multiformats/go-multiaddr"
	"github.com/samizdat/samizdat/bundle"
)

// LinkScheme is the URI scheme of a samizdat link.
const LinkScheme = "samizdat"

// ErrBadLink is returned by ParseLink for anything it does not accept.
var ErrBadLink = errors.New("invalid samizdat link")

// Link names a publisher and, optionally, peers that carry it: what a
// reader pastes to follow a publisher. Its text form is a bare publisher
// ID, or
//
//	samizdat:<publisher>?peer=<multiaddr>&peer=<multiaddr>
//
// with each multiaddr query-escaped.
type Link struct {
	Publisher string   // canonical publisher ID
	Peers     []string // multiaddrs, each with a /p2p/ part
}

// ParseLink parses a bare publisher ID or a samizdat: link. The publisher
// ID is normalized; each peer must be a valid multiaddr naming its peer
// ID. At most MaxLinkPeers peers and MaxLinkLen bytes are accepted.
func ParseLink(s string) (Link, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxLinkLen {
		return Link{}, fmt.Errorf("%w: longer than %d bytes", ErrBadLink, MaxLinkLen)
	}
	rest, ok := cutSchemeFold(s)
	if !ok {
		// A bare publisher ID.
		id, err := bundle.NormalizePublisherID(s)
		if err != nil {
			return Link{}, fmt.Errorf("%w: not a publisher ID", ErrBadLink)
		}
		return Link{Publisher: id}, nil
	}
	rest = strings.TrimPrefix(rest, "//") // samizdat://ID is a common paste
	idPart, query, _ := strings.Cut(rest, "?")
	id, err := bundle.NormalizePublisherID(idPart)
	if err != nil {
		return Link{}, fmt.Errorf("%w: not a publisher ID", ErrBadLink)
	}
	l := Link{Publisher: id}
	if query == "" {
		return l, nil
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return Link{}, fmt.Errorf("%w: bad query", ErrBadLink)
	}
	for k := range vals {
		if k != "peer" {
			return Link{}, fmt.Errorf("%w: unknown parameter %.32q", ErrBadLink, k)
		}
	}
	peers := vals["peer"]
	if len(peers) > MaxLinkPeers {
		return Link{}, fmt.Errorf("%w: more than %d peers", ErrBadLink, MaxLinkPeers)
	}
	for _, p := range peers {
		if len(p) > maxLinkPeerLen {
			return Link{}, fmt.Errorf("%w: peer address longer than %d bytes", ErrBadLink, maxLinkPeerLen)
		}
		a, err := ma.NewMultiaddr(p)
		if err != nil {
			return Link{}, fmt.Errorf("%w: bad peer address", ErrBadLink)
		}
		if _, err := a.ValueForProtocol(ma.P_P2P); err != nil {
			return Link{}, fmt.Errorf("%w: peer address without /p2p/ID", ErrBadLink)
		}
		l.Peers = append(l.Peers, a.String())
	}
	// Escaping may lengthen it: what String writes must parse again.
	if len(l.String()) > MaxLinkLen {
		return Link{}, fmt.Errorf("%w: longer than %d bytes", ErrBadLink, MaxLinkLen)
	}
	return l, nil
}

// cutSchemeFold removes a leading "samizdat:", in any case.
func cutSchemeFold(s string) (string, bool) {
	if len(s) > len(LinkScheme) && s[len(LinkScheme)] == ':' && strings.EqualFold(s[:len(LinkScheme)], LinkScheme) {
		return s[len(LinkScheme)+1:], true
	}
	return s, false
}

// String returns the link's text form: samizdat:<publisher>, with a
// peer parameter per peer.
func (l Link) String() string {
	var b strings.Builder
	b.WriteString(LinkScheme + ":" + l.Publisher)
	for i, p := range l.Peers {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString("peer=" + escapeAddr(p))
	}
	return b.String()
}

// escapeAddr query-escapes a multiaddr but keeps its slashes and colons
// readable: they need no escaping in a query value.
func escapeAddr(s string) string {
	return strings.NewReplacer("%2F", "/", "%3A", ":").Replace(url.QueryEscape(s))
}
