package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/samizdat/samizdat/bundle"
)

// Options configures Walk. The zero value works: it skips what it cannot
// take and cuts what is too long, telling no one.
type Options struct {
	// Strict fails the walk, with a *FileError, on the first input it
	// would otherwise skip, cut or leave unattached: every Warning but
	// Ignored. Without it, one bad article or file never fails the walk.
	Strict bool

	// Warn receives each Warning, in walk order. May be nil. Hidden
	// files, and images and media (which articles attach), are skipped
	// without a warning.
	Warn func(Warning)

	// KeepPage keeps each HTML page whole as its article's body, site
	// navigation, comments and footer included, instead of extracting the
	// article from it (see ParsePage).
	KeepPage bool
}

// Walk ingests every input (file or directory, directories recursively, in
// a deterministic sorted order; hidden files and directories whose name
// starts with "." are skipped silently) and calls fn for each article, in
// order. It holds at most one input file's articles in memory at a time (a
// 1 GB corpus of small files must not be held at once).
//
// A file or an article that cannot be taken as it is, is passed to
// Options.Warn and the walk goes on (see WarningKind): files and articles
// that do not parse or have an invalid field are skipped, fields over a
// limit are cut, references that cannot be attached are left out. With
// Options.Strict the first of them fails the walk with a *FileError
// instead. Either way, a named input that is missing, or is neither a file
// nor a directory, fails the walk with a *FileError; so does finding no
// article at all, with ErrNoArticles (and the first file skipped, if any,
// and its error).
//
// Inputs are walked in the order given. Below a directory input, entries
// are visited in byte order of their names, depth first; the article name
// (for fallback ids) is the path relative to the input, slash-separated.
// A file input is named by its base name, and its directory is the root
// for its attachments. An error returned by fn stops the walk and is
// returned as is.
func Walk(inputs []string, opts Options, fn func(*bundle.Article) error) error {
	w := walker{opts: opts, fn: fn}
	for _, in := range inputs {
		if err := w.input(in); err != nil {
			return err
		}
	}
	if w.found > 0 {
		return nil
	}
	if len(inputs) == 0 {
		return fmt.Errorf("%w: no inputs", ErrNoArticles)
	}
	where := ""
	if len(inputs) > 1 {
		where = fmt.Sprintf(" in %d inputs", len(inputs))
	}
	var err error = fmt.Errorf("%w%s", ErrNoArticles, where)
	if w.skipped > 0 {
		// Say why: a pack of one unparseable file should name its error.
		first := w.firstSkip.fileError()
		err = fmt.Errorf("%w%s; %d skipped, the first %s: %w", ErrNoArticles, where, w.skipped, first.where(), first.Err)
	}
	if len(inputs) == 1 {
		return &FileError{Path: inputs[0], Err: err}
	}
	return err
}

// walker is the state of one Walk.
type walker struct {
	opts      Options
	fn        func(*bundle.Article) error
	found     int     // articles handed to fn
	skipped   int     // Skipped warnings
	firstSkip Warning // the first of them
}

// warn passes wn to Options.Warn, or, when Strict and wn is not Ignored,
// returns the error that fails the walk instead.
func (w *walker) warn(wn Warning) error {
	if w.opts.Strict && wn.Kind != Ignored {
		return wn.fileError()
	}
	if wn.Kind == Skipped {
		if w.skipped == 0 {
			w.firstSkip = wn
		}
		w.skipped++
	}
	if w.opts.Warn != nil {
		w.opts.Warn(wn)
	}
	return nil
}

// ignore reports a file that is not an article.
func (w *walker) ignore(osPath, reason string) {
	w.warn(Warning{Kind: Ignored, Path: osPath, Err: errors.New(reason)})
}

// skip reports that the file or directory osPath was left out for err, a
// *FileError without a path or any other error; with Strict, it returns
// the error that fails the walk.
func (w *walker) skip(osPath string, err error) error {
	wn := Warning{Kind: Skipped, Path: osPath, Err: err}
	var fe *FileError
	if errors.As(err, &fe) {
		wn.Line, wn.Err = fe.Line, fe.Err
	}
	return w.warn(wn)
}

// input ingests one input, a file or a directory.
func (w *walker) input(in string) error {
	fi, err := os.Stat(in)
	if err != nil {
		return unreadable(in, err)
	}
	switch {
	case fi.IsDir():
		root, err := os.OpenRoot(in)
		if err != nil {
			return unreadable(in, err)
		}
		defer root.Close()
		return w.dir(root, in, ".")
	case fi.Mode().IsRegular():
		root, err := os.OpenRoot(filepath.Dir(in))
		if err != nil {
			return unreadable(in, err)
		}
		defer root.Close()
		// The input was named explicitly, so it is opened directly even if
		// it is a symbolic link that leads out of its directory.
		return w.file(root, in, filepath.Base(in), func() (*os.File, error) { return os.Open(in) })
	}
	return &FileError{Path: in, Err: fmt.Errorf("%w: not a regular file or directory", ErrUnreadable)}
}

// unreadable wraps an I/O error for path, dropping the path that
// *fs.PathError repeats.
func unreadable(p string, err error) error {
	return &FileError{Path: p, Err: fmt.Errorf("%w: %w", ErrUnreadable, bareError(err))}
}

