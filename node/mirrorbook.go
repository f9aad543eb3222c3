package node

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/samizdat/samizdat/internal/atomicfile"
)

// mirrorsFile is where a node keeps how each mirror it tried served, so
// that its next start tries first what worked: a reader's memory of the
// mirror lists it learned and the links it was given.
const mirrorsFile = "mirrors.json"

// MirrorBook remembers, by entry, when each mirror last served and last
// failed, and orders mirrors by it (Order). It is safe for concurrent
// use; Save writes it to the repo.
type MirrorBook struct {
	path string
	mu   sync.Mutex
	recs map[string]mirrorRecord
}

// mirrorRecord is one mirror's last success and last failure, in Unix
// seconds (0: never).
type mirrorRecord struct {
	Good int64 `json:"good,omitempty"`
	Bad  int64 `json:"bad,omitempty"`
}

// worked says whether the mirror's last outcome was a success.
func (r mirrorRecord) worked() bool { return r.Good > r.Bad }

// last is the time of the mirror's last outcome.
func (r mirrorRecord) last() int64 { return max(r.Good, r.Bad) }

// Mirrors returns the node's mirror book, read from the repo at the first
// call (a file that is missing or unreadable is an empty book: it holds
// hints only, and a reader must never fail to start over one).
func (n *Node) Mirrors() *MirrorBook {
	n.mirrorsOnce.Do(func() {
		n.mirrors = &MirrorBook{path: filepath.Join(n.repo.dir, mirrorsFile), recs: map[string]mirrorRecord{}}
		data, err := os.ReadFile(n.mirrors.path)
		if err != nil || len(data) > maxMirrorsFile {
			return
		}
		var recs map[string]mirrorRecord
		if json.Unmarshal(data, &recs) == nil {
			for addr, r := range recs {
				if len(n.mirrors.recs) < maxMirrorRecords {
					n.mirrors.recs[addr] = r
				}
			}
		}
	})
	return n.mirrors
}

// Served records how a mirror answered: err nil is a success. A mirror
// that only lacked what was asked is no failure.
func (b *MirrorBook) Served(addr string, err error) {
	if errors.Is(err, context.Canceled) {
		return // the caller gave up, not the mirror
	}
	now := time.Now().Unix()
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.recs[addr]
	if err == nil {
		r.Good = max(now, r.Bad+1)
	} else {
		r.Bad = max(now, r.Good+1)
	}
	b.recs[addr] = r
	b.trimLocked()
}

// trimLocked keeps the maxMirrorRecords most recent records.
func (b *MirrorBook) trimLocked() {
	if len(b.recs) <= maxMirrorRecords {
		return
	}
	addrs := slices.SortedFunc(maps.Keys(b.recs), func(x, y string) int {
		return cmp.Compare(b.recs[y].last(), b.recs[x].last())
	})
	for _, a := range addrs[maxMirrorRecords:] {
		delete(b.recs, a)
	}
}

// Order returns ms in the order to try them: the mirrors whose last
// outcome was a success, the latest first; then those never tried, in a
// random order, so that readers spread over a list and a censor cannot
// tell which entry a reader tries first; then those whose last outcome
// was a failure, the oldest failure first.
func (b *MirrorBook) Order(ms []Mirror) []Mirror {
	b.mu.Lock()
	defer b.mu.Unlock()
	var good, unknown, bad []Mirror
	for _, m := range ms {
		r, ok := b.recs[m.Addr]
		switch {
		case !ok:
			unknown = append(unknown, m)
		case r.worked():
			good = append(good, m)
		default:
			bad = append(bad, m)
		}
	}
	slices.SortStableFunc(good, func(x, y Mirror) int { return cmp.Compare(b.recs[y.Addr].Good, b.recs[x.Addr].Good) })
	rand.Shuffle(len(unknown), func(i, j int) { unknown[i], unknown[j] = unknown[j], unknown[i] })
	slices.SortStableFunc(bad, func(x, y Mirror) int { return cmp.Compare(b.recs[x.Addr].Bad, b.recs[y.Addr].Bad) })
	return slices.Concat(good, unknown, bad)
}

// Save writes the book to the repo, atomically.
func (b *MirrorBook) Save() error {
	b.mu.Lock()
	data, err := json.Marshal(b.recs)
	b.mu.Unlock()
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(b.path, 0o600, data)
}
