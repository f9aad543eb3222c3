package corpus

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func TestDeterministic(t *testing.T) {
	a, b := New(42, 500, 5000), New(42, 500, 5000)
	for i := range 300 {
		da, db := a.Next(), b.Next()
		if !reflect.DeepEqual(da, db) {
			t.Fatalf("doc %d differs between two generators with the same seed:\n%+v\n%+v", i, da, db)
		}
	}
	if got, want := Generate(42, 50, 500, 5000), Generate(42, 50, 500, 5000); !reflect.DeepEqual(got, want) {
		t.Errorf("Generate(42, 50, 500, 5000) differs between calls")
	}
	if x, y := Generate(1, 5, 500, 5000), Generate(2, 5, 500, 5000); reflect.DeepEqual(x, y) {
		t.Errorf("seeds 1 and 2 gave the same docs")
	}
}

func TestGenerateMatchesNew(t *testing.T) {
	docs := Generate(9, 20, 100, 900)
	g := New(9, 100, 900)
	for i, d := range docs {
		if got := g.Next(); !reflect.DeepEqual(got, d) {
			t.Fatalf("Generate()[%d] = %+v, want New().Next() = %+v", i, d, got)
		}
	}
	if got := Generate(9, 0, 100, 900); len(got) != 0 {
		t.Errorf("Generate(n=0) returned %d docs", len(got))
	}
}

func TestBodySize(t *testing.T) {
	tests := []struct {
		min, max, n int
	}{
		{0, 0, 50},
		{0, 10, 100},
		{1, 1, 100},
		{5, 7, 100},
		{50, 60, 200},
		{100, 100, 200},
		{300, 400, 300},
		{500, 3000, 500},
		{1000, 1003, 300},
		{2000, 2000, 300},
		{4096, 65536, 100},
		{100000, 100000, 20},
		{-5, 3, 50},   // negative min is 0
		{800, 10, 50}, // max below min is min
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d-%d", tt.min, tt.max), func(t *testing.T) {
			lo, hi := max(tt.min, 0), max(tt.max, tt.min, 0)
			g := New(int64(tt.min*31+tt.max), tt.min, tt.max)
			for range tt.n {
				d := g.Next()
				if n := len(d.Body); n < lo || n > hi {
					t.Fatalf("%s: len(Body) = %d, want in [%d, %d]", d.ID, n, lo, hi)
				}
				if !utf8.ValidString(d.Body) {
					t.Fatalf("%s: Body is not valid UTF-8: %q", d.ID, d.Body)
				}
			}
		})
	}
}

// TestBodySizeSpread checks that body sizes cover their range: not all at
// one end.
func TestBodySizeSpread(t *testing.T) {
	const lo, hi, n = 1000, 9000, 2000
	var buckets [8]int
	var sum float64
	g := New(3, lo, hi)
	for range n {
		l := len(g.Next().Body)
		sum += float64(l)
		buckets[min((l-lo)*len(buckets)/(hi-lo), len(buckets)-1)]++
	}
	if mean, mid := sum/n, float64(lo+hi)/2; math.Abs(mean-mid) > 0.1*mid {
		t.Errorf("mean body size = %.0f, want about %.0f", mean, mid)
	}
	for i, c := range buckets {
		if c < n/len(buckets)/2 {
			t.Errorf("bucket %d of body sizes has %d of %d docs: %v", i, c, n, buckets)
		}
	}
}

func TestLanguages(t *testing.T) {
	count := map[string]int{}
	for _, d := range Generate(1, 1000, 200, 2000) {
		count[d.Lang]++
	}
	want := []string{"en", "es", "fr", "ru", "uk", "ar", "fa", "zh", "hi"}
	for _, tag := range want {
		if count[tag] == 0 {
			t.Errorf("no %q doc among 1000", tag)
		}
	}
	if len(count) != len(want) {
		t.Errorf("languages = %v, want %v", count, want)
	}
	if en := count["en"]; en < 250 || en > 350 {
		t.Errorf("%d English docs of 1000, want about 300", en)
	}
	t.Logf("languages in 1000 docs: %v", count)
}

