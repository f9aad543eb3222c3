package node

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
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
// that its next start tries first what worked, and the mirrors it was
// given for each publisher (a link's): a reader's memory of the mirror
// lists it learned and the links it was given.
const mirrorsFile = "mirrors.json"

// MirrorBook remembers, by entry, when each mirror last served and last
// failed, and orders mirrors by it (Order); and, per publisher, the
// mirrors a user gave for it (Given). It is safe for concurrent use; Save
// writes it to the repo.
type MirrorBook struct {
	path   string
	saveMu sync.Mutex // one Save at a time, so the last written is the latest
	mu     sync.Mutex
	book   mirrorBookFile
	dirty  bool
}

// mirrorBookFile is the book as mirrorsFile holds it.
type mirrorBookFile struct {
	Records map[string]mirrorRecord `json:"records"`
	Given   map[string][]string     `json:"given,omitempty"` // by publisher ID
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
// call. A file that is missing, too large or unreadable is an empty book:
// it holds hints only, and a reader must never fail to start over one.
func (n *Node) Mirrors() *MirrorBook {
	n.mirrorsOnce.Do(func() {
		n.mirrors = &MirrorBook{path: filepath.Join(n.repo.dir, mirrorsFile)}
		n.mirrors.book = readMirrorBook(n.mirrors.path, time.Now())
	})
	return n.mirrors
}

// readMirrorBook reads the book at path, within its bounds: at most
// maxMirrorsFile bytes, the maxMirrorRecords most recent records, times
// clamped to [0, now] (a damaged or future time must not pin a mirror
// first or last for good), and the given mirrors within their bounds.
func readMirrorBook(path string, now time.Time) mirrorBookFile {
	empty := mirrorBookFile{Records: map[string]mirrorRecord{}, Given: map[string][]string{}}
	f, err := os.Open(path)
	if err != nil {
		return empty
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMirrorsFile+1))
	var b mirrorBookFile
	if err != nil || len(data) > maxMirrorsFile || json.Unmarshal(data, &b) != nil {
		return empty
	}
	clamp := func(t int64) int64 { return min(max(t, 0), now.Unix()) }
	for addr, r := range b.Records {
		empty.Records[addr] = mirrorRecord{Good: clamp(r.Good), Bad: clamp(r.Bad)}
	}
	trimRecords(empty.Records)
	for pub, addrs := range b.Given {
		if len(empty.Given) < maxGivenPublishers {
			empty.Given[pub] = addrs[:min(len(addrs), maxGivenMirrors)]
		}
	}
	return empty
}

// trimRecords keeps the maxMirrorRecords most recent records.
func trimRecords(recs map[string]mirrorRecord) {
	if len(recs) <= maxMirrorRecords {
		return
	}
	addrs := slices.SortedFunc(maps.Keys(recs), func(x, y string) int {
		return cmp.Compare(recs[y].last(), recs[x].last())
	})
	for _, a := range addrs[maxMirrorRecords:] {
		delete(recs, a)
	}
}

// Served records how a mirror answered: err nil is a success. A request
// the caller gave up on is no outcome of the mirror's.
func (b *MirrorBook) Served(addr string, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	now := time.Now().Unix()
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.book.Records[addr]
	if err == nil {
		r.Good = max(now, r.Bad+1)
	} else {
		r.Bad = max(now, r.Good+1)
	}
	b.book.Records[addr] = r
	trimRecords(b.book.Records)
	b.dirty = true
}

// Given returns the mirror entries a user gave for publisher (Remember).
func (b *MirrorBook) Given(publisher string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.book.Given[publisher])
}

// Remember keeps the mirror entries a user gave for publisher (a link's
// peers and mirrors), for the fetches that follow without them: the
// newest first, at most maxGivenMirrors, for at most maxGivenPublishers
// publishers.
func (b *MirrorBook) Remember(publisher string, entries []string) {
	if len(entries) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old, known := b.book.Given[publisher]
	if !known && len(b.book.Given) >= maxGivenPublishers {
		return // a reader following more publishers keeps their links itself
	}
	merged := slices.Clone(entries)
	for _, e := range old {
		if !slices.Contains(merged, e) {
			merged = append(merged, e)
		}
	}
	merged = merged[:min(len(merged), maxGivenMirrors)]
	if !slices.Equal(merged, old) {
		b.book.Given[publisher], b.dirty = merged, true
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
	recs := b.book.Records
	var good, unknown, bad []Mirror
	for _, m := range ms {
		r, ok := recs[m.Addr]
		switch {
		case !ok:
			unknown = append(unknown, m)
		case r.worked():
			good = append(good, m)
		default:
			bad = append(bad, m)
		}
	}
	slices.SortStableFunc(good, func(x, y Mirror) int { return cmp.Compare(recs[y.Addr].Good, recs[x.Addr].Good) })
	rand.Shuffle(len(unknown), func(i, j int) { unknown[i], unknown[j] = unknown[j], unknown[i] })
	slices.SortStableFunc(bad, func(x, y Mirror) int { return cmp.Compare(recs[x.Addr].Bad, recs[y.Addr].Bad) })
	return slices.Concat(good, unknown, bad)
}

// Save writes the book to the repo, atomically, if it changed since the
// last Save.
func (b *MirrorBook) Save() error {
	b.saveMu.Lock()
	defer b.saveMu.Unlock()
	b.mu.Lock()
	if !b.dirty {
		b.mu.Unlock()
		return nil
	}
	data, err := json.Marshal(b.book)
	b.dirty = false
	b.mu.Unlock()
	if err == nil {
		err = atomicfile.WriteBytes(b.path, 0o600, data)
	}
	if err != nil {
		b.mu.Lock()
		b.dirty = true // try again next time
		b.mu.Unlock()
	}
	return err
}
