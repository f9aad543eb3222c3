package ingest_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/charmap"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

// TestParsePage: a fetched page's links resolve against its URL, which is
// the article's url unless the page names a canonical one; its
// Content-Type's charset decodes it; cut fields are warned about under its
// URL.
func TestParsePage(t *testing.T) {
	base, err := url.Parse("https://news.example.org/2024/05/flood.html?utm=x")
	if err != nil {
		t.Fatal(err)
	}
	article := `<article><h1>Flood waters recede in the valley</h1><p>The river fell a metre overnight, <a href="../04/rain.html">after the rain</a> stopped.</p>` +
		`<figure><img src="img/river.jpg" alt="The river"></figure><p>Roads reopen on Monday.</p></article>`
	win1251, err := charmap.Windows1251.NewEncoder().String(`<html lang="ru"><body><article><h1>Паводок</h1><p>Вода в реке спала за ночь на метр.</p></article></body></html>`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc        string
		page        string
		contentType string
		want        *bundle.Article
	}{
		{
			desc: "page URL as url and id, links made absolute, images as written",
			page: `<html><head><title>Flood waters recede in the valley | News</title></head><body>` + article + `</body></html>`,
			want: &bundle.Article{
				ID:          base.String(),
				Title:       "Flood waters recede in the valley",
				Lang:        "en",
				URL:         base.String(),
				ContentType: "text/html",
				Body: []byte(`<p>The river fell a metre overnight, <a href="https://news.example.org/2024/04/rain.html">after the rain</a> stopped.</p>` +
					`<figure><img src="img/river.jpg" alt="The river"/></figure><p>Roads reopen on Monday.</p>`),
			},
		},
		{
			desc: "relative canonical URL",
			page: `<html><head><link rel="canonical" href="/2024/05/flood"></head><body>` + article + `</body></html>`,
			want: &bundle.Article{
				ID:          "https://news.example.org/2024/05/flood",
				Title:       "Flood waters recede in the valley",
				Lang:        "en",
				URL:         "https://news.example.org/2024/05/flood",
				ContentType: "text/html",
				Body: []byte(`<p>The river fell a metre overnight, <a href="https://news.example.org/2024/04/rain.html">after the rain</a> stopped.</p>` +
					`<figure><img src="img/river.jpg" alt="The river"/></figure><p>Roads reopen on Monday.</p>`),
			},
		},
		{
			desc:        "charset from the Content-Type",
			page:        win1251,
			contentType: "text/html; charset=windows-1251",
			want: &bundle.Article{
				ID:          base.String(),
				Title:       "Паводок",
				Lang:        "ru",
				URL:         base.String(),
				ContentType: "text/html",
				Body:        []byte(`<p>Вода в реке спала за ночь на метр.</p>`),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := ingest.ParsePage([]byte(tt.page), base, tt.contentType, ingest.Options{Strict: true})
			if err != nil {
				t.Fatalf("ParsePage() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePage() mismatch (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("long title cut with a warning, or an error with Strict", func(t *testing.T) {
		page := []byte(`<title>` + strings.Repeat("flood ", 300) + `</title><p>The river fell a metre overnight.</p>`)
		var ws []ingest.Warning
		a, err := ingest.ParsePage(page, base, "", ingest.Options{Warn: func(w ingest.Warning) { ws = append(ws, w) }})
		if err != nil || len(ws) != 1 || ws[0].Kind != ingest.Cut || ws[0].Path != base.String() || len(a.Title) > bundle.MaxTitleLen {
			t.Errorf("ParsePage() = %v, warnings %+v; want the title cut, one Cut warning for %s", err, ws, base)
		}
		_, err = ingest.ParsePage(page, base, "", ingest.Options{Strict: true})
		var fe *ingest.FileError
		if !errors.Is(err, ingest.ErrTooLarge) || !errors.As(err, &fe) || fe.Path != base.String() {
			t.Errorf("ParsePage(Strict) error = %v, want a *FileError for %s wrapping ErrTooLarge", err, base)
		}
	})
}

// countingTransport counts requests, answering none.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, errors.New("no network in ingest")
}

// TestNoNetwork: ingest never fetches, whatever a page or feed links to
// (gofeed and go-readability can fetch, when asked to).
func TestNoNetwork(t *testing.T) {
	var ct countingTransport
	saved := http.DefaultTransport
	http.DefaultTransport = &ct
	defer func() { http.DefaultTransport = saved }()
	if _, _, err := walk(t, pages); err != nil {
		t.Fatal(err)
	}
	if _, _, err := walkWith(t, ingest.Options{KeepPage: true}, pages); err != nil {
		t.Fatal(err)
	}
	if n := ct.n.Load(); n != 0 {
		t.Errorf("ingest made %d HTTP requests, want 0", n)
	}
}

// BenchmarkExtract measures pages extracted per second on one core
// (ParsePage: decoding, metadata, extraction, cleaning and language
// detection): the news pages in turn (5 to 8 KB), a long article, a page
// of a news site's usual weight, and, for comparison, the news pages kept
// whole.
func BenchmarkExtract(b *testing.B) {
	files, err := filepath.Glob(filepath.Join(pages, "*.html"))
	if err != nil {
		b.Fatal(err)
	}
	var docs [][]byte
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, d)
	}
	// A long page: the English one with a hundred more paragraphs, some
	// 17 KB of text.
	en, err := os.ReadFile(filepath.Join(pages, "en-seed.html"))
	if err != nil {
		b.Fatal(err)
	}
	para := "<p>The Met Office had issued an amber warning for wind across Orkney and Shetland, with gusts of up to 80mph expected on exposed coasts.</p>\n"
	long := bytes.Replace(en, []byte("<p>The Met Office"), []byte(strings.Repeat(para, 100)+"<p>The Met Office"), 1)
	// A page of a news site's usual weight, some 400 KB: 300 KB of
	// scripts and styles in the head, 600 links of navigation, 30
	// paragraphs.
	script := "<script>" + strings.Repeat("window.__data.push({id:12345,kind:'teaser',href:'/news/x'});\n", 5000) + "</script>\n"
	nav := "<nav><ul>" + strings.Repeat(`<li><a href="/news/section">Section name</a></li>`, 600) + "</ul></nav>\n"
	heavy := bytes.Replace(en, []byte("</head>"), []byte(script+"<style>"+strings.Repeat(".nav a{padding:4px;margin:0}\n", 2000)+"</style></head>"), 1)
	heavy = bytes.Replace(heavy, []byte("<main"), []byte(nav+"<main"), 1)
	heavy = bytes.Replace(heavy, []byte("<p>The Met Office"), []byte(strings.Repeat(para, 20)+"<p>The Met Office"), 1)
	base, _ := url.Parse("https://news.example.org/page.html")
	for _, bc := range []struct {
		name string
		docs [][]byte
		keep bool
	}{
		{"pages", docs, false},
		{"long", [][]byte{long}, false},
		{"heavy", [][]byte{heavy}, false},
		{"pages-kept-whole", docs, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			n := 0
			for _, d := range bc.docs {
				n += len(d)
			}
			b.SetBytes(int64(n / len(bc.docs))) // the mean page
			i := 0
			for b.Loop() {
				if _, err := ingest.ParsePage(bc.docs[i%len(bc.docs)], base, "", ingest.Options{KeepPage: bc.keep}); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}
