package reader

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestScriptStrippable checks what strip relies on: no line of the app's
// sources is inside a template literal or a string continued on the next
// line (an odd number of backticks, a trailing backslash), nor a block
// comment.
func TestScriptStrippable(t *testing.T) {
	order, err := appFS.ReadFile("app/js/ORDER")
	if err != nil {
		t.Fatal(err)
	}
	// Backticks inside regular expression literals and quoted strings are
	// not template delimiters.
	quoted := regexp.MustCompile(`/(?:\\.|\[(?:\\.|[^\]])*\]|[^/\n])+/[dgimsuy]*|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"`)
	for _, name := range strings.Fields(string(order)) {
		src, err := appFS.ReadFile("app/js/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			code := line
			if j := strings.Index(code, " // "); j >= 0 {
				code = code[:j]
			}
			code = quoted.ReplaceAllString(code, "")
			if strings.Count(code, "`")%2 == 1 || strings.HasSuffix(strings.TrimSpace(line), `\`) ||
				strings.HasPrefix(strings.TrimSpace(line), "/*") {
				t.Errorf("%s:%d: a line strip cannot take apart: %s", name, i+1, line)
			}
		}
	}
}

// TestPage checks the assembled page: the markers filled, the CSP allowing
// exactly the inline script and style by hash, the mirrors and nothing
// else, the served-only lines only when served.
func TestPage(t *testing.T) {
	o := Options{Publishers: []Publisher{{ID: "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5", Name: "A </script> name"}},
		Mirrors: []Mirror{{URL: "https://mirror.example/news"}}}
	page, csp, err := Page(o, true)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, m := range []string{"{{CSP}}", "{{STYLE}}", "{{SCRIPT}}", "{{CONFIG}}"} {
		if strings.Contains(s, m) {
			t.Errorf("marker %s left in the page", m)
		}
	}
	if strings.Count(s, "</script>") != 2 { // the config block and the app
		t.Errorf("the page has %d </script>, want 2: a name ended a script early", strings.Count(s, "</script>"))
	}
	script, _ := Script()
	for _, want := range []string{"script-src " + hash(script), "connect-src 'self' https://mirror.example/news/", "default-src 'none'", "img-src 'self' blob:"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q allows something unsafe", csp)
	}
	if !strings.Contains(s, `<link rel="manifest"`) {
		t.Error("the served page does not link its manifest")
	}
	single, csp1, err := Page(o, false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(single), `<link rel="manifest"`) || strings.Contains(csp1, "'self'") {
		t.Errorf("the single file refers to an origin of its own: %s", csp1)
	}
	if !strings.Contains(string(single), `content="`+csp1+`"`) {
		t.Error("the single file does not carry its CSP")
	}
}

// TestBadMirrors: a mirror URL that could break out of the CSP, or is not
// http(s), is refused.
func TestBadMirrors(t *testing.T) {
	for _, u := range []string{"javascript:alert(1)", "https://a.example/; script-src *", "https://a.example/'unsafe-inline'",
		"ftp://a.example/", "https://user@a.example/", "https://a.example/?q=1", "/relative", "https://a.example/ x", "https://a.example/,b"} {
		if _, _, err := Page(Options{Mirrors: []Mirror{{URL: u}}}, true); err == nil {
			t.Errorf("mirror %q accepted", u)
		}
	}
	if _, _, err := Page(Options{Mirrors: []Mirror{{URL: "https://a.example", Kind: "other"}}}, true); err == nil {
		t.Error("an unknown kind accepted")
	}
}

// TestHandler: the page gzipped with its CSP, a 304 on a return visit, the
// single file as a download that lists the origin it came from.
func TestHandler(t *testing.T) {
	h, err := Handler(Options{})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "http://mirror.example"+path, nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := get("/", map[string]string{"Accept-Encoding": "gzip"})
	if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("page: %d %v", w.Code, w.Header())
	}
	zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	plain.ReadFrom(zr)
	if !strings.Contains(plain.String(), "samizdat-config") {
		t.Error("the gzipped page is not the page")
	}
	if w2 := get("/", map[string]string{"If-None-Match": w.Header().Get("ETag")}); w2.Code != http.StatusNotModified {
		t.Errorf("return visit: %d, want 304", w2.Code)
	}
	s := get("/"+SingleFile, nil)
	if s.Code != http.StatusOK || !strings.Contains(s.Header().Get("Content-Disposition"), "attachment") ||
		!strings.Contains(s.Header().Get("Content-Security-Policy"), "connect-src http://mirror.example/") {
		t.Errorf("single file: %d %v", s.Code, s.Header())
	}
	for _, p := range []string{"/sw.js", "/manifest.webmanifest", "/icon.svg"} {
		if w := get(p, nil); w.Code != http.StatusOK {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	if w := get("/nothing", nil); w.Code != http.StatusNotFound {
		t.Errorf("/nothing: %d", w.Code)
	}
}

// TestHandlerListsSeldom: page requests do not each ask the node for its
// publishers (parsing every held head), at most one per listEvery.
func TestHandlerListsSeldom(t *testing.T) {
	calls := 0
	h, err := Handler(Options{List: func() []Publisher {
		calls++
		return []Publisher{{ID: "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5"}}
	}})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if !strings.Contains(w.Body.String(), "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5") {
			t.Fatal("the page does not list the publisher")
		}
	}
	if calls != 1 {
		t.Errorf("50 page requests asked for the publishers %d times, want 1", calls)
	}
}

// connectSrc is the connect-src sources of a CSP.
func connectSrc(t *testing.T, csp string) []string {
	t.Helper()
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 && f[0] == "connect-src" {
			return f[1:]
		}
	}
	t.Fatalf("CSP %q has no connect-src", csp)
	return nil
}

// pageConfig is the config JSON a page carries.
func pageConfig(t *testing.T, page []byte) config {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="samizdat-config">(.*?)</script>`).FindSubmatch(page)
	if m == nil {
		t.Fatal("the page has no config")
	}
	var c config
	if err := json.Unmarshal(m[1], &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLearnedMirrors: the mirrors the publishers' signed documents list
// follow the configured ones in the page's config and CSP, normalized, as
// KindAuto, each once; those NormalizeMirror refuses are skipped; all
// together stay within maxMirrors, the configured ones kept.
func TestLearnedMirrors(t *testing.T) {
	learned := []Mirror{
		{URL: "https://learned.example/news"},
		{URL: "javascript:alert(1)"},                 // refused
		{URL: "https://evil.example/; script-src *"}, // refused: would widen the CSP
		{URL: "https://configured.example/"},         // listed already
		{URL: "https://learned.example/news/", Kind: KindStatic},
		{URL: "https://other.example:8443", Kind: KindGateway},
	}
	o := Options{Mirrors: []Mirror{{URL: "https://configured.example", Kind: KindGateway}},
		Learned: func() []Mirror { return learned }}
	page, csp, err := Page(o, true)
	if err != nil {
		t.Fatal(err)
	}
	wantSrc := []string{"'self'", "https://configured.example/", "https://learned.example/news/", "https://other.example:8443/"}
	if got := connectSrc(t, csp); strings.Join(got, " ") != strings.Join(wantSrc, " ") {
		t.Errorf("connect-src = %v, want %v", got, wantSrc)
	}
	wantCfg := []Mirror{{"https://configured.example/", KindGateway}, {"https://learned.example/news/", KindAuto}, {"https://other.example:8443/", KindAuto}}
	if got := pageConfig(t, page).Mirrors; fmt.Sprint(got) != fmt.Sprint(wantCfg) {
		t.Errorf("config mirrors = %v, want %v", got, wantCfg)
	}
	if strings.Contains(csp, "evil") || strings.Contains(string(page), "javascript:alert") {
		t.Error("a refused mirror reached the page")
	}

	// The bound: 30 configured and 5 learned make 32, the configured first.
	var conf, many []Mirror
	for i := range 30 {
		conf = append(conf, Mirror{URL: fmt.Sprintf("https://c%d.example/", i)})
	}
	for i := range 5 {
		many = append(many, Mirror{URL: fmt.Sprintf("https://l%d.example/", i)})
	}
	_, csp, err = Page(Options{Mirrors: conf, Learned: func() []Mirror { return many }}, false)
	if err != nil {
		t.Fatal(err)
	}
	src := connectSrc(t, csp)
	if len(src) != maxMirrors || src[29] != "https://c29.example/" || src[30] != "https://l0.example/" || src[31] != "https://l1.example/" {
		t.Errorf("connect-src of %d sources, want %d, configured first: %v", len(src), maxMirrors, src)
	}
	// A full configured list leaves no room, and is no error.
	for i := 30; i < maxMirrors; i++ {
		conf = append(conf, Mirror{URL: fmt.Sprintf("https://c%d.example/", i)})
	}
	if _, csp, err = Page(Options{Mirrors: conf, Learned: func() []Mirror { return many }}, false); err != nil || strings.Contains(csp, "l0.example") {
		t.Errorf("Page() with a full list = %v, %q", err, csp)
	}
}

// TestHandlerLearned: the served page lists the learned mirrors, asks for
// them no more often than for the publishers, and a change of the list
// makes a new page (CSP, config and entity tag).
func TestHandlerLearned(t *testing.T) {
	calls := 0
	learned := []Mirror{{URL: "https://one.example/"}}
	h, err := Handler(Options{Learned: func() []Mirror { calls++; return learned }})
	if err != nil {
		t.Fatal(err)
	}
	get := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "http://mirror.example/", nil))
		return w
	}
	first := get()
	if !strings.Contains(first.Header().Get("Content-Security-Policy"), "https://one.example/") || !strings.Contains(first.Body.String(), `"url":"https://one.example/"`) {
		t.Fatalf("the page does not list the learned mirror: %s", first.Header().Get("Content-Security-Policy"))
	}
	// The single file lists the origin first, then the learned mirror.
	single := httptest.NewRecorder()
	h.ServeHTTP(single, httptest.NewRequest("GET", "http://mirror.example/"+SingleFile, nil))
	if got := single.Header().Get("Content-Security-Policy"); !strings.Contains(got, "connect-src http://mirror.example/ https://one.example/") {
		t.Errorf("single file CSP = %q", got)
	}
	for range 20 {
		get()
	}
	if calls != 1 {
		t.Errorf("22 requests asked for the learned mirrors %d times, want 1", calls)
	}

	// A changed list, once listEvery has passed (set back here).
	c := &pageCache{o: Options{Learned: func() []Mirror { calls++; return learned }}}
	p1, csp1, _, err := c.get()
	if err != nil {
		t.Fatal(err)
	}
	learned = []Mirror{{URL: "https://two.example/"}}
	if p, _, _, _ := c.get(); p != p1 {
		t.Error("the page changed before listEvery passed")
	}
	c.at = c.at.Add(-listEvery)
	p2, csp2, _, err := c.get()
	if err != nil {
		t.Fatal(err)
	}
	if p2.etag == p1.etag || csp2 == csp1 || !strings.Contains(csp2, "https://two.example/") || strings.Contains(csp2, "one.example") {
		t.Errorf("a changed list kept the page: %q, then %q", csp1, csp2)
	}
}

// TestWriteFilesLearned: a static copy's page lists the learned mirrors;
// with no configured mirror (no URL of the copy's own) no single file is
// written, learned mirrors or not.
func TestWriteFilesLearned(t *testing.T) {
	dir := t.TempDir()
	asked := 0
	if err := WriteFiles(dir, Options{Learned: func() []Mirror { asked++; return []Mirror{{URL: "https://l.example"}} }}); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "connect-src 'self' https://l.example/;") {
		t.Error("the static page's CSP does not name the learned mirror")
	}
	if _, err := os.Stat(filepath.Join(dir, SingleFile)); !os.IsNotExist(err) {
		t.Errorf("a single file without the copy's URL: %v", err)
	}
	if asked != 1 {
		t.Errorf("Learned asked %d times, want 1", asked)
	}
}

