package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

func TestMarkdownFormat(t *testing.T) {
	d := Doc{
		ID:        "en-7",
		Title:     `Kyiv: "We will not give up"`,
		Lang:      "en",
		Published: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
		Updated:   time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC),
		URL:       "https://news.example.org/en/2025/03/kyiv-7",
		Authors:   []string{"Kate Morrison", "Ben Carter"},
		Summary:   "One sentence.",
		Body:      "By Kate Morrison and Ben Carter\n\nText.\n",
	}
	want := `---
id: "en-7"
title: "Kyiv: \"We will not give up\""
lang: "en"
published: 2025-03-04T05:06:07Z
updated: 2025-03-05T00:00:00Z
url: "https://news.example.org/en/2025/03/kyiv-7"
authors:
  - "Kate Morrison"
  - "Ben Carter"
summary: "One sentence."
---

By Kate Morrison and Ben Carter

Text.
`
	if got := string(Markdown(d)); got != want {
		t.Errorf("Markdown() =\n%s\nwant\n%s", got, want)
	}
}

// trickyDocs exercise the quoting: every character class YAML treats
// specially.
func trickyDocs() []Doc {
	pub := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
	return []Doc{
		{
			ID: "x-1", Lang: "no", Published: pub, Updated: pub,
			Title:   `a: b "c" 'd' \e # f - [g] {h} & *i ! | > % @ ` + "`j`",
			Summary: "tab\there\nnewline\r\x00nul\x1besc\x7fdel\u0085nel\u00a0nbsp\u2028ls\u2029ps\ufeffbom\u200czwnj🗞",
			URL:     "https://news.example.org/x?a=1&b=2#frag",
			Body:    "\n---\nnot front matter\n---\n",
		},
		{ID: "", Lang: "en", Title: "", Summary: "", Authors: nil, Published: pub, Updated: pub},
		{ID: "yes", Lang: "null", Title: "true", Summary: "1e3", Authors: []string{"~", "- x", ""}, Published: pub, Updated: pub},
		{ID: "ar-2", Lang: "ar", Title: "«لن نتراجع»: الحكومة", Summary: "سه\u200cشنبه", Published: pub, Updated: pub},
	}
}

func TestMarkdownRoundTrip(t *testing.T) {
	docs := append(Generate(23, 300, 100, 3000), trickyDocs()...)
	for _, d := range docs {
		md := Markdown(d)
		got, err := parseMarkdown(md)
		if err != nil {
			t.Fatalf("%s: parse Markdown(): %v\n%s", d.ID, err, md)
		}
		if !reflect.DeepEqual(got, d) {
			t.Fatalf("%s: round trip:\n got %#v\nwant %#v\n%s", d.ID, got, d, md)
		}

		// A real YAML parser agrees.
		fm, _, _ := bytes.Cut(bytes.TrimPrefix(md, []byte("---\n")), []byte("\n---\n"))
		var y struct {
			ID        string    `yaml:"id"`
			Title     string    `yaml:"title"`
			Lang      string    `yaml:"lang"`
			Published time.Time `yaml:"published"`
			Updated   time.Time `yaml:"updated"`
			URL       string    `yaml:"url"`
			Authors   []string  `yaml:"authors"`
			Summary   string    `yaml:"summary"`
		}
		dec := yaml.NewDecoder(bytes.NewReader(fm))
		dec.KnownFields(true)
		if err := dec.Decode(&y); err != nil {
			t.Fatalf("%s: yaml: %v\n%s", d.ID, err, fm)
		}
		yd := Doc{
			ID: y.ID, Title: y.Title, Lang: y.Lang, Published: y.Published, Updated: y.Updated,
			URL: y.URL, Authors: y.Authors, Summary: y.Summary, Body: d.Body,
		}
		if len(yd.Authors) == 0 {
			yd.Authors = nil
		}
		if !reflect.DeepEqual(yd, d) {
			t.Fatalf("%s: yaml decoding:\n got %#v\nwant %#v\n%s", d.ID, yd, d, fm)
		}
	}
}

func TestMarkdownInvalidUTF8(t *testing.T) {
	d := Doc{Lang: "en", Title: "bad \xff byte", Body: "x\xc3"}
	md := Markdown(d)
	if !utf8.Valid(md) {
		t.Fatalf("Markdown() is not valid UTF-8: %q", md)
	}
	got, err := parseMarkdown(md)
	if err != nil {
		t.Fatal(err)
	}
	if want := "bad \uFFFD byte"; got.Title != want {
		t.Errorf("title = %q, want %q", got.Title, want)
	}
}

