package node

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ipfs/boxo/ipns"
	"github.com/ipfs/boxo/path"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
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

// Head is a publisher's signed, sequence-numbered, expiring pointer to its
// current catalog: an IPNS record signed by the publisher key, so any IPFS
// tool can resolve and check it too.
type Head struct {
	Publisher string
	Seq       uint64
	Catalog   cid.Cid
	Expires   time.Time
	// Expired is set when the signature holds but the validity has passed:
	// the content is still the publisher's, but may be stale or blocked.
	Expired bool
	raw     []byte
}

// Bytes returns the marshaled IPNS record.
func (h *Head) Bytes() []byte { return h.raw }

// NewHead signs a head for catalog with the publisher's root key.
func NewHead(key ed25519.PrivateKey, catalog cid.Cid, seq uint64, validity time.Duration) (*Head, error) {
	sk, err := crypto.UnmarshalEd25519PrivateKey(key)
	if err != nil {
		return nil, err
	}
	rec, err := ipns.NewRecord(sk, path.FromCid(catalog), seq, time.Now().Add(validity), headTTL)
	if err != nil {
		return nil, err
	}
	data, err := ipns.MarshalRecord(rec)
	if err != nil {
		return nil, err
	}
	return ParseHead(bundle.PublisherID(key.Public().(ed25519.PublicKey)), data)
}

// ParseHead checks a head record for publisher: size, signature by the
// publisher's key, and a catalog CID as its value. An expired record is
// returned with Expired set; everything else that fails is ErrBadHead.
func ParseHead(publisher string, data []byte) (*Head, error) {
	if len(data) > maxHeadSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadHead, len(data))
	}
	pub, err := bundle.ParsePublisherID(publisher)
	if err != nil {
		return nil, err
	}
	lpub, err := crypto.UnmarshalEd25519PublicKey(pub)
	if err != nil {
		return nil, err
	}
	pid, err := peer.IDFromPublicKey(lpub)
	if err != nil {
		return nil, err
	}
	rec, err := ipns.UnmarshalRecord(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	expired := false
	if err := ipns.ValidateWithName(rec, ipns.NameFromPeer(pid)); errors.Is(err, ipns.ErrExpiredRecord) {
		expired = true
	} else if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	seq, err := rec.Sequence()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	eol, err := rec.Validity()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	val, err := rec.Value()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	ip, err := path.NewImmutablePath(val)
	if err != nil || len(ip.Segments()) != 2 {
		return nil, fmt.Errorf("%w: value is not a catalog CID", ErrBadHead)
	}
	return &Head{Publisher: bundle.PublisherID(pub), Seq: seq, Catalog: ip.RootCid(), Expires: eol, Expired: expired, raw: data}, nil
}

// Heads is a node's persisted high-water marks: the newest head it
// trusts for each publisher. A head older than the stored one is refused,
// so no peer can roll a node back. Each update is written atomically and
// synced before it is acknowledged.
type Heads struct {
	dir string
	mu  sync.Mutex // serializes Offer's check and write
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
// through Heads.Offer, Heads.Check or Newest.
//
//   - no head held: offered wins, expired or not;
//   - a higher sequence wins, whatever either expiry (an expired head
//     still says what the publisher signed last; readers see it stale);
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
	case offered.Seq > held.Seq:
		return true, nil
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
	return true, nil
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
