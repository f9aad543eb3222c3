package mirror

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

// ErrNotPublisher says an operation needs the publisher key the service
// was not given.
var ErrNotPublisher = errors.New("this node has no publisher key")

// ErrNoSource says a reader knows of nowhere to fetch a publisher from:
// no peer connected, and no HTTPS mirror is known.
var ErrNoSource = errors.New("no peer or mirror to fetch from")

// ErrNotRenewable says the stored head cannot be renewed: the newest
// publisher document revokes the key that signed it.
var ErrNotRenewable = errors.New("the stored head cannot be renewed")

// ErrSequenceExhausted says a publisher's head is at the largest sequence
// number, so no newer head can be signed.
var ErrSequenceExhausted = errors.New("head sequence numbers are exhausted")

// DefaultHeadValidity is how long a head stays valid unless renewed: a
// few days, so a reader sees that a publisher went quiet (blocked,
// perhaps) while mirrors still serve what it published.
const DefaultHeadValidity = 72 * time.Hour

// Options configures a Service. The zero value is a mirror or reader
// that publishes nothing.
type Options struct {
	// Key signs the publisher's heads (Publish, Renew, KeepRenewed):
	// without Authority, the publisher's root key; with it, a head key
	// that Authority, or a newer publisher document the service learns,
	// authorizes, so that the root key can stay offline.
	Key ed25519.PrivateKey
	// Authority is the publisher document that authorizes Key to sign
	// heads; nil when Key is the root key.
	Authority *bundle.Authority
	// HeadValidity is how long the heads it signs stay valid; 0 is
	// DefaultHeadValidity.
	HeadValidity time.Duration
	// Logger receives what the service does not return: failed
	// announcements, renewals and background syncs. nil discards. Logs at
	// INFO and above name no article; a reader's (a node that does not
	// serve) name no publisher either.
	Logger *slog.Logger
}

// Service is one node's samizdat service, mirror, reader or publisher: it
// owns the node, the node's head store (its high-water marks) and, when
// it publishes, the publisher key, and it is where the policy lives: what
// to fetch, keep, store, announce and drop. Every path that brings a head
// in (Publish, Renew, Sync, the announcements Follow takes, SyncHTTP,
// Import) stores it through the one head rule, node.Supersedes; a head
// that did not come by announcement is announced once stored, by a node
// that serves. Start starts the node and answers head requests on a node
// that serves, nothing more; Follow and KeepRenewed run until their
// context ends.
type Service struct {
	n        *node.Node
	heads    *node.Heads
	key      ed25519.PrivateKey
	auth     *bundle.Authority // the document given with a head key; nil for a root key
	id       string            // the publisher's ID; "" without a key
	validity time.Duration
	log      *slog.Logger

	signMu sync.Mutex    // one head signed at a time: sequence numbers
	syncs  chan struct{} // bounds the periodic syncs Follow runs at once

	clientOnce sync.Once
	client     *http.Client // for HTTPS mirrors (httpClient)
}

// httpClient returns the client the service's fetches from HTTPS mirrors
// share, made once (NewHTTPClient through the environment's proxy), so
// that periodic syncs reuse its connections.
func (s *Service) httpClient() *http.Client {
	s.clientOnce.Do(func() { s.client = NewHTTPClient(ProxyFunc(os.Getenv)) })
	return s.client
}

// Start starts a node on repo with cfg and returns its service, which
// owns the node: Close stops it (the repo stays the caller's, to close
// after). A node that serves answers head requests from the start.
func Start(ctx context.Context, repo *node.Repo, cfg node.Config, opts Options) (*Service, error) {
	if opts.Logger == nil {
		opts.Logger = cfg.Logger
	}
	if opts.Authority != nil {
		if opts.Key == nil {
			return nil, fmt.Errorf("%w: a publisher document without a head key", ErrNotPublisher)
		}
		key := opts.Key.Public().(ed25519.PublicKey)
		if bundle.PublisherID(key) != opts.Authority.Publisher { // the root key needs no authorization
			if err := opts.Authority.AuthorizeHead(key, time.Now()); err != nil {
				return nil, err
			}
		}
	}
	n, err := node.New(ctx, repo, cfg)
	if err != nil {
		return nil, err
	}
	// Bundle bodies fetched over HTTP wait in the repo while they are
	// checked (HTTPSource.TempDir); what a killed process left there goes
	// now, under the repo's lock.
	stale, _ := filepath.Glob(filepath.Join(repo.Dir(), httpTempPattern))
	for _, p := range stale {
		os.Remove(p)
	}
	return newService(n, opts), nil
}

