package crawl

import (
	"context"
	"log/slog"
	"net"
	"time"
)

// Options configures a Fetcher. The zero value works: every field left
// zero takes the default named beside it (see limits.go for the reasons).
type Options struct {
	// UserAgent is sent with every request. Default: DefaultUserAgent,
	// which names samizdat and a placeholder for the publisher's contact:
	// a site's operators should be able to tell who is fetching.
	UserAgent string

	// AllowHosts are hosts, besides the input's own site (its registrable
	// domain, so www.example.org and img.example.org are one site),
	// that redirects and images may lead to. A leading "." allows every
	// subdomain as well ("." + "cdn.example" allows img.cdn.example).
	AllowHosts []string

	// Rate is the requests per second sent to one host. Default:
	// DefaultRate. A robots.txt Crawl-delay that asks for fewer wins.
	Rate float64

	// Concurrency bounds the requests in flight at once. Default:
	// DefaultConcurrency.
	Concurrency int

	// MaxPage, MaxFeed and MaxImage bound one response body of each kind,
	// in bytes. Defaults: DefaultMaxPage, DefaultMaxFeed, DefaultMaxImage.
	MaxPage, MaxFeed, MaxImage int64

	// MaxImages bounds the images fetched for one article. Default:
	// DefaultMaxImages.
	MaxImages int

	// MaxRedirects bounds the redirects followed for one request.
	// Default: DefaultMaxRedirects.
	MaxRedirects int

	// Timeout bounds one response, from the request to its last byte:
	// it is also the slow-drip guard. Default: DefaultTimeout.
	Timeout time.Duration

	// MinFullText is the text length, in characters, under which a feed
	// item's own body is taken for a summary and its page is fetched.
	// Default: DefaultMinFullText.
	MinFullText int

	// CacheDir, if set, is an HTTP cache kept across runs: responses are
	// stored with their validators (ETag, Last-Modified) and asked for
	// again conditionally, so a daily run fetches only what changed.
	CacheDir string

	// MaxCache bounds the cache's size in bytes; the entries used longest
	// ago go first. Default: DefaultMaxCache.
	MaxCache int64

	// DialContext, if set, opens connections instead of a net.Dialer:
	// tests use it to serve any host name from 127.0.0.1. The addresses
	// it connects to are judged as a net.Dialer's are (ErrPrivateAddress).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// Logger receives a debug line per request (method, URL, status,
	// bytes), never a page's contents. Default: discard.
	Logger *slog.Logger
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxPage <= 0 {
		o.MaxPage = DefaultMaxPage
	}
	if o.MaxFeed <= 0 {
		o.MaxFeed = DefaultMaxFeed
	}
	if o.MaxImage <= 0 {
		o.MaxImage = DefaultMaxImage
	}
	if o.MaxImages <= 0 {
		o.MaxImages = DefaultMaxImages
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MinFullText <= 0 {
		o.MinFullText = DefaultMinFullText
	}
	if o.MaxCache <= 0 {
		o.MaxCache = DefaultMaxCache
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
