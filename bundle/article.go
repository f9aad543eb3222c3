package bundle

import (
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// Article is one article as ingested by a publisher, before packing, or as
// read back from a verified bundle.
//
// Times are UTC with at most second precision; the zero time means unknown.
type Article struct {
	// ID is stable across re-packs of the same source: the given id, else
	// the canonical URL, else the source path relative to its input root.
	ID    string
	Title string
	// Lang is a BCP 47 tag, "und" when unknown.
	Lang      string
	Published time.Time
	Updated   time.Time
	URL       string
	Authors   []string
	Summary   string
	// ContentType is a media type without parameters, e.g. "text/html".
	ContentType string
	// Body is the article exactly as ingested.
	Body        []byte
	Attachments []Attachment
	// Source, when not zero, is a digest of all the article was made
	// from (see ingest.Source): it is not packed. Equal sources make
	// equal articles under one version of the code that makes them, so a
	// publisher's daily job takes an article whose source is unchanged
	// for unchanged, even when a newer version makes it differently.
	Source [32]byte
}

// Attachment is a file that travels with its article: an image or other
// resource the article references by relative path.
type Attachment struct {
	// Name is a clean, relative, slash-separated path as referenced from the
	// article body (e.g. "img/map.png"). It never starts with "/" or "..".
	Name        string
	ContentType string
	Data        []byte
}

// checkEntry checks an article's metadata against the format's bounds:
// what Packer.Add refuses to pack and Open refuses to accept, with the same
// errors either way. spans is the number of spans of the body and the
// attachments together. The spans themselves, and what else only a
// manifest has, the reader checks separately.
func checkEntry(e *entry, spans int) error {
	return checkEntryText(e, spans, false)
}

// checkEntryText is checkEntry, which skips checking that the text fields
// are UTF-8 if utf8Checked: the reader's page decoder refuses the whole
// page before any entry is checked if one is not (bundle-format.md section
// 9, step 13), so the check could not fail there.
func checkEntryText(e *entry, spans int, utf8Checked bool) error {
	utf8OK := func(ss ...string) bool { return utf8Checked || validUTF8(ss...) }
	switch {
	case e.Id == "" || len(e.Id) > MaxIDLen || !utf8OK(e.Id):
		return fmt.Errorf("%w: article id empty, over %d bytes or not UTF-8", ErrMalformed, MaxIDLen)
	case len(e.Title) > MaxTitleLen || len(e.Lang) > MaxLangLen || len(e.Url) > MaxURLLen ||
		len(e.Summary) > MaxSummaryLen || len(e.ContentType) > MaxContentTypeLen || len(e.Authors) > MaxAuthors:
		return fmt.Errorf("%w: article field over its limit", ErrTooLarge)
	case len(e.Attachments) > MaxAttachments:
		return fmt.Errorf("%w: %d attachments, limit %d", ErrTooLarge, len(e.Attachments), MaxAttachments)
	}
	for _, a := range e.Authors {
		if len(a) > MaxAuthorLen {
			return fmt.Errorf("%w: author name over %d bytes", ErrTooLarge, MaxAuthorLen)
		}
	}
	if !utf8OK(e.Title, e.Lang, e.Url, e.Summary, e.ContentType) || !utf8OK(e.Authors...) {
		return fmt.Errorf("%w: article metadata is not valid UTF-8", ErrMalformed)
	}
	if spans > MaxSpans {
		return fmt.Errorf("%w: %d spans for the article and its attachments, limit %d", ErrTooLarge, spans, MaxSpans)
	}
	if n := articleSize(e); n > MaxArticleSize {
		return fmt.Errorf("%w: article and attachments of %d bytes, limit %d", ErrTooLarge, n, MaxArticleSize)
	}
	names := make(map[string]bool, len(e.Attachments))
	for _, a := range e.Attachments {
		if err := checkName(a.Name); err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if names[a.Name] {
			return fmt.Errorf("%w: attachment %.80q twice", ErrMalformed, a.Name)
		}
		names[a.Name] = true
		if !utf8OK(a.ContentType) {
			return fmt.Errorf("%w: attachment content type is not valid UTF-8", ErrMalformed)
		}
		if len(a.ContentType) > MaxContentTypeLen {
			return fmt.Errorf("%w: attachment content type over %d bytes", ErrTooLarge, MaxContentTypeLen)
		}
	}
	return nil
}

// articleSize returns the bytes of an article's body and attachments
// together, as its entry declares them. A size over MaxArticleSize counts
// as MaxArticleSize+1 and a negative one as 0 (the spans check refuses
// it), so the sum cannot overflow.
func articleSize(e *entry) int64 {
	clamp := func(n int64) int64 { return min(max(n, 0), MaxArticleSize+1) }
	n := clamp(e.Size)
	for _, a := range e.Attachments {
		n += clamp(a.Size)
	}
	return n
}

// checkName accepts clean, relative, slash-separated attachment names that
// stay below the directory they are resolved against.
func checkName(name string) error {
	if name == "" || len(name) > MaxNameLen || !utf8.ValidString(name) || strings.ContainsAny(name, "\\\x00") ||
		path.IsAbs(name) || path.Clean(name) != name || name == "." || name == ".." || strings.HasPrefix(name, "../") {
		return fmt.Errorf("%w: attachment name %.80q", ErrUnsafePath, name)
	}
	return nil
}

func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
