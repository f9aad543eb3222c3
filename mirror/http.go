package mirror

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/iocount"
	"github.com/samizdat/samizdat/internal/settle"
	"github.com/samizdat/samizdat/node"
	"golang.org/x/net/http/httpproxy"
)

// Media types of the HTTP layout (docs/protocol.md, HTTP).
const (
	typeIPNSRecord = "application/vnd.ipfs.ipns-record"
	typeRaw        = "application/vnd.ipld.raw"
	typeCAR        = "application/vnd.ipld.car"
)

// ErrHTTPStatus says a server answered with a status other than 200.
var ErrHTTPStatus = errors.New("unexpected HTTP status")

// ErrHTTPEncoding says a server sent a body in a content encoding (gzip,
// say) though only the identity encoding was asked for.
var ErrHTTPEncoding = errors.New("unrequested HTTP content encoding")

// httpTempPattern names the files a bundle body waits in while it is
// checked (os.CreateTemp); Start deletes those a killed process left.
const httpTempPattern = "samizdat-http-*"

// errNotFound marks a 404 among ErrHTTPStatus errors.
var errNotFound = errors.New("not found")

// errNoAnswer is a URL that had not answered when the others' grace
// ended.
var errNoAnswer = errors.New("no answer within the grace after another URL's")

// errNotNewer is a valid head that would not replace the stored one: it
// starts no grace.
var errNotNewer = errors.New("a head no newer than the stored one")

// HTTPSource says where and how SyncHTTP fetches. Only URLs is required.
type HTTPSource struct {
	// URLs are base URLs of trustless gateways or static copies
	// (docs/protocol.md, HTTP layout), http or https.
	URLs []string
	// Client makes the requests; nil is NewHTTPClient(ProxyFunc(os.Getenv)).
	Client *http.Client
	// Timeout bounds a whole head or catalog request and each pause in a
	// bundle's body; 0 is 30 seconds.
	Timeout time.Duration
	// TempDir receives bundle bodies while they are checked; "" is
	// os.TempDir(), which may be in memory (tmpfs): give a directory on
	// the repo's disk.
	TempDir string
	// Served, if not nil, is told how each URL answered the head request:
	// nil for a valid head the head rule does not refuse, else why not.
	Served func(url string, err error)
}

// ProxyFunc returns the proxy choice of the environment getenv reads, as
// curl makes it: HTTPS_PROXY or HTTP_PROXY by the request's scheme, else
// ALL_PROXY; NO_PROXY exempts hosts; lower-case names count too. Proxy
// URLs may be http://, https://, socks5:// or socks5h:// (with SOCKS the
// proxy resolves the name). As with http.ProxyFromEnvironment, requests
// to localhost and loopback addresses never use a proxy.
func ProxyFunc(getenv func(string) string) func(*http.Request) (*url.URL, error) {
	env := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return getenv(strings.ToLower(name))
	}
	all := env("ALL_PROXY")
	cfg := httpproxy.Config{HTTPProxy: env("HTTP_PROXY"), HTTPSProxy: env("HTTPS_PROXY"), NoProxy: env("NO_PROXY")}
	if cfg.HTTPProxy == "" {
		cfg.HTTPProxy = all
	}
	if cfg.HTTPSProxy == "" {
		cfg.HTTPSProxy = all
	}
	f := cfg.ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return f(r.URL) }
}

// NewHTTPClient returns a client for SyncHTTP that goes through proxy
// (nil: none) and follows at most 5 redirects, to http and https only.
// It sets no overall timeout: SyncHTTP bounds each request.
func NewHTTPClient(proxy func(*http.Request) (*url.URL, error)) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = proxy
	tr.ResponseHeaderTimeout = httpTimeout
	// Bodies are taken as sent: SyncHTTP asks for the identity encoding
	// and bounds the bytes that arrive, which decoding would multiply.
	tr.DisableCompression = true
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("more than %d redirects", maxRedirects)
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirect to a %q URL", req.URL.Scheme)
		}
		// Never from https down to http: the path names the publisher or
		// the bundle, which a plaintext request would show the network.
		if req.URL.Scheme == "http" && slices.ContainsFunc(via, func(r *http.Request) bool { return r.URL.Scheme == "https" }) {
			return errors.New("redirect from https to http")
		}
		return nil
	}}
}

