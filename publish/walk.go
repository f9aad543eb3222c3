// Package publish is the publisher's side of samizdat: from a newsroom's
// folders and website to articles, bundles and heads.
//
// Its API may change before v1.
package publish

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
	"github.com/samizdat/samizdat/publish/crawl"
)

// WalkOptions configures Walk. The zero value works.
type WalkOptions struct {
	// Ingest is for local files as for ingest.Walk, and for fetched
	// pages and feeds alike: Strict, KeepPage and Warn.
	Ingest ingest.Options
	// Fetch says how http(s) inputs are fetched (zero value: the
	// defaults of crawl.Options).
	Fetch crawl.Options
}

// IsURL reports whether an input names a web address rather than a
// local file: it starts with "http://" or "https://", in any case.
func IsURL(in string) bool {
	l := strings.ToLower(in)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// Walk calls fn with every article of inputs, in order: local files and
// folders through ingest.Walk, http(s) URLs (a feed or a page) through
// the fetcher. Problems go to o.Ingest.Warn as warnings, and skip only
// the article or file they concern; with o.Ingest.Strict the first fails
// the walk instead. A fetched article whose id came before in the walk
// is such a problem (the same story in two section feeds, or twice in
// one): the first is kept. Local files are the publisher's own, and a
// duplicate among them goes to fn, whose packer refuses it. Finding no article at all fails with
// ingest.ErrNoArticles. An error returned by fn stops the walk and is
// returned as is.
func Walk(ctx context.Context, inputs []string, o WalkOptions, fn func(*bundle.Article) error) error {
	found := 0
	once := seenIDs{}
	count := func(a *bundle.Article) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		once[a.ID] = true
		found++
		return fn(a)
	}
	var f *crawl.Fetcher
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	var noArticles error // the first local group's, said again if nothing is found
	for i := 0; i < len(inputs); {
		if !IsURL(inputs[i]) {
			j := i
			for j < len(inputs) && !IsURL(inputs[j]) {
				j++
			}
			err := ingest.Walk(inputs[i:j], o.Ingest, count)
			if errors.Is(err, ingest.ErrNoArticles) {
				if noArticles == nil {
					noArticles = err
				}
				err = nil
			}
			if err != nil {
				return err
			}
			i = j
			continue
		}
		if f == nil {
			var err error
			if f, err = crawl.New(o.Fetch); err != nil {
				return err
			}
		}
		if err := f.Walk(ctx, inputs[i], o.Ingest, once.fetched(inputs[i], o.Ingest, count)); err != nil {
			return err
		}
		i++
	}
	if found > 0 {
		return nil
	}
	if noArticles != nil {
		return noArticles
	}
	return fmt.Errorf("%w in %d inputs", ingest.ErrNoArticles, len(inputs))
}

// seenIDs are the article ids a walk has passed on.
type seenIDs map[string]bool

// fetched returns fn for the articles fetched from input: one whose id
// was passed on before is a Skipped warning wrapping
// bundle.ErrDuplicateID (with Strict, the error that ends the walk), not
// a second article of that id.
func (seen seenIDs) fetched(input string, o ingest.Options, fn func(*bundle.Article) error) func(*bundle.Article) error {
	return func(a *bundle.Article) error {
		if !seen[a.ID] {
			return fn(a)
		}
		err := fmt.Errorf("%w: %w: %s", ingest.ErrMalformed, bundle.ErrDuplicateID, strconv.Quote(a.ID))
		if o.Strict {
			return &ingest.FileError{Path: input, Err: err}
		}
		if o.Warn != nil {
			o.Warn(ingest.Warning{Kind: ingest.Skipped, Path: input, Err: err})
		}
		return nil
	}
}
