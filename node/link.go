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
// with each multiaddr query-escaped, followed by a mirror parameter for
// each HTTPS mirror (&mirror=https://m.example/news/).
type Link struct {
	Publisher string   // canonical publisher ID
	Peers     []string // multiaddrs, each with a /p2p/ part
	Mirrors   []string // https base URLs (ParseMirror)
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
		if k != "peer" && k != "mirror" {
			return Link{}, fmt.Errorf("%w: unknown parameter %.32q", ErrBadLink, k)
		}
	}
	if l.Mirrors, err = parseLinkMirrors(vals["mirror"]); err != nil {
		return Link{}, err
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

// parseLinkMirrors checks a link's mirror parameters: at most
// MaxLinkMirrors https base URLs, each within MaxMirrorLen.
func parseLinkMirrors(mirrors []string) ([]string, error) {
	if len(mirrors) > MaxLinkMirrors {
		return nil, fmt.Errorf("%w: more than %d mirrors", ErrBadLink, MaxLinkMirrors)
	}
	for _, m := range mirrors {
		if len(m) > bundle.MaxMirrorLen {
			return nil, fmt.Errorf("%w: mirror longer than %d bytes", ErrBadLink, bundle.MaxMirrorLen)
		}
		if pm, err := ParseMirror(m); err != nil || pm.URL == "" {
			return nil, fmt.Errorf("%w: a mirror must be an https base URL", ErrBadLink)
		}
	}
	return mirrors, nil
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
	sep := byte('?')
	for _, p := range l.Peers {
		b.WriteByte(sep)
		b.WriteString("peer=" + escapeAddr(p))
		sep = '&'
	}
	for _, m := range l.Mirrors {
		b.WriteByte(sep)
		b.WriteString("mirror=" + escapeAddr(m))
		sep = '&'
	}
	return b.String()
}

// escapeAddr query-escapes a multiaddr but keeps its slashes and colons
// readable: they need no escaping in a query value.
func escapeAddr(s string) string {
	return strings.NewReplacer("%2F", "/", "%3A", ":").Replace(url.QueryEscape(s))
}
