package node

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/ipfs/boxo/blockstore"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
)

// bundleStore keeps whole, verified bundle files in a directory and serves
// their blocks by offset. A bundle of 10,000 articles is one file, not
// 10,000: writing and syncing it is one operation, and a mirror serves the
// publisher's exact file.
type bundleStore struct {
	dir string

	mu    sync.RWMutex
	files map[cid.Cid]*os.File // by bundle root
	paths map[*os.File]string  // a file's current name (os.File.Name is the name it was opened by)
	info  map[cid.Cid]bundle.Info
	index map[cid.Cid]blockAt // every block of every held bundle
	// byFile lists each file's blocks, so that removing one file can
	// re-point blocks it shares with another (unchanged articles).
	byFile map[*os.File]map[cid.Cid]blockAt

	// pending closes when an adopted file is synced and renamed; failed
	// is what such work failed. Both guarded by mu. (A WaitGroup would
	// forbid an adopt during a flush's wait.)
	pending []chan struct{}
	failed  error
}

type blockAt struct {
	f   *os.File
	off int64
	n   int
}

func openBundleStore(dir string) (*bundleStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &bundleStore{dir: dir, files: make(map[cid.Cid]*os.File), paths: make(map[*os.File]string),
		info: make(map[cid.Cid]bundle.Info), index: make(map[cid.Cid]blockAt), byFile: make(map[*os.File]map[cid.Cid]blockAt)}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			// A temporary file of a transfer or write that a crash
			// interrupted: never verified, never served; we hold the
			// repo lock, so nobody is writing it.
			os.Remove(filepath.Join(dir, name))
			continue
		}
		if !strings.HasSuffix(name, ".car") {
			continue
		}
		if err := s.load(filepath.Join(dir, name)); err != nil {
			// A file that no longer verifies is set aside, not served.
			os.Rename(filepath.Join(dir, name), filepath.Join(dir, name+".bad"))
		}
	}
	return s, nil
}

// load opens and verifies a bundle file's metadata and indexes its blocks.
func (s *bundleStore) load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	b, err := bundle.OpenReader(f, st.Size(), bundle.OpenOptions{})
	if err != nil {
		f.Close()
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold(f, b)
	return nil
}

// hold makes f, under its current name, the file of bundle b, replacing
// any other. The caller holds mu.
func (s *bundleStore) hold(f *os.File, b *bundle.Bundle) {
	if old, ok := s.files[b.Root]; ok {
		s.unindexFile(old)
		old.Close()
	}
	s.files[b.Root] = f
	s.paths[f] = f.Name()
	s.info[b.Root] = b.Info
	s.indexFile(f, b)
}

// adopt keeps a received bundle file that has been verified and is
// canonical, indexed from the open bundle without being copied or decoded
// again. It is served at once; its fsync and rename into place run in the
// background, overlapping the next transfer, and flush waits for them.
// Until then it keeps its temporary dot-name, which a restart deletes: a
// crash before the flush loses the file (it is fetched again), never
// leaves a torn one under a bundle's name.
func (s *bundleStore) adopt(f *os.File, b *bundle.Bundle) error {
	path := filepath.Join(s.dir, b.Root.String()+".car")
	s.mu.Lock()
	defer s.mu.Unlock()
	done := make(chan struct{})
	s.pending = append(s.pending, done)
	// The sync starts before the file is indexed, so the two overlap; the
	// goroutine takes mu only after the sync, by when hold has run.
	go func() {
		err := f.Sync()
		s.mu.Lock()
		defer s.mu.Unlock()
		defer close(done)
		defer func() { // no longer pending
			s.pending = slices.DeleteFunc(s.pending, func(c chan struct{}) bool { return c == done })
		}()
		if _, held := s.paths[f]; !held {
			// Dropped, or replaced by another file of the same bundle
			// (two transfers of one root at once): nobody else removes
			// its temporary name, which only this adopt knows.
			os.Remove(f.Name())
			return
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			s.failed = errors.Join(s.failed, err)
			return
		}
		s.paths[f] = path
	}()
	s.hold(f, b)
	return nil
}

// wait waits for the adopted files pending when it was called.
func (s *bundleStore) wait() {
	s.mu.Lock()
	pending := slices.Clone(s.pending)
	s.mu.Unlock()
	for _, done := range pending {
		<-done
	}
}

// flush waits for adopted files to be synced and renamed into place, and
// syncs the directory; it returns (and forgets) what failed.
func (s *bundleStore) flush() error {
	s.wait()
	s.mu.Lock()
	err := s.failed
	s.failed = nil
	s.mu.Unlock()
	return errors.Join(err, atomicfile.SyncDir(s.dir))
}

