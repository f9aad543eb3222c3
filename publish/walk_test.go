package publish

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
	"github.com/samizdat/samizdat/publish/crawl"
)

const page = `<!DOCTYPE html><html lang="en"><head><title>Harbour reopens</title></head><body>
<nav><a href="/">Home</a></nav><article><h1>Harbour reopens</h1>
<p>The harbour reopened to shipping on Monday after repairs to the north pier were finished ahead of time, the port authority said.</p>
<p>Ferries resume their summer timetable at once, and freight follows next week once the cranes have been inspected.</p>
</article><footer>All rights reserved.</footer></body></html>`

func site(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(servePage))
	t.Cleanup(srv.Close)
	return srv
}

// servePage serves page at /news/harbour.
func servePage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/news/harbour" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.Write([]byte(page))
}

func writeFile(t *testing.T, p, s string) string {
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWalkMixed: local files and URLs come out in the order given, the
// URL's article extracted from its page.
func TestWalkMixed(t *testing.T) {
	srv := site(t)
	dir := t.TempDir()
	a := writeFile(t, filepath.Join(dir, "a.md"), "---\nid: a\ntitle: First\n---\nText.\n")
	b := writeFile(t, filepath.Join(dir, "b.md"), "---\nid: b\ntitle: Last\n---\nText.\n")
	var ids []string
	var warns []ingest.Warning
	o := WalkOptions{Ingest: ingest.Options{Warn: func(w ingest.Warning) { warns = append(warns, w) }}, Fetch: crawl.Options{Rate: 1000}}
	err := Walk(context.Background(), []string{a, srv.URL + "/news/harbour", b}, o, func(art *bundle.Article) error {
		ids = append(ids, art.ID)
		if art.ID == srv.URL+"/news/harbour" && (art.Title != "Harbour reopens" || strings.Contains(string(art.Body), "All rights reserved")) {
			t.Errorf("web article = %q, body %q: want the page's article", art.Title, art.Body)
		}
		return nil
	})
	if err != nil || len(warns) != 0 {
		t.Fatalf("Walk = %v, warnings %v", err, warns)
	}
	if got, want := strings.Join(ids, " "), "a "+srv.URL+"/news/harbour b"; got != want {
		t.Errorf("articles %s, want %s", got, want)
	}
}

// TestWalkNothing: a URL that fails is a warning, and finding nothing at
// all is ErrNoArticles; with Strict the failure itself ends the walk.
func TestWalkNothing(t *testing.T) {
	srv := site(t)
	var warns []ingest.Warning
	o := WalkOptions{Ingest: ingest.Options{Warn: func(w ingest.Warning) { warns = append(warns, w) }}, Fetch: crawl.Options{Rate: 1000}}
	fn := func(*bundle.Article) error { t.Error("an article from nowhere"); return nil }
	err := Walk(context.Background(), []string{srv.URL + "/gone"}, o, fn)
	if !errors.Is(err, ingest.ErrNoArticles) || len(warns) != 1 || !errors.Is(warns[0].Err, crawl.ErrStatus) {
		t.Errorf("Walk = %v, warnings %v; want ErrNoArticles after one ErrStatus warning", err, warns)
	}
	o.Ingest.Strict = true
	err = Walk(context.Background(), []string{srv.URL + "/gone"}, o, fn)
	var fe *ingest.FileError
	if !errors.As(err, &fe) || !errors.Is(err, crawl.ErrStatus) || fe.Path != srv.URL+"/gone" {
		t.Errorf("strict Walk = %v, want a *FileError for the URL wrapping ErrStatus", err)
	}
}

// TestWalkDuplicateFetched: a story in two of a newsroom's section feeds
// (or twice in one feed) has one id; the first is kept, each later one
// is a warning (with Strict, the error), and the run goes on. Without
// this, pack and every daily run failed on such feeds, day after day.
func TestWalkDuplicateFetched(t *testing.T) {
	var base string // the server's URL, once it runs
	feed := func(guids ...string) string {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>`)
		for _, g := range guids {
			b.WriteString(`<item><title>Harbour reopens</title><link>` + base + `/news/harbour</link><guid>` + g + `</guid><description>Teaser.</description></item>`)
		}
		b.WriteString(`</channel></rss>`)
		return b.String()
	}
	feeds := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f, ok := feeds[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write([]byte(f))
			return
		}
		servePage(w, r)
	}))
	t.Cleanup(srv.Close)
	base = srv.URL
	feeds["/world.rss"], feeds["/politics.rss"] = feed("story-1", "story-2", "story-1"), feed("story-2", "story-3")
	inputs := []string{srv.URL + "/world.rss", srv.URL + "/politics.rss"}
	var ids []string
	var warns []ingest.Warning
	o := WalkOptions{Ingest: ingest.Options{Warn: func(w ingest.Warning) { warns = append(warns, w) }}, Fetch: crawl.Options{Rate: 1000}}
	err := Walk(context.Background(), inputs, o, func(a *bundle.Article) error {
		ids = append(ids, a.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk = %v, want the run to go on", err)
	}
	if got, want := strings.Join(ids, " "), "story-1 story-2 story-3"; got != want {
		t.Errorf("articles %s, want %s", got, want)
	}
	if len(warns) != 2 || !errors.Is(warns[0].Err, bundle.ErrDuplicateID) || !errors.Is(warns[1].Err, bundle.ErrDuplicateID) ||
		warns[0].Kind != ingest.Skipped || warns[0].Path != inputs[0] || warns[1].Path != inputs[1] {
		t.Errorf("warnings %v, want two Skipped ErrDuplicateID, one per feed", warns)
	}
	o.Ingest.Strict = true
	err = Walk(context.Background(), inputs, o, func(*bundle.Article) error { return nil })
	var fe *ingest.FileError
	if !errors.As(err, &fe) || !errors.Is(err, bundle.ErrDuplicateID) || fe.Path != inputs[0] {
		t.Errorf("strict Walk = %v, want a *FileError for the first feed wrapping ErrDuplicateID", err)
	}
}
