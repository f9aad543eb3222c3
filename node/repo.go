package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/ipfs/boxo/blockstore"
	flatfs "github.com/ipfs/go-ds-flatfs"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/internal/flock"
)

// ErrRepoLocked is returned when another process has the repo open.
var ErrRepoLocked = errors.New("repository is in use by another process")

// ErrRepoUnsafe is returned for a repo directory other users can write,
// or can read and that cannot be made private.
var ErrRepoUnsafe = errors.New("repository is open to other users")

// Names inside a repo directory.
const (
	lockName   = "lock"
	keyName    = "node.key"
	blocksName = "blocks"
	headsName  = "heads"
	bundlesDir = "bundles"
)

// Repo is a node's directory: identity key and block store, guarded by a
// lock so two processes never open it at once.
type Repo struct {
	dir     string
	lock    *os.File
	key     crypto.PrivKey
	ds      *flatfs.Datastore
	blocks  blockstore.Blockstore
	bundles *bundleStore
	heads   *Heads
}

// OpenRepo opens the repo in dir, creating it (mode 0700) if needed. An
// existing directory that group or others can read or enter is made
// private (its group and other bits cleared); one they can write is
// refused with ErrRepoUnsafe (see makePrivate).
func OpenRepo(dir string) (*Repo, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := makePrivate(dir); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flock.Try(lock); err != nil {
		lock.Close()
		if errors.Is(err, flock.ErrLocked) {
			err = ErrRepoLocked
		}
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	r := &Repo{dir: dir, lock: lock}
	if err := r.open(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// makePrivate checks the mode of the repo directory dir. If group or
// others can write it, it is refused (ErrRepoUnsafe), as it is: they
// could have replaced any file in it (the follow list, the node key), so
// its owner has to look before a node trusts it. If they can only read
// or enter it, it is made private: what a node holds and follows is
// nobody else's business, and a directory made with a umask of 022, or
// by a service manager's default, is not a reason to stop. The check is
// of dir itself (after symlinks), not its parents. Windows has no such
// modes: nothing is checked there.
func makePrivate(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: not a directory", dir)
	}
	mode := st.Mode().Perm()
	if mode&0o022 != 0 {
		return fmt.Errorf("%w: %s is writable by group or others (mode %v): check what it holds, then chmod 700 it", ErrRepoUnsafe, dir, st.Mode())
	}
	if mode&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(dir, mode&^0o077); err != nil {
		return fmt.Errorf("%w: %s is readable by group or others (mode %v) and cannot be made private: %v", ErrRepoUnsafe, dir, st.Mode(), err)
	}
	return nil
}

func (r *Repo) open() error {
	var err error
	if r.key, err = loadOrCreateKey(filepath.Join(r.dir, keyName)); err != nil {
		return err
	}
	// flatfs writes one file per block to a temporary name and renames
	// it, so a crash never leaves a half-written block under its name; a
	// block torn by a crash anyway fails the validating store's hash check
	// on read and counts as missing. Files are not synced one by one
	// (hundreds of fsyncs per bundle); SyncBlocks syncs the file system
	// once before a head naming them is stored.
	r.ds, err = flatfs.CreateOrOpen(filepath.Join(r.dir, blocksName), flatfs.NextToLast(2), false)
	if err != nil {
		return fmt.Errorf("open block store: %w", err)
	}
	// Whole bundles live as files in bundles/; other blocks (catalogs) in
	// the flatfs store. Every read is checked against its CID.
	if r.bundles, err = openBundleStore(filepath.Join(r.dir, bundlesDir)); err != nil {
		return err
	}
	r.blocks = &blockstore.ValidatingBlockstore{Blockstore: &unionStore{
		Blockstore: blockstore.NewBlockstore(r.ds, blockstore.NoPrefix()), bundles: r.bundles}}
	r.heads, err = OpenHeads(filepath.Join(r.dir, headsName))
	return err
}

// Heads returns the repo's head store (the high-water marks).
func (r *Repo) Heads() *Heads { return r.heads }

// PeekHeads opens the head store of the repo in dir without taking the
// repo's lock, for reading only (samizdat status while no node runs, or
// one is starting).
func PeekHeads(dir string) (*Heads, error) {
	return &Heads{dir: filepath.Join(dir, headsName)}, nil
}

// RepoUsage returns the bytes and number of files (bundle files and loose
// blocks) the repo in dir holds, without taking its lock.
func RepoUsage(dir string) (bytes int64, files int, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".data" && filepath.Ext(p) != ".car" {
			return err
		}
		info, err := d.Info()
		if err == nil {
			bytes += info.Size()
			files++
		}
		return err
	})
	return bytes, files, err
}

// loadOrCreateKey reads the node's identity key, or creates one. The node
// key is not a publisher key: it only names the node on the network.
func loadOrCreateKey(path string) (crypto.PrivKey, error) {
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: node key is readable by others (mode %v)", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		priv, err := bundle.GenerateKey()
		if err != nil {
			return nil, err
		}
		pem, err := bundle.MarshalPrivateKey(priv)
		if err != nil {
			return nil, err
		}
		if err := atomicfile.WriteBytes(path, 0o600, pem); err != nil {
			return nil, err
		}
		data = pem
	} else if err != nil {
		return nil, err
	}
	priv, err := bundle.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return crypto.UnmarshalEd25519PrivateKey(priv)
}

// SyncBlocks makes every block and bundle file written so far durable,
// and puts received bundle files in place (see bundleStore.adopt).
func (r *Repo) SyncBlocks() error {
	if err := r.bundles.flush(); err != nil {
		return err
	}
	return syncFS(filepath.Join(r.dir, blocksName))
}

// Dir returns the repo's directory.
func (r *Repo) Dir() string { return r.dir }

// Blockstore returns the on-disk block store; reads are checked against
// their CIDs.
func (r *Repo) Blockstore() blockstore.Blockstore { return r.blocks }

// Close releases the block store and the lock. Closing twice is a no-op.
func (r *Repo) Close() error {
	var errs []error
	if r.bundles != nil {
		r.bundles.close()
		r.bundles = nil
	}
	if r.ds != nil {
		errs = append(errs, r.ds.Close())
		r.ds = nil
	}
	if r.lock != nil {
		errs = append(errs, r.lock.Close())
		r.lock = nil
	}
	return errors.Join(errs...)
}
