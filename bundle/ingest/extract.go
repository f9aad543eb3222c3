package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
)

// extracted is the article go-readability finds in a page.
type extracted struct {
	title   string
	authors []string
	date    time.Time  // a dateline's day (see takeDateline), or zero
	content *html.Node // the body: a <body> element, cleaned by cleanBody
	text    string     // the body's text, at most maxLangSample bytes
}

// extract finds the main content of page, UTF-8 HTML, with go-readability,
// the Go port of Firefox's Reader View. Before it runs, what no body holds
// is dropped (see dropInert) and the page is measured: one over a limit on
// its elements, their nesting or the work of extracting it is ErrTooLarge
// (see shape.go); links are made absolute against base (the page's
// address, or its canonical URL; nil if it has neither) and the page's
// <base href>, its title sources are cut (see capTitleSources), the page
// is cut down to its <article> if it has one that holds most of its text
// (see scopeToArticle), and bylines, datelines and advertisements are removed
// (see prune); after, the standfirst opens the body if go-readability left
// it out (see standfirst), the body is cleaned (see cleanBody) and a
// dateline at its start taken out (see takeDateline). A page in which it
// finds no text is ErrMalformed.
func extract(page []byte, base *url.URL) (*extracted, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		// x/net/html refuses documents nested deeper than 512 elements.
		return nil, fmt.Errorf("%w: html: %v", ErrMalformed, err)
	}
	dropInert(doc)
	if err := checkShape(doc); err != nil {
		return nil, err
	}
	resolveLinks(doc, base)
	capTitleSources(doc)
	scopeToArticle(doc)
	prune(doc)
	dek := standfirst(doc)
	art, err := runExtractor(doc)
	switch {
	case errors.Is(err, errExtractorPanic):
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	case err != nil || art.Node == nil:
		return nil, fmt.Errorf("%w: no article text found in the page", ErrMalformed)
	}
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	if art.Node.Parent != nil {
		art.Node.Parent.RemoveChild(art.Node)
	}
	body.AppendChild(art.Node)
	if dek != "" && !strings.Contains(strings.Join(strings.Fields(nodeText(body)), " "), dek) {
		p := &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
		p.AppendChild(&html.Node{Type: html.TextNode, Data: dek})
		body.InsertBefore(p, body.FirstChild)
	}
	date := takeDateline(body)
	cleanBody(body)
	x := &extracted{
		title:   art.Title(),
		date:    date,
		content: body,
		text:    truncateUTF8(nodeText(body), maxLangSample),
	}
	for _, a := range strings.FieldsFunc(art.Byline(), func(r rune) bool { return r == ',' || r == ';' }) {
		if a = strings.TrimSpace(a); a != "" && len(x.authors) <= maxAuthors {
			x.authors = append(x.authors, a)
		}
	}
	return x, nil
}

// errExtractorPanic is the error runExtractor returns for a panic.
var errExtractorPanic = errors.New("the extractor failed")

// runExtractor runs go-readability on doc, which it changes, turning a
// panic into an error wrapping errExtractorPanic: pages come from third
// parties, the extractor was not written with hostile pages in mind, and
// one page must not end a pack of thousands. The fuzz targets fail on
// such an error, so that a panic found is fixed, not hidden. Links are
// already absolute, and images stay as written (a file's images are its
// attachments): go-readability gets no URL to resolve them against.
func runExtractor(doc *html.Node) (art readability.Article, err error) {
	defer func() {
		if p := recover(); p != nil {
			art, err = readability.Article{}, fmt.Errorf("%w: %v", errExtractorPanic, p)
		}
	}()
	p := readability.NewParser()
	// The page's JSON-LD is read once, by jsonLD, within maxJSONLDSize:
	// go-readability would compare a headline of any length from it with
	// every heading.
	p.DisableJSONLD = true
	return p.ParseAndMutate(doc, nil)
}