// Close stops the service's node. Whatever runs on the service (Follow,
// KeepRenewed) must have ended first.
func (s *Service) Close() error { return s.n.Close() }

func newService(n *node.Node, opts Options) *Service {
	s := &Service{n: n, heads: n.Heads(), key: opts.Key, auth: opts.Authority, validity: opts.HeadValidity, log: opts.Logger,
		syncs: make(chan struct{}, maxConcurrentSyncs)}
	if s.validity <= 0 {
		s.validity = DefaultHeadValidity
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case s.auth != nil:
		s.id = s.auth.Publisher
	case s.key != nil:
		s.id = bundle.PublisherID(s.key.Public().(ed25519.PublicKey))
	}
	if n.Serves() {
		n.ServeHeads()
	}
	return s
}

// Node returns the service's node, for what sits beside the service (the
// reader pages, the gateway, status).
func (s *Service) Node() *node.Node { return s.n }

// Publisher returns the ID of the publisher the service signs for, or ""
// without a key.
func (s *Service) Publisher() string { return s.id }

// Head returns the stored head of publisher, or ErrNoHead.
func (s *Service) Head(publisher string) (*node.Head, error) {
	h, err := s.heads.Get(publisher)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, ErrNoHead
	}
	return h, nil
}

// Publishers lists the publishers the service holds heads of.
func (s *Service) Publishers() []string { return s.heads.List() }

// PublishFile opens and fully verifies the bundle file at path, which the
// service's publisher must have signed, and publishes it.
func (s *Service) PublishFile(ctx context.Context, path string) (*node.Head, error) {
	if s.key == nil {
		return nil, ErrNotPublisher
	}
	b, err := bundle.Open(path, bundle.OpenOptions{Publisher: s.id})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := b.Verify(); err != nil {
		return nil, err
	}
	return s.Publish(ctx, b)
}

// Publish adds a verified bundle to the publisher's catalog, signs a head
// for it with the next sequence number, stores it and announces it.
func (s *Service) Publish(ctx context.Context, b *bundle.Bundle) (*node.Head, error) {
	if s.key == nil {
		return nil, ErrNotPublisher
	}
	if b.Publisher != s.id {
		return nil, fmt.Errorf("%w: bundle of %s, key of %s", bundle.ErrWrongPublisher, b.Publisher, s.id)
	}
	s.signMu.Lock()
	defer s.signMu.Unlock()
	cur, err := s.heads.Get(s.id)
	if err != nil {
		return nil, err
	}
	if err := s.canSign(cur); err != nil {
		return nil, err // before the bundle is stored
	}
	seq, err := s.nextSeq(cur)
	if err != nil {
		return nil, err
	}
	if err := s.n.AddBundle(ctx, b); err != nil {
		return nil, err
	}
	pages, err := s.nextCatalog(ctx, cur, b.Root)
	if err != nil {
		return nil, err
	}
	h, err := s.sign(pages[0].CID, seq, cur)
	if err != nil {
		return nil, err
	}
	if _, err := s.adopt(ctx, h, pages, fromHere); err != nil {
		return nil, err
	}
	return h, nil
}

