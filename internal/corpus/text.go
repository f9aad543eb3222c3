package corpus

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// minContent is the least room, in bytes, a body must leave for text
// besides its byline and footer; smaller bodies are bare text.
const minContent = 128

// template draws a body sentence template.
func (g *Generator) template() *tmpl { return &g.l.templates[g.l.tmplZ.draw(g.r)] }

// line renders t on its own, about length words long.
func (g *Generator) line(t *tmpl, length int) string {
	g.buf = g.buf[:0]
	g.expand(t, length)
	return string(g.buf)
}

// body renders an article body of a size drawn from [g.min, g.max].
func (g *Generator) body(authors []string) string {
	l, r := g.l, g.r
	g.buf = g.buf[:0]
	footer := l.footer
	g.buf = append(g.buf, g.byline(authors)...)
	g.buf = append(g.buf, "\n\n"...)
	lo, hi := g.min-len(footer), g.max-len(footer)
	if hi < len(g.buf)+minContent {
		g.buf, footer = g.buf[:0], ""
		lo, hi = g.min, g.max
	}
	target := g.min + r.IntN(g.max-g.min+1) - len(footer)

	prevEnd := len(g.buf) // end of the last whole sentence that fits
	lastStart := prevEnd  // start of the sentence being written
	heading := false
	for p := 0; ; p++ {
		if p > 0 {
			g.buf = append(g.buf, "\n\n"...)
			heading = p >= 2 && !heading && r.IntN(100) < 18
			if heading {
				g.buf = append(g.buf, "## "...)
				g.expand(&l.subheads[r.IntN(len(l.subheads))], 4)
				g.buf = append(g.buf, "\n\n"...)
			}
		} else {
			g.expand(&l.dateline, 0)
		}
		n := 2 + r.IntN(5)
		for s := range n {
			if s > 0 {
				g.buf = append(g.buf, l.sentSep...)
			}
			lastStart = len(g.buf)
			g.expand(g.template(), 8+r.IntN(12)+r.IntN(12))
			if len(g.buf) >= target {
				g.fit(prevEnd, lastStart, lo, hi)
				g.buf = append(g.buf, footer...)
				return string(g.buf)
			}
			prevEnd = len(g.buf)
		}
	}
}

// fit cuts g.buf to a length in [lo, hi]: after the last whole sentence
// (ending at prevEnd) when that is long enough, else inside the last sentence
// (starting at lastStart) at a word boundary, closed with a full stop; as a
// last resort at a character boundary, padded with spaces.
func (g *Generator) fit(prevEnd, lastStart, lo, hi int) {
	b := g.buf
	if len(b) >= lo && len(b) <= hi {
		return
	}
	if len(b) > hi {
		if prevEnd >= lo && prevEnd <= hi {
			g.buf = b[:prevEnd]
			return
		}
		p := g.l.period
		for i := min(hi-len(p), len(b)-1); i > lastStart && i+len(p) >= lo; i-- {
			if g.cuttable(b, i) {
				g.buf = append(b[:i], p...)
				return
			}
		}
		i := max(hi, 0)
		for i > 0 && !utf8.RuneStart(b[i]) {
			i--
		}
		b = b[:i]
	}
	for len(b) < lo {
		b = append(b, ' ')
	}
	g.buf = b
}

// cuttable reports whether a sentence may be cut before b[i]: at a space
// after a word, or, in Chinese, between two characters of text.
func (g *Generator) cuttable(b []byte, i int) bool {
	if g.l.sep == "" {
		if !utf8.RuneStart(b[i]) {
			return false
		}
		if r, _ := utf8.DecodeRune(b[i:]); !unicode.IsLetter(r) {
			return false
		}
	} else if b[i] != ' ' {
		return false
	}
	r, _ := utf8.DecodeLastRune(b[:i])
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
}

