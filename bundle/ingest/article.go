package ingest

import (
	"bytes"
	"fmt"
	"mime"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/samizdat/samizdat/bundle"
)

// Content types of ingested articles.
const (
	typeText     = "text/plain"
	typeMarkdown = "text/markdown"
	typeHTML     = "text/html"
)

// draft is an article's metadata as found in its source, before defaults
// are applied and limits checked. Dates are parsed by the format code, which
// knows the line they came from.
type draft struct {
	id, title, lang, url, summary, contentType string
	published, updated                         time.Time
	authors                                    []string
	moreAuthors                                int // authors beyond maxAuthors+1 that a parser did not keep
	body                                       []byte
	line                                       int // where the article (or its title) starts, for warnings; 0 if not known

	// text is what the language is detected on when the source names
	// none, if not the title, summary and body (see langText). fallback,
	// if set, is a guess for the whole file (a feed's), taken when the
	// text alone is too short to tell and is in the same script.
	text     string
	fallback *langGuess
}

// article applies the id and title fallbacks, canonicalizes the language
// and checks field limits. index is 0 for a single-article file and the
// 1-based position of the article otherwise; it shapes the fallback id
// "name#index". An invalid id or url is an error, since they are never
// rewritten; a title, summary or author name over its limit, or authors
// beyond it, are cut with a warning to r, or, if r is strict, an error.
// Errors wrap ErrMalformed or ErrTooLarge and carry no file name.
func (d *draft) article(name string, index int, r *report) (*bundle.Article, error) {
	u := strings.TrimSpace(d.url)
	if err := checkField("url", u, maxURLLen); err != nil {
		return nil, err
	}
	if strings.IndexFunc(u, unicode.IsSpace) >= 0 {
		return nil, fmt.Errorf("%w: url %s contains white space", ErrMalformed, quote(u))
	}
	id, err := d.articleID(u, name, index)
	if err != nil {
		return nil, err
	}

	fit := func(field, what, s string, limit int) (string, error) {
		if len(s) <= limit {
			return s, nil
		}
		err := fmt.Errorf("%w: %s is %d bytes, limit %d", ErrTooLarge, what, len(s), limit)
		if r.strict {
			return "", err
		}
		r.add(Warning{Kind: Cut, Line: d.line, Item: index, Field: field, Err: err})
		return cutText(s, limit), nil
	}
	title := cleanText(d.title)
	if title == "" {
		title = cleanText(path.Base(name))
	}
	title, err = fit("title", "title", title, maxTitleLen)
	if err != nil {
		return nil, err
	}
	summary, err := fit("summary", "summary", cleanText(d.summary), maxSummaryLen)
	if err != nil {
		return nil, err
	}
	var authors []string
	for _, a := range d.authors {
		a = cleanText(a)
		if a == "" {
			continue
		}
		if a, err = fit("author", "author name", a, maxAuthorLen); err != nil {
			return nil, err
		}
		authors = append(authors, a)
	}
	if n := len(authors) + d.moreAuthors; n > maxAuthors {
		err := fmt.Errorf("%w: %d authors, limit %d", ErrTooLarge, n, maxAuthors)
		if r.strict {
			return nil, err
		}
		r.add(Warning{Kind: Cut, Line: d.line, Item: index, Field: "authors", Err: err})
		authors = authors[:min(len(authors), maxAuthors)]
	}

	return &bundle.Article{
		ID:          id,
		Title:       title,
		Lang:        d.language(),
		Published:   d.published,
		Updated:     d.updated,
		URL:         u,
		Authors:     authors,
		Summary:     summary,
		ContentType: d.contentType,
		Body:        d.body,
	}, nil
}

// articleID returns the article's id: its own, else u, its url,
// else name, with "#index" if index is not 0. No id at all, or one that
// checkField rejects, is an error.
func (d *draft) articleID(u, name string, index int) (string, error) {
	id := strings.TrimSpace(d.id)
	if id == "" {
		id = u
	}
	if id == "" {
		id = name
		if index > 0 {
			id += "#" + strconv.Itoa(index)
		}
	}
	if id == "" {
		return "", fmt.Errorf("%w: no id, url or file name", ErrMalformed)
	}
	if err := checkField("id", id, maxIDLen); err != nil {
		return "", err
	}
	return id, nil
}

// language returns the article's language: the one its source names, if
// it is a well-formed tag other than "und", else the one detected in
// d.text, else the fallback's when the text is in the fallback's script,
// else "und".
func (d *draft) language() string {
	if l := canonicalLang(d.lang); l != "und" {
		return l
	}
	text := d.text
	if text == "" {
		text = langText(d.contentType, d.body, d.title, d.summary)
	}
	g := detectLang(text)
	if g.lang == "und" && d.fallback != nil && d.fallback.script == g.script {
		return d.fallback.lang
	}
	return g.lang
}

// checkField rejects ids and urls that are too long, not UTF-8 or contain
// control characters: they are keys and links, and are never rewritten.
func checkField(field, s string, limit int) error {
	switch {
	case len(s) > limit:
		return fmt.Errorf("%w: %s is %d bytes, limit %d", ErrMalformed, field, len(s), limit)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s %s is not valid utf-8", ErrMalformed, field, quote(s))
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: %s %s contains control characters", ErrMalformed, field, quote(s))
	}
	return nil
}

// cleanText makes s valid UTF-8 and trims white space and byte order marks.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' })
}

// collapseSpace trims s and replaces every run of ASCII white space with
// one space, as HTML renders text; other spaces, such as the ideographic
// space of CJK titles, are kept.
func collapseSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r < utf8.RuneSelf && strings.ContainsRune(asciiSpace, r)
	}), " ")
}

// maxLangTagLen is far beyond any real BCP 47 tag; longer values are not
// handed to the parser and count as unparseable.
const maxLangTagLen = 128

// canonicalLang returns the canonical BCP 47 form of s, or "und" when s is
// empty or not a well-formed tag.
func canonicalLang(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxLangTagLen {
		return "und"
	}
	t, err := language.Parse(s)
	if err != nil {
		return "und"
	}
	return t.String()
}

// parseDate accepts RFC 3339 and YYYY-MM-DD; empty means unknown (the zero
// time). field names the date in errors.
func parseDate(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.Parse(time.DateOnly, s)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s date %s is neither rfc 3339 nor yyyy-mm-dd", ErrMalformed, field, quote(s))
	}
	return normalizeDate(field, t)
}

// normalizeDate converts t to UTC with second precision and rejects years
// that RFC 3339 cannot represent.
func normalizeDate(field string, t time.Time) (time.Time, error) {
	t = t.UTC().Truncate(time.Second)
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, fmt.Errorf("%w: %s date has year %d, outside 1 to 9999", ErrMalformed, field, y)
	}
	return t, nil
}

// mediaType returns the media type of s without parameters, lowercased.
func mediaType(s string) (string, error) {
	mt, _, err := mime.ParseMediaType(s)
	if err != nil {
		return "", fmt.Errorf("%w: content type %s: %v", ErrMalformed, quote(s), err)
	}
	return mt, nil
}

// maxQuoted bounds how much of an offending value an error message quotes.
const maxQuoted = 64

// quote returns s quoted for an error message, shortened if long.
func quote(s string) string {
	if len(s) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}