// SyncHTTP is Sync over plain HTTP(S), from trustless gateways (Node.
// Gateway) or static copies (WriteStatic), for readers who can reach no
// peer. It asks every URL for publisher's head and takes the one the head
// rule prefers over the stored one (a URL whose head the rule refuses,
// older or equivocating, is passed over: node.ErrRollback,
// node.ErrEquivocated); then it fetches the catalog and every bundle the
// node lacks, asking the URLs in turn until one delivers each object
// intact. Everything is checked as Sync checks it: the head's signature
// by the publisher, the catalog's hash, each bundle with the publisher
// pinned and every block against its CID. A server that substitutes a
// block, truncates or stalls is passed over for the next. The head is
// stored once all its bundles are held.
func (s *Service) SyncHTTP(ctx context.Context, publisher string, src HTTPSource) (*SyncResult, error) {
	publisher, err := bundle.NormalizePublisherID(publisher)
	if err != nil {
		return nil, err
	}
	if len(src.URLs) == 0 {
		return nil, errors.New("no URL to fetch from")
	}
	for _, u := range src.URLs {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("%.200q is not an http or https URL", u)
		}
	}
	if src.Client == nil {
		src.Client = NewHTTPClient(ProxyFunc(os.Getenv))
	}
	if src.Timeout <= 0 {
		src.Timeout = httpTimeout
	}
	h, answered, err := src.head(ctx, s.heads, publisher)
	if err != nil {
		return nil, err
	}
	pages, bundles, err := s.fetchChain(ctx, h, func(c cid.Cid) ([]byte, error) { return src.catalogPage(ctx, c) })
	if err != nil {
		return nil, err
	}
	res := &SyncResult{Head: h, Bundles: bundles, Answered: answered}
	opts := bundle.OpenOptions{Publisher: publisher, Authority: h.Authority}
	ferr := s.fetchMissing(ctx, res, func(root cid.Cid) error { return src.bundle(ctx, s.n, opts, root) })
	return s.finishSync(ctx, res, pages, fromHere, ferr)
}

