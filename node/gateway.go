package node

import (
	"context"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/exchange/offline"
	"github.com/ipfs/boxo/gateway"
	"github.com/ipfs/boxo/ipns"
	"github.com/ipfs/boxo/namesys"
	"github.com/ipfs/boxo/path"
	"github.com/ipfs/go-cid"
	ci "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/routing"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/samizdat/samizdat/bundle"
)

// ErrNotServing is returned by Gateway on a node that does not serve
// (a reader): a reader does not reveal what it holds.
var ErrNotServing = errors.New("this node does not serve")

// GatewayConfig configures Gateway. The zero value works.
type GatewayConfig struct {
	// Timeout bounds the wait for a response's first byte, and how far a
	// client may fall behind reading it at gatewayMinRate (2 KiB/s): a
	// client that stalls is cut off about Timeout after its buffers fill,
	// a slow one that keeps reading is served to the end. 0 is 30
	// seconds. A whole request is bounded to an hour (boxo's default).
	Timeout time.Duration
	// Metrics receives the gateway's Prometheus metrics (boxo's); nil
	// keeps them in a registry of the handler's own (never the global
	// one). The raw block requests the gateway answers without boxo
	// (rawBlocks: GET /ipfs/C?format=raw, most of its requests) are not
	// counted there.
	Metrics prometheus.Registerer
}

// HeadPath is where a gateway, and a static copy, serve each held head in
// its wire form: HeadPath + publisher ID.
const HeadPath = "/samizdat/heads/"

// HeadMediaType is the media type of a head in its wire form.
const HeadMediaType = "application/vnd.samizdat.head"

// Gateway returns an IPFS trustless HTTP gateway over the node's store,
// to mount at /ipfs/, /ipns/ and HeadPath: raw blocks (?format=raw), CARs
// (?format=car), for each publisher it holds a head of, that head's IPNS
// record under the name it is valid for (?format=ipns-record: the
// publisher's, or a delegated head's key's), and the head in its wire
// form at HeadPath + publisher ID. It answers from the repo only: a request never
// makes the node fetch anything from the network, and content it lacks
// is a 404. It serves no deserialized content (no HTML, no files).
// Only nodes that serve have one (ErrNotServing).
//
// What one request may take is bounded: a CAR holds at most one bundle's
// blocks (a CAR of anything outside a bundle, such as a catalog, whose
// links reach every bundle it lists, is one block: dag-scope=block, else
// 400); responses count against the node's upload cap (Config.UploadRate)
// and its Sent bytes; gatewayMaxRequests requests are served at once, at
// most gatewayMaxPerClient from one client (more are answered 503 and
// 429 at once); and a client that reads slower than gatewayMinRate, once
// Timeout behind, is cut off. The handler sets its connection's write
// deadline as it writes, and leaves the last one on the connection (a
// response's end is flushed after it returns): another handler served on
// the same connection must set its own, or clear it
// (http.ResponseController), unless the server's WriteTimeout resets it.
func (n *Node) Gateway(cfg GatewayConfig) (http.Handler, error) {
	if !n.serves {
		return nil, ErrNotServing
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = gatewayTimeout
	}
	if cfg.Metrics == nil {
		cfg.Metrics = prometheus.NewRegistry()
	}
	bs := n.repo.Blockstore()
	vs := headStore{n.repo.heads}
	h, err := n.boxoGateway(vs, cfg.Metrics)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/ipfs/", heldOnly(bs, gzipRaw(rawBlocks(bs, h))))
	mux.Handle("/ipns/", h)
	mux.HandleFunc("GET "+HeadPath, vs.serveHead)
	return AllowCORS(limitClients(n.paceResponses(mux, cfg.Timeout))), nil
}

// boxoGateway is boxo's trustless gateway over the node's store and the
// head store vs, offline, with its metrics in reg.
func (n *Node) boxoGateway(vs headStore, reg prometheus.Registerer) (http.Handler, error) {
	bs := n.repo.Blockstore()
	// Offline: the block service never asks bitswap or anyone else.
	bsvc := blockservice.New(bs, offline.Exchange(bs))
	// A name system that resolves only the stored heads: no DNSLink
	// lookups, no DHT.
	ns, err := namesys.NewNameSystem(vs, namesys.WithDNSResolver(noDNS{}))
	if err != nil {
		return nil, err
	}
	backend, err := gateway.NewBlocksBackend(bsvc,
		gateway.WithValueStore(vs), gateway.WithNameSystem(ns), gateway.WithPrometheusRegistry(reg))
	if err != nil {
		return nil, err
	}
	return gateway.NewHandler(gateway.Config{
		DeserializedResponses: false,
		NoDNSLink:             true,
		DisableHTMLErrors:     true,
		// No RetrievalTimeout: boxo's counts the time a write waits on the
		// upload cap as a stall. paceResponses bounds the first byte and
		// the client's pace instead.
		MetricsRegistry: reg,
	}, oneBundleCARs{BlocksBackend: backend, inBundle: n.inBundleFile}), nil
}

