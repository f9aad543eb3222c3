package node

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"testing"
)

// TestGatewayGzipRaw: a browser (Accept-Encoding: gzip) gets a raw block
// that is not a zstd frame gzipped, and the bytes decode to the block; a
// zstd frame, a range, a CAR, and a samizdat client (identity) get the
// bytes as they are.
func TestGatewayGzipRaw(t *testing.T) {
	g := startGateway(t)
	var plain, frame []byte
	var plainCID, frameCID string
	for _, c := range g.b.Blocks() {
		data, err := g.b.Block(c)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case bytes.HasPrefix(data, zstdMagic) && frame == nil:
			frame, frameCID = data, c.String()
		case !bytes.HasPrefix(data, zstdMagic) && len(data) > 64 && plain == nil:
			plain, plainCID = data, c.String()
		}
	}
	if plain == nil || frame == nil {
		t.Fatal("the test bundle lacks a plain block or a zstd frame")
	}
	do := func(cid, encoding, rng string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", g.srv.URL+"/ipfs/"+cid+"?format=raw", nil)
		req.Header.Set("Accept-Encoding", encoding) // set by hand: the transport then leaves the body alone
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}
	res, body := do(plainCID, "gzip, deflate, br", "")
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("plain block to a browser: %s, encoding %q", res.Status, res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, plain) {
		t.Error("the gzipped block does not decode to the block")
	}
	for _, tc := range []struct {
		name, cid, enc, rng string
		want                []byte
		status              int
	}{
		{"zstd frame to a browser", frameCID, "gzip", "", frame, 200},
		{"plain block to a samizdat client", plainCID, "identity", "", plain, 200},
		{"range of a plain block", plainCID, "gzip", "bytes=0-9", plain[:10], 206},
	} {
		res, body := do(tc.cid, tc.enc, tc.rng)
		if res.StatusCode != tc.status || res.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, tc.want) {
			t.Errorf("%s: %s, encoding %q, %d bytes", tc.name, res.Status, res.Header.Get("Content-Encoding"), len(body))
		}
	}
}
