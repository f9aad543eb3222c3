package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/samizdat/samizdat/bundle"
)

// Generated hostile pages, each at or just past one limit of shape.go.
// The "over" ones cost seconds to minutes before the limits (500 nested
// <div>s around 2.4 MB of text 18 s, 250 nested lists 3 s, 12 KB of formatting elements left
// open 800,000 elements and 120 MB, a 1 MB title with 1,000 headings
// seconds of go-readability's title comparisons); the "under" ones are
// the costliest pages the limits let through (see BenchmarkHostile).
const hostilePara = "<p>The Met Office had issued an amber warning for wind across Orkney and Shetland, with gusts of up to 80mph expected.</p>\n"

// nested returns page nested depth <div>s deep.
func nested(depth int, page string) string {
	return strings.Repeat("<div>", depth) + page + strings.Repeat("</div>", depth)
}

// leftOpen returns n formatting elements left open in a paragraph, and
// paras paragraphs after it, in each of which html.Parse reopens them.
func leftOpen(n, paras int) string {
	var b strings.Builder
	b.WriteString("<p>")
	for i := range n {
		fmt.Fprintf(&b, "<b id=%d>", i)
	}
	b.WriteString(strings.Repeat("<p>x", paras))
	return b.String()
}

// hostilePages are the generated pages: over says which limit each is
// over, if any.
var hostilePages = []struct {
	name string
	page func() string
	over string // "elements", "attributes", "depth", "work", "open", "reopened", or "" for none
}{
	{"deep text", func() string { return nested(500, strings.Repeat(hostilePara, 5000)) }, "depth"},
	{"deep lists", func() string { return strings.Repeat("<ul><li>", 250) + strings.Repeat(hostilePara, 5000) }, "depth"},
	{"text times depth", func() string { return nested(60, strings.Repeat(hostilePara, 1100)) }, "work"},
	{"long text", func() string { return "<p>" + strings.Repeat("lorem ipsum dolor sit amet, ", 400_000) + "</p>" }, "work"},
	{"long title, many headings", func() string {
		return "<title>" + strings.Repeat("w ", 1<<20) + "</title>" + strings.Repeat("<h2>heading words</h2><p>x</p>", 1000)
	}, "work"},
	{"long classes", func() string {
		return strings.Repeat(`<div class="`+strings.Repeat("comment sidebar ", 500)+`">`+hostilePara+`</div>`, 2000)
	}, "work"},
	{"links", func() string { return "<p>" + strings.Repeat(`<a href="/x">y</a>`, 25_000) + "</p>" }, "elements"},
	{"formatting left open", func() string { return leftOpen(400, 2000) }, "open"},
	{"formatting reopened", func() string { return leftOpen(200, 600) }, "reopened"},
	{"end tags", func() string { return "<body>" + strings.Repeat("</p></br>", 12_000) }, "elements"},
	{"attributes", func() string { return strings.Repeat(manyAttributes("i", 20)+"x</i>", 12_000) }, "attributes"},
	{"under: text times depth", func() string { return nested(60, strings.Repeat(hostilePara, 1000)) }, ""},
	{"under: elements", func() string { return "<div>" + strings.Repeat("<span>word word</span> ", 19_900) + "</div>" }, ""},
	{"under: deep", func() string { return nested(120, strings.Repeat(hostilePara, 500)) }, ""},
}

// TestHostilePages: a page over a limit is ErrTooLarge, found by counting
// before go-readability runs; one under every limit is extracted, its
// counted work within the limits.
func TestHostilePages(t *testing.T) {
	for _, tt := range hostilePages {
		t.Run(tt.name, func(t *testing.T) {
			page := []byte(tt.page())
			m, err := scanPage(page, true)
			if err != nil {
				t.Fatalf("scanPage() error = %v", err)
			}
			var s pageShape
			if m.checkSize() == nil {
				doc, err := html.Parse(bytes.NewReader(page))
				if err != nil {
					t.Fatalf("html.Parse() error = %v", err)
				}
				s = measureShape(doc)
			}
			over := map[string]bool{
				"elements":   m.elements > maxPageElements || s.elements > maxPageElements,
				"attributes": m.attributes > maxPageAttributes,
				"depth":      s.depth > maxPageDepth,
				"work":       s.work > maxPageWork,
				"open":       m.reopened.overflow,
				"reopened":   m.reopened.clones > maxReopenedElements,
			}
			for limit, isOver := range over {
				if isOver != (limit == tt.over) {
					t.Errorf("over the %s limit: %v, want %v (scan: %d elements, %d reopened; tree: %+v)", limit, isOver, !isOver, m.elements, m.reopened.clones, s)
				}
			}
			_, err = ParseHTML("hostile.html", page)
			switch {
			case tt.over != "" && !errors.Is(err, ErrTooLarge):
				t.Errorf("ParseHTML() error = %v, want ErrTooLarge", err)
			case tt.over == "" && err != nil:
				t.Errorf("ParseHTML() error = %v, want none", err)
			}
		})
	}
}

