// Package web serves the reader UI: the articles a node holds, as pages a
// browser shows without JavaScript and without a single request off the
// reader's own origin. Its API may change before v1.
//
// Every response carries a Content-Security-Policy that allows nothing but
// same-origin images and styles; article bodies are sanitized (see
// docs/design.md, "Reader UI"). Nothing a reader reads, searches for or
// follows is logged. A page decodes only the part of a body it shows, and
// an attachment is streamed a block at a time, so what a request costs
// does not grow with what an article carries.
package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
	"github.com/samizdat/samizdat/web/search"
)

// Security headers sent with every response.
const (
	// CSP forbids every request off the reader's own origin: no scripts
	// at all, images and the style sheet from this origin only, forms
	// posting here only, and no framing.
	CSP = "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	// attachmentCSP adds a sandbox for attachments opened on their own
	// (an SVG, say): they run nothing.
	attachmentCSP = CSP + "; sandbox"
)

//go:embed assets
var assets embed.FS

// Config configures a Server. Node is required; the zero value of every
// other field works.
type Config struct {
	// Node holds the bundles shown, and each publisher's newest head
	// (for freshness) in its head store.
	Node *node.Node
	// Index is the full-text index; nil disables search. The server adds
	// held bundles to it and removes dropped ones on Refresh.
	Index *search.Index
	// Follow is called for a link the reader submits in the follow form;
	// nil (or Public) means there is no follow form.
	Follow func(ctx context.Context, link node.Link) error
	// Public serves the same pages to anyone: no follow form, no POST,
	// any Host header, and a bound on the article pages, searches and
	// downloads under way at once, beyond which requests are answered
	// 503 (publicWorkPerCPU, publicDownloads). A private reader (the
	// default) answers only requests addressed to a loopback host, so a
	// web page elsewhere cannot read it through DNS rebinding.
	Public bool
	// Logger receives operational logs; nil discards them. They never name
	// an article, a query or a publisher.
	Logger *slog.Logger
}

// Server is the reader UI, an http.Handler. Call Refresh after the node's
// bundles change; Close when done.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	tmpl    map[string]*template.Template
	css     []byte
	render  *renderer
	bodies  *bodyCache
	bundles *bundleCache
	csrf    *http.CrossOriginProtection
	// token is this server's secret for state-changing requests: the
	// follow form carries it, and a POST without it is refused.
	token string
	// work and downloads are the slots of the public pages' bounds on
	// expensive requests (publicWorkPerCPU, publicDownloads); nil for the
	// private reader, which is not bounded.
	work, downloads chan struct{}
	// stall is downloadStall; tests shorten it.
	stall time.Duration
	// hold, if set (by tests), is called by every request that would
	// take a slot of work or downloads, once it holds it.
	hold func()

	refreshMu sync.Mutex // one Refresh at a time
	// listings caches each held bundle's article list (bundles never
	// change), so a Refresh opens only new bundles. Guarded by refreshMu.
	listings map[cid.Cid]*listing
	mu       sync.RWMutex
	st       *state // guarded by mu; replaced whole by Refresh
}

// listing is what Refresh takes from one bundle.
type listing struct {
	name     string // the publisher document's name, if any
	articles []bundle.ArticleInfo
}

// state is what Refresh computed from the node: a snapshot the pages read.
type state struct {
	gen        uint64 // counts Refreshes: a key for whole cached pages
	held       map[cid.Cid]bundle.Info
	articles   []listed // newest first, one per (publisher, id)
	langs      []langCount
	publishers map[string]*publisher
	pubOrder   []string
}

type listed struct {
	root      cid.Cid
	publisher string
	id        string
	title     string
	lang      string
	base      string // primary language subtag, lower case
	time      time.Time
	seq       uint64
}

type langCount struct {
	Tag   string
	Count int
}

type publisher struct {
	ID         string
	Name       string
	Head       *node.Head
	LastUpdate time.Time // newest held bundle's creation
	Bundles    int
	Articles   int
}

