package ingest

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
	"golang.org/x/net/html"
)

// Language detection, for articles whose source does not say (no HTML
// lang, feed <language>, JSON or front matter lang). whatlanggo compares
// the text's trigrams with those of 84 languages; on a headline it guesses
// wrong one time in five, so short texts, texts the detector cannot tell
// apart from another language, and texts mixing scripts stay "und".
//
// The bounds were measured on news prose in 11 languages (en, es, fr, de,
// pt, ru, uk, fa, ar, tr, hi), sliding a window over each text: below 40
// letters 5% of the guesses were wrong whatever the confidence, and with
// confidence 0.5 one in 390 still was; from 40 letters with confidence 0.7
// none of 486 were, and 3 texts in 4 got a language (6 in 7 from 60
// letters). Short texts are "und" more often than not: a feed item takes
// its feed's language then (see feedLang).
const (
	// minLangLetters is the fewest letters a text needs to get a language:
	// about eight words of English, a sentence of Chinese.
	minLangLetters = 40

	// minLangConfidence is the least confidence whatlanggo must give: how
	// far the best language's trigram score is ahead of the second's,
	// scaled to 1 from a lead that grows as the text gets shorter.
	minLangConfidence = 0.7

	// minScriptShare is the share of the letters that the text's main
	// script must hold: an English article quoting a Russian phrase is
	// English, and a text half in Latin and half in Cyrillic is "und".
	minScriptShare = 0.75

	// minKanaShare is the share of kana among Chinese characters and kana
	// from which a text is Japanese. whatlanggo calls any text whose
	// commonest script is Han Chinese; Japanese prose is about a third
	// kana (particles, endings), Chinese has none.
	minKanaShare = 0.1
)

// langTags are the BCP 47 tags of the languages whatlanggo has no ISO
// 639-1 code for but BCP 47 has a shorter tag: Iranian Persian is what
// "fa" names. The others keep their ISO 639-3 code, a valid tag.
var langTags = map[whatlanggo.Lang]string{whatlanggo.Pes: "fa"}

// langGuess is what detectLang makes of a text.
type langGuess struct {
	lang   string // canonical BCP 47 tag, or "und"
	script string // the script most of the letters are in ("" if none)
}

// detectLang guesses the language of text (of which only the first
// maxLangSample bytes are read). It returns "und" when the text has fewer
// than minLangLetters letters, when no script holds minScriptShare of
// them, or when the detector's confidence is below minLangConfidence.
func detectLang(text string) langGuess {
	if len(text) > maxLangSample {
		cut := maxLangSample
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	counts := make(map[string]int)
	letters, han, kana := 0, 0, 0
	for _, r := range text {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		switch {
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.In(r, unicode.Hiragana, unicode.Katakana):
			kana++
		}
		counts[scriptOf(r)]++
	}
	main, most := "", 0
	for s, n := range counts {
		if n > most || n == most && s < main { // ties: the same answer every time
			main, most = s, n
		}
	}
	g := langGuess{lang: "und", script: main}
	if letters < minLangLetters || float64(most) < minScriptShare*float64(letters) {
		return g
	}
	if main == "Han" && float64(kana) >= minKanaShare*float64(han+kana) {
		g.lang = "ja"
		return g
	}
	info := whatlanggo.Detect(strings.Join(strings.Fields(text), " "))
	if info.Lang < 0 || info.Confidence < minLangConfidence {
		return g
	}
	code := langTags[info.Lang]
	if code == "" {
		code = info.Lang.Iso6391()
	}
	if code == "" {
		code = info.Lang.Iso6393()
	}
	g.lang = canonicalLang(code)
	return g
}

// scripts are the scripts detectLang tells apart, most used first. Han
// and kana count as one, "Han", since Japanese writes both; the share of
// kana then tells Japanese from Chinese.
var scripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Cyrillic", unicode.Cyrillic}, {"Arabic", unicode.Arabic},
	{"Han", unicode.Han}, {"Kana", unicode.Hiragana}, {"Kana", unicode.Katakana},
	{"Devanagari", unicode.Devanagari}, {"Hangul", unicode.Hangul}, {"Hebrew", unicode.Hebrew},
	{"Greek", unicode.Greek}, {"Thai", unicode.Thai}, {"Bengali", unicode.Bengali},
	{"Georgian", unicode.Georgian}, {"Armenian", unicode.Armenian}, {"Ethiopic", unicode.Ethiopic},
	{"Tamil", unicode.Tamil}, {"Telugu", unicode.Telugu}, {"Kannada", unicode.Kannada},
	{"Malayalam", unicode.Malayalam}, {"Gujarati", unicode.Gujarati}, {"Gurmukhi", unicode.Gurmukhi},
	{"Oriya", unicode.Oriya}, {"Sinhala", unicode.Sinhala}, {"Myanmar", unicode.Myanmar},
	{"Khmer", unicode.Khmer}, {"Lao", unicode.Lao}, {"Tibetan", unicode.Tibetan},
}

// scriptOf returns the name of the script of the letter r, with kana
// counted as Han (see scripts), or "" for another script.
func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		return "Latin" // letters of ASCII
	}
	for _, s := range scripts {
		if unicode.Is(s.table, r) {
			if s.name == "Kana" {
				return "Han"
			}
			return s.name
		}
	}
	return ""
}

// langText returns the text an article's language is detected on: parts
// (its title and summary), then the start of its body, whose markup, for
// an HTML body, is left out; at most maxLangSample bytes in all.
func langText(contentType string, body []byte, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if b.Len()+len(p) < maxLangSample {
			b.WriteString(p)
			b.WriteByte('\n')
		}
	}
	if contentType != typeHTML {
		b.Write(body[:min(len(body), max(0, maxLangSample-b.Len()))])
		return b.String()
	}
	htmlText(&b, body, maxLangSample)
	return b.String()
}

// htmlText writes the text of an HTML document or fragment to b, without
// scripts and styles and with blocks on lines of their own, until b holds
// limit bytes.
func htmlText(b *strings.Builder, doc []byte, limit int) {
	errFull := errors.New("full")
	raw := false
	_ = scanHTML(doc, func(t *htmlToken) error {
		switch t.typ {
		case html.TextToken:
			if !raw {
				b.Write(t.text[:min(len(t.text), max(0, limit-b.Len()))])
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			switch t.name {
			case "script", "style", "template", "textarea":
				raw = t.typ == html.StartTagToken
			}
			if isBlock[t.name] {
				b.WriteByte('\n')
			}
		case html.EndTagToken:
			switch t.name {
			case "script", "style", "template", "textarea":
				raw = false
			}
		}
		if b.Len() >= limit {
			return errFull
		}
		return nil
	})
}

// isBlock holds the elements that break lines in the text of an HTML
// document taken for language detection, so that the words of adjacent
// blocks stay apart.
var isBlock = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "td": true, "th": true, "tr": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"section": true, "article": true, "header": true, "footer": true, "nav": true,
	"blockquote": true, "figcaption": true, "title": true, "body": true,
}
