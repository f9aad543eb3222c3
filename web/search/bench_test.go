package search

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/corpus"
)

// benchArticles is the size of BenchmarkSearch's corpus.
const benchArticles = 100_000

var bench struct {
	once    sync.Once
	x       *Index
	queries []string
	build   time.Duration
	err     error
}

// benchIndex builds the benchmark's index once per process: 100,000
// generated articles of 1–2 KiB in nine languages, packed into one bundle.
func benchIndex(b *testing.B) (*Index, []string) {
	bench.once.Do(func() {
		docs := corpus.Generate(1, benchArticles, 1<<10, 2<<10)
		arts := make([]*bundle.Article, len(docs))
		for i, d := range docs {
			arts[i] = &bundle.Article{ID: d.ID, Title: d.Title, Lang: d.Lang, Published: d.Published,
				Updated: d.Updated, URL: d.URL, Authors: d.Authors, Summary: d.Summary,
				ContentType: "text/markdown", Body: []byte(d.Body)}
			if i%(benchArticles/500) == 0 {
				bench.queries = append(bench.queries, queryFrom(d.Title))
			}
		}
		bd := packBundle(b, 1, arts)
		// The index outlives this benchmark's temporary directory only
		// until the process ends; it lives in a directory of its own.
		dir, err := osMkdirTemp()
		if err != nil {
			bench.err = err
			return
		}
		if bench.x, bench.err = Open(dir + "/index"); bench.err != nil {
			return
		}
		t0 := time.Now()
		bench.err = bench.x.AddBundle(bd)
		bench.build = time.Since(t0)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.x, bench.queries
}

// queryFrom makes a query of a title's first two words, or, for a title
// written without spaces, its first three characters.
func queryFrom(title string) string {
	w := strings.Fields(title)
	if len(w) >= 2 {
		return w[0] + " " + w[1]
	}
	r := []rune(title)
	return string(r[:min(3, len(r))])
}

// BenchmarkSearch reports query latency percentiles over a 100,000
// article index, and its size. Run with:
//
//	go test -run XXX -bench BenchmarkSearch -benchtime 2000x ./web/search/
func BenchmarkSearch(b *testing.B) {
	x, queries := benchIndex(b)
	lat := make([]time.Duration, 0, b.N)
	hits := 0
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		h, err := x.Search(queries[i%len(queries)], "", 20)
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		hits += len(h)
	}
	b.StopTimer()
	if hits == 0 {
		b.Fatal("no query found anything")
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))]) / float64(time.Millisecond)
	}
	size, err := x.Size()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(size)/1e6, "index-MB")
	b.ReportMetric(bench.build.Seconds(), "build-s")
	b.ReportMetric(float64(hits)/float64(b.N), "hits/query")
}
