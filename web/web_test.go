package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/samizdat/samizdat/node"
)

// do sends one request to h as a browser on this machine would.
func do(t testing.TB, h http.Handler, method, target string, form url.Values, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	r.Host = "127.0.0.1:8080"
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestPages(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, false, (&followRecorder{}).follow)
	news, other := f.news.Root, f.other.Root
	for _, tc := range []struct {
		name, url string
		status    int
		ctype     string
		want      []string // in the body, in order
		not       []string
	}{
		{"list newest first", "/", 200, "text/html; charset=utf-8",
			[]string{"Выборы в Москве", "北京交通计划", "دانشگاه‌ها باز شدند", "Harbour reopens", "Evil page", "Sequía en el sur"}, nil},
		{"list puts an update by its date", "/", 200, "", []string{"Выборы в Москве</a><br><span class=\"meta\">2026-11-14 09:00 UTC"}, nil},
		{"list names publishers", "/", 200, "", []string{newsName}, nil},
		{"list says stale publisher is possibly blocked", "/", 200, "", []string{"no update since 2026-11-02 09:00 UTC, possibly blocked"}, nil},
		{"list rtl markup", "/", 200, "", []string{`lang="fa" dir="auto"`}, nil},
		{"language filter", "/?lang=ru", 200, "", []string{"Выборы в Москве"}, []string{"Harbour reopens", "北京"}},
		{"language filter subtag", "/?lang=zh", 200, "", []string{"北京交通计划"}, []string{"Harbour reopens"}},
		{"language filter none", "/?lang=de", 200, "", []string{"No articles"}, []string{"Harbour reopens"}},
		{"bad page", "/?page=0", 400, "", nil, nil},
		{"page past end", "/?page=2", 200, "", []string{"← newer"}, []string{"Harbour"}},
		{"plain article", articleHref(news, idPlain), 200, "text/html; charset=utf-8",
			[]string{"Harbour reopens", newsName, f.newsID, "published 2026-11-10 09:00 UTC", "head 7, valid until",
				"<p>The harbour reopened on Monday.</p>", "Ships &lt;b&gt;returned&lt;/b&gt; &amp; waited.<br>\nSecond line.",
				`href="https://news.example/harbour" rel="noreferrer noopener nofollow"`}, []string{"<b>returned", "updated "}},
		{"markdown article", articleHref(news, idMarkdown), 200, "",
			[]string{`<article lang="ru" dir="auto">`, "published 2026-11-11 09:00 UTC · updated 2026-11-14 09:00 UTC", "<strong>выборы</strong>", `<img src="` + attachmentHref(news, idMarkdown, "img/map.png") + `" alt="карта"`,
				`href="https://elsewhere.example/" rel="noreferrer noopener nofollow"`},
			[]string{"<script", "tracker.example"}},
		{"html article rtl", articleHref(news, idHTML), 200, "",
			[]string{`<article lang="fa" dir="auto">`, `<h1 lang="fa" dir="auto">`, "<p>دانشگاه‌ها امروز"}, nil},
		{"evil html article", articleHref(news, idEvil), 200, "",
			[]string{"Evil <em>but</em> readable", "<p>Text stays.</p>", `<img src="` + attachmentHref(news, idEvil, "img/photo.png") + `" alt="own photo"/>`,
				`href="https://elsewhere.example/story" rel="noreferrer noopener nofollow"`},
			[]string{"tracker.example", "<script", "<iframe", "<form", "<svg", "<style", "<link rel=\"stylesheet\" href=\"https", "onclick", "javascript:", "srcset"}},
		{"expired head", articleHref(other, idOther), 200, "",
			[]string{"no update since 2026-11-02 09:00 UTC, possibly blocked", "La sequía continúa."}, nil},
		{"unknown article", articleHref(news, "nope"), 404, "text/html; charset=utf-8", []string{"Not found"}, nil},
		{"unknown bundle", "/a/bafkqaaa/x", 404, "", nil, nil},
		{"bad root", "/a/notacid/x", 404, "", nil, nil},
		{"attachment", attachmentHref(news, idMarkdown, "img/map.png"), 200, "image/png", nil, nil},
		{"svg attachment is a download", attachmentHref(news, idEvil, "doc.svg"), 200, "application/octet-stream", nil, nil},
		{"attachment of another article", attachmentHref(news, idPlain, "img/map.png"), 404, "", nil, nil},
		{"no such page", "/nope", 404, "text/html; charset=utf-8", []string{"Not found"}, nil},
		{"css", "/static/style.css", 200, "text/css; charset=utf-8", []string{"max-width"}, nil},
		{"publishers", "/publishers", 200, "", []string{newsName, f.newsID, "head 7", "(no name given)", f.othID, "possibly blocked", `action="/follow"`}, nil},
		{"search", "/search?q=harbour", 200, "", []string{"Harbour reopens"}, []string{"Nothing found"}},
		{"search cjk", "/search?q=" + url.QueryEscape("交通"), 200, "", []string{"北京交通计划"}, nil},
		{"search persian", "/search?q=" + url.QueryEscape("دانشجویان"), 200, "", []string{"دانشگاه‌ها باز شدند"}, nil},
		{"search lang filter", "/search?q=harbour&lang=ru", 200, "", []string{"Nothing found"}, []string{"Harbour reopens"}},
		{"search too long", "/search?q=" + strings.Repeat("a", maxQueryLen+1), 400, "", []string{"too long"}, nil},
		{"search empty", "/search", 200, "", nil, []string{"Nothing found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, s, "GET", tc.url, nil)
			if w.Code != tc.status {
				t.Fatalf("GET %s = %d, want %d\n%s", tc.url, w.Code, tc.status, w.Body)
			}
			if tc.ctype != "" {
				if got := w.Header().Get("Content-Type"); got != tc.ctype {
					t.Errorf("Content-Type = %q, want %q", got, tc.ctype)
				}
			}
			body := w.Body.String()
			rest := body
			for _, want := range tc.want {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("GET %s: body lacks %q (or not in order):\n%s", tc.url, want, body)
				}
				rest = rest[i+len(want):]
			}
			for _, not := range tc.not {
				if strings.Contains(body, not) {
					t.Errorf("GET %s: body contains %q", tc.url, not)
				}
			}
		})
	}
	w := do(t, s, "GET", attachmentHref(news, idMarkdown, "img/map.png"), nil)
	if !bytes.Equal(w.Body.Bytes(), f.png) {
		t.Errorf("attachment bytes differ from the packed image")
	}
}

