package node

import (
	"bytes"
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

// Offer stores h if it is newer than the stored head. It returns
// ErrRollback for an older head and ErrEquivocated for a different head
// with the same sequence number (kept-first: evidence that the publisher
// key signed twice); an identical head is accepted as a no-op.
func (hs *Heads) Offer(h *Head) (updated bool, err error) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	cur, err := hs.Get(h.Publisher)
	if err != nil && !errors.Is(err, ErrBadHead) {
		return false, err
	}
	if cur != nil {
		switch {
		case h.Seq < cur.Seq:
			return false, fmt.Errorf("%w: sequence %d, trusted %d", ErrRollback, h.Seq, cur.Seq)
		case h.Seq == cur.Seq && !bytes.Equal(h.raw, cur.raw):
			if h.Catalog != cur.Catalog {
				return false, fmt.Errorf("%w: sequence %d", ErrEquivocated, h.Seq)
			}
			if !h.Expires.After(cur.Expires) {
				return false, nil
			}
			// The publisher renewed the same head's validity.
		case h.Seq == cur.Seq:
			return false, nil
		}
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
