package ingest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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

// checkGolden compares got, as indented JSON, with the golden file
// (rewritten first with -update); walked names the input in the message.
func checkGolden(t *testing.T, golden, walked string, got any) {
	t.Helper()
	gotJSON, err := json.MarshalIndent(got, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	gotJSON = append(gotJSON, '\n')
	if *update {
		if err := os.WriteFile(golden, gotJSON, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(gotJSON)); diff != "" {
		t.Errorf("Walk(%s) mismatch with %s (-want +got):\n%s", walked, golden, diff)
	}
}
