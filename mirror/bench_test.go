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

// BenchmarkFetchVsHTTP fetches a ~115 MB set of bundles from one mirror
// over loopback (a fresh reader each time), file by file in turn with
// downloads of the same files from Go's net/http file server in the same
// process. It reports the MB/s of each:
//
//   - p2p: FetchBundle over libp2p (TCP, TLS 1.3, yamux), all a reader
//     does: the metadata fetched and verified, each file checked block by
//     block as it streams, written, and synced (as before a head is
//     stored; in a sync of several bundles a file's sync overlaps the next
//     transfer, here it is waited for in its own turn);
//   - http, https: a bare download over plain HTTP and over HTTPS, written
//     to disk, neither checked nor synced (each file is synced after its
//     timing): the cost of the bytes alone;
//   - https-checked: the HTTPS download checked as it streams by
//     receiveCAR, the check of samizdat's HTTP path (each block hashed
//     against its CID), written and synced: the least a reader fetching
//     over HTTPS does before it may trust the bytes (SyncHTTP then also
//     re-reads the file and stores it again).
//
// ratio-https is p2p against bare HTTPS (target >= 0.5), ratio against
// bare HTTP, ratio-https-checked against the checked HTTPS download.
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

	// download gets file i from base and writes it to disk, in out,
	// through store, which returns once it has the whole body, and
	// returns how long that took. It then syncs the file, untimed: the
	// node's sync flushes the whole file system (syncfs), which must not
	// pay for another way's files.
	download := func(client *http.Client, base, out string, i int, store func(body io.Reader, f *os.File, root cid.Cid) error) time.Duration {
		t0 := time.Now()
		name := string(rune('a'+i)) + ".bundle"
		resp, err := client.Get(base + "/" + name)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		f, err := os.Create(filepath.Join(out, name))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := store(resp.Body, f, roots[i]); err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		return took
	}
	bare := func(body io.Reader, f *os.File, _ cid.Cid) error {
		_, err := io.Copy(f, body)
		return err
	}
	checked := func(body io.Reader, f *os.File, root cid.Cid) error {
		if _, err := receiveCAR(body, f, root); err != nil {
			return err
		}
		return f.Sync()
	}
	// The ways take turns file by file, so that the load of a shared
	// machine, which comes and goes, weighs on each alike.
	var p2p, web, tls, tlsChecked time.Duration
	for b.Loop() {
		reader := startB(b, false)
		if err := reader.Connect(ctx, peer.AddrInfo{ID: mir.Host.ID(), Addrs: mir.Host.Addrs()}); err != nil {
			b.Fatal(err)
		}
		webOut, tlsOut, checkedOut := b.TempDir(), b.TempDir(), b.TempDir()
		for i, r := range roots {
			web += download(http.DefaultClient, "http://"+ln.Addr().String(), webOut, i, bare)
			tls += download(tlsSrv.Client(), tlsSrv.URL, tlsOut, i, bare)
			tlsChecked += download(tlsSrv.Client(), tlsSrv.URL, checkedOut, i, checked)
			t0 := time.Now()
			if _, err := reader.FetchBundle(ctx, r, bundle.OpenOptions{}, io.Discard); err != nil {
				b.Fatal(err)
			}
			if err := reader.SyncBlocks(); err != nil { // durable, as before a head is stored
				b.Fatal(err)
			}
			p2p += time.Since(t0)
		}
		reader.stop()
	}
	mb := float64(total) / 1e6 * float64(b.N)
	b.ReportMetric(mb/p2p.Seconds(), "p2p-MB/s")
	b.ReportMetric(mb/web.Seconds(), "http-MB/s")
	b.ReportMetric(mb/tls.Seconds(), "https-MB/s")
	b.ReportMetric(mb/tlsChecked.Seconds(), "https-checked-MB/s")
	b.ReportMetric(web.Seconds()/p2p.Seconds(), "ratio")
	b.ReportMetric(tls.Seconds()/p2p.Seconds(), "ratio-https")
	b.ReportMetric(tlsChecked.Seconds()/p2p.Seconds(), "ratio-https-checked")
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
