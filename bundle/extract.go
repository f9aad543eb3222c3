package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/samizdat/samizdat/internal/atomicfile"
)

// ExtractIndex is the name of the file Extract writes beside the articles:
// one JSON object per line, as `samizdat ls --json` prints, plus the file
// names it wrote.
const ExtractIndex = "index.jsonl"

// Extract verifies the whole bundle and writes its articles and attachments
// as files into dir, which must not exist or be empty. Article i's body goes
// to a file named after its id (escaped to one safe path component) with an
// extension for its content type; its attachments go below a directory of
// the same name plus ".files". Files are written into a temporary sibling
// directory that is renamed to dir at the end, so dir never holds a partial
// extraction. All writes go through os.Root, so no name can escape dir.
func (b *Bundle) Extract(dir string) error {
	if err := b.Verify(); err != nil {
		return err
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("extract: %s is not empty", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	// Like os.MkdirTemp, but with the mode a plain mkdir gives (umask
	// applies), since the directory is renamed into place.
	var tmp string
	for i := 0; ; i++ {
		tmp = filepath.Join(parent, fmt.Sprintf(".%s.tmp-%d-%d", filepath.Base(dir), os.Getpid(), i))
		err := os.Mkdir(tmp, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || i > 1000 {
			return err
		}
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := b.extractTo(tmp); err != nil {
		return err
	}
	os.Remove(dir) // an empty directory we may replace
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	done = true
	return atomicfile.SyncDir(parent)
}

func (b *Bundle) extractTo(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	var index strings.Builder
	used := make(map[string]bool)
	for i := range b.entries {
		e := &b.entries[i]
		name := FileName(e.Id)
		for n := 2; used[strings.ToLower(name)]; n++ { // case-insensitive file systems
			name = fmt.Sprintf("%s~%d", FileName(e.Id), n)
		}
		used[strings.ToLower(name)] = true
		file := name + extension(e.ContentType)
		body, err := b.content(e.Cid, e.Size, e.Body, nil)
		if err != nil {
			return &Error{Path: b.path, Object: e.Id, Err: err}
		}
		if err := writeRooted(root, file, body); err != nil {
			return err
		}
		rec := struct {
			InfoJSON
			File  string   `json:"file"`
			Files []string `json:"files,omitempty"`
		}{InfoJSON: e.info().JSON(), File: file}
		for _, a := range e.Attachments {
			if err := checkName(a.Name); err != nil {
				return err
			}
			data, err := b.content(a.Cid, a.Size, a.Body, nil)
			if err != nil {
				return &Error{Path: b.path, Object: e.Id + "/" + a.Name, Err: err}
			}
			p := path.Join(name+".files", a.Name)
			if err := writeRooted(root, p, data); err != nil {
				return err
			}
			rec.Files = append(rec.Files, p)
		}
		line, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		index.Write(line)
		index.WriteByte('\n')
	}
	return writeRooted(root, ExtractIndex, []byte(index.String()))
}

// writeRooted writes name (slash-separated, relative) below root, creating
// directories as needed, with the data synced before the caller's rename.
func writeRooted(root *os.Root, name string, data []byte) error {
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return fmt.Errorf("%w: %.80q", ErrUnsafePath, name)
	}
	if d := path.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// FileName maps an article id to one safe path component: bytes other than
// ASCII letters, digits, '-', '_' and non-leading '.' are percent-escaped,
// and long names are shortened with a hash so they stay unique.
func FileName(id string) string {
	var sb strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.' && i > 0:
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	s := sb.String()
	const maxName = 160 // leaves room for suffixes under the usual 255-byte limit
	if len(s) > maxName {
		s = fmt.Sprintf("%s~%08x", s[:maxName-9], idHash(id))
	}
	return s
}

func extension(contentType string) string {
	switch contentType {
	case "text/plain":
		return ".txt"
	case "text/markdown":
		return ".md"
	case "text/html":
		return ".html"
	}
	return ".body"
}

// InfoJSON is the JSON form of ArticleInfo used by `samizdat ls --json`
// and the extract index.
type InfoJSON struct {
	ID          string           `json:"id"`
	Title       string           `json:"title"`
	Lang        string           `json:"lang"`
	Published   string           `json:"published"`
	Updated     string           `json:"updated,omitempty"`
	URL         string           `json:"url"`
	Authors     []string         `json:"authors,omitempty"`
	Summary     string           `json:"summary,omitempty"`
	ContentType string           `json:"content_type"`
	Size        int64            `json:"size"`
	CID         string           `json:"cid"`
	Attachments []AttachmentJSON `json:"attachments,omitempty"`
}

// AttachmentJSON is the JSON form of AttachmentInfo.
type AttachmentJSON struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	CID         string `json:"cid"`
}

// JSON returns the JSON form of the article's metadata.
func (ai ArticleInfo) JSON() InfoJSON {
	fmtTime := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	j := InfoJSON{
		ID: ai.ID, Title: ai.Title, Lang: ai.Lang, Published: fmtTime(ai.Published), Updated: fmtTime(ai.Updated),
		URL: ai.URL, Authors: ai.Authors, Summary: ai.Summary, ContentType: ai.ContentType, Size: ai.Size, CID: ai.CID.String(),
	}
	for _, a := range ai.Attachments {
		j.Attachments = append(j.Attachments, AttachmentJSON{Name: a.Name, ContentType: a.ContentType, Size: a.Size, CID: a.CID.String()})
	}
	return j
}
