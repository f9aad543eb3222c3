package ingest

import (
	"bytes"
	"fmt"

	"github.com/samizdat/samizdat/bundle"
)

// ParseText parses a plain text article: the title is the first non-empty
// line, the body is all of data.
func ParseText(name string, data []byte) (*bundle.Article, error) {
	return parseText(name, data, &report{strict: true})
}

// parseText is ParseText, cutting long titles with a warning to r unless r
// is strict.
func parseText(name string, data []byte, r *report) (*bundle.Article, error) {
	if len(data) > maxArticleFileSize {
		return nil, tooLarge(name, len(data), maxArticleFileSize)
	}
	title, line := firstLine(data)
	d := draft{title: title, contentType: typeText, body: data, line: line}
	a, err := d.article(name, 0, r)
	if err != nil {
		return nil, &FileError{Path: name, Line: line, Err: err}
	}
	return a, nil
}

// firstLine returns the first line of data that is not blank, trimmed, and
// its 1-based line number (0 if there is none).
func firstLine(data []byte) (string, int) {
	for n := 1; len(data) > 0; n++ {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		if t := cleanText(string(line)); t != "" {
			return t, n
		}
		data = rest
	}
	return "", 0
}

// tooLarge is the error for input of size bytes beyond limit.
func tooLarge(name string, size, limit int) error {
	return &FileError{Path: name, Err: fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, size, limit)}
}
