package ingest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"

	"github.com/samizdat/samizdat/bundle"
)

// feedSniffSize is how much of a file is inspected to tell a feed from
// other XML; gofeed uses the same window when it detects feed types.
const feedSniffSize = 4096

// ParseFeed parses an RSS (0.9x, 1.0, 2.0) or Atom feed, one article per
// item. The id is the item's guid or Atom id, else its link, else
// "name#N"; the body is content:encoded or Atom content, else the
// description or Atom summary (then also the summary); the language is the
// feed's. Bodies are text/html. XML that is not a feed, and JSON feeds, are
// ErrMalformed.
func ParseFeed(name string, data []byte) ([]*bundle.Article, error) {
	return parseFeed(name, data, &report{strict: true})
}

// parseFeed is ParseFeed; unless r is strict, an item that is not a valid
// article is skipped, and long fields are cut, with a warning to r.
func parseFeed(name string, data []byte, r *report) ([]*bundle.Article, error) {
	if len(data) > maxParsedFileSize {
		return nil, tooLarge(name, len(data), maxParsedFileSize)
	}
	sniff := data[:min(len(data), feedSniffSize)]
	switch gofeed.DetectFeedType(bytes.NewReader(sniff)) {
	case gofeed.FeedTypeRSS, gofeed.FeedTypeAtom:
	default:
		return nil, &FileError{Path: name, Err: fmt.Errorf("%w: not an rss or atom feed", ErrMalformed)}
	}
	if err := checkFeedShape(data); err != nil {
		return nil, &FileError{Path: name, Err: err}
	}
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(data))
	if err != nil {
		fe := &FileError{Path: name, Err: fmt.Errorf("%w: feed: %v", ErrMalformed, err)}
		var syn *xml.SyntaxError
		if errors.As(err, &syn) {
			fe.Line = syn.Line
		}
		return nil, fe
	}
	if len(feed.Items) > maxArticlesPerFile {
		return nil, &FileError{Path: name, Err: fmt.Errorf("%w: %d items, limit %d", ErrTooLarge, len(feed.Items), maxArticlesPerFile)}
	}
	var fallback *langGuess
	if canonicalLang(feed.Language) == "und" {
		fallback = feedLang(feed)
	}
	out := make([]*bundle.Article, 0, len(feed.Items))
	for i, it := range feed.Items {
		if it == nil {
			continue
		}
		a, err := feedArticle(name, i+1, feed, it, fallback, r)
		if err != nil {
			if r.strict {
				return nil, &FileError{Path: name, Err: fmt.Errorf("item %d: %w", i+1, err)}
			}
			r.skip(i+1, err)
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// feedLang guesses the language of a feed that names none from the titles
// and descriptions of its items: an item too short to tell alone takes it
// (see draft.language). It returns nil if the feed does not tell either.
func feedLang(feed *gofeed.Feed) *langGuess {
	var b strings.Builder
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		if b.Len() >= maxLangSample {
			break
		}
		b.WriteString(it.Title)
		b.WriteByte('\n')
		htmlText(&b, []byte(it.Description), maxLangSample)
		b.WriteByte('\n')
	}
	g := detectLang(b.String())
	if g.lang == "und" {
		return nil
	}
	return &g
}

// feedArticle converts the index-th (1-based) item of feed; fallback is
// the feed's language guess, if any.
func feedArticle(name string, index int, feed *gofeed.Feed, it *gofeed.Item, fallback *langGuess, r *report) (*bundle.Article, error) {
	d := draft{
		id:          it.GUID,
		title:       it.Title,
		lang:        feed.Language,
		url:         it.Link,
		contentType: typeHTML,
		fallback:    fallback,
	}
	if strings.TrimSpace(it.Content) != "" {
		d.body = []byte(it.Content)
		d.summary = it.Description
	} else {
		d.body = []byte(it.Description)
	}
	people := it.Authors
	if len(people) == 0 {
		people = feed.Authors // Atom: entries inherit the feed's authors
	}
	for _, p := range people {
		if p == nil {
			continue
		}
		if n := strings.TrimSpace(p.Name); n != "" {
			d.authors = append(d.authors, n)
		} else if e := strings.TrimSpace(p.Email); e != "" {
			d.authors = append(d.authors, e)
		}
	}
	var err error
	if d.published, err = feedDate("published", it.Published, it.PublishedParsed); err != nil {
		return nil, err
	}
	if d.updated, err = feedDate("updated", it.Updated, it.UpdatedParsed); err != nil {
		return nil, err
	}
	return d.article(name, index, r)
}

// feedDate returns the date gofeed parsed from raw; a date that is present
// but unparseable is ErrMalformed.
func feedDate(field, raw string, parsed *time.Time) (time.Time, error) {
	if parsed == nil {
		if strings.TrimSpace(raw) != "" {
			return time.Time{}, fmt.Errorf("%w: %s date %s is not a date", ErrMalformed, field, quote(raw))
		}
		return time.Time{}, nil
	}
	return normalizeDate(field, *parsed)
}

// checkFeedShape tokenizes data as gofeed does and rejects feeds that are
// nested too deeply (gofeed recurses once per level, and a deep enough
// document overflows the stack, which no recover can catch) or that have
// too many items or elements to be held in memory as parsed items. It
// stops quietly at the first syntax error, which gofeed reports when it
// reaches it.
func checkFeedShape(data []byte) error {
	d := xml.NewDecoder(&controlCharFilter{r: bytes.NewReader(data)})
	d.Strict = false
	d.CharsetReader = charset.NewReaderLabel
	depth, elements, items := 0, 0, 0
	for {
		tok, err := d.Token()
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			elements++
			if depth > maxFeedDepth {
				return fmt.Errorf("%w: xml nested deeper than %d elements", ErrMalformed, maxFeedDepth)
			}
			if elements > maxFeedElements {
				return fmt.Errorf("%w: more than %d xml elements", ErrTooLarge, maxFeedElements)
			}
			if n := strings.ToLower(t.Name.Local); n == "item" || n == "entry" {
				if items++; items > maxArticlesPerFile {
					return fmt.Errorf("%w: more than %d items", ErrTooLarge, maxArticlesPerFile)
				}
			}
		case xml.EndElement:
			depth--
		}
	}
}

// controlCharFilter drops the C0 control bytes that are illegal in XML,
// as gofeed does before parsing, so that checkFeedShape sees the tokens
// gofeed sees.
type controlCharFilter struct{ r io.Reader }

func (c *controlCharFilter) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		w := 0
		for _, b := range p[:n] {
			if b < 0x20 && b != '\t' && b != '\n' && b != '\r' {
				continue
			}
			p[w] = b
			w++
		}
		if w > 0 || err != nil {
			return w, err
		}
	}
}
