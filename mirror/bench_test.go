package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/corpus"
	"github.com/samizdat/samizdat/node"
)

// benchSet packs bundles of generated articles until they total about
// want bytes, and returns their files.
func benchSet(b *testing.B, key ed25519.PrivateKey, want int) [][]byte {
	var files [][]byte
	total := 0
	for seq := uint64(1); total < want; seq++ {
		p, err := bundle.NewPacker(bundle.PackOptions{Key: key, Seq: seq, TempDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		g := corpus.New(int64(seq), 2<<10, 20<<10)
		for i := 0; i < 10000; i++ {
			d := g.Next()
			if err := p.Add(&bundle.Article{ID: d.ID, Title: d.Title, Lang: d.Lang, ContentType: "text/markdown", Body: []byte(d.Body)}); err != nil {
				b.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if _, err := p.Pack(&buf); err != nil {
			b.Fatal(err)
		}
		p.Close()
		files = append(files, buf.Bytes())
		total += buf.Len()
	}
	return files
}

// BenchmarkFetchVsHTTP fetches a ~100 MB bundle set from one mirror over
// loopback, verified, side by side with a plain HTTP download of the same
// files from a Go net/http file server. Metrics: MB/s of each and the
// ratio (target >= 0.5).
func BenchmarkFetchVsHTTP(b *testing.B) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	files := benchSet(b, key, 100<<20)
	total := 0
	dir := b.TempDir()
	var roots []cid.Cid
	mir := startB(b, true)
	ctx := context.Background()
	for i, f := range files {
		total += len(f)
		os.WriteFile(filepath.Join(dir, string(rune('a'+i))+".bundle"), f, 0o644)
		bb, err := bundle.OpenReader(bytes.NewReader(f), int64(len(f)), bundle.OpenOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := mir.AddBundle(ctx, bb); err != nil {
			b.Fatal(err)
		}
		roots = append(roots, bb.Root)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir))}
	go srv.Serve(ln)
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(http.FileServer(http.Dir(dir)))
	defer tlsSrv.Close()

	// Each side stores what it downloads, as a reader would: the HTTP
	// client writes the file (not synced; the node syncs its bundle file).
	download := func(client *http.Client, base string) {
		out := b.TempDir()
		for i := range files {
			name := string(rune('a'+i)) + ".bundle"
			resp, err := client.Get(base + "/" + name)
			if err != nil {
				b.Fatal(err)
			}
			f, err := os.Create(filepath.Join(out, name))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(f, resp.Body); err != nil {
				b.Fatal(err)
			}
			f.Close()
			resp.Body.Close()
		}
	}
	var p2p, web, tls time.Duration
	for b.Loop() {
		t0 := time.Now()
		download(http.DefaultClient, "http://"+ln.Addr().String())
		web += time.Since(t0)
		t0 = time.Now()
		download(tlsSrv.Client(), tlsSrv.URL)
		tls += time.Since(t0)

		reader := startB(b, false)
		if err := reader.Connect(ctx, peer.AddrInfo{ID: mir.Host.ID(), Addrs: mir.Host.Addrs()}); err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		for _, r := range roots {
			if _, err := reader.FetchBundle(ctx, r, bundle.OpenOptions{}, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
		if err := reader.SyncBlocks(); err != nil { // durable, as before a head is stored
			b.Fatal(err)
		}
		p2p += time.Since(t0)
		reader.stop()
	}
	mb := float64(total) / 1e6 * float64(b.N)
	b.ReportMetric(mb/p2p.Seconds(), "p2p-MB/s")
	b.ReportMetric(mb/web.Seconds(), "http-MB/s")
	b.ReportMetric(mb/tls.Seconds(), "https-MB/s")
	b.ReportMetric(web.Seconds()/p2p.Seconds(), "ratio")
	b.ReportMetric(tls.Seconds()/p2p.Seconds(), "ratio-https")
	b.ReportMetric(float64(total)/1e6, "set-MB")
}

func startB(b *testing.B, serve bool) *testNode {
	repo, err := node.OpenRepo(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	cfg := node.Config{Serve: serve}
	if serve {
		cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	n, err := node.New(context.Background(), repo, cfg)
	if err != nil {
		b.Fatal(err)
	}
	tn := wrap(n, repo)
	b.Cleanup(tn.stop)
	return tn
}

// BenchmarkArticleLatency fetches one small article block from a connected
// mirror over bitswap; reports the p50 in ms (target < 5 ms).
func BenchmarkArticleLatency(b *testing.B) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	p, err := bundle.NewPacker(bundle.PackOptions{Key: key, Seq: 1, TempDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range corpus.Generate(9, 2000, 2<<10, 8<<10) {
		p.Add(&bundle.Article{ID: d.ID, Title: d.Title, Lang: d.Lang, ContentType: "text/markdown", Body: []byte(d.Body)})
	}
	var buf bytes.Buffer
	if _, err := p.Pack(&buf); err != nil {
		b.Fatal(err)
	}
	bb, err := bundle.OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), bundle.OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	mir, reader := startB(b, true), startB(b, false)
	ctx := context.Background()
	if err := mir.AddBundle(ctx, bb); err != nil {
		b.Fatal(err)
	}
	if err := reader.Connect(ctx, peer.AddrInfo{ID: mir.Host.ID(), Addrs: mir.Host.Addrs()}); err != nil {
		b.Fatal(err)
	}
	blocks := bb.Blocks()[len(bb.Blocks())-1800:] // content blocks: one article each
	var lat []time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		if _, err := reader.GetBlock(ctx, blocks[i%len(blocks)]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkReaderFirstArticle: a reader with one known peer, from a fresh
// repo and node to its first verified article (target < 500 ms).
func BenchmarkReaderFirstArticle(b *testing.B) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	files := benchSet(b, key, 1) // one bundle of 10,000 articles
	bb, err := bundle.OpenReader(bytes.NewReader(files[0]), int64(len(files[0])), bundle.OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	mir := startB(b, true)
	ctx := context.Background()
	if _, err := mir.as(key).Publish(ctx, bb); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for b.Loop() {
		t0 := time.Now()
		reader := startB(b, false)
		if err := reader.Connect(ctx, peer.AddrInfo{ID: mir.Host.ID(), Addrs: mir.Host.Addrs()}); err != nil {
			b.Fatal(err)
		}
		h, err := reader.ResolveHead(ctx, []peer.ID{mir.Host.ID()}, publisher)
		if err != nil {
			b.Fatal(err)
		}
		data, err := reader.GetBlock(ctx, h.Catalog)
		if err != nil {
			b.Fatal(err)
		}
		cat, err := node.ParseCatalog(publisher, h.Catalog, data)
		if err != nil {
			b.Fatal(err)
		}
		get := func(c cid.Cid) ([]byte, error) { return reader.GetBlock(ctx, c) }
		fb, err := bundle.OpenBlocks(cat.Bundles[0], get, bundle.OpenOptions{Publisher: publisher})
		if err != nil {
			b.Fatal(err)
		}
		first := fb.List()[0]
		if _, err := fb.Body(first.ID); err != nil {
			b.Fatal(err)
		}
		total += time.Since(t0)
		reader.stop()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/first-article")
}
