package bundle

import (
	"bytes"
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

// BenchmarkReadArticle reads articles at random from an open bundle.
func BenchmarkReadArticle(b *testing.B) {
	arts, _ := benchCorpus()
	data := packBytes(b, PackOptions{Key: testKey(1), Seq: 1, Created: time.Unix(1e9, 0)}, arts)
	bb, err := openBytes(data, OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 0, len(arts))
	for _, a := range arts {
		ids = append(ids, a.ID)
	}
	i := 0
	for b.Loop() {
		if _, err := bb.Body(ids[(i*7919)%len(ids)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}