// head asks every URL at once and returns the head the head rule prefers
// among the stored one and the answers that came: every answer, or those
// in by node.DialSettle after the first that would replace the stored
// head (settle.Run; a black-holed URL then costs that, not its timeout;
// a URL that answers fast with a stale head starts no grace). URLs whose
// head the rule refuses are errors, and when no URL gives an acceptable
// head, all of them are. It reorders src.URLs for what follows: those
// that gave the chosen head first, then those that gave another valid
// one, then the rest, each group in its order. Each URL asked is reported
// to src.Served; those never asked are not.
func (src *HTTPSource) head(ctx context.Context, heads *node.Heads, publisher string) (*node.Head, int, error) {
	held, err := heads.Get(publisher)
	if err != nil && !errors.Is(err, node.ErrBadHead) {
		return nil, 0, err
	}
	urls := src.URLs // read by requests that may outlive the wait
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the URLs still asked when the grace ends
	var mu sync.Mutex
	answers := make([]*node.Head, len(urls))
	errs := make([]error, len(urls))
	opts := settle.Options{Parallel: httpHeadParallel, Slot: httpHeadSlot, Grace: node.DialSettle}
	out := settle.Run(ctx, len(urls), opts, func(i int) error {
		h, err := src.fetchHead(ctx, urls[i], publisher, held)
		mu.Lock()
		answers[i], errs[i] = h, err
		mu.Unlock()
		if err != nil {
			return err
		}
		if newer, _ := node.Supersedes(held, h); !newer {
			return errNotNewer // no grace for it
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	best := held
	var refused []error
	for i, h := range answers {
		err := errs[i]
		if h != nil {
			var ok bool
			if ok, err = node.Supersedes(best, h); ok {
				best = h
			}
		} else if err == nil {
			err = errNoAnswer // still asked when the grace ended
		}
		if src.Served != nil && i < out.Started && !errors.Is(err, context.Canceled) {
			src.Served(urls[i], err)
		}
		if err != nil {
			refused = append(refused, fmt.Errorf("%s: head: %w", redact(urls[i]), err))
			answers[i] = nil
		}
	}
	answered := len(answers) - len(refused)
	if answered == 0 {
		return nil, 0, fmt.Errorf("no valid head from %d URLs: %w", len(urls), errors.Join(refused...))
	}
	src.URLs = byAnswer(urls, answers, best)
	return best, answered, nil
}

// byAnswer orders urls as head leaves them: those whose answer is best,
// then those with another answer, then those with none.
func byAnswer(urls []string, answers []*node.Head, best *node.Head) []string {
	rank := func(i int) int {
		switch {
		case answers[i] == nil:
			return 2
		case answers[i].Catalog.Equals(best.Catalog):
			return 0
		}
		return 1
	}
	idx := make([]int, len(urls))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return rank(a) - rank(b) })
	out := make([]string, len(urls))
	for k, i := range idx {
		out[k] = urls[i]
	}
	return out
}

// fetchHead asks one URL for publisher's head: in its wire form at
// node.HeadPath (a samizdat gateway or static copy), else, on a 404 (an
// IPFS gateway), as IPNS records alone (fetchRecords).
func (src *HTTPSource) fetchHead(ctx context.Context, base, publisher string, held *node.Head) (*node.Head, error) {
	ctx, cancel := context.WithTimeout(ctx, src.Timeout)
	defer cancel()
	var buf strings.Builder
	err := src.get(ctx, base, node.HeadPath+publisher, node.HeadMediaType, node.MaxHeadSize, &buf, nil)
	if errors.Is(err, errNotFound) {
		return src.fetchRecords(ctx, base, publisher, held)
	}
	if err != nil {
		return nil, err
	}
	return node.ParseHead(publisher, []byte(buf.String()))
}

// fetchRecords asks an IPFS gateway, which serves IPNS records but no
// wrapped heads, for the records node.RecordLookups names (the DHT
// lookup's rule: the publisher's own name while the stored head is bare
// or absent; the head keys' names, each record wrapped with the stored
// document, once it is delegated), all at once, and returns the head the
// head rule prefers among them.
func (src *HTTPSource) fetchRecords(ctx context.Context, base, publisher string, held *node.Head) (*node.Head, error) {
	lookups := node.RecordLookups(publisher, held, time.Now())
	found := make([]*node.Head, len(lookups))
	errs := make([]error, len(lookups))
	var wg sync.WaitGroup
	for i, l := range lookups {
		wg.Go(func() {
			var buf strings.Builder
			err := src.get(ctx, base, "/ipns/"+l.Name+"?format=ipns-record", typeIPNSRecord, node.MaxHeadSize, &buf, nil)
			if err == nil {
				found[i], err = l.Parse([]byte(buf.String()))
			}
			errs[i] = err
		})
	}
	wg.Wait()
	best, _ := node.Newest(nil, slices.DeleteFunc(found, func(h *node.Head) bool { return h == nil })...)
	if best == nil {
		return nil, fmt.Errorf("no IPNS record: %w", errors.Join(errs...))
	}
	return best, nil
}

// catalogPage fetches one page of a catalog chain, c, from the URLs in
// turn until one answers (fetchChain checks it).
func (src *HTTPSource) catalogPage(ctx context.Context, c cid.Cid) ([]byte, error) {
	var errs []error
	for _, base := range src.URLs {
		data, err := src.fetchCatalog(ctx, base, c)
		if err == nil {
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		errs = append(errs, fmt.Errorf("%s: catalog: %w", redact(base), err))
	}
	return nil, errors.Join(errs...)
}

func (src *HTTPSource) fetchCatalog(ctx context.Context, base string, c cid.Cid) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, src.Timeout)
	defer cancel()
	var buf strings.Builder
	if err := src.get(ctx, base, "/ipfs/"+c.String()+"?format=raw", typeRaw, node.MaxCatalogSize, &buf, nil); err != nil {
		return nil, err
	}
	data := []byte(buf.String())
	if err := bundle.CheckBlock(c, data); err != nil {
		return nil, err // the next URL may have it intact
	}
	return data, nil
}