// New returns a Server and runs a first Refresh.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Node == nil {
		return nil, errors.New("web: Config.Node is required")
	}
	s := &Server{cfg: cfg, log: cfg.Logger, render: newRenderer(), bodies: newBodyCache(),
		bundles: newBundleCache(cfg.Node.OpenBundle), csrf: http.NewCrossOriginProtection(), token: rand.Text(),
		st: &state{held: map[cid.Cid]bundle.Info{}, publishers: map[string]*publisher{}}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Public {
		s.cfg.Follow = nil
		s.work = make(chan struct{}, publicWorkPerCPU*runtime.GOMAXPROCS(0))
		s.downloads = make(chan struct{}, publicDownloads)
	}
	s.stall = downloadStall
	funcs := template.FuncMap{"date": formatDate}
	s.tmpl = make(map[string]*template.Template)
	for _, page := range []string{"list", "article", "publishers", "search", "error"} {
		t, err := template.New(page).Funcs(funcs).ParseFS(assets, "assets/layout.html", "assets/"+page+".html")
		if err != nil {
			return nil, err
		}
		s.tmpl[page] = t.Lookup(page + ".html")
	}
	css, err := assets.ReadFile("assets/style.css")
	if err != nil {
		return nil, err
	}
	s.css = css
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /{$}", s.handleList)
	s.mux.HandleFunc("GET /a/{root}/{id}", s.handleArticle)
	s.mux.HandleFunc("GET /att/{root}/{id}/{name...}", s.handleAttachment)
	s.mux.HandleFunc("GET /publishers", s.handlePublishers)
	s.mux.HandleFunc("GET /search", s.handleSearch)
	s.mux.HandleFunc("GET /static/style.css", s.handleCSS)
	if s.cfg.Follow != nil {
		s.mux.Handle("POST /follow", s.csrf.Handler(http.HandlerFunc(s.handleFollow)))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, http.StatusNotFound, "Not found", "There is nothing at this address.")
	})
	if err := s.Refresh(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the bundles the server holds open. The index is the
// caller's to close.
func (s *Server) Close() error {
	s.bundles.close()
	return nil
}

// ServeHTTP serves the reader UI. Every response, errors included, carries
// the security headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// Browsers resolve the hosts of links on a page in advance; CSP does
	// not stop that, and the DNS server would learn what the page links to.
	h.Set("X-DNS-Prefetch-Control", "off")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if !s.cfg.Public && !loopbackHost(r.Host) {
		s.errorPage(w, http.StatusMisdirectedRequest, "Wrong address", "This reader answers only on the local machine's address.")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && (r.Method != http.MethodPost || s.cfg.Follow == nil) {
		h.Set("Allow", "GET, HEAD")
		s.errorPage(w, http.StatusMethodNotAllowed, "Not allowed", "This reader only shows pages.")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// loopbackHost reports whether a Host header names this machine:
// localhost or a loopback address, with any port.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// listing returns a held bundle's article list, opening the bundle only
// the first time. The caller holds refreshMu.
func (s *Server) listing(root cid.Cid) (*listing, error) {
	if ls, ok := s.listings[root]; ok {
		return ls, nil
	}
	b, release, err := s.bundles.acquire(root)
	if err != nil {
		return nil, err
	}
	defer release()
	ls := &listing{articles: b.List()}
	if b.Authority != nil {
		ls.name = b.Authority.Name
	}
	if s.listings == nil {
		s.listings = make(map[cid.Cid]*listing)
	}
	s.listings[root] = ls
	return ls, nil
}

// Refresh brings the server up to date with the bundles the node holds
// and the heads it trusts: it lists their articles, adds new bundles to
// the search index and removes dropped ones.
func (s *Server) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	infos := s.cfg.Node.HeldBundles()
	heldSet := make(map[cid.Cid]bool, len(infos))
	for _, in := range infos {
		heldSet[in.Root] = true
	}
	s.bundles.retain(heldSet)
	st, errs, err := s.list(ctx, infos)
	if err != nil {
		return err
	}
	for root := range s.listings {
		if !heldSet[root] {
			delete(s.listings, root)
		}
	}
	s.mu.Lock()
	st.gen = s.st.gen + 1
	s.st = st
	s.mu.Unlock()
	// The pages show the new articles now; search finds them once the
	// (slower) indexing below is done.
	ierrs, err := s.index(ctx, infos, heldSet)
	if err != nil {
		return err
	}
	if errs = append(errs, ierrs...); len(errs) > 0 {
		// Counts only: which bundle failed would say what is held.
		s.log.Warn("reader refresh: some bundles could not be read or indexed", "failures", len(errs))
	}
	return nil
}

// list builds the pages' state from the held bundles and the stored
// heads: errs are the bundles that could not be listed; err is ctx's.
func (s *Server) list(ctx context.Context, infos []bundle.Info) (st *state, errs []error, err error) {
	st = &state{held: make(map[cid.Cid]bundle.Info, len(infos)), publishers: map[string]*publisher{}}
	for _, in := range infos {
		st.held[in.Root] = in
	}
	// Newest bundles first, so the newest copy of an article wins.
	infos = slices.Clone(infos)
	slices.SortFunc(infos, func(a, b bundle.Info) int {
		return cmp.Or(strings.Compare(a.Publisher, b.Publisher), cmp.Compare(b.Seq, a.Seq))
	})
	type key struct{ pub, id string }
	seen := make(map[key]bool)
	langs := map[string]int{}
	for _, in := range infos {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		p := st.publisher(in.Publisher)
		if p.Bundles == 0 {
			p.LastUpdate = in.Created
		}
		p.Bundles++
		ls, err := s.listing(in.Root)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if p.Name == "" {
			p.Name = ls.name
		}
		for _, ai := range ls.articles {
			k := key{in.Publisher, ai.ID}
			if seen[k] {
				continue
			}
			seen[k] = true
			p.Articles++
			l := listed{root: in.Root, publisher: in.Publisher, id: ai.ID, title: ai.Title, lang: ai.Lang,
				base: langBase(ai.Lang), time: ai.Date(), seq: in.Seq}
			langs[l.base]++
			st.articles = append(st.articles, l)
		}
	}
	slices.SortStableFunc(st.articles, func(a, b listed) int {
		return cmp.Or(b.time.Compare(a.time), cmp.Compare(b.seq, a.seq), strings.Compare(a.id, b.id))
	})
	for tag, n := range langs {
		st.langs = append(st.langs, langCount{tag, n})
	}
	slices.SortFunc(st.langs, func(a, b langCount) int { return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Tag, b.Tag)) })
	// Heads of every publisher the repo trusts, held bundles or not.
	heads := s.cfg.Node.Heads()
	for _, id := range heads.List() {
		if h, err := heads.Get(id); err == nil && h != nil {
			st.publisher(id).Head = h
		}
	}
	slices.Sort(st.pubOrder)
	return st, errs, nil
}