var (
	idRE  = regexp.MustCompile(`^([a-z]{2})-([1-9][0-9]*)$`)
	urlRE = regexp.MustCompile(`^https://news\.example\.org/([a-z]{2})/(20\d\d)/(\d\d)/([a-z0-9]+(?:-[a-z0-9]+)*)-([1-9][0-9]*)$`)
)

func TestMetadata(t *testing.T) {
	docs := Generate(5, 3000, 300, 3000)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	updated := 0
	for i, d := range docs {
		n := fmt.Sprint(i + 1)
		if m := idRE.FindStringSubmatch(d.ID); m == nil || m[1] != d.Lang || m[2] != n {
			t.Fatalf("doc %d: ID = %q, want %q", i, d.ID, d.Lang+"-"+n)
		}
		m := urlRE.FindStringSubmatch(d.URL)
		if m == nil || m[1] != d.Lang || m[5] != n || m[2] != d.Published.Format("2006") || m[3] != d.Published.Format("01") {
			t.Fatalf("%s: URL = %q, want https://news.example.org/%s/%s/<slug>-%s", d.ID, d.URL, d.Lang, d.Published.Format("2006/01"), n)
		}
		for _, tm := range []time.Time{d.Published, d.Updated} {
			if tm.Location() != time.UTC || tm.Nanosecond() != 0 || tm.Before(start) || !tm.Before(end) {
				t.Fatalf("%s: time %v, want UTC whole seconds in 2025–2026", d.ID, tm)
			}
		}
		if d.Updated.Before(d.Published) {
			t.Fatalf("%s: Updated %v before Published %v", d.ID, d.Updated, d.Published)
		}
		if d.Updated.After(d.Published) {
			updated++
		}
		if i >= 50 && !docs[i-50].Published.Before(d.Published) {
			t.Fatalf("%s published %v, not after %s (%v)", d.ID, d.Published, docs[i-50].ID, docs[i-50].Published)
		}
		if d.Title == "" || d.Summary == "" || len(d.Authors) == 0 || len(d.Authors) > 3 {
			t.Fatalf("%s: empty title or summary, or %d authors", d.ID, len(d.Authors))
		}
		if strings.ContainsAny(d.Title, "\n\r") || strings.ContainsAny(d.Summary, "\n\r") {
			t.Fatalf("%s: title or summary has a line break", d.ID)
		}
	}
	if updated < len(docs)/5 || updated > len(docs)/2 {
		t.Errorf("%d of %d docs updated after publication, want about a third", updated, len(docs))
	}
}

func TestValidUTF8(t *testing.T) {
	for _, d := range Generate(11, 2000, 100, 4000) {
		for _, s := range append([]string{d.ID, d.Title, d.Lang, d.URL, d.Summary, d.Body}, d.Authors...) {
			if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
				t.Fatalf("%s: invalid UTF-8 in %q", d.ID, s)
			}
		}
		if !utf8.Valid(Markdown(d)) {
			t.Fatalf("%s: Markdown() is not valid UTF-8", d.ID)
		}
	}
}

// TestStructure checks the parts every body has: byline, dateline,
// paragraphs, footer.
func TestStructure(t *testing.T) {
	byTag := map[string]*lang{}
	for _, l := range languages() {
		byTag[l.tag] = l
	}
	headings := 0
	for _, d := range Generate(13, 1000, 2000, 8000) {
		l := byTag[d.Lang]
		paras := strings.Split(d.Body, "\n\n")
		if len(paras) < 4 {
			t.Fatalf("%s: %d blocks, want byline, paragraphs and footer:\n%s", d.ID, len(paras), d.Body)
		}
		if got, want := paras[0], byLine(l, d.Authors); got != want {
			t.Errorf("%s: byline = %q, want %q", d.ID, got, want)
		}
		if got, want := "\n\n"+paras[len(paras)-1], l.footer; got != want {
			t.Errorf("%s: last block = %q, want footer %q", d.ID, got, want)
		}
		if !strings.Contains(paras[1], "— ") && !strings.Contains(paras[1], "——") {
			t.Errorf("%s: first paragraph has no dateline: %q", d.ID, paras[1])
		}
		for _, p := range paras[1 : len(paras)-1] {
			if strings.HasPrefix(p, "## ") {
				headings++
				if strings.Contains(p, "\n") {
					t.Errorf("%s: heading spans lines: %q", d.ID, p)
				}
				continue
			}
			if p == "" || strings.Contains(p, "\n") || strings.HasPrefix(p, " ") {
				t.Errorf("%s: malformed paragraph %q", d.ID, p)
			}
		}
	}
	if headings == 0 {
		t.Errorf("no subheadings in 1000 docs")
	}
}