// bundle fetches one bundle's CAR from the URLs in turn until one
// verifies, and stores its canonical file.
func (src *HTTPSource) bundle(ctx context.Context, n *node.Node, opts bundle.OpenOptions, root cid.Cid) error {
	var errs []error
	for _, base := range src.URLs {
		err := src.fetchBundle(ctx, n, base, opts, root)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		errs = append(errs, fmt.Errorf("%s: %w", redact(base), err))
	}
	return errors.Join(errs...)
}

func (src *HTTPSource) fetchBundle(ctx context.Context, n *node.Node, base string, opts bundle.OpenOptions, root cid.Cid) error {
	f, err := os.CreateTemp(src.TempDir, httpTempPattern)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The stall timer: reset whenever bytes arrive.
	stall := time.AfterFunc(src.Timeout, cancel)
	defer stall.Stop()
	progress := func() { stall.Reset(src.Timeout) }
	var size int64
	err = src.getBody(ctx, base, "/ipfs/"+root.String()+"?format=car", typeCAR, node.MaxBundleFile, progress, func(body io.Reader) (err error) {
		// The stall timer cuts a server that sends nothing; MinRate one
		// that drips bytes just often enough to escape it, as a libp2p
		// source that does is cut: else it held the fetch until the
		// caller's deadline, and the next URL was never asked.
		size, err = receiveCAR(node.MinRate(body), f, root)
		return err
	})
	if err != nil {
		return err
	}
	stall.Stop()
	// A gateway may order blocks otherwise than the canonical file: any
	// order is accepted, every block checked, the canonical form stored.
	b, err := bundle.OpenReader(f, size, opts)
	if err != nil {
		return err
	}
	defer b.Close()
	if b.Root != root {
		return fmt.Errorf("%w: got bundle %s", bundle.ErrHashMismatch, b.Root)
	}
	if err := b.CheckBlocks(); err != nil {
		return err
	}
	return n.AddBundle(ctx, b)
}

// receiveCAR copies a bundle's CAR from body to w, and checks it as it
// streams: the header must name root alone, each section must be within
// the bundle format's bounds and hash to its CID, and the root must reach
// each block by the time maxCARAhead bytes have come after it (carReach).
// A body that is not root's CAR is cut off at the first section that
// shows it, or once maxCARAhead bytes of blocks it does not reach have
// come, not written out to its end. It returns the bytes written. The bundle
// itself (which blocks, in what DAG) is bundle.OpenReader's to check.
func receiveCAR(body io.Reader, w io.Writer, root cid.Cid) (int64, error) {
	src := &stickyErr{r: body}
	cw := &iocount.Writer{W: w, N: new(atomic.Int64)}
	// The parser reads through a buffer over what is written: every byte
	// read from the network is written, in order.
	br := bufio.NewReaderSize(io.TeeReader(src, cw), 64<<10)
	// A failure to read (a stall, a body past its bound) is itself; one
	// to parse says what was wrong with the bytes.
	fail := func(what string, err error) error {
		switch {
		case src.err != nil:
			return src.err
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%w: %s: %v", bundle.ErrTruncated, what, err)
		}
		return fmt.Errorf("%w: %s: %v", bundle.ErrMalformed, what, err)
	}
	// Blocks are checked below, by the one block check.
	cr, err := carv2.NewBlockReader(br, carv2.MaxAllowedHeaderSize(bundle.MaxCARHeader),
		carv2.MaxAllowedSectionSize(bundle.MaxBlockSize+128), carv2.WithTrustedCAR(true))
	if err != nil {
		return 0, fail("CAR header", err)
	}
	if len(cr.Roots) != 1 || cr.Roots[0] != root {
		return 0, fmt.Errorf("%w: CAR is not bundle %s", bundle.ErrMalformed, root)
	}
	reach := newCARReach(root)
	for blocks := 0; ; blocks++ {
		blk, err := cr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fail("CAR section", err)
		}
		if blocks == bundle.MaxBlocks {
			return 0, fmt.Errorf("%w: more than %d blocks", bundle.ErrTooLarge, bundle.MaxBlocks)
		}
		if len(blk.RawData()) > bundle.MaxBlockSize {
			return 0, fmt.Errorf("%w: block of %d bytes", bundle.ErrTooLarge, len(blk.RawData()))
		}
		if err := bundle.CheckBlock(blk.Cid(), blk.RawData()); err != nil {
			return 0, err
		}
		if err := reach.add(blk.Cid(), blk.RawData()); err != nil {
			return 0, err
		}
	}
	// Whatever follows the blocks (a CARv2 index) is the reader's to
	// judge; get bounds it.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return 0, err
	}
	return cw.N.Load(), nil
}

