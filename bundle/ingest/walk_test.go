package ingest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// warning is one call of Options.Warn, with Err as text.
type warning struct {
	Kind               ingest.WarningKind
	Path               string
	Line, Item         int
	Field, Reason, Str string
}

// walk runs Walk with the zero Options and returns the articles and
// warnings.
func walk(t *testing.T, inputs ...string) ([]*bundle.Article, []warning, error) {
	t.Helper()
	return walkWith(t, ingest.Options{}, inputs...)
}

// walkWith runs Walk with opts (its Warn replaced) and returns the
// articles and warnings.
func walkWith(t *testing.T, opts ingest.Options, inputs ...string) ([]*bundle.Article, []warning, error) {
	t.Helper()
	var (
		arts []*bundle.Article
		ws   []warning
	)
	opts.Warn = func(w ingest.Warning) {
		ws = append(ws, warning{w.Kind, w.Path, w.Line, w.Item, w.Field, w.Err.Error(), w.String()})
	}
	err := ingest.Walk(inputs, opts, func(a *bundle.Article) error {
		arts = append(arts, a)
		return nil
	})
	return arts, ws, err
}

// goldenArticle is the golden form of an article: bodies and attachments
// by size and hash.
type goldenArticle struct {
	ID          string
	Title       string
	Lang        string
	Published   string   `json:",omitempty"`
	Updated     string   `json:",omitempty"`
	URL         string   `json:",omitempty"`
	Authors     []string `json:",omitempty"`
	Summary     string   `json:",omitempty"`
	ContentType string
	Body        string             // size and SHA-256
	Attachments []goldenAttachment `json:",omitempty"`
}

type goldenAttachment struct {
	Name, ContentType, Data string
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return strconv.Itoa(len(b)) + " bytes, sha256 " + hex.EncodeToString(h[:8])
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// TestWalkCorpus walks the fixture corpus and compares every article, in
// order, with testdata/corpus.golden.json (rewrite with -update).
func TestWalkCorpus(t *testing.T) {
	arts, ws, err := walk(t, corpus)
	if err != nil {
		t.Fatalf("Walk() error = %v", err)
	}
	var got []goldenArticle
	for _, a := range arts {
		g := goldenArticle{
			ID: a.ID, Title: a.Title, Lang: a.Lang, Published: date(a.Published), Updated: date(a.Updated),
			URL: a.URL, Authors: a.Authors, Summary: a.Summary, ContentType: a.ContentType, Body: digest(a.Body),
		}
		for _, at := range a.Attachments {
			g.Attachments = append(g.Attachments, goldenAttachment{at.Name, at.ContentType, digest(at.Data)})
		}
		got = append(got, g)
	}
	checkGolden(t, "testdata/corpus.golden.json", corpus, got)

	// Hidden files and the fixture images are skipped silently.
	p := filepath.Join(corpus, "notes.odt")
	wantWarn := []warning{{Kind: ingest.Ignored, Path: p, Reason: "unknown file type", Str: p + ": unknown file type; not packed"}}
	if diff := cmp.Diff(wantWarn, ws); diff != "" {
		t.Errorf("Walk(%s) warnings mismatch (-want +got):\n%s", corpus, diff)
	}
}

// TestFixtureImages checks that the committed images are real images.
func TestFixtureImages(t *testing.T) {
	for name, want := range map[string]string{"en/img/bridge.png": "png", "ru/img/uchastok.jpg": "jpeg"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(corpus, filepath.FromSlash(name)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, got, err := image.DecodeConfig(f); err != nil || got != want {
				t.Errorf("DecodeConfig(%s) = %q, %v, want %q, nil", name, got, err, want)
			}
		})
	}
}

func TestWalkOrder(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"b.txt":          "B",
		"a.txt":          "a",
		"A.txt":          "A",
		"a/z.txt":        "z",
		"a/y/x.txt":      "x",
		".git/HEAD.txt":  "hidden",
		"a/.cache/c.txt": "hidden",
	})
	arts, ws, err := walk(t, dir, filepath.Join(dir, "b.txt"))
	if err != nil {
		t.Fatalf("Walk() error = %v", err)
	}
	var got []string
	for _, a := range arts {
		got = append(got, a.ID)
	}
	want := []string{"A.txt", "a/y/x.txt", "a/z.txt", "a.txt", "b.txt", "b.txt"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Walk() ids mismatch (-want +got):\n%s", diff)
	}
	if len(ws) != 0 {
		t.Errorf("Walk() warnings = %v, want none", ws)
	}
}

