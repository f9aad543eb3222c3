package crawl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"

	"golang.org/x/time/rate"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

// Fetcher fetches feeds and pages, and the images their articles use, for
// one run: robots.txt is fetched once per host and run, and the rate
// limits hold across all of a run's inputs. It is safe for concurrent
// use.
type Fetcher struct {
	o Options
	// publicClient sends the requests that may not reach a non-public
	// address, privateClient those that may (mayReachPrivate): each has
	// its own pool, so a connection that an internal walk left idle
	// never answers a walk of a public site.
	publicClient, privateClient *http.Client
	cache                       *cache
	stats                       stats

	robotsOnce hostOnce
	mu         sync.Mutex // guards the maps below
	limiters   map[string]*rate.Limiter
	robots     map[string]robotsResult
	internal   map[string]bool // per input host: was its first connection to a non-public address

	public func(netip.Addr) bool // isPublic; tests pretend loopback is public
}

// New returns a Fetcher for o (see Options for the defaults). It fails
// only if o.CacheDir cannot be made.
func New(o Options) (*Fetcher, error) {
	o = o.withDefaults()
	c, err := newCache(o.CacheDir, o.MaxCache)
	if err != nil {
		return nil, err
	}
	f := &Fetcher{
		o:        o,
		cache:    c,
		limiters: make(map[string]*rate.Limiter),
		robots:   make(map[string]robotsResult),
		internal: make(map[string]bool),
		public:   isPublic,
	}
	dial := o.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: connectTimeout}).DialContext
	}
	f.publicClient = newClient(o, f.guard(dial, false))
	f.privateClient = newClient(o, f.guard(dial, true))
	return f, nil
}

// Stats returns what the fetcher has done so far.
func (f *Fetcher) Stats() Stats {
	return Stats{
		Requests:    f.stats.requests.Load(),
		Bytes:       f.stats.bytes.Load(),
		NotModified: f.stats.notModified.Load(),
		Fresh:       f.stats.fresh.Load(),
	}
}

// Close closes idle connections and trims the cache to Options.MaxCache.
// No goroutine of the fetcher outlives the Walk that started it.
func (f *Fetcher) Close() error {
	f.publicClient.CloseIdleConnections()
	f.privateClient.CloseIdleConnections()
	return f.cache.trim()
}

// Walk fetches the feed (RSS, Atom or JSON Feed) or the page at rawURL and
// calls fn with its articles, in feed order. A feed item whose own text is
// shorter than Options.MinFullText is a summary: its page is fetched and
// its article extracted (ingest.ParsePage), the item's id, title, url,
// dates and authors winning over the page's. The images an article's body
// shows are fetched and attached, and the body rewritten to name them.
// The first 5,000 items of a feed are taken (maxWalkItems), one warning
// standing for the rest.
//
// Each failure (fetch error, HTTP status, a cap exceeded, robots.txt,
// a redirect off the site, content that is not what it should be, a page
// with no article) is one ingest.Warning to io.Warn, naming the URL, and
// costs only its article (or image: Unattached); with io.Strict it fails
// the walk instead, as an *ingest.FileError. io.KeepPage keeps pages
// whole. An error from fn, or ctx's, stops the walk and is returned.
func (f *Fetcher) Walk(ctx context.Context, rawURL string, io ingest.Options, fn func(*bundle.Article) error) error {
	w := &warner{opts: io}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return w.warn(ingest.Warning{Kind: ingest.Skipped, Path: rawURL, Err: fmt.Errorf("%w: not a url", ingest.ErrMalformed)})
	}
	if u.Scheme == "http" {
		// Redacted: a feed behind basic auth names its password in the URL.
		f.o.Logger.Warn("input fetched over plain http, end to end: anyone on the path could rewrite what is signed; give its https URL", "url", u.Redacted())
	}
	site := siteOf(u.Hostname())
	ctx = withInput(ctx, u)
	r, err := f.get(ctx, u, kindDocument, site)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return w.warn(ingest.Warning{Kind: ingest.Skipped, Path: rawURL, Err: err})
	}
	switch feedKind(r) {
	case feedXML, feedJSON:
		items, err := f.parseFeed(rawURL, r, w)
		if err != nil {
			return err
		}
		if over := len(items) - maxWalkItems; over > 0 {
			err := fmt.Errorf("%w: %d items past the first %d", ingest.ErrTooLarge, over, maxWalkItems)
			if err := w.warn(ingest.Warning{Kind: ingest.Skipped, Path: rawURL, Item: maxWalkItems + 1, Err: err}); err != nil {
				return err
			}
			items = items[:maxWalkItems]
		}
		resolveLinks(items, r.url)
		return f.items(ctx, items, site, w, fn)
	}
	var warns []ingest.Warning
	a, err := f.pageArticle(ctx, r, site, io, func(wn ingest.Warning) { warns = append(warns, wn) })
	if err := w.replay(warns); err != nil {
		return err
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return w.warn(ingest.Warning{Kind: ingest.Skipped, Path: rawURL, Err: unwrapFileError(err)})
	}
	return fn(a)
}

// warner hands warnings to ingest.Options.Warn, or, with Strict, turns
// the first one that is not Ignored into the error that ends the walk.
type warner struct {
	opts ingest.Options
}

func (w *warner) warn(wn ingest.Warning) error {
	if w.opts.Strict && wn.Kind != ingest.Ignored {
		return &ingest.FileError{Path: wn.Path, Line: wn.Line, Err: wn.Err}
	}
	if w.opts.Warn != nil {
		w.opts.Warn(wn)
	}
	return nil
}

// replay passes on warnings collected while an article was fetched.
func (w *warner) replay(warns []ingest.Warning) error {
	for _, wn := range warns {
		if err := w.warn(wn); err != nil {
			return err
		}
	}
	return nil
}

// unwrapFileError returns the reason inside an *ingest.FileError: the
// warning that carries it names the URL itself.
func unwrapFileError(err error) error {
	var fe *ingest.FileError
	if errors.As(err, &fe) {
		return fe.Err
	}
	return err
}
