package crawl

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mmcdole/gofeed"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

type docKind int

const (
	notFeed docKind = iota
	feedXML
	feedJSON
)

// feedKind tells an RSS or Atom feed, or a JSON Feed, from a page, by
// its bytes: a JSON body that names the JSON Feed version, or XML whose
// root is a feed's.
func feedKind(r *response) docKind {
	head := r.body[:min(len(r.body), feedSniff)]
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if bytes.HasPrefix(trimmed, []byte("{")) && bytes.Contains(head, []byte("jsonfeed.org/version")) {
		return feedJSON
	}
	switch gofeed.DetectFeedType(bytes.NewReader(head)) {
	case gofeed.FeedTypeRSS, gofeed.FeedTypeAtom:
		return feedXML
	}
	return notFeed
}

// parseFeed parses a fetched feed into articles, through ingest so that
// a feed fetched and a feed on disk give the same articles: ingest reads
// files, so the feed is written to a temporary one, and the warnings and
// ids that name that file are made to name feedURL instead. A feed that
// does not parse is one warning and no items.
func (f *Fetcher) parseFeed(feedURL string, r *response, w *warner) ([]*bundle.Article, error) {
	name, data := "feed.rss", r.body
	var places []int // with a JSON Feed: the place in the feed of each item ingest reads
	if feedKind(r) == feedJSON {
		jf, err := jsonFeedToIngest(r.body)
		if err != nil {
			return nil, w.warn(ingest.Warning{Kind: ingest.Skipped, Path: feedURL, Err: err})
		}
		for _, wn := range jf.bad {
			wn.Path = feedURL
			if err := w.warn(wn); err != nil {
				return nil, err
			}
		}
		name, data, places = "feed.json", jf.data, jf.places
	}
	dir, err := os.MkdirTemp("", "samizdat-feed-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		return nil, err
	}
	var items []*bundle.Article
	var walkErr error
	opts := ingest.Options{Strict: w.opts.Strict, KeepPage: w.opts.KeepPage, Warn: func(wn ingest.Warning) {
		wn.Path = feedURL
		if wn.Item > 0 && wn.Item <= len(places) {
			wn.Item = places[wn.Item-1]
		}
		if err := w.warn(wn); err != nil && walkErr == nil {
			walkErr = err
		}
	}}
	err = ingest.Walk([]string{p}, opts, func(a *bundle.Article) error {
		if strings.HasPrefix(a.ID, name+"#") { // no guid, no link: ingest gave its place in the feed
			a.ID = feedURL + "#" + itemKey(a)
		}
		// The feed's bytes made the item, and its URL the item's id
		// (above) and links (resolveLinks).
		a.Source = ingest.NewSource("feed").Text(feedURL).Text(r.url.String()).Bytes(a.Source[:]).Sum()
		items = append(items, a)
		return nil
	})
	if walkErr != nil {
		return nil, walkErr
	}
	var fe *ingest.FileError
	if errors.As(err, &fe) {
		fe.Path = feedURL
		if w.opts.Strict {
			return nil, fe
		}
		if errors.Is(err, ingest.ErrNoArticles) && len(items) == 0 && !errors.Is(err, ingest.ErrMalformed) && !errors.Is(err, ingest.ErrTooLarge) {
			return nil, nil // an empty feed: nothing to warn about
		}
		return nil, w.warn(ingest.Warning{Kind: ingest.Skipped, Path: feedURL, Err: unwrapFileError(err)})
	}
	return items, err
}

