package web

import "github.com/samizdat/samizdat/web/search"

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
)
