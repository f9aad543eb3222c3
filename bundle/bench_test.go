package bundle

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/samizdat/samizdat/internal/corpus"
)

var (
	benchOnce sync.Once
	benchArts []*Article
	benchIn   int64
)

// benchCorpus is the corpus: 10,000 generated articles of 2-20 KB
// in several languages and scripts.
func benchCorpus() ([]*Article, int64) {
	benchOnce.Do(func() {
		for _, d := range corpus.Generate(42, 10000, 2<<10, 20<<10) {
			body := []byte(d.Body) // as ingest reads a markdown file: front matter in the fields
			benchArts = append(benchArts, &Article{ID: d.ID, Title: d.Title, Lang: d.Lang, Published: d.Published,
				Updated: d.Updated, URL: d.URL, Authors: d.Authors, Summary: d.Summary, ContentType: "text/markdown", Body: body})
			benchIn += int64(len(body))
		}
	})
	return benchArts, benchIn
}

func benchPack(b *testing.B, opts PackOptions, arts []*Article) []byte {
	var out []byte
	for b.Loop() {
		p, err := NewPacker(opts)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range arts {
			if err := p.Add(a); err != nil {
				b.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if _, err := p.Pack(&buf); err != nil {
			b.Fatal(err)
		}
		p.Close()
		out = buf.Bytes()
	}
	return out
}

// BenchmarkPack packs the 10,000-article corpus; MB/s is of input.
func BenchmarkPack(b *testing.B) {
	arts, in := benchCorpus()
	for _, tc := range []struct {
		name string
		opts PackOptions
	}{
		{"default", PackOptions{}},
		{"best-cluster1m", PackOptions{Level: LevelBest, Cluster: 1 << 20}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tc.opts.Key, tc.opts.Seq, tc.opts.Created = testKey(1), 1, time.Unix(1e9, 0)
			b.SetBytes(in)
			out := benchPack(b, tc.opts, arts)
			b.ReportMetric(float64(in)/float64(len(out)), "ratio")
			b.ReportMetric(float64(len(out)), "bundle-bytes")
			if bb, err := openBytes(out, OpenOptions{}); err == nil {
				var meta int
				for _, c := range bb.meta {
					meta += bb.src.(*carSource).blocks[c].n
				}
				b.ReportMetric(float64(meta), "meta-bytes")
			}
		})
	}
}

var (
	benchBundleOnce sync.Once
	benchBundle     []byte
)

// benchDefaultBundle is the corpus packed with the default options, once
// for all the benchmarks that read it.
func benchDefaultBundle(b *testing.B) []byte {
	benchBundleOnce.Do(func() {
		arts, _ := benchCorpus()
		benchBundle = packBytes(b, PackOptions{Key: testKey(1), Seq: 1, Created: time.Unix(1e9, 0)}, arts)
	})
	return benchBundle
}

// benchReads reads articles of bb at random (a fixed stride through the
// corpus, so every run reads the same ones) and reports articles/s.
func benchReads(b *testing.B, bb *Bundle) {
	arts, _ := benchCorpus()
	ids := make([]string, 0, len(arts))
	for _, a := range arts {
		ids = append(ids, a.ID)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := bb.Body(ids[(i*7919)%len(ids)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkReadArticle reads articles at random from an open bundle held
// in memory.
func BenchmarkReadArticle(b *testing.B) {
	bb, err := openBytes(benchDefaultBundle(b), OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer bb.Close()
	benchReads(b, bb)
}

// BenchmarkReadArticleRealText is BenchmarkReadArticle on the real-text
// corpus (internal/corpus.RealText: prose from the machine's manual pages
// and docs, about 4 KiB an article), packed with the default options.
func BenchmarkReadArticleRealText(b *testing.B) {
	docs, err := corpus.RealText(corpus.RealTextOptions{})
	if errors.Is(err, corpus.ErrNoRealText) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	var arts []*Article
	var in int64
	for _, d := range docs {
		arts = append(arts, &Article{ID: d.ID, Title: d.Title, Lang: d.Lang, Published: d.Published, Updated: d.Updated,
			URL: d.URL, Authors: d.Authors, Summary: d.Summary, ContentType: "text/plain", Body: []byte(d.Body)})
		in += int64(len(d.Body))
	}
	bb, err := openBytes(packBytes(b, PackOptions{Key: testKey(1), Seq: 1, Created: time.Unix(1e9, 0)}, arts), OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer bb.Close()
	b.ReportAllocs()
	b.SetBytes(in / int64(len(arts)))
	i := 0
	for b.Loop() {
		if _, err := bb.Body(arts[(i*7919)%len(arts)].ID); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkReadArticleFile is BenchmarkReadArticle from a bundle file, as
// a mirror reads: one ReadAt per block.
func BenchmarkReadArticleFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.bundle")
	if err := os.WriteFile(path, benchDefaultBundle(b), 0o644); err != nil {
		b.Fatal(err)
	}
	bb, err := Open(path, OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer bb.Close()
	benchReads(b, bb)
}

// BenchmarkOpen opens the 10,000-article default bundle: every check of
// steps 1-14 of bundle-format.md section 9 (the index, the signature, every
// page decoded and every entry checked), from memory and from a file.
func BenchmarkOpen(b *testing.B) {
	data := benchDefaultBundle(b)
	path := filepath.Join(b.TempDir(), "bench.bundle")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		open func() (*Bundle, error)
	}{
		{"reader", func() (*Bundle, error) { return openBytes(data, OpenOptions{}) }},
		{"file", func() (*Bundle, error) { return Open(path, OpenOptions{}) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bb, err := tc.open()
				if err != nil {
					b.Fatal(err)
				}
				if bb.Articles != 10000 {
					b.Fatalf("Articles = %d, want 10000", bb.Articles)
				}
				bb.Close()
			}
		})
	}
}
