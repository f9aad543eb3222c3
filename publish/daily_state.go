package publish

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
)

// Bounds of a daily run's state directory.
const (
	// KeepBundles is how many of the bundles daily runs wrote stay in the
	// state directory. The newest is the next run's base (its dictionary
	// and sequence); the node holds its own copies of all of them, so the
	// older ones are only there to look at after a bad day.
	KeepBundles = 3
	// ForgetAfter is how long an article may be missing from the inputs
	// before its record is dropped. A feed lists only its latest items,
	// so an article leaves the inputs long before it leaves the site; one
	// that comes back after this long is packed again, as new. 90 days
	// keeps the record to about a season of a newsroom's output.
	ForgetAfter = 90 * 24 * time.Hour
	// MaxTracked bounds the articles recorded, whatever ForgetAfter says:
	// beyond it, those seen longest ago are dropped first. 200,000 is
	// years of a large newsroom's output, and keeps the state file (about
	// 150 bytes an article with URL ids) to tens of megabytes.
	MaxTracked = 200_000
	// MaxStateSize bounds the state file a run reads: MaxTracked records
	// with ids of up to bundle.MaxIDLen bytes fit. A larger file is not
	// one this package wrote.
	MaxStateSize = 256 << 20
	// MaxHoldBack is how long a known article whose image keeps failing
	// for a passing reason keeps its published version. Holding it back
	// spares readers a picture that goes and comes back; holding it for
	// ever would also hold back a correction of its text behind a CDN
	// that stays down. After two days it goes out as it is.
	MaxHoldBack = 48 * time.Hour
)

const (
	stateVersion = 1
	stateFile    = "state.json"
	lockFile     = "lock"
	bundlesDir   = "bundles"
	digestDomain = "samizdat publish article digest v1\x00"
)

// Sentinel errors of Daily.
var (
	// ErrStateLocked means another daily run holds the state directory.
	ErrStateLocked = errors.New("another daily run holds the state directory")
	// ErrBadState means the state file is not one this package wrote, or
	// was damaged. Nothing is packed: delete the file to start afresh,
	// which packs every article of the inputs again.
	ErrBadState = errors.New("state file damaged or not a daily state")
)

// Digest returns the digest of an article's content as a daily run
// compares it between runs: SHA-256, under a fixed context string, of the
// title, language, published and updated dates (Unix seconds), URL,
// authors, summary, content type, body and attachments (name, content
// type and bytes, in order), each length-prefixed so that no two articles
// share an encoding. The id is not part of it: it is what the digest is
// recorded under. Any change to what a reader sees changes the digest;
// re-ingesting the same source bytes gives the same one.
func Digest(a *bundle.Article) [sha256.Size]byte {
	h := sha256.New()
	io.WriteString(h, digestDomain)
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	str := func(s string) { field([]byte(s)) }
	date := func(t time.Time) {
		if t.IsZero() {
			str("")
			return
		}
		field(binary.BigEndian.AppendUint64(nil, uint64(t.Unix())))
	}
	str(a.Title)
	str(a.Lang)
	date(a.Published)
	date(a.Updated)
	str(a.URL)
	field(binary.BigEndian.AppendUint64(nil, uint64(len(a.Authors))))
	for _, au := range a.Authors {
		str(au)
	}
	str(a.Summary)
	str(a.ContentType)
	field(a.Body)
	field(binary.BigEndian.AppendUint64(nil, uint64(len(a.Attachments))))
	for _, at := range a.Attachments {
		str(at.Name)
		str(at.ContentType)
		field(at.Data)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// state is what daily runs remember: the bundles they wrote and, per
// article id, the digest of the version published.
type state struct {
	Version  int                     `json:"version"`
	Bundles  []stateBundle           `json:"bundles"` // oldest first
	Articles map[string]stateArticle `json:"articles"`
}

// stateBundle is one bundle a daily run wrote and published.
type stateBundle struct {
	File     string    `json:"file"` // base name under bundles/
	Seq      uint64    `json:"seq"`
	Root     string    `json:"root"`
	Created  time.Time `json:"created"`
	Articles int       `json:"articles"`
}

// stateArticle is the published version of one article.
type stateArticle struct {
	Digest string `json:"digest"` // hex of Digest
	// Source is the hex of the article's bundle.Article.Source when the
	// run that last compared it had one, else "".
	Source string    `json:"source,omitempty"`
	Seen   time.Time `json:"seen"` // the last run that found it in the inputs
	Seq    uint64    `json:"seq"`  // the bundle that carries this version
	// Held is the first run that kept the published version because an
	// image failed for a passing reason (MaxHoldBack); zero when none.
	Held time.Time `json:"held,omitzero"`
}

// loadState reads the state of dir; a directory without one has an empty
// state.
func loadState(dir string) (*state, error) {
	f, err := os.Open(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return &state{Version: stateVersion, Articles: map[string]stateArticle{}}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxStateSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxStateSize {
		return nil, fmt.Errorf("%w: %s is over %d bytes", ErrBadState, f.Name(), MaxStateSize)
	}
	var st state
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadState, f.Name(), err)
	}
	if err := st.check(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadState, f.Name(), err)
	}
	return &st, nil
}