// AllowCORS lets a page from any origin read the responses of h: the
// browser reader (web/reader), saved as a file or served by another
// mirror, fetches from every mirror it knows. Everything served is
// public and checked by the reader against the publisher's key, and no
// request carries credentials, so any origin may read it. A preflight
// (OPTIONS) is answered here; the reader's requests (GET with Accept and
// a simple Range) need none in current browsers.
func AllowCORS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Expose-Headers", "Content-Length, Content-Range, Content-Type")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			hd.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			hd.Set("Access-Control-Allow-Headers", "Accept, Range")
			hd.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// errCARTooBroad refuses a CAR that would walk past one bundle.
var errCARTooBroad = errors.New("a CAR of a block outside a bundle (a catalog) is served with dag-scope=block only; ask for each bundle's CAR")

// oneBundleCARs is the gateway's backend: a CAR response holds at most one
// bundle's blocks. A CAR walks every link under its last path segment;
// under a bundle block that is within the bundle, whose file holds its
// whole DAG, but a catalog links to every bundle it lists, so a CAR of it
// (dag-scope=all, the default) would stream every held bundle of the
// publisher in one response. A CAR of a block outside every bundle file is
// therefore served with dag-scope=block only (400 otherwise). This is
// refused up front rather than cut at a byte count: a cut CAR is a 200
// the client cannot tell from a damaged one, and samizdat's own readers
// fetch a catalog raw and then each bundle's CAR.
type oneBundleCARs struct {
	*gateway.BlocksBackend
	inBundle func(cid.Cid) bool
}

func (b oneBundleCARs) GetCAR(ctx context.Context, p path.ImmutablePath, params gateway.CarParams) (gateway.ContentPathMetadata, io.ReadCloser, error) {
	if params.Scope != gateway.DagScopeBlock {
		// A path that does not resolve gets the blocks along it only.
		if md, err := b.ResolvePath(ctx, p); err == nil && !b.inBundle(md.LastSegment.RootCid()) {
			return gateway.ContentPathMetadata{}, nil, gateway.NewErrorStatusCode(errCARTooBroad, http.StatusBadRequest)
		}
	}
	return b.BlocksBackend.GetCAR(ctx, p, params)
}

// inBundleFile reports whether c is a block of a held bundle file.
func (n *Node) inBundleFile(c cid.Cid) bool {
	_, ok := n.repo.bundles.size(c)
	return ok
}

// limitClients is LimitClients with the gateway's limits.
func limitClients(next http.Handler) http.Handler {
	return LimitClients(next, gatewayMaxRequests, gatewayMaxPerClient)
}

// LimitClients answers at once, without serving it, a request beyond
// total in flight (503) or beyond perClient from its client (429; a
// client is an IPv4 address or an IPv6 /64). Its state is a count per
// client in flight: at most total entries. The gateway uses it, and so
// do the public reader pages beside it.
func LimitClients(next http.Handler, total, perClient int) http.Handler {
	var (
		mu       sync.Mutex
		inFlight int
		counts   = make(map[netip.Prefix]int)
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := clientOf(r)
		mu.Lock()
		switch {
		case inFlight >= total:
			mu.Unlock()
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		case counts[c] >= perClient:
			mu.Unlock()
			http.Error(w, "too many requests at once", http.StatusTooManyRequests)
			return
		}
		inFlight++
		counts[c]++
		mu.Unlock()
		defer func() {
			mu.Lock()
			inFlight--
			if counts[c]--; counts[c] == 0 {
				delete(counts, c)
			}
			mu.Unlock()
		}()
		next.ServeHTTP(w, r)
	})
}

