package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/samizdat/samizdat/bundle"
)

// ParseHTML parses an HTML page read from a file: the body is the article
// the page holds, without the site around it (see ParsePage); relative
// links and images stay relative to the file.
func ParseHTML(name string, data []byte) (*bundle.Article, error) {
	return parsePage(name, data, nil, "", &report{strict: true})
}

// parseHTML is ParseHTML, cutting long fields with a warning to r unless r
// is strict, and keeping the page whole if r says so.
func parseHTML(name string, data []byte, r *report) (*bundle.Article, error) {
	return parsePage(name, data, nil, "", r)
}

// ParsePage parses an HTML page fetched from pageURL, whose HTTP
// Content-Type was contentType ("" if unknown; its charset, if any, wins
// over the page's own <meta charset>). pageURL names the page in errors
// and warnings, links in the body are made absolute against it, and it is
// the article's url, and so its id, when the page names no canonical URL.
// Images stay as the page writes them: fetching them, and making them
// attachments, is the caller's. A nil pageURL is a page read from a file,
// as ParseHTML reads it, but with an empty name.
//
// The body is the article's main content as HTML, found by go-readability
// (the Go port of Firefox's Reader View): headings, paragraphs, quotes,
// lists, tables, figures with their captions, images and links, without
// the navigation, cookie banners, advertisements, share buttons, related
// links, comments and footer around it, and without the headline, which
// is the title, or the byline and dateline, which are the authors and the
// date (see extract for what is done besides go-readability). Only a small
// set of elements and attributes is kept (see cleanBody), so the body
// holds no script, style, frame, form, event handler or tracking pixel.
// With opts.KeepPage the body is the page as it came instead.
//
// Metadata comes from the page's head where it has it, else from the page:
//
//   - title: og:title, else the first <h1> if <title> holds it, else the
//     title go-readability finds (<title> without the site's name), else
//     <title>, else the first <h1>;
//   - lang: <html lang>, else the JSON-LD article's inLanguage, else the
//     language detected in the title and body (see detectLang);
//   - published and updated: article:published_time and
//     article:modified_time, else the JSON-LD article's datePublished and
//     dateModified; else, for the published date, the first <time
//     datetime> in the <article>, else the day of a dateline that opens
//     the extracted body ("2024-06-21 18:40 Source: …");
//   - url: <link rel=canonical>, made absolute against pageURL, else
//     pageURL;
//   - authors: <meta name=author>, one author per tag, else the JSON-LD
//     article's author, else the byline go-readability finds in the page;
//   - summary: <meta name=description>, else og:description;
//   - the lead image (og:image, JSON-LD image) opens the body when the
//     extracted body has no image.
//
// With opts.KeepPage nothing is extracted: the title is og:title, else
// <title>, else the first <h1>; the rest is as above, the language
// detected on the page's text. A page over maxPageSize bytes (256 MiB
// with KeepPage), or in which no text but the title is found, is an
// error; so is a date in the head that does not parse.
//
// opts.Strict and opts.Warn apply as in Walk: without Strict, an over-long
// title, summary or author is cut with a Warning to opts.Warn, whose Path
// is pageURL.
func ParsePage(data []byte, pageURL *url.URL, contentType string, opts Options) (*bundle.Article, error) {
	name := ""
	if pageURL != nil {
		name = pageURL.String()
	}
	r := &report{strict: opts.Strict, keepPage: opts.KeepPage, warn: func(w Warning) {
		if opts.Warn != nil {
			w.Path = name
			opts.Warn(w)
		}
	}}
	return parsePage(name, data, pageURL, contentType, r)
}

