package web

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
)

// The articles of the amplification tests: a short body with a large
// attachment, and a body far longer than a page shows.
const (
	idBigAttachment = "big-attachment"
	idLongBody      = "long-body"
	idShownBody     = "shown-body" // as long as a page shows
	bigName         = "data.txt"

	// bigContent is the size of the large attachment and of the long
	// body: sixteen times what an article page shows (maxRenderedBody).
	bigContent = 64 << 20
)

// bigText returns n bytes of numbered lines: every block of it differs,
// and it packs quickly.
func bigText(n int) []byte {
	var b bytes.Buffer
	b.Grow(n + 64)
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %08d of a long text that no page shows whole\n", i)
	}
	return b.Bytes()[:n]
}

// addBig adds a bundle of a third publisher holding the articles
// idBigAttachment and idLongBody, and returns its root and the SHA-256 of
// the large attachment. The test keeps no copy of the content, so that
// what a request holds shows in the live heap.
func (f *fixture) addBig(t testing.TB) (cid.Cid, [32]byte) {
	t.Helper()
	data := bigText(bigContent)
	sum := sha256.Sum256(data)
	b := f.add(t, t.TempDir(), bundle.PackOptions{Key: testKey(4), Seq: 1, Created: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)}, []*bundle.Article{
		{ID: idBigAttachment, Title: "A short article with a large file", Lang: "en", ContentType: "text/html",
			Body:        []byte(`<p>The <a href="` + bigName + `">data</a> is attached.</p>`),
			Attachments: []bundle.Attachment{{Name: bigName, ContentType: "text/plain", Data: data}}},
		{ID: idLongBody, Title: "A long article", Lang: "en", ContentType: "text/plain", Body: data},
		{ID: idShownBody, Title: "An article a page shows whole", Lang: "en", ContentType: "text/plain", Body: data[:maxRenderedBody]},
	})
	return b.Root, sum
}

// measuredWriter is an http.ResponseWriter that keeps no body: it hashes
// what is written and, every sampleEvery bytes, collects garbage and notes
// the live heap, so peakHeap is the most the response held at once.
type measuredWriter struct {
	header   http.Header
	status   int
	written  int64
	h        hash.Hash
	next     int64
	peakHeap uint64
}

// sampleEvery is how often (in bytes written) measuredWriter samples the
// live heap.
const sampleEvery = 4 << 20

func newMeasuredWriter() *measuredWriter {
	return &measuredWriter{header: http.Header{}, h: sha256.New()}
}

func (w *measuredWriter) Header() http.Header { return w.header }
func (w *measuredWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// code is the response's status: 200 if the handler set none, as
// net/http sends.
func (w *measuredWriter) code() int { return cmp.Or(w.status, http.StatusOK) }

func (w *measuredWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.h.Write(p)
	w.written += int64(len(p))
	if w.written >= w.next {
		// p is still live here: a response written in one piece is
		// counted whole.
		w.peakHeap = max(w.peakHeap, liveHeap())
		w.next = w.written + sampleEvery
	}
	return len(p), nil
}

// liveHeap returns the bytes of live heap objects, after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// measure serves one request of target from h and returns the response,
// the bytes allocated while serving it and how far the live heap grew at
// most while it was written.
func measure(h http.Handler, method, target string) (w *measuredWriter, allocated, heapGrowth uint64) {
	r := httptest.NewRequest(method, target, nil)
	r.Host = "127.0.0.1"
	w = newMeasuredWriter()
	base := liveHeap()
	before := totalAlloc()
	h.ServeHTTP(w, r)
	allocated = totalAlloc() - before
	if w.peakHeap > base {
		heapGrowth = w.peakHeap - base
	}
	return w, allocated, heapGrowth
}

// TestArticlePageDecodesWhatItShows: an article page decodes the body it
// shows (at most maxRenderedBody of it) and none of the attachments, so
// what one request allocates does not grow with what the article
// carries: a page of a 64 MiB body costs what one of a body as long as
// the page shows does, and a large attachment costs nothing.
func TestArticlePageDecodesWhatItShows(t *testing.T) {
	f := newFixture(t)
	root, _ := f.addBig(t)
	s := f.server(t, true, nil)
	get := func(t *testing.T, id string) uint64 {
		w, allocated, _ := measure(s, "GET", articleHref(root, id))
		if w.code() != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200", id, w.code())
		}
		t.Logf("article page %s: %d bytes allocated (%.1f MiB), %d bytes of page", id, allocated, float64(allocated)/(1<<20), w.written)
		return allocated
	}
	shown := get(t, idShownBody)
	// slack is what reading maxRenderedBody+1 bytes may decode beyond a
	// body of maxRenderedBody: the block holding the extra byte, and its
	// stored form.
	const slack = 2*bundle.MaxBlockRaw + 1<<20
	for _, tc := range []struct {
		name, id string
		maxAlloc uint64
	}{
		{"short body, 64 MiB attachment", idBigAttachment, 1 << 20},
		{"64 MiB body", idLongBody, shown + slack},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if allocated := get(t, tc.id); allocated > tc.maxAlloc {
				t.Errorf("serving the page allocated %d bytes, want at most %d: it decoded more than it shows", allocated, tc.maxAlloc)
			}
		})
	}
}

