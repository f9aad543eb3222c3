package publish

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/internal/flock"
	"github.com/samizdat/samizdat/publish/crawl"
)

// DailyOptions configures Daily.
type DailyOptions struct {
	// Inputs are walked as by Walk: folders, files and http(s) URLs.
	Inputs []string
	// Walk says how the inputs are read and fetched, and where warnings
	// go.
	Walk WalkOptions
	// Pack says how the bundle is signed and compressed: Key (required
	// unless DryRun), Authority, Level, Cluster, NoDict, TempDir and
	// Progress are used as given. Seq, Created and Dict are the run's:
	// Seq is the later of the run's time in Unix seconds and the newest
	// recorded bundle's + 1; Dict is that bundle's dictionary.
	Pack bundle.PackOptions
	// Publish hands the packed bundle file to the publisher's node. The
	// run's record is written only once it returned nil; if it fails, the
	// bundle file is deleted and the next run packs the same articles
	// again. Required unless DryRun.
	Publish func(ctx context.Context, file string) error
	// DryRun walks the inputs and reports what would be packed, packing,
	// publishing and recording nothing.
	DryRun bool
	// Now is the run's time; zero means time.Now. It stamps Seen in the
	// record, the bundle's creation time, and Updated of a changed article
	// whose source gives none.
	Now time.Time
}

// DailyResult is what a daily run did.
type DailyResult struct {
	// New and Changed are the ids of the articles packed (with DryRun:
	// that would be), in the order the walk found them: New had no
	// record, Changed had one with another digest.
	New, Changed []string
	// Unchanged counts the articles whose digest matched their record.
	Unchanged int
	// Forgotten counts the records dropped (ForgetAfter, MaxTracked).
	Forgotten int
	// Bundle is the bundle packed and published, and File its path in the
	// state directory; nil and "" when nothing was new or changed, or with
	// DryRun.
	Bundle *bundle.Info
	File   string
	// Base is the path of the bundle whose dictionary was reused, "" if
	// none. BaseErr says why the newest recorded bundle could not be used
	// (it was deleted, or no longer verifies under Pack.Authority, as
	// after a revocation): the run then packed with a new dictionary.
	Base    string
	BaseErr error
}