// render returns the extracted body as HTML, without a heading near its
// start that repeats title (the reader shows the title above the body),
// and opening with leadImage, if not "", when the body has no image. A
// body with no text but the title is ErrMalformed.
func (x *extracted) render(title, leadImage string) ([]byte, error) {
	body := x.content
	if text := strings.Join(strings.Fields(nodeText(body)), " "); text == "" || text == strings.Join(strings.Fields(title), " ") {
		return nil, fmt.Errorf("%w: no article text found in the page", ErrMalformed)
	}
	removeHeadline(body, title)
	if leadImage != "" && safeURL(leadImage) && findElement(body, atom.Img) == nil {
		fig := &html.Node{Type: html.ElementNode, Data: "figure", DataAtom: atom.Figure}
		fig.AppendChild(&html.Node{Type: html.ElementNode, Data: "img", DataAtom: atom.Img,
			Attr: []html.Attribute{{Key: "src", Val: leadImage}, {Key: "alt", Val: ""}}})
		body.InsertBefore(fig, body.FirstChild)
	}
	var out bytes.Buffer
	for c := body.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&out, c); err != nil {
			return nil, fmt.Errorf("%w: html: %v", ErrMalformed, err)
		}
	}
	return bytes.TrimSpace(out.Bytes()), nil
}

// maxHeadlineElement is how many of an extracted body's first elements
// removeHeadline looks at, at any depth: kickers ("Politics") and
// wrappers may come before the headline.
const maxHeadlineElement = 4

// removeHeadline removes from body an <h1> or <h2> among its first
// maxHeadlineElement elements whose text is title.
func removeHeadline(body *html.Node, title string) {
	want := strings.Join(strings.Fields(title), " ")
	seen := 0
	var walk func(*html.Node) bool
	walk = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil && seen < maxHeadlineElement; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			seen++
			if (c.DataAtom == atom.H1 || c.DataAtom == atom.H2) && strings.Join(strings.Fields(nodeText(c)), " ") == want {
				n.RemoveChild(c)
				return true
			}
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(body)
}

// nodeText returns the text below n.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
			if c.Type == html.ElementNode && isBlock[c.Data] {
				b.WriteByte('\n')
			}
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// resolveLinks makes the links of doc absolute against base and the
// document's <base href>, as a browser does. Images are left as written:
// a file's are its attachments, and a fetcher resolves them itself.
func resolveLinks(doc *html.Node, base *url.URL) {
	if b := findElement(doc, atom.Base); b != nil {
		for _, a := range b.Attr {
			if a.Key != "href" || a.Namespace != "" {
				continue
			}
			ref, err := url.Parse(strings.Trim(a.Val, asciiSpace))
			switch {
			case err != nil:
			case base != nil:
				base = base.ResolveReference(ref)
			case ref.IsAbs():
				base = ref
			}
			break
		}
	}
	if base == nil {
		return
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.DataAtom == atom.A {
				for i, a := range c.Attr {
					if a.Key != "href" || a.Namespace != "" {
						continue
					}
					href := strings.Trim(a.Val, asciiSpace)
					if strings.HasPrefix(href, "#") {
						continue // within the article
					}
					if ref, err := url.Parse(href); err == nil {
						c.Attr[i].Val = base.ResolveReference(ref).String()
					}
				}
			}
			walk(c)
		}
	}
	walk(doc)
}

