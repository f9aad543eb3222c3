package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/corpus"
)

// dailyNewsroom writes a newsroom's folder: enough generated text that the
// first bundle gets a dictionary, and two articles the test changes.
func dailyNewsroom(t *testing.T, src string) int {
	t.Helper()
	files := map[string]string{
		"budget.md": "---\nid: budget\ntitle: Council passes budget\nlang: en\npublished: 2026-11-01T08:00:00Z\n---\nThe council approved the budget.\n",
		"bridge.md": "---\nid: bridge\ntitle: Bridge closes\nlang: en\npublished: 2026-11-01T09:00:00Z\n---\nThe bridge closes on Monday for repairs.\n",
	}
	docs := corpus.Generate(11, 80, 3000, 5000)
	for i, d := range docs {
		files[fmt.Sprintf("gen/%03d.md", i)] = fmt.Sprintf("---\nid: gen-%d\ntitle: %s\nlang: %s\n---\n%s", i, strconv.Quote(d.Title), d.Lang, d.Body)
	}
	writeFiles(t, src, files)
	return len(files)
}

// stateBundles returns the bundle files in a daily state directory,
// oldest first (their names are sequence numbers of equal length).
func stateBundles(t *testing.T, state string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(state, "bundles", "*.bundle"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// bundleRoot returns the root CID that verify prints for file.
func bundleRoot(t *testing.T, id, file string) (root string, seq uint64) {
	t.Helper()
	out := mustRun(t, "verify", "-p", id, file).stdout
	f := strings.Fields(out)
	for i := range f[:len(f)-1] {
		switch f[i] {
		case "root":
			root = strings.TrimSpace(f[i+1])
		case "sequence":
			seq, _ = strconv.ParseUint(strings.TrimSuffix(f[i+1], ","), 10, 64)
		}
	}
	if root == "" || seq == 0 {
		t.Fatalf("verify printed no root or sequence: %q", out)
	}
	return root, seq
}

// TestCLIDaily runs `samizdat daily` three times against a running
// publisher node holding a head key, with a delegated bundle key: the
// first run publishes everything, the second nothing, the third exactly
// the corrected and the new article; readers then see the correction
// under the same id, and the first bundle still holds the old text.
func TestCLIDaily(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	total := dailyNewsroom(t, src)
	root, bkey, hkey, doc := filepath.Join(dir, "root.key"), filepath.Join(dir, "bundle.key"), filepath.Join(dir, "head.key"), filepath.Join(dir, "publisher.doc")
	id := strings.TrimSpace(mustRun(t, "keygen", "-o", root).stdout)
	mustRun(t, "keygen", "-o", bkey)
	mustRun(t, "keygen", "-o", hkey)
	mustRun(t, "authorize", "-k", root, "--name", "Daily News", "--add", bkey, "--head-key", hkey, "-o", doc)

	pub := filepath.Join(dir, "pub")
	startServe(t, pub, "--key", hkey, "--authority", doc, "--http", "127.0.0.1:0", "--http-pages")
	base := repoHTTP(t, pub)
	state := filepath.Join(pub, defaultStateDir)
	daily := func() result {
		t.Helper()
		return mustRun(t, "daily", "--repo", pub, "-k", bkey, "--authority", doc, src)
	}

	r := daily()
	if !strings.Contains(r.stdout, fmt.Sprintf("%d new, 0 changed, 0 unchanged", total)) || !strings.Contains(r.stdout, "announced by the running node") {
		t.Errorf("first run: %q; want all %d articles new, published to the running node", r.stdout, total)
	}
	if got := stateBundles(t, state); len(got) != 1 {
		t.Fatalf("first run left bundles %v, want one", got)
	}

	r = daily()
	if want := fmt.Sprintf("nothing new or changed (%d unchanged); no bundle\n", total); r.stdout != want {
		t.Errorf("second run printed %q, want %q", r.stdout, want)
	}
	if got := stateBundles(t, state); len(got) != 1 {
		t.Errorf("a run with nothing changed made a bundle: %v", got)
	}

	writeFiles(t, src, map[string]string{
		"bridge.md": "---\nid: bridge\ntitle: Bridge closes\nlang: en\npublished: 2026-11-01T09:00:00Z\n---\nThe bridge closes on Tuesday for repairs, not Monday.\n",
		"school.md": "---\nid: school\ntitle: School reopens\nlang: en\npublished: 2026-11-02T09:00:00Z\n---\nThe school reopens after the storm.\n",
	})
	r = daily()
	if want := fmt.Sprintf("1 new, 1 changed, %d unchanged", total-1); !strings.Contains(r.stdout, want) {
		t.Errorf("third run: %q, want %q", r.stdout, want)
	}
	files := stateBundles(t, state)
	if len(files) != 2 {
		t.Fatalf("bundles after the third run: %v, want two", files)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(mustRun(t, "ls", files[1]).stdout), "\n") {
		got = append(got, strings.Fields(line)[0])
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"bridge", "school"}) {
		t.Errorf("the third bundle holds %v, want exactly bridge and school", got)
	}
	root1, seq1 := bundleRoot(t, id, files[0])
	root2, seq2 := bundleRoot(t, id, files[1])
	if seq2 <= seq1 {
		t.Errorf("sequence %d after %d, want it higher", seq2, seq1)
	}
	dicts := make([][]byte, 2)
	for i, f := range files {
		b, err := bundle.Open(f, bundle.OpenOptions{Publisher: id})
		if err != nil {
			t.Fatal(err)
		}
		dicts[i] = b.Dictionary()
		b.Close()
	}
	if dicts[0] == nil || !bytes.Equal(dicts[0], dicts[1]) {
		t.Errorf("the third bundle does not reuse the first one's dictionary (%d and %d bytes)", len(dicts[0]), len(dicts[1]))
	}

	// Readers: the list links the corrected version, and its page shows
	// the new text and that it was updated.
	newHref, oldHref := "/a/"+root2+"/bridge", "/a/"+root1+"/bridge"
	list := waitFor(t, 30*time.Second, func() (string, bool) {
		page := httpGet(t, base+"/")
		return page, strings.Contains(page, newHref)
	})
	if list == "" || strings.Contains(list, oldHref) {
		t.Fatalf("the reader list does not link the corrected bridge alone (want %s, not %s)", newHref, oldHref)
	}
	page := httpGet(t, base+newHref)
	if !strings.Contains(page, "closes on Tuesday") || !strings.Contains(page, "updated "+time.Now().UTC().Format("2006-01-02")) {
		t.Errorf("the corrected article's page lacks the new text or its updated date:\n%s", page)
	}
	// The first bundle still verifies, with the text as it was.
	if got := mustRun(t, "cat", files[0], "bridge").stdout; !strings.Contains(got, "closes on Monday for repairs.") {
		t.Errorf("the first bundle's bridge = %q, want the text before the correction", got)
	}
}

// TestCLIDailyRepo: with no node running, daily publishes into the repo
// with --head-key; a publish that fails records nothing, and the next
// run packs the same articles again.
func TestCLIDailyRepo(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeFiles(t, src, map[string]string{"a.md": "---\nid: a\ntitle: One\n---\nFirst.\n"})
	key := filepath.Join(dir, "root.key")
	mustRun(t, "keygen", "-o", key)
	repo := filepath.Join(dir, "repo")
	state := filepath.Join(dir, "state")

	r := samizdat(t, "daily", "--repo", repo, "-k", key, "--state", state, src)
	if r.code != 1 || !strings.Contains(r.stderr, "--head-key") {
		t.Errorf("daily with no node and no head key: exit %d, %q; want 1 naming --head-key", r.code, r.stderr)
	}
	if got := stateBundles(t, state); len(got) != 0 {
		t.Errorf("a failed publish left bundles %v", got)
	}
	r = mustRun(t, "daily", "--repo", repo, "-k", key, "--head-key", key, "--state", state, "--dry-run", src)
	if r.stdout != "would pack 1 new, 0 changed, 0 unchanged\nnew a\n" {
		t.Errorf("dry run printed %q", r.stdout)
	}
	r = mustRun(t, "daily", "--repo", repo, "-k", key, "--head-key", key, "--state", state, src)
	if !strings.Contains(r.stdout, "1 new, 0 changed") || !strings.Contains(r.stdout, "head 1") {
		t.Errorf("daily into the repo: %q", r.stdout)
	}
	if seq := headSeq(t, repo); seq != 1 {
		t.Errorf("repo head %d, want 1", seq)
	}
}

// repoHTTP returns the http address a running node wrote to its addrs
// file.
func repoHTTP(t *testing.T, repo string) string {
	t.Helper()
	data, _ := os.ReadFile(filepath.Join(repo, "addrs"))
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "http "); ok {
			return rest
		}
	}
	t.Fatalf("serve --http wrote no http line: %q", data)
	return ""
}

