package crawl

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// pagesDir holds the newsroom pages bundle/ingest tests extraction with:
// site chrome, several languages (Arabic and Persian right to left,
// Chinese), images. They are read, never written.
const pagesDir = "../../bundle/ingest/testdata/pages"

// newsroom is a news site served by httptest under any host name (see
// dialer): news.example with its feed, pages and images, plus a hostile
// corner, and evil.example, another site.
type newsroom struct {
	t     testing.TB
	srv   *httptest.Server
	mu    sync.Mutex
	hits  map[string]int // requests per host+path
	n304  int
	pages map[string][]byte // path → page, changeable between runs
	feed  string            // the feed at /feed.rss
	json  string            // the JSON Feed at /feed.json
	drips int
}

func newNewsroom(t testing.TB) *newsroom {
	t.Helper()
	s := &newsroom{t: t, hits: make(map[string]int), pages: make(map[string][]byte)}
	for path, file := range map[string]string{
		"/news/en-seed": "en-seed.html", "/news/ar": "ar-news.html", "/news/es": "es-news.html",
		"/news/fa": "fa-news.html", "/news/zh": "zh-news.html",
	} {
		data, err := os.ReadFile(filepath.Join(pagesDir, file))
		if err != nil {
			t.Fatal(err)
		}
		s.pages[path] = data
	}
	s.pages["/news/changing"] = changingPage("first")
	s.feed = rssFeed("http://news.example", []string{"/news/en-seed", "/news/ar", "/news/es", "/news/fa", "/news/zh", "/news/changing"})
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// dialer connects every host name to the test server.
func (s *newsroom) dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", s.srv.Listener.Addr().String())
	}
}

// options are fetch options for tests: no rate limit to wait on, short
// caps and a short timeout for the hostile pages.
func (s *newsroom) options() Options {
	return Options{
		DialContext: s.dialer(),
		Rate:        1e9,
		MaxPage:     64 << 10,
		MaxImage:    16 << 10,
		Timeout:     2 * time.Second,
	}
}

func (s *newsroom) count(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits[r.Host+r.URL.Path]++
}

func (s *newsroom) requests(hostPath string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[hostPath]
}

func (s *newsroom) notModified() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n304
}

func (s *newsroom) setPage(path string, page []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = page
}

func (s *newsroom) serve(w http.ResponseWriter, r *http.Request) {
	s.count(r)
	if r.Host == "evil.example" {
		w.Header().Set("Content-Type", "text/html")
		w.Write(changingPage("evil"))
		return
	}
	p := r.URL.Path
	switch {
	case p == "/robots.txt":
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	case p == "/feed.rss":
		w.Header().Set("Content-Type", "application/rss+xml")
		s.conditional(w, r, []byte(s.feed))
	case p == "/feed.json":
		w.Header().Set("Content-Type", "application/feed+json")
		w.Write([]byte(s.json))
	case strings.HasSuffix(p, ".jpg"):
		s.image(w, r, p)
	case strings.HasPrefix(p, "/hostile/"):
		s.hostile(w, r, strings.TrimPrefix(p, "/hostile/"))
	default:
		s.mu.Lock()
		page, ok := s.pages[p]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		s.conditional(w, r, page)
	}
}

// conditional answers with body and an ETag, or 304 if the client has it.
func (s *newsroom) conditional(w http.ResponseWriter, r *http.Request, body []byte) {
	etag := fmt.Sprintf(`"%x"`, len(body)*31+int(bytes.Count(body, []byte("e"))))
	etag = fmt.Sprintf(`"%d-%s"`, len(body), etag[1:len(etag)-1])
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		s.mu.Lock()
		s.n304++
		s.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(body)
}