// check refuses a state no run of this version could have written.
func (st *state) check() error {
	if st.Version != stateVersion {
		return fmt.Errorf("version %d, want %d", st.Version, stateVersion)
	}
	if st.Articles == nil {
		st.Articles = map[string]stateArticle{}
	}
	if len(st.Articles) > MaxTracked {
		return fmt.Errorf("%d articles, limit %d", len(st.Articles), MaxTracked)
	}
	for i, b := range st.Bundles {
		if b.File != filepath.Base(b.File) || b.File == "." || b.File == ".." {
			return fmt.Errorf("bundle file %q is not a plain name", b.File)
		}
		if b.Seq == math.MaxUint64 { // the next would wrap to 0 and lose to every head
			return fmt.Errorf("bundle sequence %d leaves no next one", b.Seq)
		}
		if i > 0 && b.Seq <= st.Bundles[i-1].Seq {
			return fmt.Errorf("bundle sequences %d, %d do not increase", st.Bundles[i-1].Seq, b.Seq)
		}
	}
	for id, a := range st.Articles {
		if d, err := hex.DecodeString(a.Digest); err != nil || len(d) != sha256.Size {
			return fmt.Errorf("article %q: bad digest", id)
		}
		if d, err := hex.DecodeString(a.Source); err != nil || len(d) != 0 && len(d) != sha256.Size {
			return fmt.Errorf("article %q: bad source digest", id)
		}
	}
	return nil
}

// save writes st to dir atomically and synced: a crash leaves the old
// state or the new one, never a mix.
func (st *state) save(dir string) error {
	return atomicfile.Write(filepath.Join(dir, stateFile), 0o600, func(w io.Writer) error {
		return json.NewEncoder(w).Encode(st)
	})
}

// newest returns the newest bundle recorded, or nil.
func (st *state) newest() *stateBundle {
	if len(st.Bundles) == 0 {
		return nil
	}
	return &st.Bundles[len(st.Bundles)-1]
}

// forget drops the records of articles not seen since ForgetAfter before
// now, then, over MaxTracked, those seen longest ago. It returns how many
// it dropped.
func (st *state) forget(now time.Time) int {
	n := 0
	for id, a := range st.Articles {
		if now.Sub(a.Seen) > ForgetAfter {
			delete(st.Articles, id)
			n++
		}
	}
	if over := len(st.Articles) - MaxTracked; over > 0 {
		ids := make([]string, 0, len(st.Articles))
		for id := range st.Articles {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b string) int {
			return cmp.Or(st.Articles[a].Seen.Compare(st.Articles[b].Seen), cmp.Compare(a, b))
		})
		for _, id := range ids[:over] {
			delete(st.Articles, id)
		}
		n += over
	}
	return n
}

// addBundle records b as the newest bundle and returns the files of those
// beyond KeepBundles, for the caller to delete once the state is saved.
func (st *state) addBundle(b stateBundle) (drop []string) {
	st.Bundles = append(st.Bundles, b)
	if over := len(st.Bundles) - KeepBundles; over > 0 {
		for _, old := range st.Bundles[:over] {
			drop = append(drop, old.File)
		}
		st.Bundles = slices.Delete(st.Bundles, 0, over)
	}
	return drop
}

// removeStrays deletes files under bundles/ that the state does not list:
// a bundle a failed or interrupted run packed and did not publish.
func (st *state) removeStrays(dir string) error {
	keep := map[string]bool{}
	for _, b := range st.Bundles {
		keep[b.File] = true
	}
	entries, err := os.ReadDir(filepath.Join(dir, bundlesDir))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !keep[e.Name()] {
			if err := os.Remove(filepath.Join(dir, bundlesDir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