// stickyErr is a reader that keeps the first error, other than io.EOF,
// that reading r returned.
type stickyErr struct {
	r   io.Reader
	err error
}

func (s *stickyErr) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// get fetches base+path into w, as getBody does.
func (src *HTTPSource) get(ctx context.Context, base, path, accept string, limit int64, w io.Writer, progress func()) error {
	return src.getBody(ctx, base, path, accept, limit, progress, func(body io.Reader) error {
		_, err := io.Copy(w, body)
		return err
	})
}

// getBody fetches base+path and hands its body to read, which must read
// it to its end. Only status 200 and the identity encoding are taken: the
// request asks for no other, and a response that names one is refused
// (ErrHTTPEncoding), so a few compressed bytes never become gigabytes.
// The body is bounded by limit, and by the length the server declared:
// a declared length over limit is refused before reading, and a body
// that runs past either fails read's next Read with bundle.ErrTooLarge;
// one that ends short of its declared length is an error too. progress,
// if not nil, is called whenever bytes arrive.
func (src *HTTPSource) getBody(ctx context.Context, base, path, accept string, limit int64, progress func(), read func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", accept)
	// Set explicitly, this also keeps any http.Transport from asking for
	// gzip and decoding it behind the caller's back.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := src.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// The status text is the server's, and errors reach a terminal:
	// quoted, so it can carry no escape sequence or line of its own.
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %w: %.80q", ErrHTTPStatus, errNotFound, resp.Status)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %.80q", ErrHTTPStatus, resp.Status)
	}
	for _, ce := range resp.Header.Values("Content-Encoding") {
		if !strings.EqualFold(strings.TrimSpace(ce), "identity") {
			return fmt.Errorf("%w: %.40q", ErrHTTPEncoding, ce)
		}
	}
	if resp.Uncompressed { // a RoundTripper decoded what it was not asked to
		return fmt.Errorf("%w: decoded by the client", ErrHTTPEncoding)
	}
	declared := resp.ContentLength
	if declared > limit {
		return fmt.Errorf("%w: %d bytes declared, limit %d", bundle.ErrTooLarge, declared, limit)
	}
	body := &boundedReader{r: resp.Body, left: limit, what: fmt.Sprintf("more than %d bytes", limit)}
	if declared >= 0 {
		body.left, body.what = declared, fmt.Sprintf("more than the %d bytes declared", declared)
	}
	var r io.Reader = body
	if progress != nil {
		r = iocount.Reader{R: r, Progress: progress}
	}
	if err := read(r); err != nil {
		return err
	}
	if declared >= 0 && body.left > 0 {
		return fmt.Errorf("%w: body ended %d bytes short of the %d declared", io.ErrUnexpectedEOF, body.left, declared)
	}
	return nil
}

// boundedReader reads at most left bytes from r, and fails with
// bundle.ErrTooLarge once r holds more: a body past its bound is an
// error, never a silent cut.
type boundedReader struct {
	r    io.Reader
	left int64
	what string // for the error: "more than ..."
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	if int64(n) > b.left {
		b.left = 0
		return 0, fmt.Errorf("%w: %s", bundle.ErrTooLarge, b.what)
	}
	b.left -= int64(n)
	return n, err
}

// redact returns a URL without user info, for error messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(bad URL)"
	}
	return p.Redacted()
}
