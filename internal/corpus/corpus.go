package corpus

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Doc is one generated article.
type Doc struct {
	ID, Title, Lang    string    // Lang is a BCP 47 tag, e.g. "en", "ru", "ar", "zh"
	Published, Updated time.Time // UTC, second precision
	URL                string
	Authors            []string
	Summary            string
	Body               string // Markdown text (paragraphs, occasional "## " subheadings, a byline line, a closing boilerplate line)
}

// Generator yields docs deterministically from a seed; it holds O(1) state
// (must be able to stream 1 GB without holding it).
//
// A Generator is not safe for concurrent use.
type Generator struct {
	r        *rand.Rand
	langs    []*lang
	weights  int // sum of the languages' weights
	min, max int
	n        int    // documents generated so far
	buf      []byte // scratch space, reused; never longer than max plus one sentence

	// Per-document state, set by Next.
	l *lang
	a article
}

// article is the topic of one document: the named entities that recur in it.
type article struct {
	e, f         *entry // main and second person
	o            *entry // main institution
	loc          *entry // main place
	k            *entry // key noun
	eSeen, fSeen bool   // whether e and f have had their first, full mention
	headline     bool   // writing a headline: people by short name
	year         int
	month, day   int
}

// pcgStream is the second PCG seed word; it only separates this package's
// streams from other users of the same seed.
const pcgStream = 0x73616d697a646174 // "samizdat"

// Publication times fall in [startUnix, startUnix+spanSec): 2025 and 2026.
const (
	startUnix = 1735689600 // 2025-01-01T00:00:00Z
	spanSec   = 730 * 86400
	// timeScale is the document number at which half of the span has been
	// used: the first thousand documents cover about two and a half weeks,
	// and no stream, however long, leaves 2026.
	timeScale = 40000
)

// New returns a generator of documents whose Body is between minSize and
// maxSize UTF-8 bytes, roughly uniformly distributed. A negative minSize is
// taken as 0 and a maxSize below minSize as minSize. Bodies too small for a
// byline and footer (maxSize below a few hundred bytes) are bare text.
//
// The same seed and sizes always yield the same sequence of documents.
func New(seed int64, minSize, maxSize int) *Generator {
	minSize = max(minSize, 0)
	maxSize = max(maxSize, minSize)
	langs := languages()
	w := 0
	for _, l := range langs {
		w += l.weight
	}
	return &Generator{
		r:       rand.New(rand.NewPCG(uint64(seed), pcgStream)),
		langs:   langs,
		weights: w,
		min:     minSize,
		max:     maxSize,
		buf:     make([]byte, 0, maxSize+1024),
	}
}

// Generate returns n docs from New(seed, minSize, maxSize).
func Generate(seed int64, n, minSize, maxSize int) []Doc {
	g := New(seed, minSize, maxSize)
	docs := make([]Doc, max(n, 0))
	for i := range docs {
		docs[i] = g.Next()
	}
	return docs
}

// Next returns the next document. Documents are numbered from 1 across all
// languages: the n-th has ID "<lang>-<n>", a URL ending in "-<n>", and a
// publication time that grows roughly with n.
func (g *Generator) Next() Doc {
	g.n++
	g.l = g.pickLang()
	l := g.l
	a := &g.a
	*a = article{
		e:   l.people.pickTopic(g.r),
		o:   l.orgs.pickTopic(g.r),
		loc: l.places.pickTopic(g.r),
		k:   l.nouns.pickTopic(g.r),
	}
	a.f = l.people.pickTopic(g.r)
	for i := 0; i < 4 && a.f == a.e; i++ {
		a.f = l.people.pickTopic(g.r)
	}

	pub := g.published()
	upd := pub
	if g.r.IntN(100) < 35 {
		upd = pub.Add(time.Duration(300+g.r.IntN(72*3600)) * time.Second)
		if end := time.Unix(startUnix+spanSec-1, 0).UTC(); upd.After(end) {
			upd = end
		}
	}
	a.year, a.month, a.day = pub.Year(), int(pub.Month()), pub.Day()

	tag := l.tag
	n := strconv.Itoa(g.n)
	d := Doc{
		ID:        tag + "-" + n,
		Lang:      tag,
		Published: pub,
		Updated:   upd,
	}

	a.headline = true
	d.Title = g.line(&l.headlines[g.r.IntN(len(l.headlines))], 6)
	a.headline = false
	d.Summary = g.line(g.template(), 14+g.r.IntN(12))
	a.eSeen, a.fSeen = false, false

	d.Authors = g.authors()
	d.Body = g.body(d.Authors)

	slug := l.slug(d.Title)
	if slug == "" {
		slug = sections[g.r.IntN(len(sections))]
	}
	d.URL = "https://news.example.org/" + tag + "/" + pub.Format("2006/01") + "/" + slug + "-" + n
	return d
}

// sections name URL paths for languages whose titles do not transliterate.
var sections = [...]string{
	"world", "politics", "business", "science", "health",
	"culture", "society", "climate", "technology", "analysis",
}

func (g *Generator) pickLang() *lang {
	x := g.r.IntN(g.weights)
	for _, l := range g.langs {
		if x < l.weight {
			return l
		}
		x -= l.weight
	}
	return g.langs[len(g.langs)-1]
}

// published returns the n-th document's publication time: a saturating
// curve through 2025–2026 with jitter of about one inter-article gap, so
// times increase roughly (not strictly) with n.
func (g *Generator) published() time.Time {
	n := float64(g.n)
	pos := spanSec * n / (n + timeScale)
	gap := spanSec * timeScale / ((n + timeScale) * (n + timeScale))
	// The conversion keeps the compiler from fusing the multiply and the
	// subtraction, which would round differently on some platforms.
	sec := int64(pos - float64(g.r.Float64()*gap))
	sec = min(max(sec, 0), spanSec-1)
	return time.Unix(startUnix+sec, 0).UTC()
}

// authors returns one to three distinct reporters.
func (g *Generator) authors() []string {
	k := 1
	switch x := g.r.IntN(100); {
	case x < 5:
		k = 3
	case x < 30:
		k = 2
	}
	names := make([]string, 0, k)
	for len(names) < k {
		name := g.l.reporters.pick(g.r).base
		dup := false
		for _, n := range names {
			dup = dup || n == name
		}
		if !dup {
			names = append(names, name)
		}
	}
	return names
}

// byline renders the byline line for names, e.g. "By A, B and C".
func (g *Generator) byline(names []string) string {
	l := g.l
	var b strings.Builder
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			b.WriteString(l.and)
		default:
			b.WriteString(l.listSep)
		}
		b.WriteString(n)
	}
	return strings.Replace(l.byline, "%s", b.String(), 1)
}