// image serves the fixtures' JPEGs, fresh for a day.
func (s *newsroom) image(w http.ResponseWriter, r *http.Request, p string) {
	data, err := os.ReadFile(filepath.Join(pagesDir, "img", filepath.Base(p)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "max-age=86400")
	w.Write(data)
}

// hostile serves the pages of a broken or hostile site.
func (s *newsroom) hostile(w http.ResponseWriter, r *http.Request, name string) {
	switch name {
	case "huge": // over the page cap, without saying so up front
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!DOCTYPE html><html><body><article><p>"))
		chunk := bytes.Repeat([]byte("all work and no play "), 1024)
		for range 10 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case "loop": // redirects for ever
		http.Redirect(w, r, fmt.Sprintf("/hostile/loop?n=%d", len(r.URL.RawQuery)+1), http.StatusFound)
	case "drip": // a byte at a time, never done
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		for {
			if _, err := w.Write([]byte("<")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			s.mu.Lock()
			s.drips++
			s.mu.Unlock()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	case "pdf": // a PDF that says it is HTML
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"))
	case "offsite":
		http.Redirect(w, r, "http://evil.example/story", http.StatusMovedPermanently)
	case "liar": // a good page whose image is HTML served as a PNG
		w.Header().Set("Content-Type", "text/html")
		w.Write(changingPage(`liar <img src="/hostile/liar.png" alt="a chart">`))
	case "liar.png":
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"))
	case "busy": // too many requests, the first time
		if s.requests(r.Host+r.URL.Path) == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write(changingPage("after a rest"))
	case "closed": // down for an hour
		w.Header().Set("Retry-After", "3600")
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	case "status":
		http.Error(w, "gone", http.StatusGone)
	default:
		http.NotFound(w, r)
	}
}

// changingPage is a small newsroom page, chrome and all, whose article
// says what.
func changingPage(what string) []byte {
	return []byte(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Council publishes the harbour repair plan - Island Times</title>
<meta property="og:title" content="Council publishes the harbour repair plan">
<meta property="article:published_time" content="2024-03-20T10:00:00Z">
</head><body>
<div class="cookie-banner" role="dialog"><p>We use cookies to improve your experience. <button>Accept all</button></p></div>
<header><nav class="nav"><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a> <a href="/weather">Weather</a></nav></header>
<main><article>
<h1>Council publishes the harbour repair plan</h1>
<p class="byline">By Ann Example</p>
<p>The council has published its plan to repair the harbour wall damaged in last week's storm surge, version ` + what + `. Work on the north pier is to start within a month, and the ferry berth is to reopen for foot passengers before the summer timetable begins.</p>
<p>Engineers who surveyed the wall found three breaches and a section of the pier that had been undermined by the waves. The plan puts the cost of the repairs at four million pounds, most of it to come from the government's emergency fund for island infrastructure.</p>
<p>Harbour users said they welcomed the plan but wanted a date for the freight berth, which handles the livestock and fuel the islands depend on. The council said the freight berth would follow once the north pier was safe to work from.</p>
<p>The plan is open for comment at the council offices and on its website until the end of the month, and a public meeting is to be held in the community hall next Thursday evening.</p>
</article>
<aside class="related"><h2>Related stories</h2><ul><li><a href="/news/1">Storm surge floods harbour</a></li><li><a href="/news/2">Ferries cancelled</a></li></ul></aside>
<section class="comments"><h2>Comments</h2><p>First! Great news for the islands.</p></section>
</main>
<footer><p>© 2024 Island Times. All rights reserved. <a href="/about">About us</a> <a href="/privacy">Privacy</a></p></footer>
</body></html>
`)
}

// rssFeed is a feed of summaries only, one item per page path.
func rssFeed(base string, paths []string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>News</title><link>` + base + `/</link><description>Latest</description>
`)
	for i, p := range paths {
		fmt.Fprintf(&b, `<item><title>Story %d</title><description>A short teaser for story %d.</description><link>%s%s</link><guid>story-%d</guid><pubDate>Tue, 12 Mar 2024 18:%02d:00 GMT</pubDate></item>
`, i+1, i+1, base, p, i+1, i%60)
	}
	b.WriteString("</channel></rss>\n")
	return b.String()
}
