package ingest

import (
	"fmt"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// A page's cost to extract is not its size. go-readability's time grows
// with its elements (each is cloned, matched and scored in up to four
// attempts), with its text times the depth of the elements around it (it
// walks the subtree of every <div>, <ul>, <table>, <form> and <section>
// to weigh it: 500 nested <div>s around 2.4 MB of text took 18 s), and with
// its <h1> and <h2> headings times its title's length (it compares each
// with the title until one matches). And html.Parse itself builds more
// elements than the page has tags where formatting elements (<b>, <a>,
// <font>…) are left open: it reopens them in every paragraph, so that
// 12 KB, "<p><b id=0>…<b id=399>" and then "<p>x" 2,000 times, made
// 800,000 elements and 120 MB. So a page is measured twice before go-readability sees it:
// its tags as it is scanned (formatting elements it leaves open included,
// see fmtList), and its tree once parsed (see measureShape); a page over
// a limit is ErrTooLarge and skipped, with a warning saying which limit.

// dropInert removes from doc what no extracted body holds and what
// go-readability would only carry through its attempts or remove itself:
// comments, scripts, styles, templates, and SVG and MathML, whose
// elements (icons, drawn in dozens of paths each) would otherwise count
// against maxPageElements in the tree and cost go-readability's time.
func dropInert(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		switch {
		case c.Type == html.CommentNode,
			c.Type == html.ElementNode && (c.Namespace != "" || c.DataAtom == atom.Script || c.DataAtom == atom.Style || c.DataAtom == atom.Template):
			n.RemoveChild(c)
		default:
			dropInert(c)
		}
		c = next
	}
}

// pageShape is what measureShape finds of a parsed page.
type pageShape struct {
	elements int // element nodes
	depth    int // the deepest element's count of element ancestors, plus one
	work     int // an estimate of go-readability's work; see measureShape
}

// measureShape measures doc: its elements, its depth, and its work, the
// sum of the lengths of its text nodes times their depth (what subtree
// walks read), plus ancestorWork times the depth of each element, plus
// matchWork for each byte of a class, id or style attribute, plus, for
// each <h1> and <h2>, titleWork times the length of the longest title
// go-readability may compare it with (<title>, a <meta> content), at
// most maxTitleSource bytes (see capTitleSources). It stops counting once
// a limit is passed.
func measureShape(doc *html.Node) pageShape {
	var s pageShape
	title, headings := 0, 0
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		for c := n.FirstChild; c != nil && s.over() == ""; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				s.work += len(c.Data) * max(depth, 1)
			case html.ElementNode:
				s.elements++
				s.work += (depth + 1) * ancestorWork
				for _, a := range c.Attr {
					if a.Key == "class" || a.Key == "id" || a.Key == "style" {
						s.work += len(a.Val) * matchWork
					}
				}
				s.depth = max(s.depth, depth+1)
				switch c.DataAtom {
				case atom.H1, atom.H2:
					headings++
				case atom.Title:
					title = max(title, len(nodeText(c)))
				case atom.Meta:
					for _, a := range c.Attr {
						if a.Key == "content" {
							title = max(title, len(a.Val))
						}
					}
				}
				walk(c, depth+1)
			}
		}
	}
	walk(doc, 0)
	s.work += headings * min(title, maxTitleSource) * titleWork
	return s
}

// The work measureShape counts, in units of a byte of text read by a
// subtree walk (some 15 ns here), for what costs more: a byte of a class,
// id or style attribute, which go-readability matches regular expressions
// on at every element in each attempt (some 180 ns); an element's
// ancestor, which it walks up to (some 170 ns); and a byte of the title
// for each heading it is compared with, split into words by a regular
// expression (some 130 ns).
const (
	matchWork    = 12
	ancestorWork = 12
	titleWork    = 8
)

// over names the first limit s is over, or returns "".
func (s pageShape) over() string {
	switch {
	case s.elements > maxPageElements:
		return fmt.Sprintf("more than %d html elements", maxPageElements)
	case s.depth > maxPageDepth:
		return fmt.Sprintf("html elements nested more than %d deep", maxPageDepth)
	case s.work > maxPageWork:
		return fmt.Sprintf("more than %d units of extraction work (text times its nesting depth)", maxPageWork)
	}
	return ""
}

// checkShape returns an ErrTooLarge error if doc is over a limit.
func checkShape(doc *html.Node) error {
	if why := measureShape(doc).over(); why != "" {
		return fmt.Errorf("%w: %s to extract the article from", ErrTooLarge, why)
	}
	return nil
}

// capTitleSources cuts the texts go-readability takes a title from, the
// <title> and <meta> contents, to maxTitleSource bytes, their white space
// collapsed as go-readability collapses it: it compares the
// title with every heading, in time that grows with both. A title is at
// most maxTitleLen bytes anyway, and one longer than maxTitleSource is
// still longer than that, so it is still cut at a word boundary with a
// warning (or refused with Strict) as before. (go-readability's JSON-LD
// reading, the third source, is turned off: see runExtractor.)
func capTitleSources(doc *html.Node) {
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch c.DataAtom {
			case atom.Title:
				if t := nodeText(c); len(t) > maxTitleSource {
					for c.FirstChild != nil {
						c.RemoveChild(c.FirstChild)
					}
					c.AppendChild(&html.Node{Type: html.TextNode, Data: truncateUTF8(collapseSpace(t), maxTitleSource)})
				}
				continue
			case atom.Meta:
				for i, a := range c.Attr {
					if len(a.Val) > maxTitleSource {
						c.Attr[i].Val = truncateUTF8(collapseSpace(a.Val), maxTitleSource)
					}
				}
			}
			walk(c)
		}
	}
	walk(doc)
}