// bodyElements are the elements an extracted body keeps, with the
// attributes each may have (besides lang and dir, which all may): the
// structure and formatting of text, links, images and tables. Other
// elements are unwrapped, their text kept, except those in dropElements.
var bodyElements = map[atom.Atom][]string{
	atom.P: nil, atom.H1: nil, atom.H2: nil, atom.H3: nil, atom.H4: nil, atom.H5: nil, atom.H6: nil,
	atom.A: {"href", "title"}, atom.Img: {"src", "alt", "title", "width", "height"},
	atom.Ul: nil, atom.Ol: nil, atom.Li: nil, atom.Dl: nil, atom.Dt: nil, atom.Dd: nil,
	atom.Blockquote: nil, atom.Q: nil, atom.Pre: nil, atom.Code: nil, atom.Br: nil, atom.Hr: nil,
	atom.B: nil, atom.Strong: nil, atom.I: nil, atom.Em: nil, atom.U: nil, atom.S: nil, atom.Del: nil,
	atom.Sub: nil, atom.Sup: nil, atom.Small: nil, atom.Mark: nil, atom.Cite: nil, atom.Abbr: {"title"},
	atom.Figure: nil, atom.Figcaption: nil, atom.Details: nil, atom.Summary: nil,
	atom.Table: nil, atom.Caption: nil, atom.Thead: nil, atom.Tbody: nil, atom.Tfoot: nil,
	atom.Tr: nil, atom.Th: {"colspan", "rowspan"}, atom.Td: {"colspan", "rowspan"},
}

// dropElements are removed with everything in them.
var dropElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Iframe: true, atom.Frame: true, atom.Frameset: true,
	atom.Object: true, atom.Embed: true, atom.Applet: true, atom.Form: true, atom.Input: true,
	atom.Button: true, atom.Select: true, atom.Textarea: true, atom.Noscript: true,
	atom.Template: true, atom.Svg: true, atom.Math: true, atom.Head: true, atom.Title: true,
	atom.Meta: true, atom.Link: true, atom.Base: true,
}

// cleanBody keeps in the tree below n only the elements and attributes of
// bodyElements, unwrapping others and removing dropElements and tracking
// pixels; a link or image URL with a scheme other than http, https or
// mailto (javascript:, data:) loses its attribute.
func cleanBody(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		switch c.Type {
		case html.ElementNode:
			// go-readability renames elements (a <div> to a <p>) without
			// their atom: Data is the truth.
			c.DataAtom = atom.Lookup([]byte(c.Data))
			keep, ok := bodyElements[c.DataAtom]
			switch {
			case dropElements[c.DataAtom] || c.Namespace != "" || c.DataAtom == atom.Img && isPixel(c):
				n.RemoveChild(c)
			case !ok:
				// Unwrap: its children take its place, and are cleaned in turn.
				if c.FirstChild != nil {
					next = c.FirstChild
				}
				for gc := c.FirstChild; gc != nil; {
					gnext := gc.NextSibling
					c.RemoveChild(gc)
					n.InsertBefore(gc, c)
					gc = gnext
				}
				n.RemoveChild(c)
			default:
				c.Attr = cleanAttrs(c.Attr, keep)
				cleanBody(c)
			}
		case html.TextNode:
		default: // comments, doctypes
			n.RemoveChild(c)
		}
		c = next
	}
}

// scopeToArticle cuts the body of doc down to its <article>, when it has
// exactly one (not counting those inside it) and that one holds at least
// half of the text of the page's paragraphs: what HTML marks as the
// self-contained composition, without the comments, related stories and
// other asides around it, which go-readability recognizes by English
// class names only ("comment", not "comentarios"). A page with a list of
// <article> teasers, or whose article element is a card beside the story,
// is left whole.
func scopeToArticle(doc *html.Node) {
	var articles []*html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.DataAtom == atom.Article {
				articles = append(articles, c)
				continue
			}
			find(c)
		}
	}
	find(doc)
	body := findElement(doc, atom.Body)
	if len(articles) != 1 || body == nil || 2*paragraphText(articles[0]) < paragraphText(body) {
		return
	}
	a := articles[0]
	a.Parent.RemoveChild(a)
	for c := body.FirstChild; c != nil; c = body.FirstChild {
		body.RemoveChild(c)
	}
	body.AppendChild(a)
}

// paragraphText returns how many characters of text the <p> elements
// below n hold.
func paragraphText(n *html.Node) int {
	total := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == atom.P {
			total += utf8.RuneCountInString(strings.TrimSpace(nodeText(c)))
			continue
		}
		total += paragraphText(c)
	}
	return total
}