// parsePage is ParsePage for a page named name (a path below the input
// root, or a URL), fetched from base (nil for a file), reporting cut
// fields to r unless r is strict.
func parsePage(name string, data []byte, base *url.URL, contentType string, r *report) (*bundle.Article, error) {
	limit := maxPageSize
	if r.keepPage {
		limit = maxArticleFileSize
	}
	if len(data) > limit {
		return nil, tooLarge(name, len(data), limit)
	}
	page := decodePage(data, contentType)
	m, err := scanPage(page, r.strict)
	if err != nil {
		return nil, withPath(name, err)
	}
	d := draft{
		lang:        m.lang,
		url:         m.canonical,
		authors:     m.authors,
		moreAuthors: m.moreAuthors,
		summary:     m.description,
		published:   m.published,
		updated:     m.updated,
		contentType: typeHTML,
	}
	if base != nil {
		if d.url != "" {
			if u, err := base.Parse(strings.TrimSpace(d.url)); err == nil {
				d.url = u.String()
			}
		} else {
			d.url = base.String()
		}
	}
	ld := m.jsonLD()
	if d.lang == "" {
		d.lang = ld.lang
	}
	if d.published.IsZero() {
		d.published = ld.published
	}
	if d.updated.IsZero() {
		d.updated = ld.updated
	}
	if d.published.IsZero() {
		d.published = m.timeDate
	}
	if d.summary == "" {
		d.summary = m.ogDescription
	}

	if r.keepPage {
		d.body = data
		d.title = firstNonEmpty(m.ogTitle, m.titleTag, m.h1)
		d.text = d.title + "\n" + m.text.String()
	} else if err := d.extractPage(page, base, m, ld); err != nil {
		return nil, &FileError{Path: name, Err: err}
	}
	a, err := d.article(name, 0, r)
	if err != nil {
		return nil, &FileError{Path: name, Err: err}
	}
	return a, nil
}

// extractPage sets d's title, body and text from the article extracted
// from page, and its authors and date from it where the head (m) and the
// JSON-LD article (ld) named none. Links in the body are made absolute
// against base, else against d's url if it is absolute. A page over the
// limits of checkSize is an error, before anything is extracted.
func (d *draft) extractPage(page []byte, base *url.URL, m *pageMeta, ld ldArticle) error {
	if err := m.checkSize(); err != nil {
		return err
	}
	linkBase := base
	if u, err := url.Parse(strings.TrimSpace(d.url)); linkBase == nil && err == nil && u.IsAbs() {
		linkBase = u
	}
	x, err := extract(page, linkBase)
	if err != nil {
		return err
	}
	d.title = firstNonEmpty(m.ogTitle, m.headline(), x.title, m.titleTag, m.h1)
	if d.body, err = x.render(d.title, firstNonEmpty(m.ogImage, ld.image)); err != nil {
		return err
	}
	d.text = d.title + "\n" + x.text
	if len(d.authors) == 0 {
		d.authors = ld.authors
	}
	if len(d.authors) == 0 {
		d.authors = x.authors
	}
	if d.published.IsZero() {
		d.published = x.date
	}
	return nil
}

// firstNonEmpty returns the first of ss that is not empty once its white
// space is collapsed, collapsed.
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = collapseSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// pageMeta is what the head of a page (and its first <h1>) says about
// the article, as scanPage finds it.
type pageMeta struct {
	lang, canonical, description, ogDescription string
	ogTitle, titleTag, h1, ogImage              string
	published, updated                          time.Time
	timeDate                                    time.Time // of the first <time datetime> in an <article>, before its first long paragraph
	authors                                     []string
	moreAuthors                                 int
	elements                                    int             // start tags, and end tags html.Parse makes an element of
	attributes                                  int             // of start tags
	reopened                                    fmtList         // formatting elements html.Parse may reopen
	ldScripts                                   [][]byte        // JSON-LD blocks, at most maxJSONLDSize bytes in all
	text                                        strings.Builder // visible text, at most maxLangSample bytes
}

// scanPage reads the metadata of an HTML page with a streaming tokenizer,
// without building a tree. A date in the head that does not parse is an
// error, with its line; so, if strict, are authors beyond maxAuthors.
func scanPage(data []byte, strict bool) (*pageMeta, error) {
	s := pageScanner{m: new(pageMeta), strict: strict}
	if err := scanHTML(data, s.token); err != nil {
		return nil, err
	}
	s.finish()
	return s.m, nil
}