// manyAttributes returns a start tag of name with n distinct attributes.
func manyAttributes(name string, n int) string {
	var b strings.Builder
	b.WriteString("<" + name)
	for i := range n {
		fmt.Fprintf(&b, " a%d", i)
	}
	b.WriteString(">")
	return b.String()
}

// TestTagAttributes: a tag of more than maxTagAttributes attributes stops
// the scan, before any tree is built of the page, kept whole or not.
func TestTagAttributes(t *testing.T) {
	for _, tt := range []struct {
		attrs int
		want  error
	}{
		{maxTagAttributes, nil},
		{maxTagAttributes + 1, ErrTooLarge},
	} {
		t.Run(fmt.Sprint(tt.attrs), func(t *testing.T) {
			page := []byte("<p>" + manyAttributes("span", tt.attrs) + "words</span></p>")
			_, err := scanPage(page, false)
			if !errors.Is(err, tt.want) {
				t.Errorf("scanPage() error = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestReopenedBound: fmtList counts at least the elements html.Parse
// builds by reopening formatting elements, however the page leaves them
// open: a tree has at most its tags, the elements html.Parse implies
// (<html>, <head>, <body>, a table's <tbody> and <tr>) and those.
func TestReopenedBound(t *testing.T) {
	var fonts strings.Builder
	for i := range 100 {
		fmt.Fprintf(&fonts, `<p><font color="#%06x">x`, i)
	}
	pages := []struct{ name, page string }{
		{"left open in a paragraph", leftOpen(50, 200)},
		{"an unclosed font per paragraph", fonts.String()},
		{"closed inside a cell", strings.Repeat("<b><table><td></b></table>", 40) + strings.Repeat("<p>x", 100)},
		{"closed across a table", strings.Repeat("<i><table></i></table>", 40) + strings.Repeat("<p>x", 100)},
		{"misnested", strings.Repeat("<a><b><p></a>x</b>", 200)},
		{"foster parented", "<table>" + strings.Repeat("<b>x<tr><td>y", 200) + "</table>" + strings.Repeat("<p>x", 100)},
		{"alike, kept three times", strings.Repeat("<p><b>x", 300)},
		{"in a template", "<template>" + strings.Repeat("<u>", 30) + "</template>" + strings.Repeat("<p>x", 100)},
		{"unclosed in cells", "<table>" + strings.Repeat(`<tr><td><font face="arial">a<td><font size="2">b`, 300) + "</table>"},
		{"end tags that make elements", "<body>" + strings.Repeat("</p>", 300) + strings.Repeat("</br>", 300)},
		{"reopened by </br>", leftOpen(50, 0) + strings.Repeat("</p></br>", 100)},
		{"a block closes the paragraph", strings.Repeat("<p>x<div>y</div></p>", 200)},
	}
	for _, tt := range pages {
		t.Run(tt.name, func(t *testing.T) {
			m, err := scanPage([]byte(tt.page), true)
			if err != nil {
				t.Fatalf("scanPage() error = %v", err)
			}
			doc, err := html.Parse(strings.NewReader(tt.page))
			if err != nil {
				t.Fatalf("html.Parse() error = %v", err)
			}
			elements := 0
			var count func(*html.Node)
			count = func(n *html.Node) {
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.ElementNode {
						elements++
					}
					count(c)
				}
			}
			count(doc)
			if m.reopened.overflow {
				t.Fatal("counting stopped: too many formatting elements open")
			}
			if bound := 3 + 2*m.elements + m.reopened.clones; elements > bound {
				t.Errorf("tree has %d elements, want at most %d (%d tags, %d counted as reopened)", elements, bound, m.elements, m.reopened.clones)
			}
		})
	}
}

// TestHostilePageWarning: in a walk, a page over a limit is skipped with
// one warning naming it, and the pages beside it are packed.
func TestHostilePageWarning(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.html":       "<title>Storm</title>" + hostilePara,
		"hostile.html": nested(500, strings.Repeat(hostilePara, 100)),
		"z.html":       "<title>Ferries</title>" + hostilePara,
	}
	for name, page := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	var ws []Warning
	err := Walk([]string{dir}, Options{Warn: func(w Warning) { ws = append(ws, w) }}, func(a *bundle.Article) error {
		ids = append(ids, a.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk() error = %v", err)
	}
	if len(ids) != 2 || ids[0] != "a.html" || ids[1] != "z.html" {
		t.Errorf("Walk() articles %q, want a.html and z.html", ids)
	}
	if len(ws) != 1 || ws[0].Kind != Skipped || !strings.HasSuffix(ws[0].Path, "hostile.html") || !errors.Is(ws[0].Err, ErrTooLarge) {
		t.Errorf("Walk() warnings %+v, want one Skipped for hostile.html wrapping ErrTooLarge", ws)
	}
}

// BenchmarkHostile extracts the costliest pages known: those each limit
// refuses (time to refuse) and those just under every limit (time to
// extract). Compare with BenchmarkExtract's pages.
func BenchmarkHostile(b *testing.B) {
	for _, tt := range hostilePages {
		page := []byte(tt.page())
		b.Run(strings.ReplaceAll(tt.name, " ", "-"), func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				_, _ = ParseHTML("hostile.html", page)
			}
		})
	}
}
