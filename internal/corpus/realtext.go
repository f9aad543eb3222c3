package corpus

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Real text: the size figures of a generated corpus flatter every
// compressor, since its templates repeat far more than prose does. RealText
// gathers prose already on the machine instead: manual pages, in every
// language installed, rendered to plain text here (no groff needed), and
// the READMEs, NEWS files and changelogs under /usr/share/doc. Licence
// texts (copyright files, common-licenses) are left out: hundreds of copies
// of a few licences would flatter compression as much as templates do.
// The corpus depends on what the machine has installed: figures from two
// machines compare only roughly, figures from one run exactly.

// ErrNoRealText says the machine has too little prose for a real-text
// corpus (no manual pages, no /usr/share/doc).
var ErrNoRealText = errors.New("not enough real text on this machine")

// RealTextOptions bounds a real-text corpus.
type RealTextOptions struct {
	// Docs is the most articles to make (0: 1500, about 6 MB).
	Docs int
	// Size is the length an article aims at, cut at a paragraph (0: 4 KiB,
	// a news article's).
	Size int
	// Roots are where to look (nil: /usr/share/man and /usr/share/doc).
	Roots []string
	// Langs, if not empty, keeps only sources in these languages ("en":
	// English manual pages and /usr/share/doc, the closest to an English
	// newsroom's text).
	Langs []string
}

// Limits of one source file: files larger than maxRealSource (after
// decompression) are read only that far; each gives at most
// maxChunksPerSource articles, so that a few long changelogs do not make
// the corpus.
const (
	maxRealSource      = 1 << 20
	maxChunksPerSource = 3
	minRealArticle     = 600 // shorter pieces are not articles
)

// RealText returns up to o.Docs articles of real prose found on the
// machine, in a deterministic order for one machine: sources are taken in
// turn from each group (English manual pages, /usr/share/doc, and each
// other language's manual pages), each group in path order. It fails with
// ErrNoRealText when it finds fewer than 50 articles.
func RealText(o RealTextOptions) ([]Doc, error) {
	if o.Docs <= 0 {
		o.Docs = 1500
	}
	if o.Size <= 0 {
		o.Size = 4 << 10
	}
	if o.Roots == nil {
		o.Roots = []string{"/usr/share/man", "/usr/share/doc"}
	}
	groups := realSources(o.Roots)
	if len(o.Langs) > 0 {
		for g, srcs := range groups {
			if len(srcs) > 0 && !slices.Contains(o.Langs, srcs[0].lang) {
				delete(groups, g)
			}
		}
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for g := range groups {
			if !yield(g) {
				return
			}
		}
	})
	next := make(map[string]int, len(groups))
	var docs []Doc
	when := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for progress := true; progress && len(docs) < o.Docs; {
		progress = false
		for _, g := range names {
			if len(docs) >= o.Docs || next[g] >= len(groups[g]) {
				continue
			}
			src := groups[g][next[g]]
			next[g]++
			progress = true
			for _, body := range realChunks(src.read(), o.Size) {
				if len(docs) >= o.Docs {
					break
				}
				n := len(docs) + 1
				docs = append(docs, Doc{
					ID: fmt.Sprintf("real-%05d", n), Title: realTitle(body, src.path), Lang: src.lang,
					Published: when.Add(time.Duration(n) * time.Minute), Updated: when.Add(time.Duration(n) * time.Minute),
					Body: body,
				})
			}
		}
	}
	if len(docs) < 50 {
		return nil, fmt.Errorf("%w: %d articles from %v", ErrNoRealText, len(docs), o.Roots)
	}
	return docs, nil
}

// realSource is one file of prose and its language.
type realSource struct {
	path, lang string
	man        bool
}

// realSources lists the files under roots, by group: "man-<lang>" for
// manual pages (sections 1, 5, 7 and 8: commands, formats and overviews;
// the library sections are mostly signatures), "doc" for /usr/share/doc.
func realSources(roots []string) map[string][]realSource {
	groups := map[string][]realSource{}
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			if lang, ok := manLang(rel); ok {
				groups["man-"+lang] = append(groups["man-"+lang], realSource{path: p, lang: lang, man: true})
			} else if docProse(rel) {
				groups["doc"] = append(groups["doc"], realSource{path: p, lang: "en"})
			}
			return nil
		})
	}
	return groups
}

