package ingest

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/text/encoding/charmap"
)

// story is a paragraph long enough to be an article's body.
const story = "<p>The river fell a metre overnight and the roads into the valley reopened on Monday morning, the council said.</p>" +
	"<p>Farmers downstream said the water had reached their fields but spared the houses, and the school will open again on Wednesday.</p>"

// TestExtractRules checks the rules extract adds to go-readability, each
// on a page made for it: what must stay in the body, what must go, and
// the date taken from the page.
func TestExtractRules(t *testing.T) {
	tests := []struct {
		desc    string
		page    string
		present []string
		absent  []string
		date    time.Time // published, if the page gives one
	}{
		{
			desc:    "byline by class, dateline by <time>, both short",
			page:    `<article><h1>Flood</h1><div class="story-byline">By Ann Lee</div><div class="meta">Published <time datetime="2024-05-02T08:00:00Z">2 May</time> <a href="#">Share</a></div>` + story + `</article>`,
			present: []string{"The river fell a metre overnight"},
			absent:  []string{"By Ann Lee", "Published", "Share"},
			date:    time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC),
		},
		{
			desc:    "a <time> in a sentence after the first paragraph stays",
			page:    `<article><h1>Flood</h1>` + story + `<p>Repairs start on <time datetime="2024-05-06">Monday</time>.</p></article>`,
			present: []string{"Repairs start on Monday."},
		},
		{
			desc:    "an author's long biography is not a byline",
			page:    `<article><h1>Flood</h1>` + story + `<div class="author-bio">Ann Lee has covered the valley's rivers, farms and schools for the Gazette since 2009, and wrote a book about the flood of 1998.</div></article>`,
			present: []string{"Ann Lee has covered the valley"},
		},
		{
			desc:    "advertisements by class or id, in any language",
			page:    `<article><h1>Flood</h1>` + story + `<div class="ad-slot"><span>تبلیغات</span></div><div id="ads-top">Anzeige</div><aside class="advertisement">Publicité</aside><p class="address">The council, 1 High Street.</p></article>`,
			present: []string{"The council, 1 High Street."},
			absent:  []string{"تبلیغات", "Anzeige", "Publicité"},
		},
		{
			desc:    "one article with most of the text: comments beside it go",
			page:    `<main><article><h1>Flood</h1>` + story + `</article><section class="comentarios"><h3>Comentarios</h3><p>Llega tarde, pero bienvenida sea esta noticia tan esperada por los vecinos del valle entero.</p></section></main>`,
			present: []string{"The river fell a metre overnight"},
			absent:  []string{"Comentarios", "Llega tarde"},
		},
		{
			desc:    "an article element that is a card beside the story: the page stays whole",
			page:    `<div class="story"><h1>Flood</h1>` + story + story + `</div><article class="card"><p>Weather: rain again on Friday in the valley and the hills around it, says the forecast.</p></article>`,
			present: []string{"The river fell a metre overnight"},
		},
		{
			desc:    "standfirst in an h2 beside the headline is put back",
			page:    `<article><p class="kicker">Valley</p><h1>Flood waters recede</h1><h2 class="dek">The river has fallen a metre and the valley's roads are open again</h2><div class="body">` + story + `</div></article>`,
			present: []string{"The river has fallen a metre and the valley"},
		},
		{
			desc:   "a dateline in text opens the body: taken as the date",
			page:   `<div class="news"><h1>长江中游持续强降雨</h1><p class="info">2024-06-21 18:40 来源：江城日报</p>` + story + `</div>`,
			absent: []string{"来源：江城日报"},
			date:   time.Date(2024, 6, 21, 0, 0, 0, 0, time.UTC),
		},
		{
			desc:    "unsafe markup and tracking pixels go, links and images stay",
			page:    `<article><h1>Flood</h1>` + story + `<p>See <a href="javascript:alert(1)" onclick="x()">this</a> and <a href="https://e.org/map" class="x" style="color:red">the map</a>.<img src="https://t.example/p.gif" width="1" height="1"><img src="map.png" alt="Map" width="600"></p><script>alert(1)</script><form><input name=q></form></article>`,
			present: []string{`See this and <a href="https://e.org/map">the map</a>.<img src="map.png" alt="Map" width="600"/>`},
			absent:  []string{"javascript:", "onclick", "style=", "class=", "t.example", "<script", "<form", "<input"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			a, err := ParseHTML("page.html", []byte(tt.page))
			if err != nil {
				t.Fatalf("ParseHTML() error = %v", err)
			}
			body := string(a.Body)
			for _, s := range tt.present {
				if !strings.Contains(body, s) {
					t.Errorf("body %q lacks %q", body, s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(body, s) {
					t.Errorf("body %q has %q", body, s)
				}
			}
			if !a.Published.Equal(tt.date) {
				t.Errorf("Published = %v, want %v", a.Published, tt.date)
			}
		})
	}
}

func TestResolveLinks(t *testing.T) {
	base, _ := url.Parse("https://news.example.org/2024/05/flood.html")
	tests := []struct {
		desc, page string
		base       *url.URL
		want       string
	}{
		{"relative to the page", `<a href="../04/rain.html">`, base, "https://news.example.org/2024/04/rain.html"},
		{"absolute path", `<a href="/about">`, base, "https://news.example.org/about"},
		{"fragment stays", `<a href="#notes">`, base, "#notes"},
		{"base element", `<base href="https://cdn.example.net/news/"><a href="x.html">`, base, "https://cdn.example.net/news/x.html"},
		{"no base: relative stays", `<a href="x.html">`, nil, "x.html"},
		{"no base, absolute base element", `<base href="https://e.org/a/"><a href="x.html">`, nil, "https://e.org/a/x.html"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader(tt.page))
			if err != nil {
				t.Fatal(err)
			}
			resolveLinks(doc, tt.base)
			var got string
			for _, a := range findAll(doc, "a")[0].Attr {
				if a.Key == "href" {
					got = a.Val
				}
			}
			if got != tt.want {
				t.Errorf("href = %q, want %q", got, tt.want)
			}
		})
	}
}

