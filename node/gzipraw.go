package node

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
)

// zstdMagic starts a zstd frame: such a block is compressed already.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// gzipRaw compresses a raw block response (?format=raw) with gzip when the
// client asks for it and the block is not a zstd frame already: a
// dictionary, a raw article, an attachment that zstd did not shrink,
// metadata. Browsers always ask (the browser reader's first visit then
// costs half a dictionary less); samizdat's own HTTP clients send
// Accept-Encoding: identity and get the block as it is (protocol.md
// §8.2). A range request is served as it is: ranges and encodings do not
// mix. The client checks the decoded bytes against the CID, so the
// encoding changes nothing it verifies.
func gzipRaw(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Range") != "" || !acceptsGzip(r) || !rawRequest(r) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		gw := &gzipSniffer{ResponseWriter: w}
		next.ServeHTTP(gw, r)
		gw.close()
	})
}

// acceptsGzip reports whether the request's Accept-Encoding names gzip
// with a weight above zero (RFC 9110 §12.5.3: "gzip;q=0.5" is a yes,
// "gzip;q=0" and "gzip;q=0.000" a no).
func acceptsGzip(r *http.Request) bool {
	for _, e := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(e), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		zero := false
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				v = strings.TrimSpace(v)
				zero = strings.Trim(strings.TrimPrefix(v, "0"), ".0") == "" && strings.HasPrefix(v, "0")
			}
		}
		if !zero {
			return true
		}
	}
	return false
}

func rawRequest(r *http.Request) bool {
	return r.URL.Query().Get("format") == "raw" || strings.Contains(r.Header.Get("Accept"), "application/vnd.ipld.raw")
}

// gzipSniffer decides at the body's first bytes: a 200 whose body is not
// a zstd frame is compressed, anything else passes through as it is.
type gzipSniffer struct {
	http.ResponseWriter
	code    int
	decided bool
	head    []byte // the first bytes, until there are enough to decide
	zw      *gzip.Writer
}

func (g *gzipSniffer) WriteHeader(code int) {
	if g.code == 0 {
		g.code = code
	}
	if code != http.StatusOK {
		g.decide(false)
	}
}

func (g *gzipSniffer) Write(p []byte) (int, error) {
	if g.code == 0 {
		g.code = http.StatusOK
	}
	if g.decided {
		return g.body(p)
	}
	g.head = append(g.head, p...)
	if len(g.head) < len(zstdMagic) {
		return len(p), nil
	}
	head := g.head
	g.head = nil
	g.decide(!bytes.HasPrefix(head, zstdMagic))
	if _, err := g.body(head); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (g *gzipSniffer) decide(compress bool) {
	if g.decided {
		return
	}
	g.decided = true
	if compress && g.code == http.StatusOK {
		h := g.ResponseWriter.Header()
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		g.zw, _ = gzip.NewWriterLevel(g.ResponseWriter, gzip.DefaultCompression)
	}
	if g.code != 0 {
		g.ResponseWriter.WriteHeader(g.code)
	}
}

func (g *gzipSniffer) body(p []byte) (int, error) {
	if g.zw != nil {
		return g.zw.Write(p)
	}
	return g.ResponseWriter.Write(p)
}

// close ends the response: a body shorter than a zstd magic, or none, is
// decided now.
func (g *gzipSniffer) close() {
	if !g.decided {
		head := g.head
		g.head = nil
		g.decide(g.code == http.StatusOK && len(head) > 0)
		g.body(head)
	}
	if g.zw != nil {
		g.zw.Close()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (g *gzipSniffer) Unwrap() http.ResponseWriter { return g.ResponseWriter }
