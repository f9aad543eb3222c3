package reader

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/browsertest"
	"github.com/samizdat/samizdat/node"
)

func readAll(t testing.TB, res *http.Response) []byte {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func chromium(t testing.TB) string { return browsertest.Chromium(t) }

// browser is one headless Chromium with its own profile, recording every
// request it makes.
type browser struct {
	t   testing.TB
	ctx context.Context

	mu        sync.Mutex
	requests  []string
	responses map[string]*network.Response // by URL, the last one
	bytes     int64                        // encoded bytes received
}

func newBrowser(t testing.TB) *browser {
	t.Helper()
	exe := chromium(t)
	ln := httptest.NewUnstartedServer(nil) // a loopback port nothing answers on
	dead := ln.Listener.Addr().String()
	ln.Listener.Close()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		// Anything not on loopback goes to a proxy that is not there, and
		// no name resolves: a stray request fails at once, on this machine.
		chromedp.ProxyServer("http://"+dead),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		// The https mirrors the tests run (httptest's TLS servers on
		// loopback) have certificates no one vouches for.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("user-data-dir", t.TempDir()),
		chromedp.WindowSize(360, 740),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 150*time.Second)
	t.Cleanup(func() { cancelT(); cancel(); cancelA() })
	b := &browser{t: t, ctx: ctx, responses: make(map[string]*network.Response)}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, ev.Request.URL)
		case *network.EventResponseReceived:
			b.responses[ev.Response.URL] = ev.Response
		case *network.EventLoadingFinished:
			b.bytes += int64(ev.EncodedDataLength)
		}
	})
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulatePortrait)); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return b
}

// open navigates to u.
func (b *browser) open(u string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(u)); err != nil {
		b.t.Fatalf("open %s: %v", u, err)
	}
}

// eval runs a JavaScript expression (awaiting a promise) and returns its
// value as T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true, or fails the
// test after d, showing what the page says.
func (b *browser) waitFor(what, cond string, d time.Duration) {
	b.t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if eval[bool](b, "!!("+cond+")") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("waiting for %s: timed out; the page says:\n%s", what, b.text())
}

// waitText waits until the page's text holds s.
func (b *browser) waitText(s string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("text %q", s), "document.body && document.body.innerText.includes("+jsString(s)+")", 30*time.Second)
}

func (b *browser) text() string {
	return eval[string](b, "document.body ? document.body.innerText : ''")
}

// click clicks the first link or button whose text holds s.
func (b *browser) click(s string) {
	b.t.Helper()
	b.waitFor("a link "+s, "[...document.querySelectorAll('a,button')].some(e => e.textContent.includes("+jsString(s)+"))", 30*time.Second)
	eval[bool](b, "([...document.querySelectorAll('a,button')].find(e => e.textContent.includes("+jsString(s)+")).click(), true)")
}

// origins returns the origins the browser sent requests to, blob: and
// data: URLs aside.
func (b *browser) origins() map[string]bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]bool)
	for _, r := range b.requests {
		u, err := url.Parse(r)
		if err != nil || u.Scheme == "blob" || u.Scheme == "data" {
			continue
		}
		out[u.Scheme+"://"+u.Host] = true
	}
	return out
}

// onlyOrigins fails the test if the browser asked any origin but these.
func (b *browser) onlyOrigins(allowed ...string) {
	b.t.Helper()
	ok := make(map[string]bool)
	for _, a := range allowed {
		u, _ := url.Parse(a)
		ok[u.Scheme+"://"+u.Host] = true
	}
	for o := range b.origins() {
		if !ok[o] {
			b.t.Errorf("the browser sent a request to %s; allowed: %v", o, allowed)
		}
	}
}

