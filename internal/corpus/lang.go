package corpus

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// script is the writing system of a language: it decides word spacing,
// capitalisation, punctuation and how URL slugs are made.
type script int

const (
	latin script = iota
	cyrillic
	arabic // Arabic and Persian
	han
	devanagari
)

// zipfS is the exponent of the rank distribution words are drawn from,
// in tenths: P(rank) ∝ rank^-1.1.
const zipfS = 11

// langSpec is a language as written in the vocabulary files.
//
// In words, nouns and verbs, items are separated by spaces, "_" joins the
// words of a multi-word item ("according_to"), and "|" adds an alternative
// form (see entry). Items of the other lists may contain spaces.
// Lists are ordered from the most to the least frequent.
type langSpec struct {
	tag    string
	weight int // share of the stream, in percent
	script script

	words string // common words, function words first
	nouns string // topical news nouns
	verbs string // past-tense action verbs, "masculine|feminine" where they agree

	said      []string // reporting verbs: "said", "told reporters"
	times     []string // time expressions: "on Monday"
	people    []string // newsmakers (fictional); "|f" marks a woman
	reporters []string // bylines (fictional)
	places    []string // "nominative|locative" where the language inflects
	orgs      []string // "nominative|genitive" where the language inflects; "|f" marks feminine agreement

	// Templates: literal text with {X} slots, see tmpl.
	templates []string // body sentences, most common first
	headlines []string
	subheads  []string
	dateline  string // {U} place in capitals, {L} place, {D} day, {M} month name, {m} month number

	byline    string // "%s" is the list of authors
	and       string // joins the last two authors
	footer    string // closing boilerplate line
	months    [12]string
	digits    string // ten digits replacing ASCII 0-9, or ""
	thousands string // thousands separator
}

// entry is one vocabulary item.
type entry struct {
	base  string
	alt   string // inflected form: locative place, genitive institution, feminine verb; base if none
	short string // people: the name used after the first mention
	fem   bool   // person or institution that takes feminine agreement
}

// list is a vocabulary list with its rank distributions.
type list struct {
	items []entry
	z     zipf // for mentions in passing
	topic zipf // flatter, for the topic of an article
}

// topicS is the rank exponent, in tenths, for choosing an article's topic:
// flatter than zipfS, so that the most frequent noun or person is not the
// subject of every fourth article.
const topicS = 5

// templateS is the rank exponent, in tenths, for choosing a sentence
// template: a language has many sentence shapes in common use.
const templateS = 8

func (l *list) pick(r *rand.Rand) *entry { return &l.items[l.z.draw(r)] }

func (l *list) pickTopic(r *rand.Rand) *entry { return &l.items[l.topic.draw(r)] }

// lang is a compiled langSpec. It is immutable and shared by all generators.
type lang struct {
	tag     string
	weight  int
	script  script
	sep     string // between words
	sentSep string // between sentences
	caps    bool   // capitalise sentences
	comma   string
	period  string
	listSep string

	// words are the common words; the first nFunc are taken to be
	// function words, and filler text alternates between the two classes.
	words []string
	nFunc int
	funcZ zipf     // ranks of words[:nFunc]
	contZ zipf     // ranks of words[nFunc:]
	succ  []uint16 // succ[i*nSucc+j]: the j-th favourite successor of word i
	succZ zipf

	nouns, verbs, said, times, people, reporters, places, orgs list

	templates []tmpl
	tmplZ     zipf
	headlines []tmpl
	subheads  []tmpl
	dateline  tmpl

	byline, and string
	footer      string // the closing line with its blank line before and newline after
	months      [12]string
	digits      []string // nil for ASCII digits
	thousands   string
}

// nSucc is how many favourite successors each common word has.
const nSucc = 6

// nFunc is how many of a language's most frequent words count as function
// words. Real text alternates function and content words: after a function
// word, a content word follows with probability pContentAfterFunc percent,
// and after a content word with probability pContentAfterContent.
const (
	nFunc                = 48
	pContentAfterFunc    = 62
	pContentAfterContent = 30
)

// nextWord draws a common word given whether the previous one was a
// function word.
func (l *lang) nextWord(r *rand.Rand, prevFunc bool, x uint64) int {
	p := uint64(pContentAfterContent)
	if prevFunc {
		p = pContentAfterFunc
	}
	if x%100 < p {
		return l.nFunc + l.contZ.draw(r)
	}
	return l.funcZ.draw(r)
}

// languages returns the compiled languages, built once.
var languages = sync.OnceValue(func() []*lang {
	specs := []langSpec{
		english(), spanish(), french(), russian(), ukrainian(),
		arabicLang(), persian(), chinese(), hindi(),
	}
	ls := make([]*lang, len(specs))
	for i, s := range specs {
		ls[i] = compile(s, uint64(i))
	}
	return ls
})

func compile(s langSpec, index uint64) *lang {
	l := &lang{
		tag: s.tag, weight: s.weight, script: s.script,
		sep: " ", sentSep: " ", comma: ",", period: ".", listSep: ", ",
		byline: s.byline, and: s.and, footer: "\n\n" + s.footer + "\n",
		months: s.months, thousands: s.thousands,
	}
	switch s.script {
	case latin, cyrillic:
		l.caps = true
	case arabic:
		l.comma, l.listSep = "،", "، "
	case han:
		l.sep, l.sentSep, l.comma, l.period, l.listSep = "", "", "，", "。", "、"
	case devanagari:
		l.period = "।"
	}
	if s.digits != "" {
		for _, d := range s.digits {
			l.digits = append(l.digits, string(d))
		}
		if len(l.digits) != 10 {
			panic(fmt.Sprintf("corpus: %s: %d digits", s.tag, len(l.digits)))
		}
	}

	for _, w := range dedupe(strings.Fields(s.words)) {
		l.words = append(l.words, strings.ReplaceAll(w, "_", " "))
	}
	l.nFunc = min(nFunc, len(l.words)/4)
	l.funcZ = newZipf(l.nFunc, zipfS)
	// A content word keeps its weight from the whole list's ranking: the
	// most frequent content word is the (nFunc+1)-th word, not the first.
	l.contZ = newZipfFrom(l.nFunc+1, len(l.words)-l.nFunc, zipfS)
	l.succZ = newZipf(nSucc, zipfS)
	// Favourite successors come from a fixed per-language source, so that
	// they are the same for every seed, like a language's collocations.
	r := rand.New(rand.NewPCG(index, 0x62696772616d73)) // "bigrams"
	l.succ = make([]uint16, len(l.words)*nSucc)
	for i := range l.words {
		for j := range nSucc {
			k := i
			for k == i {
				k = l.nextWord(r, i < l.nFunc, r.Uint64())
			}
			l.succ[i*nSucc+j] = uint16(k)
		}
	}

	split := func(s string) []string { return strings.Fields(s) }
	l.nouns = l.newList(split(s.nouns))
	l.verbs = l.newList(split(s.verbs))
	l.said = l.newList(s.said)
	l.times = l.newList(s.times)
	l.people = l.newList(s.people)
	l.reporters = l.newList(s.reporters)
	l.places = l.newList(s.places)
	l.orgs = l.newList(s.orgs)

	for _, t := range s.templates {
		l.templates = append(l.templates, l.compileTmpl(t))
	}
	l.tmplZ = newZipf(len(l.templates), templateS)
	for _, t := range s.headlines {
		l.headlines = append(l.headlines, l.compileTmpl(t))
	}
	for _, t := range s.subheads {
		l.subheads = append(l.subheads, l.compileTmpl(t))
	}
	l.dateline = l.compileTmpl(s.dateline)
	return l
}