// expand appends template t, about length words long, to g.buf.
func (g *Generator) expand(t *tmpl, length int) {
	l, a, r := g.l, &g.a, g.r
	start := len(g.buf)
	var p, org *entry
	if t.hasP {
		p = l.people.pick(r)
	}
	if t.hasG {
		org = l.orgs.pick(r)
	}
	fem := false
	switch t.subject {
	case 'E':
		fem = a.e.fem
	case 'F':
		fem = a.f.fem
	case 'P':
		fem = p.fem
	case 'O', 'o':
		fem = a.o.fem
	case 'G', 'g':
		fem = org.fem
	}
	fill, fills := max(length-t.words, t.fills), t.fills
	for i := range t.parts {
		pt := &t.parts[i]
		switch pt.slot {
		case 0:
			g.buf = append(g.buf, pt.lit...)
		case 'W':
			n := fill
			if fills > 1 {
				n = fill / fills
				n = min(max(1, n/2+r.IntN(n+1)), fill-(fills-1))
			}
			fill -= n
			fills--
			g.filler(n)
		case 'E':
			g.person(a.e, &a.eSeen)
		case 'F':
			g.person(a.f, &a.fSeen)
		case 'P':
			g.buf = append(g.buf, p.base...)
		case 'O':
			g.buf = append(g.buf, a.o.base...)
		case 'o':
			g.buf = append(g.buf, a.o.alt...)
		case 'G':
			g.buf = append(g.buf, org.base...)
		case 'g':
			g.buf = append(g.buf, org.alt...)
		case 'L':
			g.buf = append(g.buf, a.loc.base...)
		case 'l':
			g.buf = append(g.buf, a.loc.alt...)
		case 'C':
			g.buf = append(g.buf, l.places.pick(r).base...)
		case 'c':
			g.buf = append(g.buf, l.places.pick(r).alt...)
		case 'K':
			g.buf = append(g.buf, a.k.base...)
		case 'N':
			g.buf = append(g.buf, l.nouns.pick(r).base...)
		case 'V':
			g.buf = append(g.buf, l.verbs.pick(r).form(fem)...)
		case 'S':
			g.buf = append(g.buf, l.said.pick(r).form(fem)...)
		case 'T':
			g.buf = append(g.buf, l.times.pick(r).base...)
		case '#':
			g.number()
		case 'Y':
			g.appendNum(a.year-1-r.IntN(15), false)
		case 'U':
			g.buf = append(g.buf, strings.ToUpper(a.loc.base)...)
		case 'D':
			g.appendNum(a.day, false)
		case 'M':
			g.buf = append(g.buf, l.months[a.month-1]...)
		case 'm':
			g.appendNum(a.month, false)
		default:
			panic("corpus: unknown template slot {" + string(pt.slot) + "}")
		}
	}
	if l.caps {
		g.buf = capitalize(g.buf, start)
	}
}

// form returns the feminine form of a verb when fem is set.
func (e *entry) form(fem bool) string {
	if fem {
		return e.alt
	}
	return e.base
}

// person appends a mention of e: the full name the first time, then mostly
// the short name, as news style has it. Headlines use the short name.
func (g *Generator) person(e *entry, seen *bool) {
	switch {
	case g.a.headline:
		g.buf = append(g.buf, e.short...)
	case !*seen:
		*seen = true
		g.buf = append(g.buf, e.base...)
	case g.r.IntN(4) == 0:
		g.buf = append(g.buf, e.base...)
	default:
		g.buf = append(g.buf, e.short...)
	}
}

// filler appends n common words: Zipf-distributed, with each word often
// followed by one of its favourite successors so that bigrams recur, and a
// sprinkling of topical words and of the article's own topic.
func (g *Generator) filler(n int) {
	l, r, a := g.l, g.r, &g.a
	prev := -1 // index of the previous common word, -1 after other words
	for i := range n {
		x := r.Uint64()
		if i > 0 {
			if x&31 == 0 && i < n-1 {
				g.buf = append(g.buf, l.comma...)
			}
			g.buf = append(g.buf, l.sep...)
		}
		var w string
		switch sel := (x >> 5) % 100; {
		case sel < 8:
			w, prev = l.nouns.pickTopic(r).base, -1
		case sel < 10:
			w, prev = a.k.base, -1
		case sel < 11:
			w, prev = a.loc.alt, -1
		case sel < 13:
			w, prev = l.verbs.pick(r).base, -1
		case sel < 45 && prev >= 0:
			prev = int(l.succ[prev*nSucc+l.succZ.draw(r)])
			w = l.words[prev]
		default:
			prev = l.nextWord(r, prev >= 0 && prev < l.nFunc, x>>12)
			w = l.words[prev]
		}
		g.buf = append(g.buf, w...)
	}
}

// number appends a number as news text has them: mostly small.
func (g *Generator) number() {
	var v int
	switch x := g.r.IntN(10); {
	case x < 6:
		v = 2 + g.r.IntN(98)
	case x < 9:
		v = 100 + g.r.IntN(900)
	default:
		v = 1000 + g.r.IntN(99000)
	}
	g.appendNum(v, true)
}

// appendNum appends v in the language's digits, grouping thousands if group.
func (g *Generator) appendNum(v int, group bool) {
	l := g.l
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i, c := range s {
		if group && i > 0 && (len(s)-i)%3 == 0 {
			g.buf = append(g.buf, l.thousands...)
		}
		if l.digits != nil && c >= '0' && c <= '9' {
			g.buf = append(g.buf, l.digits[c-'0']...)
		} else {
			g.buf = append(g.buf, c)
		}
	}
}

// capitalize upper-cases the first letter of b[start:], unless a digit
// comes first.
func capitalize(b []byte, start int) []byte {
	for i := start; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case unicode.IsDigit(r):
			return b
		case unicode.IsLetter(r):
			u := unicode.ToUpper(r)
			if u == r {
				return b
			}
			if utf8.RuneLen(u) == n {
				utf8.EncodeRune(b[i:], u)
				return b
			}
			tail := append([]byte(nil), b[i+n:]...)
			return append(utf8.AppendRune(b[:i], u), tail...)
		}
		i += n
	}
	return b
}
