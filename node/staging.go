package node

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ipfs/boxo/blockstore"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

var errStagingFull = errors.New("staging area full")

// stagingStore holds blocks a peer sent in memory, readable by the fetch
// that asked for them, until the fetch has verified their bundle and
// admits them to the repo, or drops them. It is also the block store
// bitswap is given: its reads are the repo's, so bitswap's server side
// serves only verified blocks, and anything bitswap writes is staged.
type stagingStore struct {
	blockstore.Blockstore // the repo's verified store

	mu     sync.Mutex
	staged map[cid.Cid]stagedBlock
	bytes  int
}

type stagedBlock struct {
	blocks.Block
	at time.Time
}

func newStagingStore(repo blockstore.Blockstore) *stagingStore {
	return &stagingStore{Blockstore: repo, staged: make(map[cid.Cid]stagedBlock)}
}

func (s *stagingStore) Put(ctx context.Context, b blocks.Block) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.staged[b.Cid()]; ok {
		return nil
	}
	if s.bytes+len(b.RawData()) > maxStaged {
		// Blocks bitswap delivered after their fetch gave up are owned by
		// no one; drop those past stagedTTL before refusing.
		for c, sb := range s.staged {
			if time.Since(sb.at) > stagedTTL {
				delete(s.staged, c)
				s.bytes -= len(sb.RawData())
			}
		}
		if s.bytes+len(b.RawData()) > maxStaged {
			return errStagingFull
		}
	}
	s.staged[b.Cid()] = stagedBlock{b, time.Now()}
	s.bytes += len(b.RawData())
	return nil
}

func (s *stagingStore) PutMany(ctx context.Context, bs []blocks.Block) error {
	for _, b := range bs {
		if err := s.Put(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// staged1 returns a staged block.
func (s *stagingStore) staged1(c cid.Cid) (blocks.Block, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.staged[c]
	return b.Block, ok
}

// Get, Has and GetSize are the embedded repo store's: bitswap's server
// side reads through them, so a node never serves a staged block it has
// not verified. The node's own fetches read staged blocks with staged1.

// discard drops staged blocks.
func (s *stagingStore) discard(cs []cid.Cid) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		if b, ok := s.staged[c]; ok {
			delete(s.staged, c)
			s.bytes -= len(b.RawData())
		}
	}
}
