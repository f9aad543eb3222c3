package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/samizdat/samizdat/bundle"
)

// jsonArticle is the JSON form of an article. Unknown keys are ignored.
type jsonArticle struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Lang        string      `json:"lang"`
	Published   string      `json:"published"`
	Updated     string      `json:"updated"`
	URL         string      `json:"url"`
	Authors     jsonAuthors `json:"authors"`
	Summary     string      `json:"summary"`
	ContentType string      `json:"content_type"`
	Body        *string     `json:"body"`
}

// jsonAuthors accepts a list of strings or a single string.
type jsonAuthors []string

func (a *jsonAuthors) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = jsonAuthors{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("authors: want a string or a list of strings")
	}
	*a = list
	return nil
}

// draft converts j to a draft; it fails on a missing body, bad dates or a
// bad content type.
func (j *jsonArticle) draft() (draft, error) {
	if j.Body == nil {
		return draft{}, fmt.Errorf("%w: missing body", ErrMalformed)
	}
	d := draft{
		id:          j.ID,
		title:       j.Title,
		lang:        j.Lang,
		url:         j.URL,
		summary:     j.Summary,
		authors:     j.Authors,
		contentType: typeText,
		body:        []byte(*j.Body),
	}
	if j.ContentType != "" {
		mt, err := mediaType(j.ContentType)
		if err != nil {
			return draft{}, err
		}
		d.contentType = mt
	}
	var err error
	if d.published, err = parseDate("published", j.Published); err != nil {
		return draft{}, err
	}
	if d.updated, err = parseDate("updated", j.Updated); err != nil {
		return draft{}, err
	}
	return d, nil
}

// ParseJSON parses a JSON object, or an array of objects, each one article
// with the keys id, title, lang, published, updated, url, authors, summary,
// content_type (default text/plain) and body (a string, required). Articles
// of an array without id or url get the id "name#N" (N counts from 1).
func ParseJSON(name string, data []byte) ([]*bundle.Article, error) {
	return parseJSON(name, data, &report{strict: true})
}

// parseJSON is ParseJSON; unless r is strict, an element of an array that
// is not a valid article is skipped, and long fields are cut, with a
// warning to r. N in "name#N" counts elements, skipped ones too, so an
// article's id does not depend on its neighbours.
func parseJSON(name string, data []byte, r *report) ([]*bundle.Article, error) {
	if len(data) > maxParsedFileSize {
		return nil, tooLarge(name, len(data), maxParsedFileSize)
	}
	data = bytes.TrimPrefix(data, bom)
	if !json.Valid(data) {
		// Unmarshal reports where the syntax breaks; json.Valid does not.
		err := json.Unmarshal(data, new(struct{}))
		return nil, jsonError(name, data, 0, err)
	}
	start := skipSpace(data, 0)
	if start == len(data) {
		return nil, &FileError{Path: name, Err: fmt.Errorf("%w: empty json", ErrMalformed)}
	}
	switch data[start] {
	case '{':
		a, err := decodeJSONArticle(name, data, start, data[start:], 0, r)
		if err != nil {
			return nil, err
		}
		return []*bundle.Article{a}, nil
	case '[':
	default:
		return nil, &FileError{Path: name, Line: lineAt(data, int64(start)), Err: fmt.Errorf("%w: want an object or an array of objects", ErrMalformed)}
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // '['
		return nil, jsonError(name, data, 0, err)
	}
	var out []*bundle.Article
	for item := 1; dec.More(); item++ {
		if item > maxArticlesPerFile {
			return nil, &FileError{Path: name, Err: fmt.Errorf("%w: more than %d articles", ErrTooLarge, maxArticlesPerFile)}
		}
		// The decoder stops before the comma that separates elements.
		off := skipSpace(data, int(dec.InputOffset()))
		if off < len(data) && data[off] == ',' {
			off = skipSpace(data, off+1)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, jsonError(name, data, int64(off), err)
		}
		a, err := decodeJSONArticle(name, data, off, raw, item, r)
		if err != nil {
			if r.strict {
				return nil, err
			}
			r.skip(item, err)
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// ParseJSONL parses JSON Lines: one article object per line, in the form
// ParseJSON accepts; blank lines are ignored. Articles without id or url
// get the id "name#N" (N counts articles from 1).
func ParseJSONL(name string, data []byte) ([]*bundle.Article, error) {
	return parseJSONL(name, data, &report{strict: true})
}

// parseJSONL is ParseJSONL; unless r is strict, a line that is not a valid
// article is skipped, and long fields are cut, with a warning to r. N in
// "name#N" counts lines that are not blank, skipped ones too.
func parseJSONL(name string, data []byte, r *report) ([]*bundle.Article, error) {
	if len(data) > maxParsedFileSize {
		return nil, tooLarge(name, len(data), maxParsedFileSize)
	}
	rest := bytes.TrimPrefix(data, bom)
	var out []*bundle.Article
	item := 0
	for n := 1; len(rest) > 0; n++ {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if item++; item > maxArticlesPerFile {
			return nil, &FileError{Path: name, Line: n, Err: fmt.Errorf("%w: more than %d articles", ErrTooLarge, maxArticlesPerFile)}
		}
		a, err := decodeJSONArticle(name, line, 0, line, item, &report{strict: r.strict, warn: atLine(r, n)})
		if err != nil {
			if fe, ok := err.(*FileError); ok {
				fe.Line = n
			}
			if r.strict {
				return nil, err
			}
			r.skip(item, err)
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// atLine returns a warning function that passes warnings to r with their
// line set to n: a JSON Lines article is decoded from its line alone.
func atLine(r *report, n int) func(Warning) {
	return func(w Warning) {
		w.Line = n
		r.add(w)
	}
}

// decodeJSONArticle decodes one article object v found at byte offset off
// of data (data is used for line numbers only). index is as for
// draft.article.
func decodeJSONArticle(name string, data []byte, off int, v []byte, index int, r *report) (*bundle.Article, error) {
	line := lineAt(data, int64(off))
	if s := skipSpace(v, 0); s == len(v) || v[s] != '{' {
		return nil, &FileError{Path: name, Line: line, Err: fmt.Errorf("%w: want a json object", ErrMalformed)}
	}
	var j jsonArticle
	if err := json.Unmarshal(v, &j); err != nil {
		return nil, jsonError(name, data, int64(off), err)
	}
	d, err := j.draft()
	if err == nil {
		d.line = line
		var a *bundle.Article
		if a, err = d.article(name, index, r); err == nil {
			return a, nil
		}
	}
	return nil, &FileError{Path: name, Line: line, Err: err}
}

// jsonError converts an encoding/json error for a value at byte offset base
// of data to a *FileError with the line of the error.
func jsonError(name string, data []byte, base int64, err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return &FileError{Path: name, Line: lineAt(data, base+syn.Offset), Err: fmt.Errorf("%w: json: %v", ErrMalformed, err)}
	case errors.As(err, &typ):
		msg := fmt.Sprintf("json: %s: cannot use %s", typ.Field, typ.Value)
		if typ.Field == "" {
			msg = fmt.Sprintf("json: cannot use %s", typ.Value)
		}
		return &FileError{Path: name, Line: lineAt(data, base+typ.Offset), Err: fmt.Errorf("%w: %s", ErrMalformed, msg)}
	}
	return &FileError{Path: name, Line: lineAt(data, base), Err: fmt.Errorf("%w: json: %v", ErrMalformed, err)}
}

// skipSpace returns the offset of the first byte at or after off that is
// not JSON white space.
func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n':
			off++
		default:
			return off
		}
	}
	return off
}