// pageScanner is scanPage's state between tokens: what it has found so
// far, in m, and where in the page it is.
type pageScanner struct {
	m                          *pageMeta
	strict                     bool // authors beyond maxAuthors are an error
	haveLang, haveURL, haveSum bool
	havePub, haveUpd           bool
	inTitle, inH1, h1Done      bool
	titleDone                  bool
	foreign                    int    // depth inside <svg> or <math>, whose <title> is not the document's
	raw                        string // the raw text element we are in: script, style, template, textarea
	inLD                       bool   // in a JSON-LD script
	ldSize                     int
	inArticle                  int  // depth inside <article>
	inP                        bool // in a <p>, whose text paraChars counts
	paraChars                  int
	pastLead                   bool // past the first long paragraph: a <time> there is in a sentence
	unendedP                   int  // <p> start tags not yet matched by a </p>
	title, heading             strings.Builder
}

// token takes one token of the page; its error, with the token's line,
// stops the scan.
func (s *pageScanner) token(t *htmlToken) error {
	s.m.reopened.token(t)
	switch t.typ {
	case html.TextToken:
		s.text(t)
	case html.StartTagToken, html.SelfClosingTagToken:
		if t.name == "p" {
			s.unendedP++
		}
		return s.start(t)
	case html.EndTagToken:
		s.endElement(t)
		s.end(t)
	}
	return nil
}

// endElement counts the end tags html.Parse makes an element of: a </br>
// is a <br>, and a </p> with no <p> open opens and closes an empty one.
// Without them, a page of nothing but "</br>" made four million elements
// and 480 MB of html.Parse's tree, uncounted, from 16 MiB. A </p> is
// counted when no <p> start tag before it is left unmatched. html.Parse
// may have closed a <p> already, for a block that began inside it, so
// this may count fewer than it builds, but short by at most one for each
// <p> tag, which is counted itself.
func (s *pageScanner) endElement(t *htmlToken) {
	switch {
	case t.name == "br":
		s.m.elements++
	case t.name == "p" && s.unendedP > 0:
		s.unendedP--
	case t.name == "p":
		s.m.elements++
	}
}

// text takes a text token: the <title>'s, a JSON-LD block's, nothing of
// other raw text elements, else visible text, which may be the first
// <h1>'s and a paragraph's.
func (s *pageScanner) text(t *htmlToken) {
	switch {
	case s.inTitle:
		writeUpTo(&s.title, t.text, maxTitleScan)
	case s.inLD:
		if s.ldSize += len(t.text); s.ldSize <= maxJSONLDSize {
			last := len(s.m.ldScripts) - 1
			s.m.ldScripts[last] = append(s.m.ldScripts[last], t.text...)
		}
	case s.raw != "":
	default:
		if s.inP {
			s.paraChars += utf8.RuneCount(bytes.TrimSpace(t.text))
		}
		if s.inH1 {
			writeUpTo(&s.heading, t.text, maxTitleScan)
		}
		writeUpTo(&s.m.text, t.text, maxLangSample)
	}
}

// writeUpTo appends to b as much of p as keeps it within limit bytes.
func writeUpTo(b *strings.Builder, p []byte, limit int) {
	if b.Len() < limit {
		b.Write(p[:min(len(p), limit-b.Len())])
	}
}

// start takes a start or self-closing tag. A self-closing tag opens no
// element, so it enters none of the elements tracked.
func (s *pageScanner) start(t *htmlToken) error {
	s.m.elements++
	s.m.attributes += len(t.attrs)
	selfClosing := t.typ == html.SelfClosingTagToken
	switch t.name {
	case "html":
		if !s.haveLang {
			s.m.lang, s.haveLang = t.attr("lang"), true
		}
	case "svg", "math":
		if !selfClosing {
			s.foreign++
		}
	case "title":
		if s.foreign == 0 && !s.titleDone && !selfClosing {
			s.inTitle = true
		}
	case "h1":
		if !s.h1Done && !selfClosing {
			s.inH1 = true
		}
	case "article":
		if !selfClosing {
			s.inArticle++
		}
	case "time":
		if s.inArticle > 0 && !s.pastLead && s.m.timeDate.IsZero() {
			s.m.timeDate = ldDate(t.attr("datetime"))
		}
	case "p":
		s.inP, s.paraChars = !selfClosing, 0
	case "script", "style", "template", "textarea":
		if !selfClosing {
			s.startRaw(t)
		}
	case "meta":
		if err := s.meta(t); err != nil {
			return err
		}
	case "link":
		if !s.haveURL && hasToken(t.attr("rel"), "canonical") {
			s.m.canonical, s.haveURL = t.attr("href"), true
		}
	}
	if isBlock[t.name] && s.m.text.Len() < maxLangSample {
		s.m.text.WriteByte('\n')
	}
	return nil
}