// publisher returns the state's entry for id, adding it if new.
func (st *state) publisher(id string) *publisher {
	p := st.publishers[id]
	if p == nil {
		p = &publisher{ID: id}
		st.publishers[id] = p
		st.pubOrder = append(st.pubOrder, id)
	}
	return p
}

// index adds the held bundles the search index lacks and removes the
// ones no longer held: errs are the bundles that failed; err is ctx's.
func (s *Server) index(ctx context.Context, infos []bundle.Info, held map[cid.Cid]bool) (errs []error, err error) {
	if s.cfg.Index == nil {
		return nil, nil
	}
	for _, in := range infos {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if s.cfg.Index.Has(in.Root) {
			continue
		}
		b, release, err := s.bundles.acquire(in.Root)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := s.cfg.Index.AddBundle(b); err != nil {
			errs = append(errs, err)
		}
		release()
	}
	for _, root := range s.cfg.Index.Indexed() {
		if !held[root] {
			if err := s.cfg.Index.RemoveBundle(root); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs, nil
}

func (s *Server) state() *state {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st
}

func langBase(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(tag), "-")
	return base
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return "unknown date"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// articleHref is an article's page. The id is one escaped path segment;
// "." and ".." are escaped too, so no path cleaning touches them.
func articleHref(root cid.Cid, id string) string {
	return "/a/" + root.String() + "/" + escapeSegment(id)
}

func attachmentHref(root cid.Cid, id, name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = escapeSegment(p)
	}
	return "/att/" + root.String() + "/" + escapeSegment(id) + "/" + strings.Join(parts, "/")
}

func escapeSegment(s string) string {
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(s)
}

// freshness is what a page says about a publisher's head.
type freshness struct {
	Known      bool
	Expired    bool
	Seq        uint64
	Expires    time.Time
	LastUpdate time.Time
}

func (p *publisher) freshness(now time.Time) freshness {
	if p == nil || p.Head == nil {
		return freshness{}
	}
	last := p.LastUpdate
	if last.IsZero() {
		last = p.Head.Expires
	}
	return freshness{Known: true, Expired: p.Head.Expired || !now.Before(p.Head.Expires),
		Seq: p.Head.Seq, Expires: p.Head.Expires, LastUpdate: last}
}

// fingerprintLen is how many characters of a publisher ID its
// fingerprint shows. The ID's last characters encode the key's last
// bytes (its first ones, "12D3KooW", are the same for every key). Ten
// base58 characters are 58 bits: a key whose ID ends in another
// publisher's ten takes some 2^58 tries to find, thousands of times the
// 2^47 of eight, which a GPU vanity-key search does in days.
const fingerprintLen = 10

// fingerprint returns the short form of a publisher ID shown beside its
// name wherever the name appears: the ID's last fingerprintLen
// characters, so it can be checked against the full ID in a link.
func fingerprint(id string) string {
	if len(id) <= fingerprintLen {
		return id
	}
	return id[len(id)-fingerprintLen:]
}

// pubLabel is what a page shows to name a publisher: the name it chose,
// which anyone can copy, and the fingerprint of its key, which the
// "publisher" template puts in an element of its own.
type pubLabel struct {
	Name, Fingerprint string
}

// label returns the label of the publisher id; p may be nil.
func (p *publisher) label(id string) pubLabel {
	l := pubLabel{Fingerprint: fingerprint(id)}
	if p != nil {
		l.Name = p.Name
	}
	return l
}

func (s *Server) executeString(page string, data any) (string, error) {
	var buf strings.Builder
	err := s.tmpl[page].Execute(&buf, data)
	return buf.String(), err
}

func (s *Server) execute(w http.ResponseWriter, status int, page string, data any) {
	html, err := s.executeString(page, data)
	if err != nil {
		s.log.Error("reader page template failed", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeHTML(w, status, html)
}

func writeHTML(w http.ResponseWriter, status int, html string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(html)))
	w.WriteHeader(status)
	io.WriteString(w, html)
}

func (s *Server) errorPage(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	s.execute(w, status, "error", struct{ Title, Message string }{title, msg})
}

// begin takes a slot of slots (work or downloads) for an expensive
// request and returns the function that gives it back. When every slot is
// taken it answers 503 with a Retry-After and returns ok false: the
// request is refused at once, not queued. nil slots (the private reader)
// bound nothing.
func (s *Server) begin(w http.ResponseWriter, slots chan struct{}) (end func(), ok bool) {
	end = func() {}
	if slots != nil {
		select {
		case slots <- struct{}{}:
			end = func() { <-slots }
		default:
			w.Header().Set("Retry-After", strconv.Itoa(busyRetryAfter))
			s.errorPage(w, http.StatusServiceUnavailable, "Busy", "This reader is busy. Try again in a few seconds.")
			return nil, false
		}
	}
	if s.hold != nil {
		s.hold()
	}
	return end, true
}

func (s *Server) handleCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Write(s.css)
}

