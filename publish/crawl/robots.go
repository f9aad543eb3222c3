package crawl

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/temoto/robotstxt"
	"golang.org/x/time/rate"

	"github.com/samizdat/samizdat/bundle/ingest"
)

// robotsAgent is the name robots.txt groups are matched against.
const robotsAgent = "samizdat"

// robotsAllow reports, as an error, whether the robots.txt of u's host
// disallows u. It is fetched once per scheme and host in a run: a 4xx
// answer (none) allows everything, a 5xx answer or an unreachable server
// disallows everything, as Google's crawler does. A Crawl-delay slower
// than Options.Rate slows the host's limiter down to it, or to
// maxCrawlDelay if it asks for longer. Walks that may reach a
// non-public address for the host (mayReachPrivate) and walks that may
// not each fetch their own: one's answer, or refusal (ErrPrivateAddress),
// is not the other's.
func (f *Fetcher) robotsAllow(ctx context.Context, u *url.URL, site string) error {
	base := u.Scheme + "://" + u.Host
	key := base
	if f.mayReachPrivate(ctx, u.Hostname()) {
		key += " private"
	}
	f.robotsOnce.do(key, func() {
		g, err := f.fetchRobots(ctx, base, site)
		f.mu.Lock()
		f.robots[key] = robotsResult{g, err}
		f.mu.Unlock()
		if g != nil && g.CrawlDelay > 0 {
			if r := rate.Every(min(g.CrawlDelay, maxCrawlDelay)); r < rate.Limit(f.o.Rate) {
				f.limiter(u.Host).SetLimit(r)
			}
		}
	})
	f.mu.Lock()
	r := f.robots[key]
	f.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	if !r.group.Test(p) {
		return fmt.Errorf("%w: %w", ingest.ErrUnreadable, ErrDisallowed)
	}
	return nil
}

type robotsResult struct {
	group *robotstxt.Group
	err   error
}

// fetchRobots fetches and parses base's robots.txt.
func (f *Fetcher) fetchRobots(ctx context.Context, base, site string) (*robotstxt.Group, error) {
	u, err := url.Parse(base + "/robots.txt")
	if err != nil {
		return nil, err
	}
	status, body := 200, []byte(nil)
	r, err := f.get(ctx, u, kindRobots, site)
	switch {
	case errors.Is(err, ErrStatus):
		status = statusOf(err)
	case errors.Is(err, ErrPrivateAddress):
		return nil, err // the reason, not robots.txt's
	case errors.Is(err, ingest.ErrTooLarge):
		return nil, fmt.Errorf("%w: %w: robots.txt too large", ingest.ErrUnreadable, ErrDisallowed)
	case err != nil:
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: robots.txt: %w", ErrDisallowed, err)
	default:
		body = r.body
	}
	data, err := robotstxt.FromStatusAndBytes(status, body)
	if err != nil {
		return nil, fmt.Errorf("%w: robots.txt: %v", ErrDisallowed, err)
	}
	return data.FindGroup(robotsAgent), nil
}
