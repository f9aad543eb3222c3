package ingest

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error returned by this package for a bad input
// wraps one of them inside a *FileError, and so does every Warning's Err
// but an Ignored one's, so callers branch with errors.Is.
var (
	// ErrMalformed means a file could not be parsed or a field is invalid:
	// bad JSON, YAML, XML or dates, a missing JSON body, an over-long or
	// invalid id or url, an XML file that is not a feed.
	ErrMalformed = errors.New("malformed")
	// ErrTooLarge means a file, the number of articles in it, or a title,
	// summary, author name or number of authors exceeds a limit in
	// limits.go. Walk cuts such fields unless Strict.
	ErrTooLarge = errors.New("too large")
	// ErrNoArticles means the walk found no article at all.
	ErrNoArticles = errors.New("no articles found")
	// ErrUnreadable means an input is missing or cannot be read.
	ErrUnreadable = errors.New("unreadable")
	// ErrBadReference means an attachment reference escapes the input root
	// or does not name a regular file. Walk reports such references through
	// Options.Warn and leaves them out, or, with Strict, fails with it.
	ErrBadReference = errors.New("bad reference")
)

// FileError records which file, and where in it, an error occurred.
// Path is the file as the caller named it (for Walk: the input joined with
// the path below it; for the Parse functions: the name passed in). Line is
// 1-based; 0 means the line is not known.
type FileError struct {
	Path string
	Line int
	Err  error
}

// Error returns "path:line: reason", or "path: reason" when Line is 0.
func (e *FileError) Error() string {
	return e.where() + ": " + e.Err.Error()
}

// where returns "path:line", or "path" when Line is 0.
func (e *FileError) where() string {
	if e.Line > 0 {
		return e.Path + ":" + strconv.Itoa(e.Line)
	}
	return e.Path
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }
