package ingest

import (
	"bytes"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A web page saved as text (a browser's "save as text", or select all and
// copy) starts with the site's chrome: "Accessibility links", "Skip to
// content", a line per menu item, "Breaking News". Then come the headline,
// a dateline or a byline, the standfirst and the body, and after the body
// more chrome and a footer. No extraction library helps here: they work
// on markup, and text has none left (go-trafilatura, tried with the lines
// as paragraphs, kept them all and found no title). So textHead looks at
// the shape of the lines, in four steps:
//
//  1. The text looks like a saved page only if its first pageStartLines
//     lines are all chrome-short (at most chromeWords words, none ending
//     a sentence). An article that starts with its title is left alone,
//     whatever follows: its title is its first line, as always.
//  2. The body starts at the first two paragraphs in a row (a paragraph:
//     paragraphWords words ending a sentence, or longParagraphWords words):
//     a cookie notice, a caption or a standfirst is one paragraph alone.
//  3. The headline is a line of minHeadlineWords to maxHeadlineWords
//     words, at most headlineDistance lines above the body, that is not a
//     paragraph and does not end in ".", ",", ":" or ";" (as "Image
//     caption," does). Menu items have fewer words; captions and tickers
//     may qualify too, so a line that a dateline or byline ("Published",
//     a date, "By Fiona MacLeod") follows within bylineDistance lines,
//     with no other such line between them, wins; between equals, the
//     first.
//  4. The published date and the authors come from the datelines and
//     bylines between the headline and the body; the body starts at the
//     headline, the chrome above it left out. The chrome after the body
//     stays: telling a related-stories list from a last paragraph is
//     beyond what line shapes say.
//
// Words are counted as the spaces separate them, and a Chinese, Japanese
// or Korean word as two characters. The dateline and byline words are
// English (the shape of the pages this was written for); in other
// languages step 3 takes the first candidate.
const (
	pageStartLines     = 3
	chromeWords        = 3
	paragraphWords     = 12
	longParagraphWords = 30
	minHeadlineWords   = 4
	maxHeadlineWords   = 30
	headlineDistance   = 20
	bylineDistance     = 4

	// headScanLines bounds how many lines are looked at for the start of
	// the body.
	headScanLines = 1000
)

// textHeadInfo is what textHead finds at the start of a text.
type textHeadInfo struct {
	title     string
	line      int // 1-based line of the title; 0 if the text has none
	start     int // byte offset where the article starts: 0, or the headline's line
	published time.Time
	authors   []string
}

// textLine is one non-blank line of a text.
type textLine struct {
	text  string // trimmed, valid UTF-8
	num   int    // 1-based line number
	off   int    // byte offset of the line's start
	words int
}

// textHead finds the title of a plain text article, and, for a saved web
// page, its headline, date and authors (see the steps above).
func textHead(data []byte) textHeadInfo {
	lines := nonBlankLines(data, headScanLines)
	if len(lines) == 0 {
		return textHeadInfo{}
	}
	first := textHeadInfo{title: lines[0].text, line: lines[0].num}
	if len(lines) < pageStartLines {
		return first
	}
	for _, l := range lines[:pageStartLines] {
		if l.words > chromeWords || endsSentence(l.text) {
			return first
		}
	}
	body := -1
	for i := 0; i+1 < len(lines); i++ {
		if isParagraph(lines[i]) && isParagraph(lines[i+1]) {
			body = i
			break
		}
	}
	if body < 0 {
		return first
	}
	best, bestScore := -1, 0
	for k := max(0, body-headlineDistance); k < body; k++ {
		if !headlineShaped(lines[k]) {
			continue
		}
		score := 1
		for j := k + 1; j < body && j <= k+bylineDistance && !headlineShaped(lines[j]); j++ {
			if isDateline(lines[j].text) || byline(lines[j].text) != nil {
				score = 2
				break
			}
		}
		if score > bestScore {
			best, bestScore = k, score
		}
	}
	if best < 0 {
		return first
	}
	h := textHeadInfo{title: lines[best].text, line: lines[best].num, start: lines[best].off}
	for _, l := range lines[best+1 : body] {
		if h.published.IsZero() {
			h.published = datelineDate(l.text)
		}
		if h.authors == nil {
			h.authors = byline(l.text)
		}
	}
	return h
}

// headlineShaped reports whether l could be a headline (step 3).
func headlineShaped(l textLine) bool {
	return l.words >= minHeadlineWords && l.words <= maxHeadlineWords && !isParagraph(l) &&
		!strings.ContainsAny(lastRune(l.text), ".,:;")
}

// nonBlankLines returns up to n of the non-blank lines of data.
func nonBlankLines(data []byte, n int) []textLine {
	var lines []textLine
	off := 0
	for num := 1; off < len(data) && len(lines) < n; num++ {
		line, _, _ := bytes.Cut(data[off:], []byte("\n"))
		if t := cleanText(string(line)); t != "" {
			lines = append(lines, textLine{text: t, num: num, off: off, words: countWords(t)})
		}
		off += len(line) + 1
	}
	return lines
}

// countWords counts the words of s: the space-separated parts with a
// letter in them, where a part in Chinese, Japanese or Korean counts as a
// word per two of its characters.
func countWords(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		letters, cjk := 0, 0
		for _, r := range f {
			if unicode.IsLetter(r) {
				letters++
				if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
					cjk++
				}
			}
		}
		switch {
		case cjk > 0:
			n += (cjk + 1) / 2
		case letters > 0:
			n++
		}
	}
	return n
}

