package ingest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/samizdat/samizdat/bundle"
)

// attach resolves the references of a, an article read from the file name
// (slash-separated, below root; osPath for warnings), into attachments.
// References that cannot be attached are left out with an Unattached
// warning; with Strict, the first fails the walk with the error returned.
func (w *walker) attach(root *os.Root, osPath, name string, a *bundle.Article) error {
	dir := path.Dir(name)
	seen := make(map[string]bool)
	var total int64
	for _, ref := range References(a.ContentType, a.Body) {
		skip := func(err error) error {
			return w.warn(Warning{Kind: Unattached, Path: osPath, Field: ref, Err: err})
		}
		n, err := attachmentName(ref)
		if err != nil {
			if err := skip(err); err != nil {
				return err
			}
			continue
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		if len(a.Attachments) == maxAttachmentsPerArticle {
			if err := skip(fmt.Errorf("%w: more than %d attachments", ErrTooLarge, maxAttachmentsPerArticle)); err != nil {
				return err
			}
			continue
		}
		data, err := readAttachment(root, path.Join(dir, n), maxAttachmentBytesPerArticle-total)
		if err != nil {
			if err := skip(err); err != nil {
				return err
			}
			continue
		}
		total += int64(len(data))
		a.Attachments = append(a.Attachments, bundle.Attachment{
			Name:        n,
			ContentType: contentTypeOf(n),
			Data:        data,
		})
	}
	return nil
}

// attachmentName returns the attachment name for a reference: its path
// without query and fragment, percent-decoded and cleaned. A name that
// leaves the article's directory ("..") is ErrBadReference.
func attachmentName(ref string) (string, error) {
	p, _, _ := strings.Cut(ref, "#")
	p, _, _ = strings.Cut(p, "?")
	p, err := url.PathUnescape(p)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadReference, err)
	}
	if p == "" || strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%w: not a relative path", ErrBadReference)
	}
	p = path.Clean(p)
	if p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("%w: leaves the article's directory", ErrBadReference)
	}
	return p, nil
}

// readAttachment reads the regular file rel (slash-separated) below root,
// of at most min(maxAttachmentSize, budget) bytes. root confines the
// lookup: a path or symbolic link leading out of the input root fails.
func readAttachment(root *os.Root, rel string, budget int64) ([]byte, error) {
	limit := min(int64(maxAttachmentSize), budget)
	name := filepath.FromSlash(rel)
	// Stat first, so that opening never blocks on a named pipe.
	fi, err := root.Stat(name)
	if err != nil {
		return nil, refError(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file", ErrBadReference)
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, refError(err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, refError(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file", ErrBadReference)
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%w: attachment is %d bytes, limit %d", ErrTooLarge, fi.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, refError(err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: attachment grew beyond %d bytes", ErrTooLarge, limit)
	}
	return data, nil
}

// refError wraps a file system error met while resolving a reference.
func refError(err error) error {
	err = bareError(err)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrBadReference, err)
	}
	// os.Root reports a path that escapes it with an unexported error.
	return fmt.Errorf("%w: outside the input root or unreadable: %w", ErrBadReference, err)
}

// mediaTypes fixes the media types of the usual attachments, so a bundle's
// bytes do not depend on the packing machine's MIME tables.
var mediaTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".avif": "image/avif", ".svg": "image/svg+xml", ".ico": "image/x-icon",
	".mp4": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg", ".mp3": "audio/mpeg",
	".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".m4a": "audio/mp4", ".wav": "audio/wav",
	".pdf": "application/pdf", ".css": "text/css", ".txt": "text/plain", ".csv": "text/csv",
	".json": "application/json", ".vtt": "text/vtt",
}

// contentTypeOf returns the media type for a file name by its extension,
// without parameters, or application/octet-stream.
func contentTypeOf(name string) string {
	if t, ok := mediaTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
	}
	return "application/octet-stream"
}