// parseMarkdown parses the front matter Markdown writes, independently of
// it: "key: value" lines whose values are YAML double-quoted scalars or
// RFC 3339 times, and an authors block list.
func parseMarkdown(md []byte) (Doc, error) {
	rest, ok := strings.CutPrefix(string(md), "---\n")
	if !ok {
		return Doc{}, errors.New("no opening ---")
	}
	fm, body, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		return Doc{}, errors.New("no closing ---")
	}
	body, ok = strings.CutPrefix(body, "\n")
	if !ok {
		return Doc{}, errors.New("no blank line after front matter")
	}
	d := Doc{Body: body}
	lines := strings.Split(fm, "\n")
	for i := 0; i < len(lines); i++ {
		key, val, ok := strings.Cut(lines[i], ":")
		if !ok {
			return Doc{}, fmt.Errorf("line %q: no key", lines[i])
		}
		val = strings.TrimPrefix(val, " ")
		var err error
		str := func(p *string) { *p, err = unquoteYAML(val) }
		tm := func(p *time.Time) { *p, err = time.Parse(time.RFC3339, val) }
		switch key {
		case "id":
			str(&d.ID)
		case "title":
			str(&d.Title)
		case "lang":
			str(&d.Lang)
		case "url":
			str(&d.URL)
		case "summary":
			str(&d.Summary)
		case "published":
			tm(&d.Published)
		case "updated":
			tm(&d.Updated)
		case "authors":
			if val == "[]" {
				break
			}
			if val != "" {
				return Doc{}, fmt.Errorf("authors: %q", val)
			}
			for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "  - ") {
				i++
				a, err := unquoteYAML(strings.TrimPrefix(lines[i], "  - "))
				if err != nil {
					return Doc{}, err
				}
				d.Authors = append(d.Authors, a)
			}
		default:
			return Doc{}, fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return Doc{}, fmt.Errorf("%s: %w", key, err)
		}
	}
	return d, nil
}

// unquoteYAML decodes a one-line YAML double-quoted scalar, per YAML 1.2
// section 5.7 and 7.3.1.
func unquoteYAML(s string) (string, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", fmt.Errorf("not double-quoted: %q", s)
	}
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			return "", fmt.Errorf("unescaped quote in %q", s)
		case r == utf8.RuneError && n == 1:
			return "", fmt.Errorf("invalid UTF-8 in %q", s)
		case r < 0x20 && r != '\t', r == 0x7f, r >= 0x80 && r < 0xa0 && r != 0x85:
			return "", fmt.Errorf("unprintable %U in %q", r, s)
		case r != '\\':
			b.WriteRune(r)
			i += n
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("trailing backslash in %q", s)
		}
		c := s[i+1]
		i += 2
		simple := map[byte]rune{
			'0': 0, 'a': 7, 'b': 8, 't': 9, '\t': 9, 'n': 10, 'v': 11, 'f': 12, 'r': 13,
			'e': 0x1b, ' ': ' ', '"': '"', '/': '/', '\\': '\\', 'N': 0x85, '_': 0xa0,
			'L': 0x2028, 'P': 0x2029,
		}
		if r, ok := simple[c]; ok {
			b.WriteRune(r)
			continue
		}
		digits := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
		if digits == 0 || i+digits > len(s) {
			return "", fmt.Errorf("bad escape \\%c in %q", c, s)
		}
		v, err := strconv.ParseUint(s[i:i+digits], 16, 32)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q: %w", s, err)
		}
		b.WriteRune(rune(v))
		i += digits
	}
	return b.String(), nil
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	docs := Generate(29, 120, 200, 2000)
	total, err := WriteDir(dir, docs)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, d := range docs {
		n, _ := idNumber(d.ID)
		p := filepath.Join(dir, d.Lang, fmt.Sprintf("%05d.md", n))
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%s: %v", d.ID, err)
		}
		if !bytes.Equal(got, Markdown(d)) {
			t.Errorf("%s: %s differs from Markdown()", d.ID, p)
		}
		want += int64(len(got))
	}
	if total != want {
		t.Errorf("WriteDir() = %d bytes, want %d", total, want)
	}
	files := 0
	filepath.WalkDir(dir, func(_ string, e fs.DirEntry, _ error) error {
		if !e.IsDir() {
			files++
		}
		return nil
	})
	if files != len(docs) {
		t.Errorf("%d files written, want %d", files, len(docs))
	}

	dup := Doc{ID: "en-5", Lang: "en"}
	if _, err := WriteDir(dir, []Doc{dup, dup}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("WriteDir(same doc twice) = %v, want ErrDuplicate", err)
	}

	// Docs without a number in their ID are numbered by position.
	d := Doc{ID: "custom", Lang: "en-GB"}
	if _, err := WriteDir(dir, []Doc{{ID: "a", Lang: "en-GB"}, d}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "en-GB", "00002.md")); err != nil {
		t.Error(err)
	}
}

func TestWriteDirBadLang(t *testing.T) {
	for _, lang := range []string{"", "..", "../x", "a/b", `a\b`, "-x", "é"} {
		dir := t.TempDir()
		_, err := WriteDir(dir, []Doc{{ID: "en-1", Lang: "en"}, {ID: "x-2", Lang: lang}})
		if !errors.Is(err, ErrBadLang) {
			t.Errorf("WriteDir(lang %q) = %v, want ErrBadLang", lang, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("WriteDir(lang %q) wrote %d entries before failing", lang, len(entries))
		}
	}
}