// Bounds of a standfirst, in characters.
const (
	minStandfirst = 40
	maxStandfirst = 400
)

// standfirst returns the text of the page's standfirst (its dek, its
// summary under the headline) if it is a heading or paragraph right after
// the first <h1>, of minStandfirst to maxStandfirst characters, with its
// white space collapsed; else "". go-readability keeps the element its
// scores pick (the body's) and paragraphs beside it, so a standfirst in an
// <h2> next to the headline is lost: extract puts it back.
func standfirst(doc *html.Node) string {
	h1 := findElement(doc, atom.H1)
	if h1 == nil {
		return ""
	}
	next := h1.NextSibling
	for next != nil && next.Type != html.ElementNode {
		next = next.NextSibling
	}
	if next == nil {
		return ""
	}
	switch next.DataAtom {
	case atom.H2, atom.H3, atom.P:
	default:
		return ""
	}
	text := strings.Join(strings.Fields(nodeText(next)), " ")
	if n := utf8.RuneCountInString(text); n < minStandfirst || n > maxStandfirst {
		return ""
	}
	return text
}

// takeDateline removes from an extracted body the first short block
// (bylineChars characters), among the first maxDatelineBlocks, before its
// first long paragraph that starts with a day ("2024-06-21 18:40 Source:
// …", "14 March 2024"), a dateline, and returns the day; else it returns the zero time. prune took out the
// datelines that mark their date with <time>; this takes those that do
// not.
func takeDateline(body *html.Node) time.Time {
	var day time.Time
	short := 0
	var walk func(*html.Node) bool // reports whether to stop
	walk = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			text := strings.TrimSpace(nodeText(c))
			if utf8.RuneCountInString(text) < bylineChars {
				if short++; short > maxDatelineBlocks {
					return true
				}
				if d := datelineDate(text); !d.IsZero() {
					n.RemoveChild(c)
					day = d
					return true
				}
				continue
			}
			if c.DataAtom == atom.P || walk(c) {
				return true // the body has started, or the dateline is found
			}
		}
		return false
	}
	walk(body)
	return day
}

// maxDatelineBlocks bounds the short blocks takeDateline reads: a
// dateline is near the top, and a page of 30,000 short blocks would
// otherwise be 30,000 tries at parsing dates.
const maxDatelineBlocks = 16

// isPixel reports whether the image img is a tracking pixel: 0 or 1 pixel
// wide or high.
func isPixel(img *html.Node) bool {
	for _, a := range img.Attr {
		if (a.Key == "width" || a.Key == "height") && a.Namespace == "" {
			switch strings.TrimSuffix(strings.TrimSpace(a.Val), "px") {
			case "0", "1":
				return true
			}
		}
	}
	return false
}

// prune removes from doc, before extraction, what go-readability would
// keep of the page around the article:
//
//   - bylines and datelines: elements that go-readability takes for a
//     byline (rel=author, itemprop author, a class or id with "byline",
//     "author" or "dateline": it removes them only when the page's head
//     names no author), and elements that hold a <time> before the first
//     long paragraph (a <time> after it is in a sentence); either only
//     when their text is short (bylineChars characters), so that no
//     article goes with them. The authors and the date are the article's
//     metadata.
//   - advertisements: elements whose class or id is "ad", "ads",
//     "advert", "advertisement", or starts with "ad-", "ads-" or
//     "advert": go-readability knows the label "Advertisement" in a few
//     languages only, and keeps "تبلیغات".
func prune(doc *html.Node) {
	info := make(map[*html.Node]subtree)
	measure(doc, info)
	inBody := false // past the first long paragraph: a <time> there is in a sentence
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == html.ElementNode {
				st := info[c]
				short := st.chars < bylineChars
				switch {
				case isAd(c), short && isByline(c), short && st.hasTime && !inBody:
					n.RemoveChild(c)
				default:
					if c.DataAtom == atom.P && !short {
						inBody = true
					}
					walk(c)
				}
			}
			c = next
		}
	}
	walk(doc)
}