// TestWalkErrors runs each case twice: with Strict, where the first bad
// file fails the walk, and without, where it is skipped with a warning and
// only an input that cannot be read, or finding no article at all, fails.
func TestWalkErrors(t *testing.T) {
	type outcome struct {
		errs  []error // all must match; none: Walk succeeds
		path  string  // of the *FileError, relative to the temporary directory; "" for none
		line  int
		skips int // Skipped warnings
	}
	tests := []struct {
		desc    string
		files   map[string]string // below the temporary directory
		sparse  map[string]int64  // files of this size, without data
		inputs  []string          // relative to the temporary directory
		strict  outcome
		lenient outcome // the zero outcome: as strict
		ignored int     // Ignored warnings, either way
	}{
		{desc: "missing input", inputs: []string{"nope.md"}, strict: outcome{errs: []error{ingest.ErrUnreadable}, path: "nope.md"}},
		{desc: "missing input is not exist", inputs: []string{"nope"}, strict: outcome{errs: []error{fs.ErrNotExist}, path: "nope"}},
		{desc: "no inputs", strict: outcome{errs: []error{ingest.ErrNoArticles}}},
		{desc: "empty directory", files: map[string]string{"empty/.keep": ""}, inputs: []string{"empty"}, strict: outcome{errs: []error{ingest.ErrNoArticles}, path: "empty"}},
		{desc: "two inputs without articles", files: map[string]string{"a/.keep": "", "b/.keep": ""}, inputs: []string{"a", "b"}, strict: outcome{errs: []error{ingest.ErrNoArticles}}},
		{
			desc:    "unknown types only",
			files:   map[string]string{"in/notes.docx": "x", "in/README": "x", "in/.hidden.md": "# x"},
			inputs:  []string{"in"},
			strict:  outcome{errs: []error{ingest.ErrNoArticles}, path: "in"},
			ignored: 2,
		},
		{desc: "empty feed", files: map[string]string{"f.rss": `<rss version="2.0"><channel/></rss>`}, inputs: []string{"f.rss"}, strict: outcome{errs: []error{ingest.ErrNoArticles}, path: "f.rss"}},
		{
			desc:    "oversized markdown",
			sparse:  map[string]int64{"in/big.md": 4<<20 + 1},
			files:   map[string]string{"in/a.txt": "fine"},
			inputs:  []string{"in"},
			strict:  outcome{errs: []error{ingest.ErrTooLarge}, path: "in/big.md"},
			lenient: outcome{skips: 1},
		},
		{
			desc:    "oversized text",
			sparse:  map[string]int64{"huge.txt": 256<<20 + 1},
			inputs:  []string{"huge.txt"},
			strict:  outcome{errs: []error{ingest.ErrTooLarge}, path: "huge.txt"},
			lenient: outcome{errs: []error{ingest.ErrNoArticles, ingest.ErrTooLarge}, path: "huge.txt", skips: 1},
		},
		{
			desc:    "oversized page, not read",
			sparse:  map[string]int64{"in/big.html": 16<<20 + 1},
			files:   map[string]string{"in/a.txt": "fine"},
			inputs:  []string{"in"},
			strict:  outcome{errs: []error{ingest.ErrTooLarge}, path: "in/big.html"},
			lenient: outcome{skips: 1},
		},
		{
			desc:    "page without article text: rendered by a script",
			files:   map[string]string{"in/a.txt": "fine", "in/empty.html": `<html><head><title>News</title></head><body><div id="root"></div><script src="app.js"></script></body></html>`},
			inputs:  []string{"in"},
			strict:  outcome{errs: []error{ingest.ErrMalformed}, path: "in/empty.html"},
			lenient: outcome{skips: 1},
		},
		{
			desc:    "malformed json below a directory",
			files:   map[string]string{"in/a.txt": "ok", "in/sub/bad.json": "[\n{\"body\": \"a\"},\n{\"body\": }\n]"},
			inputs:  []string{"in"},
			strict:  outcome{errs: []error{ingest.ErrMalformed}, path: "in/sub/bad.json", line: 3},
			lenient: outcome{skips: 1},
		},
		{
			desc:    "malformed front matter",
			files:   map[string]string{"in/post.md": "---\ntitle: [unclosed\n"},
			inputs:  []string{"in"},
			strict:  outcome{errs: []error{ingest.ErrMalformed}, path: "in/post.md", line: 1},
			lenient: outcome{errs: []error{ingest.ErrNoArticles, ingest.ErrMalformed}, path: "in", skips: 1},
		},
		{
			desc:    "non-feed xml",
			files:   map[string]string{"sitemap.xml": `<urlset><url><loc>https://e.org/</loc></url></urlset>`},
			inputs:  []string{"sitemap.xml"},
			strict:  outcome{errs: []error{ingest.ErrMalformed}, path: "sitemap.xml"},
			lenient: outcome{errs: []error{ingest.ErrNoArticles, ingest.ErrMalformed}, path: "sitemap.xml", skips: 1},
		},
		{
			desc:    "bad feed item and bad json line among good ones",
			files:   map[string]string{"in/f.rss": `<rss version="2.0"><channel><item><guid>a</guid></item><item><guid>b</guid><pubDate>soon</pubDate></item></channel></rss>`, "in/g.jsonl": "{\"body\": \"\"}\n{\"title\": \"no body\"}\n"},
			inputs:  []string{"in"},
			strict:  outcome{errs: []error{ingest.ErrMalformed}, path: "in/f.rss"},
			lenient: outcome{skips: 2},
		},
	}
	for _, tt := range tests {
		for _, strict := range []bool{true, false} {
			want := tt.strict
			if !strict && !reflect.ValueOf(tt.lenient).IsZero() {
				want = tt.lenient
			}
			t.Run(fmt.Sprintf("%s/strict=%v", tt.desc, strict), func(t *testing.T) {
				dir := t.TempDir()
				writeFiles(t, dir, tt.files)
				for name, size := range tt.sparse {
					p := filepath.Join(dir, filepath.FromSlash(name))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					f, err := os.Create(p)
					if err != nil {
						t.Fatal(err)
					}
					if err := f.Truncate(size); err != nil {
						t.Fatal(err)
					}
					f.Close()
				}
				var inputs []string
				for _, in := range tt.inputs {
					inputs = append(inputs, filepath.Join(dir, filepath.FromSlash(in)))
				}
				_, ws, err := walkWith(t, ingest.Options{Strict: strict}, inputs...)
				if len(want.errs) == 0 && err != nil {
					t.Fatalf("Walk() error = %v, want nil", err)
				}
				for _, e := range want.errs {
					if !errors.Is(err, e) {
						t.Errorf("Walk() error = %v, want %v", err, e)
					}
				}
				var fe *ingest.FileError
				switch {
				case err == nil:
				case want.path == "":
					if errors.As(err, &fe) {
						t.Errorf("Walk() error = %v, want no *FileError", err)
					}
				case !errors.As(err, &fe):
					t.Errorf("Walk() error = %T %v, want a *FileError", err, err)
				default:
					if want := filepath.Join(dir, filepath.FromSlash(want.path)); fe.Path != want {
						t.Errorf("FileError.Path = %q, want %q", fe.Path, want)
					}
					if fe.Line != want.line {
						t.Errorf("FileError.Line = %d, want %d", fe.Line, want.line)
					}
				}
				kinds := map[ingest.WarningKind]int{}
				for _, w := range ws {
					kinds[w.Kind]++
				}
				if kinds[ingest.Skipped] != want.skips || kinds[ingest.Ignored] != tt.ignored || len(ws) != want.skips+tt.ignored {
					t.Errorf("Walk() warnings = %+v, want %d skipped and %d ignored", ws, want.skips, tt.ignored)
				}
			})
		}
	}
}

