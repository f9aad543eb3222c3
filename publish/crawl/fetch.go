package crawl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/samizdat/samizdat/bundle/ingest"
)

// kind is what a URL is fetched as; it picks the size cap.
type kind int

const (
	kindDocument kind = iota // a page or a feed, not known yet which
	kindPage
	kindImage
	kindRobots
)

func (f *Fetcher) limit(k kind) int64 {
	switch k {
	case kindPage:
		return f.o.MaxPage
	case kindImage:
		return f.o.MaxImage
	case kindRobots:
		return maxRobots
	}
	return max(f.o.MaxPage, f.o.MaxFeed)
}

// maxFresh bounds how long a response of kind k is used from the cache
// without asking again.
func maxFresh(k kind) time.Duration {
	if k == kindImage {
		return maxImageFresh
	}
	return maxDocumentFresh
}

// Stats counts a fetcher's work.
type Stats struct {
	Requests    int64 // HTTP requests sent, robots.txt and redirects included
	Bytes       int64 // response body bytes received
	NotModified int64 // 304 answers: the cached body was used
	Fresh       int64 // cached bodies used without asking (still fresh)
}

type stats struct{ requests, bytes, notModified, fresh atomic.Int64 }

// response is a fetched body and where it ended up.
type response struct {
	url         *url.URL // after redirects
	contentType string   // as the server said
	body        []byte
}

// newClient returns the HTTP client: timeouts on connecting and on the
// headers, a bound on the headers' size (Options.Timeout bounds the whole
// response through the request's context), and no redirects followed by
// itself (get follows them, checking each hop).
func newClient(o Options, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	t := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dial,
		TLSHandshakeTimeout:    connectTimeout,
		ResponseHeaderTimeout:  headerTimeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
		MaxIdleConnsPerHost:    o.Concurrency,
		IdleConnTimeout:        30 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// get fetches u as k for a walk that started on site, following at most
// MaxRedirects redirects, each checked against the site, the scheme and
// robots.txt, and kept on https if the walk's input is (secured).
func (f *Fetcher) get(ctx context.Context, u *url.URL, k kind, site string) (*response, error) {
	for hop := 0; ; hop++ {
		u = secured(ctx, u)
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("%w: %w: %s", ingest.ErrUnreadable, ErrScheme, u.Scheme)
		}
		if !allowedHost(u.Hostname(), site, f.o.AllowHosts) {
			return nil, fmt.Errorf("%w: %w: %s is not on %s", ingest.ErrBadReference, ErrOffSite, u.Host, site)
		}
		if k != kindRobots {
			if err := f.robotsAllow(ctx, u, site); err != nil {
				return nil, err
			}
		}
		r, next, err := f.hop(ctx, u, k)
		if wait, ok := retryAfter(err); ok {
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			r, next, err = f.hop(ctx, u, k) // once: a site still busy costs the article
		}
		if err != nil || next == nil {
			return r, err
		}
		if hop == f.o.MaxRedirects {
			return nil, fmt.Errorf("%w: %w: more than %d", ingest.ErrUnreadable, ErrRedirects, f.o.MaxRedirects)
		}
		u = next
	}
}

// hop makes one request for u: from the cache if fresh, else
// conditionally if cached. It returns the response, or the URL a
// redirect leads to.
func (f *Fetcher) hop(ctx context.Context, u *url.URL, k kind) (*response, *url.URL, error) {
	key := u.String()
	limit, fresh := f.limit(k), maxFresh(k)
	cached := f.cache.load(key, limit)
	if cached != nil && cached.Private && !f.mayReachPrivate(ctx, u.Hostname()) {
		cached = nil // an internal walk's answer: asked again, the dialer judges
	}
	if cached != nil && time.Now().Before(cached.Expires) {
		f.stats.fresh.Add(1)
		return &response{url: u, contentType: cached.ContentType, body: cached.Body}, nil, nil
	}
	if err := f.wait(ctx, u.Host); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ingest.ErrUnreadable, err)
	}
	rctx, cancel := context.WithTimeout(ctx, f.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, key, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ingest.ErrUnreadable, err)
	}
	req.Header.Set("User-Agent", f.o.UserAgent)
	if cached != nil {
		if cached.ETag != "" {
			req.Header.Set("If-None-Match", cached.ETag)
		}
		if cached.LastModified != "" {
			req.Header.Set("If-Modified-Since", cached.LastModified)
		}
	}
	f.stats.requests.Add(1)
	resp, private, err := f.do(req)
	if err != nil {
		return nil, nil, f.netError(ctx, rctx, err)
	}
	defer resp.Body.Close()
	f.o.Logger.Debug("fetch", "url", u.Redacted(), "status", resp.StatusCode)
	switch {
	case resp.StatusCode == http.StatusNotModified && cached != nil:
		f.stats.notModified.Add(1)
		// Rewritten only when the answer makes it fresh for a while: an
		// entry that is asked for every time has nothing new to store.
		if now := time.Now(); freshUntil(resp.Header, now, fresh).After(now) {
			cached.Expires = freshUntil(resp.Header, now, fresh)
			cached.Private = cached.Private || private
			_ = f.cache.store(cached) // a failed write costs a request next time
		}
		return &response{url: u, contentType: cached.ContentType, body: cached.Body}, nil, nil
	case isRedirect(resp.StatusCode):
		next, err := u.Parse(resp.Header.Get("Location"))
		if err != nil || resp.Header.Get("Location") == "" {
			return nil, nil, fmt.Errorf("%w: redirect without a valid location", ingest.ErrUnreadable)
		}
		return nil, next, nil
	case resp.StatusCode != http.StatusOK:
		se := &StatusError{Code: resp.StatusCode, RetryAfter: -1}
		if se.Code == http.StatusTooManyRequests || se.Code == http.StatusServiceUnavailable {
			se.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return nil, nil, fmt.Errorf("%w: %w", ingest.ErrUnreadable, se)
	}
	body, err := readCapped(resp.Body, limit, &f.stats.bytes)
	if err != nil {
		return nil, nil, f.netError(ctx, rctx, err)
	}
	if e := newEntry(key, resp.Header, body, time.Now(), fresh); e != nil {
		e.Private = private
		_ = f.cache.store(e) // a failed write costs a request next time
	}
	return &response{url: u, contentType: resp.Header.Get("Content-Type"), body: body}, nil, nil
}

