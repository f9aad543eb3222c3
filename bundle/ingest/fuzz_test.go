package ingest

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/samizdat/samizdat/bundle"
)

// seed adds the corpus fixtures whose names end in one of exts, and the
// extra inputs, to the fuzz corpus.
func seed(f *testing.F, exts []string, extra ...string) {
	f.Helper()
	err := filepath.WalkDir("testdata/corpus", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, ext := range exts {
			if strings.HasSuffix(p, ext) {
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				f.Add(b)
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// checkArticle checks the invariants every parsed article keeps.
func checkArticle(t *testing.T, a *bundle.Article, wantType string) {
	t.Helper()
	switch {
	case a == nil:
		t.Fatal("nil article without error")
	case a.ID == "" || len(a.ID) > maxIDLen || !utf8.ValidString(a.ID):
		t.Errorf("ID = %q, want non-empty valid UTF-8 of at most %d bytes", a.ID, maxIDLen)
	case a.Title == "" || len(a.Title) > maxTitleLen || !utf8.ValidString(a.Title) || strings.TrimSpace(a.Title) != a.Title:
		t.Errorf("Title = %q, want non-empty trimmed valid UTF-8 of at most %d bytes", a.Title, maxTitleLen)
	case a.Lang == "" || canonicalLang(a.Lang) != a.Lang:
		t.Errorf("Lang = %q, want a canonical tag", a.Lang)
	case len(a.URL) > maxURLLen || !utf8.ValidString(a.URL):
		t.Errorf("URL = %q, want valid UTF-8 of at most %d bytes", a.URL, maxURLLen)
	case !utf8.ValidString(a.Summary) || len(a.Summary) > maxSummaryLen:
		t.Errorf("Summary = %q, want valid UTF-8 of at most %d bytes", a.Summary, maxSummaryLen)
	case len(a.Authors) > maxAuthors:
		t.Errorf("%d authors, want at most %d", len(a.Authors), maxAuthors)
	case wantType != "" && a.ContentType != wantType:
		t.Errorf("ContentType = %q, want %q", a.ContentType, wantType)
	case a.ContentType == "":
		t.Error("empty ContentType")
	}
	for _, au := range a.Authors {
		if au == "" || !utf8.ValidString(au) || len(au) > maxAuthorLen {
			t.Errorf("author %q, want non-empty valid UTF-8 of at most %d bytes", au, maxAuthorLen)
		}
	}
	for _, d := range []time.Time{a.Published, a.Updated} {
		if d.Location() != time.UTC || d.Nanosecond() != 0 {
			t.Errorf("date %v, want UTC with second precision", d)
		}
	}
}

// checkError checks that a parse error names the file and wraps a
// sentinel.
func checkError(t *testing.T, name string, err error) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != name || fe.Line < 0 {
		t.Fatalf("error %v (%T), want a *FileError for %q", err, err, name)
	}
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrMalformed or ErrTooLarge", err)
	}
}

// fuzzOne fuzzes a single-article parser: on success the article keeps
// its invariants, its body passes checkBody, and parsing again gives the
// same article; the lenient parser Walk uses agrees (see checkLenient).
func fuzzOne(f *testing.F, name, wantType string, parse func(string, []byte) (*bundle.Article, error), lenient func(string, []byte, *report) (*bundle.Article, error), checkBody func(t *testing.T, data, body []byte)) {
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		a, err := parse(name, data)
		if !bytes.Equal(orig, data) {
			t.Fatal("parser modified its input")
		}
		checkLenient(t, name, wantType, data, err, func(r *report) ([]*bundle.Article, error) {
			a, err := lenient(name, data, r)
			if err != nil {
				return nil, err
			}
			return []*bundle.Article{a}, nil
		}, func(got []*bundle.Article) bool { return cmp.Equal([]*bundle.Article{a}, got) })
		if err != nil {
			checkError(t, name, err)
			return
		}
		checkArticle(t, a, wantType)
		checkBody(t, data, a.Body)
		again, err := parse(name, data)
		if err != nil {
			t.Fatalf("second parse error = %v", err)
		}
		if !cmp.Equal(a, again) {
			diff := cmp.Diff(a, again)
			t.Errorf("second parse differs (-first +second):\n%s", diff)
		}
	})
}