// nextCatalog returns the new pages of the publisher's next catalog chain
// (protocol.md §5), newest first: the new bundle first, then the bundles
// of the stored head's chain (cur, nil if none) and the publisher's own
// bundles this node holds that it does not list (a head signed elsewhere,
// a thief's say, may have left some out), newest first, less those the
// newest document no longer authorizes. In the usual case, nothing to
// add or leave out, that is one page (node.NextCatalog: at most
// CatalogPage bundles, earlier pages untouched); otherwise the chain is
// laid out anew (node.BuildCatalog).
func (s *Service) nextCatalog(ctx context.Context, cur *node.Head, root cid.Cid) ([]node.CatalogBlock, error) {
	auth := s.authority(cur)
	held := map[cid.Cid]bundle.Info{}
	for _, in := range s.n.HeldBundles() {
		if in.Publisher == s.id && in.Root != root {
			held[in.Root] = in
		}
	}
	var chain []node.CatalogBlock
	var old []cid.Cid
	if cur != nil {
		var err error
		if chain, err = s.chain(ctx, cur); err != nil {
			return nil, fmt.Errorf("current catalog: %w", err)
		}
		old = node.ChainBundles(chain)
	}
	if cur != nil && appendable(old, held, root, auth) {
		next := node.NextCatalog(s.id, root, chain[0].Catalog, cur.Catalog)
		c, data, err := next.Encode()
		return []node.CatalogBlock{{CID: c, Data: data, Catalog: next}}, err
	}
	listed := slices.Collect(maps.Keys(held))
	for _, c := range old {
		if _, ok := held[c]; !ok && c != root {
			listed = append(listed, c) // not held here: kept, after the held ones
		}
	}
	slices.SortStableFunc(listed, func(a, b cid.Cid) int { return cmp.Compare(held[b].Seq, held[a].Seq) })
	bundles := []cid.Cid{root}
	for _, c := range listed {
		in, ok := held[c]
		if ok && auth != nil && auth.AuthorizeBundle(in.Signer, in.Seq) != nil {
			continue // revoked: left out
		}
		bundles = append(bundles, c)
	}
	pages, err := node.BuildCatalog(s.id, bundles)
	slices.Reverse(pages) // newest first
	return pages, err
}

// appendable says whether the next catalog can be the current chain (its
// bundles old) with root put in front: root is new to it, it lists every
// held bundle, and the document authorizes every held bundle it lists.
func appendable(old []cid.Cid, held map[cid.Cid]bundle.Info, root cid.Cid, auth *bundle.Authority) bool {
	listed := make(map[cid.Cid]bool, len(old))
	for _, c := range old {
		listed[c] = true
		if in, ok := held[c]; ok && auth != nil && auth.AuthorizeBundle(in.Signer, in.Seq) != nil {
			return false
		}
	}
	if listed[root] {
		return false
	}
	for c := range held {
		if !listed[c] {
			return false
		}
	}
	return true
}

// nextSeq is the sequence number of the publisher's next head: 1 when
// none is stored (cur nil) or when the service signs under a newer
// publisher document than the stored head's (the newer document outranks
// every head of the older one, whatever its number: a thief's 2^64−2
// included, so the count starts again); otherwise one more than the
// stored head's.
func (s *Service) nextSeq(cur *node.Head) (uint64, error) {
	switch {
	case cur == nil, s.newerDocument(cur):
		return 1, nil
	case cur.Seq < math.MaxUint64:
		return cur.Seq + 1, nil
	}
	return 0, ErrSequenceExhausted
}

// newerDocument reports whether the service signs under a newer
// publisher document than cur's.
func (s *Service) newerDocument(cur *node.Head) bool {
	auth := s.authority(cur)
	return auth != nil && (cur.Authority == nil || auth.Seq > cur.Authority.Seq)
}

// Renew signs the stored head of the service's publisher again with a
// fresh validity (same sequence, same catalog), stores it and announces
// it.
func (s *Service) Renew(ctx context.Context) (*node.Head, error) {
	if s.key == nil {
		return nil, ErrNotPublisher
	}
	s.signMu.Lock()
	defer s.signMu.Unlock()
	cur, err := s.Head(s.id)
	if err != nil {
		return nil, err
	}
	if auth := s.authority(cur); auth != nil && bundle.PublisherID(cur.Signer) != s.id && errors.Is(auth.AuthorizeHead(cur.Signer, cur.Expires), bundle.ErrKeyRevoked) {
		// Renewing would vouch for what a revoked key signed: a thief's
		// head. Publishing replaces it.
		return nil, fmt.Errorf("%w: the stored head's key is revoked; publish to replace the head", ErrNotRenewable)
	}
	if _, err := s.chain(ctx, cur); err != nil {
		return nil, fmt.Errorf("current catalog: %w", err)
	}
	h, err := s.sign(cur.Catalog, cur.Seq, cur)
	if err != nil {
		return nil, err
	}
	if _, err := s.adopt(ctx, h, nil, fromHere); err != nil { // its catalog is held
		return nil, err
	}
	return h, nil
}

