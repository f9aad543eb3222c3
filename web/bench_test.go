package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchClients is how many keep-alive clients load a server at once;
// benchRounds how many times the benchmark alternates between servers.
const (
	benchClients = 4
	benchRounds  = 10
)

// load makes n GET requests of url from benchClients keep-alive clients
// and returns how long they took.
func load(b *testing.B, client *http.Client, url string, n int, wantLen int) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	t0 := time.Now()
	for range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				resp, err := client.Get(url)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				m, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || int(m) != wantLen {
					failed.Store(resp.Status)
					return
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(t0)
	if f := failed.Load(); f != nil {
		b.Fatalf("GET %s: %v", url, f)
	}
	return d
}

// BenchmarkArticlePage compares the reader's article page with a static
// file server serving the same bytes, in one run, both over real HTTP on
// 127.0.0.1 with keep-alive clients. Run with:
//
//	go test -run XXX -bench BenchmarkArticlePage -benchtime 20000x ./web/
func BenchmarkArticlePage(b *testing.B) {
	f := newFixture(b)
	web := httptest.NewServer(f.server(b, false, nil))
	defer web.Close()
	page := web.URL + articleHref(f.news.Root, idMarkdown)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients, DisableCompression: true}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(page)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("GET %s = %d, %v", page, resp.StatusCode, err)
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "article.html"), body, 0o644); err != nil {
		b.Fatal(err)
	}
	static := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer static.Close()
	staticURL := static.URL + "/article.html"
	// Warm both: connections, caches.
	load(b, client, page, 100, len(body))
	load(b, client, staticURL, 100, len(body))

	// Interleaved rounds, so that load from elsewhere on the machine
	// falls on both servers alike.
	b.ResetTimer()
	var dWeb, dStatic time.Duration
	for i := range benchRounds {
		n := b.N/benchRounds + min(1, max(0, b.N%benchRounds-i))
		dWeb += load(b, client, page, n, len(body))
		dStatic += load(b, client, staticURL, n, len(body))
	}
	b.StopTimer()
	webRPS := float64(b.N) / dWeb.Seconds()
	staticRPS := float64(b.N) / dStatic.Seconds()
	b.ReportMetric(webRPS, "web-req/s")
	b.ReportMetric(staticRPS, "static-req/s")
	b.ReportMetric(webRPS/staticRPS, "web/static")
	b.ReportMetric(float64(len(body)), "page-bytes")
}