// TestAttachmentStreams: an attachment is streamed, a block at a time, so
// serving one holds a few MiB however large it is; a HEAD request decodes
// nothing.
func TestAttachmentStreams(t *testing.T) {
	f := newFixture(t)
	root, sum := f.addBig(t)
	s := f.server(t, true, nil)
	target := attachmentHref(root, idBigAttachment, bigName)

	w, allocated, growth := measure(s, "GET", target)
	t.Logf("GET: %d bytes allocated (%.1f MiB), live heap grew by at most %d bytes (%.1f MiB)",
		allocated, float64(allocated)/(1<<20), growth, float64(growth)/(1<<20))
	if w.code() != http.StatusOK || w.written != bigContent || [32]byte(w.h.Sum(nil)) != sum {
		t.Fatalf("GET = %d with %d bytes (hash match %t), want 200 with the %d bytes attached",
			w.code(), w.written, [32]byte(w.h.Sum(nil)) == sum, bigContent)
	}
	if got, want := w.header.Get("Content-Length"), fmt.Sprint(bigContent); got != want {
		t.Errorf("Content-Length = %q, want %q", got, want)
	}
	if maxGrowth := uint64(8 << 20); growth > maxGrowth {
		t.Errorf("serving a %d-byte attachment grew the live heap by %d bytes, want at most %d", bigContent, growth, maxGrowth)
	}

	w, allocated, _ = measure(s, "HEAD", target)
	t.Logf("HEAD: %d bytes allocated", allocated)
	if w.code() != http.StatusOK || w.header.Get("Content-Length") != fmt.Sprint(bigContent) {
		t.Errorf("HEAD = %d, Content-Length %q, want 200 and %d", w.code(), w.header.Get("Content-Length"), bigContent)
	}
	if maxAlloc := uint64(1 << 20); allocated > maxAlloc {
		t.Errorf("HEAD allocated %d bytes, want at most %d: it decoded the attachment", allocated, maxAlloc)
	}
}

// TestAttachmentFailsVerification: an attachment whose first block fails
// its check gets an error page; one whose later block fails is cut short
// of its Content-Length, so no client takes it for the whole file.
func TestAttachmentFailsVerification(t *testing.T) {
	for _, tc := range []struct {
		name   string
		block  int // which of the attachment's blocks is damaged
		status int
	}{
		{"first block", 0, http.StatusInternalServerError},
		{"last block", 2, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			data := bigText(2*bundle.MaxBlockRaw + 100) // three blocks
			b := f.add(t, t.TempDir(), bundle.PackOptions{Key: testKey(5), Seq: 1, Created: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)}, []*bundle.Article{
				{ID: "a", ContentType: "text/plain", Body: []byte("see the file"),
					Attachments: []bundle.Attachment{{Name: bigName, ContentType: "text/plain", Data: data}}},
			})
			// The file's content blocks are the body's, then the
			// attachment's.
			blocks := b.Blocks()
			damage(t, f.repo.Dir(), b, blocks[len(blocks)-3+tc.block])
			srv := httptest.NewServer(f.server(t, true, nil))
			defer srv.Close()

			resp, err := srv.Client().Get(srv.URL + attachmentHref(b.Root, "a", bigName))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("GET = %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status != http.StatusOK {
				return
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) || int64(len(got)) >= resp.ContentLength {
				t.Errorf("read %d of %d bytes, %v; want the body cut short (io.ErrUnexpectedEOF)", len(got), resp.ContentLength, err)
			}
			if !bytes.HasPrefix(data, got) {
				t.Errorf("the bytes sent are not the attachment's")
			}
		})
	}
}

// damage flips a byte of block c of bundle b in the file the node holds
// of it, under dir.
func damage(t *testing.T, dir string, b *bundle.Bundle, c cid.Cid) {
	t.Helper()
	block, err := b.Block(c)
	if err != nil {
		t.Fatal(err)
	}
	var path string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == b.Root.String()+".car" {
			path = p
		}
		return nil
	})
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the node's copy of the bundle: %v", err)
	}
	at := bytes.Index(file, block)
	if at < 0 {
		t.Fatal("the block is not in the node's copy")
	}
	os.Chmod(path, 0o600)
	out, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := out.WriteAt([]byte{block[len(block)/2] ^ 1}, int64(at+len(block)/2)); err != nil {
		t.Fatal(err)
	}
}
