package crawl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

// walk fetches in with f and returns the articles and warnings.
func walk(t testing.TB, f *Fetcher, in string, io ingest.Options) ([]*bundle.Article, []ingest.Warning, error) {
	t.Helper()
	var arts []*bundle.Article
	var warns []ingest.Warning
	io.Warn = func(w ingest.Warning) { warns = append(warns, w) }
	err := f.Walk(context.Background(), in, io, func(a *bundle.Article) error {
		arts = append(arts, a)
		return nil
	})
	return arts, warns, err
}

func newFetcher(t testing.TB, o Options) *Fetcher {
	t.Helper()
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// chrome is text of the pages' navigation, cookie banners, related
// links, comments and footers, none of which an article may keep.
var chrome = []string{
	"cookie", "Cookie", "Related stories", "Comments", "All rights reserved",
	"查看更多评论", "Accept all",
}

func TestFeedOfSummaries(t *testing.T) {
	s := newNewsroom(t)
	f := newFetcher(t, s.options())
	arts, warns, err := walk(t, f, "http://news.example/feed.rss", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	want := []struct{ id, lang, url, text string }{
		{"story-1", "en-GB", "http://news.example/news/en-seed", "Kirkwall"},
		{"story-2", "ar", "http://news.example/news/ar", "محطة"},
		{"story-3", "es", "http://news.example/news/es", "vivienda"},
		{"story-4", "fa", "http://news.example/news/fa", "اصفهان"},
		{"story-5", "zh", "http://news.example/news/zh", "武汉"},
		{"story-6", "en", "http://news.example/news/changing", "version first"},
	}
	if len(arts) != len(want) {
		t.Fatalf("got %d articles, want %d", len(arts), len(want))
	}
	for i, w := range want {
		a := arts[i]
		// The item's id, title, link and date win over the page's.
		if a.ID != w.id || a.Title != fmt.Sprintf("Story %d", i+1) || a.URL != w.url || a.Published.Minute() != i {
			t.Errorf("article %d = %q %q %q %v, want %q \"Story %d\" %q minute %d", i, a.ID, a.Title, a.URL, a.Published, w.id, i+1, w.url, i)
		}
		if a.Lang != w.lang {
			t.Errorf("%s: lang = %q, want %q", a.ID, a.Lang, w.lang)
		}
		if !bytes.Contains(a.Body, []byte(w.text)) {
			t.Errorf("%s: body lacks %q: the page's article", a.ID, w.text)
		}
		if bytes.Contains(a.Body, []byte("A short teaser")) {
			t.Errorf("%s: body is the feed's teaser, not the page's article", a.ID)
		}
		for _, c := range chrome {
			if bytes.Contains(a.Body, []byte(c)) {
				t.Errorf("%s: body keeps site chrome %q", a.ID, c)
			}
		}
		checkImages(t, a)
	}
	if n := len(arts[0].Attachments); n != 2 {
		t.Errorf("en-seed: %d images attached, want 2 (harbour, shops; not the off-site pixel)", n)
	}
	if n := s.requests("news.example/robots.txt"); n != 1 {
		t.Errorf("robots.txt fetched %d times, want once a run", n)
	}
}

// checkImages checks that every <img> of a's body that names no URL names
// one of its attachments, each an image by its bytes, and that every
// attachment is used.
func checkImages(t *testing.T, a *bundle.Article) {
	t.Helper()
	att := make(map[string]bool)
	for _, at := range a.Attachments {
		att[at.Name] = true
		if got := http.DetectContentType(at.Data); got != at.ContentType || !strings.HasPrefix(got, "image/") {
			t.Errorf("%s: attachment %s is %s, sniffed %s", a.ID, at.Name, at.ContentType, got)
		}
	}
	used := make(map[string]bool)
	for _, src := range imageSources(a.Body) {
		if strings.Contains(src, "://") {
			continue
		}
		if !att[src] {
			t.Errorf("%s: <img src=%q> names no attachment", a.ID, src)
		}
		used[src] = true
	}
	for n := range att {
		if !used[n] {
			t.Errorf("%s: attachment %s is not used by the body", a.ID, n)
		}
	}
}

func TestPage(t *testing.T) {
	s := newNewsroom(t)
	f := newFetcher(t, s.options())
	arts, warns, err := walk(t, f, "http://news.example/news/zh", ingest.Options{})
	if err != nil || len(warns) != 0 || len(arts) != 1 {
		t.Fatalf("Walk = %d articles, warnings %v, %v; want 1 article", len(arts), warns, err)
	}
	a := arts[0]
	if a.Lang != "zh" || !strings.Contains(a.Title, "武汉") || len(a.Attachments) != 1 {
		t.Errorf("article = %q %q, %d attachments; want zh, the headline, 1 image", a.Lang, a.Title, len(a.Attachments))
	}
	checkImages(t, a)
}

func TestCacheSecondRun(t *testing.T) {
	s := newNewsroom(t)
	o := s.options()
	o.CacheDir = t.TempDir()
	first := newFetcher(t, o)
	arts1, _, err := walk(t, first, "http://news.example/feed.rss", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st := first.Stats(); st.NotModified != 0 || st.Fresh != 0 {
		t.Errorf("cold run: %+v, want nothing from the cache", st)
	}
	s.setPage("/news/changing", changingPage("second"))
	second := newFetcher(t, o)
	arts2, warns, err := walk(t, second, "http://news.example/feed.rss", ingest.Options{})
	if err != nil || len(warns) != 0 {
		t.Fatalf("second run: warnings %v, %v", warns, err)
	}
	st := second.Stats()
	// The feed and the five unchanged pages are asked for conditionally
	// and not sent again; the images are fresh for a day and not asked for.
	if st.NotModified != 6 || s.notModified() != 6 {
		t.Errorf("second run: %d 304s counted, %d sent; want 6", st.NotModified, s.notModified())
	}
	if want := int64(1 + 1 + 6); st.Requests != want { // robots.txt, feed, pages
		t.Errorf("second run: %d requests, want %d", st.Requests, want)
	}
	if st.Fresh != 4 {
		t.Errorf("second run: %d fresh cached images, want 4", st.Fresh)
	}
	if n := s.requests("news.example/news/img/harbour.jpg"); n != 1 {
		t.Errorf("harbour.jpg fetched %d times in two runs, want 1", n)
	}
	if len(arts2) != len(arts1) {
		t.Fatalf("second run: %d articles, first %d", len(arts2), len(arts1))
	}
	for i := range arts1 {
		changed := !bytes.Equal(arts1[i].Body, arts2[i].Body)
		if want := arts1[i].ID == "story-6"; changed != want {
			t.Errorf("%s: body changed = %v, want %v", arts1[i].ID, changed, want)
		}
		if arts1[i].ID != arts2[i].ID {
			t.Errorf("id %q became %q: corrections need stable ids", arts1[i].ID, arts2[i].ID)
		}
	}
	if !bytes.Contains(arts2[5].Body, []byte("version second")) {
		t.Errorf("changed page: body lacks its new text")
	}
}

func TestHostileSite(t *testing.T) {
	s := newNewsroom(t)
	s.feed = rssFeed("http://news.example", []string{
		"/hostile/huge", "/hostile/loop", "/hostile/drip", "/hostile/pdf", "/hostile/offsite",
		"/private/secret", "/hostile/status", "/news/es", "/hostile/liar",
	})
	o := s.options()
	o.Timeout = time.Second // the drip; the others answer at once
	f := newFetcher(t, o)
	arts, warns, err := walk(t, f, "http://news.example/feed.rss", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range arts {
		ids = append(ids, a.ID)
	}
	if got := strings.Join(ids, " "); got != "story-8 story-9" {
		t.Errorf("articles %s, want story-8 story-9: the good page, and the page whose image lies", got)
	}
	want := []struct {
		kind ingest.WarningKind
		path string
		err  error
	}{
		{ingest.Skipped, "/hostile/huge", ingest.ErrTooLarge},
		{ingest.Skipped, "/hostile/loop", ErrRedirects},
		{ingest.Skipped, "/hostile/drip", ErrTimeout},
		{ingest.Skipped, "/hostile/pdf", ErrNotHTML},
		{ingest.Skipped, "/hostile/offsite", ErrOffSite},
		{ingest.Skipped, "/private/secret", ErrDisallowed},
		{ingest.Skipped, "/hostile/status", ErrStatus},
		{ingest.Unattached, "/hostile/liar", ErrNotImage},
	}
	if len(warns) != len(want) {
		t.Fatalf("%d warnings, want %d: %v", len(warns), len(want), warns)
	}
	for i, w := range want {
		got := warns[i]
		if got.Kind != w.kind || got.Path != "http://news.example"+w.path || !errors.Is(got.Err, w.err) {
			t.Errorf("warning %d = %v (%v), want %v %s: %v", i, got, got.Kind, w.kind, w.path, w.err)
		}
	}
	if n := s.requests("news.example/hostile/loop"); n != o.withDefaults().MaxRedirects+1 {
		t.Errorf("redirect loop: %d requests, want %d", n, o.withDefaults().MaxRedirects+1)
	}
	if n := s.requests("evil.example/story"); n != 0 {
		t.Errorf("off-site redirect followed: %d requests to evil.example", n)
	}
	if n := s.requests("news.example/private/secret"); n != 0 {
		t.Errorf("robots.txt disallow: %d requests to /private/secret", n)
	}
}

func TestStrictFails(t *testing.T) {
	s := newNewsroom(t)
	s.feed = rssFeed("http://news.example", []string{"/news/es", "/hostile/pdf", "/news/zh"})
	f := newFetcher(t, s.options())
	arts, _, err := walk(t, f, "http://news.example/feed.rss", ingest.Options{Strict: true})
	var fe *ingest.FileError
	if !errors.As(err, &fe) || !errors.Is(err, ErrNotHTML) || fe.Path != "http://news.example/hostile/pdf" {
		t.Fatalf("strict Walk = %v, want a *FileError for /hostile/pdf wrapping ErrNotHTML", err)
	}
	if len(arts) != 1 {
		t.Errorf("strict Walk handed on %d articles before failing, want 1", len(arts))
	}
}

// jsonFeed is a JSON Feed with one item carrying its full text, whose
// image is on a CDN, and one carrying a summary.
func jsonFeedDoc(fullText string) string {
	b, _ := json.Marshal(map[string]any{
		"version":  "https://jsonfeed.org/version/1.1",
		"title":    "Island Times",
		"language": "en",
		"items": []map[string]any{
			{"id": "full-1", "url": "http://news.example/news/full", "title": "Full text item",
				"content_html":   "<p>" + fullText + `</p><img src="http://img.cdn.example/news/img/harbour.jpg" alt="harbour">`,
				"date_published": "2024-03-20T10:00:00Z"},
			{"id": "teaser-2", "url": "http://news.example/news/es", "title": "Teaser item", "summary": "Short."},
		},
	})
	return string(b)
}

func TestJSONFeedAndAllowedHosts(t *testing.T) {
	s := newNewsroom(t)
	text := strings.Repeat("The ferry timetable changes on Monday as the harbour works begin. ", 20)
	s.json = jsonFeedDoc(text)
	for _, tt := range []struct {
		allow    []string
		attached int
	}{{nil, 0}, {[]string{".cdn.example"}, 1}} {
		o := s.options()
		o.AllowHosts = tt.allow
		f := newFetcher(t, o)
		arts, warns, err := walk(t, f, "http://news.example/feed.json", ingest.Options{})
		if err != nil || len(arts) != 2 {
			t.Fatalf("allow %q: %d articles, %v; want 2", tt.allow, len(arts), err)
		}
		full, teaser := arts[0], arts[1]
		if full.ID != "full-1" || !bytes.Contains(full.Body, []byte("ferry timetable")) || len(full.Attachments) != tt.attached {
			t.Errorf("allow %q: full item = %s with %d attachments, want full-1 with %d", tt.allow, full.ID, len(full.Attachments), tt.attached)
		}
		if teaser.ID != "teaser-2" || teaser.Title != "Teaser item" || teaser.Lang != "es" || !bytes.Contains(teaser.Body, []byte("vivienda")) {
			t.Errorf("allow %q: teaser = %s %q %s, want teaser-2 with the page's Spanish article", tt.allow, teaser.ID, teaser.Title, teaser.Lang)
		}
		if tt.allow == nil {
			if len(warns) != 1 || warns[0].Kind != ingest.Unattached || !errors.Is(warns[0].Err, ErrOffSite) {
				t.Errorf("no hosts allowed: warnings %v, want one Unattached ErrOffSite for the CDN image", warns)
			}
		} else if len(warns) != 0 {
			t.Errorf("CDN allowed: warnings %v", warns)
		}
		checkImages(t, full)
	}
	if n := s.requests("news.example/news/full"); n != 0 {
		t.Errorf("the page of a full-text item was fetched %d times", n)
	}
	if n := s.requests("img.cdn.example/news/img/harbour.jpg"); n != 1 {
		t.Errorf("CDN image fetched %d times, want once, when allowed", n)
	}
}

// TestRobotsCrawlDelay: a Crawl-delay slower than the rate asked for
// slows the host's limiter down to it.
func TestRobotsCrawlDelay(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.Write([]byte("User-agent: samizdat\nCrawl-delay: 20\nDisallow: /drafts/\n\nUser-agent: *\nDisallow: /\n"))
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write(changingPage("delay"))
	}))
	defer srv.Close()
	f := newFetcher(t, Options{Rate: 1000})
	u, _ := url.Parse(srv.URL + "/news/a")
	if err := f.robotsAllow(withInput(context.Background(), u), u, siteOf(u.Hostname())); err != nil {
		t.Fatalf("robotsAllow(/news/a) = %v, want allowed: our group allows it", err)
	}
	if got, want := f.limiter(u.Host).Limit(), rate.Every(20*time.Second); got != want {
		t.Errorf("limit = %v, want %v from Crawl-delay", got, want)
	}
	d, _ := url.Parse(srv.URL + "/drafts/x")
	if err := f.robotsAllow(withInput(context.Background(), d), d, siteOf(d.Hostname())); !errors.Is(err, ErrDisallowed) {
		t.Errorf("robotsAllow(/drafts/x) = %v, want ErrDisallowed", err)
	}
}

// TestImagesTriedBounded: a page that shows thousands of images that
// all fail costs at most MaxImages requests and one warning for the
// rest, not a request and a warning each.
func TestImagesTriedBounded(t *testing.T) {
	s := newNewsroom(t)
	var imgs strings.Builder
	for i := range 50 {
		fmt.Fprintf(&imgs, `<img src="/img/missing-%d.jpg" alt="photo %d">`, i, i)
	}
	s.setPage("/news/gallery", changingPage("gallery "+imgs.String()))
	o := s.options()
	o.MaxImages = 3
	arts, warns, err := walk(t, newFetcher(t, o), "http://news.example/news/gallery", ingest.Options{})
	if err != nil || len(arts) != 1 {
		t.Fatalf("Walk = %d articles, %v; want the article", len(arts), err)
	}
	tried := 0
	for i := range 50 {
		tried += s.requests(fmt.Sprintf("news.example/img/missing-%d.jpg", i))
	}
	if tried != o.MaxImages {
		t.Errorf("%d image requests, want %d (MaxImages)", tried, o.MaxImages)
	}
	if len(warns) != o.MaxImages+1 || !errors.Is(warns[len(warns)-1].Err, ingest.ErrTooLarge) {
		t.Errorf("%d warnings (last %v), want one per image tried and one ErrTooLarge for the rest", len(warns), warns[len(warns)-1])
	}
}

// TestPageFreshnessBounded: a page or feed served with a year's max-age
// (a CDN in front of the site, purged on its side when a story is
// corrected) is asked for again within maxDocumentFresh: a daily run
// must see corrections and new items. Images keep the freshness their
// server gives.
func TestPageFreshnessBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=31536000")
		w.Header().Set("ETag", `"v1"`)
		if strings.HasSuffix(r.URL.Path, ".jpg") {
			w.Header().Set("Content-Type", "image/jpeg")
			data, _ := os.ReadFile(filepath.Join(pagesDir, "img", "harbour.jpg"))
			w.Write(data)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write(changingPage(`cached <img src="/harbour.jpg" alt="harbour">`))
	}))
	defer srv.Close()
	f := newFetcher(t, Options{Rate: 1000, CacheDir: t.TempDir()})
	start := time.Now()
	arts, warns, err := walk(t, f, srv.URL+"/news/a", ingest.Options{})
	if err != nil || len(arts) != 1 || len(warns) != 0 {
		t.Fatalf("Walk = %d articles, warnings %v, %v", len(arts), warns, err)
	}
	page := f.cache.load(srv.URL+"/news/a", f.limit(kindDocument))
	if page == nil || page.Expires.After(time.Now().Add(maxDocumentFresh)) {
		t.Errorf("page cached (%v), want it fresh for at most %v", expires(page), maxDocumentFresh)
	}
	img := f.cache.load(srv.URL+"/harbour.jpg", f.limit(kindImage))
	if img == nil || img.Expires.Before(start.Add(364*24*time.Hour)) {
		t.Errorf("image cached (%v), want it fresh for the year it was served for", expires(img))
	}
}

