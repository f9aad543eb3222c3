package corpus

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeGz(t *testing.T, path, text string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(text))
	zw.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// manPage is roff source with paragraphs long enough to be articles.
func manPage(name, words string) string {
	para := strings.Repeat(words+" ", 40)
	return fmt.Sprintf(".TH %s 1\n.SH NAME\n%s \\- do a thing\n.SH DESCRIPTION\n.B %s\nreads \\fIfiles\\fR and \\(em as told \\- writes.\n.PP\n%s\n.PP\n%s\n.PP\n%s\n.PP\n%s\n", strings.ToUpper(name), name, name, para, para, para, para)
}

// TestRealText: manual pages in two languages and a README become
// articles in their languages, rendered from roff; licences and library
// sections are left out; the order is the same from one run to the next.
func TestRealText(t *testing.T) {
	root := t.TempDir()
	man, doc := filepath.Join(root, "man"), filepath.Join(root, "doc")
	for i := range 30 {
		writeGz(t, filepath.Join(man, "man1", fmt.Sprintf("tool%02d.1.gz", i)), manPage(fmt.Sprintf("tool%02d", i), "the quick brown fox jumps over the lazy dog"))
		writeGz(t, filepath.Join(man, "de", "man1", fmt.Sprintf("tool%02d.1.gz", i)), manPage(fmt.Sprintf("tool%02d", i), "der schnelle braune Fuchs springt über den faulen Hund"))
	}
	writeGz(t, filepath.Join(man, "man3", "libcall.3.gz"), manPage("libcall", "a library call signature"))
	os.MkdirAll(filepath.Join(doc, "pkg"), 0o755)
	os.WriteFile(filepath.Join(doc, "pkg", "README"), []byte(strings.Repeat("A readme paragraph about the package and what it does.\n\n", 40)), 0o644)
	os.WriteFile(filepath.Join(doc, "pkg", "copyright"), []byte(strings.Repeat("Permission is hereby granted, free of charge.\n\n", 40)), 0o644)

	docs, err := RealText(RealTextOptions{Docs: 200, Roots: []string{man, doc}})
	if err != nil {
		t.Fatal(err)
	}
	langs := map[string]int{}
	for _, d := range docs {
		langs[d.Lang]++
		if strings.Contains(d.Body, "Permission is hereby granted") || strings.Contains(d.Body, "library call") {
			t.Errorf("%s holds a licence or a library page", d.ID)
		}
		if strings.Contains(d.Body, `\f`) || strings.Contains(d.Body, "\n.PP") || strings.Contains(d.Body, `\-`) {
			t.Errorf("%s kept roff: %.200q", d.ID, d.Body)
		}
		if len(d.Body) < minRealArticle {
			t.Errorf("%s is %d bytes", d.ID, len(d.Body))
		}
	}
	if langs["en"] == 0 || langs["de"] == 0 || !strings.Contains(docs[0].Body+docs[1].Body+docs[2].Body, "readme paragraph") {
		t.Errorf("languages %v; the first three articles do not take a turn of each group", langs)
	}
	if !strings.Contains(docs[0].Body+docs[1].Body+docs[2].Body, "reads files and — as told - writes") {
		t.Errorf("roff not rendered: %.300q", docs[0].Body)
	}
	again, _ := RealText(RealTextOptions{Docs: 200, Roots: []string{man, doc}})
	if !reflect.DeepEqual(docs, again) {
		t.Error("two runs on one tree differ")
	}
	if _, err := RealText(RealTextOptions{Roots: []string{t.TempDir()}}); !errors.Is(err, ErrNoRealText) {
		t.Errorf("RealText(empty) = %v, want ErrNoRealText", err)
	}
	de, err := RealText(RealTextOptions{Docs: 200, Roots: []string{man, doc}, Langs: []string{"de"}})
	if err != nil || de[0].Lang != "de" || de[len(de)-1].Lang != "de" {
		t.Errorf("RealText(de) = %d docs, %v", len(de), err)
	}
	if _, err := WriteDir(t.TempDir(), docs); err != nil {
		t.Errorf("WriteDir() = %v", err)
	}
}

// TestRealTextHere: this machine's corpus, logged (skipped where there is
// too little text, as in a minimal container).
func TestRealTextHere(t *testing.T) {
	docs, err := RealText(RealTextOptions{Docs: 300})
	if errors.Is(err, ErrNoRealText) {
		t.Skipf("corpus: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	langs, size := map[string]int{}, 0
	for _, d := range docs {
		langs[d.Lang]++
		size += len(d.Body)
	}
	t.Logf("%d articles, %d bytes, languages %v", len(docs), size, langs)
}
