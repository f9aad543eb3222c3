// Package search is the reader's offline full-text index of held bundles.
//
// One analyzer serves every script the corpus carries: the Unicode word
// tokenizer (UAX #29), then full-width/half-width folding, lower case,
// Arabic and Persian letter normalization (alef and yeh variants, teh
// marbuta, keheh, diacritics), and bigrams for Han, Hiragana, Katakana
// and Hangul, which are written without spaces. No stemming and no stop
// words: they are language-specific and the index holds every language.
// Its API may change before v1.
package search

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/char/zerowidthnonjoiner"
	"github.com/blevesearch/bleve/v2/analysis/lang/ar"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/fa"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
	"golang.org/x/net/html"
)

// AnalyzerName names the index's text analyzer in its mapping.
const AnalyzerName = "samizdat"

// ErrQueryTooLong is returned for a query longer than MaxQueryLen.
var ErrQueryTooLong = errors.New("search query too long")

// Hit is one article a search found.
type Hit struct {
	Root      cid.Cid // the bundle holding it
	Publisher string
	ID        string
	Title     string
	Lang      string
	Published time.Time // zero if unknown
	Score     float64
}

// Index is a full-text index of bundles' articles, kept in a directory.
// It is safe for concurrent use.
type Index struct {
	dir string
	idx bleve.Index

	mu      sync.Mutex // serializes AddBundle and RemoveBundle
	bundles []string   // roots indexed, as strings; guarded by mu
}

// Internal keys: the list of indexed roots, and per root its doc IDs.
const (
	keyBundles = "samizdat/bundles"
	keyRoot    = "samizdat/root/"
)

// Open opens the index in dir, creating it if dir does not exist.
func Open(dir string) (*Index, error) {
	idx, err := bleve.Open(dir)
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		m, merr := newMapping()
		if merr != nil {
			return nil, merr
		}
		idx, err = bleve.New(dir, m)
	}
	if err != nil {
		return nil, fmt.Errorf("search index %s: %w", dir, err)
	}
	x := &Index{dir: dir, idx: idx}
	raw, err := idx.GetInternal([]byte(keyBundles))
	if err != nil {
		idx.Close()
		return nil, err
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &x.bundles); err != nil {
			idx.Close()
			return nil, fmt.Errorf("search index %s: bundle list: %w", dir, err)
		}
	}
	return x, nil
}

func newMapping() (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	err := m.AddCustomAnalyzer(AnalyzerName, map[string]any{
		"type":         custom.Name,
		"char_filters": []string{zerowidthnonjoiner.Name},
		"tokenizer":    unicode.Name,
		"token_filters": []string{
			cjk.WidthName, lowercase.Name, ar.NormalizeName, fa.NormalizeName, cjk.BigramName,
		},
	})
	if err != nil {
		return nil, err
	}
	m.DefaultAnalyzer = AnalyzerName
	text := func(store bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer, f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = AnalyzerName, store, false, false, false
		return f
	}
	kw := func(index bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer, f.Index, f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = keyword.Name, index, true, false, false, false
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt("title", text(true))
	doc.AddFieldMappingsAt("body", text(false))
	doc.AddFieldMappingsAt("lang", kw(false))
	doc.AddFieldMappingsAt("langbase", kw(true))
	doc.AddFieldMappingsAt("root", kw(true))
	doc.AddFieldMappingsAt("publisher", kw(true))
	doc.AddFieldMappingsAt("id", kw(false))
	doc.AddFieldMappingsAt("published", kw(false))
	m.DefaultMapping = doc
	return m, nil
}

// Close closes the index.
func (x *Index) Close() error { return x.idx.Close() }

// Indexed returns the roots of the bundles the index holds.
func (x *Index) Indexed() []cid.Cid {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]cid.Cid, 0, len(x.bundles))
	for _, s := range x.bundles {
		if c, err := cid.Decode(s); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// Has reports whether the bundle root is indexed.
func (x *Index) Has(root cid.Cid) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Contains(x.bundles, root.String())
}

// AddBundle indexes every article of b. A bundle already indexed is left
// as it is; one whose indexing was interrupted is indexed again.
func (x *Index) AddBundle(b *bundle.Bundle) error {
	root := b.Root.String()
	x.mu.Lock()
	defer x.mu.Unlock()
	if slices.Contains(x.bundles, root) {
		return nil
	}
	var ids []string
	batch := x.idx.NewBatch()
	for _, ai := range b.List() {
		body, err := indexedBody(b, ai)
		if err != nil {
			return fmt.Errorf("search: indexing %s: %w", root, err)
		}
		docID := root + "/" + ai.ID
		published := ""
		if t := ai.Date(); !t.IsZero() {
			published = t.UTC().Format(time.RFC3339)
		}
		lang := strings.ToLower(ai.Lang)
		base, _, _ := strings.Cut(lang, "-")
		if err := batch.Index(docID, map[string]any{
			"title":     ai.Title,
			"body":      plainText(ai.ContentType, body),
			"lang":      ai.Lang,
			"langbase":  base,
			"root":      root,
			"publisher": b.Publisher,
			"id":        ai.ID,
			"published": published,
		}); err != nil {
			return err
		}
		ids = append(ids, docID)
		if batch.Size() >= batchSize {
			if err := x.idx.Batch(batch); err != nil {
				return err
			}
			batch.Reset()
		}
	}
	// The root is recorded with the last batch: an interrupted run leaves
	// it unrecorded, and the next AddBundle re-indexes (same doc IDs).
	raw, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	batch.SetInternal([]byte(keyRoot+root), raw)
	list, err := json.Marshal(append(slices.Clone(x.bundles), root))
	if err != nil {
		return err
	}
	batch.SetInternal([]byte(keyBundles), list)
	if err := x.idx.Batch(batch); err != nil {
		return err
	}
	x.bundles = append(x.bundles, root)
	return nil
}

