package web

import (
	"context"
	"net"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/samizdat/samizdat/internal/browsertest"
)

func chromium(t *testing.T) string { return browsertest.Chromium(t) }

// deadPort returns a loopback port nothing listens on.
func deadPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// seen records what the browser requested and the responses it got.
type seen struct {
	mu        sync.Mutex
	requests  []string
	responses []*network.Response
}

// TestBrowser drives a real headless Chromium through the reader: list,
// article, image, search, right-to-left text, and a hostile article; the
// browser must make no request off the test server's origin, and every
// response must carry the CSP.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	follows := &followRecorder{}
	ts := httptest.NewServer(f.server(t, false, follows.follow))
	defer ts.Close()
	origin := ts.URL // http://127.0.0.1:PORT

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		// Anything not on loopback goes to a proxy that is not there, and
		// no name resolves: a stray request fails at once, on this machine.
		chromedp.ProxyServer("http://"+deadPort(t)),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("user-data-dir", t.TempDir()),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()

	var rec seen
	err := chromedp.Listen(ctx, func(ev any) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			rec.requests = append(rec.requests, ev.Request.URL)
		case *network.EventResponseReceived:
			rec.responses = append(rec.responses, ev.Response)
		}
	})
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(what, sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("%s: text of %s: %v", what, sel, err)
		}
		return s
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(what, expr string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %s: %v", what, expr, err)
		}
		return s
	}

	// The list, then the Russian Markdown article by clicking its link.
	do("list", chromedp.Navigate(origin+"/"))
	list := text("list", "ul.articles")
	for _, want := range []string{"Harbour reopens", "Выборы в Москве", "北京交通计划", "دانشگاه‌ها باز شدند"} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}
	mdHref := articleHref(f.news.Root, idMarkdown)
	do("article with image", chromedp.Click(css(`a[href="`+mdHref+`"]`)), chromedp.WaitVisible(css("article h1")))
	if h := text("article", "article h1"); h != "Выборы в Москве" {
		t.Errorf("article heading = %q", h)
	}
	// The image loaded: a broken or blocked one has naturalWidth 0.
	width, err := chromedp.Run(ctx, chromedp.Poll[int](`(() => { const i = document.querySelector('.article-body img'); return i && i.complete ? i.naturalWidth : 0 })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || width != 4 {
		t.Errorf("image naturalWidth = %d, %v; want 4", width, err)
	}

	// Search, by typing into the form and submitting it.
	do("search",
		chromedp.Navigate(origin+"/search"),
		chromedp.SendKeys(css(`input[name=q]`), "交通"),
		chromedp.Submit(css(`input[name=q]`)),
		chromedp.WaitVisible(css("ul.articles")),
	)
	if results := text("search", "ul.articles"); !strings.Contains(results, "北京交通计划") {
		t.Errorf("search results lack the Chinese article:\n%s", results)
	}

	// Persian is laid out right to left, English left to right.
	do("persian article", chromedp.Navigate(origin+articleHref(f.news.Root, idHTML)))
	dirBody := eval("persian", `getComputedStyle(document.querySelector('article .article-body')).direction`)
	dirTitle := eval("persian", `getComputedStyle(document.querySelector('article h1')).direction`)
	if dirBody != "rtl" || dirTitle != "rtl" {
		t.Errorf("Persian article direction: body %q, title %q; want rtl", dirBody, dirTitle)
	}
	do("english article", chromedp.Navigate(origin+articleHref(f.news.Root, idPlain)))
	if d := eval("english", `getComputedStyle(document.querySelector('article .article-body')).direction`); d != "ltr" {
		t.Errorf("English article direction = %q, want ltr", d)
	}

	// The hostile article: nothing active survives, and only its own image
	// is shown (and loads).
	do("hostile article", chromedp.Navigate(origin+articleHref(f.news.Root, idEvil)))
	active := eval("hostile", `String(document.querySelectorAll('script, iframe, form, object, embed, svg, video, audio, style, base, meta[http-equiv]:not([http-equiv="x-dns-prefetch-control"]), link:not([href="/static/style.css"])').length)`)
	if active != "0" {
		t.Errorf("hostile article has %s active elements", active)
	}
	if title := eval("hostile", `document.title`); strings.Contains(title, "pwned") {
		t.Errorf("a script ran: title %q", title)
	}
	own, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.images.length === 1 && Array.from(document.images).every(i => i.src.startsWith(location.origin + '/att/') && i.complete && i.naturalWidth > 0)`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || !own {
		t.Errorf("hostile article images: %v, %v; want only its own, loaded", own, err)
	}
	// The follow form works in a browser: it carries the token, and the
	// browser's own headers pass the cross-origin check.
	do("follow",
		chromedp.Navigate(origin+"/publishers"),
		chromedp.SendKeys(css(`input[name=link]`), f.othID),
		chromedp.Submit(css(`input[name=link]`)),
		chromedp.WaitVisible(css(`p[role=status]`)),
	)
	if msg := text("follow", `p[role=status]`); !strings.Contains(msg, "Following.") {
		t.Errorf("after following, the page says %q", msg)
	}
	follows.mu.Lock()
	if len(follows.links) != 1 || follows.links[0].Publisher != f.othID {
		t.Errorf("Follow called with %v, want %s", follows.links, f.othID)
	}
	follows.mu.Unlock()
	// Every publisher name has its fingerprint beside it, boxed.
	if n := eval("fingerprints", `String(document.querySelectorAll('ul.publishers li .pub-name + code.fp').length)`); n != "2" {
		t.Errorf("%s names with a fingerprint beside them, want 2", n)
	}
	// A 404 page, so an error response is among those checked.
	do("not found", chromedp.Navigate(origin+"/no/such/page"))

	rec.mu.Lock()
	defer rec.mu.Unlock()
	var sawCSS, sawImage bool
	for _, u := range rec.requests {
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme+"://"+pu.Host != origin {
			t.Errorf("the browser requested %q, off the reader's origin %s", u, origin)
			continue
		}
		sawCSS = sawCSS || pu.Path == "/static/style.css"
		sawImage = sawImage || strings.HasPrefix(pu.Path, "/att/")
	}
	// The listener works: it saw the style sheet and the images.
	if !sawCSS || !sawImage {
		t.Errorf("requests seen lack the style sheet (%v) or an image (%v): %q", sawCSS, sawImage, rec.requests)
	}
	if len(rec.responses) < 8 {
		t.Errorf("only %d responses seen", len(rec.responses))
	}
	for _, r := range rec.responses {
		csp := ""
		for k, v := range r.Headers {
			if strings.EqualFold(k, "Content-Security-Policy") {
				csp, _ = v.(string)
			}
		}
		if !strings.HasPrefix(csp, CSP) {
			t.Errorf("response for %s (status %d) has CSP %q", r.URL, r.Status, csp)
		}
	}
}