// TestWalkStreams checks that Walk reads a file only after the articles of
// the previous one were handed to fn: fn rewrites the next file, and the
// rewritten text is what is ingested.
func TestWalkStreams(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"1.txt": "first", "2.txt": "old"})
	var titles []string
	err := ingest.Walk([]string{dir}, ingest.Options{}, func(a *bundle.Article) error {
		titles = append(titles, a.Title)
		if a.ID == "1.txt" {
			return os.WriteFile(filepath.Join(dir, "2.txt"), []byte("new"), 0o644)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Walk() error = %v", err)
	}
	if want := []string{"first", "new"}; !cmp.Equal(titles, want) {
		t.Errorf("titles = %q, want %q", titles, want)
	}
}

func TestWalkFnError(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.txt": "a", "b.txt": "b"})
	stop := errors.New("stop")
	calls := 0
	err := ingest.Walk([]string{dir}, ingest.Options{}, func(*bundle.Article) error {
		calls++
		return stop
	})
	if err != stop {
		t.Errorf("Walk() error = %v, want %v", err, stop)
	}
	if calls != 1 {
		t.Errorf("fn called %d times, want 1", calls)
	}
}

// TestWalkSymlinkedArticles: links to files inside the input are followed,
// links out of it and links to directories are skipped with a warning.
func TestWalkSymlinkedArticles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"in/real.txt":     "Real",
		"in/sub/deep.txt": "Deep",
		"secret.txt":      "Secret",
	})
	in := filepath.Join(dir, "in")
	for link, target := range map[string]string{
		"alias.txt": "real.txt",
		"leak.txt":  filepath.Join(dir, "secret.txt"),
		"up.txt":    "../secret.txt",
		"subdir":    "sub",
		"dangling":  "gone.txt",
	} {
		if err := os.Symlink(target, filepath.Join(in, link)); err != nil {
			t.Skipf("symlinks unsupported: %v", err)
		}
	}
	arts, ws, err := walk(t, in)
	if err != nil {
		t.Fatalf("Walk() error = %v", err)
	}
	var got []string
	for _, a := range arts {
		got = append(got, a.ID+"="+a.Title)
	}
	if want := []string{"alias.txt=Real", "real.txt=Real", "sub/deep.txt=Deep"}; !cmp.Equal(got, want) {
		t.Errorf("Walk() articles = %q, want %q", got, want)
	}
	var warned []string
	for _, w := range ws {
		warned = append(warned, filepath.Base(w.Path))
	}
	if want := []string{"dangling", "leak.txt", "subdir", "up.txt"}; !cmp.Equal(warned, want) {
		t.Errorf("Walk() warned about %q, want %q", warned, want)
	}
}