type articleItem struct {
	Href, Title, Lang string
	Publisher         pubLabel
	Time              time.Time
}

func (s *Server) item(st *state, root cid.Cid, publisherID, id, title, lang string, t time.Time) articleItem {
	if title == "" {
		title = id
	}
	return articleItem{Href: articleHref(root, id), Title: title, Lang: lang, Time: t,
		Publisher: st.publishers[publisherID].label(publisherID)}
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	st := s.state()
	q := r.URL.Query()
	lang := q.Get("lang")
	if len(lang) > maxLangLen {
		s.errorPage(w, http.StatusBadRequest, "Bad request", "The language filter is too long.")
		return
	}
	lang = langBase(lang)
	page := 1
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > maxPage {
			s.errorPage(w, http.StatusBadRequest, "Bad request", "No such page number.")
			return
		}
		page = n
	}
	skip := (page - 1) * pageSize
	var items []articleItem
	more := false
	for _, a := range st.articles {
		if lang != "" && a.base != lang {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(items) == pageSize {
			more = true
			break
		}
		items = append(items, s.item(st, a.root, a.publisher, a.id, a.title, a.lang, a.time))
	}
	pageURL := func(n int) string {
		v := url.Values{}
		if lang != "" {
			v.Set("lang", lang)
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/"
		}
		return "/?" + v.Encode()
	}
	data := struct {
		Title      string
		Articles   []articleItem
		Langs      []langCount
		Lang       string
		Prev, Next string
		Public     bool
		Stale      []struct {
			Publisher  pubLabel
			LastUpdate time.Time
		}
	}{Title: "Articles", Articles: items, Langs: st.langs, Lang: lang, Public: s.cfg.Public}
	if page > 1 {
		data.Prev = pageURL(page - 1)
	}
	if more {
		data.Next = pageURL(page + 1)
	}
	now := time.Now()
	for _, id := range st.pubOrder {
		p := st.publishers[id]
		if f := p.freshness(now); f.Expired && p.Bundles > 0 {
			data.Stale = append(data.Stale, struct {
				Publisher  pubLabel
				LastUpdate time.Time
			}{p.label(id), f.LastUpdate})
		}
	}
	s.execute(w, http.StatusOK, "list", data)
}