// itemKey names a feed item that has neither guid nor link by what it
// says rather than by its place in the feed, which shifts as new items
// arrive: 16 hex digits of the SHA-256 of its title and date, or of its
// body if it has no title. The same story keeps its id from run to run
// (a corrected title makes it a new article, which beats carrying
// tomorrow's story as a correction of today's).
func itemKey(a *bundle.Article) string {
	h := sha256.New()
	if a.Title != "" {
		fmt.Fprintf(h, "%s\x00%d", a.Title, a.Published.Unix())
	} else {
		h.Write(a.Body)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// jsonFeed is the part of a JSON Feed (https://jsonfeed.org/version/1.1)
// an article is made of.
type jsonFeed struct {
	Version  string            `json:"version"`
	Language string            `json:"language"`
	Authors  []jsonAuthor      `json:"authors"`
	Author   *jsonAuthor       `json:"author"` // version 1
	Items    []json.RawMessage `json:"items"`  // each decoded alone: a bad one costs only itself
}

type jsonAuthor struct {
	Name string `json:"name"`
}

type jsonFeedItem struct {
	ID            json.RawMessage `json:"id"` // a string; version 1 feeds also use numbers
	URL           string          `json:"url"`
	Title         string          `json:"title"`
	ContentHTML   *string         `json:"content_html"`
	ContentText   *string         `json:"content_text"`
	Summary       string          `json:"summary"`
	DatePublished string          `json:"date_published"`
	DateModified  string          `json:"date_modified"`
	Authors       []jsonAuthor    `json:"authors"`
	Author        *jsonAuthor     `json:"author"`
	Language      string          `json:"language"`
}

// ingestItem is an article as ingest's .json files hold it.
type ingestItem struct {
	ID          string   `json:"id,omitempty"`
	Title       string   `json:"title,omitempty"`
	Lang        string   `json:"lang,omitempty"`
	Published   string   `json:"published,omitempty"`
	Updated     string   `json:"updated,omitempty"`
	URL         string   `json:"url,omitempty"`
	Authors     []string `json:"authors,omitempty"`
	Summary     string   `json:"summary,omitempty"`
	ContentType string   `json:"content_type"`
	Body        string   `json:"body"`
}

// ingestFeed is a JSON Feed converted for ingest: the JSON array of its
// articles, the 1-based place in the feed of each, and a Skipped warning
// (without its Path) for each item that does not decode.
type ingestFeed struct {
	data   []byte
	places []int
	bad    []ingest.Warning
}

// jsonFeedToIngest converts a JSON Feed into the JSON array of articles
// ingest reads. Items without content keep their summary (or title) as a
// body: it is short, so their page is fetched.
func jsonFeedToIngest(data []byte) (*ingestFeed, error) {
	var jf jsonFeed
	if err := json.Unmarshal(data, &jf); err != nil {
		return nil, fmt.Errorf("%w: json feed: %v", ingest.ErrMalformed, err)
	}
	if !strings.HasPrefix(jf.Version, "https://jsonfeed.org/version/") {
		return nil, fmt.Errorf("%w: json feed: version %q", ingest.ErrMalformed, jf.Version)
	}
	if len(jf.Items) > maxFeedItems {
		return nil, fmt.Errorf("%w: %d items, limit %d", ingest.ErrTooLarge, len(jf.Items), maxFeedItems)
	}
	feedAuthors := names(jf.Authors, jf.Author)
	out := &ingestFeed{}
	items := make([]ingestItem, 0, len(jf.Items))
	for i, raw := range jf.Items {
		var it jsonFeedItem
		if err := json.Unmarshal(raw, &it); err != nil {
			out.bad = append(out.bad, ingest.Warning{Kind: ingest.Skipped, Item: i + 1,
				Err: fmt.Errorf("%w: json feed item: %v", ingest.ErrMalformed, err)})
			continue
		}
		items = append(items, ingestItemOf(it, jf.Language, feedAuthors))
		out.places = append(out.places, i+1)
	}
	var err error
	out.data, err = json.Marshal(items)
	return out, err
}

// ingestItemOf converts one JSON Feed item, with the feed's language and
// authors where it names none.
func ingestItemOf(it jsonFeedItem, lang string, authors []string) ingestItem {
	in := ingestItem{
		ID: jsonID(it.ID), Title: it.Title, URL: it.URL, Summary: it.Summary,
		Lang: it.Language, Published: it.DatePublished, Updated: it.DateModified,
		Authors: names(it.Authors, it.Author), ContentType: "text/html",
	}
	if in.Lang == "" {
		in.Lang = lang
	}
	if len(in.Authors) == 0 {
		in.Authors = authors
	}
	switch {
	case it.ContentHTML != nil:
		in.Body = *it.ContentHTML
	case it.ContentText != nil:
		in.Body, in.ContentType = *it.ContentText, "text/plain"
	case it.Summary != "":
		in.Body, in.ContentType, in.Summary = it.Summary, "text/plain", ""
	default:
		in.Body, in.ContentType = it.Title, "text/plain"
	}
	return in
}

// jsonID returns a JSON Feed item id as a string: a string as it is, a
// number as its digits.
func jsonID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func names(list []jsonAuthor, one *jsonAuthor) []string {
	if one != nil {
		list = append(list, *one)
	}
	var out []string
	for _, a := range list {
		if n := strings.TrimSpace(a.Name); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// items fetches the pages and images of a feed's items, up to
// Options.Concurrency at once, and calls fn with each article in feed
// order, passing on each item's warnings just before it. An item holds
// its slot until fn has had it, not only until it is fetched: behind a
// slow item, done ones wait in memory (each up to a page and MaxImages
// images), and so at most Concurrency of them do.
func (f *Fetcher) items(ctx context.Context, items []*bundle.Article, site string, w *warner, fn func(*bundle.Article) error) error {
	type result struct {
		a     *bundle.Article
		warns []ingest.Warning
		slot  bool // the item took a slot, given back once it is consumed
	}
	ctx, cancel := context.WithCancel(ctx)
	results := make([]chan result, len(items))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	slots := make(chan struct{}, f.o.Concurrency)
	done := make(chan struct{})
	go func() { // starts one worker per item, at most Concurrency at a time
		defer close(done)
		for i, it := range items {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				results[i] <- result{}
				continue
			}
			go func() {
				r := result{slot: true}
				r.a = f.item(ctx, i+1, it, site, w.opts, func(wn ingest.Warning) { r.warns = append(r.warns, wn) })
				results[i] <- r
			}()
		}
	}()
	consumed := 0
	take := func() result {
		r := <-results[consumed]
		items[consumed] = nil // let it go once done with
		consumed++
		if r.slot {
			<-slots
		}
		return r
	}
	defer func() { // every worker has ended
		cancel()
		<-done
		for consumed < len(items) {
			take()
		}
	}()
	for consumed < len(items) {
		r := take()
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.replay(r.warns); err != nil {
			return err
		}
		if r.a == nil {
			continue
		}
		if err := fn(r.a); err != nil {
			return err
		}
	}
	return nil
}

// item completes the index-th article of a feed: its page fetched and
// extracted if it carries only a summary, its images attached. On
// failure it warns and returns nil.
func (f *Fetcher) item(ctx context.Context, index int, it *bundle.Article, site string, io ingest.Options, warn func(ingest.Warning)) *bundle.Article {
	skip := func(where string, err error) *bundle.Article {
		if ctx.Err() == nil {
			warn(ingest.Warning{Kind: ingest.Skipped, Path: where, Item: index, Err: unwrapFileError(err)})
		}
		return nil
	}
	if it.URL == "" || textLength(it.ContentType, it.Body) >= f.o.MinFullText {
		if base, err := parseLink(it.URL); err == nil && base != nil {
			f.attachImages(ctx, it, base, site, warn)
		}
		// The feed's bytes, as ingest took them, make the item, and
		// the images fetched complete it.
		it.Source = ingest.NewSource("feed item").Bytes(it.Source[:]).Attachments(it.Attachments).Sum()
		return it
	}
	u, err := parseLink(it.URL)
	if err != nil {
		return skip(it.URL, err)
	}
	r, err := f.get(ctx, u, kindPage, site)
	if err != nil {
		return skip(it.URL, err)
	}
	page, err := f.pageArticle(ctx, r, site, io, warn)
	if err != nil {
		return skip(it.URL, err)
	}
	a := merge(it, page)
	a.Source = itemSource(it, page.Source)
	return a
}

// itemSource is the source of an article made of a feed item and its
// page (merge): the item's fields and the page's source. Not the feed's
// bytes, which change with every new item: an item and its page that
// stay the same keep their source while the feed around them moves.
func itemSource(it *bundle.Article, page [32]byte) [32]byte {
	s := ingest.NewSource("feed item and page").Text(it.ID).Text(it.Title).Text(it.Lang).
		Time(it.Published).Time(it.Updated).Text(it.URL)
	s.Bytes(binary.BigEndian.AppendUint64(nil, uint64(len(it.Authors))))
	for _, au := range it.Authors {
		s.Text(au)
	}
	return s.Text(it.Summary).Text(it.ContentType).Bytes(it.Body).Bytes(page[:]).Sum()
}

// resolveLinks makes the relative links of a feed's items absolute
// against the feed's URL, as feed readers do (some CMSs write "/news/a"),
// and an id that was the relative link with them.
func resolveLinks(items []*bundle.Article, feed *url.URL) {
	for _, it := range items {
		if l, err := url.Parse(it.URL); it.URL == "" || err != nil || l.Host != "" {
			continue // absolute links stay as written: ids were made of them
		}
		u, err := feed.Parse(it.URL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			continue // parseLink says why, once its page is wanted
		}
		if it.ID == it.URL {
			it.ID = u.String()
		}
		it.URL = u.String()
	}
}

func parseLink(s string) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: link %s is not an absolute url", ingest.ErrMalformed, strconv.Quote(s))
	}
	return u, nil
}

// merge returns the page's article under the item's metadata: the id
// (guid, else link: stable across runs, which corrections rely on),
// title, url, dates and authors of the item win where it has them; the
// body, attachments and summary are the page's, and its language unless
// it names none.
func merge(item, page *bundle.Article) *bundle.Article {
	a := *page
	a.ID = item.ID
	if item.Title != "" {
		a.Title = item.Title
	}
	if item.URL != "" {
		a.URL = item.URL
	}
	if !item.Published.IsZero() {
		a.Published = item.Published
	}
	if !item.Updated.IsZero() {
		a.Updated = item.Updated
	}
	if len(item.Authors) > 0 {
		a.Authors = item.Authors
	}
	if a.Summary == "" {
		a.Summary = item.Summary
	}
	if a.Lang == "" || a.Lang == "und" {
		a.Lang = item.Lang
	}
	return &a
}