// indexFile records where f holds each block of b. The caller holds mu.
func (s *bundleStore) indexFile(f *os.File, b *bundle.Bundle) {
	own := make(map[cid.Cid]blockAt)
	for _, c := range b.Blocks() {
		if off, n, ok := b.Locate(c); ok {
			own[c] = blockAt{f, off, n}
			s.index[c] = own[c]
		}
	}
	s.byFile[f] = own
}

// unindexFile forgets f, re-pointing blocks it shares with other held
// files to one of them. The caller holds mu.
func (s *bundleStore) unindexFile(f *os.File) {
	own := s.byFile[f]
	delete(s.byFile, f)
	delete(s.paths, f)
	for c := range own {
		if s.index[c].f != f {
			continue
		}
		delete(s.index, c)
		for _, other := range s.byFile {
			if at, ok := other[c]; ok {
				s.index[c] = at
				break
			}
		}
	}
}

// held lists the held bundles.
func (s *bundleStore) held() []bundle.Info {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]bundle.Info, 0, len(s.info))
	for _, i := range s.info {
		out = append(out, i)
	}
	return out
}

// drop removes a held bundle's file and index entries.
func (s *bundleStore) drop(root cid.Cid) error {
	s.wait() // a file being renamed has no settled name yet
	s.mu.Lock()
	f, ok := s.files[root]
	path := ""
	if ok {
		path = s.paths[f]
		delete(s.files, root)
		delete(s.info, root)
		s.unindexFile(f)
	}
	s.mu.Unlock()
	if !ok {
		return nil
	}
	f.Close()
	return os.Remove(path)
}

// add stores a verified bundle as a file and indexes it.
func (s *bundleStore) add(b *bundle.Bundle) error {
	path := filepath.Join(s.dir, b.Root.String()+".car")
	if err := atomicfile.Write(path, 0o600, b.WriteCAR); err != nil {
		return err
	}
	return s.load(path)
}

// has reports whether the store holds the bundle whose envelope is root.
func (s *bundleStore) has(root cid.Cid) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.files[root]
	return ok
}

// open returns a reader of a held bundle file and its size.
func (s *bundleStore) open(root cid.Cid) (io.ReaderAt, int64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.files[root]
	if !ok {
		return nil, 0, false
	}
	st, err := f.Stat()
	if err != nil {
		return nil, 0, false
	}
	return f, st.Size(), true
}

func (s *bundleStore) get(c cid.Cid) ([]byte, bool) {
	s.mu.RLock()
	at, ok := s.index[c]
	s.mu.RUnlock()
	if !ok {
		return nil, false
	}
	buf := make([]byte, at.n)
	if _, err := at.f.ReadAt(buf, at.off); err != nil {
		return nil, false
	}
	return buf, true
}

func (s *bundleStore) size(c cid.Cid) (int, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	at, ok := s.index[c]
	return at.n, ok
}

func (s *bundleStore) close() {
	s.flush()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.files {
		f.Close()
	}
	s.files, s.paths, s.info, s.index, s.byFile = nil, nil, nil, nil, nil
}

// unionStore serves blocks from bundle files first and from the block
// store (catalogs, anything else) second. Writes go to the block store.
type unionStore struct {
	blockstore.Blockstore
	bundles *bundleStore
}

func (u *unionStore) Get(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	if data, ok := u.bundles.get(c); ok {
		return blocks.NewBlockWithCid(data, c)
	}
	return u.Blockstore.Get(ctx, c)
}

func (u *unionStore) Has(ctx context.Context, c cid.Cid) (bool, error) {
	if _, ok := u.bundles.size(c); ok {
		return true, nil
	}
	return u.Blockstore.Has(ctx, c)
}

func (u *unionStore) GetSize(ctx context.Context, c cid.Cid) (int, error) {
	if n, ok := u.bundles.size(c); ok {
		return n, nil
	}
	return u.Blockstore.GetSize(ctx, c)
}

// DeleteBlock removes a block from the block store; a damaged block inside
// a bundle file sets the whole file aside.
func (u *unionStore) DeleteBlock(ctx context.Context, c cid.Cid) error {
	u.bundles.mu.Lock()
	at, ok := u.bundles.index[c]
	name := ""
	if ok {
		name = u.bundles.paths[at.f]
		for root, f := range u.bundles.files {
			if f == at.f {
				delete(u.bundles.files, root)
				delete(u.bundles.info, root)
			}
		}
		u.bundles.unindexFile(at.f)
	}
	u.bundles.mu.Unlock()
	if ok {
		at.f.Close()
		return os.Rename(name, name+".bad")
	}
	err := u.Blockstore.DeleteBlock(ctx, c)
	if errors.Is(err, ipld.ErrNotFound{Cid: c}) {
		return nil
	}
	return err
}
