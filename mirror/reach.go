package mirror

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/node"
)

// Reach is where a reader may fetch a publisher from, besides the mirror
// list of the publisher's document and the mirrors given for it before,
// which Fetch adds.
type Reach struct {
	// Peers are dialled for every publisher (node.Node.Connect): those
	// the user named, the remembered ones.
	Peers []peer.AddrInfo
	// Mirrors are this publisher's only (node.Node.ConnectFor, for a
	// libp2p one): a link's peers and mirrors. Fetch remembers them for
	// the publisher (node.MirrorBook.Remember).
	Mirrors []node.Mirror
	// HTTP says how HTTPS mirrors are fetched from; its URLs (the user's)
	// are asked before any mirror's.
	HTTP HTTPSource
	// HTTPOnly leaves libp2p out: the user asked for HTTP.
	HTTPOnly bool
}

// SignedMirrors returns the mirrors, of the kinds this version uses, that
// the document of publisher's stored head lists: none for a bare head or
// no head. Every update brings its publisher's newest list with its head
// (protocol.md §4.2), by whatever path it came.
func (s *Service) SignedMirrors(publisher string) []node.Mirror {
	h, err := s.heads.Get(publisher)
	if err != nil || h == nil || h.Authority == nil {
		return nil
	}
	return node.ParseMirrors(h.Authority.Mirrors)
}

// Fetch brings publisher up to date from everywhere a reader knows of:
// r's peers and mirrors, the mirrors given for the publisher before and
// those its stored document lists, tried in the order the node's mirror
// book gives (those that worked first, then the untried ones in a random
// order, then those that failed). First libp2p: every peer and libp2p
// mirror is dialled at once (node.Node.DialFirst; when there are HTTPS
// mirrors to turn to, it waits at most node.DialPatience for a first
// connection) and Sync runs over the connected ones. Then, only if no
// libp2p source gave a valid head, or the head it ends with has expired
// (the censor may be holding libp2p back), the HTTPS mirrors (SyncHTTP):
// r.HTTP's URLs first, then the mirrors'. A reader whose libp2p works so
// contacts no web server. How each mirror that was tried answered goes to
// the book, saved in the repo. Everything fetched is verified as Sync and
// SyncHTTP verify it; the result is that of the path that got furthest.
func (s *Service) Fetch(ctx context.Context, publisher string, r Reach) (*SyncResult, error) {
	book := s.n.Mirrors()
	defer func() {
		if err := book.Save(); err != nil {
			s.log.Warn("could not save which mirrors worked", "kind", node.ErrorKind(err))
		}
	}()
	given := make([]string, 0, len(r.Mirrors))
	for _, m := range r.Mirrors {
		given = append(given, m.Addr)
	}
	candidates := slices.Concat(r.Mirrors, node.ParseMirrors(book.Given(publisher)), s.SignedMirrors(publisher))
	mirrors := book.Order(uniqueMirrors(candidates, r.HTTP.URLs))
	var res *SyncResult
	var lerr error // libp2p's
	if !r.HTTPOnly {
		https := len(r.HTTP.URLs) > 0 || slices.ContainsFunc(mirrors, func(m node.Mirror) bool { return m.URL != "" })
		res, lerr = s.fetchPeers(ctx, publisher, r.Peers, mirrors, https)
		if lerr == nil && res.Answered > 0 && !res.Head.Expired {
			book.Remember(publisher, given)
			return res, nil
		}
	}
	hres, herr := s.fetchHTTPS(ctx, publisher, r.HTTP, mirrors)
	switch {
	case herr == nil:
		book.Remember(publisher, given)
		return hres, nil
	case errors.Is(herr, ErrNoSource) && (res != nil || lerr != nil):
		return res, lerr // nothing to try over HTTPS: libp2p's outcome stands
	case res != nil && lerr == nil:
		// libp2p gave the stored head (no answer) or an expired one, and
		// HTTPS nothing better: the held head stands, as a sync with
		// nowhere to ask returns it.
		return res, nil
	case res != nil:
		return res, errors.Join(lerr, herr)
	}
	return hres, errors.Join(lerr, herr)
}

