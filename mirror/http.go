package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/iocount"
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
	h, err := src.head(ctx, s.heads, publisher)
	if err != nil {
		return nil, err
	}
	data, err := src.catalog(ctx, s.n, h)
	if err != nil {
		return nil, err
	}
	cat, err := node.ParseCatalog(publisher, h.Catalog, data)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{Head: h, Bundles: cat.Bundles}
	if err := s.fetchMissing(ctx, res, func(root cid.Cid) error { return src.bundle(ctx, s.n, publisher, root) }); err != nil {
		return res, err
	}
	res.Dropped, err = s.adopt(ctx, h, data, fromHere)
	return res, err
}

// head asks every URL and returns the head the head rule prefers among
// the stored one and the URLs' answers; URLs whose head the rule refuses
// are errors, and when no URL gives an acceptable head, all of them are.
func (src *HTTPSource) head(ctx context.Context, heads *node.Heads, publisher string) (*node.Head, error) {
	best, err := heads.Get(publisher)
	if err != nil && !errors.Is(err, node.ErrBadHead) {
		return nil, err
	}
	var errs []error
	answered := false
	for _, base := range src.URLs {
		h, err := src.fetchHead(ctx, base, publisher)
		if err == nil {
			var ok bool
			if ok, err = node.Supersedes(best, h); ok {
				best = h
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: head: %w", redact(base), err))
			continue
		}
		answered = true
	}
	if !answered {
		return nil, fmt.Errorf("no valid head from %d URLs: %w", len(src.URLs), errors.Join(errs...))
	}
	return best, nil
}

func (src *HTTPSource) fetchHead(ctx context.Context, base, publisher string) (*node.Head, error) {
	ctx, cancel := context.WithTimeout(ctx, src.Timeout)
	defer cancel()
	var buf strings.Builder
	if err := src.get(ctx, base, "/ipns/"+publisher+"?format=ipns-record", typeIPNSRecord, node.MaxHeadSize, &buf, nil); err != nil {
		return nil, err
	}
	return node.ParseHead(publisher, []byte(buf.String()))
}

// catalog returns the catalog block h names, held or fetched, checked
// against its CID.
func (src *HTTPSource) catalog(ctx context.Context, n *node.Node, h *node.Head) ([]byte, error) {
	if n.HasBlock(ctx, h.Catalog) {
		return n.GetBlock(ctx, h.Catalog)
	}
	var errs []error
	for _, base := range src.URLs {
		data, err := src.fetchCatalog(ctx, base, h)
		if err == nil {
			return data, nil
		}
		errs = append(errs, fmt.Errorf("%s: catalog: %w", redact(base), err))
	}
	return nil, errors.Join(errs...)
}

func (src *HTTPSource) fetchCatalog(ctx context.Context, base string, h *node.Head) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, src.Timeout)
	defer cancel()
	var buf strings.Builder
	if err := src.get(ctx, base, "/ipfs/"+h.Catalog.String()+"?format=raw", typeRaw, node.MaxCatalogSize, &buf, nil); err != nil {
		return nil, err
	}
	data := []byte(buf.String())
	if _, err := node.ParseCatalog(h.Publisher, h.Catalog, data); err != nil {
		return nil, err
	}
	return data, nil
}

// bundle fetches one bundle's CAR from the URLs in turn until one
// verifies, and stores its canonical file.
func (src *HTTPSource) bundle(ctx context.Context, n *node.Node, publisher string, root cid.Cid) error {
	var errs []error
	for _, base := range src.URLs {
		err := src.fetchBundle(ctx, n, base, publisher, root)
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

func (src *HTTPSource) fetchBundle(ctx context.Context, n *node.Node, base, publisher string, root cid.Cid) error {
	f, err := os.CreateTemp(src.TempDir, "samizdat-http-*")
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
	if err := src.get(ctx, base, "/ipfs/"+root.String()+"?format=car", typeCAR, node.MaxBundleFile, f, progress); err != nil {
		return err
	}
	stall.Stop()
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	// A gateway may order blocks otherwise than the canonical file: any
	// order is accepted, every block checked, the canonical form stored.
	b, err := bundle.OpenReader(f, size, bundle.OpenOptions{Publisher: publisher})
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

// get fetches base+path into w: status 200 only, at most limit bytes
// (refused before reading when the server declares more). progress, if
// not nil, is called whenever bytes arrive.
func (src *HTTPSource) get(ctx context.Context, base, path, accept string, limit int64, w io.Writer, progress func()) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", accept)
	resp, err := src.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s", ErrHTTPStatus, resp.Status)
	}
	if resp.ContentLength > limit {
		return fmt.Errorf("%w: %d bytes declared, limit %d", bundle.ErrTooLarge, resp.ContentLength, limit)
	}
	var r io.Reader = io.LimitReader(resp.Body, limit+1)
	if progress != nil {
		r = iocount.Reader{R: r, Progress: progress}
	}
	m, err := io.Copy(w, r)
	if err != nil {
		return err
	}
	if m > limit {
		return fmt.Errorf("%w: more than %d bytes", bundle.ErrTooLarge, limit)
	}
	return nil
}

// redact returns a URL without user info, for error messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(bad URL)"
	}
	return p.Redacted()
}