// findAll returns the elements named name below n, in document order.
func findAll(n *html.Node, name string) []*html.Node {
	var out []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == name {
			out = append(out, c)
		}
		out = append(out, findAll(c, name)...)
	}
	return out
}

func TestSafeURL(t *testing.T) {
	for s, want := range map[string]bool{
		"img/a.png": true, "/a": true, "https://e.org/": true, "HTTP://E.ORG": true, "mailto:a@e.org": true,
		"javascript:alert(1)": false, " JavaScript:x": false, "data:image/png;base64,AAAA": false,
		"vbscript:x": false, `\\evil.example\x`: false, "file:///etc/passwd": false,
	} {
		if got := safeURL(s); got != want {
			t.Errorf("safeURL(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestDecodePage(t *testing.T) {
	cyr, _ := charmap.Windows1251.NewEncoder().String("<p>Паводок</p>")
	tests := []struct {
		desc, page, contentType, want string
	}{
		{"utf-8 as is", "<p>Паводок</p>", "", "<p>Паводок</p>"},
		{"meta charset", `<meta charset="windows-1251">` + cyr, "", `<meta charset="windows-1251"><p>Паводок</p>`},
		{"content type charset", cyr, "text/html; charset=windows-1251", "<p>Паводок</p>"},
		{"utf-8 whatever the meta claims", `<meta charset="windows-1251"><p>Паводок</p>`, "", `<meta charset="windows-1251"><p>Паводок</p>`},
		{"no declaration, not utf-8: windows-1252", "<p>caf\xe9</p>", "", "<p>café</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := string(decodePage([]byte(tt.page), tt.contentType)); got != tt.want {
				t.Errorf("decodePage() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLDDate(t *testing.T) {
	tests := []struct {
		in   any
		want time.Time
	}{
		{"2024-05-01T10:00:00-03:00", time.Date(2024, 5, 1, 13, 0, 0, 0, time.UTC)},
		{"2024-05-01T10:00:00-0300", time.Date(2024, 5, 1, 13, 0, 0, 0, time.UTC)},
		{"2024-05-01T10:00:00.250Z", time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)},
		{"2024-05-01T10:00:00", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}, // no zone: the day only
		{"2024-05-01", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
		{"yesterday", time.Time{}},
		{42.0, time.Time{}},
		{nil, time.Time{}},
	}
	for _, tt := range tests {
		if got := ldDate(tt.in); !got.Equal(tt.want) {
			t.Errorf("ldDate(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestPageElementsBound: a page with more elements than maxPageElements
// is refused before its tree is built, unless it is kept whole.
func TestPageElementsBound(t *testing.T) {
	page := []byte("<p>" + strings.Repeat("<b>x</b>", maxPageElements) + "</p>")
	if _, err := ParseHTML("big.html", page); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ParseHTML(%d elements) error = %v, want too large", maxPageElements+1, err)
	}
	a, err := ParsePage(page, nil, "", Options{KeepPage: true})
	if err != nil && !strings.Contains(err.Error(), "no id") || a != nil && !bytes.Equal(a.Body, page) {
		t.Errorf("ParsePage(KeepPage) = %v, want the page kept", err)
	}
}
