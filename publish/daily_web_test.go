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

// flakyImageSite serves one page with an image; the image answers 503
// while down is set.
func flakyImageSite(t *testing.T) (pageURL string, down *atomic.Bool) {
	t.Helper()
	down = new(atomic.Bool)
	img, err := os.ReadFile(filepath.Join("..", "bundle", "ingest", "testdata", "pages", "img", "harbour.jpg"))
	if err != nil {
		t.Fatal(err)
	}
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
	t.Cleanup(srv.Close)
	return srv.URL + "/news/harbour", down
}

// dailyRunner returns a function that runs Daily for a day of December
// 2026 on pageURL, with the warnings collected in warns.
func dailyRunner(t *testing.T, pageURL string, p *publisher, warns *[]ingest.Warning) func(day int) *DailyResult {
	_, key, _ := ed25519.GenerateKey(nil)
	state := t.TempDir()
	return func(day int) *DailyResult {
		t.Helper()
		o := dailyOptions(t, pageURL, key, p, time.Date(2026, 12, day, 6, 0, 0, 0, time.UTC))
		o.Walk = WalkOptions{Fetch: crawl.Options{Rate: 1000}, Ingest: ingest.Options{Warn: func(w ingest.Warning) { *warns = append(*warns, w) }}}
		res, err := Daily(context.Background(), state, o)
		if err != nil {
			t.Fatalf("day %d: Daily() = %v", day, err)
		}
		return res
	}
}

// TestDailyFlakyImage: a page that did not change, whose image fails
// for a passing reason on one run (the CDN answers 503), is not carried
// as a correction without its image, and then again with it: readers
// would see the picture go and come back, and each flap is a bundle.
func TestDailyFlakyImage(t *testing.T) {
	pageURL, down := flakyImageSite(t)
	p := &publisher{}
	var warns []ingest.Warning
	run := dailyRunner(t, pageURL, p, &warns)
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

// TestDailyFlakyImageHeldBack: an image host that stays down holds the
// article's published version back for MaxHoldBack only, so that a
// correction of its text is not held back for ever.
func TestDailyFlakyImageHeldBack(t *testing.T) {
	pageURL, down := flakyImageSite(t)
	p := &publisher{}
	var warns []ingest.Warning
	run := dailyRunner(t, pageURL, p, &warns)
	if res := run(1); len(res.New) != 1 {
		t.Fatalf("day 1: %d new, want 1", len(res.New))
	}
	down.Store(true)
	for day := 2; day <= 3; day++ { // held since day 2: 24 h < MaxHoldBack
		if res := run(day); len(res.Changed) != 0 || res.Bundle != nil {
			t.Errorf("day %d, image down: %d changed, bundle %v; want the published version kept", day, len(res.Changed), res.Bundle != nil)
		}
	}
	if res := run(4); len(res.Changed) != 1 || res.Bundle == nil { // 48 h
		t.Errorf("day 4, image down for %v: %d changed, bundle %v; want it published as it is", MaxHoldBack, len(res.Changed), res.Bundle != nil)
	}
	down.Store(false)
	if res := run(5); len(res.Changed) != 1 {
		t.Errorf("day 5, image back: %d changed, want the article with its image again", len(res.Changed))
	}
	if res := run(6); len(res.Changed) != 0 || res.Bundle != nil {
		t.Errorf("day 6: %d changed, want nothing", len(res.Changed))
	}
	if len(p.files) != 3 {
		t.Errorf("%d bundles published, want 3 (day 1, 4 and 5)", len(p.files))
	}
}