// RemoveBundle removes a bundle's articles from the index. Removing a
// bundle that is not indexed is a no-op.
func (x *Index) RemoveBundle(root cid.Cid) error {
	r := root.String()
	x.mu.Lock()
	defer x.mu.Unlock()
	i := slices.Index(x.bundles, r)
	if i < 0 {
		return nil
	}
	raw, err := x.idx.GetInternal([]byte(keyRoot + r))
	if err != nil {
		return err
	}
	var ids []string
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &ids); err != nil {
			return err
		}
	}
	batch := x.idx.NewBatch()
	for _, id := range ids {
		batch.Delete(id)
		if batch.Size() >= batchSize {
			if err := x.idx.Batch(batch); err != nil {
				return err
			}
			batch.Reset()
		}
	}
	rest := slices.Delete(slices.Clone(x.bundles), i, i+1)
	list, err := json.Marshal(rest)
	if err != nil {
		return err
	}
	batch.DeleteInternal([]byte(keyRoot + r))
	batch.SetInternal([]byte(keyBundles), list)
	if err := x.idx.Batch(batch); err != nil {
		return err
	}
	x.bundles = rest
	return nil
}

// Search returns up to limit articles matching every word of q, best
// first; lang, if not empty, keeps only articles in that language (its
// primary subtag: "zh" matches "zh-Hant"). An empty query finds nothing.
func (x *Index) Search(q, lang string, limit int) ([]Hit, error) {
	if len(q) > MaxQueryLen {
		return nil, ErrQueryTooLong
	}
	q = strings.TrimSpace(q)
	if q == "" || limit <= 0 {
		return nil, nil
	}
	limit = min(limit, MaxLimit)
	title := bleve.NewMatchQuery(q)
	title.SetField("title")
	title.SetOperator(query.MatchQueryOperatorAnd)
	title.SetBoost(2)
	body := bleve.NewMatchQuery(q)
	body.SetField("body")
	body.SetOperator(query.MatchQueryOperatorAnd)
	var qq query.Query = bleve.NewDisjunctionQuery(title, body)
	if lang != "" {
		base, _, _ := strings.Cut(strings.ToLower(lang), "-")
		lq := bleve.NewTermQuery(base)
		lq.SetField("langbase")
		qq = bleve.NewConjunctionQuery(qq, lq)
	}
	req := bleve.NewSearchRequestOptions(qq, limit, 0, false)
	req.Fields = []string{"title", "lang", "root", "publisher", "id", "published"}
	res, err := x.idx.Search(req)
	if err != nil {
		return nil, err
	}
	hits := make([]Hit, 0, len(res.Hits))
	for _, d := range res.Hits {
		str := func(k string) string { s, _ := d.Fields[k].(string); return s }
		root, err := cid.Decode(str("root"))
		if err != nil {
			continue
		}
		h := Hit{Root: root, Publisher: str("publisher"), ID: str("id"), Title: str("title"), Lang: str("lang"), Score: d.Score}
		h.Published, _ = time.Parse(time.RFC3339, str("published"))
		hits = append(hits, h)
	}
	return hits, nil
}

// Size returns the bytes the index takes on disk.
func (x *Index) Size() (int64, error) {
	var n int64
	err := filepath.WalkDir(x.dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	return n, err
}

// indexedBody returns the part of an article's body that plainText
// reads: maxScannedHTML bytes of markup, or one byte more than
// maxIndexedText of text, so that plainText can cut it on a character.
// Only the blocks of those bytes are decoded.
func indexedBody(b *bundle.Bundle, ai bundle.ArticleInfo) ([]byte, error) {
	r, err := b.BodyReader(ai.ID)
	if err != nil {
		return nil, err
	}
	n := int64(maxIndexedText + 1)
	if ai.ContentType == "text/html" {
		n = maxScannedHTML
	}
	buf := make([]byte, min(r.Size(), n))
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// plainText returns the words of a body for indexing: HTML loses its
// markup (and script and style contents); other types are indexed as
// they are, since Markdown's markup is punctuation the tokenizer drops.
// At most maxIndexedText bytes are returned, from at most the first
// maxScannedHTML bytes of HTML.
func plainText(contentType string, body []byte) string {
	if contentType != "text/html" {
		return string(CutUTF8(body, maxIndexedText))
	}
	var b strings.Builder
	z := html.NewTokenizer(bytes.NewReader(body[:min(len(body), maxScannedHTML)]))
	skip := 0
	for b.Len() < maxIndexedText {
		switch z.Next() {
		case html.ErrorToken: // io.EOF, or a bound of the tokenizer
			return b.String()
		case html.StartTagToken:
			if n, _ := z.TagName(); string(n) == "script" || string(n) == "style" {
				skip++
			}
		case html.EndTagToken:
			if n, _ := z.TagName(); (string(n) == "script" || string(n) == "style") && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
				b.WriteByte(' ')
			}
		}
	}
	s := b.String()
	return s[:min(len(s), maxIndexedText)]
}

// CutUTF8 returns at most the first n bytes of b, shortened further to
// end on a character boundary, so Persian, Chinese or Cyrillic text is
// never cut inside a character.
func CutUTF8(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}
