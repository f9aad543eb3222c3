//go:build unix

package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/corpus"
)

// The gateway benchmark's load: like wrk -c 32, a fixed number of
// keep-alive connections each asking for the next request as soon as the
// last answer is read.
const (
	benchGatewayArticles    = 2000  // a realistic day's bundle of 2–8 KB articles
	benchGatewayClients     = 32    // connections, as the wrk run
	benchGatewaySample      = 1024  // distinct blocks asked for, drawn from the bundle's
	benchGatewayRequests    = 20000 // requests in one measured round
	benchGatewayWarmRequest = 2000  // requests of the unmeasured round that opens the connections
)

// benchGatewayBundle is the benchmark's bundle file, packed once per
// process: the benchmark function runs more than once (b.N = 1 first).
var benchGatewayBundle = sync.OnceValues(func() ([]byte, error) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	tmp, err := os.MkdirTemp("", "gwbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	p, err := bundle.NewPacker(bundle.PackOptions{Key: key, Seq: 1, TempDir: tmp})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	for _, d := range corpus.Generate(1, benchGatewayArticles, 2<<10, 8<<10)[:benchGatewayArticles] {
		if err := p.Add(&bundle.Article{ID: d.ID, Title: d.Title, Lang: d.Lang, ContentType: "text/markdown", Body: []byte(d.Body)}); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if _, err := p.Pack(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
})

// BenchmarkGatewayVsStatic compares the trustless gateway (Node.Gateway)
// answering raw block requests with Go's http.FileServer serving the same
// blocks, each as a file ipfs/<cid> (the name a static copy gives a
// catalog; a static copy has no file per bundle block, so this is the
// plainest server of the same bytes per request). Both run on 127.0.0.1
// and get the same requests: GET /ipfs/<cid>?format=raw with Accept:
// application/vnd.ipld.raw and no Accept-Encoding (as wrk sends them),
// from benchGatewayClients keep-alive connections, over a random sample
// of the bundle's blocks. Each b.N is a round of each, in alternating
// order; the figures are requests per second over all rounds, and their
// ratio (target ≥ 0.5, issue 12).
//
// The load generator runs in this process and shares the machine's cores
// with the servers, as wrk on the same machine would; it costs more per
// request than wrk (net/http's client), which narrows the gap between the
// two servers (wrk itself, run by hand against the same two servers,
// gave ratios within the spread of this benchmark's). Requests per second
// move with whatever else the machine runs; the process's CPU time per
// request (load generator included) is reported beside them, as the
// steadier figure.
//
// Each connection sends its own X-Forwarded-For address: requests from
// loopback count as a reverse proxy's (clientOf), and the gateway holds
// one client to gatewayMaxPerClient requests at once; 32 readers behind
// a proxy are 32 clients. Any answer but a 200 with the block's length
// fails the benchmark.
//
//	go test ./node -run '^$' -bench GatewayVsStatic -benchtime 5x -count 3
func BenchmarkGatewayVsStatic(b *testing.B) {
	data, err := benchGatewayBundle()
	if err != nil {
		b.Fatal(err)
	}
	bnd, err := bundle.OpenReader(bytes.NewReader(data), int64(len(data)), bundle.OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	repo, err := OpenRepo(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer repo.Close()
	n, err := New(context.Background(), repo, Config{Serve: true})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	if err := n.AddBundle(context.Background(), bnd); err != nil {
		b.Fatal(err)
	}
	gw, err := n.Gateway(GatewayConfig{})
	if err != nil {
		b.Fatal(err)
	}
	gwSrv := httptest.NewServer(gw)
	defer gwSrv.Close()

	dir := b.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "ipfs"), 0o755); err != nil {
		b.Fatal(err)
	}
	all := bnd.Blocks()
	sizes := make(map[cid.Cid]int, len(all))
	for _, c := range all {
		blk, err := bnd.Block(c)
		if err != nil {
			b.Fatal(err)
		}
		sizes[c] = len(blk)
		if err := os.WriteFile(filepath.Join(dir, "ipfs", c.String()), blk, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	staticSrv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer staticSrv.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	sample := make([]benchBlock, benchGatewaySample)
	for i := range sample {
		c := all[rng.IntN(len(all))]
		sample[i] = benchBlock{path: "/ipfs/" + c.String() + "?format=raw", size: sizes[c]}
	}

	servers := []*benchServer{
		{name: "gateway", url: gwSrv.URL, client: benchClient()},
		{name: "static", url: staticSrv.URL, client: benchClient()},
	}
	for _, s := range servers {
		defer s.client.CloseIdleConnections()
		if _, err := s.round(sample, benchGatewayWarmRequest); err != nil {
			b.Fatalf("%s: %v", s.name, err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		for j := range servers {
			s := servers[(i+j)%len(servers)] // alternate which goes first
			cpu0 := processCPU()
			d, err := s.round(sample, benchGatewayRequests)
			if err != nil {
				b.Fatalf("%s: %v", s.name, err)
			}
			cpu := processCPU() - cpu0
			s.took += d
			s.cpu += cpu
			s.requests += benchGatewayRequests
			b.Logf("round %d %s: %.0f requests/s, %.1f µs CPU each", i, s.name,
				benchGatewayRequests/d.Seconds(), float64(cpu.Microseconds())/benchGatewayRequests)
		}
	}
	b.StopTimer()
	gwRate, staticRate := servers[0].rate(), servers[1].rate()
	b.ReportMetric(gwRate, "gateway-req/s")
	b.ReportMetric(staticRate, "static-req/s")
	b.ReportMetric(gwRate/staticRate, "ratio")
	b.ReportMetric(servers[0].cpuPerRequest(), "gateway-cpu-µs/req")
	b.ReportMetric(servers[1].cpuPerRequest(), "static-cpu-µs/req")
	b.ReportMetric(0, "ns/op") // a pair of rounds' time says nothing
}

type benchBlock struct {
	path string
	size int
}

type benchServer struct {
	name     string
	url      string
	client   *http.Client
	took     time.Duration
	cpu      time.Duration // the process's, load generator included
	requests int
}

func (s *benchServer) rate() float64 { return float64(s.requests) / s.took.Seconds() }

func (s *benchServer) cpuPerRequest() float64 {
	return float64(s.cpu.Microseconds()) / float64(s.requests)
}

// processCPU is the CPU time the process has used, user and system: a
// figure other load on the machine does not inflate, as it does the
// requests per second.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchClient is a client that keeps benchGatewayClients connections open
// and asks for no compression (wrk's requests carry no Accept-Encoding).
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        benchGatewayClients,
		MaxIdleConnsPerHost: benchGatewayClients,
		MaxConnsPerHost:     benchGatewayClients,
		DisableCompression:  true,
	}}
}

// round has benchGatewayClients workers make total requests between them,
// each for a block drawn at random from sample, and returns how long they
// took.
func (s *benchServer) round(sample []benchBlock, total int) (time.Duration, error) {
	var (
		left atomic.Int64
		wg   sync.WaitGroup
		errs = make([]error, benchGatewayClients)
	)
	left.Store(int64(total))
	start := time.Now()
	for w := range benchGatewayClients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(total)))
			forwarded := fmt.Sprintf("192.0.2.%d", w+1)
			for left.Add(-1) >= 0 {
				if err := s.get(sample[rng.IntN(len(sample))], forwarded); err != nil {
					errs[w] = err
					left.Store(0)
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return took, nil
}

// get asks for one block and reads the answer whole.
func (s *benchServer) get(blk benchBlock, forwarded string) error {
	req, err := http.NewRequest(http.MethodGet, s.url+blk.path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/vnd.ipld.raw")
	req.Header.Set("X-Forwarded-For", forwarded)
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || got != int64(blk.size) {
		return fmt.Errorf("GET %s = %d with %d bytes, want 200 with %d", blk.path, resp.StatusCode, got, blk.size)
	}
	return nil
}
