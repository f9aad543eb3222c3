package reader

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/ipfs/go-cid"
	"github.com/mr-tron/base58"
	"github.com/multiformats/go-multibase"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
	"golang.org/x/net/html"
)

// TestBrowserImageOnce: an article that shows one attachment many times
// makes one object URL of it, not a copy of its bytes per <img>.
func TestBrowserImageOnce(t *testing.T) {
	body := "<p>Many pictures.</p>" + strings.Repeat(`<img src="img/p.png" alt="p">`, 50)
	s := newSite(t, siteOptions{arts: []*bundle.Article{{ID: "en-many", Title: "Many pictures", Lang: "en",
		Published: time.Date(2026, 11, 9, 9, 0, 0, 0, time.UTC), ContentType: "text/html", Body: []byte(body),
		Attachments: []bundle.Attachment{{Name: "img/p.png", ContentType: "image/png", Data: testPNG(t)}}}}})
	b := newBrowser(t)
	b.open(s.srv.URL + "/")
	b.click("Many pictures")
	b.waitFor("the images", `document.images.length === 50 && [...document.images].every(i => i.src.startsWith('blob:') && i.naturalWidth === 4)`, 30*time.Second)
	if n := eval[int](b, `new Set([...document.images].map(i => i.src)).size`); n != 1 {
		t.Errorf("50 <img> of one attachment made %d object URLs, want 1", n)
	}
}

// sanitizerCases are hostile article bodies: scripts, handlers, URLs that
// reach out (CSS, srcset, posters, pings, forms, refreshes), scheme
// tricks (entities, controls, backslashes, protocol-relative), parser
// quirks (<image>, foreign content, templates) and deep nesting.
var sanitizerCases = []string{
	`<script>document.title='pwned'</script><p onclick="x" onmouseover="x">t</p>`,
	`<img src=x onerror="document.title='pwned'"><svg onload="document.title='pwned'"></svg>`,
	`<a href="jav&#x09;ascript:document.title='pwned'">1</a><a href="&#106;avascript:x">2</a><a href=" javascript:x">3</a>`,
	`<a href="java&#0;script:x">4</a><a href="vbscript:x">5</a><a href="data:text/html,<script>x</script>">6</a>`,
	`<a href="//evil.example/">7</a><a href="\\evil.example\x">8</a><a href="/rel">9</a><a href="rel">10</a>`,
	`<a href="https://ok.example/" ping="https://tracker.example/" download="x" style="x">ok</a>`,
	`<image src="https://tracker.example/a.png"><img srcset="https://tracker.example/b.png 1x" src="a.png">`,
	`<picture><source srcset="https://tracker.example/c.png"><img src="https://tracker.example/d.png"></picture>`,
	`<video poster="https://tracker.example/e.png" src="https://tracker.example/f"></video><audio src="https://tracker.example/g"></audio>`,
	`<table background="https://tracker.example/h.png"><tr><td background="https://tracker.example/i.png" colspan="99999">x</td></tr></table>`,
	`<div style="background:url(https://tracker.example/j.png)">s</div><style>@import url(https://tracker.example/k.css);</style>`,
	`<link rel="stylesheet" href="https://tracker.example/l.css"><link rel="prefetch" href="https://tracker.example/m">`,
	`<meta http-equiv="refresh" content="0;url=https://tracker.example/n"><base href="https://tracker.example/">`,
	`<form action="https://tracker.example/o"><input type="image" src="https://tracker.example/p.png"><button formaction="https://tracker.example/">b</button></form>`,
	`<iframe srcdoc="<script>parent.document.title='pwned'</script>"></iframe><object data="https://tracker.example/q"></object><embed src="https://tracker.example/r">`,
	`<noscript><img src="https://tracker.example/s.png"></noscript><template><img src="https://tracker.example/t.png"></template>`,
	`<math><mtext><table><mglyph><style><img src=x onerror="document.title='pwned'"></style></mglyph></table></mtext></math>`,
	`<svg><a href="javascript:x"><text>u</text></a><image href="https://tracker.example/v.png"/></svg>`,
	`<blockquote cite="https://tracker.example/w"><q cite="https://tracker.example/x">q</q></blockquote><object><param name="movie" value="https://tracker.example/y"></object>`,
	`<p id="main" name="samizdat-config" class="x">clobber</p><img name="images" src="a.png"><form name="body"></form>`,
	`<a href="https://ok.example/"><img src="a.png" alt="pic" onload="x" width="9999"></a>`,
	strings.Repeat("<div>", 2000) + "deep" + strings.Repeat("</div>", 2000),
}

