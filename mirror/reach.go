package mirror

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/node"
)

// Reach is where a reader may fetch a publisher from, besides the mirror
// list of the publisher's document, which Fetch adds from the stored head.
type Reach struct {
	// Peers are dialled for every publisher (node.Node.Connect): those
	// the user named, the remembered ones.
	Peers []peer.AddrInfo
	// Mirrors are this publisher's only (node.Node.ConnectFor, for a
	// libp2p one): a link's peers and mirrors.
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
// r's peers and mirrors, and the mirrors the publisher's stored document
// lists, tried in the order the node's mirror book gives (those that
// worked first, then the untried ones in a random order, then those that
// failed). First libp2p: every peer and libp2p mirror is dialled at once
// (node.Node.DialFirst; when there are HTTPS mirrors to turn to, it waits
// at most node.DialPatience for a first connection) and Sync runs over
// the connected ones. Then, if
// libp2p gave no head newer than the one held (no peer connected, none
// answered, or none had more), the HTTPS mirrors (SyncHTTP): r.HTTP's URLs
// first, then the mirrors'. How each mirror answered goes to the book,
// which is saved in the repo. Everything fetched is verified as Sync and
// SyncHTTP verify it; the result is that of the path that got furthest.
func (s *Service) Fetch(ctx context.Context, publisher string, r Reach) (*SyncResult, error) {
	book := s.n.Mirrors()
	defer func() {
		if err := book.Save(); err != nil {
			s.log.Warn("could not save which mirrors worked", "kind", node.ErrorKind(err))
		}
	}()
	held, _ := s.heads.Get(publisher)
	mirrors := book.Order(uniqueMirrors(append(append([]node.Mirror(nil), r.Mirrors...), s.SignedMirrors(publisher)...)))
	var res *SyncResult
	var errs []error
	if !r.HTTPOnly {
		var err error
		var patience time.Duration
		if len(r.HTTP.URLs) > 0 || slices.ContainsFunc(mirrors, func(m node.Mirror) bool { return m.URL != "" }) {
			patience = node.DialPatience // HTTPS is there to turn to
		}
		res, err = s.fetchPeers(ctx, publisher, r.Peers, mirrors, patience)
		if err == nil && res != nil && res.Head != held && (held == nil || !res.Head.Catalog.Equals(held.Catalog)) {
			return res, nil
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	src := r.HTTP
	src.URLs = append([]string(nil), src.URLs...)
	byURL := map[string]string{}
	for _, m := range mirrors {
		if m.URL != "" {
			src.URLs = append(src.URLs, m.URL)
			byURL[m.URL] = m.Addr
		}
	}
	if len(src.URLs) == 0 {
		if res == nil && len(errs) == 0 {
			return nil, ErrNoSource
		}
		return res, errors.Join(errs...)
	}
	src.Served = func(u string, err error) {
		if addr, ok := byURL[u]; ok {
			book.Served(addr, err)
		}
		if r.HTTP.Served != nil {
			r.HTTP.Served(u, err)
		}
	}
	hres, herr := s.SyncHTTP(ctx, publisher, src)
	switch {
	case herr == nil:
		return hres, nil
	case res != nil && len(errs) == 0:
		// libp2p brought the reader up to date; the HTTPS mirrors had
		// nothing newer (or could not be reached).
		return res, nil
	case res != nil:
		return res, errors.Join(append(errs, herr)...)
	}
	return hres, errors.Join(append(errs, herr)...)
}

// fetchPeers is Fetch's libp2p part: it dials peers for every publisher
// and the libp2p mirrors for publisher only (giving up waiting after
// patience with none connected, if patience > 0), then syncs from whoever
// connected. With no source connected (and no DHT to ask), it fails at
// once: Sync would only return the stored head.
func (s *Service) fetchPeers(ctx context.Context, publisher string, peers []peer.AddrInfo, mirrors []node.Mirror, patience time.Duration) (*SyncResult, error) {
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
	book := s.n.Mirrors()
	var mu sync.Mutex
	ended := make([]bool, len(dialled))
	s.n.DialFirst(ctx, targets, patience, func(i int, err error) {
		if i < len(peers) {
			return
		}
		mu.Lock()
		ended[i-len(peers)] = true
		mu.Unlock()
		book.Served(dialled[i-len(peers)].Addr, err)
	})
	// A mirror still dialling once the others settled has failed this
	// time: it is tried after them next time (a late success overwrites
	// it in the book until it is saved).
	mu.Lock()
	for i, m := range dialled {
		if !ended[i] {
			book.Served(m.Addr, errNoAnswer)
		}
	}
	mu.Unlock()
	if len(s.n.SourcesFor(publisher)) == 0 && !s.n.HasDHT() {
		return nil, ErrNoSource
	}
	return s.Sync(ctx, publisher, nil)
}

// uniqueMirrors drops later entries that repeat an earlier one.
func uniqueMirrors(ms []node.Mirror) []node.Mirror {
	seen := map[string]bool{}
	out := ms[:0]
	for _, m := range ms {
		if !seen[m.Addr] {
			seen[m.Addr] = true
			out = append(out, m)
		}
	}
	return out
}
