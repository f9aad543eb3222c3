package main

import (
	"flag"

	"github.com/samizdat/samizdat/publish/crawl"
)

// addFetchFlags defines on fs the flags that say how http(s) inputs are
// fetched (pack, daily), and returns the options they fill in. Their
// defaults are crawl's; --cache is off unless given.
func addFetchFlags(fs *flag.FlagSet) *crawl.Options {
	o := new(crawl.Options)
	fs.StringVar(&o.CacheDir, "cache", "", "keep an HTTP cache of fetched feeds, pages and images in `DIR`, so the next run fetches only what changed")
	fs.StringVar(&o.UserAgent, "user-agent", crawl.DefaultUserAgent, "User-Agent sent with every request: name your newsroom and a contact")
	fs.Var((*multiFlag)(&o.AllowHosts), "allow-host", "a `HOST` besides the input's own site that redirects and images may lead to (\".cdn.example\": it and its subdomains; repeatable)")
	fs.Float64Var(&o.Rate, "rate", crawl.DefaultRate, "requests per second to one host (a slower robots.txt Crawl-delay wins)")
	fs.Int64Var(&o.MaxPage, "max-page", crawl.DefaultMaxPage, "skip a fetched page over this many `bytes`")
	fs.Int64Var(&o.MaxImage, "max-image", crawl.DefaultMaxImage, "leave out a fetched image over this many `bytes`")
	fs.DurationVar(&o.Timeout, "fetch-timeout", crawl.DefaultTimeout, "give up on a response not complete within this long")
	return o
}