// TestCLIDailyFromWeb runs daily over a local newsroom site's feed of
// summaries: the second run gets everything from its cache (304s) and
// makes no bundle; a page corrected on the site is packed alone, as an
// update of the same article.
func TestCLIDailyFromWeb(t *testing.T) {
	var mu sync.Mutex
	pages := map[string]string{
		"/news/bridge": webPage("en", "New bridge opens to traffic", "The bridge over the estuary opened to traffic this morning after four years of building work."),
		"/news/market": webPage("en", "Market moves to the square", "The weekly market moves to the town square from next month, the council said on Monday."),
	}
	var notModified atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		page := pages[r.URL.Path]
		mu.Unlock()
		body, ctype := page, "text/html; charset=utf-8"
		switch r.URL.Path {
		case "/robots.txt":
			body, ctype = "User-agent: *\nAllow: /\n", "text/plain"
		case "/feed.rss":
			body, ctype = dailyFeed("http://"+r.Host), "application/rss+xml"
		case "/img/chart.png":
			body, ctype = webPNG, "image/png"
		}
		if body == "" {
			http.NotFound(w, r)
			return
		}
		serveETag(w, r, body, ctype, &notModified)
	}))
	defer srv.Close()

	dir := t.TempDir()
	key := filepath.Join(dir, "root.key")
	id := strings.TrimSpace(mustRun(t, "keygen", "-o", key).stdout)
	repo := filepath.Join(dir, "repo")
	state := filepath.Join(repo, defaultStateDir)
	daily := func() result {
		t.Helper()
		return mustRun(t, "daily", "--repo", repo, "-k", key, "--head-key", key, "--rate", "1000", srv.URL+"/feed.rss")
	}
	if r := daily(); !strings.Contains(r.stdout, "2 new, 0 changed, 0 unchanged") {
		t.Fatalf("first run: %q", r.stdout)
	}
	notModified.Store(0)
	if r := daily(); r.stdout != "nothing new or changed (2 unchanged); no bundle\n" {
		t.Errorf("second run: %q", r.stdout)
	}
	if n := notModified.Load(); n == 0 {
		t.Errorf("the second run fetched everything again: no 304, so no cache under %s", state)
	}
	mu.Lock()
	pages["/news/market"] = webPage("en", "Market moves to the square", "The weekly market moves to the town square from next month, the council said on Tuesday.")
	mu.Unlock()
	if r := daily(); !strings.Contains(r.stdout, "0 new, 1 changed, 1 unchanged") {
		t.Errorf("third run: %q", r.stdout)
	}
	files := stateBundles(t, state)
	if len(files) != 2 {
		t.Fatalf("bundles %v, want two", files)
	}
	if got := strings.Fields(mustRun(t, "ls", files[1]).stdout); len(got) == 0 || got[0] != "market-1" || strings.Count(mustRun(t, "ls", files[1]).stdout, "\n") != 1 {
		t.Errorf("the correction's bundle lists %q, want market-1 alone", mustRun(t, "ls", files[1]).stdout)
	}
	if body := mustRun(t, "cat", files[1], "market-1").stdout; !strings.Contains(body, "said on Tuesday") {
		t.Errorf("the corrected article: %q", body)
	}
	if body := mustRun(t, "cat", files[0], "market-1").stdout; !strings.Contains(body, "said on Monday") {
		t.Errorf("the first bundle's article: %q", body)
	}
	mustRun(t, "verify", "-p", id, files[0])
	if seq := headSeq(t, repo); seq != 2 {
		t.Errorf("repo head %d, want 2", seq)
	}
}

