package search

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
)

func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

// packBundle packs arts into an open, verified bundle held in memory.
func packBundle(t testing.TB, seq uint64, arts []*bundle.Article) *bundle.Bundle {
	t.Helper()
	p, err := bundle.NewPacker(bundle.PackOptions{Key: testKey(1), Seq: seq, TempDir: t.TempDir(),
		Created: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, a := range arts {
		if err := p.Add(a); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := p.Pack(&buf); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), bundle.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func art(id, lang, ct, title, body string) *bundle.Article {
	return &bundle.Article{ID: id, Lang: lang, ContentType: ct, Title: title, Body: []byte(body),
		Published: time.Date(2026, 10, 2, 3, 4, 5, 0, time.UTC)}
}

var multilingual = []*bundle.Article{
	art("en-1", "en", "text/plain", "Harbour reopens", "The harbour reopened on Monday after the storm."),
	art("ru-1", "ru", "text/markdown", "Москва", "# Заголовок\n\nВ Москве прошли **выборы** мэра."),
	art("ar-1", "ar", "text/plain", "الأخبار", "أعلنت الحكومة عن مدرسة جديدة في المدينة."),
	art("fa-1", "fa", "text/html", "خبر", "<p>دانشگاه\u200cها امروز باز شدند و کتاب\u200cها رسید.</p><script>secretscript()</script>"),
	art("zh-1", "zh-Hans", "text/plain", "新闻", "北京市政府今天宣布了新的交通计划。"),
	art("ja-1", "ja", "text/plain", "ニュース", "東京都は新しい計画を発表した。"),
	art("uk-1", "uk", "text/plain", "Київ", "У Києві відкрили нову бібліотеку."),
}

func TestSearchScripts(t *testing.T) {
	x, err := Open(t.TempDir() + "/index")
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	b := packBundle(t, 1, multilingual)
	if err := x.AddBundle(b); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q, lang string
		want    []string
	}{
		{"harbour", "", []string{"en-1"}},
		{"HARBOUR storm", "", []string{"en-1"}},
		{"harbour flood", "", nil}, // every word must match
		{"reopens", "", []string{"en-1"}},
		{"выборы", "", []string{"ru-1"}},
		{"ВЫБОРЫ", "", []string{"ru-1"}}, // Cyrillic case folding
		{"москва", "", []string{"ru-1"}}, // title
		{"مدرسة", "", []string{"ar-1"}},
		{"مدرسه", "", []string{"ar-1"}},   // teh marbuta folded to heh
		{"الاخبار", "", []string{"ar-1"}}, // alef with hamza folded
		{"دانشگاه", "", []string{"fa-1"}}, // zero-width non-joiner splits
		{"كتاب", "", []string{"fa-1"}},    // Arabic kaf finds Persian keheh
		{"secretscript", "", nil},         // script contents are not text
		{"北京", "", []string{"zh-1"}},
		{"交通计划", "", []string{"zh-1"}},
		{"交通", "zh", []string{"zh-1"}}, // primary subtag matches zh-Hans
		{"交通", "en", nil},
		{"東京", "", []string{"ja-1"}},
		{"计划", "", []string{"zh-1"}},
		{"бібліотеку", "uk", []string{"uk-1"}},
		{"", "", nil},
		{"   ", "", nil},
	} {
		hits, err := x.Search(tc.q, tc.lang, 10)
		if err != nil {
			t.Fatalf("Search(%q) = %v", tc.q, err)
		}
		var got []string
		for _, h := range hits {
			got = append(got, h.ID)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("Search(%q, %q) (-want +got):\n%s", tc.q, tc.lang, d)
		}
	}
	hits, err := x.Search("harbour", "", 10)
	if err != nil || len(hits) != 1 {
		t.Fatalf("Search(harbour) = %v, %v", hits, err)
	}
	want := Hit{Root: b.Root, Publisher: b.Publisher, ID: "en-1", Title: "Harbour reopens", Lang: "en",
		Published: time.Date(2026, 10, 2, 3, 4, 5, 0, time.UTC), Score: hits[0].Score}
	if d := cmp.Diff(want, hits[0], cmp.Comparer(cid.Cid.Equals)); d != "" {
		t.Errorf("hit (-want +got):\n%s", d)
	}
	if _, err := x.Search(strings.Repeat("a", MaxQueryLen+1), "", 10); !errors.Is(err, ErrQueryTooLong) {
		t.Errorf("Search(long) = %v, want ErrQueryTooLong", err)
	}
}

func TestAddRemoveReopen(t *testing.T) {
	dir := t.TempDir() + "/index"
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b1 := packBundle(t, 1, multilingual[:2])
	b2 := packBundle(t, 2, []*bundle.Article{art("en-2", "en", "text/plain", "Bridge vote", "The harbour bridge vote passed.")})
	for _, b := range []*bundle.Bundle{b1, b2, b1} { // the second b1 is a no-op
		if err := x.AddBundle(b); err != nil {
			t.Fatal(err)
		}
	}
	count := func(x *Index) int {
		hits, err := x.Search("harbour", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(hits)
	}
	if got := count(x); got != 2 {
		t.Errorf("hits for harbour = %d, want 2", got)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if x, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if !x.Has(b1.Root) || !x.Has(b2.Root) || len(x.Indexed()) != 2 {
		t.Fatalf("reopened index holds %v, want both bundles", x.Indexed())
	}
	if err := x.RemoveBundle(b1.Root); err != nil {
		t.Fatal(err)
	}
	if got := count(x); got != 1 {
		t.Errorf("after RemoveBundle, hits for harbour = %d, want 1", got)
	}
	if x.Has(b1.Root) || !x.Has(b2.Root) {
		t.Errorf("after RemoveBundle, Indexed() = %v", x.Indexed())
	}
	if err := x.RemoveBundle(b1.Root); err != nil {
		t.Errorf("RemoveBundle twice = %v", err)
	}
	if n, err := x.Size(); err != nil || n == 0 {
		t.Errorf("Size() = %d, %v", n, err)
	}
}

func TestCutUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 2, "ab"},
		{"سلام", 3, "س"},  // two bytes per letter: never half of one
		{"新聞", 4, "新"},    // three bytes per character
		{"Привет", 1, ""}, // not even one character fits
		{"", 0, ""},
	} {
		if got := string(CutUTF8([]byte(tc.in), tc.n)); got != tc.want || !utf8.ValidString(got) {
			t.Errorf("CutUTF8(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