// lookup finds a held bundle by the root in a URL.
func (s *Server) lookup(st *state, rootStr string) (bundle.Info, bool) {
	root, err := cid.Decode(rootStr)
	if err != nil {
		return bundle.Info{}, false
	}
	in, ok := st.held[root]
	return in, ok
}

func (s *Server) handleArticle(w http.ResponseWriter, r *http.Request) {
	st := s.state()
	in, ok := s.lookup(st, r.PathValue("root"))
	id := r.PathValue("id")
	if !ok || len(id) > bundle.MaxIDLen {
		s.errorPage(w, http.StatusNotFound, "Not found", "This reader holds no such article.")
		return
	}
	key := in.Root.String() + "\x00" + id
	p := st.publishers[in.Publisher]
	fresh := p.freshness(time.Now())
	// A whole page depends on the article (immutable), the publisher's
	// name and head (changed only by Refresh) and whether the head has
	// expired by now.
	pageKey := fmt.Sprintf("page\x00%d\x00%t\x00%s", st.gen, fresh.Expired, key)
	if page, ok := s.bodies.get(pageKey); ok {
		writeHTML(w, http.StatusOK, page)
		return
	}
	page, ok := s.articlePage(w, in, id, key, p, fresh)
	if !ok {
		return // answered already
	}
	s.bodies.put(pageKey, page)
	writeHTML(w, http.StatusOK, page)
}

