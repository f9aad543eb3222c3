package mirror

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	"github.com/samizdat/samizdat/bundle"
)

// gzipped returns n zero bytes, gzip-compressed: a few kilobytes that
// decode to n.
func gzipped(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bodyCounter is a RoundTripper that counts the body bytes the client
// reads from responses, as the transport hands them over (decoded, if
// the transport decodes): what SyncHTTP would write to disk. respond, if
// not nil, answers a request in place of the network (nil: ask it).
type bodyCounter struct {
	base    http.RoundTripper
	respond func(*http.Request) *http.Response
	read    atomic.Int64
}

func (c *bodyCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	var resp *http.Response
	if c.respond != nil {
		resp = c.respond(r)
	}
	if resp == nil {
		var err error
		if resp, err = c.base.RoundTrip(r); err != nil {
			return nil, err
		}
	}
	resp.Body = &countedBody{ReadCloser: resp.Body, n: &c.read}
	return resp, nil
}

type countedBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// TestSyncHTTPHostileBody: a server answering bundle requests with a
// gzip bomb (declared as a Content-Encoding or not), with more bytes than
// it declared, or with junk, costs the reader no more than the bytes the
// server sent, and never more than it declared: the client asks for the
// identity encoding, decodes nothing, refuses a declared encoding, stops
// at the declared length and stops reading a body that is not the
// bundle's CAR as soon as it shows. The next URL delivers the bundles.
func TestSyncHTTPHostileBody(t *testing.T) {
	f := newHTTPFixture(t)
	const decoded = 32 << 20
	bomb := gzipped(t, decoded)
	isBundle := func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/ipfs/"+f.roots[1]) || strings.HasPrefix(r.URL.Path, "/ipfs/"+f.roots[2])
	}
	for _, tc := range []struct {
		name string
		// serve answers a bundle request at the hostile server.
		serve func(w http.ResponseWriter, r *http.Request)
		// respond answers a bundle request in place of the network.
		respond func(r *http.Request) *http.Response
		// max is the most body bytes the client may read per request.
		max int64
		// want is the error the hostile server alone gives.
		want error
	}{
		{name: "gzip bomb, declared", max: int64(len(bomb)), want: ErrHTTPEncoding, serve: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Length", strconv.Itoa(len(bomb)))
			w.Write(bomb)
		}},
		{name: "gzip bomb, undeclared", max: int64(len(bomb)), want: bundle.ErrMalformed, serve: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", typeCAR)
			w.Write(bomb)
		}},
		{name: "junk", max: 1 << 20, want: bundle.ErrMalformed, serve: func(w http.ResponseWriter, r *http.Request) {
			chunk := bytes.Repeat([]byte{0xa5}, 64<<10)
			for range decoded / len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}},
		// Blocks that each hash to their CID but that the bundle does
		// not reach, after the bundle's own CAR header.
		{name: "blocks the bundle does not reach", max: maxCARAhead + 2<<20, want: bundle.ErrMalformed, serve: func(w http.ResponseWriter, r *http.Request) {
			file := f.files[1]
			if strings.HasPrefix(r.URL.Path, "/ipfs/"+f.roots[2]) {
				file = f.files[2]
			}
			hlen, k := binary.Uvarint(file)
			if _, err := w.Write(file[:k+int(hlen)]); err != nil {
				return
			}
			block := make([]byte, 1<<20)
			for i := range 3 * maxCARAhead / len(block) {
				binary.BigEndian.PutUint64(block, uint64(i))
				c, _ := cid.Prefix{Version: 1, Codec: cid.Raw, MhType: multihash.SHA2_256, MhLength: -1}.Sum(block)
				section := binary.AppendUvarint(nil, uint64(len(c.Bytes())+len(block)))
				if _, err := w.Write(append(append(section, c.Bytes()...), block...)); err != nil {
					return
				}
			}
		}},
		// net/http's own transports never hand over more than was
		// declared; a Client given in HTTPSource may.
		{name: "more than declared", max: 1001, want: bundle.ErrTooLarge, respond: func(r *http.Request) *http.Response {
			return &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Content-Type": {typeCAR}}, ContentLength: 1000, Request: r,
				Body: io.NopCloser(bytes.NewReader(make([]byte, decoded)))}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var encodings []string
			hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				encodings = append(encodings, r.Header.Get("Accept-Encoding"))
				mu.Unlock()
				if isBundle(r) && tc.serve != nil {
					tc.serve(w, r)
					return
				}
				f.static.ServeHTTP(w, r)
			}))
			defer hostile.Close()
			client := NewHTTPClient(nil)
			count := &bodyCounter{base: client.Transport}
			if tc.respond != nil {
				count.respond = func(r *http.Request) *http.Response {
					if isBundle(r) && "http://"+r.URL.Host == hostile.URL {
						return tc.respond(r)
					}
					return nil
				}
			}
			client.Transport = count
			reader := start(t, false)
			// Only head and catalog come from the good server: it
			// answers too, but the hostile one is asked first for the
			// bundles.
			good := serve(t, f.static)
			src := HTTPSource{URLs: []string{hostile.URL, good}, Client: client, Timeout: 5 * time.Second, TempDir: t.TempDir()}
			before := count.read.Load()
			res, err := reader.svc.SyncHTTP(t.Context(), f.publisher, src)
			if err != nil {
				t.Fatalf("SyncHTTP(hostile, good) = %v", err)
			}
			f.checkGot(t, reader, res)
			// Two bundle requests to the hostile server, plus heads and
			// catalogs from both (small).
			small := int64(4 * 64 << 10)
			if got := count.read.Load() - before; got > 2*tc.max+small {
				t.Errorf("client read %d body bytes, want at most %d", got, 2*tc.max+small)
			}
			// Alone, the hostile server fails the sync, and says how.
			src.URLs = []string{hostile.URL}
			if _, err := start(t, false).svc.SyncHTTP(t.Context(), f.publisher, src); !errors.Is(err, tc.want) {
				t.Errorf("SyncHTTP(hostile) = %v, want %v", err, tc.want)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, e := range encodings {
				if e != "identity" {
					t.Errorf("request with Accept-Encoding %q, want identity", e)
				}
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestHTTPGetBounds: get takes a body only in the identity encoding, and
// only as long as the server declared and the limit allows.
func TestHTTPGetBounds(t *testing.T) {
	const limit = 1000
	for _, tc := range []struct {
		name     string
		header   http.Header
		declared int64 // -1: none
		body     int   // bytes the body holds
		decoded  bool  // the RoundTripper decoded the body
		want     error
		maxRead  int64 // body bytes the client may read
	}{
		{"declared", nil, 500, 500, false, nil, 500},
		{"undeclared", nil, -1, 500, false, nil, 500},
		{"at the limit", nil, -1, limit, false, nil, limit},
		{"identity named", http.Header{"Content-Encoding": {"identity"}}, 500, 500, false, nil, 500},
		{"gzip", http.Header{"Content-Encoding": {"gzip"}}, 500, 500, false, ErrHTTPEncoding, 0},
		{"br", http.Header{"Content-Encoding": {"br"}}, 500, 500, false, ErrHTTPEncoding, 0},
		{"identity then gzip", http.Header{"Content-Encoding": {"identity", "gzip"}}, 500, 500, false, ErrHTTPEncoding, 0},
		{"decoded by the transport", nil, -1, 500, true, ErrHTTPEncoding, 0},
		{"longer than declared", nil, 100, 5000, false, bundle.ErrTooLarge, 101},
		{"shorter than declared", nil, 500, 100, false, io.ErrUnexpectedEOF, 100},
		{"declared over the limit", nil, limit + 1, limit + 1, false, bundle.ErrTooLarge, 0},
		{"undeclared over the limit", nil, -1, 1 << 20, false, bundle.ErrTooLarge, limit + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var read atomic.Int64
			var asked http.Header
			client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				asked = r.Header
				h := tc.header
				if h == nil {
					h = http.Header{}
				}
				return &http.Response{StatusCode: 200, Status: "200 OK", Header: h, ContentLength: tc.declared,
					Uncompressed: tc.decoded, Request: r,
					Body: &countedBody{ReadCloser: io.NopCloser(bytes.NewReader(make([]byte, tc.body))), n: &read}}, nil
			})}
			src := &HTTPSource{Client: client}
			var got bytes.Buffer
			err := src.get(t.Context(), "http://127.0.0.1", "/x", typeRaw, limit, &got, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("get() = %d bytes, %v; want %v", got.Len(), err, tc.want)
			}
			if err == nil && got.Len() != tc.body {
				t.Errorf("get() = %d bytes, want %d", got.Len(), tc.body)
			}
			if n := read.Load(); n > tc.maxRead {
				t.Errorf("client read %d body bytes, want at most %d", n, tc.maxRead)
			}
			if got := asked.Get("Accept-Encoding"); got != "identity" {
				t.Errorf("Accept-Encoding = %q, want identity", got)
			}
		})
	}
}
