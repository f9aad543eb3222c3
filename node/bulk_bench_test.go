//go:build unix

package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/corpus"
)

// BenchmarkBundleTransfer fetches one 10,000-article bundle (38 MB) from a
// mirror over loopback (TCP, TLS 1.3, yamux) with FetchBundle, taking
// turns with a bare HTTPS download of the same file from Go's net/http
// file server (written to disk, not checked), both in this process. It
// reports the median MB/s of each, their ratio, and the CPU time of the
// whole process (both ends of each) per byte: on a machine whose cores
// are busy elsewhere, throughput follows the CPU a byte costs. The file's
// sync and removal are not timed. (processCPU is gateway_bench_test.go's.)
func BenchmarkBundleTransfer(b *testing.B) {
	file := transferBundle(b)
	bb, err := bundle.OpenReader(bytes.NewReader(file), int64(len(file)), bundle.OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	mirror, reader := benchNode(b, true), benchNode(b, false)
	ctx := context.Background()
	if err := mirror.AddBundle(ctx, bb); err != nil {
		b.Fatal(err)
	}
	if err := reader.Connect(ctx, peer.AddrInfo{ID: mirror.Host.ID(), Addrs: mirror.Host.Addrs()}); err != nil {
		b.Fatal(err)
	}
	dir, out := b.TempDir(), b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "b.car"), file, 0o600); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewTLSServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	// download writes the file to a new name each time (removed, untimed,
	// by the caller): truncating the last copy would be timed too.
	download := func(name string) {
		resp, err := srv.Client().Get(srv.URL + "/b.car")
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		f, err := os.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if _, err := io.Copy(f, resp.Body); err != nil {
			b.Fatal(err)
		}
	}
	var p2p, web []time.Duration
	var p2pCPU, webCPU time.Duration
	for i := 0; b.Loop(); i++ {
		name := filepath.Join(out, fmt.Sprint(i))
		c0, t0 := processCPU(), time.Now()
		download(name)
		web = append(web, time.Since(t0))
		webCPU += processCPU() - c0
		if err := os.Remove(name); err != nil {
			b.Fatal(err)
		}
		c0, t0 = processCPU(), time.Now()
		if _, err := reader.FetchBundle(ctx, bb.Root, bundle.OpenOptions{}, io.Discard); err != nil {
			b.Fatal(err)
		}
		p2p = append(p2p, time.Since(t0))
		p2pCPU += processCPU() - c0
		if err := reader.SyncBlocks(); err != nil {
			b.Fatal(err)
		}
		if err := reader.DropBundle(bb.Root); err != nil {
			b.Fatal(err)
		}
	}
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	mb, total := float64(len(file))/1e6, float64(len(file))*float64(b.N)
	b.ReportMetric(mb/median(p2p).Seconds(), "p2p-MB/s")
	b.ReportMetric(mb/median(web).Seconds(), "https-MB/s")
	b.ReportMetric(median(web).Seconds()/median(p2p).Seconds(), "ratio-https")
	b.ReportMetric(float64(p2pCPU.Nanoseconds())/total, "p2p-cpu-ns/B")
	b.ReportMetric(float64(webCPU.Nanoseconds())/total, "https-cpu-ns/B")
}

// transferBundle packs 10,000 generated articles of 2–20 KiB, the bundles
// of mirror's BenchmarkFetchVsHTTP.
func transferBundle(b *testing.B) []byte {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	p, err := bundle.NewPacker(bundle.PackOptions{Key: key, Seq: 1, TempDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	g := corpus.New(1, 2<<10, 20<<10)
	for range 10000 {
		d := g.Next()
		if err := p.Add(&bundle.Article{ID: d.ID, Title: d.Title, Lang: d.Lang, ContentType: "text/markdown", Body: []byte(d.Body)}); err != nil {
			b.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := p.Pack(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// benchNode starts a node; a serving one listens on loopback TCP only.
func benchNode(b *testing.B, serve bool) *Node {
	repo, err := OpenRepo(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { repo.Close() })
	cfg := Config{Serve: serve}
	if serve {
		cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	n, err := New(context.Background(), repo, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	return n
}
