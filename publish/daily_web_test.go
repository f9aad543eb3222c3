package publish

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/samizdat/samizdat/bundle/ingest"
	"github.com/samizdat/samizdat/publish/crawl"
)

// TestDailyFlakyImage: a page that did not change, whose image fails
// for a passing reason on one run (the CDN answers 503), is not carried
// as a correction without its image, and then again with it: readers
// would see the picture go and come back, and each flap is a bundle.
func TestDailyFlakyImage(t *testing.T) {
	img, err := os.ReadFile(filepath.Join("..", "bundle", "ingest", "testdata", "pages", "img", "harbour.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/img/harbour.jpg":
			if down.Load() {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(img)
		case "/news/harbour":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(page[:len(page)-len("</article><footer>All rights reserved.</footer></body></html>")] +
				`<img src="/img/harbour.jpg" alt="The harbour"></article><footer>All rights reserved.</footer></body></html>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	_, key, _ := ed25519.GenerateKey(nil)
	state := t.TempDir()
	p := &publisher{}
	var warns []ingest.Warning
	run := func(day int) *DailyResult {
		t.Helper()
		o := dailyOptions(t, srv.URL+"/news/harbour", key, p, time.Date(2026, 12, day, 6, 0, 0, 0, time.UTC))
		o.Walk = WalkOptions{Fetch: crawl.Options{Rate: 1000}, Ingest: ingest.Options{Warn: func(w ingest.Warning) { warns = append(warns, w) }}}
		res, err := Daily(context.Background(), state, o)
		if err != nil {
			t.Fatalf("day %d: Daily() = %v", day, err)
		}
		return res
	}
	if res := run(1); len(res.New) != 1 || len(warns) != 0 {
		t.Fatalf("day 1: %d new, warnings %v; want the article with its image", len(res.New), warns)
	}
	down.Store(true)
	res := run(2)
	if len(res.Changed) != 0 || res.Unchanged != 1 || res.Bundle != nil {
		t.Errorf("day 2, image 503: %d changed, %d unchanged, bundle %v; want it kept as published", len(res.Changed), res.Unchanged, res.Bundle != nil)
	}
	if len(warns) != 1 || warns[0].Kind != ingest.Unattached {
		t.Errorf("day 2: warnings %v, want the image's, still said", warns)
	}
	down.Store(false)
	if res := run(3); len(res.Changed) != 0 || res.Unchanged != 1 || res.Bundle != nil {
		t.Errorf("day 3, image back: %d changed, %d unchanged; want nothing to publish", len(res.Changed), res.Unchanged)
	}
	if len(p.files) != 1 {
		t.Errorf("%d bundles published, want 1", len(p.files))
	}
}