// do sends req over the pool kept for requests of its kind: those that
// may reach a non-public address (mayReachPrivate) and those that may
// not. It reports whether the answer came from a non-public address.
func (f *Fetcher) do(req *http.Request) (*http.Response, bool, error) {
	client := f.publicClient
	if f.mayReachPrivate(req.Context(), req.URL.Hostname()) {
		client = f.privateClient
	}
	var private atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { private.Store(isPrivate(i.Conn)) }}
	resp, err := client.Do(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	return resp, private.Load(), err
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// readCapped reads r to its end, failing with ErrTooLarge past limit
// bytes; it counts what it reads into n.
func readCapped(r io.Reader, limit int64, n *atomic.Int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	n.Add(int64(len(body)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ingest.ErrUnreadable, bareURLError(err))
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ingest.ErrTooLarge, limit)
	}
	return body, nil
}

// netError wraps an error met while fetching: ErrTimeout when the
// response's own deadline passed (rctx) but not the walk's (ctx).
func (f *Fetcher) netError(ctx, rctx context.Context, err error) error {
	if errors.Is(err, ingest.ErrTooLarge) {
		return err
	}
	if ctx.Err() == nil && rctx.Err() != nil {
		return fmt.Errorf("%w: %w: no complete response within %v", ingest.ErrUnreadable, ErrTimeout, f.o.Timeout)
	}
	if errors.Is(err, ingest.ErrUnreadable) {
		return err
	}
	return fmt.Errorf("%w: %w", ingest.ErrUnreadable, bareURLError(err))
}

// bareURLError drops the method and URL that *url.Error repeats: the
// warning names the URL already.
func bareURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// wait takes a request slot for host from its rate limiter.
func (f *Fetcher) wait(ctx context.Context, host string) error {
	return f.limiter(host).Wait(ctx)
}

// limiter returns host's rate limiter, made at Options.Rate the first
// time.
func (f *Fetcher) limiter(host string) *rate.Limiter {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.limiters[host]
	if !ok {
		l = rate.NewLimiter(rate.Limit(f.o.Rate), 1)
		f.limiters[host] = l
	}
	return l
}

// hostOnce runs fn once per key (robots.txt per host), other callers
// waiting for it.
type hostOnce struct {
	mu   sync.Mutex
	done map[string]*sync.Once
}

func (h *hostOnce) do(key string, fn func()) {
	h.mu.Lock()
	if h.done == nil {
		h.done = make(map[string]*sync.Once)
	}
	o, ok := h.done[key]
	if !ok {
		o = new(sync.Once)
		h.done[key] = o
	}
	h.mu.Unlock()
	o.Do(fn)
}

// StatusError is an HTTP status the fetcher does not take: it matches
// ErrStatus. RetryAfter is the wait a 429 or 503 answer asked for, or -1.
type StatusError struct {
	Code       int
	RetryAfter time.Duration
}

func (e *StatusError) Error() string        { return fmt.Sprintf("http status %d", e.Code) }
func (e *StatusError) Is(target error) bool { return target == ErrStatus }

// parseRetryAfter returns the wait a Retry-After header asks for
// (seconds, or an HTTP date), or -1 if it names none.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return -1
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		return time.Duration(min(s, int64(maxRetryAfter/time.Second)+1)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}

// retryAfter reports whether err is a 429 or 503 answer worth one more
// try after the wait it asked for: at most maxRetryAfter.
func retryAfter(err error) (time.Duration, bool) {
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter >= 0 && se.RetryAfter <= maxRetryAfter {
		return se.RetryAfter, true
	}
	return 0, false
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Transient reports whether err is a failure that may pass by the next
// run: a timeout, a 429 or 5xx answer, a connection or read error. A
// 404, a cap, robots.txt or content that is not what it should be are
// not.
func Transient(err error) bool {
	if errors.Is(err, ErrTimeout) {
		return true
	}
	if code := statusOf(err); code != 0 {
		return code == http.StatusTooManyRequests || code >= 500
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF)
}

// statusOf returns the status of a *StatusError in err, or 0.
func statusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}
