package crawl

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/samizdat/samizdat/internal/atomicfile"
)

// cache is an HTTP cache on disk: one file per URL, named by the SHA-256
// of the URL, holding a one-line JSON header and the body. Entries are
// written atomically; a file that does not decode is a miss. A nil
// *cache caches nothing.
type cache struct {
	dir string
	max int64
}

// entry is a cached response: its validators, when it goes stale, and
// its body.
type entry struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	ContentType  string    `json:"content_type,omitempty"`
	Expires      time.Time `json:"expires"` // fresh until then: used without asking
	// Private: the answer came from a non-public address, so only a
	// walk that may reach one (mayReachPrivate) uses the entry.
	Private bool   `json:"private,omitempty"`
	Body    []byte `json:"-"`
}

func newCache(dir string, max int64) (*cache, error) {
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &cache{dir: dir, max: max}, nil
}

func (c *cache) path(url string) string {
	h := sha256.Sum256([]byte(url))
	s := hex.EncodeToString(h[:])
	return filepath.Join(c.dir, s[:2], s)
}

// load returns the entry for url, or nil. limit bounds the body.
func (c *cache) load(url string, limit int64) *entry {
	if c == nil {
		return nil
	}
	p := c.path(url)
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+maxEntryHeader+1))
	if err != nil {
		return nil
	}
	e, err := decodeEntry(data, limit)
	if err != nil || e.URL != url {
		return nil
	}
	now := time.Now()
	os.Chtimes(p, now, now) // used: trimmed last
	return e
}

// decodeEntry decodes a cache file: a JSON header line, then the body of
// at most limit bytes.
func decodeEntry(data []byte, limit int64) (*entry, error) {
	head, body, ok := bytes.Cut(data, []byte{'\n'})
	if !ok || len(head) > maxEntryHeader {
		return nil, errors.New("cache entry: no header")
	}
	if int64(len(body)) > limit {
		return nil, errors.New("cache entry: body too large")
	}
	e := new(entry)
	if err := json.Unmarshal(head, e); err != nil {
		return nil, fmt.Errorf("cache entry: %w", err)
	}
	e.Body = body
	return e, nil
}

// encodeEntry is decodeEntry's inverse.
func encodeEntry(w io.Writer, e *entry) error {
	head, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := w.Write(append(head, '\n')); err != nil {
		return err
	}
	_, err = w.Write(e.Body)
	return err
}

// store writes e, replacing what was cached for its URL.
func (c *cache) store(e *entry) error {
	if c == nil {
		return nil
	}
	p := c.path(e.URL)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(p, 0o644, func(w io.Writer) error { return encodeEntry(w, e) })
}

// newEntry returns the entry to cache for a 200 response to url with
// body, fresh for at most limit, or nil if the response says not to
// store it or could never be revalidated nor used fresh.
func newEntry(url string, h http.Header, body []byte, now time.Time, limit time.Duration) *entry {
	cc := strings.ToLower(h.Get("Cache-Control"))
	if strings.Contains(cc, "no-store") {
		return nil
	}
	e := &entry{
		URL:          url,
		ETag:         h.Get("ETag"),
		LastModified: h.Get("Last-Modified"),
		ContentType:  h.Get("Content-Type"),
		Expires:      freshUntil(h, now, limit),
		Body:         body,
	}
	if e.ETag == "" && e.LastModified == "" && !e.Expires.After(now) {
		return nil
	}
	return e
}

// freshUntil returns until when a response may be used without asking
// again: max-age, else Expires, at most limit after now; now (always
// ask) for no-cache or neither. No heuristic freshness: a page corrected
// on the site must be seen on the next run.
func freshUntil(h http.Header, now time.Time, limit time.Duration) time.Time {
	return minTime(serverFresh(h, now), now.Add(limit))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// serverFresh returns until when the server says a response is fresh.
func serverFresh(h http.Header, now time.Time) time.Time {
	for _, d := range strings.Split(strings.ToLower(h.Get("Cache-Control")), ",") {
		d = strings.TrimSpace(d)
		if d == "no-cache" {
			return now
		}
		if v, ok := strings.CutPrefix(d, "max-age="); ok {
			if s, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64); err == nil && s > 0 {
				return now.Add(time.Duration(min(s, int64(maxImageFresh/time.Second))) * time.Second) // no overflow
			}
			return now
		}
	}
	if t, err := http.ParseTime(h.Get("Expires")); err == nil && t.After(now) {
		return t
	}
	return now
}

// trim deletes the entries used longest ago until the cache holds at
// most max bytes. Only the cache's own entries count and go: the
// directory may be one the operator keeps other files in.
func (c *cache) trim() error {
	if c == nil {
		return nil
	}
	files, total, err := c.entries()
	if err != nil || total <= c.max {
		return err
	}
	slices.SortFunc(files, func(a, b cacheFile) int { return a.used.Compare(b.used) })
	for _, f := range files {
		if total <= c.max {
			break
		}
		if err := os.Remove(f.path); err == nil {
			total -= f.size
		}
	}
	return nil
}

// cacheFile is an entry's file, as trim weighs it.
type cacheFile struct {
	path string
	size int64
	used time.Time
}

// entries lists the files laid out as path makes them (a directory of
// the hash's first two hex digits, a file named by the whole hash) and
// their total size. Nothing else under the directory is looked into.
func (c *cache) entries() ([]cacheFile, int64, error) {
	dirs, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, 0, err
	}
	var files []cacheFile
	var total int64
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 || !isHex(d.Name()) {
			continue
		}
		names, err := os.ReadDir(filepath.Join(c.dir, d.Name()))
		if err != nil {
			continue
		}
		for _, n := range names {
			name := n.Name()
			if !n.Type().IsRegular() || len(name) != 2*sha256.Size || !strings.HasPrefix(name, d.Name()) || !isHex(name) {
				continue
			}
			fi, err := n.Info()
			if err != nil {
				continue
			}
			files = append(files, cacheFile{filepath.Join(c.dir, d.Name(), name), fi.Size(), fi.ModTime()})
			total += fi.Size()
		}
	}
	return files, total, nil
}

// isHex reports whether s is lowercase hex digits, as path writes them.
func isHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