// startRaw enters a raw text element, opening a JSON-LD block if it is
// one and the blocks so far are within maxJSONLDSize.
func (s *pageScanner) startRaw(t *htmlToken) {
	s.raw = t.name
	if t.name == "script" && strings.EqualFold(strings.TrimSpace(t.attr("type")), "application/ld+json") && s.ldSize <= maxJSONLDSize {
		s.inLD = true
		s.m.ldScripts = append(s.m.ldScripts, nil)
	}
}

// meta takes a <meta> tag: Open Graph and article properties, the
// author and the description. The first of each wins, but for authors,
// who are all kept.
func (s *pageScanner) meta(t *htmlToken) error {
	content := t.attr("content")
	switch strings.ToLower(t.attr("property")) {
	case "og:title":
		if s.m.ogTitle == "" {
			s.m.ogTitle = content
		}
	case "og:image":
		if s.m.ogImage == "" {
			s.m.ogImage = strings.TrimSpace(content)
		}
	case "og:description":
		if s.m.ogDescription == "" {
			s.m.ogDescription = content
		}
	case "article:published_time":
		if err := metaDate(&s.m.published, &s.havePub, "published", content, t.line); err != nil {
			return err
		}
	case "article:modified_time":
		if err := metaDate(&s.m.updated, &s.haveUpd, "updated", content, t.line); err != nil {
			return err
		}
	}
	switch strings.ToLower(t.attr("name")) {
	case "author":
		return s.author(content, t.line)
	case "description":
		if !s.haveSum {
			s.m.description, s.haveSum = content, true
		}
	}
	return nil
}

// metaDate sets *date to content, the field date of a <meta> tag at line,
// unless *have says an earlier tag set it. A date that does not parse is
// an error, even if empty.
func metaDate(date *time.Time, have *bool, field, content string, line int) error {
	if *have {
		return nil
	}
	*have = true
	d, err := parseDate(field, content)
	if err != nil {
		return &FileError{Line: line, Err: err}
	}
	*date = d
	return nil
}

// author takes the author of a <meta name=author> at line. Authors
// beyond maxAuthors+1 are counted, not held: a page may have millions.
// If strict, more than maxAuthors is an error.
func (s *pageScanner) author(name string, line int) error {
	if cleanText(name) == "" {
		return nil // names nobody: article drops it, so it counts for no limit
	}
	if len(s.m.authors) <= maxAuthors {
		s.m.authors = append(s.m.authors, name)
	} else {
		s.m.moreAuthors++
	}
	if s.strict && len(s.m.authors) > maxAuthors {
		return &FileError{Line: line, Err: fmt.Errorf("%w: more than %d authors", ErrTooLarge, maxAuthors)}
	}
	return nil
}

// end takes an end tag, leaving the elements it closes; the first
// <title> and <h1> to close are the page's.
func (s *pageScanner) end(t *htmlToken) {
	switch t.name {
	case "svg", "math":
		if s.foreign > 0 {
			s.foreign--
		}
	case "title":
		if s.inTitle {
			s.inTitle, s.titleDone = false, true
			s.m.titleTag = scannedTitle(&s.title)
		}
	case "h1":
		if s.inH1 {
			s.inH1, s.h1Done = false, true
			s.m.h1 = scannedTitle(&s.heading)
		}
	case "article":
		if s.inArticle > 0 {
			s.inArticle--
		}
	case "p":
		if s.inP && s.paraChars >= bylineChars {
			s.pastLead = true
		}
		s.inP = false
	case s.raw:
		s.raw, s.inLD = "", false
	}
}

