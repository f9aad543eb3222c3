package ingest

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ellipsis ends every cut field, so a reader sees that text is missing.
const ellipsis = "…"

// cutText shortens s, which is valid UTF-8, to at most limit bytes ending
// in an ellipsis; s within the limit is returned as is. The cut falls at
// the last word boundary that fits:
//
//   - between two characters of which one belongs to a script written
//     without spaces (Han, kana, Thai, Lao, Khmer, Myanmar), where every
//     character boundary is one;
//   - else before the last white space, if that keeps at least half of
//     the room (a title that is one long URL is better cut mid-word than
//     left nearly empty);
//   - else at the last character boundary.
//
// It never falls inside a UTF-8 sequence, nor, as far as a cheap check
// tells, inside a grapheme cluster: not before a combining mark, a
// variation selector, an emoji modifier or tag, nor next to a zero-width
// joiner, nor inside a flag's pair of regional indicators. White space and
// separating punctuation (",", ";", ":", dashes) before the ellipsis are
// dropped.
func cutText(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	room := max(limit-len(ellipsis), 0)
	end := graphemeStart(s, room)
	if !noSpaceBoundary(s, end) && !startsWithSpace(s[end:]) {
		if i := strings.LastIndexFunc(s[:end], unicode.IsSpace); i > 0 && i >= room/2 {
			end = i
		}
	}
	kept := strings.TrimRightFunc(s[:end], isCutTrailer)
	if kept == "" {
		// All separators: keep them rather than give an empty field.
		kept = strings.TrimRightFunc(s[:end], unicode.IsSpace)
	}
	if len(kept)+len(ellipsis) > limit {
		return kept // only when limit is below the ellipsis's 3 bytes
	}
	return kept + ellipsis
}

// graphemeStart returns the largest i <= n that starts a character of s
// and, by graphemeExtends, a grapheme cluster.
func graphemeStart(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	for n > 0 {
		next, _ := utf8.DecodeRuneInString(s[n:])
		prev, size := utf8.DecodeLastRuneInString(s[:n])
		if !graphemeExtends(next) && prev != zwj && !(isRegional(next) && oddRegionalRun(s[:n])) {
			return n
		}
		n -= size
	}
	return 0
}

// zwj, the zero-width joiner, joins the characters on both sides of it
// (emoji sequences such as a family, some Indic conjuncts).
const zwj = '\u200D'

// graphemeExtends reports whether r continues the cluster before it:
// combining and spacing marks, joiners, variation selectors, emoji
// modifiers and tags. Hangul jamo sequences and prepended marks are not
// covered; they are rare in precomposed text.
func graphemeExtends(r rune) bool {
	switch {
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc):
		return true
	case r == zwj, r == '\u200C': // zero-width joiner and non-joiner
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF: // variation selectors
		return true
	case r >= 0x1F3FB && r <= 0x1F3FF: // emoji skin-tone modifiers
		return true
	case r >= 0xE0020 && r <= 0xE007F: // tags (subdivision flags)
		return true
	}
	return false
}

// isRegional reports whether r is a regional indicator; two make a flag.
func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// oddRegionalRun reports whether s ends in an odd number of regional
// indicators, so that cutting after it would split a flag.
func oddRegionalRun(s string) bool {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if !isRegional(r) {
			break
		}
		n++
		s = s[:len(s)-size]
	}
	return n%2 == 1
}

// noSpaceBoundary reports whether the character boundary i of s lies next
// to a character of a script written without spaces between words.
func noSpaceBoundary(s string, i int) bool {
	if i == 0 || i == len(s) {
		return true
	}
	prev, _ := utf8.DecodeLastRuneInString(s[:i])
	next, _ := utf8.DecodeRuneInString(s[i:])
	return isNoSpaceScript(prev) || isNoSpaceScript(next)
}

// isNoSpaceScript reports whether r is of a script written without spaces
// between words, or is CJK punctuation.
func isNoSpaceScript(r rune) bool {
	return r >= 0x3000 && r <= 0x303F || // CJK symbols and punctuation
		r >= 0xFF00 && r <= 0xFFEF || // full-width forms
		unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar)
}

func startsWithSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return len(s) > 0 && unicode.IsSpace(r)
}

// isCutTrailer reports whether r is dropped before the ellipsis: white
// space, and punctuation that separates rather than ends ("," ";" ":"
// dashes, and their CJK forms).
func isCutTrailer(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) || strings.ContainsRune(",;:、，；：", r)
}
