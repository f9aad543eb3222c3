package crawl

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samizdat/samizdat/bundle/ingest"
)

func TestAllowedHost(t *testing.T) {
	tests := []struct {
		host, start string
		allow       []string
		want        bool
	}{
		{"www.example.co.uk", "news.example.co.uk", nil, true},
		{"img.example.co.uk", "example.co.uk", nil, true},
		{"other.co.uk", "example.co.uk", nil, false}, // co.uk is a public suffix
		{"evil.example", "news.example", nil, false},
		{"cdn.example", "news.example", []string{"cdn.example"}, true},
		{"img.cdn.example", "news.example", []string{"cdn.example"}, false},
		{"img.cdn.example", "news.example", []string{".cdn.example"}, true},
		{"cdn.example", "news.example", []string{".cdn.example"}, true},
		{"notcdn.example", "news.example", []string{".cdn.example"}, false},
		{"127.0.0.1", "127.0.0.1", nil, true},
		{"127.0.0.2", "127.0.0.1", nil, false},
		{"localhost", "localhost", nil, true},
		{"WWW.Example.CO.UK.", "example.co.uk", nil, true},
	}
	for _, tt := range tests {
		if got := allowedHost(tt.host, siteOf(tt.start), tt.allow); got != tt.want {
			t.Errorf("allowedHost(%q, site of %q, %q) = %v, want %v", tt.host, tt.start, tt.allow, got, tt.want)
		}
	}
}