// fetchHTTPS is Fetch's HTTPS part: SyncHTTP over src's URLs, then the
// HTTPS mirrors', each mirror's head answer recorded in the book.
func (s *Service) fetchHTTPS(ctx context.Context, publisher string, src HTTPSource, mirrors []node.Mirror) (*SyncResult, error) {
	book := s.n.Mirrors()
	src.URLs = slices.Clone(src.URLs)
	byURL := map[string]string{}
	for _, m := range mirrors {
		if m.URL != "" {
			src.URLs = append(src.URLs, m.URL)
			byURL[m.URL] = m.Addr
		}
	}
	if len(src.URLs) == 0 {
		return nil, ErrNoSource
	}
	if src.Client == nil {
		src.Client = s.httpClient()
	}
	served := src.Served
	src.Served = func(u string, err error) {
		if addr, ok := byURL[u]; ok && ctx.Err() == nil {
			book.Served(addr, err)
		}
		if served != nil {
			served(u, err)
		}
	}
	return s.SyncHTTP(ctx, publisher, src)
}

// fetchPeers is Fetch's libp2p part: it dials peers for every publisher
// and the libp2p mirrors for publisher only (with https, giving up
// waiting after node.DialPatience with none connected), then syncs from
// whoever connected. With no source connected and no DHT it fails at
// once when there are HTTPS mirrors to turn to; without them it syncs all
// the same, which returns the stored head, as a node with nowhere to ask
// always did.
func (s *Service) fetchPeers(ctx context.Context, publisher string, peers []peer.AddrInfo, mirrors []node.Mirror, https bool) (*SyncResult, error) {
	var targets []node.DialTarget
	for _, ai := range peers {
		targets = append(targets, node.DialTarget{Info: ai})
	}
	var dialled []node.Mirror
	for _, m := range mirrors {
		if m.Peer != nil && m.Peer.ID != s.n.Host.ID() {
			targets = append(targets, node.DialTarget{Info: *m.Peer, Publisher: publisher})
			dialled = append(dialled, m)
		}
	}
	var patience time.Duration
	if https {
		patience = node.DialPatience
	}
	book := s.n.Mirrors()
	var mu sync.Mutex
	ended := make([]bool, len(dialled))
	_, started := s.n.DialFirst(ctx, targets, patience, func(i int, err error) {
		if i < len(peers) || ctx.Err() != nil {
			return
		}
		mu.Lock()
		ended[i-len(peers)] = true
		mu.Unlock()
		book.Served(dialled[i-len(peers)].Addr, err)
	})
	// A mirror still dialling once the others settled has failed this
	// time: it goes after them next time (a late success overwrites that
	// in the book until it is saved). One never dialled gets no record.
	mu.Lock()
	for i, m := range dialled {
		if !ended[i] && len(peers)+i < started && ctx.Err() == nil {
			book.Served(m.Addr, errNoAnswer)
		}
	}
	mu.Unlock()
	if https && len(s.n.SourcesFor(publisher)) == 0 && !s.n.HasDHT() {
		return nil, ErrNoSource
	}
	return s.Sync(ctx, publisher, nil)
}

// uniqueMirrors drops entries that repeat an earlier one or one of urls:
// libp2p mirrors by entry, HTTPS ones by URL (ParseMirror drops a
// trailing slash; so does this for urls).
func uniqueMirrors(ms []node.Mirror, urls []string) []node.Mirror {
	seen := map[string]bool{}
	for _, u := range urls {
		seen[strings.TrimSuffix(u, "/")] = true
	}
	var out []node.Mirror
	for _, m := range ms {
		key := m.Addr
		if m.URL != "" {
			key = m.URL
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, m)
		}
	}
	return out
}