func dedupe(ws []string) []string {
	seen := make(map[string]bool, len(ws))
	out := ws[:0]
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

func (l *lang) newList(items []string) list {
	items = dedupe(append([]string(nil), items...))
	es := make([]entry, len(items))
	for i, it := range items {
		it = strings.ReplaceAll(it, "_", " ")
		var e entry
		for j, p := range strings.Split(it, "|") {
			switch {
			case p == "f":
				e.fem = true
			case j == 0:
				e.base = p
			default:
				e.alt = p
			}
		}
		if e.alt == "" {
			e.alt = e.base
		}
		e.short = e.base
		if l.sep != "" {
			if k := strings.LastIndexByte(e.base, ' '); k >= 0 {
				e.short = e.base[k+1:]
			}
		}
		es[i] = e
	}
	return list{items: es, z: newZipf(len(es), zipfS), topic: newZipf(len(es), topicS)}
}

// tmpl is a compiled template: literal text and one-letter slots.
//
// Slots: {E} {F} the article's main and second person (full name at first
// mention, then mostly the short name); {O} its institution, {o} in the
// alternative (genitive) form; {L} its place, {l} locative; {K} its key
// noun; {P} any person; {G} {g} any institution; {C} {c} any place; {N} any
// topical noun; {V} an action verb; {S} a reporting verb; {T} a time
// expression; {#} a number; {Y} a past year; {W} a run of common words
// filling the sentence to its drawn length. Datelines also have {U} the
// place in capitals, {D} the day, {M} the month's name and {m} its number.
type tmpl struct {
	parts   []part
	words   int  // estimated words, not counting {W}
	fills   int  // number of {W} slots
	subject byte // first person or institution slot: verbs agree with it
	hasP    bool // has a {P} slot
	hasG    bool // has a {G} or {g} slot
}

type part struct {
	lit  string
	slot byte // 0 for literal text
}

// slotWords estimates how many words a slot expands to.
func slotWords(c byte) int {
	switch c {
	case 'W':
		return 0
	case 'E', 'F', 'P', 'O', 'o', 'G', 'g', 'T':
		return 2
	}
	return 1
}

func (l *lang) compileTmpl(s string) tmpl {
	var t tmpl
	lit := func(s string) {
		if s == "" {
			return
		}
		t.parts = append(t.parts, part{lit: s})
		if l.sep == "" {
			t.words += utf8.RuneCountInString(s) / 2
			return
		}
		for _, f := range strings.Fields(s) {
			if strings.IndexFunc(f, unicode.IsLetter) >= 0 {
				t.words++
			}
		}
	}
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			lit(s)
			break
		}
		if len(s) < i+3 || s[i+2] != '}' {
			panic(fmt.Sprintf("corpus: %s: bad template slot in %q", l.tag, s))
		}
		lit(s[:i])
		c := s[i+1]
		t.parts = append(t.parts, part{slot: c})
		switch c {
		case 'W':
			t.fills++
		case 'P':
			t.hasP = true
		case 'G', 'g':
			t.hasG = true
		}
		switch c {
		case 'E', 'F', 'P', 'O', 'o', 'G', 'g':
			if t.subject == 0 {
				t.subject = c
			}
		}
		t.words += slotWords(c)
		s = s[i+3:]
	}
	return t
}

// slug makes a URL slug from a title, or returns "" for scripts that do
// not transliterate simply.
func (l *lang) slug(title string) string {
	if l.script != latin && l.script != cyrillic {
		return ""
	}
	const maxLen = 60
	var b, w strings.Builder
	flush := func() bool {
		if w.Len() == 0 {
			return true
		}
		if b.Len() > 0 && b.Len()+1+w.Len() > maxLen {
			return false
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(w.String())
		w.Reset()
		return true
	}
	for _, r := range strings.ToLower(title) {
		s := ""
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			s = string(r)
		case r >= utf8.RuneSelf:
			s = fold(r)
		}
		if s != "" {
			w.WriteString(s)
		} else if !flush() {
			break
		}
	}
	flush()
	return b.String()
}

// fold transliterates a lower-case letter to ASCII, or returns "".
func fold(r rune) string {
	if r >= 'а' && r <= 'я' {
		return cyrLatin[r-'а']
	}
	switch r {
	case 'á', 'à', 'â', 'ä', 'ã', 'å':
		return "a"
	case 'é', 'è', 'ê', 'ë':
		return "e"
	case 'í', 'ì', 'î', 'ï':
		return "i"
	case 'ó', 'ò', 'ô', 'ö', 'õ':
		return "o"
	case 'ú', 'ù', 'û', 'ü':
		return "u"
	case 'ñ':
		return "n"
	case 'ç':
		return "c"
	case 'œ':
		return "oe"
	case 'æ':
		return "ae"
	case 'ё':
		return "e"
	case 'і':
		return "i"
	case 'ї':
		return "yi"
	case 'є':
		return "ye"
	case 'ґ':
		return "g"
	}
	return ""
}

// cyrLatin transliterates а..я.
var cyrLatin = [32]string{
	"a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
	"r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
}
