package crawl

import "errors"

// Sentinel errors, for errors.Is. A warning's Err wraps one of them and,
// so that pack's tally and callers of ingest keep working, one of
// ingest's: ErrUnreadable for what could not be fetched, ErrTooLarge for
// what is over a cap, ErrMalformed for what is not what it should be,
// ErrBadReference for an image left out.
var (
	// ErrScheme: only http and https are fetched.
	ErrScheme = errors.New("not an http or https url")
	// ErrStatus: the server answered with a status other than 200, 304
	// or a redirect.
	ErrStatus = errors.New("http status")
	// ErrDisallowed: the site's robots.txt disallows the URL for us.
	ErrDisallowed = errors.New("disallowed by robots.txt")
	// ErrOffSite: a redirect or an image leads to another site than the
	// input's, and Options.AllowHosts does not name its host.
	ErrOffSite = errors.New("off-site")
	// ErrPrivateAddress: a host other than the input's, on a walk of a
	// public site, is on a loopback, private or link-local address.
	ErrPrivateAddress = errors.New("on a non-public address")
	// ErrRedirects: more redirects than Options.MaxRedirects.
	ErrRedirects = errors.New("too many redirects")
	// ErrNotHTML: a page or feed URL served something that is neither an
	// HTML page nor a feed, judged by its bytes.
	ErrNotHTML = errors.New("not an html page or a feed")
	// ErrTimeout: a response did not complete within Options.Timeout
	// (a slow drip, or a server that does not answer).
	ErrTimeout = errors.New("timed out")
	// ErrNotImage: an image URL served something that is not an image,
	// judged by its bytes, or an image of another type than it claims.
	ErrNotImage = errors.New("not an image")
)
