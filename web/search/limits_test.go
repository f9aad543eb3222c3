package search

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/samizdat/samizdat/bundle"
)

// TestPlainTextBounded: indexing an HTML body scans a bounded prefix of
// it, so the memory it takes does not grow with the body, which a
// publisher may make as large as bundle.MaxArticleSize. The tokenizer
// buffers a whole token: one 32 MiB comment made plainText allocate
// 255 MiB, a 512 MiB one about 4 GiB.
func TestPlainTextBounded(t *testing.T) {
	const size = 32 << 20
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"one long text", append([]byte("<p>"), bytes.Repeat([]byte("word "), size/5)...)},
		{"one long comment", append([]byte("<!--"), bytes.Repeat([]byte("x"), size)...)},
		{"one long script", append([]byte("<script>"), bytes.Repeat([]byte("x"), size)...)},
		{"one long attribute", append([]byte(`<p title="`), bytes.Repeat([]byte("x"), size)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			text := plainText("text/html", tc.body)
			runtime.ReadMemStats(&after)
			if n := after.TotalAlloc - before.TotalAlloc; n > 8*maxScannedHTML {
				t.Errorf("plainText() of a %d MiB body allocated %d MiB", size>>20, n>>20)
			}
			if len(text) > maxIndexedText {
				t.Errorf("plainText() = %d bytes, want at most %d", len(text), maxIndexedText)
			}
		})
	}
}

// TestAddBundleDecodesWhatItIndexes: indexing an article decodes the
// part of its body that is indexed (maxScannedHTML of markup, or
// maxIndexedText of text), not the whole body, which may be as large as
// bundle.MaxArticleSize.
func TestAddBundleDecodesWhatItIndexes(t *testing.T) {
	const size = 64 << 20
	for _, tc := range []struct {
		contentType string
		line        string
	}{
		{"text/plain", "line %08d of a long text that no index holds whole\n"},
		{"text/html", "<p>line %08d of a long text that no index holds whole</p>\n"},
	} {
		t.Run(tc.contentType, func(t *testing.T) {
			var body bytes.Buffer
			for i := 0; body.Len() < size; i++ {
				fmt.Fprintf(&body, tc.line, i)
			}
			b := packBundle(t, 1, []*bundle.Article{{ID: "long", Lang: "en", ContentType: tc.contentType, Body: body.Bytes()}})
			body = bytes.Buffer{}
			x, err := Open(t.TempDir() + "/index")
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			if err := x.AddBundle(b); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			n := after.TotalAlloc - before.TotalAlloc
			t.Logf("AddBundle of a %d MiB %s body allocated %.1f MiB", size>>20, tc.contentType, float64(n)/(1<<20))
			if n > size/2 {
				t.Errorf("AddBundle of a %d MiB body allocated %d MiB: it decoded the whole body", size>>20, n>>20)
			}
			if hits, err := x.Search("00000001", "", 10); err != nil || len(hits) != 1 {
				t.Errorf("Search(00000001) = %v, %v; want the article", hits, err)
			}
		})
	}
}