// TestBrowserSanitizer runs render.sanitize, in Chromium, over hostile
// bodies and checks what reaches the live page: only allowed elements and
// attributes, links only to http(s) and mailto, images only from blob:
// URLs the caller made, no script run, and no request made.
func TestBrowserSanitizer(t *testing.T) {
	s := newSite(t, siteOptions{})
	b := newBrowser(t)
	b.open(s.srv.URL + "/")
	b.waitText("Harbour reopens")
	var cases strings.Builder
	cases.WriteString("[")
	for _, c := range sanitizerCases {
		cases.WriteString(jsString(c) + ",")
	}
	cases.WriteString("]")
	got := eval[[]string](b, `(async () => {
	  const ok = new Set('p h1 h2 h3 h4 h5 h6 ul ol li blockquote pre code em strong b i u s sub sup br hr figure figcaption table caption thead tbody tfoot tr th td dl dt dd span div small mark abbr q cite time a img'.split(' '));
	  const attrs = new Set('lang dir title colspan rowspan start href rel target referrerpolicy alt src decoding'.split(' '));
	  const bad = [];
	  const made = new Set();
	  const opts = {
	    image: (n) => (n === 'a.png' ? { size: 1 } : null),
	    attachmentURL: (n) => { const u = URL.createObjectURL(new Blob(['x'], { type: 'image/png' })); made.add(u); return u; },
	  };
	  const main = document.getElementById('main');
	  for (const [i, html] of `+cases.String()+`.entries()) {
	    const holder = document.createElement('div');
	    main.append(holder);
	    const pending = [];
	    holder.append(samizdat.render.sanitize(html, { ...opts, pending }));
	    await Promise.allSettled(pending);
	    for (const el of holder.querySelectorAll('*')) {
	      const tag = el.localName;
	      if (!ok.has(tag) || el.namespaceURI !== 'http://www.w3.org/1999/xhtml') bad.push(i + ': element ' + tag);
	      for (const a of el.attributes) if (!attrs.has(a.name)) bad.push(i + ': attribute ' + tag + ' ' + a.name);
	      if (tag === 'a' && !/^(https?|mailto):/.test(el.getAttribute('href'))) bad.push(i + ': link ' + el.getAttribute('href'));
	      if (tag === 'img' && !made.has(el.getAttribute('src'))) bad.push(i + ': image ' + el.getAttribute('src'));
	      if ((el.getAttribute('colspan') || 0) > 1000) bad.push(i + ': colspan ' + el.getAttribute('colspan'));
	    }
	  }
	  await new Promise((r) => setTimeout(r, 300));
	  if (document.title === 'pwned') bad.push('a script ran');
	  if (document.getElementById('main') !== main || !document.getElementById('samizdat-config')) bad.push('the page was clobbered');
	  return bad;
	})()`)
	for _, g := range got {
		t.Error(g)
	}
	b.onlyOrigins(s.srv.URL)
}

// TestBrowserStoreFull: a store that cannot keep blocks (full: IndexedDB
// aborts the write, as it does past the origin's quota) costs the next
// visit some fetching, not this one its articles. The blocks are a cache.
func TestBrowserStoreFull(t *testing.T) {
	s := newSite(t, siteOptions{})
	b := newBrowser(t)
	full := `(() => {
	  const put = IDBObjectStore.prototype.put;
	  IDBObjectStore.prototype.put = function (...a) {
	    const r = put.apply(this, a);
	    if (this.name === 'blocks') this.transaction.abort();
	    return r;
	  };
	})()`
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: full}); err != nil {
		t.Fatal(err)
	}
	b.open(s.srv.URL + "/")
	b.waitText("Harbour reopens")
	b.click("Harbour reopens")
	b.waitText(textPlain)
}