func TestImageType(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	jpeg := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")
	tests := []struct {
		body   []byte
		header string
		want   string
		err    error
	}{
		{png, "image/png", "image/png", nil},
		{png, "", "image/png", nil},
		{png, "application/octet-stream", "image/png", nil},
		{jpeg, "image/jpg", "image/jpeg", nil},
		{png, "image/jpeg", "", ErrNotImage}, // lies about its type
		{[]byte("<html><script>x</script></html>"), "image/png", "", ErrNotImage},
		{[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>`), "image/svg+xml", "", ErrNotImage},
		{[]byte("%PDF-1.7"), "image/gif", "", ErrNotImage},
	}
	for _, tt := range tests {
		got, err := imageType(&response{body: tt.body, contentType: tt.header})
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err != nil && !errors.Is(err, ingest.ErrBadReference)) {
			t.Errorf("imageType(%q as %q) = %q, %v; want %q, %v", tt.body[:8], tt.header, got, err, tt.want, tt.err)
		}
	}
}

func TestFreshUntil(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		cc, expires string
		want        time.Time
	}{
		{"", "", now},
		{"max-age=60", "", now.Add(time.Minute)},
		{"public, max-age=3600", "", now.Add(time.Hour)},
		{"no-cache, max-age=3600", "", now},
		{"max-age=0", "", now},
		{"max-age=nonsense", "", now},
		{"", "Thu, 03 Dec 2026 13:00:00 GMT", now.Add(time.Hour)},
		{"", "Thu, 03 Dec 2026 11:00:00 GMT", now},
		{"max-age=99999999999", "", now.Add(365 * 24 * time.Hour)},
		{"", "Thu, 03 Dec 2099 13:00:00 GMT", now.Add(365 * 24 * time.Hour)},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.cc != "" {
			h.Set("Cache-Control", tt.cc)
		}
		if tt.expires != "" {
			h.Set("Expires", tt.expires)
		}
		if got := freshUntil(h, now, maxImageFresh); !got.Equal(tt.want) {
			t.Errorf("freshUntil(%q, %q) = %v, want %v", tt.cc, tt.expires, got, tt.want)
		}
	}
}

func TestCacheEntry(t *testing.T) {
	c, err := newCache(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	h := http.Header{"Etag": {`"v1"`}, "Content-Type": {"text/html"}}
	e := newEntry("http://news.example/a", h, []byte("<p>body\nwith lines</p>"), now, maxDocumentFresh)
	if err := c.store(e); err != nil {
		t.Fatal(err)
	}
	got := c.load("http://news.example/a", 1<<20)
	if got == nil || got.ETag != `"v1"` || got.ContentType != "text/html" || !bytes.Equal(got.Body, e.Body) {
		t.Fatalf("load = %+v, want the stored entry", got)
	}
	if c.load("http://news.example/b", 1<<20) != nil {
		t.Error("load of another URL found an entry")
	}
	if c.load("http://news.example/a", 4) != nil {
		t.Error("load with a smaller limit than the body returned it")
	}
	if newEntry("u", http.Header{"Etag": {`"x"`}, "Cache-Control": {"no-store"}}, nil, now, maxDocumentFresh) != nil {
		t.Error("no-store response cached")
	}
	if newEntry("u", http.Header{}, nil, now, maxDocumentFresh) != nil {
		t.Error("response without validators or freshness cached")
	}
}

func TestCacheTrim(t *testing.T) {
	c, err := newCache(t.TempDir(), 2500)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for i, u := range []string{"http://a/1", "http://a/2", "http://a/3"} {
		if err := c.store(&entry{URL: u, ETag: "x", Body: bytes.Repeat([]byte("x"), 1000)}); err != nil {
			t.Fatal(err)
		}
		if i == 0 { // used longest ago
			if err := osChtimes(c.path(u), old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.trim(); err != nil {
		t.Fatal(err)
	}
	if c.load("http://a/1", 1<<20) != nil || c.load("http://a/2", 1<<20) == nil || c.load("http://a/3", 1<<20) == nil {
		t.Error("trim did not drop exactly the entry used longest ago")
	}
}

func TestImageName(t *testing.T) {
	a, _ := url.Parse("https://news.example/media/2024/Harbour%20wall.final.JPG?w=976")
	b, _ := url.Parse("https://news.example/other/Harbour%20wall.final.JPG?w=976")
	na, nb := imageName(a, "image/jpeg"), imageName(b, "image/jpeg")
	if na != imageName(a, "image/jpeg") || na == nb {
		t.Errorf("imageName: %q, %q: want stable and distinct", na, nb)
	}
	if want := "img/Harbourwallfinal-"; na[:len(want)] != want || na[len(na)-4:] != ".jpg" {
		t.Errorf("imageName = %q, want img/Harbourwallfinal-XXXXXXXX.jpg", na)
	}
	c, _ := url.Parse("https://news.example/")
	if n := imageName(c, "image/png"); n[:10] != "img/image-" {
		t.Errorf("imageName of a bare URL = %q", n)
	}
}

func osChtimes(p string, t time.Time) error { return os.Chtimes(p, t, t) }

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
	}{
		{"", -1},
		{"soon", -1},
		{"-5", -1},
		{"0", 0},
		{"30", 30 * time.Second},
		{"99999999999999", maxRetryAfter + time.Second},
		{"Thu, 03 Dec 2026 12:00:20 GMT", 20 * time.Second},
		{"Thu, 03 Dec 2026 11:00:00 GMT", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.v, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

// TestCacheTrimOnlyEntries: --cache may name a directory that holds other
// files (a mistyped path, the state directory, a home directory); trim
// deletes only the cache's own entries, however old the others are.
func TestCacheTrimOnlyEntries(t *testing.T) {
	dir := t.TempDir()
	c, err := newCache(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-24 * time.Hour)
	others := []string{"notes.txt", filepath.Join("ab", "draft.html"), filepath.Join("photos", "a.jpg"),
		strings.Repeat("a", 64), filepath.Join("cd", strings.Repeat("a", 64))}
	for _, p := range others {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, bytes.Repeat([]byte("x"), 1000), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := osChtimes(p, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.store(&entry{URL: "http://a/1", ETag: "x", Body: []byte("cached")}); err != nil {
		t.Fatal(err)
	}
	if err := c.trim(); err != nil {
		t.Fatal(err)
	}
	for _, p := range others {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("trim deleted %s, not a cache entry: %v", p, err)
		}
	}
	if c.load("http://a/1", 1<<20) != nil {
		t.Error("trim kept the only cache entry of a cache over its bound")
	}
}
