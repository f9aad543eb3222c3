package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
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

	var p2p, web time.Duration
	for b.Loop() {
		t0 := time.Now()
		for i := range files {
			resp, err := http.Get("http://" + ln.Addr().String() + "/" + string(rune('a'+i)) + ".bundle")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		web += time.Since(t0)

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
		p2p += time.Since(t0)
		reader.stop()
	}
	mb := float64(total) / 1e6 * float64(b.N)
	b.ReportMetric(mb/p2p.Seconds(), "p2p-MB/s")
	b.ReportMetric(mb/web.Seconds(), "http-MB/s")
	b.ReportMetric(web.Seconds()/p2p.Seconds(), "ratio")
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
	tn := &testNode{n, repo.Heads(), repo}
	b.Cleanup(tn.stop)
	return tn
}