// fuzzMany is fuzzOne for multi-article parsers.
func fuzzMany(f *testing.F, name, wantType string, parse func(string, []byte) ([]*bundle.Article, error), lenient parseFunc) {
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		as, err := parse(name, data)
		if !bytes.Equal(orig, data) {
			t.Fatal("parser modified its input")
		}
		checkLenient(t, name, wantType, data, err, func(r *report) ([]*bundle.Article, error) {
			return lenient(name, data, r)
		}, func(got []*bundle.Article) bool { return cmp.Equal(as, got) })
		if err != nil {
			checkError(t, name, err)
			return
		}
		if len(as) > maxArticlesPerFile {
			t.Errorf("%d articles, want at most %d", len(as), maxArticlesPerFile)
		}
		for _, a := range as {
			checkArticle(t, a, wantType)
		}
		again, err := parse(name, data)
		if err != nil {
			t.Fatalf("second parse error = %v", err)
		}
		if !cmp.Equal(as, again) {
			diff := cmp.Diff(as, again)
			t.Errorf("second parse differs (-first +second):\n%s", diff)
		}
	})
}

// checkLenient parses data leniently, as Walk without Strict does, given
// the strict parse's error: where the strict parse succeeds, the lenient
// one gives the same articles (same reports whether they are equal) and
// no warning; where it fails, the lenient one fails too (a file that does
// not parse) or succeeds with at least one warning, each a cut or a
// skipped item wrapping a sentinel. Every article it gives keeps the
// invariants, cut fields included, and a second parse gives the same.
func checkLenient(t *testing.T, name, wantType string, data []byte, strictErr error, parse func(*report) ([]*bundle.Article, error), same func([]*bundle.Article) bool) {
	t.Helper()
	var ws []Warning
	r := &report{warn: func(w Warning) { ws = append(ws, w) }}
	as, err := parse(r)
	switch {
	case strictErr == nil && err != nil:
		t.Fatalf("lenient parse error = %v, strict parse succeeded", err)
	case strictErr == nil && (len(ws) > 0 || !same(as)):
		t.Fatalf("lenient parse gave %d warnings (%v) or other articles than the strict one", len(ws), ws)
	case err != nil:
		checkError(t, name, err)
		if errors.Is(err, errExtractorPanic) {
			t.Fatalf("the extractor panicked: %v", err)
		}
		return
	case strictErr != nil && len(ws) == 0:
		t.Fatalf("lenient parse gave no warning where the strict one failed with %v", strictErr)
	}
	for _, w := range ws {
		if w.Kind != Skipped && w.Kind != Cut || w.Line < 0 || w.Item < 0 ||
			!errors.Is(w.Err, ErrMalformed) && !errors.Is(w.Err, ErrTooLarge) {
			t.Errorf("warning %+v, want a cut or a skip wrapping ErrMalformed or ErrTooLarge", w)
		}
	}
	for _, a := range as {
		checkArticle(t, a, wantType)
	}
	again, err := parse(&report{})
	if err != nil || !cmp.Equal(as, again) {
		t.Errorf("second lenient parse differs (error %v)", err)
	}
}

// bodySuffix checks that a body is a suffix of the input: text and
// markdown bodies are the file, or its end.
func bodySuffix(t *testing.T, data, body []byte) {
	t.Helper()
	if !bytes.HasSuffix(data, body) {
		t.Errorf("Body is not a suffix of the input")
	}
}