// isParagraph reports whether l is a paragraph of body text.
func isParagraph(l textLine) bool {
	return l.words >= longParagraphWords || l.words >= paragraphWords && endsSentence(l.text)
}

// sentenceEnds are the characters a sentence, or a quote closing one,
// ends with.
const sentenceEnds = `.!?…"'”’»)」』。！？`

// endsSentence reports whether s ends like a sentence.
func endsSentence(s string) bool {
	return strings.ContainsAny(lastRune(s), sentenceEnds)
}

// lastRune returns the last character of s, or "".
func lastRune(s string) string {
	_, n := utf8.DecodeLastRuneInString(s)
	return s[len(s)-n:]
}

// datelinePrefix matches the words that open a dateline.
var datelinePrefix = regexp.MustCompile(`(?i)^(first published|last updated|published|updated|posted)\b[\s:,]*`)

// dateLayouts are the ways a dateline writes the day.
var dateLayouts = []string{
	"2 January 2006", "2 Jan 2006", "January 2, 2006", "Jan 2, 2006", "2006-01-02",
	"Monday 2 January 2006", "Monday, 2 January 2006", "Monday, January 2, 2006",
}

// isDateline reports whether s is a dateline: it opens with "Published",
// "Updated" and the like, or is a date.
func isDateline(s string) bool {
	return datelinePrefix.MatchString(s) || !parseDay(s).IsZero()
}

// datelineDate returns the day a dateline names, or the zero time.
func datelineDate(s string) time.Time {
	return parseDay(datelinePrefix.ReplaceAllString(s, ""))
}

// parseDay parses a day in one of dateLayouts; a time after it (", 14:05
// GMT") is ignored.
func parseDay(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		for _, cand := range []string{s, prefixWords(s, strings.Count(layout, " ")+1)} {
			if t, err := time.Parse(layout, strings.TrimRight(cand, ",")); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

// prefixWords returns the first n space-separated words of s.
func prefixWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}

// bylineRE matches "By Fiona MacLeod", "By Fiona MacLeod and Tom Abara".
var bylineRE = regexp.MustCompile(`^[Bb]y\s+(\p{Lu}[\p{L}'’.-]*(?:\s+\p{Lu}[\p{L}'’.-]*){0,3}(?:(?:\s*,\s*|\s+and\s+)\p{Lu}[\p{L}'’.-]*(?:\s+\p{Lu}[\p{L}'’.-]*){0,3})*)$`)

// bylineSplit separates the names of a byline.
var bylineSplit = regexp.MustCompile(`\s*,\s*|\s+and\s+`)

// byline returns the names a byline line gives, or nil.
func byline(s string) []string {
	m := bylineRE.FindStringSubmatch(s)
	if m == nil {
		return nil
	}
	return bylineSplit.Split(m[1], -1)
}