// clientOf is who a request counts against: its IPv4 address, or its IPv6
// /64 (one subscriber's usual allocation, so that addresses rotated
// within it are one client). A request from a loopback address comes
// through a reverse proxy on this machine (operators.md puts nginx or
// Caddy in front): its client is then the last address of
// X-Forwarded-For, or X-Real-IP, which only that proxy can have set, so
// readers behind one proxy are not one client. Requests whose address
// does not parse are one client together.
func clientOf(r *http.Request) netip.Prefix {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Prefix{}
	}
	a := ap.Addr().Unmap()
	if a.IsLoopback() {
		if fwd, ok := forwardedFor(r); ok {
			a = fwd
		}
	}
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// forwardedFor is the client address a proxy on this machine names: the
// last entry of X-Forwarded-For (the one the proxy itself added), else
// X-Real-IP.
func forwardedFor(r *http.Request) (netip.Addr, bool) {
	v := r.Header.Get("X-Forwarded-For")
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	if v == "" {
		v = r.Header.Get("X-Real-IP")
	}
	a, err := netip.ParseAddr(strings.TrimSpace(v))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// paceResponses serves next with its response bytes through the node's
// upload counter and cap, under a write deadline that moves with the
// client's pace (paceWriter, as the protocol servers'); a response that has not begun within grace
// has its request's context cancelled.
func (n *Node) paceResponses(next http.Handler, grace time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		firstByte := time.AfterFunc(grace, cancel)
		defer firstByte.Stop()
		rc := http.NewResponseController(w)
		rc.SetWriteDeadline(time.Now().Add(grace)) // for a response of headers only
		pw := &paceWriter{s: responseDeadline{w, rc}, now: time.Now, chunk: gatewayWriteChunk, minRate: gatewayMinRate, grace: grace, slack: grace}
		next.ServeHTTP(&gatewayWriter{ResponseWriter: w, body: n.uploadWriter(ctx, pw), started: firstByte.Stop}, r.WithContext(ctx))
	})
}

// gatewayWriter is a response writer whose body goes through body.
type gatewayWriter struct {
	http.ResponseWriter
	body    io.Writer
	started func() bool
}

func (w *gatewayWriter) WriteHeader(code int) {
	w.started()
	w.ResponseWriter.WriteHeader(code)
}