// Daily is one run of a publisher's daily job over the state directory
// dir: it walks o.Inputs, compares each article's Digest and Source
// with those recorded for its id (see unchanged), packs only the new and
// changed articles into one bundle (with the newest recorded bundle as
// base: its dictionary, so unchanged text keeps identical blocks, and a
// higher sequence), hands it to o.Publish, and then records the digests, the bundle and when each
// article was seen, atomically. A changed article keeps its id, so
// readers, who show the newest bundle's version of an id, see the
// correction; when its source gives no updated date, Updated is set to
// the run's time. When nothing is new or changed, no bundle is made and
// only the record of when articles were seen is written. Articles missing
// from the inputs are not touched: their bundles stay as they are, and
// their records are dropped after ForgetAfter.
//
// Only one run holds dir at a time (ErrStateLocked). A failure anywhere
// before the record is written leaves the record as it was, so the next
// run packs the same articles again; at worst, after a crash between
// publishing and recording, a bundle is published twice, the second with
// a higher sequence. A duplicate id among local files fails the run with
// bundle.ErrDuplicateID, as it fails pack; a fetched article whose id came
// before is skipped with a warning (see Walk).
func Daily(ctx context.Context, dir string, o DailyOptions) (*DailyResult, error) {
	if len(o.Inputs) == 0 {
		return nil, errors.New("daily: no inputs")
	}
	if !o.DryRun && o.Publish == nil {
		return nil, errors.New("daily: no Publish function")
	}
	release, err := openState(dir, !o.DryRun)
	if err != nil {
		return nil, err
	}
	defer release()
	st, err := loadState(dir)
	if err != nil {
		return nil, err
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	r := &dailyRun{st: st, now: now.UTC().Truncate(time.Second), res: &DailyResult{},
		pending: map[string]stateArticle{}, ids: map[string]bool{}}
	if !o.DryRun {
		if err := st.removeStrays(dir); err != nil {
			return nil, err
		}
		if r.p, err = r.newPacker(dir, o.Pack); err != nil {
			return nil, err
		}
		defer r.p.Close()
	}
	if err := Walk(ctx, o.Inputs, r.watch(o.Walk), r.visit); err != nil {
		return nil, err
	}
	if len(r.pending) == 0 {
		r.res.Forgotten = st.forget(r.now)
		if !o.DryRun {
			// Only the times seen change: without them, articles that
			// stay the same would be forgotten and packed again.
			if err := st.save(dir); err != nil {
				return nil, err
			}
		}
		return r.res, nil
	}
	if o.DryRun {
		r.res.Forgotten = st.forget(r.now)
		return r.res, nil
	}
	return r.finish(ctx, dir, o.Publish)
}

// dailyRun is the state of one Daily.
type dailyRun struct {
	st      *state
	now     time.Time
	res     *DailyResult
	p       *bundle.Packer // nil with DryRun
	seq     uint64
	pending map[string]stateArticle // new and changed, recorded once published
	ids     map[string]bool         // every id the walk found
	flaky   bool                    // the next article lost an image for a passing reason
}

// watch returns o with its warnings watched for an image that failed for
// a passing reason (crawl.Transient): the walk passes on an article's
// warnings just before it.
func (r *dailyRun) watch(o WalkOptions) WalkOptions {
	warn := o.Ingest.Warn
	o.Ingest.Warn = func(w ingest.Warning) {
		switch {
		case w.Kind == ingest.Unattached && crawl.Transient(w.Err):
			r.flaky = true
		case w.Kind == ingest.Skipped: // the article they were about is not coming
			r.flaky = false
		}
		if warn != nil {
			warn(w)
		}
	}
	return o
}

// openState creates (if create) and locks the state directory. A dry run
// creates nothing: a directory that does not exist has an empty state.
func openState(dir string, create bool) (release func(), err error) {
	if !create {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return func() {}, nil
		}
	}
	if create {
		if err := os.MkdirAll(filepath.Join(dir, bundlesDir), 0o700); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flock.Try(f); err != nil {
		if errors.Is(err, flock.ErrLocked) {
			err = ErrStateLocked
		}
		f.Close()
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

// newPacker makes the run's packer, with the newest recorded bundle as
// base when it still opens.
func (r *dailyRun) newPacker(dir string, po bundle.PackOptions) (*bundle.Packer, error) {
	po.Created = r.now
	po.Seq = uint64(r.now.Unix())
	po.Dict = nil
	if nb := r.st.newest(); nb != nil {
		po.Seq = max(po.Seq, nb.Seq+1)
		path := filepath.Join(dir, bundlesDir, nb.File)
		if dict, err := baseDict(path, po); err != nil {
			r.res.BaseErr = err
		} else {
			po.Dict, r.res.Base = dict, path
		}
	}
	r.seq = po.Seq
	return bundle.NewPacker(po)
}

// baseDict opens the bundle at path, verified as po's publisher's, and
// returns its dictionary (nil if it has none).
func baseDict(path string, po bundle.PackOptions) ([]byte, error) {
	if len(po.Key) != ed25519.PrivateKeySize {
		return nil, bundle.ErrBadKey
	}
	publisher := bundle.PublisherID(po.Key.Public().(ed25519.PublicKey))
	if po.Authority != nil {
		publisher = po.Authority.Publisher
	}
	b, err := bundle.Open(path, bundle.OpenOptions{Publisher: publisher, Authority: po.Authority})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return bytes.Clone(b.Dictionary()), nil
}

// visit takes one article of the walk: unchanged, it is only marked
// seen; new or changed, it goes to the packer and waits to be recorded.
// A known article that lost an image for a passing reason counts as
// unchanged; a new one is packed without it.
func (r *dailyRun) visit(a *bundle.Article) error {
	if r.ids[a.ID] {
		return &bundle.Error{Object: a.ID, Err: bundle.ErrDuplicateID}
	}
	r.ids[a.ID] = true
	// The digest is of the source as it came, before Updated is stamped
	// below: the next run compares the source again.
	d := Digest(a)
	now := stateArticle{Digest: hex.EncodeToString(d[:]), Seen: r.now}
	if a.Source != ([32]byte{}) {
		now.Source = hex.EncodeToString(a.Source[:])
	}
	old, known := r.st.Articles[a.ID]
	flaky := r.flaky
	r.flaky = false
	same := known && unchanged(old, now)
	switch {
	case same || known && flaky && r.holdBack(&old):
		// Flaky: the version published stays until a run fetches the
		// article whole, rather than go out without its image and come
		// back with it as two corrections; but for MaxHoldBack at most.
		if same {
			// Compared as this version of the code makes it from now
			// on; the version published stays.
			old.Digest, old.Source, old.Held = now.Digest, now.Source, time.Time{}
		}
		old.Seen = r.now
		r.st.Articles[a.ID] = old
		r.res.Unchanged++
		return nil
	case known:
		r.res.Changed = append(r.res.Changed, a.ID)
		if a.Updated.IsZero() {
			a.Updated = r.now
		}
	default:
		r.res.New = append(r.res.New, a.ID)
	}
	r.pending[a.ID] = now
	if r.p == nil {
		return nil
	}
	return r.p.Add(a)
}

// unchanged reports whether an article as a run found it (now) is the
// version recorded (old): the same digest of what a reader sees, or the
// same source. The source settles it when a newer version of the code
// that makes articles (extraction, a dependency's upgrade) makes the same
// source into another article: republishing every article as a
// correction then would tell readers of changes no newsroom made.
func unchanged(old, now stateArticle) bool {
	return old.Digest == now.Digest || old.Source != "" && old.Source == now.Source
}

// holdBack reports whether a known article that lost an image for a
// passing reason keeps its published version on this run: for MaxHoldBack
// from the first run that held it back (recorded in a).
func (r *dailyRun) holdBack(a *stateArticle) bool {
	if a.Held.IsZero() {
		a.Held = r.now
	}
	return r.now.Sub(a.Held) < MaxHoldBack
}

// finish packs the pending articles into the state directory, publishes
// the bundle and, once that succeeded, records it.
func (r *dailyRun) finish(ctx context.Context, dir string, publish func(context.Context, string) error) (*DailyResult, error) {
	file := filepath.Join(dir, bundlesDir, strconv.FormatUint(r.seq, 10)+".bundle")
	var info *bundle.Info
	err := atomicfile.Write(file, 0o644, func(w io.Writer) error {
		var err error
		if info, err = r.p.Pack(w); err == nil {
			err = ctx.Err() // interrupted: leave no bundle
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := publish(ctx, file); err != nil {
		os.Remove(file)
		return nil, fmt.Errorf("publishing %s: %w", file, err)
	}
	for id, a := range r.pending {
		a.Seq = info.Seq
		r.st.Articles[id] = a
	}
	drop := r.st.addBundle(stateBundle{File: filepath.Base(file), Seq: info.Seq, Root: info.Root.String(),
		Created: info.Created, Articles: info.Articles})
	r.res.Forgotten = r.st.forget(r.now)
	if err := r.st.save(dir); err != nil {
		return nil, fmt.Errorf("published %s, but could not record it (the next run packs its articles again): %w", file, err)
	}
	for _, f := range drop {
		os.Remove(filepath.Join(dir, bundlesDir, f)) // if this fails, the next run's removeStrays does it
	}
	r.res.Bundle, r.res.File = info, file
	return r.res, nil
}
