package search

import (
	"bytes"
	"runtime"
	"testing"
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
