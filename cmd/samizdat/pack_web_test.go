package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// webPage is a small newsroom page: cookie banner, navigation, the
// article with a chart, related links, comments and a footer.
func webPage(lang, headline, text string) string {
	return `<!DOCTYPE html><html lang="` + lang + `"><head><meta charset="utf-8"><title>` + headline + ` - The Daily Example</title>
<meta property="article:published_time" content="2026-11-30T07:00:00Z"></head><body>
<div class="cookie-banner" role="dialog">We use cookies. <button>Accept all</button></div>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a></nav>
<main><article><h1>` + headline + `</h1>
<p>` + text + `</p><p>` + text + `</p><p>` + text + `</p>
<figure><img src="/img/chart.png" alt="chart"><figcaption>The figures, year by year.</figcaption></figure>
<p>` + text + `</p></article>
<aside class="related"><h2>Related stories</h2><a href="/x">Something else</a></aside>
<section class="comments"><h2>Comments</h2><p>Reader comment here.</p></section></main>
<footer>© 2026 The Daily Example. All rights reserved.</footer></body></html>`
}

// webPNG is a 1×1 PNG image the test sites serve.
const webPNG = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"

// serveETag answers with body as a cache-aware site does: an ETag of its
// content, and 304 (counted in notModified) to a request that names it.
func serveETag(w http.ResponseWriter, r *http.Request, body, ctype string, notModified *atomic.Int64) {
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256([]byte(body)))
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Write([]byte(body))
}

// TestPackFromWeb packs a newsroom's feed of summaries from a local site:
// each item's page is fetched and its article, not the page, packed, with
// its image; a missing page is one warning; a second run with --cache
// asks for the pages conditionally and gets 304s.
func TestPackFromWeb(t *testing.T) {
	pages := map[string]string{
		"/news/bridge": webPage("en", "New bridge opens to traffic", "The bridge over the estuary opened to traffic this morning after four years of building work, cutting the journey between the two towns by forty minutes."),
		"/news/puente": webPage("es", "El nuevo puente abre al tráfico", "El puente sobre el estuario se abrió al tráfico esta mañana tras cuatro años de obras, y acorta en cuarenta minutos el viaje entre las dos ciudades."),
	}
	var notModified atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ctype := "", "text/html; charset=utf-8"
		switch p := r.URL.Path; {
		case p == "/robots.txt":
			body, ctype = "User-agent: *\nAllow: /\n", "text/plain"
		case p == "/feed.rss":
			body, ctype = webFeed("http://"+r.Host), "application/rss+xml"
		case p == "/img/chart.png":
			body, ctype = webPNG, "image/png"
		case pages[p] != "":
			body = pages[p]
		default:
			http.NotFound(w, r)
			return
		}
		serveETag(w, r, body, ctype, &notModified)
	}))
	defer srv.Close()

	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	mustRun(t, "keygen", "-o", key)
	cache := filepath.Join(dir, "cache")
	out := filepath.Join(dir, "web.bundle")
	feed := srv.URL + "/feed.rss"
	r := samizdat(t, "pack", "-k", key, "-o", out, "--rate", "1000", "--cache", cache, feed)
	if r.code != exitWarnings {
		t.Fatalf("pack: exit %d, want %d (one page missing)\nstderr: %s", r.code, exitWarnings, r.stderr)
	}
	if want := "warning: " + srv.URL + "/news/missing: item 3: unreadable: http status 404; item skipped"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if want := "packed 2 articles, skipped 1"; !strings.Contains(lastLine(r.stderr), want) {
		t.Errorf("summary %q lacks %q", lastLine(r.stderr), want)
	}

	type listed struct {
		ID, Title, Lang, URL string
		Attachments          []json.RawMessage
	}
	var got []listed
	for _, line := range strings.Split(strings.TrimSpace(mustRun(t, "ls", "--json", out).stdout), "\n") {
		var l listed
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("ls --json line %q: %v", line, err)
		}
		got = append(got, l)
	}
	want := []listed{
		{ID: "bridge-1", Title: "New bridge opens to traffic", Lang: "en", URL: srv.URL + "/news/bridge"},
		{ID: "puente-1", Title: "El nuevo puente abre al tráfico", Lang: "es", URL: srv.URL + "/news/puente"},
	}
	if len(got) != len(want) {
		t.Fatalf("ls: %d articles, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.ID || g.Title != w.Title || g.Lang != w.Lang || g.URL != w.URL || len(g.Attachments) != 1 {
			t.Errorf("article %d = %s %q %s %s with %d attachments, want %s %q %s %s with the chart", i, g.ID, g.Title, g.Lang, g.URL, len(g.Attachments), w.ID, w.Title, w.Lang, w.URL)
		}
	}
	body := mustRun(t, "cat", out, "bridge-1").stdout
	if !strings.Contains(body, "four years of building work") || !strings.Contains(body, `src="img/chart-`) {
		t.Errorf("cat: body lacks the article's text or the attached chart:\n%s", body)
	}
	for _, c := range []string{"cookies", "Related stories", "Reader comment", "All rights reserved", "World"} {
		if strings.Contains(body, c) {
			t.Errorf("cat: body keeps the page's %q", c)
		}
	}

	// In the first run, the second article's copy of the chart may have
	// been cached by the first's already: the pages are fetched at once.
	if n := notModified.Swap(0); n > 1 {
		t.Errorf("first pack: %d answers 304, want at most 1 (the chart, for the second article)", n)
	}
	r = samizdat(t, "pack", "-k", key, "-o", filepath.Join(dir, "again.bundle"), "--rate", "1000", "--cache", cache, feed)
	if r.code != exitWarnings {
		t.Fatalf("second pack: exit %d\nstderr: %s", r.code, r.stderr)
	}
	// Nothing is sent again: robots.txt, the feed, both pages and the
	// image, asked for once by each article (no max-age), come back 304.
	if n := notModified.Load(); n != 6 {
		t.Errorf("second pack: %d answers 304, want 6 (robots.txt, feed, two pages, the image twice)", n)
	}
}

// webFeed is a feed of summaries: two articles and a page that is gone.
func webFeed(base string) string {
	item := func(guid, title, path string) string {
		return "<item><title>" + title + "</title><link>" + base + path + "</link><guid isPermaLink=\"false\">" + guid +
			"</guid><description>A teaser.</description><pubDate>Mon, 30 Nov 2026 07:00:00 GMT</pubDate></item>\n"
	}
	return `<?xml version="1.0"?><rss version="2.0"><channel><title>The Daily Example</title><link>` + base + `/</link><description>News</description>
` + item("bridge-1", "New bridge opens to traffic", "/news/bridge") +
		item("puente-1", "El nuevo puente abre al tráfico", "/news/puente") +
		item("gone-1", "Gone", "/news/missing") + "</channel></rss>\n"
}