func (w *gatewayWriter) Write(p []byte) (int, error) {
	w.started()
	return w.body.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *gatewayWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// responseDeadline lets paceWriter write an HTTP response: a client of
// the gateway starts with grace as its slack and is held to
// gatewayMinRate in chunks of gatewayWriteChunk, so one that stops is cut
// about grace after its buffers fill. Writers that cannot take a deadline
// (not a server's) go without.
type responseDeadline struct {
	io.Writer
	rc *http.ResponseController
}

func (r responseDeadline) SetWriteDeadline(t time.Time) error {
	r.rc.SetWriteDeadline(t)
	return nil
}

// heldOnly answers 404 at once for an /ipfs/ root the store lacks. The
// gateway would otherwise start a CAR response (200) before finding the
// root missing, and a client could not tell an empty CAR from a truncated
// one.
func heldOnly(bs blockstore.Blockstore, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/ipfs/"), "/")
		if c, err := cid.Decode(first); err == nil {
			if ok, err := bs.Has(r.Context(), c); err == nil && !ok {
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// rawBlocks answers the gateway's commonest request itself: one block as
// it is, GET /ipfs/C?format=raw for a C in its canonical text form (CIDv1,
// base32), with no Range, no conditional header, no Service-Worker header
// or Cache-Control: only-if-cached, and an Accept header boxo would
// accept. It gives boxo's answer, header for header and byte for byte
// (TestGatewayRawFastPath holds the two side by side), at a fraction of
// boxo's cost: boxo parses the path five times, resolves it, opens a
// block service session, and logs and measures every request. Every
// other request, and any block the store cannot give (missing, or failing
// its hash: boxo answers those as it always has), goes to boxo. The block
// is read through bs, which checks it against its CID as it reads.
func rawBlocks(bs blockstore.Blockstore, boxo http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := plainRawRequest(r)
		if !ok {
			boxo.ServeHTTP(w, r)
			return
		}
		blk, err := bs.Get(r.Context(), c)
		if err != nil {
			boxo.ServeHTTP(w, r)
			return
		}
		data := blk.RawData()
		name := r.URL.Path[len("/ipfs/"):] // c's canonical form: plainRawRequest checked
		h := w.Header()
		h["Ipfs-Uri"] = []string{"ipfs://" + name}
		h["X-Ipfs-Roots"] = []string{name}
		h["Content-Disposition"] = []string{`attachment; filename="` + name + `.bin"; filename*=UTF-8''` + name + ".bin"}
		h["Etag"] = []string{`"` + name + `.raw"`}
		h["Cache-Control"] = []string{rawCacheControl}
		h["Content-Type"] = []string{rawMediaType}
		h["X-Content-Type-Options"] = []string{"nosniff"}
		h["Accept-Ranges"] = []string{"bytes"}
		if h.Get("Content-Encoding") == "" {
			h["Content-Length"] = []string{strconv.Itoa(len(data))}
		}
		w.WriteHeader(http.StatusOK)
		w.Write(data)
	})
}

// What boxo answers a raw block with: its media type, and the cache
// lifetime of anything under /ipfs/ (a year, immutable).
const (
	rawMediaType    = "application/vnd.ipld.raw"
	rawCacheControl = "public, max-age=29030400, immutable"
)

// plainRawRequest returns the CID of a request rawBlocks answers itself,
// and false for any other: one that boxo would answer otherwise (a range,
// a conditional request, a path below the CID, another format, a CID in
// another text form, a header it acts on) or refuse (an Accept it cannot
// parse).
func plainRawRequest(r *http.Request) (cid.Cid, bool) {
	if r.Method != http.MethodGet || r.URL.RawQuery != "format=raw" {
		return cid.Undef, false
	}
	for _, k := range rawFastPathRefuses {
		if _, ok := r.Header[k]; ok {
			return cid.Undef, false
		}
	}
	for _, v := range r.Header.Values("Cache-Control") {
		if strings.Contains(v, "only-if-cached") {
			return cid.Undef, false
		}
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/ipfs/")
	if !ok || name == "" || strings.IndexByte(name, '/') >= 0 {
		return cid.Undef, false
	}
	c, err := cid.Decode(name)
	if err != nil || c.Version() != 1 || c.String() != name || !acceptParses(r) {
		return cid.Undef, false
	}
	return c, true
}

// rawFastPathRefuses lists the request headers (in canonical form) that
// boxo acts on for a raw block, beside Cache-Control: only-if-cached:
// ranges and conditional requests (serveContent), Service-Worker: script.
// A request with any of them goes to boxo. (The browser reader sends
// Cache-Control: no-cache, and a browser revalidating a cached block
// If-None-Match: boxo answers the 304.)
var rawFastPathRefuses = []string{"Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since",
	"If-Unmodified-Since", "Service-Worker"}

// acceptParses reports whether boxo would accept r's Accept header: it
// parses the first entry that names an IPLD, IPFS, tar, JSON or CBOR type
// and answers 400 if that fails, even when ?format decides the response.
func acceptParses(r *http.Request) bool {
	for _, header := range r.Header.Values("Accept") {
		for value := range strings.SplitSeq(header, ",") {
			accept := strings.TrimSpace(value)
			if strings.HasPrefix(accept, "application/vnd.ipld") || strings.HasPrefix(accept, "application/vnd.ipfs") ||
				strings.HasPrefix(accept, "application/x-tar") || strings.HasPrefix(accept, "application/json") ||
				strings.HasPrefix(accept, "application/cbor") {
				_, _, err := mime.ParseMediaType(accept)
				return err == nil
			}
		}
	}
	return true
}

var errNoDNS = errors.New("dnslink is not supported")

// noDNS answers every DNS lookup with an error: the gateway never resolves
// DNSLink names.
type noDNS struct{}

func (noDNS) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) { return nil, errNoDNS }
func (noDNS) LookupTXT(context.Context, string) ([]string, error)        { return nil, errNoDNS }

// headStore is a read-only routing.ValueStore of the stored heads, so the
// gateway answers /ipns/NAME with exactly the head the node holds.
type headStore struct{ hs *Heads }

var errReadOnly = errors.New("read-only")

func (s headStore) PutValue(context.Context, string, []byte, ...routing.Option) error {
	return errReadOnly
}

func (s headStore) GetValue(ctx context.Context, key string, _ ...routing.Option) ([]byte, error) {
	name, err := ipns.NameFromRoutingKey([]byte(key))
	if err != nil {
		return nil, gateway.NewErrorStatusCode(err, http.StatusBadRequest)
	}
	pub, err := name.Peer().ExtractPublicKey()
	if err != nil || pub.Type() != ci.Ed25519 {
		return nil, gateway.NewErrorStatusCode(routing.ErrNotFound, http.StatusNotFound)
	}
	if h := s.recordFor(name); h != nil {
		return h.Record(), nil
	}
	return nil, gateway.NewErrorStatusCode(routing.ErrNotFound, http.StatusNotFound)
}

// recordFor returns the held head whose IPNS record is valid for name.
func (s headStore) recordFor(name ipns.Name) *Head {
	h, _ := s.hs.ByName(name)
	return h
}

// serveHead answers /samizdat/heads/<publisher ID> with the held head in
// its wire form (docs/protocol.md, HTTP layout): what a samizdat reader
// needs of a delegated head, the publisher document included.
func (s headStore) serveHead(w http.ResponseWriter, r *http.Request) {
	id, err := bundle.NormalizePublisherID(strings.TrimPrefix(r.URL.Path, HeadPath))
	if err != nil {
		http.Error(w, "bad publisher ID", http.StatusBadRequest)
		return
	}
	h, err := s.hs.Get(id)
	if err != nil || h == nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", HeadMediaType)
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Write(h.Bytes())
}

func (s headStore) SearchValue(ctx context.Context, key string, opts ...routing.Option) (<-chan []byte, error) {
	v, err := s.GetValue(ctx, key, opts...)
	if err != nil {
		return nil, err
	}
	ch := make(chan []byte, 1)
	ch <- v
	close(ch)
	return ch, nil
}
