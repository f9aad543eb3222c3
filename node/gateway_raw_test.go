package node

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multibase"
	mh "github.com/multiformats/go-multihash"
	"github.com/prometheus/client_golang/prometheus"
)

// TestGatewayRawFastPath: rawBlocks answers the requests it takes exactly
// as boxo's handler does (status, every header, body), and leaves every
// other request to boxo. Each case goes to boxo alone and to rawBlocks in
// front of it; wantFast says whether rawBlocks must take it, so a fast
// path that stopped engaging fails here too.
func TestGatewayRawFastPath(t *testing.T) {
	g := startGateway(t)
	boxo, err := g.n.boxoGateway(headStore{g.n.repo.heads}, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	bs := g.n.repo.Blockstore()
	fast := rawBlocks(bs, boxo)

	block := g.b.Blocks()[len(g.b.Blocks())-1] // an article's content
	raw := "/ipfs/" + block.String()
	base36, err := block.StringOfBase(multibase.Base36)
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := mh.Sum([]byte("not held"), mh.SHA2_256, -1)
	unknown := cid.NewCidV1(cid.Raw, sum)

	tests := []struct {
		name     string
		method   string
		target   string
		header   http.Header
		wantFast bool
	}{
		{"format and Accept", "GET", raw + "?format=raw", http.Header{"Accept": {"application/vnd.ipld.raw"}}, true},
		{"format alone", "GET", raw + "?format=raw", nil, true},
		{"a browser's Accept", "GET", raw + "?format=raw", http.Header{"Accept": {"text/html,application/xhtml+xml,*/*;q=0.8"}}, true},
		{"format over another Accept", "GET", raw + "?format=raw", http.Header{"Accept": {"application/vnd.ipld.car; version=1"}}, true},
		{"catalog", "GET", "/ipfs/" + g.head.Catalog.String() + "?format=raw", nil, true},
		{"bundle root", "GET", "/ipfs/" + g.b.Root.String() + "?format=raw", nil, true},
		{"unknown CID", "GET", "/ipfs/" + unknown.String() + "?format=raw", nil, true},
		{"the empty identity probe", "GET", "/ipfs/bafkqaaa?format=raw", nil, true},
		{"Accept alone", "GET", raw, http.Header{"Accept": {"application/vnd.ipld.raw"}}, false},
		{"Accept boxo cannot parse", "GET", raw + "?format=raw", http.Header{"Accept": {"application/vnd.ipld.raw; =x"}}, false},
		{"range", "GET", raw + "?format=raw", http.Header{"Range": {"bytes=2-9"}}, false},
		{"If-None-Match", "GET", raw + "?format=raw", http.Header{"If-None-Match": {`"` + block.String() + `.raw"`}}, false},
		{"the browser reader's no-cache", "GET", raw + "?format=raw", http.Header{"Accept": {"application/vnd.ipld.raw"}, "Cache-Control": {"no-cache"}, "Pragma": {"no-cache"}}, true},
		{"only-if-cached", "GET", raw + "?format=raw", http.Header{"Cache-Control": {"only-if-cached"}}, false},
		{"service worker", "GET", raw + "?format=raw", http.Header{"Service-Worker": {"script"}}, false},
		{"filename", "GET", raw + "?format=raw&filename=a.bin", nil, false},
		{"HEAD", "HEAD", raw + "?format=raw", nil, false},
		{"base36 CID", "GET", "/ipfs/" + base36 + "?format=raw", nil, false},
		{"path below the CID", "GET", raw + "/x?format=raw", nil, false},
		{"car", "GET", "/ipfs/" + g.b.Root.String() + "?format=car&dag-scope=block", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := func() *http.Request {
				r := httptest.NewRequest(tt.method, tt.target, nil)
				for k, v := range tt.header {
					r.Header[k] = v
				}
				return r
			}
			if _, fast := plainRawRequest(req()); fast != tt.wantFast {
				t.Fatalf("plainRawRequest(%s %s) = %v, want %v", tt.method, tt.target, fast, tt.wantFast)
			}
			want, got := httptest.NewRecorder(), httptest.NewRecorder()
			boxo.ServeHTTP(want, req())
			fast.ServeHTTP(got, req())
			if got.Code != want.Code {
				t.Errorf("status = %d, boxo's %d", got.Code, want.Code)
			}
			if diff := cmp.Diff(want.Header(), got.Header()); diff != "" {
				t.Errorf("headers differ from boxo's (-boxo +rawBlocks):\n%s", diff)
			}
			if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
				t.Errorf("body = %.100q, boxo's %.100q", got.Body.Bytes(), want.Body.Bytes())
			}
		})
	}
}

// TestGatewayDamagedBlock: a block whose bytes in the bundle file changed
// on disk is never served: the gateway re-hashes what it reads.
func TestGatewayDamagedBlock(t *testing.T) {
	g := startGateway(t)
	block := g.b.Blocks()[len(g.b.Blocks())-1]
	off, n, ok := g.b.Locate(block)
	if !ok || n == 0 {
		t.Fatalf("Locate(%s) = %d, %d, %v", block, off, n, ok)
	}
	f, err := os.OpenFile(filepath.Join(g.n.repo.Dir(), bundlesDir, g.b.Root.String()+".car"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	data, err := g.b.Block(block)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{data[0] ^ 1}, off); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, accept := range []string{"application/vnd.ipld.raw", ""} {
		resp, body := g.get(t, "/ipfs/"+block.String()+"?format=raw", accept)
		if resp.StatusCode == http.StatusOK {
			t.Errorf("GET a damaged block (Accept %q) = 200 with %d bytes, want a refusal", accept, len(body))
		}
	}
}
