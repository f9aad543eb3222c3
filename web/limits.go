package web

import (
	"time"

	"github.com/samizdat/samizdat/web/search"
)

// Bounds on what the reader UI accepts from a browser and on what it keeps.
const (
	// maxQueryLen bounds a search query, in bytes (the index's own bound).
	maxQueryLen = search.MaxQueryLen

	// pageSize is how many articles a list page shows; maxPage bounds the
	// page number a request may ask for.
	pageSize = 50
	maxPage  = 100_000

	// searchLimit is how many hits a search page shows.
	searchLimit = 50

	// maxLangLen bounds the language filter parameter.
	maxLangLen = 35

	// maxFormBytes bounds a POSTed form: one samizdat: link.
	maxFormBytes = 8 << 10

	// maxOpenBundles bounds the bundles kept open between requests; opening
	// one re-verifies its metadata, about 100 ms for 10,000 articles.
	maxOpenBundles = 16

	// renderCacheBytes and renderCacheEntries bound the cache of rendered
	// (sanitized) article bodies. Content is immutable, so entries never go
	// stale; they are evicted least recently used.
	renderCacheBytes   = 32 << 20
	renderCacheEntries = 4096

	// maxRenderedBody bounds the body of an article that is read and
	// rendered; a longer one is shown truncated, with a note. It is what
	// an article page may decode: the blocks holding its first
	// maxRenderedBody bytes (at most that, a block's rest beyond them and
	// bundle.MaxArticleSlack) and none of its attachments, whatever the
	// article's size (up to bundle.MaxArticleSize).
	maxRenderedBody = 4 << 20

	// streamChunk is the buffer an attachment is copied to the client
	// through. The reader holds one decoded block besides (at most
	// bundle.MaxBlockRaw), so a download holds about 1 MiB whatever the
	// attachment's size.
	streamChunk = 64 << 10

	// publicWorkPerCPU bounds, per CPU (GOMAXPROCS), the requests of the
	// public pages that do expensive work at once: an article page not
	// yet cached (open the bundle, decode up to maxRenderedBody and render
	// it: about 56 MiB allocated and a second of a CPU for a 4 MiB body)
	// and a search. Two per CPU keep the CPUs busy while one request
	// waits on the disk. A request beyond the bound is answered 503 at
	// once, not queued: a flood costs a refusal each, not a page's memory
	// each. The private reader, whose one user is on this machine, is not
	// bounded.
	publicWorkPerCPU = 2

	// publicDownloads bounds the attachments the public pages send at
	// once. A download holds a decoded block (bundle.MaxBlockRaw) and
	// streamChunk until its client has taken them, so slow clients hold
	// at most about 70 MiB. Downloads have a bound of their own, so that
	// clients reading slowly cannot take the slots pages and searches
	// need.
	publicDownloads = 64

	// downloadStall is how long a download waits for its client to take
	// the next chunk before it is ended: a client that stops reading
	// does not hold a download slot, or its memory, for longer.
	downloadStall = 30 * time.Second

	// busyRetryAfter is the Retry-After, in seconds, of a request refused
	// because its bound is reached.
	busyRetryAfter = 5
)
