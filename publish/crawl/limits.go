package crawl

import "time"

// Defaults of Options, and fixed bounds on what a site sends. A site may
// be slow, broken or hostile (a compromised CMS, a proxy in between), so
// every size, count and wait is bounded, and going over a bound costs one
// article, with a warning, never the run.
const (
	// DefaultUserAgent names the tool and where its operator can be
	// reached; publishers replace the placeholder with --user-agent.
	DefaultUserAgent = "samizdat-pack/1 (+https://github.com/samizdat/samizdat; contact: publisher@example.org)"

	// DefaultRate is requests per second to one host: a publisher
	// fetching its own site should not show up as load on it.
	DefaultRate = 4

	// DefaultConcurrency bounds the requests in flight at once, over all
	// hosts.
	DefaultConcurrency = 4

	// DefaultMaxPage bounds one HTML page: news pages weigh 50 KB to a few
	// MB, mostly scripts; ingest's own page bound is 16 MiB.
	DefaultMaxPage = 8 << 20

	// DefaultMaxFeed bounds one feed: a feed of a few hundred items with
	// full text is a few MB.
	DefaultMaxFeed = 16 << 20

	// DefaultMaxImage bounds one image: it travels in every copy of the
	// bundle, to readers on slow and metered links.
	DefaultMaxImage = 4 << 20

	// DefaultMaxImages bounds the images fetched for one article.
	DefaultMaxImages = 16

	// DefaultMaxRedirects bounds the redirects of one request (browsers
	// allow 20; a site that needs more than 5 is broken or looping).
	DefaultMaxRedirects = 5

	// DefaultTimeout bounds one response from request to last byte, so a
	// server that drips a byte a second cannot hold a worker for long.
	DefaultTimeout = 30 * time.Second

	// DefaultMinFullText is the text length under which a feed item's
	// body is a summary, not the article: teasers run one to three
	// sentences.
	DefaultMinFullText = 1000

	// DefaultMaxCache bounds the HTTP cache directory.
	DefaultMaxCache = 1 << 30

	// connectTimeout and headerTimeout bound the TCP and TLS handshakes
	// and the wait for response headers, within Timeout.
	connectTimeout = 10 * time.Second
	headerTimeout  = 15 * time.Second

	// maxHeaderBytes bounds a response's headers (net/http allows 10
	// MiB): a news page's headers, cookies and security policies
	// included, are a few KB.
	maxHeaderBytes = 64 << 10

	// maxRetryAfter bounds the Retry-After of a 429 or 503 answer that
	// is waited for and tried once more; a site that asks for longer is
	// given its rest, and the article skipped.
	maxRetryAfter = time.Minute

	// maxDocumentFresh bounds how long a cached page, feed or robots.txt
	// is used without asking the site again, whatever its max-age or
	// Expires says: a CDN in front of a newsroom may serve articles with
	// a year's max-age and purge its own copy when a story is corrected,
	// which our cache never hears of. An hour spares a run retried soon
	// after a failure; a daily run always asks.
	maxDocumentFresh = time.Hour

	// maxImageFresh bounds how long a cached image is used without
	// asking: images at one URL rarely change, and CDNs serve them fresh
	// for days.
	maxImageFresh = 365 * 24 * time.Hour

	// maxCrawlDelay bounds the wait between requests a robots.txt
	// Crawl-delay may ask for: a day's delay would stretch a 300-item
	// feed over most of a year. 30 s is already 2.5 hours for such a
	// feed; a site that asks for more is fetched at this pace.
	maxCrawlDelay = 30 * time.Second

	// maxRobots bounds robots.txt, as Google does (500 KiB); rules past
	// it are ignored.
	maxRobots = 500 << 10

	// maxFeedItems bounds the items of a JSON Feed, as ingest bounds an
	// RSS or Atom feed's: each becomes an article held in memory.
	maxFeedItems = 100_000

	// maxWalkItems bounds the items taken from one fetched feed: each
	// may cost its page and MaxImages images. A newsroom's feed lists
	// its latest tens to hundreds of stories; 5,000 teasers are already
	// 20 minutes of requests at the default rate, and a 16 MiB feed of
	// short items could list hundreds of thousands, keeping a daily run
	// busy, and its state locked, for days.
	maxWalkItems = 5_000

	// feedSniff is how much of a document is looked at to tell a feed
	// from a page; gofeed looks at as much.
	feedSniff = 4096

	// maxEntryHeader bounds the header line of a cache file: a URL and
	// two validators.
	maxEntryHeader = 16 << 10

	// maxImageStem bounds the part of an image's attachment name taken
	// from its URL's file name.
	maxImageStem = 40
)