// TestDNSPrefetchOff: the page, served, as the single file and from a
// static copy, tells the browser not to resolve the hosts an article links
// to before the reader follows a link (on a page not served over HTTPS,
// browsers do by default, and the resolver would learn what is read); the
// served responses say it in a header too.
func TestDNSPrefetchOff(t *testing.T) {
	off := regexp.MustCompile(`(?s)<head>.*<meta http-equiv="x-dns-prefetch-control" content="off">.*</head>`)
	o := Options{Publishers: []Publisher{{ID: "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5"}},
		Mirrors: []Mirror{{URL: "https://mirror.example/"}}}
	for _, served := range []bool{true, false} {
		page, _, err := Page(o, served)
		if err != nil {
			t.Fatal(err)
		}
		if !off.Match(page) {
			t.Errorf("Page(served %t) does not turn DNS prefetching off in its head", served)
		}
	}
	dir := t.TempDir()
	if err := WriteFiles(dir, o); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"index.html", SingleFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !off.Match(b) {
			t.Errorf("static copy's %s does not turn DNS prefetching off", name)
		}
	}
	h, err := Handler(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/" + SingleFile} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "http://mirror.example"+p, nil))
		if got := w.Header().Get("X-DNS-Prefetch-Control"); got != "off" {
			t.Errorf("GET %s: X-DNS-Prefetch-Control = %q, want off", p, got)
		}
	}
}
