package reader

import (
	"strings"
	"testing"
	"time"

	"github.com/samizdat/samizdat/bundle"
)

// TestBrowserImageOnce: an article that shows one attachment many times
// makes one object URL of it, not a copy of its bytes per <img>.
func TestBrowserImageOnce(t *testing.T) {
	body := "<p>Many pictures.</p>" + strings.Repeat(`<img src="img/p.png" alt="p">`, 50)
	s := newSite(t, siteOptions{arts: []*bundle.Article{{ID: "en-many", Title: "Many pictures", Lang: "en",
		Published: time.Date(2026, 11, 9, 9, 0, 0, 0, time.UTC), ContentType: "text/html", Body: []byte(body),
		Attachments: []bundle.Attachment{{Name: "img/p.png", ContentType: "image/png", Data: testPNG(t)}}}}})
	b := newBrowser(t)
	b.open(s.srv.URL + "/")
	b.click("Many pictures")
	b.waitFor("the images", `document.images.length === 50 && [...document.images].every(i => i.src.startsWith('blob:') && i.naturalWidth === 4)`, 30*time.Second)
	if n := eval[int](b, `new Set([...document.images].map(i => i.src)).size`); n != 1 {
		t.Errorf("50 <img> of one attachment made %d object URLs, want 1", n)
	}
}
