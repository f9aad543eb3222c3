package crawl

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

// dailyItems and dailyNew shape the benchmark's feed: a feed of the 300
// latest stories, 20 of them new since yesterday's run.
const (
	dailyItems = 300
	dailyNew   = 20
)

// dailySite serves a feed of summaries for day d: stories d*dailyNew up
// to d*dailyNew+dailyItems, each a page of some 6 KB with one image, with
// ETags; images are fresh for a day, as a CDN serves them.
func dailySite(b *testing.B, day *int) *httptest.Server {
	img, err := os.ReadFile(filepath.Join(pagesDir, "img", "harbour.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == "/robots.txt":
			w.Write([]byte("User-agent: *\nDisallow: /private/\n"))
		case p == "/feed.rss":
			first := *day * dailyNew
			paths := make([]string, dailyItems)
			for i := range paths {
				paths[i] = "/news/" + strconv.Itoa(first+dailyItems-1-i) // newest first
			}
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write([]byte(rssFeed("http://news.example", paths)))
		case strings.HasPrefix(p, "/img/"):
			w.Header().Set("Content-Type", "image/jpeg")
			w.Header().Set("Cache-Control", "max-age=86400")
			w.Write(img)
		case strings.HasPrefix(p, "/news/"):
			n := strings.TrimPrefix(p, "/news/")
			w.Header().Set("ETag", `"`+n+`"`)
			if r.Header.Get("If-None-Match") == `"`+n+`"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(changingPage(fmt.Sprintf(`%s <img src="/img/%s.jpg" alt="photo">`, n, n)))
		default:
			http.NotFound(w, r)
		}
	}))
}

// BenchmarkDaily runs a daily fetch of a 300-item feed of summaries:
// cold (an empty cache: every page and image) and warm (yesterday's
// cache, 20 stories new). It reports requests, 304 answers and body
// bytes per run. The rate limit is off, so the time is the fetcher's and
// the local server's; at the default rate, a run takes about its
// requests / DefaultRate seconds more.
func BenchmarkDaily(b *testing.B) {
	for _, warm := range []bool{false, true} {
		name := "cold"
		if warm {
			name = "warm"
		}
		b.Run(name, func(b *testing.B) {
			day := 0
			srv := dailySite(b, &day)
			defer srv.Close()
			var st Stats
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				o := Options{DialContext: (&newsroom{srv: srv}).dialer(), Rate: 1e9, CacheDir: b.TempDir()}
				day = i * 2
				if warm { // yesterday's run fills the cache
					runDaily(b, o)
					day++
				}
				b.StartTimer()
				st = runDaily(b, o)
			}
			b.ReportMetric(float64(st.Requests), "requests/op")
			b.ReportMetric(float64(st.NotModified), "304s/op")
			b.ReportMetric(float64(st.Bytes), "bytes/op")
		})
	}
}

func runDaily(b *testing.B, o Options) Stats {
	f, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	n := 0
	var warns []ingest.Warning
	err = f.Walk(b.Context(), "http://news.example/feed.rss", ingest.Options{Warn: func(w ingest.Warning) { warns = append(warns, w) }}, func(*bundle.Article) error {
		n++
		return nil
	})
	if err != nil || n != dailyItems || len(warns) != 0 {
		b.Fatalf("daily run: %d articles, warnings %v, %v", n, warns, err)
	}
	return f.Stats()
}