// dailyFeed is a feed of two summaries whose pages hold the articles.
func dailyFeed(base string) string {
	item := func(guid, title, path string) string {
		return "<item><title>" + title + "</title><link>" + base + path + "</link><guid isPermaLink=\"false\">" + guid +
			"</guid><description>A teaser.</description><pubDate>Mon, 30 Nov 2026 07:00:00 GMT</pubDate></item>\n"
	}
	return `<?xml version="1.0"?><rss version="2.0"><channel><title>The Daily Example</title><link>` + base + `/</link><description>News</description>
` + item("bridge-1", "New bridge opens to traffic", "/news/bridge") +
		item("market-1", "Market moves to the square", "/news/market") + "</channel></rss>\n"
}

// TestCLIDailyDryRunCreatesNothing: a dry run, which records nothing,
// does not create the state directory for its HTTP cache either.
func TestCLIDailyDryRunCreatesNothing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/img/chart.png" {
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"))
			return
		}
		if r.URL.Path != "/news/bridge" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"1"`)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(webPage("en", "New bridge opens to traffic", "The bridge over the estuary opened to traffic this morning after four years of building work.")))
	}))
	defer srv.Close()
	dir := t.TempDir()
	key := filepath.Join(dir, "root.key")
	mustRun(t, "keygen", "-o", key)
	repo := filepath.Join(dir, "repo")
	r := mustRun(t, "daily", "--repo", repo, "-k", key, "--dry-run", "--rate", "1000", srv.URL+"/news/bridge")
	if !strings.HasPrefix(r.stdout, "would pack 1 new") {
		t.Errorf("dry run printed %q", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(repo, defaultStateDir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after a dry run, the state directory: %v; want none", err)
	}
}
