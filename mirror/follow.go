package mirror

import (
	"context"
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

// DefaultSyncInterval is how often Follow syncs unless told otherwise.
const DefaultSyncInterval = 5 * time.Minute

// FollowOptions says how Follow keeps up with a publisher. The zero value
// syncs every DefaultSyncInterval and reports nothing.
type FollowOptions struct {
	// Every is the time between periodic syncs; 0 is DefaultSyncInterval.
	Every time.Duration
	// Wake, if not nil, asks for a sync now whenever it receives.
	Wake <-chan struct{}
	// Peers are connected to before each periodic sync, and so become
	// sources of this publisher's only (node.Node.ConnectFor): the peers
	// of a samizdat: link, say. A reader asks them nothing about any
	// other publisher.
	Peers []peer.AddrInfo
	// Report, if not nil, is called after every sync with what it did.
	// Calls never overlap.
	Report func(*SyncResult, error)
}

// Follow keeps the node up to date with publisher until ctx ends: it
// syncs at once, every opts.Every and on every opts.Wake. A node that
// serves (a mirror) also subscribes to the publisher's announcements: it
// relays an announced head only once it holds the content the head names
// (the sync runs in the relay gate), so a head travels no faster than its
// content. A reader (a node that does not serve) subscribes to nothing,
// which would tell its peers what it reads. Each periodic sync is bounded
// by syncTimeout, and at most maxConcurrentSyncs of them run at once on
// one service, however many publishers it follows. Follow returns an
// error only when it cannot start.
func (s *Service) Follow(ctx context.Context, publisher string, opts FollowOptions) error {
	publisher, err := bundle.NormalizePublisherID(publisher)
	if err != nil {
		return err
	}
	if opts.Every <= 0 {
		opts.Every = DefaultSyncInterval
	}
	report := func(*SyncResult, error) {}
	if opts.Report != nil {
		report = serialize(opts.Report)
	}
	var ann <-chan *node.Head
	if s.n.Serves() {
		s.n.SetGate(publisher, func(ctx context.Context, h *node.Head) error {
			res, err := s.syncHead(ctx, h, fromAnnouncement)
			if ctx.Err() == nil {
				report(res, err)
			}
			if errors.Is(err, ErrOverQuota) {
				return nil // the content is held (over quota): relay it
			}
			return err
		})
		if ann, err = s.n.Announcements(ctx, publisher); err != nil {
			return err
		}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case h, ok := <-ann:
			if !ok {
				return nil
			}
			// The gate synced and stored it before delivery; a head still
			// new here was stored by neither (the gate's sync failed
			// late, or this node published it).
			if fresh, _ := s.heads.Check(h); fresh {
				sctx, cancel := context.WithTimeout(ctx, syncTimeout)
				res, err := s.syncHead(sctx, h, fromAnnouncement)
				cancel()
				report(res, err)
			}
			continue
		case <-opts.Wake:
		case <-timer.C:
		}
		res, err := s.periodicSync(ctx, publisher, opts.Peers)
		if ctx.Err() != nil {
			return nil
		}
		report(res, err)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(opts.Every)
	}
}

// periodicSync is one of Follow's syncs: within the service's bound on
// syncs at once and within syncTimeout, a Fetch from peers (a link's,
// as this publisher's mirrors), the mirrors the publisher's document
// lists and, when libp2p brings nothing newer, its HTTPS mirrors.
func (s *Service) periodicSync(ctx context.Context, publisher string, peers []peer.AddrInfo) (*SyncResult, error) {
	select {
	case s.syncs <- struct{}{}:
		defer func() { <-s.syncs }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	r := Reach{HTTP: HTTPSource{TempDir: s.n.RepoDir()}}
	for _, ai := range peers {
		// Even when already connected (a DHT neighbour, say): ConnectFor
		// makes the peer a source of this publisher's, one a reader asks.
		r.Mirrors = append(r.Mirrors, node.PeerMirror(ai))
	}
	return s.Fetch(ctx, publisher, r)
}

// serialize returns f guarded so that calls never overlap.
func serialize(f func(*SyncResult, error)) func(*SyncResult, error) {
	ch := make(chan struct{}, 1)
	return func(res *SyncResult, err error) {
		ch <- struct{}{}
		defer func() { <-ch }()
		f(res, err)
	}
}