// finish ends the scan: an unclosed <title> or <h1> gives what there is.
func (s *pageScanner) finish() {
	if s.inTitle {
		s.m.titleTag = scannedTitle(&s.title)
	}
	if s.inH1 {
		s.m.h1 = scannedTitle(&s.heading)
	}
}

// scannedTitle returns the text of a <title> or <h1> as scanned, cut to
// maxTitleScan bytes and its white space collapsed.
func scannedTitle(b *strings.Builder) string {
	return collapseSpace(truncateUTF8(b.String(), maxTitleScan))
}

// checkSize returns an ErrTooLarge error if the page is over a limit on
// the elements html.Parse would build of it (see shape.go).
func (m *pageMeta) checkSize() error {
	switch {
	case m.elements > maxPageElements:
		return fmt.Errorf("%w: more than %d html elements to extract the article from", ErrTooLarge, maxPageElements)
	case m.attributes > maxPageAttributes:
		return fmt.Errorf("%w: more than %d html attributes to extract the article from", ErrTooLarge, maxPageAttributes)
	case m.reopened.overflow:
		return fmt.Errorf("%w: more than %d formatting elements left open", ErrTooLarge, maxOpenFormatting)
	case m.reopened.clones > maxReopenedElements:
		return fmt.Errorf("%w: more than %d html elements reopened by formatting elements left open", ErrTooLarge, maxReopenedElements)
	}
	return nil
}

// headline returns the first <h1> if <title> holds it, as in "Headline |
// Site", else "": then it is the headline without the site's name, which
// go-readability does not always take off ("Headline_News_Site").
func (m *pageMeta) headline() string {
	if m.h1 != "" && strings.Contains(collapseSpace(m.titleTag), m.h1) {
		return m.h1
	}
	return ""
}

// htmlToken is one token of an HTML document with what scanHTML callers
// need of it.
type htmlToken struct {
	typ   html.TokenType
	name  string // lowercased tag name
	attrs []html.Attribute
	text  []byte // for text tokens; valid only during the callback
	line  int    // 1-based line where the token starts
}

// attr returns the value of the attribute key (lowercase), or "".
func (t *htmlToken) attr(key string) string {
	for _, a := range t.attrs {
		if a.Key == key && a.Namespace == "" {
			return a.Val
		}
	}
	return ""
}

// scanHTML tokenizes data without building a tree, calling fn for each
// start, self-closing and end tag, and for text tokens, with line numbers.
// An error from fn stops the scan and is returned, as does a tag of more
// than maxTagAttributes attributes (ErrTooLarge).
func scanHTML(data []byte, fn func(*htmlToken) error) error {
	z := html.NewTokenizer(bytes.NewReader(data))
	line := 1
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return &FileError{Line: line, Err: fmt.Errorf("%w: html: %v", ErrMalformed, err)}
			}
			return nil
		}
		start := line
		line += bytes.Count(z.Raw(), []byte("\n"))
		t := htmlToken{typ: tt, line: start}
		switch tt {
		case html.TextToken:
			t.text = z.Text()
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, more := z.TagName()
			t.name = string(name)
			for more {
				if len(t.attrs) == maxTagAttributes {
					return &FileError{Line: start, Err: fmt.Errorf("%w: html: a tag of more than %d attributes", ErrTooLarge, maxTagAttributes)}
				}
				var k, v []byte
				k, v, more = z.TagAttr()
				t.attrs = append(t.attrs, html.Attribute{Key: string(k), Val: string(v)})
			}
		default:
			continue
		}
		if err := fn(&t); err != nil {
			return err
		}
	}
}

// hasToken reports whether the space-separated list s contains tok,
// ignoring ASCII case, as HTML's rel attribute is matched.
func hasToken(s, tok string) bool {
	for _, f := range strings.Fields(s) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}
