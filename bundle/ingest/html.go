package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html"

	"github.com/samizdat/samizdat/bundle"
)

// ParseHTML parses an HTML article. Metadata comes from the document head:
// og:title, else <title>, else the first <h1>; <html lang>;
// article:published_time and article:modified_time; <link rel=canonical>;
// <meta name=author> (one author per tag); <meta name=description>. The
// body is all of data.
func ParseHTML(name string, data []byte) (*bundle.Article, error) {
	return parseHTML(name, data, &report{strict: true})
}

// parseHTML is ParseHTML, cutting long fields with a warning to r unless r
// is strict.
func parseHTML(name string, data []byte, r *report) (*bundle.Article, error) {
	if len(data) > maxArticleFileSize {
		return nil, tooLarge(name, len(data), maxArticleFileSize)
	}
	var (
		d                          = draft{contentType: typeHTML, body: data}
		ogTitle, titleTag, h1      string
		haveLang, haveURL, haveSum bool
		havePub, haveUpd           bool
		inTitle, inH1, h1Done      bool
		titleDone                  bool
		foreign                    int // depth inside <svg> or <math>, whose <title> is not the document's
		inRaw                      bool
		title, heading             strings.Builder
	)
	err := scanHTML(data, func(t *htmlToken) error {
		switch t.typ {
		case html.TextToken:
			switch {
			case inTitle:
				title.Write(t.text)
			case inH1 && !inRaw:
				heading.Write(t.text)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			selfClosing := t.typ == html.SelfClosingTagToken
			switch t.name {
			case "html":
				if !haveLang {
					d.lang, haveLang = t.attr("lang"), true
				}
			case "svg", "math":
				if !selfClosing {
					foreign++
				}
			case "title":
				if foreign == 0 && !titleDone && !selfClosing {
					inTitle = true
				}
			case "h1":
				if !h1Done && !selfClosing {
					inH1 = true
				}
			case "script", "style", "template", "textarea":
				inRaw = !selfClosing
			case "meta":
				content := t.attr("content")
				switch strings.ToLower(t.attr("property")) {
				case "og:title":
					if ogTitle == "" {
						ogTitle = content
					}
				case "article:published_time":
					if !havePub {
						havePub = true
						p, err := parseDate("published", content)
						if err != nil {
							return &FileError{Line: t.line, Err: err}
						}
						d.published = p
					}
				case "article:modified_time":
					if !haveUpd {
						haveUpd = true
						u, err := parseDate("updated", content)
						if err != nil {
							return &FileError{Line: t.line, Err: err}
						}
						d.updated = u
					}
				}
				switch strings.ToLower(t.attr("name")) {
				case "author":
					if len(d.authors) <= maxAuthors {
						d.authors = append(d.authors, content)
					} else {
						d.moreAuthors++ // counted, not held: a page may have millions
					}
					if r.strict && len(d.authors) > maxAuthors {
						return &FileError{Line: t.line, Err: fmt.Errorf("%w: more than %d authors", ErrTooLarge, maxAuthors)}
					}
				case "description":
					if !haveSum {
						d.summary, haveSum = content, true
					}
				}
			case "link":
				if !haveURL && hasToken(t.attr("rel"), "canonical") {
					d.url, haveURL = t.attr("href"), true
				}
			}
		case html.EndTagToken:
			switch t.name {
			case "svg", "math":
				if foreign > 0 {
					foreign--
				}
			case "title":
				if inTitle {
					inTitle, titleDone = false, true
					titleTag = collapseSpace(title.String())
				}
			case "h1":
				if inH1 {
					inH1, h1Done = false, true
					h1 = collapseSpace(heading.String())
				}
			case "script", "style", "template", "textarea":
				inRaw = false
			}
		}
		return nil
	})
	if err != nil {
		return nil, withPath(name, err)
	}
	if inTitle { // unclosed <title>: take what there is
		titleTag = collapseSpace(title.String())
	}
	if inH1 {
		h1 = collapseSpace(heading.String())
	}
	for _, t := range []string{ogTitle, titleTag, h1} {
		if t = collapseSpace(t); t != "" {
			d.title = t
			break
		}
	}
	a, err := d.article(name, 0, r)
	if err != nil {
		return nil, &FileError{Path: name, Err: err}
	}
	return a, nil
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
// An error from fn stops the scan and is returned.
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
