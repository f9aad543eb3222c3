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

// Options configures Walk. The zero value works.
type Options struct {
	// Warn reports a skipped input: an unknown extension, a symbolic link
	// that is not followed, a file that is not regular, a skipped
	// reference. path is the file (for references: the article). May be
	// nil. Never called for errors that fail the walk. Hidden files, and
	// images and media (which articles attach), are skipped without a
	// warning.
	Warn func(path, reason string)
}

func (o *Options) warn(path, reason string) {
	if o.Warn != nil {
		o.Warn(path, reason)
	}
}

// Walk ingests every input (file or directory, directories recursively, in
// a deterministic sorted order; hidden files and directories whose name
// starts with "." are skipped silently) and calls fn for each article, in
// order. It holds at most one input file's articles in memory at a time (a
// 1 GB corpus of small files must not be held at once). Returns
// ErrNoArticles (wrapped) if no article was found at all. The first failing
// file stops the walk with a *FileError.
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
	switch len(inputs) {
	case 0:
		return fmt.Errorf("%w: no inputs", ErrNoArticles)
	case 1:
		return &FileError{Path: inputs[0], Err: ErrNoArticles}
	}
	return fmt.Errorf("%w in %d inputs", ErrNoArticles, len(inputs))
}

// walker is the state of one Walk.
type walker struct {
	opts  Options
	fn    func(*bundle.Article) error
	found int
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
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return unreadable(osPath, err)
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return unreadable(osPath, err)
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
				w.opts.warn(p, "symbolic link to a directory not followed")
			case !known:
				w.skipUnknown(p, r)
			case serr != nil:
				w.opts.warn(p, fmt.Sprintf("symbolic link skipped: %v", bareError(serr)))
			case !fi.Mode().IsRegular():
				w.opts.warn(p, "not a regular file")
			default:
				err = w.file(root, p, r, open)
			}
		default:
			w.opts.warn(p, "not a regular file")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// format is how one kind of file is read.
type format struct {
	limit  int // file size limit
	parse  func(name string, data []byte) ([]*bundle.Article, error)
	attach bool // resolve References into attachments
}

func one(parse func(string, []byte) (*bundle.Article, error)) func(string, []byte) ([]*bundle.Article, error) {
	return func(name string, data []byte) ([]*bundle.Article, error) {
		a, err := parse(name, data)
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
		return format{maxArticleFileSize, one(ParseText), false}, true
	case ".md", ".markdown":
		return format{maxMarkdownFileSize, one(ParseMarkdown), true}, true
	case ".html", ".htm":
		return format{maxArticleFileSize, one(ParseHTML), true}, true
	case ".json":
		return format{maxParsedFileSize, ParseJSON, false}, true
	case ".jsonl":
		return format{maxParsedFileSize, ParseJSONL, false}, true
	case ".rss", ".atom", ".xml":
		return format{maxParsedFileSize, ParseFeed, false}, true
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
	data, err := readFile(open, fm.limit)
	if err != nil {
		return withPath(osPath, err)
	}
	arts, err := fm.parse(name, data)
	if err != nil {
		return withPath(osPath, err)
	}
	for i, a := range arts {
		arts[i] = nil // let each article go once fn is done with it
		if fm.attach {
			w.attach(root, osPath, name, a)
		}
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
		w.opts.warn(osPath, "unknown file type")
	}
}

// isMedia reports whether name has the extension of an image, audio or
// video file.
func isMedia(name string) bool {
	t := contentTypeOf(name)
	return strings.HasPrefix(t, "image/") || strings.HasPrefix(t, "audio/") || strings.HasPrefix(t, "video/")
}