// articlePage builds an article page not cached, within a slot of the
// work bound, and returns it for the caller to write once the slot is
// given back, so that a slow client holds none. ok false means it
// answered the request itself, with an error.
func (s *Server) articlePage(w http.ResponseWriter, in bundle.Info, id, key string, p *publisher, fresh freshness) (page string, ok bool) {
	end, ok := s.begin(w, s.work)
	if !ok {
		return "", false
	}
	defer end()
	b, release, err := s.bundles.acquire(in.Root)
	if err != nil {
		s.log.Warn("reader: a held bundle could not be opened")
		s.errorPage(w, http.StatusInternalServerError, "Cannot read", "The bundle holding this article could not be read.")
		return "", false
	}
	defer release()
	ai, err := b.Lookup(id)
	if err != nil {
		s.errorPage(w, http.StatusNotFound, "Not found", "This reader holds no such article.")
		return "", false
	}
	truncated := ai.Size > maxRenderedBody
	body, err := s.articleBody(b, in.Root, ai, key)
	if err != nil {
		// No id in the log: it would say what someone read.
		s.log.Warn("reader: an article failed verification", "invalid", errors.Is(err, bundle.ErrInvalid))
		s.errorPage(w, http.StatusInternalServerError, "Cannot read", "This article could not be read or failed verification.")
		return "", false
	}
	heading := ai.Title
	if heading == "" {
		heading = ai.ID
	}
	data := struct {
		Title, Heading, Lang, URL string
		Publisher, Signer         string
		PublisherLabel            pubLabel
		Authors                   []string
		Published, Updated        time.Time
		Created                   time.Time
		Seq                       uint64
		Fresh                     freshness
		Body                      template.HTML
		Truncated                 bool
	}{
		Title: heading, Heading: heading, Lang: ai.Lang, Publisher: in.Publisher, Signer: in.Signer,
		PublisherLabel: p.label(in.Publisher), Authors: ai.Authors, Published: ai.Published, Created: in.Created,
		Updated: ai.Updated,
		Seq:     in.Seq, Fresh: fresh, Body: template.HTML(body), Truncated: truncated,
	}
	if u, err := url.Parse(ai.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
		data.URL = ai.URL
	}
	page, err = s.executeString("article", data)
	if err != nil {
		s.log.Error("reader page template failed", "page", "article", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return "", false
	}
	return page, true
}

// articleBody returns an article's rendered body, cut to
// maxRenderedBody, from the cache under key or read, rendered and cached
// now.
func (s *Server) articleBody(b *bundle.Bundle, root cid.Cid, ai bundle.ArticleInfo, key string) (string, error) {
	if body, ok := s.bodies.get(key); ok {
		return body, nil
	}
	body, err := shownBody(b, ai.ID)
	if err != nil {
		return "", err
	}
	html := s.render.render(ai.ContentType, body, ai.Attachments, func(name string) string { return attachmentHref(root, ai.ID, name) })
	s.bodies.put(key, html)
	return html, nil
}

// shownBody returns the part of an article's body that its page shows:
// all of it, or, if it is longer than maxRenderedBody, its first
// maxRenderedBody bytes cut to a character boundary. Only the blocks of
// those bytes are decoded, and no attachment. A whole body has been
// checked against its content CID; a cut one block by block, so every
// byte shown is still the publisher's.
func shownBody(b *bundle.Bundle, id string) ([]byte, error) {
	r, err := b.BodyReader(id)
	if err != nil {
		return nil, err
	}
	// One byte more than is shown, so a cut can find where the
	// character at the edge begins.
	buf := make([]byte, min(r.Size(), maxRenderedBody+1))
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return search.CutUTF8(buf, maxRenderedBody), nil
}

// inlineImages are the attachment types served as themselves and shown
// in articles; anything else (SVG, which can carry scripts, included) is
// served as a download.
var inlineImages = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/avif": true}

func (s *Server) handleAttachment(w http.ResponseWriter, r *http.Request) {
	st := s.state()
	in, ok := s.lookup(st, r.PathValue("root"))
	id, name := r.PathValue("id"), r.PathValue("name")
	notFound := func() { s.errorPage(w, http.StatusNotFound, "Not found", "This reader holds no such file.") }
	if !ok {
		notFound()
		return
	}
	end, ok := s.begin(w, s.downloads)
	if !ok {
		return
	}
	defer end()
	b, release, err := s.bundles.acquire(in.Root)
	if err != nil {
		notFound()
		return
	}
	defer release()
	ai, err := b.Lookup(id)
	if err != nil {
		notFound()
		return
	}
	i := slices.IndexFunc(ai.Attachments, func(a bundle.AttachmentInfo) bool { return a.Name == name })
	if i < 0 {
		notFound()
		return
	}
	att, err := b.AttachmentReader(id, name)
	if err != nil {
		notFound()
		return
	}
	// A HEAD request decodes nothing: the signed manifest has the size.
	var buf []byte
	var n int
	if r.Method != http.MethodHead {
		// The first chunk is read before the status is sent, so a file
		// that fails verification at once gets an error page.
		buf = make([]byte, streamChunk)
		if n, err = att.Read(buf); err != nil && err != io.EOF {
			s.log.Warn("reader: an attachment failed verification", "invalid", errors.Is(err, bundle.ErrInvalid))
			s.errorPage(w, http.StatusInternalServerError, "Cannot read", "This file could not be read or failed verification.")
			return
		}
	}
	h := w.Header()
	h.Set("Content-Security-Policy", attachmentCSP)
	ct := ai.Attachments[i].ContentType
	if inlineImages[ct] {
		h.Set("Content-Type", ct)
	} else {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", "attachment")
	}
	h.Set("Cache-Control", "max-age=31536000, immutable") // addressed by content
	h.Set("Content-Length", strconv.FormatInt(att.Size(), 10))
	if r.Method == http.MethodHead {
		return
	}
	if err := s.stream(w, att, buf, n, err); err != nil {
		// The status and part of the file are sent: the response ends
		// short of its Content-Length, and the client sees it cut.
		s.log.Warn("reader: an attachment failed verification", "invalid", errors.Is(err, bundle.ErrInvalid))
	}
}

// stream writes to w what a Read of att into buf returned (n bytes and
// err), then the rest of att, decoding it a block at a time through buf.
// A client that takes no chunk for s.stall is cut off. It returns att's
// error, not w's: a client gone is not news.
func (s *Server) stream(w http.ResponseWriter, att *bundle.Reader, buf []byte, n int, err error) error {
	// Not every ResponseWriter has deadlines (a test's may not): without
	// them, a stalled client holds the download until it goes.
	rc := http.NewResponseController(w)
	for {
		if n > 0 {
			rc.SetWriteDeadline(time.Now().Add(s.stall))
			if _, werr := w.Write(buf[:n]); werr != nil {
				return nil
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		n, err = att.Read(buf)
	}
	// What is buffered goes out under the last deadline; then the
	// connection, which may serve another request, has none again.
	if rc.Flush() == nil {
		rc.SetWriteDeadline(time.Time{})
	}
	return nil
}

type publisherItem struct {
	ID                string
	Label             pubLabel
	Fresh             freshness
	Bundles, Articles int
}

func (s *Server) publishersPage(w http.ResponseWriter, status int, msg, errMsg string) {
	st := s.state()
	now := time.Now()
	if s.cfg.Follow != nil {
		w.Header().Set("Cache-Control", "no-store") // the form's token
	}
	var items []publisherItem
	for _, id := range st.pubOrder {
		p := st.publishers[id]
		items = append(items, publisherItem{ID: id, Label: p.label(id), Fresh: p.freshness(now), Bundles: p.Bundles, Articles: p.Articles})
	}
	s.execute(w, status, "publishers", struct {
		Title          string
		Publishers     []publisherItem
		CanFollow      bool
		MaxLink        int
		Token          string
		Message, Error string
	}{"Publishers", items, s.cfg.Follow != nil, node.MaxLinkLen, s.token, msg, errMsg})
}

func (s *Server) handlePublishers(w http.ResponseWriter, r *http.Request) {
	msg := ""
	if r.URL.Query().Get("followed") == "1" {
		msg = "Following. Articles appear here once a peer has sent them."
	}
	s.publishersPage(w, http.StatusOK, msg, "")
}

func (s *Server) handleFollow(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.publishersPage(w, http.StatusBadRequest, "", "The form could not be read.")
		return
	}
	// CrossOriginProtection stopped browsers on other sites; the token
	// stops what sends no Origin or Sec-Fetch-Site (another program on
	// this machine, an old browser) and has not read the form.
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(s.token)) != 1 {
		s.publishersPage(w, http.StatusForbidden, "", "This form has expired (the reader was restarted since it was shown): submit it again.")
		return
	}
	link, err := node.ParseLink(r.PostForm.Get("link"))
	if err != nil {
		s.publishersPage(w, http.StatusBadRequest, "", "That is not a publisher ID or a samizdat: link.")
		return
	}
	if err := s.cfg.Follow(r.Context(), link); err != nil {
		// Not logged: it would name the publisher.
		s.publishersPage(w, http.StatusInternalServerError, "", "Could not follow: "+err.Error())
		return
	}
	http.Redirect(w, r, "/publishers?followed=1", http.StatusSeeOther)
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	st := s.state()
	q := r.URL.Query()
	query, lang := q.Get("q"), q.Get("lang")
	data := struct {
		Title, Query, Lang, Error string
		MaxQuery                  int
		Langs                     []langCount
		Searched                  bool
		Hits                      []articleItem
	}{Title: "Search", Query: query, Lang: langBase(lang), MaxQuery: maxQueryLen, Langs: st.langs}
	status := http.StatusOK
	switch {
	case s.cfg.Index == nil:
		data.Error = "Search is not available on this reader."
	case len(query) > maxQueryLen || len(lang) > maxLangLen:
		data.Error, status = "The search is too long.", http.StatusBadRequest
		data.Query = ""
	case strings.TrimSpace(query) != "":
		end, ok := s.begin(w, s.work)
		if !ok {
			return
		}
		hits, err := s.cfg.Index.Search(query, data.Lang, searchLimit)
		end()
		if err != nil {
			s.log.Warn("reader: search failed") // not the query
			data.Error, status = "The search failed.", http.StatusInternalServerError
			break
		}
		data.Searched = true
		for _, h := range hits {
			if _, ok := st.held[h.Root]; !ok {
				continue
			}
			data.Hits = append(data.Hits, s.item(st, h.Root, h.Publisher, h.ID, h.Title, h.Lang, h.Published))
		}
	}
	s.execute(w, status, "search", data)
}
