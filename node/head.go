package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/ipfs/boxo/ipns"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
)

// Head errors. A head that fails any check is dropped.
var (
	ErrBadHead     = errors.New("invalid head record")
	ErrRollback    = errors.New("head is older than one already trusted")
	ErrEquivocated = errors.New("two different heads with the same sequence number")
	// ErrNoHead says no head of a publisher is held, or none was had.
	ErrNoHead = errors.New("no head for this publisher")
)

// Heads is a node's persisted high-water marks: the newest head it
// trusts for each publisher. A head older than the stored one is refused,
// so no peer can roll a node back. Each update is written atomically and
// synced before it is acknowledged.
type Heads struct {
	dir string
	mu  sync.Mutex // serializes Offer's check and write, and guards names

	names map[string]string // IPNS name a stored head's record is valid for → publisher; nil until first used
}

// OpenHeads returns the head store in dir.
func OpenHeads(dir string) (*Heads, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Heads{dir: dir}, nil
}

func (hs *Heads) path(publisher string) string { return filepath.Join(hs.dir, publisher) }

// Heads returns the node's head store: its repo's high-water marks.
func (n *Node) Heads() *Heads { return n.repo.heads }

// Get returns the stored head of publisher, or nil.
func (hs *Heads) Get(publisher string) (*Head, error) {
	id, err := bundle.NormalizePublisherID(publisher)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(hs.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseHead(id, data)
}

// Supersedes is the head rule: the one place that decides whether a
// publisher's offered head replaces the held one (nil: none held). Every
// path that stores, relays or prefers a head calls it, directly or
// through Heads.Offer, Heads.Check or Newest. Heads are ordered by their
// publisher document's sequence number first (a root-signed head without
// one counts as 0), then by their own:
//
//   - no head held: offered wins, expired or not;
//   - a newer publisher document wins, whatever either head's sequence:
//     the root's next document ends any head a leaked key signed, and no
//     sequence number can freeze a publisher; an older one is
//     ErrRollback; two documents with one sequence number are
//     ErrEquivocated (the root signed twice: the held one stays);
//   - under one document, a higher sequence wins, expired or not (an
//     expired head still says what the publisher signed last; readers
//     see it stale), except that an expired head never replaces one still
//     valid: an honest publisher signs a newer head after the older one,
//     so it cannot have expired first, while a head key leaked after its
//     window closed can sign only heads that have (AuthorizeHead holds
//     their validity to the window);
//   - a lower sequence is ErrRollback;
//   - the same sequence naming another catalog is ErrEquivocated: the
//     publisher key signed two heads with one number, and the held one
//     stays (kept first, the other is evidence of key misuse);
//   - the same sequence and catalog with a later expiry is a renewal
//     and wins;
//   - anything else (the same head, or one no later) changes nothing:
//     false with a nil error.
//
// Heads of two publishers are never compared: that is ErrBadHead.
func Supersedes(held, offered *Head) (bool, error) {
	switch {
	case held == nil:
		return true, nil
	case held.Publisher != offered.Publisher:
		return false, fmt.Errorf("%w: heads of two publishers compared", ErrBadHead)
	case offered.docSeq() > held.docSeq():
		return true, nil
	case offered.docSeq() < held.docSeq():
		return false, fmt.Errorf("%w: publisher document %d, trusted %d", ErrRollback, offered.docSeq(), held.docSeq())
	case held.Authority != nil && held.Authority.CID() != offered.Authority.CID():
		return false, fmt.Errorf("%w: two publisher documents with sequence %d", ErrEquivocated, held.docSeq())
	case offered.Seq > held.Seq:
		return !offered.Expired || held.Expired, nil
	case offered.Seq < held.Seq:
		return false, fmt.Errorf("%w: sequence %d, trusted %d", ErrRollback, offered.Seq, held.Seq)
	case offered.Catalog != held.Catalog:
		return false, fmt.Errorf("%w: sequence %d", ErrEquivocated, offered.Seq)
	default:
		return offered.Expires.After(held.Expires), nil
	}
}

// Newest returns the head that wins when the offered heads of one
// publisher are taken in order against held (nil: none), by Supersedes:
// nil when none is held or offered. errs are the offers refused, among
// them the evidence of equivocation; heads that merely change nothing
// are not errors.
func Newest(held *Head, offered ...*Head) (best *Head, errs []error) {
	best = held
	for _, h := range offered {
		ok, err := Supersedes(best, h)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			best = h
		}
	}
	return best, errs
}

// Check applies Supersedes to h and the stored head without storing
// anything: whether Offer would store h now.
func (hs *Heads) Check(h *Head) (bool, error) {
	cur, err := hs.held(h.Publisher)
	if err != nil {
		return false, err
	}
	return Supersedes(cur, h)
}

// held is Get for the rule: a stored head that no longer parses (a disk
// that rotted) counts as none, so the next valid head replaces it.
func (hs *Heads) held(publisher string) (*Head, error) {
	cur, err := hs.Get(publisher)
	if errors.Is(err, ErrBadHead) {
		return nil, nil
	}
	return cur, err
}

// Offer stores h if Supersedes says it replaces the stored head, written
// atomically and synced before Offer returns. It returns ErrRollback for
// an older head and ErrEquivocated for another catalog at the stored
// sequence; a head that changes nothing is (false, nil).
func (hs *Heads) Offer(h *Head) (updated bool, err error) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if ok, err := hs.Check(h); !ok {
		return false, err
	}
	if err := atomicfile.WriteBytes(hs.path(h.Publisher), 0o600, h.raw); err != nil {
		return false, err
	}
	if hs.names != nil {
		hs.names[h.IPNSName().String()] = h.Publisher
	}
	return true, nil
}

// ByName returns the stored head whose IPNS record is valid for name (a
// root-signed head under its publisher's name, a delegated one under its
// head key's), or nil: one lookup, whatever the name, so a request for a
// made-up name costs no parse of every stored head.
func (hs *Heads) ByName(name ipns.Name) (*Head, error) {
	hs.mu.Lock()
	if hs.names == nil {
		hs.names = make(map[string]string)
		for _, id := range hs.List() {
			if h, err := hs.Get(id); err == nil && h != nil {
				hs.names[h.IPNSName().String()] = id
			}
		}
	}
	id, ok := hs.names[name.String()]
	hs.mu.Unlock()
	if !ok {
		return nil, nil
	}
	h, err := hs.Get(id)
	if err != nil || h == nil || !h.IPNSName().Equal(name) {
		return nil, err
	}
	return h, nil
}

// List returns the publishers hs holds heads for.
func (hs *Heads) List() []string {
	ents, err := os.ReadDir(hs.dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if _, err := bundle.ParsePublisherID(e.Name()); err == nil {
			out = append(out, e.Name())
		}
	}
	return out
}
