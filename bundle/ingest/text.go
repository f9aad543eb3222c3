package ingest

import (
	"fmt"

	"github.com/samizdat/samizdat/bundle"
)

// ParseText parses a plain text article: the title is the first non-empty
// line, the body is all of data. A text that starts like a web page saved
// as text (a few short lines of site navigation) is the exception: its
// title is the headline below them, its body starts there, and a dateline
// and byline under the headline give its published date and authors (see
// textHead).
func ParseText(name string, data []byte) (*bundle.Article, error) {
	return parseText(name, data, &report{strict: true})
}

// parseText is ParseText, cutting long titles with a warning to r unless r
// is strict.
func parseText(name string, data []byte, r *report) (*bundle.Article, error) {
	if len(data) > maxArticleFileSize {
		return nil, tooLarge(name, len(data), maxArticleFileSize)
	}
	h := textHead(data)
	body := data[h.start:]
	d := draft{
		title:       h.title,
		published:   h.published,
		authors:     h.authors,
		contentType: typeText,
		body:        body,
		line:        h.line,
		text:        string(body[:min(len(body), maxLangSample)]),
	}
	a, err := d.article(name, 0, r)
	if err != nil {
		return nil, &FileError{Path: name, Line: h.line, Err: err}
	}
	return a, nil
}

// tooLarge is the error for input of size bytes beyond limit.
func tooLarge(name string, size, limit int) error {
	return &FileError{Path: name, Err: fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, size, limit)}
}
