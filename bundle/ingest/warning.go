package ingest

import (
	"errors"
	"fmt"
	"strconv"
)

// WarningKind says what Walk did with an input it did not take as it was.
type WarningKind int

const (
	// Skipped: a file of a known type, or one article of a feed, JSON or
	// JSON Lines file, was left out: it does not parse, a field is invalid
	// (a bad date; an id or url over its limit, which is never rewritten
	// since an id names the article across bundles), or it is too large
	// or unreadable. The rest of the walk goes on.
	Skipped WarningKind = iota + 1
	// Cut: a title, summary or author name over its limit was cut at a
	// word boundary, or the authors beyond the limit were dropped. The
	// article is kept.
	Cut
	// Unattached: a reference of an article was not attached (it leaves
	// the article's directory, is missing or too large). The article is
	// kept without it.
	Unattached
	// Ignored: a file that is not an article was passed over: an unknown
	// type, a symbolic link that is not followed, a file that is not
	// regular. Nothing an article holds is lost, and Strict does not fail
	// on it.
	Ignored
)

// String returns the kind in lower case: "skipped", "cut", "unattached"
// or "ignored".
func (k WarningKind) String() string {
	switch k {
	case Skipped:
		return "skipped"
	case Cut:
		return "cut"
	case Unattached:
		return "unattached"
	case Ignored:
		return "ignored"
	}
	return "WarningKind(" + strconv.Itoa(int(k)) + ")"
}

// A Warning is an input Walk did not take as it was and went on without
// (see WarningKind). With Options.Strict, every warning but Ignored fails
// the walk instead, with a *FileError wrapping the same Err.
type Warning struct {
	Kind WarningKind
	// Path is the file, as for FileError; for Unattached, the article's.
	Path string
	// Line is the 1-based line of the article (or of the error, for a
	// file that does not parse); 0 when not known.
	Line int
	// Item is the 1-based position of the article in a feed, JSON array
	// or JSON Lines file (blank lines not counted); 0 for a whole file.
	Item int
	// Field is what was cut ("title", "summary", "author" or "authors"),
	// or, for Unattached, the reference as the article wrote it.
	Field string
	// Err says why. It wraps ErrMalformed, ErrTooLarge, ErrUnreadable or
	// ErrBadReference, except for Ignored.
	Err error
}

// String returns one line: where, why, and what was done, as in
// `feed.rss: item 3: malformed: published date "soon" is not a date; item
// skipped`.
func (w Warning) String() string {
	var what string
	switch w.Kind {
	case Skipped:
		what = "file skipped"
		if w.Item > 0 {
			what = "item skipped"
		}
	case Cut:
		what = "cut to fit"
	case Unattached:
		what = "not attached"
	case Ignored:
		what = "not packed"
	default:
		what = w.Kind.String()
	}
	return w.fileError().Error() + "; " + what
}

// fileError returns the error Strict fails the walk with for w.
func (w Warning) fileError() *FileError {
	err := w.Err
	if w.Kind == Unattached {
		err = fmt.Errorf("reference %s: %w", quote(w.Field), err)
	}
	if w.Line == 0 && w.Item > 0 {
		// A feed item has no line; its position says which one it is.
		err = fmt.Errorf("item %d: %w", w.Item, err)
	}
	return &FileError{Path: w.Path, Line: w.Line, Err: err}
}

// report is how a parser hands on what it cuts and skips. A strict report
// (the exported Parse functions, and Walk with Strict) makes the parser
// fail on the first problem instead, with the error it always returned.
type report struct {
	strict bool
	warn   func(Warning) // lenient only; Path is the caller's to fill in

	// keepPage is Options.KeepPage: HTML pages are kept whole, not
	// extracted.
	keepPage bool
}

// skip hands on that the item-th article (0: the only one) was left out
// for err: a *FileError from the parser, whose line is kept, or a bare
// error. Only a lenient report is called.
func (r *report) skip(item int, err error) {
	w := Warning{Kind: Skipped, Item: item, Err: err}
	var fe *FileError
	if errors.As(err, &fe) {
		w.Line, w.Err = fe.Line, fe.Err
	}
	r.add(w)
}

// add hands w on. Only a lenient report is called.
func (r *report) add(w Warning) {
	if r.warn != nil {
		r.warn(w)
	}
}