// subtree is what prune needs to know of an element: how much text it
// holds (counted up to bylineChars) and whether it holds a <time>.
type subtree struct {
	chars   int
	hasTime bool
}

// measure records in info the subtree of every element below n, in one
// pass, and returns n's.
func measure(n *html.Node, info map[*html.Node]subtree) subtree {
	var st subtree
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			st.chars += utf8.RuneCountInString(strings.TrimSpace(c.Data))
		case html.ElementNode:
			cst := measure(c, info)
			st.chars += cst.chars
			st.hasTime = st.hasTime || cst.hasTime || c.DataAtom == atom.Time
		}
	}
	st.chars = min(st.chars, bylineChars)
	info[n] = st
	return st
}

// bylineChars bounds the text of an element prune takes for a byline or
// dateline, as go-readability bounds a byline's.
const bylineChars = 100

// bylineRx matches the classes and ids go-readability takes for a
// byline's.
var bylineRx = regexp.MustCompile(`(?i)byline|author|dateline|writtenby|p-author`)

// isByline reports whether n is a byline, by go-readability's rule.
func isByline(n *html.Node) bool {
	for _, a := range n.Attr {
		switch {
		case a.Namespace != "":
		case a.Key == "rel" && strings.EqualFold(strings.TrimSpace(a.Val), "author"),
			a.Key == "itemprop" && strings.Contains(strings.ToLower(a.Val), "author"),
			(a.Key == "class" || a.Key == "id") && bylineRx.MatchString(a.Val):
			return true
		}
	}
	return false
}

// isAd reports whether n's class or id names an advertisement.
func isAd(n *html.Node) bool {
	for _, a := range n.Attr {
		if a.Namespace != "" || a.Key != "class" && a.Key != "id" {
			continue
		}
		for _, tok := range strings.Fields(strings.ToLower(a.Val)) {
			switch {
			case tok == "ad", tok == "ads", tok == "advert", tok == "advertisement",
				strings.HasPrefix(tok, "ad-"), strings.HasPrefix(tok, "ads-"), strings.HasPrefix(tok, "advert"):
				return true
			}
		}
	}
	return false
}

// cleanAttrs returns the attributes of attrs that keep names, and lang and
// dir, with URLs checked.
func cleanAttrs(attrs []html.Attribute, keep []string) []html.Attribute {
	out := attrs[:0]
	for _, a := range attrs {
		if a.Namespace != "" {
			continue
		}
		ok := a.Key == "lang" || a.Key == "dir"
		for _, k := range keep {
			ok = ok || a.Key == k
		}
		if ok && (a.Key == "href" || a.Key == "src") && !safeURL(a.Val) {
			ok = false
		}
		if ok {
			out = append(out, a)
		}
	}
	return out
}

