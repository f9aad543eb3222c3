package reader

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/corpus"
)

// benchArticles is the benchmarks' bundle: 2,000 generated articles of
// 2–20 KiB in nine languages, packed with a trained dictionary, as the
// demo packs them.
func benchArticles(n int) ([]*bundle.Article, []string) {
	var arts []*bundle.Article
	var phrases []string
	for _, d := range corpus.Generate(7, n, 2<<10, 20<<10) {
		arts = append(arts, &bundle.Article{ID: d.ID, Title: d.Title, Lang: d.Lang, Published: d.Published,
			Updated: d.Updated, URL: d.URL, Authors: d.Authors, Summary: d.Summary, ContentType: "text/markdown", Body: []byte(d.Body)})
		phrases = append(phrases, phrase(d.Body))
	}
	return arts, phrases
}

// phrase is a few words of a Markdown body that its rendering shows as
// they are: from a plain paragraph line.
func phrase(body string) string {
	for _, l := range strings.Split(body, "\n") {
		if len(l) > 40 && !strings.ContainsAny(l[:40], "#*_[]`<>!\\|") {
			r := []rune(l)
			return string(r[:min(len(r), 20)])
		}
	}
	return ""
}

// visit opens url in a fresh browser context (none of the earlier
// visits' cache or storage) and waits for text; then it opens url2 in the
// same context, a return visit, and waits for text2. It returns the time
// to the first text and the bytes each visit received.
type visit struct {
	first          time.Duration
	bytes1, bytes2 int64
}

func (b *browser) visit(tb testing.TB, url, text, url2, text2 string) visit {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	var mu sync.Mutex
	var got int64
	if err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*network.EventLoadingFinished); ok {
			mu.Lock()
			got += int64(ev.EncodedDataLength)
			mu.Unlock()
		}
	}); err != nil {
		tb.Fatal(err)
	}
	sub := &browser{t: tb, ctx: ctx, responses: make(map[string]*network.Response)}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740)); err != nil {
		tb.Fatal(err)
	}
	take := func() int64 {
		mu.Lock()
		defer mu.Unlock()
		n := got
		got = 0
		return n
	}
	t0 := time.Now()
	sub.open(url)
	sub.waitFor("the first article", "document.body && document.body.innerText.includes("+jsString(text)+")", 60*time.Second)
	v := visit{first: time.Since(t0)}
	time.Sleep(200 * time.Millisecond) // late responses (images, saves) counted with their visit
	v.bytes1 = take()
	sub.open(url2)
	sub.waitFor("the return visit's article", "document.body && document.body.innerText.includes("+jsString(text2)+")", 60*time.Second)
	time.Sleep(200 * time.Millisecond)
	v.bytes2 = take()
	return v
}

// BenchmarkBrowserFirstArticle: from opening the reader's page at an
// article to its verified text, in headless Chromium on loopback, a first
// visit (nothing cached) of a 2,000-article bundle; and the bytes that
// visit and a return visit to another article downloaded (the page
// compressed, as web hosts serve it).
//
//	go test ./web/reader -run '^$' -bench BrowserFirstArticle -benchtime 5x
func BenchmarkBrowserFirstArticle(b *testing.B) {
	for _, n := range []int{100, 500, 2000} {
		b.Run(fmt.Sprintf("articles=%d", n), func(b *testing.B) { benchFirstArticle(b, n) })
	}
}

func benchFirstArticle(b *testing.B, count int) {
	arts, phrases := benchArticles(count)
	s := newSite(b, siteOptions{arts: arts})
	br := newBrowser(b)
	i, j := count*2/3, count/3
	link := func(k int) string { return s.srv.URL + "/" + articleHref(publisher, arts[k].ID) }
	var first time.Duration
	var bytes1, bytes2 int64
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		v := br.visit(b, link(i), phrases[i], link(j), phrases[j])
		first += v.first
		bytes1 += v.bytes1
		bytes2 += v.bytes2
	}
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "ms/first-article")
	b.ReportMetric(float64(bytes1)/float64(b.N)/1000, "kB/first-visit")
	b.ReportMetric(float64(bytes2)/float64(b.N)/1000, "kB/return-visit")
	b.ReportMetric(float64(len(arts[j].Body))/1000, "kB/return-article-raw")
}

// articleHref is the app's route to an article (ui.js articleHref).
func articleHref(pub, id string) string {
	return "#/p/" + encodeURIComponentJS(pub) + "/a/" + encodeURIComponentJS(id)
}

// encodeURIComponentJS escapes as JavaScript's encodeURIComponent.
func encodeURIComponentJS(s string) string {
	const keep = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"
	var b strings.Builder
	for _, c := range []byte(s) {
		if strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// BenchmarkBrowserVerify: the browser's verify-and-decode throughput over
// a 2,000-article bundle: every body's spans decompressed (zstd with the
// bundle's dictionary) and checked against its content CID, the blocks
// already in memory (fetched first, not timed).
//
//	go test ./web/reader -run '^$' -bench BrowserVerify -benchtime 3x
func BenchmarkBrowserVerify(b *testing.B) {
	arts, _ := benchArticles(2000)
	s := newSite(b, siteOptions{arts: arts})
	br := newBrowser(b)
	br.open(s.srv.URL + "/")
	br.waitFor("the list", `document.querySelector('a[href*="/a/"]')`, 60*time.Second)
	// Fetch every block once (4 at a time, the gateway's per-client
	// bound), then verify from memory.
	eval[bool](br, `(async () => {
		const S = samizdat, cfg = JSON.parse(document.getElementById('samizdat-config').textContent);
		const net = S.net.create(cfg, await S.store.open());
		const r = await net.follow(`+jsString(publisher)+`);
		const bd = r.bundles[0], get = bd.getBlock, cache = new Map();
		const cids = bd.entries.flatMap((e) => S.bundle.contentBlocks(bd, e, { attachments: true }));
		let k = 0;
		await Promise.all([0, 1, 2, 3].map(async () => {
			while (k < cids.length) {
				const c = cids[k++];
				cache.set(S.mf.cidString(c), await get(c, S.mf.CODEC.RAW, S.limits.MaxBlockSize));
			}
		}));
		bd.getBlock = async (c) => cache.get(S.mf.cidString(c));
		globalThis.benchBundle = bd;
		return true;
	})()`)
	b.ResetTimer()
	var articles, ms float64
	for n := 0; n < b.N; n++ {
		r := eval[[]float64](br, `(async () => {
			const t0 = performance.now();
			await samizdat.bundle.verifyAll(globalThis.benchBundle);
			return [globalThis.benchBundle.entries.length, performance.now() - t0];
		})()`)
		articles += r[0]
		ms += r[1]
	}
	b.ReportMetric(articles/(ms/1000), "articles/s")
	b.ReportMetric(ms/float64(b.N), "ms/bundle")
}
