package reader

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/samizdat/samizdat/internal/atomicfile"
)

//go:embed app
var appFS embed.FS

// Kinds of mirror (docs/protocol.md §8.2): a gateway answers one block per
// request; a static copy holds whole bundle files and their indexes.
const (
	KindGateway = "gateway"
	KindStatic  = "static"
	KindAuto    = "auto"
)

// SingleFile is the name under which the served app offers itself as one
// self-contained file, and which a static copy writes.
const SingleFile = "samizdat-reader.html"

// maxMirrors bounds the mirrors one page lists (each one is in its CSP).
const maxMirrors = 32

// ErrBadMirror is a mirror URL the page cannot use: not http(s), or
// holding characters that would change the page's CSP.
var ErrBadMirror = errors.New("bad mirror URL")

// Publisher is a publisher the page lists. Name is a hint shown until the
// publisher's signed document names it.
type Publisher struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Mirror is a base URL the app fetches from, and its kind (KindAuto: the
// app finds out).
type Mirror struct {
	URL  string `json:"url"`
	Kind string `json:"kind"`
}

// Options says what a page lists and where it fetches from.
type Options struct {
	Publishers []Publisher
	// Mirrors are fetched from besides the page's own origin. They are
	// the only other origins the page's CSP lets it reach.
	Mirrors []Mirror
	// Self is the kind of the origin that serves the page (KindGateway for
	// serve --http, KindStatic for a static copy), or "" for the single
	// file, which has no origin of its own to fetch from.
	Self string
	// Base is the page's own mirror relative to the page ("./" if empty).
	Base string
	// List, if set, gives Handler the publishers to list at each request
	// (a node's held heads change as it runs); else Publishers.
	List func() []Publisher
	// Learned, if set, gives the https mirrors the publishers' signed
	// documents list (docs/bundle-format.md §7), which the page lists
	// after Mirrors, as KindAuto, and lets its CSP reach: a reader who
	// loads the page can fetch from them once the mirrors it knows are
	// blocked. Those NormalizeMirror refuses are skipped, and all
	// together are bounded by maxMirrors, Mirrors first. Handler asks
	// again whenever it asks List (every listEvery).
	Learned func() []Mirror
}

// config is what the page reads from its JSON block.
type config struct {
	Version    int         `json:"version"`
	Publishers []Publisher `json:"publishers"`
	Mirrors    []Mirror    `json:"mirrors"`
	Self       *selfConfig `json:"self"`
}

type selfConfig struct {
	Kind string `json:"kind"`
	Base string `json:"base"`
}

// Page returns the app as one HTML document, with its script and style
// inline and allowed by hash, and the Content-Security-Policy that the
// page carries in a meta element (and a server should also send: CSP
// adds frame-ancestors there). served: the page comes from an origin
// (links the web app manifest and registers the service worker), else it
// is the single file.
func Page(o Options, served bool) (page []byte, csp string, err error) {
	o.Mirrors = append([]Mirror(nil), o.Mirrors...) // check normalizes them
	if o.Learned != nil {
		o.Mirrors, o.Learned = withLearned(o.Mirrors, o.Learned()), nil
	}
	if err := o.check(); err != nil {
		return nil, "", err
	}
	tmpl, err := appFS.ReadFile("app/index.html")
	if err != nil {
		return nil, "", err
	}
	style, err := appFS.ReadFile("app/app.css")
	if err != nil {
		return nil, "", err
	}
	script, err := Script()
	if err != nil {
		return nil, "", err
	}
	cfg, err := o.config(served)
	if err != nil {
		return nil, "", err
	}
	csp = o.csp(hash(script), hash(style), served)
	out := string(tmpl)
	if !served {
		out = dropServed(out)
	}
	// One pass, so that no replacement is searched for markers again. The
	// CSP sits in an attribute, where the parser would decode a character
	// reference in a mirror's URL ("&quot"): escaped, it reads as sent.
	out = strings.NewReplacer(
		"{{CSP}}", attrEscaper.Replace(csp),
		"{{STYLE}}", string(style),
		"{{SCRIPT}}", string(script),
		"{{CONFIG}}", string(cfg),
	).Replace(out)
	return []byte(out), csp, nil
}

// Script returns the app's script: every file js/ORDER lists, in order.
func Script() ([]byte, error) {
	order, err := appFS.ReadFile("app/js/ORDER")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, name := range strings.Fields(string(order)) {
		src, err := appFS.ReadFile("app/js/" + name)
		if err != nil {
			return nil, err
		}
		if bytes.Contains(src, []byte("</script")) {
			return nil, fmt.Errorf("app/js/%s: holds </script, which would end the inline script", name)
		}
		b.Write(strip(src))
	}
	return b.Bytes(), nil
}

// strip drops what a reader on a slow line need not download: blank
// lines, whole-line // comments and indentation (a third of the script).
// Line breaks stay, so no statement changes. It relies on the sources
// having no template literal or string that spans lines, which
// TestScriptStrippable checks.
func strip(src []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(src, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		out = append(append(out, line...), '\n')
	}
	return out
}

// dropServed removes the template's lines marked <!--served-->: what only
// a served page has (the manifest link).
func dropServed(s string) string {
	lines := strings.SplitAfter(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if !strings.Contains(l, "<!--served-->") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// attrEscaper escapes text for a double-quoted attribute value.
var attrEscaper = strings.NewReplacer("&", "&amp;", `"`, "&quot;")

func hash(b []byte) string {
	sum := sha256.Sum256(b)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// csp is the page's policy: its own script and style by hash and nothing
// else; images only from blob: URLs (verified attachments); requests
// only to its own origin (when served) and the listed mirrors.
func (o Options) csp(scriptHash, styleHash string, served bool) string {
	var connect []string
	if served {
		connect = append(connect, "'self'")
	}
	for _, m := range o.Mirrors {
		connect = append(connect, m.URL)
	}
	if len(connect) == 0 {
		connect = []string{"'none'"}
	}
	img := "blob:"
	if served {
		img = "'self' blob:"
	}
	p := []string{
		"default-src 'none'",
		"script-src " + scriptHash,
		"style-src " + styleHash,
		"img-src " + img,
		"connect-src " + strings.Join(connect, " "),
		"base-uri 'none'",
		"form-action 'none'",
	}
	if served {
		p = append(p, "manifest-src 'self'", "worker-src 'self'")
	}
	return strings.Join(p, "; ")
}

func (o Options) config(served bool) ([]byte, error) {
	c := config{Version: 1, Publishers: o.Publishers, Mirrors: o.Mirrors}
	if c.Publishers == nil {
		c.Publishers = []Publisher{}
	}
	if c.Mirrors == nil {
		c.Mirrors = []Mirror{}
	}
	if served || o.Self != "" {
		base := o.Base
		if base == "" {
			base = "./"
		}
		c.Self = &selfConfig{Kind: o.Self, Base: base}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	// json.Marshal escapes <, > and & in strings: nothing in it can end
	// the script element it sits in.
	return b, nil
}

// check refuses mirrors the page cannot list safely.
func (o Options) check() error {
	if len(o.Mirrors) > maxMirrors {
		return fmt.Errorf("%w: more than %d mirrors", ErrBadMirror, maxMirrors)
	}
	for i, m := range o.Mirrors {
		norm, err := NormalizeMirror(m.URL)
		if err != nil {
			return err
		}
		o.Mirrors[i].URL = norm
		switch m.Kind {
		case "":
			o.Mirrors[i].Kind = KindAuto
		case KindGateway, KindStatic, KindAuto:
		default:
			return fmt.Errorf("%w: kind %q", ErrBadMirror, m.Kind)
		}
	}
	return nil
}

// withLearned appends to the configured mirrors the learned ones that
// NormalizeMirror takes and that are not listed yet, up to maxMirrors in
// all. The configured ones are left for check to judge.
func withLearned(configured, learned []Mirror) []Mirror {
	out := append([]Mirror(nil), configured...)
	seen := make(map[string]bool, len(out)+len(learned))
	for _, m := range out {
		if n, err := NormalizeMirror(m.URL); err == nil {
			seen[n] = true
		}
	}
	for _, m := range learned {
		if len(out) >= maxMirrors {
			break
		}
		n, err := NormalizeMirror(m.URL)
		if err != nil || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, Mirror{URL: n, Kind: KindAuto})
	}
	return out
}

// NormalizeMirror checks a mirror's base URL and returns it with a
// trailing slash. It must be an absolute http or https URL without user
// information, query or fragment, whose text cannot break out of a CSP
// source expression nor widen it (a '*' host is any host).
func NormalizeMirror(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, " ;,'\"\\\t\r\n<>*") {
		return "", fmt.Errorf("%w: %q", ErrBadMirror, s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

// Handler serves the app at the root it is mounted on: the page, its
// service worker, web app manifest and icon, and the single file to save
// (SingleFile), which lists this origin as its first mirror. Every
// response carries the page's CSP.
func Handler(o Options) (http.Handler, error) {
	if o.Self == "" {
		o.Self = KindGateway
	}
	pages := &pageCache{o: o}
	if _, _, _, err := pages.get(); err != nil {
		return nil, err
	}
	files := map[string]*asset{
		"/sw.js":                newAsset(mustRead("app/sw.js"), "text/javascript; charset=utf-8"),
		"/manifest.webmanifest": newAsset(mustRead("app/manifest.webmanifest"), "application/manifest+json"),
		"/icon.svg":             newAsset(mustRead("app/icon.svg"), "image/svg+xml"),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Browsers resolve the hosts of an article's links in advance on a
		// page not served over HTTPS, which CSP does not stop: the DNS
		// resolver would learn what the article links to. The page's meta
		// element says the same for a static copy and the single file.
		h.Set("X-DNS-Prefetch-Control", "off")
		// Revalidated on every visit, so that an update reaches readers;
		// the service worker keeps a copy for when the network fails.
		h.Set("Cache-Control", "no-cache")
		page, csp, opts, err := pages.get()
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		h.Set("Content-Security-Policy", csp+"; frame-ancestors 'none'")
		switch r.URL.Path {
		case "/", "/index.html":
			page.serve(w, r)
			return
		case "/" + SingleFile:
			serveSingle(w, r, opts)
			return
		}
		f, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		f.serve(w, r)
	}), nil
}

// pageCache builds the served page again only when the publishers or the
// mirrors it lists change, and asks List and Learned for them at most
// every listEvery: a page request costs no head parsing.
type pageCache struct {
	o       Options
	mu      sync.Mutex
	listed  []Publisher
	learned []Mirror
	at      time.Time // when List and Learned were last asked
	key     string
	page    *asset
	csp     string
}

// listEvery bounds how often a served page asks the node for the
// publishers it holds and the mirrors they list: a new publisher or
// mirror shows within this time.
const listEvery = 10 * time.Second

// asset is a served file with its gzip form and entity tag: a first visit
// costs the compressed bytes, a return visit a 304.
type asset struct {
	body, gz []byte
	ctype    string
	etag     string
}

func newAsset(body []byte, ctype string) *asset {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	sum := sha256.Sum256(body)
	return &asset{body: body, gz: b.Bytes(), ctype: ctype, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
}

// serve writes a, compressed if the client takes gzip, or 304 if the
// client has it.
func (a *asset) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Add("Vary", "Accept-Encoding")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// options are c.o with the publishers and mirrors to list now. c.mu is
// held.
func (c *pageCache) options() Options {
	o := c.o
	if (o.List != nil || o.Learned != nil) && (c.at.IsZero() || time.Since(c.at) >= listEvery) {
		c.at = time.Now()
		if o.List != nil {
			c.listed = o.List()
		}
		if o.Learned != nil {
			c.learned = o.Learned()
		}
	}
	if o.List != nil {
		o.Publishers = c.listed
	}
	if o.Learned != nil {
		o.Mirrors, o.Learned = withLearned(o.Mirrors, c.learned), nil
	}
	return o
}

func (c *pageCache) get() (*asset, string, Options, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.options()
	key, _ := json.Marshal([]any{o.Publishers, o.Mirrors})
	if c.page != nil && string(key) == c.key {
		return c.page, c.csp, o, nil
	}
	page, csp, err := Page(o, true)
	if err != nil {
		return nil, "", o, err
	}
	c.key, c.page, c.csp = string(key), newAsset(page, "text/html; charset=utf-8"), csp
	return c.page, csp, o, nil
}

// serveSingle answers the single file, made for this request: its first
// mirror is the origin it was asked from (the page's own base, made
// absolute), then the configured ones.
func serveSingle(w http.ResponseWriter, r *http.Request, o Options) {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	// The page's URL as the client asked for it (RequestURI is before any
	// StripPrefix), and the page's own mirror relative to it.
	var self string
	if ru, err := url.ParseRequestURI(r.RequestURI); err == nil {
		page := &url.URL{Scheme: scheme, Host: r.Host, Path: ru.Path}
		base := o.Base
		if base == "" {
			base = "./"
		}
		if b, err := url.Parse(base); err == nil {
			self = page.ResolveReference(b).String()
		}
	}
	// The origin comes first; a learned mirror at the end of a full list
	// makes room for it.
	o.Mirrors = append([]Mirror{{URL: self, Kind: o.Self}}, o.Mirrors[:min(len(o.Mirrors), maxMirrors-1)]...)
	o.Self = ""
	single, csp, err := Page(o, false)
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest) // a Host that is no URL
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp+"; frame-ancestors 'none'")
	h.Set("Content-Disposition", `attachment; filename="`+SingleFile+`"`)
	w.Write(single)
}

func mustRead(name string) []byte {
	b, err := appFS.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: a missing file is a build bug
	}
	return b
}

// WriteFiles writes the app into a static copy's directory: index.html
// (the page, reading from the directory it is in), its service worker,
// manifest and icon; and, when the copy's public URL is known (o.Mirrors
// lists it), SingleFile. Each file is written atomically.
func WriteFiles(dir string, o Options) error {
	o.Self = KindStatic
	// The single file needs the copy's own URL, which only the configured
	// mirrors can give; the learned ones are asked for once, for both.
	configured := len(o.Mirrors)
	if o.Learned != nil {
		o.Mirrors, o.Learned = withLearned(o.Mirrors, o.Learned()), nil
	}
	page, _, err := Page(o, true)
	if err != nil {
		return err
	}
	write := func(name string, b []byte) error {
		return atomicfile.WriteBytes(filepath.Join(dir, name), 0o644, b)
	}
	if err := write("index.html", page); err != nil {
		return err
	}
	for _, name := range []string{"sw.js", "manifest.webmanifest", "icon.svg"} {
		if err := write(name, mustRead("app/"+name)); err != nil {
			return err
		}
	}
	if configured == 0 {
		return nil // a single file with no mirror of its own could fetch nothing
	}
	o.Self = ""
	single, _, err := Page(o, false)
	if err != nil {
		return err
	}
	return write(SingleFile, single)
}

// Files lists the app's embedded sources, for the size figures.
func Files() ([]string, error) {
	var out []string
	err := fs.WalkDir(appFS, "app", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	return out, err
}