// expires says until when e is fresh, or that there is none.
func expires(e *entry) string {
	if e == nil {
		return "no entry"
	}
	return "fresh until " + e.Expires.String()
}

// TestHeaderFlood: a response whose headers run to megabytes fails its
// article at maxHeaderBytes, not at the transport's 10 MiB default.
func TestHeaderFlood(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		for i := range 40 {
			w.Header().Set(fmt.Sprintf("X-Flood-%d", i), strings.Repeat("a", 4000))
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write(changingPage("flooded"))
	}))
	defer srv.Close()
	arts, warns, err := walk(t, newFetcher(t, Options{Rate: 1000}), srv.URL+"/news/a", ingest.Options{})
	if err != nil || len(arts) != 0 || len(warns) != 1 || !errors.Is(warns[0].Err, ingest.ErrUnreadable) || errors.Is(warns[0].Err, ErrDisallowed) {
		t.Errorf("Walk = %d articles, warnings %v, %v; want none and one ErrUnreadable for 160 KB of headers", len(arts), warns, err)
	}
}

// TestFeedItemIDsStable: an item with neither guid nor link keeps its id
// when new items push it down the feed. Its place in the feed would
// give tomorrow's story today's id, and a daily run would carry it as a
// correction of another article.
func TestFeedItemIDsStable(t *testing.T) {
	s := newNewsroom(t)
	item := func(title, date string) string {
		return `<item><title>` + title + `</title><description>The text of ` + title + `.</description><pubDate>` + date + `</pubDate></item>`
	}
	a, b, c := item("Harbour reopens", "Tue, 12 Mar 2024 18:00:00 GMT"), item("Ferries resume", "Tue, 12 Mar 2024 19:00:00 GMT"), item("Storm warning", "Wed, 13 Mar 2024 07:00:00 GMT")
	feed := func(items ...string) string {
		return `<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>` + strings.Join(items, "") + `</channel></rss>`
	}
	ids := func(items ...string) map[string]string { // title → id
		s.mu.Lock()
		s.feed = feed(items...)
		s.mu.Unlock()
		arts, warns, err := walk(t, newFetcher(t, s.options()), "http://news.example/feed.rss", ingest.Options{})
		if err != nil || len(warns) != 0 || len(arts) != len(items) {
			t.Fatalf("Walk = %d articles, warnings %v, %v; want %d", len(arts), warns, err, len(items))
		}
		out := map[string]string{}
		for _, a := range arts {
			out[a.Title] = a.ID
		}
		return out
	}
	first, second := ids(a, b), ids(c, a, b)
	for _, title := range []string{"Harbour reopens", "Ferries resume"} {
		if first[title] != second[title] {
			t.Errorf("%s: id %q, then %q once a new item came first", title, first[title], second[title])
		}
	}
	if second["Storm warning"] == first["Harbour reopens"] || second["Storm warning"] == first["Ferries resume"] {
		t.Errorf("the new item took the id %q of an older one", second["Storm warning"])
	}
}

