package reader

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
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