// screenshot saves the page as seen at 360 px wide, into
// SAMIZDAT_SCREENSHOTS if set (to look at), else the test's temp dir.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	buf, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("SAMIZDAT_SCREENSHOTS")
	if dir == "" {
		dir = b.t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// TestBrowserReader drives the reader served beside a gateway: list,
// article, image, right-to-left text, a hostile article, the trust bar,
// the CSP, the network log, the page at 360 px, and a reload with the
// server gone.
func TestBrowserReader(t *testing.T) {
	s := newSite(t, siteOptions{})
	b := newBrowser(t)
	b.open(s.srv.URL + "/")

	// The list, and the publisher as its signed document names it.
	b.waitText("Harbour reopens")
	b.waitText(newsName)
	b.waitText(publisher[len(publisher)-10:])
	if r := b.responses[s.srv.URL+"/"]; r == nil || !strings.Contains(fmt.Sprint(r.Headers["Content-Security-Policy"]), "script-src 'sha256-") {
		t.Errorf("the page came without its CSP header: %v", r)
	}

	b.click("Harbour reopens")
	b.waitText(textPlain)
	b.waitText("Ships <b>returned</b> & waited.") // text/plain: markup shown as text

	b.open(s.srv.URL + "/")
	b.click("دانشگاه‌ها باز شدند")
	b.waitText(textRTL)
	b.waitFor("the article laid out right to left",
		`(() => { const w = document.evaluate("//*[text()[contains(., 'دانشجویان')]]", document, null, 9, null).singleNodeValue;
		  return w && getComputedStyle(w).direction === 'rtl' && w.closest('[lang]').lang === 'fa'; })()`, 10*time.Second)
	b.waitFor("the image, from its verified attachment", `[...document.images].some(i => i.src.startsWith('blob:') && i.naturalWidth === 4)`, 30*time.Second)
	b.screenshot("reader-article-rtl")

	b.open(s.srv.URL + "/")
	b.click("Evil page")
	b.waitText("Evil text stays.")
	if got := eval[string](b, "document.title"); got == "pwned" {
		t.Error("a script of the article ran")
	}
	if n := eval[int](b, "document.querySelectorAll('iframe, script[src], [onclick], [onerror], [style]').length"); n != 0 {
		t.Errorf("%d hostile elements or attributes reached the page", n)
	}
	b.open(s.srv.URL + "/")
	b.waitText("Harbour reopens")
	if w := eval[int](b, "document.documentElement.scrollWidth"); w > 360 {
		t.Errorf("the list is %d px wide on a 360 px screen", w)
	}
	b.screenshot("reader-list-360")
	b.onlyOrigins(s.srv.URL)

	// Offline: the server is gone; the service worker has the app, the
	// store the articles read before.
	s.srv.Close()
	b.open(s.srv.URL + "/")
	b.waitText("Harbour reopens")
	b.click("Harbour reopens")
	b.waitText(textPlain)
}

// TestBrowserStatic reads a static copy, by byte ranges into its bundle
// file, then a copy whose article block was altered: the page shows an
// error and none of the altered text.
func TestBrowserStatic(t *testing.T) {
	s := newSite(t, siteOptions{})
	dir := s.static(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	b := newBrowser(t)
	b.open(srv.URL + "/")
	b.click("Sentinel")
	b.waitText(textSentinel)
	root := s.bundles[0].Root.String()
	if r := b.responses[srv.URL+"/ipfs/"+root]; r == nil || r.Status != http.StatusPartialContent {
		t.Errorf("the bundle file was not read by range: %+v", r)
	}
	b.onlyOrigins(srv.URL)

	tampered := s.static(t)
	tamper(t, tampered, s.bundles[0], "ORIGINAL", "FORGEDXX")
	srv2 := httptest.NewServer(http.FileServer(http.Dir(tampered)))
	defer srv2.Close()
	b2 := newBrowser(t)
	b2.open(srv2.URL + "/")
	b2.click("Sentinel")
	b2.waitFor("an error", "document.querySelector('[data-error]')", 30*time.Second)
	if strings.Contains(b2.text(), "FORGED") || eval[bool](b2, "document.documentElement.outerHTML.includes('FORGED')") {
		t.Error("the altered text reached the page")
	}
}

// TestBrowserForgedHead: a copy whose head another key signed shows no
// article.
func TestBrowserForgedHead(t *testing.T) {
	s := newSite(t, siteOptions{})
	dir := s.static(t)
	forged := forgedHeadServer(t, s)
	res, err := http.Get(forged.URL + node.HeadPath + publisher)
	if err != nil {
		t.Fatal(err)
	}
	head := readAll(t, res)
	if err := os.WriteFile(filepath.Join(dir, "samizdat", "heads", publisher), head, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	b := newBrowser(t)
	b.open(srv.URL + "/")
	b.waitFor("an error", "document.querySelector('[data-error]')", 30*time.Second)
	if strings.Contains(b.text(), "Harbour reopens") {
		t.Error("articles were listed under a forged head")
	}
}

// TestBrowserNewerWins: of two mirrors, one with an older head and one
// with a newer, the page takes the newer, whichever served the page.
func TestBrowserNewerWins(t *testing.T) {
	newer := newSite(t, siteOptions{newer: true})
	older := newSite(t, siteOptions{mirrors: []Mirror{{URL: newer.srv.URL, Kind: KindGateway}}})
	b := newBrowser(t)
	b.open(older.srv.URL + "/")
	b.waitText(titleNewer)
	b.waitText("Harbour reopens") // the older bundle's articles too
	b.onlyOrigins(older.srv.URL, newer.srv.URL)
}

// TestBrowserDailyBundles: a publisher's daily job puts only new articles
// in each bundle. With a full first bundle and eleven small daily ones, the
// page lists the first bundle's articles and every day's, not only the
// newest few bundles'.
func TestBrowserDailyBundles(t *testing.T) {
	s := newSite(t, siteOptions{})
	const days = 11
	for d := range days {
		s.publish(t, uint64(2+d), []*bundle.Article{{ID: fmt.Sprintf("en-day-%d", d), Title: fmt.Sprintf("Daily story %d", d),
			Lang: "en", Published: time.Date(2026, 11, 21+d, 9, 0, 0, 0, time.UTC), ContentType: "text/plain", Body: []byte("A day's news.")}})
	}
	b := newBrowser(t)
	b.open(s.srv.URL + "/")
	b.waitText(fmt.Sprintf("Daily story %d", days-1))
	b.waitText("Daily story 0")
	b.waitText("Harbour reopens") // the first, full bundle
}

// TestBrowserStale: an expired head shows the stale notice.
func TestBrowserStale(t *testing.T) {
	s := newSite(t, siteOptions{validity: 1500 * time.Millisecond})
	time.Sleep(1600 * time.Millisecond) // the head has expired
	b := newBrowser(t)
	b.open(s.srv.URL + "/")
	b.waitText("Harbour reopens")
	b.waitFor("the stale notice", "document.querySelector('[data-stale]')", 10*time.Second)
}

// TestBrowserLanguageAndLowBandwidth: the interface in Persian lays out
// right to left; in low-bandwidth mode an article's image waits for a tap,
// showing its size, and no attachment is fetched before.
func TestBrowserLanguageAndLowBandwidth(t *testing.T) {
	s := newSite(t, siteOptions{})
	b := newBrowser(t)
	b.open(s.srv.URL + "/#/settings")
	b.waitFor("the settings", "document.querySelector('select#lang') && document.querySelector('input[type=checkbox]')", 30*time.Second)
	eval[bool](b, `(() => { const s = document.querySelector('select#lang'); s.value = 'fa'; s.dispatchEvent(new Event('change')); return true; })()`)
	b.waitFor("the Persian interface", "document.documentElement.lang === 'fa' && document.documentElement.dir === 'rtl'", 10*time.Second)
	eval[bool](b, `(() => { const c = document.querySelector('input[type=checkbox]'); c.click(); return c.checked; })()`)
	b.screenshot("reader-settings-fa")

	// The image of the Persian article: a tap away, its size shown.
	b.open(s.srv.URL + "/" + articleHref(publisher, "fa-university"))
	b.waitText(textRTL)
	b.waitFor("the tap-to-load button", "document.querySelector('button.img-tap')", 10*time.Second)
	if n := eval[int](b, "[...document.images].filter(i => i.src.startsWith('blob:')).length"); n != 0 {
		t.Errorf("%d images shown before a tap", n)
	}
	b.click(eval[string](b, "document.querySelector('button.img-tap').textContent"))
	b.waitFor("the image after the tap", `[...document.images].some(i => i.src.startsWith('blob:') && i.naturalWidth === 4)`, 30*time.Second)
	// The setting is kept in the store.
	b.open(s.srv.URL + "/")
	b.waitFor("the Persian interface after a reload", "document.documentElement.dir === 'rtl'", 10*time.Second)
}

// TestBrowserSingleFileFromDisk: the single file, saved and opened from
// disk (file://), reads a publisher whose root key signs its heads from a
// stock IPFS trustless gateway, which has no samizdat head path: the page
// falls back to the head's IPNS record, reads cross-origin, and verifies.
func TestBrowserSingleFileFromDisk(t *testing.T) {
	s := newSite(t, siteOptions{rootSigned: true, ipfsOnly: true})
	page, csp, err := Page(Options{Publishers: []Publisher{{ID: publisher}}, Mirrors: []Mirror{{URL: s.srv.URL, Kind: KindGateway}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csp, "connect-src "+s.srv.URL+"/") {
		t.Fatalf("the single file's CSP does not name its mirror: %s", csp)
	}
	file := filepath.Join(t.TempDir(), SingleFile)
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.open("file://" + file)
	b.click("Harbour reopens")
	b.waitText(textPlain)
	b.onlyOrigins("file://", s.srv.URL)
	b.mu.Lock()
	defer b.mu.Unlock()
	var ipns bool
	for _, r := range b.requests {
		ipns = ipns || strings.Contains(r, "/ipns/"+publisher)
	}
	if !ipns {
		t.Error("the head did not come from the IPNS record path")
	}
}

// idbGet is a JavaScript function reading one record of the reader's
// IndexedDB store (undefined if absent).
const idbGet = `(store, key) => new Promise((resolve, reject) => {
	const r = indexedDB.open('samizdat-reader');
	r.onerror = () => reject(r.error);
	r.onsuccess = () => {
		const db = r.result;
		const q = db.transaction(store).objectStore(store).get(key);
		q.onsuccess = () => { db.close(); resolve(q.result); };
		q.onerror = () => { db.close(); reject(q.error); };
	};
})`

// TestBrowserLearnedMirror: a reader loads the page from mirror A, whose
// node holds a head whose signed document lists an https mirror B (down
// at first). Later A's gateway fails and only B has a newer head: the
// page shows the newer head as served by B, and the store remembers B as
// learned from the document and as the mirror that worked.
func TestBrowserLearnedMirror(t *testing.T) {
	var bHandler atomic.Pointer[http.Handler]
	down := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not yet", http.StatusServiceUnavailable)
	}))
	bHandler.Store(&down)
	bSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*bHandler.Load()).ServeHTTP(w, r)
	}))
	defer bSrv.Close()
	bURL := bSrv.URL + "/"
	doc := document(t, bURL, "/dns4/m.example.net/tcp/443/tls/ws/p2p/12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5", "tor:later-kind")
	a := newSite(t, siteOptions{doc: doc, learned: true})

	b := newBrowser(t)
	b.open(a.srv.URL + "/")
	b.waitText("Harbour reopens")
	if r := b.responses[a.srv.URL+"/"]; r == nil || !strings.Contains(fmt.Sprint(r.Headers["Content-Security-Policy"]), bURL) {
		t.Fatalf("A's page does not let its CSP reach the learned mirror %s: %v", bURL, r)
	}
	// The page reads its own CSP (the meta element) as the browser does.
	if !eval[bool](b, "samizdat.net.create({}, null).allowed("+jsString(bURL+"ipfs/x")+")") ||
		eval[bool](b, "samizdat.net.create({}, null).allowed('https://127.0.0.1:1/')") {
		t.Error("the page misreads its CSP")
	}
	// The document verified with the head: B is learned, and stored.
	b.waitFor("B learned and stored", "("+idbGet+")('learned', "+jsString(publisher)+").then(r => r && r.urls.includes("+jsString(bURL)+"))", 10*time.Second)

	// B comes up with a newer head; A's gateway goes down.
	newer := newSite(t, siteOptions{doc: doc, newer: true})
	h := newer.srv.Config.Handler
	bHandler.Store(&h)
	a.down.Store(true)

	b.open(a.srv.URL + "/")
	b.waitText(titleNewer)
	b.waitText("served by \u2068" + bURL)
	rec := eval[map[string]any](b, "("+idbGet+")('mirrors', "+jsString(bURL)+")")
	ok, _ := rec["lastOK"].(float64)
	fail, _ := rec["lastFail"].(float64)
	if ok == 0 || ok < fail {
		t.Errorf("B's record %v: want it worked last", rec)
	}
	if fail == 0 {
		t.Errorf("B's record %v: want its failure while it was down kept too", rec)
	}
	b.onlyOrigins(a.srv.URL, bSrv.URL)
	b.open(a.srv.URL + "/#/settings")
	b.waitFor("B shown as learned", "[...document.querySelectorAll('li[data-learned]')].some(li => li.textContent.includes("+jsString(bURL)+"))", 10*time.Second)
	b.screenshot("reader-settings-learned")
}