// TestHeaders: every kind of response carries the security headers.
func TestHeaders(t *testing.T) {
	f := newFixture(t)
	private := f.server(t, false, (&followRecorder{}).follow)
	public := f.server(t, true, nil)
	token := followToken(t, private)
	form := url.Values{"link": {f.newsID}, "token": {token}}
	for _, tc := range []struct {
		name   string
		h      http.Handler
		method string
		url    string
		form   url.Values
		hdr    []string
		status int
	}{
		{"list", private, "GET", "/", nil, nil, 200},
		{"article", private, "GET", articleHref(f.news.Root, idEvil), nil, nil, 200},
		{"attachment", private, "GET", attachmentHref(f.news.Root, idMarkdown, "img/map.png"), nil, nil, 200},
		{"css", private, "GET", "/static/style.css", nil, nil, 200},
		{"search", private, "GET", "/search?q=x", nil, nil, 200},
		{"publishers", private, "GET", "/publishers", nil, nil, 200},
		{"404", private, "GET", "/missing", nil, nil, 404},
		{"400", private, "GET", "/?page=x", nil, nil, 400},
		{"follow redirect", private, "POST", "/follow", form, nil, 303},
		{"follow invalid", private, "POST", "/follow", url.Values{"link": {"nonsense"}, "token": {token}}, nil, 400},
		{"follow without token", private, "POST", "/follow", url.Values{"link": {f.newsID}}, nil, 403},
		{"cross-site post", private, "POST", "/follow", form, []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"foreign host", private, "GET", "/", nil, []string{"Host", "evil.example"}, 421},
		{"public list", public, "GET", "/", nil, nil, 200},
		{"public post refused", public, "POST", "/follow", form, nil, 405},
		{"public put refused", public, "PUT", "/", nil, nil, 405},
		{"public head", public, "HEAD", "/", nil, nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.url, nil)
			if tc.form != nil {
				r = httptest.NewRequest(tc.method, tc.url, strings.NewReader(tc.form.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			r.Host = "127.0.0.1:8080"
			for i := 0; i+1 < len(tc.hdr); i += 2 {
				if tc.hdr[i] == "Host" {
					r.Host = tc.hdr[i+1]
				} else {
					r.Header.Set(tc.hdr[i], tc.hdr[i+1])
				}
			}
			w := httptest.NewRecorder()
			tc.h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("%s %s = %d, want %d\n%s", tc.method, tc.url, w.Code, tc.status, w.Body)
			}
			checkHeaders(t, w.Header())
		})
	}
}