// safeURL reports whether a link or image URL is relative or uses http,
// https or mailto.
func safeURL(s string) bool {
	s = strings.Trim(s, asciiSpace)
	if !hasScheme(s) {
		return !strings.HasPrefix(s, `\`)
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto":
		return true
	}
	return false
}

// findElement returns the first element below n of type a, or nil.
func findElement(n *html.Node, a atom.Atom) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == a {
			return c
		}
		if f := findElement(c, a); f != nil {
			return f
		}
	}
	return nil
}

// decodePage returns an HTML page as UTF-8. The encoding is the one its
// byte order mark or contentType's charset names; otherwise a page that
// is valid UTF-8 is taken as it is, whatever its <meta charset> claims
// (such a claim is usually a template's, and ASCII reads the same either
// way), and any other page is decoded as its <meta charset> says, else
// as windows-1252, as browsers do. A decoder that fails leaves the page
// as it is.
func decodePage(data []byte, contentType string) []byte {
	e, _, certain := charset.DetermineEncoding(data, contentType)
	if e == encoding.Nop || !certain && utf8.Valid(data) {
		return data
	}
	out, err := e.NewDecoder().Bytes(data)
	if err != nil {
		return data
	}
	return out
}

// truncateUTF8 returns at most n bytes of s, cut between characters.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ldArticle is what a page's JSON-LD says about its article.
type ldArticle struct {
	lang, image        string
	published, updated time.Time
	authors            []string // at most maxAuthors+1, so that one too many is seen
}

// articleTypes are the schema.org types of JSON-LD objects that describe
// the page's article.
var articleTypes = map[string]bool{
	"Article": true, "NewsArticle": true, "BlogPosting": true, "ReportageNews": true,
	"AnalysisNewsArticle": true, "OpinionNewsArticle": true, "BackgroundNewsArticle": true,
	"ReviewNewsArticle": true, "LiveBlogPosting": true, "Report": true, "ScholarlyArticle": true,
}

// jsonLD returns what the first JSON-LD object of an article type (at the
// top of a block, in a list or in an @graph) says. Blocks that do not
// decode, and values that are not what schema.org says, are passed over:
// JSON-LD is often written by hand and wrong, and the article does not
// depend on it.
func (m *pageMeta) jsonLD() ldArticle {
	for _, block := range m.ldScripts {
		var v any
		if json.Unmarshal(block, &v) != nil {
			continue
		}
		if obj := findLDArticle(v, 0); obj != nil {
			var a ldArticle
			a.lang, _ = obj["inLanguage"].(string)
			a.published = ldDate(obj["datePublished"])
			a.updated = ldDate(obj["dateModified"])
			switch img := obj["image"].(type) {
			case string:
				a.image = img
			case map[string]any:
				a.image, _ = img["url"].(string)
			case []any:
				if len(img) > 0 {
					switch i := img[0].(type) {
					case string:
						a.image = i
					case map[string]any:
						a.image, _ = i["url"].(string)
					}
				}
			}
			a.image = strings.TrimSpace(a.image)
			a.authors = ldAuthors(obj["author"])
			return a
		}
	}
	return ldArticle{}
}

// ldAuthors returns the names a JSON-LD author value gives: a name, a
// Person or Organization with a name, or a list of these; at most
// maxAuthors+1. (go-readability reads them too, but its JSON-LD reading
// is off: see runExtractor.)
func ldAuthors(v any) []string {
	var names []string
	add := func(v any) {
		var name string
		switch v := v.(type) {
		case string:
			name = v
		case map[string]any:
			name, _ = v["name"].(string)
		}
		if name = strings.TrimSpace(name); name != "" && len(names) <= maxAuthors {
			names = append(names, name)
		}
	}
	if list, ok := v.([]any); ok {
		for _, e := range list {
			add(e)
		}
	} else {
		add(v)
	}
	return names
}

// maxLDDepth bounds how deep findLDArticle looks; articles sit at the
// top, in a list, or in an @graph.
const maxLDDepth = 4

// findLDArticle returns the first object of an article type in v.
func findLDArticle(v any, depth int) map[string]any {
	if depth > maxLDDepth {
		return nil
	}
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if o := findLDArticle(e, depth+1); o != nil {
				return o
			}
		}
	case map[string]any:
		switch t := v["@type"].(type) {
		case string:
			if articleTypes[t] {
				return v
			}
		case []any:
			for _, e := range t {
				if s, ok := e.(string); ok && articleTypes[s] {
					return v
				}
			}
		}
		if g, ok := v["@graph"]; ok {
			return findLDArticle(g, depth+1)
		}
	}
	return nil
}

// ldDate parses a JSON-LD date: RFC 3339 (also without the colon in the
// offset), else its day if it starts with one; anything else is no date.
func ldDate(v any) time.Time {
	s, _ := v.(string)
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t, err = normalizeDate("", t); err == nil {
				return t
			}
			return time.Time{}
		}
	}
	if len(s) >= len(time.DateOnly) {
		if t, err := time.Parse(time.DateOnly, s[:len(time.DateOnly)]); err == nil {
			return t
		}
	}
	return time.Time{}
}