// bareError drops the operation and path that *fs.PathError adds, for
// messages that name the path already.
func bareError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// dir ingests the directory rel (slash-separated, "." for the input
// itself) below root, which was opened from the path base.
func (w *walker) dir(root *os.Root, base, rel string) error {
	osPath := filepath.Join(base, filepath.FromSlash(rel))
	entries, err := readDir(root, rel)
	if err != nil {
		if rel == "." { // the input itself
			return unreadable(osPath, err)
		}
		return w.skip(osPath, fmt.Errorf("%w: %w", ErrUnreadable, bareError(err)))
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		r := path.Join(rel, e.Name())
		p := filepath.Join(base, filepath.FromSlash(r))
		open := func() (*os.File, error) { return root.Open(filepath.FromSlash(r)) }
		switch t := e.Type(); {
		case t.IsDir():
			err = w.dir(root, base, r)
		case t.IsRegular():
			err = w.file(root, p, r, open)
		case t&fs.ModeSymlink != 0:
			// Followed only to a regular file inside the input.
			fi, serr := root.Stat(filepath.FromSlash(r))
			switch _, known := formatOf(r); {
			case serr == nil && fi.IsDir():
				w.ignore(p, "symbolic link to a directory not followed")
			case !known:
				w.skipUnknown(p, r)
			case serr != nil:
				w.ignore(p, fmt.Sprintf("symbolic link not followed: %v", bareError(serr)))
			case !fi.Mode().IsRegular():
				w.ignore(p, "not a regular file")
			default:
				err = w.file(root, p, r, open)
			}
		default:
			w.ignore(p, "not a regular file")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readDir returns the entries of the directory rel below root.
func readDir(root *os.Root, rel string) ([]fs.DirEntry, error) {
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// parseFunc parses a file of one format into articles, reporting what it
// cuts and skips to r.
type parseFunc func(name string, data []byte, r *report) ([]*bundle.Article, error)

// format is how one kind of file is read.
type format struct {
	limit  int // file size limit
	parse  parseFunc
	attach bool // resolve References into attachments
	page   bool // an HTML page: maxPageSize bounds it unless kept whole
}

func one(parse func(string, []byte, *report) (*bundle.Article, error)) parseFunc {
	return func(name string, data []byte, r *report) ([]*bundle.Article, error) {
		a, err := parse(name, data, r)
		if err != nil {
			return nil, err
		}
		return []*bundle.Article{a}, nil
	}
}

// formatOf returns the format for a file name by its extension, ignoring
// case.
func formatOf(name string) (format, bool) {
	switch strings.ToLower(path.Ext(name)) {
	case ".txt":
		return format{limit: maxArticleFileSize, parse: one(parseText)}, true
	case ".md", ".markdown":
		return format{limit: maxMarkdownFileSize, parse: one(parseMarkdown), attach: true}, true
	case ".html", ".htm":
		return format{limit: maxArticleFileSize, parse: one(parseHTML), attach: true, page: true}, true
	case ".json":
		return format{limit: maxParsedFileSize, parse: parseJSON}, true
	case ".jsonl":
		return format{limit: maxParsedFileSize, parse: parseJSONL}, true
	case ".rss", ".atom", ".xml":
		return format{limit: maxParsedFileSize, parse: parseFeed}, true
	}
	return format{}, false
}

// file ingests one file: osPath names it in errors and warnings, name is
// its slash-separated path below root, open opens it.
func (w *walker) file(root *os.Root, osPath, name string, open func() (*os.File, error)) error {
	fm, ok := formatOf(name)
	if !ok {
		w.skipUnknown(osPath, name)
		return nil
	}
	limit := fm.limit
	if fm.page && !w.opts.KeepPage {
		limit = maxPageSize
	}
	data, err := readFile(open, limit)
	if err != nil {
		return w.skip(osPath, err)
	}
	// Warnings about items pass through as the parser finds them: a
	// hostile file can hold many, and they are not kept. Strict parsers
	// fail instead.
	r := &report{strict: w.opts.Strict, keepPage: w.opts.KeepPage, warn: func(wn Warning) {
		wn.Path = osPath
		w.warn(wn)
	}}
	arts, err := fm.parse(name, data, r)
	if err != nil {
		return w.skip(osPath, err)
	}
	for i, a := range arts {
		arts[i] = nil // let each article go once fn is done with it
		if fm.attach {
			if err := w.attach(root, osPath, name, a); err != nil {
				return err
			}
		}
		a.Source = NewSource("file").Text(name).Flag(w.opts.KeepPage).Bytes(data).Attachments(a.Attachments).Sum()
		if err := w.fn(a); err != nil {
			return err
		}
		w.found++
	}
	return nil
}

// readFile reads a regular file of at most limit bytes, checking the size
// before reading and again while reading (the file may grow).
func readFile(open func() (*os.File, error), limit int) ([]byte, error) {
	f, err := open()
	if err != nil {
		return nil, unreadable("", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, unreadable("", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &FileError{Err: fmt.Errorf("%w: not a regular file", ErrUnreadable)}
	}
	if fi.Size() > int64(limit) {
		return nil, &FileError{Err: fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, fi.Size(), limit)}
	}
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()) + bytes.MinRead) // one allocation when the size holds
	if _, err := buf.ReadFrom(io.LimitReader(f, int64(limit)+1)); err != nil {
		return nil, unreadable("", err)
	}
	data := buf.Bytes()
	if len(data) > limit {
		return nil, &FileError{Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)}
	}
	return data, nil
}

// skipUnknown warns about a file of unknown type. Images and media are
// skipped silently: they are what articles attach, and a warning for each
// would bury the warnings that matter.
func (w *walker) skipUnknown(osPath, name string) {
	if !isMedia(name) {
		w.ignore(osPath, "unknown file type")
	}
}

// isMedia reports whether name has the extension of an image, audio or
// video file.
func isMedia(name string) bool {
	t := contentTypeOf(name)
	return strings.HasPrefix(t, "image/") || strings.HasPrefix(t, "audio/") || strings.HasPrefix(t, "video/")
}
