// Package crawl fetches a newsroom's feeds and pages over HTTP for
// packing: politely (a User-Agent, robots.txt, a per-host rate limit,
// bounded concurrency) and safely (size caps, timeouts, bounded
// same-site redirects, content sniffed rather than trusted), with an HTTP
// cache that makes a daily run fetch only what changed. Only the
// publisher's machine runs it; readers never touch the network.
//
// Its API may change before v1.
package crawl