// TestMirrorCSP: a mirror URL widens the CSP by exactly its own origin
// and path: no wildcard host, and the CSP in the page's meta element is,
// once the HTML parser has read it (character references decoded), the
// one the server sends.
func TestMirrorCSP(t *testing.T) {
	for _, u := range []string{"http://*/", "https://*.example/", "https://a.example/*/"} {
		if n, err := NormalizeMirror(u); err == nil {
			t.Errorf("mirror %q accepted as %q", u, n)
		}
	}
	page, csp, err := Page(Options{Mirrors: []Mirror{{URL: "https://a.example/&quot/&lt/&amp/"}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var meta string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "meta" {
			var equiv, content string
			for _, a := range n.Attr {
				switch a.Key {
				case "http-equiv":
					equiv = a.Val
				case "content":
					content = a.Val
				}
			}
			if strings.EqualFold(equiv, "Content-Security-Policy") {
				meta = content
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if meta != csp {
		t.Errorf("the page's meta CSP reads\n%s\nthe server's is\n%s", meta, csp)
	}
}

// TestBrowserStaticTwoBundles: a static copy of two bundles that carry
// the same publisher document: both bundles' articles are listed, on the
// first visit and on a return visit (blocks the store already holds are
// not fetched, and must not shift where the others are looked for).
func TestBrowserStaticTwoBundles(t *testing.T) {
	s := newSite(t, siteOptions{newer: true})
	srv := httptest.NewServer(http.FileServer(http.Dir(s.static(t))))
	defer srv.Close()
	b := newBrowser(t)
	for _, visit := range []string{"first", "return"} {
		b.open(srv.URL + "/")
		b.waitText(titleNewer)
		b.waitFor(visit+" visit: the older bundle's articles", `document.body.innerText.includes("Harbour reopens")`, 20*time.Second)
		if strings.Contains(b.text(), "skipped") || strings.Contains(b.text(), "Skipped") {
			t.Errorf("%s visit: a bundle was skipped:\n%s", visit, b.text())
		}
	}
	b.click("Harbour reopens")
	b.waitText(textPlain)
}

// TestBrowserStaleLater: a head that was valid when the page verified it
// is shown as stale once it has expired, though the page (a tab left open
// for days) still holds the follow it made then. The page's clock is
// moved past the head's validity rather than waited for.
func TestBrowserStaleLater(t *testing.T) {
	s := newSite(t, siteOptions{})
	b := newBrowser(t)
	b.open(s.srv.URL + "/")
	b.waitText("Harbour reopens")
	if eval[bool](b, "!!document.querySelector('[data-stale]')") {
		t.Fatal("a valid head shown as stale")
	}
	// A year on; the next page drawn reuses the follow made at load.
	eval[bool](b, `(() => { const now = Date.now; Date.now = () => now() + 366 * 86400e3; return true; })()`)
	eval[bool](b, "(location.hash = "+jsString(strings.TrimPrefix(articleHref(publisher, "en-harbour"), "#"))+", true)")
	b.waitText(textPlain)
	b.waitFor("the stale notice on the article page", "document.querySelector('[data-stale]')", 10*time.Second)
}

// TestBrowserForgedHeadReturning: a reader who saved an article comes
// back to a copy whose head another key has since signed. The page keeps
// the saved article and says that the head failed verification; it does
// not call that being offline.
func TestBrowserForgedHeadReturning(t *testing.T) {
	s := newSite(t, siteOptions{})
	dir := s.static(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	b := newBrowser(t)
	b.open(srv.URL + "/")
	b.click("Harbour reopens")
	b.waitText("Saved for offline reading.")

	res, err := http.Get(forgedHeadServer(t, s).URL + node.HeadPath + publisher)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "samizdat", "heads", publisher), readAll(t, res), 0o644); err != nil {
		t.Fatal(err)
	}
	b.open(srv.URL + "/")
	b.waitFor("the verification failure", `document.querySelector('[data-error="ErrBadHead"]')`, 30*time.Second)
	b.waitText("Harbour reopens")
	if strings.Contains(b.text(), "Offline") {
		t.Errorf("a forged head shown as being offline:\n%s", b.text())
	}
}

// TestBrowserSavedNotCurrent: a saved copy of an article that the
// publisher's verified articles do not hold (here put in the store
// directly, as another page of the origin could) is shown as the saved
// copy with a note that it is not among the publisher's current articles.
func TestBrowserSavedNotCurrent(t *testing.T) {
	s := newSite(t, siteOptions{})
	b := newBrowser(t)
	b.open(s.srv.URL + "/")
	b.waitText("Harbour reopens")
	plant := `(async () => {
		const body = new TextEncoder().encode('Planted words.');
		const cid = await samizdat.mf.cidOf(samizdat.mf.CODEC.RAW, body);
		const st = await samizdat.store.open();
		await st.putArticle(` + jsString(publisher) + `, { id: 'en-planted', title: 'Planted story', lang: 'en', published: 0, updated: 0,
			summary: '', authors: [], url: '', contentType: 'text/plain', size: body.length, cid, body, attachments: [],
			bundle: '', headSeq: '1', mirror: '', savedAt: Date.now() });
		return true;
	})()`
	eval[bool](b, plant)
	goTo := func(hash string) {
		eval[bool](b, "(location.hash = "+jsString(strings.TrimPrefix(hash, "#"))+", true)")
	}
	// The trust bar's button is drawn once the follow's verdict is in,
	// right before the article page decides on the note.
	verdict := "[...document.querySelectorAll('button.link')].some(e => e.textContent.includes('Check for updates'))"
	// A genuine article, saved and then shown from the store, has no note.
	goTo(articleHref(publisher, "en-harbour"))
	b.waitText("Saved for offline reading.")
	goTo("#/settings")
	b.waitFor("the settings", "document.querySelector('select#lang')", 10*time.Second)
	goTo(articleHref(publisher, "en-harbour"))
	b.waitText("Showing the copy saved on this device.")
	b.waitFor("the trust bar", verdict, 10*time.Second)
	if eval[bool](b, "!!document.querySelector('[data-not-current]')") {
		t.Error("a current article marked as not current")
	}
	goTo(articleHref(publisher, "en-planted"))
	b.waitText("Planted words.")
	b.waitFor("the trust bar", verdict, 10*time.Second)
	if !eval[bool](b, "!!document.querySelector('[data-not-current]')") {
		t.Errorf("a saved copy the publisher does not list, shown without the note:\n%s", b.text())
	}
}

// TestBrowserForgedMirrorNoted: of two mirrors, one answers a head another
// key signed. The page shows the genuine head's articles and says which
// mirror offered a head that is not genuine.
func TestBrowserForgedMirrorNoted(t *testing.T) {
	forged := forgedHeadServer(t, newSite(t, siteOptions{}))
	s := newSite(t, siteOptions{mirrors: []Mirror{{URL: forged.URL, Kind: KindGateway}}})
	b := newBrowser(t)
	b.open(s.srv.URL + "/")
	b.waitText("Harbour reopens")
	b.waitText("Verification failed (ErrBadHead): the publisher’s update from \u2068" + forged.URL + "/\u2069 is not genuine.")
}

// TestBrowserSavedUnderOtherIDForm: a publisher named in the page's
// address by its other ID form (k51…, the CIDv1 base36 form IPFS tools
// print) is the same publisher: offline, its saved articles are listed,
// as under the 12D3Koo… form the reader saves them under.
func TestBrowserSavedUnderOtherIDForm(t *testing.T) {
	s := newSite(t, siteOptions{})
	b := newBrowser(t)
	b.open(s.srv.URL + "/")
	b.click("Harbour reopens")
	b.waitText("Saved for offline reading.")

	mh, err := base58.Decode(publisher)
	if err != nil {
		t.Fatal(err)
	}
	k51, err := cid.NewCidV1(cid.Libp2pKey, mh).StringOfBase(multibase.Base36)
	if err != nil || !strings.HasPrefix(k51, "k51") {
		t.Fatalf("the k51 form of %s: %q, %v", publisher, k51, err)
	}
	s.srv.Close()
	b.open(s.srv.URL + "/#/p/" + k51)
	b.waitText("Harbour reopens")
}

// TestBrowserRecheckOnReturn: a tab left open on a publisher's list
// looks for a newer head when it comes back into view, once its follow
// is over half an hour old: the newer bundle's article appears without
// a reload. The page's clock is moved on rather than waited for, and
// the return into view is the visibilitychange event.
func TestBrowserRecheckOnReturn(t *testing.T) {
	s := newSite(t, siteOptions{})
	b := newBrowser(t)
	b.open(s.srv.URL + "/")
	b.waitText("Harbour reopens")
	s.publish(t, 2, []*bundle.Article{{ID: "en-late", Title: "Late edition", Lang: "en",
		Published: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), ContentType: "text/plain", Body: []byte("Later news.")}})
	back := `(() => { document.dispatchEvent(new Event('visibilitychange')); return true; })()`
	// Within half an hour the list stays as it is: no request goes out.
	eval[bool](b, `(() => { window.asked = 0; const f = window.fetch; window.fetch = (...a) => (window.asked++, f(...a)); return true; })()`)
	eval[bool](b, back)
	time.Sleep(time.Second)
	if n := eval[int](b, "window.asked"); n != 0 {
		t.Errorf("%d requests on a return within half an hour of the last check", n)
	}
	eval[bool](b, `(() => { const now = Date.now; Date.now = () => now() + 31 * 60e3; return true; })()`)
	eval[bool](b, back)
	b.waitText("Late edition")
	b.waitText("Harbour reopens")
}