func checkHeaders(t testing.TB, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "img-src 'self'", "style-src 'self'", "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("Content-Security-Policy = %q, lacks %q", csp, d)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "http") || strings.Contains(csp, "*") {
		t.Errorf("Content-Security-Policy = %q allows too much", csp)
	}
	for k, want := range map[string]string{"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-DNS-Prefetch-Control": "off"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestFollowForm(t *testing.T) {
	f := newFixture(t)
	rec := &followRecorder{}
	s := f.server(t, false, rec.follow)
	token := followToken(t, s)
	peer := "/ip4/192.0.2.1/tcp/4001/p2p/" + f.othID
	link := node.Link{Publisher: f.newsID, Peers: []string{peer}}
	for _, tc := range []struct {
		name   string
		in     string
		status int
		want   *node.Link
	}{
		{"bare id", f.othID, 303, &node.Link{Publisher: f.othID}},
		{"link", link.String(), 303, &link},
		{"garbage", "<script>", 400, nil},
		{"empty", "", 400, nil},
		{"too long", "samizdat:" + strings.Repeat("x", maxFormBytes), 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.links = nil
			w := do(t, s, "POST", "/follow", url.Values{"link": {tc.in}, "token": {token}})
			if w.Code != tc.status {
				t.Fatalf("POST /follow = %d, want %d\n%s", w.Code, tc.status, w.Body)
			}
			switch {
			case tc.want == nil && len(rec.links) != 0:
				t.Errorf("Follow called with %v for invalid input", rec.links)
			case tc.want != nil && (len(rec.links) != 1 || rec.links[0].String() != tc.want.String()):
				t.Errorf("Follow called with %v, want %v", rec.links, *tc.want)
			}
			if tc.status == 400 && !strings.Contains(w.Body.String(), "not a publisher ID") && tc.name != "too long" {
				t.Errorf("error page does not explain:\n%s", w.Body)
			}
		})
	}
	// A Follow that fails says so.
	failing := f.server(t, false, func(context.Context, node.Link) error { return errors.New("repo is read-only") })
	if w := do(t, failing, "POST", "/follow", url.Values{"link": {f.othID}, "token": {followToken(t, failing)}}); w.Code != 500 || !strings.Contains(w.Body.String(), "repo is read-only") {
		t.Errorf("failing Follow: %d\n%s", w.Code, w.Body)
	}
	// The public mirror has no form and refuses the POST.
	pub := f.server(t, true, rec.follow)
	rec.links = nil
	if w := do(t, pub, "GET", "/publishers", nil); strings.Contains(w.Body.String(), "<form") && strings.Contains(w.Body.String(), "/follow") {
		t.Errorf("public publishers page has a follow form:\n%s", w.Body)
	}
	if w := do(t, pub, "POST", "/follow", url.Values{"link": {f.othID}}); w.Code != http.StatusMethodNotAllowed || len(rec.links) != 0 {
		t.Errorf("public POST /follow = %d (follow calls %v), want 405 and none", w.Code, rec.links)
	}
	// Public answers any Host; private only loopback names.
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "mirror.example"
	w := httptest.NewRecorder()
	pub.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("public GET with Host mirror.example = %d, want 200", w.Code)
	}
	for _, host := range []string{"localhost:1", "[::1]:80", "127.0.0.1"} {
		if w := do(t, s, "GET", "/", nil); w.Code != 200 {
			t.Errorf("Host %s: %d", host, w.Code)
		}
	}
}

// TestRefreshDropped: a bundle the node drops disappears from the pages
// and the index.
func TestRefreshDropped(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, false, nil)
	href := articleHref(f.news.Root, idPlain)
	if w := do(t, s, "GET", href, nil); w.Code != 200 {
		t.Fatalf("GET %s = %d", href, w.Code)
	}
	if err := f.n.DropBundle(f.news.Root); err != nil {
		t.Fatal(err)
	}
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := do(t, s, "GET", href, nil); w.Code != 404 {
		t.Errorf("after drop, GET article = %d, want 404", w.Code)
	}
	if w := do(t, s, "GET", "/", nil); strings.Contains(w.Body.String(), "Harbour") {
		t.Errorf("after drop, the list still shows the article")
	}
	if f.idx.Has(f.news.Root) {
		t.Errorf("after drop, the index still holds the bundle")
	}
	if hits, err := f.idx.Search("harbour", "", 10); err != nil || len(hits) != 0 {
		t.Errorf("after drop, Search(harbour) = %v, %v", hits, err)
	}
}

// TestConcurrent: pages, attachments and search served while Refresh
// runs; run it under -race.
func TestConcurrent(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, false, nil)
	urls := []string{"/", articleHref(f.news.Root, idPlain), articleHref(f.news.Root, idMarkdown),
		attachmentHref(f.news.Root, idMarkdown, "img/map.png"), "/search?q=harbour", "/publishers", articleHref(f.other.Root, idOther)}
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				u := urls[(g+i)%len(urls)]
				r := httptest.NewRequest("GET", u, nil)
				r.Host = "127.0.0.1"
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != 200 {
					select {
					case errs <- fmt.Sprintf("GET %s = %d", u, w.Code):
					default:
					}
				}
			}
		}()
	}
	for range 5 {
		if err := s.Refresh(context.Background()); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