// fmtList follows, as a page is scanned, the formatting elements html.Parse
// will reopen (its "list of active formatting elements"), to bound the
// elements it builds before it builds them. It errs on the side of more:
// it counts every formatting element it remembers as reopened at every
// tag and text, where html.Parse reopens only those another element
// closed; and it forgets one only when its end tag comes in the same
// scope (table, cell, <object>, <template>, <svg>…) it was opened in, or
// when the cell, caption, <object> or <template> it was opened in ends,
// its end tag seen or implied by the next cell or row. As html.Parse
// does, it keeps three alike elements at most.
type fmtList struct {
	overflow bool       // more than maxOpenFormatting were open, or scopes nested too deep; counting stopped
	open     []fmtEntry // formatting elements, oldest first
	scopes   []string   // the scopes open, outermost first: "table", "cell" or an element's name
	clones   int        // elements html.Parse may build besides the page's tags
}

type fmtEntry struct {
	key   string // name and attributes
	scope int    // len(scopes) when it was opened
}

// formatting are the elements html.Parse reopens.
var formatting = map[string]bool{
	"a": true, "b": true, "big": true, "code": true, "em": true, "font": true, "i": true,
	"nobr": true, "s": true, "small": true, "strike": true, "strong": true, "tt": true, "u": true,
}

// scopeElements are those that bound an end tag's reach: one closes a
// formatting element only if opened in the same scope. Those true are
// also markers: the formatting elements opened inside them are forgotten
// when they end.
var scopeElements = map[string]bool{
	"td": true, "th": true, "caption": true, "applet": true, "object": true, "marquee": true, "template": true,
	"table": false, "svg": false, "math": false,
}

// token takes in one token of the page, until more than
// maxOpenFormatting formatting elements, or more than maxPageDepth
// scopes, are open at once.
func (l *fmtList) token(t *htmlToken) {
	if l.overflow {
		return
	}
	switch t.typ {
	case html.TextToken:
		l.clones += len(l.open)
	case html.StartTagToken, html.SelfClosingTagToken:
		l.clones += len(l.open)
		if t.typ == html.SelfClosingTagToken {
			break
		}
		switch t.name {
		case "td", "th", "caption", "tr", "tbody", "thead", "tfoot":
			l.closeCell() // a new cell or row ends the cell before it
		}
		switch {
		case formatting[t.name]:
			l.push(t)
		case t.name == "td" || t.name == "th" || t.name == "caption":
			l.scopes = append(l.scopes, "cell")
		case t.name == "table":
			l.scopes = append(l.scopes, "table")
		default:
			if _, ok := scopeElements[t.name]; ok {
				l.scopes = append(l.scopes, t.name)
			}
		}
		l.overflow = len(l.open) > maxOpenFormatting || len(l.scopes) > maxPageDepth
	case html.EndTagToken:
		switch t.name {
		case "br":
			// html.Parse takes a </br> for a <br>, and reopens
			// formatting elements before it as before any.
			l.clones += len(l.open)
		case "td", "th", "caption", "tr", "tbody", "thead", "tfoot":
			l.closeCell()
		case "table":
			l.closeCell()
			l.closeScope("table")
		default:
			if formatting[t.name] {
				l.pop(t.name)
			} else if _, ok := scopeElements[t.name]; ok {
				l.closeScope(t.name)
			}
		}
	}
}

// closeCell ends the innermost scope if it is a cell.
func (l *fmtList) closeCell() {
	if n := len(l.scopes); n > 0 && l.scopes[n-1] == "cell" {
		l.endScope()
	}
}

// closeScope ends the innermost scope if it is name's.
func (l *fmtList) closeScope(name string) {
	if n := len(l.scopes); n > 0 && l.scopes[n-1] == name {
		l.endScope()
	}
}

// endScope ends the innermost scope, forgetting the formatting elements
// opened in it if it is a marker.
func (l *fmtList) endScope() {
	n := len(l.scopes)
	marker := l.scopes[n-1] == "cell" || scopeElements[l.scopes[n-1]]
	l.scopes = l.scopes[:n-1]
	if marker {
		for len(l.open) > 0 && l.open[len(l.open)-1].scope >= n {
			l.open = l.open[:len(l.open)-1]
		}
	}
}

// pop forgets the last formatting element named name opened in the
// current scope, if any.
func (l *fmtList) pop(name string) {
	for i := len(l.open) - 1; i >= 0; i-- {
		if l.open[i].scope == len(l.scopes) && strings.HasPrefix(l.open[i].key, name+"\x00") {
			l.open = append(l.open[:i], l.open[i+1:]...)
			return
		}
	}
}

// push adds a formatting element, dropping the earliest of three alike
// ones opened in the same scope (the Noah's Ark clause of the HTML parsing
// algorithm).
func (l *fmtList) push(t *htmlToken) {
	var b strings.Builder
	b.WriteString(t.name)
	for _, a := range t.attrs {
		b.WriteString("\x00" + a.Key + "=" + a.Val)
	}
	b.WriteString("\x00")
	e := fmtEntry{key: b.String(), scope: len(l.scopes)}
	alike, first := 0, -1
	for i := len(l.open) - 1; i >= 0 && l.open[i].scope >= e.scope; i-- {
		if l.open[i].scope == e.scope && l.open[i].key == e.key {
			alike++
			first = i
		}
	}
	if alike >= 3 {
		l.open = append(l.open[:first], l.open[first+1:]...)
	}
	l.open = append(l.open, e)
}