// sign signs a head for catalog with sequence seq: with the root key, or
// with the head key under the newest publisher document the service
// knows, the one it was given or the stored head's (cur, nil if none); a
// root key signs under the stored head's document too, if it has one, so
// its head is not older than the delegated ones.
func (s *Service) sign(catalog cid.Cid, seq uint64, cur *node.Head) (*node.Head, error) {
	auth := s.authority(cur)
	if auth == nil {
		return node.NewHead(s.key, catalog, seq, s.validity)
	}
	return node.NewDelegatedHead(s.key, auth, catalog, seq, s.validity)
}

// authority is the newest publisher document the service knows: the one
// it was given or the stored head's (cur, nil if none).
func (s *Service) authority(cur *node.Head) *bundle.Authority {
	if cur != nil && cur.Authority != nil {
		return bundle.Newer(s.auth, cur.Authority)
	}
	return s.auth
}

// canSign reports whether the service's key may sign a head now, under
// the newest document it knows.
func (s *Service) canSign(cur *node.Head) error {
	auth := s.authority(cur)
	key := s.key.Public().(ed25519.PublicKey)
	if auth == nil || bundle.PublisherID(key) == auth.Publisher {
		return nil
	}
	return auth.AuthorizeHead(key, time.Now())
}

// KeepRenewed announces the publisher's stored head at once (it may have
// been published while no node ran) and renews it every quarter of its
// validity, until ctx ends. Failures are logged (ERROR: an operator must
// act before the head expires) and retried at the next tick.
func (s *Service) KeepRenewed(ctx context.Context) error {
	if s.key == nil {
		return ErrNotPublisher
	}
	if h, err := s.heads.Get(s.id); err == nil && h != nil {
		s.announce(ctx, h)
	}
	t := time.NewTicker(max(s.validity/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := s.Renew(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, ErrNoHead) {
			s.log.Error("head renewal failed", "kind", node.ErrorKind(err))
			s.log.Debug("head renewal failed", "err", err)
		}
	}
}

// origin says where a head came from, which decides whether it is
// announced once stored.
type origin int

const (
	fromHere         origin = iota // signed or pulled here (publish, renew, sync, HTTP, import): announced
	fromAnnouncement               // delivered by gossip, which relays it itself: not announced again
)

// adopt finishes every path that brings a head in, once every bundle of
// h's catalog that is to be held is held: it stores the catalog block,
// syncs the store, then offers the head to the head store (the head rule
// decides), last, so a stored head never names content a crash could take
// away; then it enforces the quota. A head the rule refuses now (a newer
// one, or an equivocating twin, was stored meanwhile by another sync) is
// returned as the rule's error, and the bundles stay. A head that replaced
// the stored one and came from here is announced by a serving node, and
// a serving node advertises what it holds in the DHT.
func (s *Service) adopt(ctx context.Context, h *node.Head, pages []node.CatalogBlock, from origin) (dropped []cid.Cid, err error) {
	// The oldest page first: a held page means every page before it is
	// held too, which is where a sync stops walking the chain.
	for i := len(pages) - 1; i >= 0; i-- {
		if err := s.n.AdmitBlock(ctx, pages[i].CID, pages[i].Data); err != nil {
			return nil, err
		}
	}
	if h.Authority != nil { // served beside the head, for IPFS tools
		if err := s.n.AdmitBlock(ctx, h.Authority.CID(), h.Authority.Bytes()); err != nil {
			return nil, err
		}
	}
	if err := s.n.SyncBlocks(); err != nil {
		return nil, err
	}
	updated, err := s.heads.Offer(h)
	if err != nil {
		// Refused by the rule after all: another head was stored while
		// this one's content was fetched (a newer one, or its twin). The
		// head is neither announced, advertised nor, from the gate,
		// relayed; the bundles fetched stay, within the quota.
		s.evidence([]error{err})
		dropped, qerr := s.Enforce(ctx)
		return dropped, errors.Join(err, qerr)
	}
	if updated {
		dropped = s.dropRevoked(h)
	}
	if updated && from == fromHere {
		s.announce(ctx, h)
	}
	if s.n.Serves() {
		if cat, _, err := s.catalog(ctx, h); err == nil {
			s.advertise(ctx, h, cat.Bundles)
		}
	}
	more, err := s.Enforce(ctx)
	return append(dropped, more...), err
}

// dropRevoked deletes the held bundles of h's publisher that h's
// publisher document no longer authorizes (signed by a revoked key after
// its cut-off, or by a key it no longer lists): from now on they are not
// served, counted or shown anywhere.
func (s *Service) dropRevoked(h *node.Head) []cid.Cid {
	if h.Authority == nil {
		return nil
	}
	var dropped []cid.Cid
	for _, in := range s.n.HeldBundles() {
		if in.Publisher != h.Publisher || h.Authority.AuthorizeBundle(in.Signer, in.Seq) == nil {
			continue
		}
		if err := s.n.DropBundle(in.Root); err != nil {
			s.log.Warn("a revoked bundle could not be deleted", "kind", node.ErrorKind(err))
			continue
		}
		dropped = append(dropped, in.Root)
	}
	if len(dropped) > 0 {
		s.log.Warn("deleted bundles the publisher's new document revokes", "bundles", len(dropped))
	}
	return dropped
}

// announce tells the publisher's followers about a stored head: serving
// nodes only (a reader that announced would say what it reads). A failure
// is logged, not returned: the head is stored, and followers get it at
// their next sync.
func (s *Service) announce(ctx context.Context, h *node.Head) {
	if !s.n.Serves() {
		return
	}
	if err := s.n.Announce(ctx, h); err != nil && ctx.Err() == nil {
		s.log.Warn("announcement failed; followers get the head at their next sync", "kind", node.ErrorKind(err))
	}
}

// catalog returns the catalog h names as the node holds it: every bundle
// of its chain, newest first, as Bundles; and the chain's pages, newest
// first.
func (s *Service) catalog(ctx context.Context, h *node.Head) (*node.Catalog, []node.CatalogBlock, error) {
	pages, err := s.chain(ctx, h)
	if err != nil {
		return nil, nil, err
	}
	return &node.Catalog{Publisher: h.Publisher, Bundles: node.ChainBundles(pages)}, pages, nil
}

// chain reads h's catalog chain from the node's store, newest page first.
func (s *Service) chain(ctx context.Context, h *node.Head) ([]node.CatalogBlock, error) {
	return node.WalkCatalog(h.Publisher, h.Catalog, func(c cid.Cid) ([]byte, error) { return s.n.GetBlock(ctx, c) }, nil)
}

// fetchChain reads h's catalog chain, each page from the node's store if
// it holds it, else with get (checked as every page is: WalkCatalog). It
// returns the pages read with get, newest first, for adopt to store, and
// every bundle of the chain, newest first. A reader that holds the
// previous head so fetches one page per update however long the history,
// and a page lost from the store (deleted as damaged) is fetched again.
func (s *Service) fetchChain(ctx context.Context, h *node.Head, get func(cid.Cid) ([]byte, error)) (fresh []node.CatalogBlock, bundles []cid.Cid, err error) {
	fetched := map[cid.Cid]bool{}
	pages, err := node.WalkCatalog(h.Publisher, h.Catalog, func(c cid.Cid) ([]byte, error) {
		if s.n.HasBlock(ctx, c) {
			if data, err := s.n.GetBlock(ctx, c); err == nil {
				return data, nil
			}
		}
		fetched[c] = true
		return get(c)
	}, nil)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range pages {
		if fetched[p.CID] {
			fresh = append(fresh, p)
		}
	}
	return fresh, node.ChainBundles(pages), nil
}
