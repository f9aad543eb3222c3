package crawl

import (
	"context"
	"errors"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

// ErrNotImplemented is returned until the fetcher lands.
var ErrNotImplemented = errors.New("fetching from the web is not implemented yet")

// Fetcher fetches feeds and pages for one run.
type Fetcher struct {
	o Options
}

// New returns a Fetcher for o (see Options for the defaults).
func New(o Options) (*Fetcher, error) {
	return &Fetcher{o: o.withDefaults()}, nil
}

// Walk fetches the feed or page at rawURL and calls fn with each article.
func (f *Fetcher) Walk(ctx context.Context, rawURL string, io ingest.Options, fn func(*bundle.Article) error) error {
	return ErrNotImplemented
}

// Close releases the fetcher's connections and trims its cache.
func (f *Fetcher) Close() error { return nil }