// manLang reads a manual page's language from its path under a man root:
// man1/ls.1.gz is English, de/man1/ls.1.gz German, pt_BR/… Brazilian
// Portuguese ("pt-BR"); false for anything not a page of sections 1, 5, 7
// or 8.
func manLang(rel string) (string, bool) {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	lang := "en"
	if len(parts) == 3 {
		lang, parts = parts[0], parts[1:]
		lang, _, _ = strings.Cut(lang, ".") // de.UTF-8
		lang, _, _ = strings.Cut(lang, "@")
		lang = strings.ReplaceAll(lang, "_", "-")
		if lang == "zh-CN" || lang == "zh-TW" {
			lang = "zh"
		}
	}
	if len(parts) != 2 || !slices.Contains([]string{"man1", "man5", "man7", "man8"}, parts[0]) || !validLang(lang) {
		return "", false
	}
	return lang, true
}

// docProse says whether a file under /usr/share/doc is prose worth
// having: READMEs, NEWS, changelogs and .txt files, not licences.
func docProse(rel string) bool {
	base := strings.ToLower(filepath.Base(rel))
	if strings.Contains(base, "copyright") || strings.Contains(base, "license") || strings.Contains(base, "licence") {
		return false
	}
	name := strings.TrimSuffix(base, ".gz")
	return strings.HasPrefix(name, "readme") || strings.HasPrefix(name, "news") ||
		strings.HasPrefix(name, "changelog") || strings.HasSuffix(name, ".txt")
}

// read returns the source's text (decompressed, manual pages rendered),
// or "" if it cannot be read as UTF-8 text.
func (s realSource) read() string {
	f, err := os.Open(s.path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(s.path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return ""
		}
		defer gz.Close()
		r = gz
	}
	data, err := io.ReadAll(io.LimitReader(r, maxRealSource))
	if err != nil || !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return ""
	}
	if s.man {
		return renderMan(string(data))
	}
	return string(data)
}

// roffEscape matches the roff escapes renderMan drops: fonts (\fB, \f[I]),
// sizes, named and numbered characters and strings, and the rest of the
// one-letter escapes.
var roffEscape = regexp.MustCompile(`\\(f(\[[^\]]*\]|\(..|.)|s[-+]?\d+|\(..|\[[^\]]*\]|\*(\(..|\[[^\]]*\]|.)|[&|^%:]|.)`)

// renderMan turns a manual page's roff source into plain paragraphs: the
// text lines, with escapes resolved or dropped and requests (lines that
// start with a dot or an apostrophe) giving paragraph breaks (.PP, .SH, …) or
// nothing; a section heading (.SH NAME) becomes a line of its own. It is
// no typesetter: enough to give the prose a reader would see.
func renderMan(src string) string {
	var b strings.Builder
	para := false
	sc := bufio.NewScanner(strings.NewReader(src))
	sc.Buffer(make([]byte, 64<<10), maxRealSource)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
			req, arg, _ := strings.Cut(strings.TrimLeft(line[1:], " \t"), " ")
			switch req {
			case "SH", "SS":
				b.WriteString("\n\n" + cleanRoff(strings.Trim(arg, `"`)) + "\n\n")
				para = false
			case "PP", "LP", "P", "TP", "IP", "sp", "br":
				if para {
					b.WriteString("\n\n")
					para = false
				}
			case "B", "I", "BR", "IR", "RB", "RI", "BI", "IB":
				b.WriteString(cleanRoff(strings.ReplaceAll(arg, `"`, "")) + " ")
				para = true
			}
			continue
		}
		if t := cleanRoff(line); t != "" {
			b.WriteString(t + " ")
			para = true
		}
	}
	return b.String()
}

// cleanRoff resolves the common character escapes and drops the others.
func cleanRoff(s string) string {
	s = strings.NewReplacer(`\-`, "-", `\(em`, "—", `\(en`, "–", `\(aq`, "'", `\(dq`, `"`, `\e`, `\`, `\ `, " ", `\~`, " ").Replace(s)
	return strings.TrimSpace(roffEscape.ReplaceAllString(s, ""))
}

// realChunks cuts text into articles of about size bytes at paragraph
// breaks, at most maxChunksPerSource, each at least minRealArticle.
func realChunks(text string, size int) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if t := strings.TrimSpace(cur.String()); len(t) >= minRealArticle {
			out = append(out, t)
		}
		cur.Reset()
	}
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		cur.WriteString(p + "\n\n")
		if cur.Len() >= size {
			flush()
			if len(out) == maxChunksPerSource {
				return out
			}
		}
	}
	flush()
	if len(out) > maxChunksPerSource {
		out = out[:maxChunksPerSource]
	}
	return out
}

// realTitle is an article's first line, cut to 120 bytes at a rune
// boundary, or the source file's name.
func realTitle(body, path string) string {
	line, _, _ := strings.Cut(body, "\n")
	line = strings.TrimSpace(line)
	if line == "" {
		return filepath.Base(path)
	}
	if len(line) > 120 {
		cut := 120
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		line = line[:cut]
	}
	return line
}