// bodySafe checks that an extracted HTML body holds only the elements and
// attributes cleanBody keeps, with safe URLs, and that it parses back
// into the same HTML.
func bodySafe(t *testing.T, _, body []byte) {
	t.Helper()
	err := scanHTML(body, func(tok *htmlToken) error {
		if tok.typ != html.StartTagToken && tok.typ != html.SelfClosingTagToken {
			return nil
		}
		keep, ok := bodyElements[atom.Lookup([]byte(tok.name))]
		if !ok {
			t.Errorf("body has a <%s> element", tok.name)
		}
		for _, a := range tok.attrs {
			if a.Key != "lang" && a.Key != "dir" && !slices.Contains(keep, a.Key) {
				t.Errorf("body has <%s %s=%q>", tok.name, a.Key, a.Val)
			}
			if (a.Key == "href" || a.Key == "src") && !safeURL(a.Val) {
				t.Errorf("body has <%s %s=%q>, an unsafe URL", tok.name, a.Key, a.Val)
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("body does not tokenize: %v", err)
	}
}

func FuzzParseText(f *testing.F) {
	seed(f, []string{".txt"}, "", "\n\n", "\xff\xfe title", "\uFEFF", strings.Repeat("word ", 300), strings.Repeat("市议会", 400),
		"Home\nNews\nSport\nA headline of six words here\nBy Ann Lee\nPublished 2 May 2024\n"+
			strings.Repeat("A paragraph that runs on long enough to count as body text of the page.\n", 3))
	fuzzOne(f, "fuzz/input.txt", typeText, ParseText, parseText, bodySuffix)
}

func FuzzParseMarkdown(f *testing.F) {
	seed(f, []string{".md"},
		"---\n---\n", "---", "---\ntitle: [\n---\n", "---\nauthors: &a x\nid: *a\n---\n# h\n",
		"# *a* `b` <i>c</i>\n", "---\r\npublished: 2024-01-01\r\n---\r\n", "Setext\n===\n",
		"---\nsummary: "+strings.Repeat("s ", 2100)+"\n---\n# "+strings.Repeat("t ", 600)+"\n")
	fuzzOne(f, "fuzz/input.md", typeMarkdown, ParseMarkdown, parseMarkdown, bodySuffix)
}

// FuzzParseHTML fuzzes the extraction of articles from pages.
func FuzzParseHTML(f *testing.F) {
	seedPages(f)
	seed(f, []string{".html"},
		`<title>a</title><h1>b</h1>`, `<svg><title>x</title></svg><h1><script>y</script>z</h1>`,
		`<meta property="article:published_time" content="2024-01-01T00:00:00.5+14:00">`, `<title>`, `<html lang="x-klingon-">`,
		`<title>`+strings.Repeat("t ", 600)+`</title>`+strings.Repeat(`<meta name="author" content="a">`, 40))
	fuzzOne(f, "fuzz/input.html", typeHTML, ParseHTML, parseHTML, bodySafe)
}

// seedPages adds the pages of testdata/pages to the fuzz corpus.
func seedPages(f *testing.F) {
	f.Helper()
	pages, err := filepath.Glob("testdata/pages/*.html")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParsePage fuzzes ParsePage, as a fetcher calls it: a page from a
// URL, with the charset of its Content-Type, kept whole or extracted.
// The article keeps its invariants, its url is absolute, and an extracted
// body is safe (see bodySafe).
func FuzzParsePage(f *testing.F) {
	for _, ct := range []string{"", "text/html; charset=windows-1251", "text/html; charset=utf-16le", "text/html; charset=x-nonsense"} {
		f.Add([]byte(`<link rel=canonical href="/a/b?c"><p>Привет, <a href="../x">мир</a>.</p>`), ct, false)
		f.Add([]byte("<meta charset=gbk><title>\xc4\xe3\xba\xc3</title><p>\xc4\xe3\xba\xc3</p>"), ct, true)
	}
	pages, err := filepath.Glob("testdata/pages/*.html")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "", false)
	}
	base, err := url.Parse("https://news.example.org/2024/05/page.html")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, contentType string, keep bool) {
		orig := bytes.Clone(data)
		a, err := ParsePage(data, base, contentType, Options{Strict: true, KeepPage: keep})
		if !bytes.Equal(orig, data) {
			t.Fatal("ParsePage modified its input")
		}
		if err != nil {
			checkError(t, base.String(), err)
			if errors.Is(err, errExtractorPanic) {
				t.Fatalf("the extractor panicked: %v", err)
			}
			return
		}
		checkArticle(t, a, typeHTML)
		if u, err := url.Parse(a.URL); err != nil || !u.IsAbs() {
			t.Errorf("URL = %q, want an absolute URL", a.URL)
		}
		if keep {
			if !bytes.Equal(a.Body, data) {
				t.Errorf("kept page's Body differs from the page")
			}
		} else {
			bodySafe(t, data, a.Body)
		}
		again, err := ParsePage(data, base, contentType, Options{Strict: true, KeepPage: keep})
		if err != nil || !cmp.Equal(a, again) {
			t.Errorf("second parse differs (error %v):\n%s", err, cmp.Diff(a, again))
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	seed(f, []string{".json"}, `[]`, `{"body":""}`, `[{"body":"","authors":["a",""]}, {"body":"x","id":"a"}]`, `{"body":1}`, "\uFEFF[ ]",
		`[{"body":"","title":"`+strings.Repeat("t ", 600)+`"}, {"body":1}, {"id":"`+strings.Repeat("i", 1100)+`","body":""}, {"body":""}]`)
	fuzzMany(f, "fuzz/input.json", "", ParseJSON, parseJSON)
}

func FuzzParseJSONL(f *testing.F) {
	seed(f, []string{".jsonl"}, "\n\n", "{\"body\":\"\"}\r\n{\"body\":\"\",\"url\":\"u\"}", `{"body":"","published":"2024-02-29"}`,
		"{\"body\":\"\",\"authors\":[\""+strings.Repeat("a", 300)+"\"]}\n{\"body\":}\n{\"body\":\"\"}\n")
	fuzzMany(f, "fuzz/input.jsonl", "", ParseJSONL, parseJSONL)
}

func FuzzParseFeed(f *testing.F) {
	seed(f, []string{".rss", ".atom", ".xml"},
		`<rss version="2.0"><channel><item><title>t</title></item></channel></rss>`,
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id></entry></feed>`,
		`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><item><link>l</link></item></rdf:RDF>`,
		`<note/>`,
		`<rss version="2.0"><channel><item><guid>a</guid><pubDate>soon</pubDate></item><item><title>`+strings.Repeat("t ", 600)+`</title></item></channel></rss>`)
	fuzzMany(f, "fuzz/input.xml", typeHTML, ParseFeed, parseFeed)
}

func FuzzReferences(f *testing.F) {
	seed(f, []string{".md", ".html"},
		`<img srcset=" , a.png 1x,, b.png (x, y) 2x, c.png,d.png">`, "![a](<b c.png> \"t\")\n\n<video poster=\"p.jpg\">",
		"<div>\n<img src=x.png>\n\n![x](y.png)")
	f.Fuzz(func(t *testing.T, body []byte) {
		orig := bytes.Clone(body)
		for _, ct := range []string{typeMarkdown, typeHTML} {
			refs := References(ct, body)
			if !bytes.Equal(orig, body) {
				t.Fatalf("References(%s) modified the body", ct)
			}
			seen := make(map[string]bool)
			for _, r := range refs {
				if !isLocalRef(r) || r != strings.Trim(r, asciiSpace) {
					t.Errorf("References(%s) returned %q, which is not a trimmed local reference", ct, r)
				}
				if seen[r] {
					t.Errorf("References(%s) returned %q twice", ct, r)
				}
				seen[r] = true
				// A name, if any, must be clean and relative.
				if n, err := attachmentName(r); err == nil {
					if n == "" || n == "." || strings.HasPrefix(n, "/") || n == ".." || strings.HasPrefix(n, "../") {
						t.Errorf("attachmentName(%q) = %q, want a clean relative path", r, n)
					}
				} else if !errors.Is(err, ErrBadReference) {
					t.Errorf("attachmentName(%q) error = %v, want ErrBadReference", r, err)
				}
			}
		}
	})
}