// byLine renders the byline the way a reader expects it, independently of
// Generator.byline.
func byLine(l *lang, authors []string) string {
	s := authors[0]
	for i := 1; i < len(authors); i++ {
		if i == len(authors)-1 {
			s += l.and + authors[i]
		} else {
			s += l.listSep + authors[i]
		}
	}
	return strings.Replace(l.byline, "%s", s, 1)
}

// TestScripts checks each language's script, punctuation and casing.
func TestScripts(t *testing.T) {
	text := map[string]string{}
	for _, d := range Generate(17, 900, 3000, 6000) {
		text[d.Lang] += body(d) + "\n\n"
	}
	tests := []struct {
		lang   string
		script *unicode.RangeTable
		must   []string // substrings every language sample contains
		never  []string
	}{
		{"en", unicode.Latin, []string{". ", ", ", "“", " the "}, nil},
		{"es", unicode.Latin, []string{". ", "¿", " de ", "ó"}, nil},
		{"fr", unicode.Latin, []string{". ", "«\u00a0", " de ", "é"}, nil},
		{"ru", unicode.Cyrillic, []string{". ", "«", " и "}, []string{"ї", "є"}},
		{"uk", unicode.Cyrillic, []string{". ", "«", "і"}, []string{"ы", "э"}},
		{"ar", unicode.Arabic, []string{"،", "؟", " في "}, []string{"ی", "ک"}},
		{"fa", unicode.Arabic, []string{"،", "؟", "\u200c", " در "}, []string{"ي", "ك"}},
		{"zh", unicode.Han, []string{"，", "。", "的"}, []string{". ", ", "}},
		{"hi", unicode.Devanagari, []string{"।", " के "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			s := text[tt.lang]
			if s == "" {
				t.Fatalf("no %s docs", tt.lang)
			}
			var in, letters int
			for _, r := range s {
				if unicode.IsLetter(r) {
					letters++
					if unicode.Is(tt.script, r) {
						in++
					}
				}
			}
			if frac := float64(in) / float64(letters); frac < 0.95 {
				t.Errorf("%.1f%% of letters in the expected script, want 95%%+", 100*frac)
			}
			for _, m := range tt.must {
				if !strings.Contains(s, m) {
					t.Errorf("text has no %q", m)
				}
			}
			for _, m := range tt.never {
				if strings.Contains(s, m) {
					t.Errorf("text has %q", m)
				}
			}
		})
	}

	// Latin and Cyrillic sentences start with a capital.
	for _, tag := range []string{"en", "es", "fr", "ru", "uk"} {
		for _, p := range strings.Split(text[tag], "\n\n") {
			for _, s := range strings.SplitAfter(p, ". ") {
				r, _ := utf8.DecodeRuneInString(strings.TrimLeft(s, "“«¿\u00a0— "))
				if unicode.IsLower(r) {
					t.Errorf("%s: sentence starts in lower case: %q", tag, s)
					break
				}
			}
		}
	}

	// Chinese has no spaces between characters.
	for _, p := range strings.Split(text["zh"], "\n\n") {
		if strings.ContainsRune(p, ' ') {
			t.Errorf("zh: paragraph has a space: %q", p)
			break
		}
	}
}

// body returns the paragraphs of d, without byline, footer and headings.
func body(d Doc) string {
	paras := strings.Split(d.Body, "\n\n")
	paras = paras[1 : len(paras)-1]
	return strings.Join(slices.DeleteFunc(paras, func(p string) bool {
		return strings.HasPrefix(p, "## ")
	}), "\n\n")
}

