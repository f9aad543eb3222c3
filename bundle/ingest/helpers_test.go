package ingest_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// corpus is the directory of fixture articles, one small news article or
// feed per format, in several scripts.
const corpus = "testdata/corpus"

// fixture returns the bytes of a file below corpus.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// utc is time.Date in UTC.
func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// writeFiles creates files, and the directories they need, below dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