// TestFeedItemsBounded: a feed of more items than maxWalkItems (a
// 16 MiB feed holds hundreds of thousands of short ones, each a page
// and 16 images to fetch) yields the first maxWalkItems and one warning
// for the rest.
func TestFeedItemsBounded(t *testing.T) {
	s := newNewsroom(t)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>`)
	for i := range maxWalkItems + 3 {
		fmt.Fprintf(&b, `<item><title>Story %d</title><guid>s%d</guid><description>Text %d.</description></item>`, i, i, i)
	}
	b.WriteString(`</channel></rss>`)
	s.feed = b.String()
	o := s.options()
	o.MinFullText = 1 // every item is whole: nothing else to fetch
	arts, warns, err := walk(t, newFetcher(t, o), "http://news.example/feed.rss", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != maxWalkItems || arts[len(arts)-1].ID != fmt.Sprintf("s%d", maxWalkItems-1) {
		t.Errorf("got %d articles, want the first %d", len(arts), maxWalkItems)
	}
	if len(warns) != 1 || warns[0].Kind != ingest.Skipped || !errors.Is(warns[0].Err, ingest.ErrTooLarge) {
		t.Errorf("warnings %v, want one Skipped ErrTooLarge for the 3 items past the bound", warns)
	}
}

// TestFeedRelativeLinks: an item whose link is relative (against the
// RSS spec, but some CMSs write them, and feed readers take them) is
// resolved against the feed's URL, as its id if it has no guid, rather
// than skipped.
func TestFeedRelativeLinks(t *testing.T) {
	s := newNewsroom(t)
	s.feed = `<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>` +
		`<item><title>A</title><link>/news/es</link><description>Teaser.</description></item>` +
		`<item><title>B</title><link>news/changing</link><guid>g2</guid><description>Teaser.</description></item></channel></rss>`
	arts, warns, err := walk(t, newFetcher(t, s.options()), "http://news.example/feed.rss", ingest.Options{})
	if err != nil || len(warns) != 0 || len(arts) != 2 {
		t.Fatalf("Walk = %d articles, warnings %v, %v; want 2", len(arts), warns, err)
	}
	want := []struct{ id, url, text string }{
		{"http://news.example/news/es", "http://news.example/news/es", "vivienda"},
		{"g2", "http://news.example/news/changing", "version first"},
	}
	for i, w := range want {
		if a := arts[i]; a.ID != w.id || a.URL != w.url || !strings.Contains(string(a.Body), w.text) {
			t.Errorf("article %d = %q %q, want %q %q with its page's text", i, a.ID, a.URL, w.id, w.url)
		}
	}
}

// TestItemsHeldBounded: while a feed's first item is slow (held for
// half a second), the items after it are fetched only up to Concurrency
// in all: done articles wait in memory for it, each up to a page and
// MaxImages images, so they must not pile up without bound.
func TestItemsHeldBounded(t *testing.T) {
	const (
		concurrency = 2
		holdFor     = 500 * time.Millisecond
	)
	var mu sync.Mutex
	others, seenByHold := 0, -1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/feed.rss":
			paths := []string{"/hold"}
			for i := range 6 {
				paths = append(paths, fmt.Sprintf("/news/%d", i))
			}
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write([]byte(rssFeed("http://"+r.Host, paths)))
		case r.URL.Path == "/hold":
			// Answers once more items than allowed were fetched, or
			// after holdFor. The count is taken before the answer is
			// written, so every item it counts was fetched while this
			// one was held: a count taken when the client gives up
			// would race with the items fetched right after.
			deadline := time.Now().Add(holdFor)
			for {
				mu.Lock()
				n := others
				mu.Unlock()
				if n >= concurrency || time.Now().After(deadline) {
					break
				}
				select {
				case <-r.Context().Done():
					return // seenByHold stays -1: the test fails
				case <-time.After(5 * time.Millisecond):
				}
			}
			mu.Lock()
			seenByHold = others
			mu.Unlock()
			w.Header().Set("Content-Type", "text/html")
			w.Write(changingPage("held"))
		case strings.HasPrefix(r.URL.Path, "/news/"):
			mu.Lock()
			others++
			mu.Unlock()
			w.Header().Set("Content-Type", "text/html")
			w.Write(changingPage(r.URL.Path))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := newFetcher(t, Options{Rate: 1e9, Concurrency: concurrency, Timeout: time.Minute})
	arts, _, err := walk(t, f, srv.URL+"/feed.rss", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if seenByHold < 0 || seenByHold > concurrency-1 {
		t.Errorf("%d items after the held one were fetched while it was held, want at most %d", seenByHold, concurrency-1)
	}
	if len(arts) != 7 {
		t.Errorf("got %d articles (held one saw %d fetched), want 7", len(arts), seenByHold)
	}
}

// TestJSONFeedBadItem: one JSON Feed item of the wrong shape (a number
// for a title) costs that item, with a warning naming its place, not
// the whole feed.
func TestJSONFeedBadItem(t *testing.T) {
	s := newNewsroom(t)
	text := strings.Repeat("The harbour reopened on Monday. ", 40)
	s.json = `{"version":"https://jsonfeed.org/version/1.1","items":[` +
		`{"id":"a","title":"First","content_text":"` + text + `"},` +
		`{"id":"b","title":5,"content_text":"` + text + `"},` +
		`{"id":"c","title":"Third","content_text":"` + text + `"},` +
		`{"id":"d","title":"Fourth","date_published":"yesterday","content_text":"` + text + `"}]}`
	arts, warns, err := walk(t, newFetcher(t, s.options()), "http://news.example/feed.json", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 2 || arts[0].ID != "a" || arts[1].ID != "c" {
		t.Errorf("got %d articles, want a and c", len(arts))
	}
	if len(warns) != 2 || warns[0].Item != 2 || warns[1].Item != 4 || !errors.Is(warns[0].Err, ingest.ErrMalformed) ||
		warns[0].Kind != ingest.Skipped || warns[0].Path != "http://news.example/feed.json" {
		t.Errorf("warnings %v, want items 2 and 4 skipped as malformed, numbered as in the feed", warns)
	}
}

// TestRobotsCrawlDelayBounded: a robots.txt asking for a day between
// requests would stall a run for months; the wait is cut to
// maxCrawlDelay.
func TestRobotsCrawlDelayBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("User-agent: *\nCrawl-delay: 86400\n"))
	}))
	defer srv.Close()
	f := newFetcher(t, Options{Rate: 1000})
	u, _ := url.Parse(srv.URL + "/news/a")
	if err := f.robotsAllow(withInput(context.Background(), u), u, siteOf(u.Hostname())); err != nil {
		t.Fatalf("robotsAllow(/news/a) = %v, want allowed", err)
	}
	if got, want := f.limiter(u.Host).Limit(), rate.Every(maxCrawlDelay); got != want {
		t.Errorf("limit = %v, want %v: Crawl-delay cut to maxCrawlDelay", got, want)
	}
}

// TestRetryAfter: a 429 or 503 that asks for a short rest gets it and one
// more try; one that asks for longer than maxRetryAfter costs the article.
func TestRetryAfter(t *testing.T) {
	s := newNewsroom(t)
	s.feed = rssFeed("http://news.example", []string{"/hostile/busy", "/hostile/closed"})
	f := newFetcher(t, s.options())
	arts, warns, err := walk(t, f, "http://news.example/feed.rss", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || !bytes.Contains(arts[0].Body, []byte("after a rest")) {
		t.Errorf("got %d articles, want the busy page's, fetched on its second try", len(arts))
	}
	if len(warns) != 1 || statusOf(warns[0].Err) != http.StatusServiceUnavailable {
		t.Errorf("warnings %v, want one for the closed page's 503", warns)
	}
	if b, c := s.requests("news.example/hostile/busy"), s.requests("news.example/hostile/closed"); b != 2 || c != 1 {
		t.Errorf("requests: busy %d, closed %d; want 2 and 1", b, c)
	}
}

// TestItemOffSite: a feed's item that links to another site is not
// fetched unless that host is allowed.
func TestItemOffSite(t *testing.T) {
	s := newNewsroom(t)
	s.feed = strings.Replace(rssFeed("http://news.example", []string{"/news/es", "/story"}), "http://news.example/story", "http://evil.example/story", 1)
	for _, allow := range [][]string{nil, {"evil.example"}} {
		o := s.options()
		o.AllowHosts = allow
		arts, warns, err := walk(t, newFetcher(t, o), "http://news.example/feed.rss", ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if allow == nil && (len(arts) != 1 || len(warns) != 1 || !errors.Is(warns[0].Err, ErrOffSite)) {
			t.Errorf("no hosts allowed: %d articles, warnings %v; want 1 and one ErrOffSite", len(arts), warns)
		}
		if allow != nil && (len(arts) != 2 || len(warns) != 0) {
			t.Errorf("evil.example allowed: %d articles, warnings %v; want 2", len(arts), warns)
		}
	}
	if n := s.requests("evil.example/story"); n != 1 {
		t.Errorf("evil.example/story fetched %d times, want once: only when allowed", n)
	}
}

// TestSourceStable: an article's source (bundle.Article.Source, which
// a daily run compares when the code that makes articles changed) is
// its feed item's fields, its page's bytes and its images': it stays the
// same while the feed around the item moves (a new item), and changes
// with its page. A page walked as an input has one too.
func TestSourceStable(t *testing.T) {
	s := newNewsroom(t)
	sources := func() map[string][32]byte {
		t.Helper()
		arts, _, err := walk(t, newFetcher(t, s.options()), "http://news.example/feed.rss", ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out := make(map[string][32]byte)
		for _, a := range arts {
			if a.Source == ([32]byte{}) {
				t.Errorf("%s: no source", a.ID)
			}
			for id, src := range out {
				if src == a.Source {
					t.Errorf("%s and %s share a source", id, a.ID)
				}
			}
			out[a.ID] = a.Source
		}
		return out
	}
	first := sources()
	s.feed = rssFeed("http://news.example", []string{"/news/en-seed", "/news/ar", "/news/es", "/news/fa", "/news/zh", "/news/changing", "/news/new"})
	s.setPage("/news/new", changingPage("new"))
	s.setPage("/news/changing", changingPage("second"))
	second := sources()
	if len(first) != 6 || len(second) != 7 {
		t.Fatalf("walks gave %d and %d articles, want 6 and 7", len(first), len(second))
	}
	for id, src := range first {
		if changed := id == "story-6"; (second[id] != src) != changed {
			t.Errorf("%s: source changed = %v, want %v", id, second[id] != src, changed)
		}
	}

	arts, _, err := walk(t, newFetcher(t, s.options()), "http://news.example/news/es", ingest.Options{})
	if err != nil || len(arts) != 1 || arts[0].Source == ([32]byte{}) || arts[0].Source == first["story-3"] {
		t.Errorf("a page as input: %d articles, %v; want one with its own source (not its feed item's)", len(arts), err)
	}
}

// TestSourceHasContentType: the charset a page's Content-Type names
// decides the text its bytes make (ParsePage decodes by it). A newsroom
// that fixes a wrong charset changes what readers see with the same
// bytes, so the page's source changes too: a daily run must not take the
// mended article for the one it published.
func TestSourceHasContentType(t *testing.T) {
	var contentType atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType.Load().(string))
		w.Write(changingPage("café"))
	}))
	defer srv.Close()
	o := Options{Rate: 1e9, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", srv.Listener.Addr().String())
	}}
	var arts []*bundle.Article
	for _, ct := range []string{"text/html; charset=windows-1252", "text/html; charset=utf-8"} {
		contentType.Store(ct)
		got, _, err := walk(t, newFetcher(t, o), "http://news.example/news/cafe", ingest.Options{})
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: Walk = %d articles, %v; want 1", ct, len(got), err)
		}
		arts = append(arts, got[0])
	}
	if bytes.Equal(arts[0].Body, arts[1].Body) {
		t.Fatalf("the two charsets made one body: the test shows nothing")
	}
	if arts[0].Source == arts[1].Source {
		t.Errorf("a page read as windows-1252 and as utf-8 has one source, for two bodies")
	}
}