// TestRealism checks statistics of the text that real news has.
func TestRealism(t *testing.T) {
	docs := Generate(19, 1500, 3000, 8000)

	// Sentence lengths, in words, for languages that space words.
	var lengths []int
	for _, d := range docs {
		if d.Lang == "zh" {
			continue
		}
		for _, p := range strings.Split(body(d), "\n\n") {
			for _, s := range regexp.MustCompile(`[.?!।؟] `).Split(p, -1) {
				lengths = append(lengths, len(strings.Fields(s)))
			}
		}
	}
	slices.Sort(lengths)
	p10, p50, p90 := lengths[len(lengths)/10], lengths[len(lengths)/2], lengths[len(lengths)*9/10]
	t.Logf("sentence length in words: p10 %d, median %d, p90 %d", p10, p50, p90)
	if p10 < 6 || p50 < 12 || p50 > 24 || p90 > 34 {
		t.Errorf("sentence lengths p10 %d, median %d, p90 %d; want about 8–30 words", p10, p50, p90)
	}

	// Zipf: in English the most frequent word is "the", at a few per cent.
	freq := map[string]int{}
	words := 0
	for _, d := range docs {
		if d.Lang != "en" {
			continue
		}
		for _, w := range strings.FieldsFunc(body(d), func(r rune) bool { return !unicode.IsLetter(r) }) {
			freq[strings.ToLower(w)]++
			words++
		}
	}
	top := slices.SortedFunc(func(yield func(string) bool) {
		for w := range freq {
			if !yield(w) {
				return
			}
		}
	}, func(a, b string) int { return freq[b] - freq[a] })
	share := float64(freq["the"]) / float64(words)
	t.Logf("English: %d words, %d distinct; top: %v; the: %.1f%%", words, len(freq), top[:10], 100*share)
	if top[0] != "the" || share < 0.03 || share > 0.15 {
		t.Errorf("most frequent English word %q, \"the\" at %.1f%%; want \"the\" at 3–15%%", top[0], 100*share)
	}
	if len(freq) < 400 {
		t.Errorf("%d distinct English words, want 400+", len(freq))
	}

	// Each article has a topic: its main person recurs.
	byTag := map[string]*lang{}
	for _, l := range languages() {
		byTag[l.tag] = l
	}
	repeated := 0
	for _, d := range docs {
		best := 0
		for _, p := range byTag[d.Lang].people.items {
			best = max(best, strings.Count(d.Body, p.short))
		}
		if best >= 3 {
			repeated++
		}
	}
	if repeated < len(docs)*9/10 {
		t.Errorf("only %d of %d articles mention one person 3+ times", repeated, len(docs))
	}
}

func TestVocabulary(t *testing.T) {
	for _, l := range languages() {
		if n := len(l.words); n < 250 {
			t.Errorf("%s: %d common words, want a few hundred", l.tag, n)
		}
		topical := len(l.nouns.items) + len(l.verbs.items) + len(l.people.items) + len(l.places.items) + len(l.orgs.items)
		if topical < 100 {
			t.Errorf("%s: %d topical words and names, want 100+", l.tag, topical)
		}
		for _, e := range append(append([]entry(nil), l.people.items...), l.reporters.items...) {
			if strings.ContainsAny(e.base, "|_") || e.base == "" {
				t.Errorf("%s: bad name %q", l.tag, e.base)
			}
		}
	}
}

func TestSlug(t *testing.T) {
	tests := []struct {
		lang, title, want string
	}{
		{"en", `Kyiv: "We will not give up"`, "kyiv-we-will-not-give-up"},
		{"es", "Qué significa la inflación para Bogotá", "que-significa-la-inflacion-para-bogota"},
		{"fr", "L'Assemblée nationale a levé le blocus", "l-assemblee-nationale-a-leve-le-blocus"},
		{"ru", "Что известно к этому часу", "chto-izvestno-k-etomu-chasu"},
		{"uk", "Київ: нові заходи", "kiyiv-novi-zakhodi"},
		{"ar", "القاهرة: ما نعرفه", ""},
		{"en", strings.Repeat("word ", 30), "word-word-word-word-word-word-word-word-word-word-word-word"},
	}
	byTag := map[string]*lang{}
	for _, l := range languages() {
		byTag[l.tag] = l
	}
	for _, tt := range tests {
		if got := byTag[tt.lang].slug(tt.title); got != tt.want {
			t.Errorf("slug(%q) = %q, want %q", tt.title, got, tt.want)
		}
	}
}
