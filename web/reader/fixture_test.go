package reader

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/browsertest"
	"github.com/samizdat/samizdat/mirror"
	"github.com/samizdat/samizdat/node"
)

func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func pubKey(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// The fixture publisher: its root key signs a document delegating a
// bundle key and a head key, as the demo's publisher does, so every test
// runs the whole chain: publisher ID → document → head key → head.
var (
	rootKey   = testKey(0x51)
	bundleKey = testKey(0x52)
	headKey   = testKey(0x53)
	otherKey  = testKey(0x59)
	publisher = bundle.PublisherID(pubKey(rootKey))
)

const newsName = "Fixture News"

// Sentences the tests look for in the page.
const (
	textPlain    = "The harbour reopened on Monday after the storm."
	textRTL      = "دانشگاه‌ها امروز باز شدند و دانشجویان به کلاس‌ها برگشتند."
	textSentinel = "ORIGINAL sentinel words"
	titleNewer   = "A newer story"
)

// headKeyUntil is when the fixture's head key lapses. It is fixed once per
// run: sites built from separate document calls must get the same document,
// since two documents of one sequence number are an equivocation.
var headKeyUntil = time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)

func document(t testing.TB, mirrors ...string) *bundle.Authority {
	t.Helper()
	doc, err := bundle.NewAuthority(rootKey, bundle.AuthorityParams{Seq: 1, Name: newsName,
		Created:  time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Keys:     []ed25519.PublicKey{pubKey(bundleKey)},
		HeadKeys: []bundle.HeadKey{{Key: pubKey(headKey), Until: headKeyUntil}},
		Mirrors:  mirrors})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func testPNG(t testing.TB) []byte { return browsertest.PNG(t) }

// articles are the first bundle's: plain text, right-to-left HTML with an
// image, Markdown, a short raw body the tamper test alters, and a hostile
// HTML page.
func articles(t testing.TB) []*bundle.Article {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 9, 0, 0, 0, time.UTC) }
	return []*bundle.Article{
		{ID: "en-harbour", Title: "Harbour reopens", Lang: "en", Published: day(10), ContentType: "text/plain",
			Summary: "Ships are back.", Body: []byte(textPlain + "\n\nShips <b>returned</b> & waited.")},
		{ID: "fa-university", Title: "دانشگاه‌ها باز شدند", Lang: "fa", Published: day(12), ContentType: "text/html",
			Body:        []byte("<p>" + textRTL + "</p><p><img src=\"img/photo.png\" alt=\"عکس\"></p>"),
			Attachments: []bundle.Attachment{{Name: "img/photo.png", ContentType: "image/png", Data: testPNG(t)}}},
		{ID: "ru-elections", Title: "Выборы в Москве", Lang: "ru", Published: day(11), ContentType: "text/markdown",
			Body: []byte("# Заголовок\n\nВ Москве прошли **выборы**.\n\n[ссылка](https://elsewhere.example/)")},
		{ID: "en-sentinel", Title: "Sentinel", Lang: "en", Published: day(8), ContentType: "text/plain",
			Body: []byte(textSentinel)},
		{ID: "en-evil", Title: "Evil page", Lang: "en", Published: day(7), ContentType: "text/html",
			Body: []byte(`<p>Evil text stays.</p><script>document.title='pwned'</script>` +
				`<img src="https://tracker.example/pixel.png"><img src="x" onerror="document.title='pwned'">` +
				`<a href="javascript:alert(1)">js</a><iframe src="https://tracker.example/"></iframe>` +
				`<p style="background:url(https://tracker.example/s.png)" onclick="alert(1)">styled</p>`)},
	}
}

// site is one mirror: a serving node holding the fixture publisher, with
// its gateway and the browser reader over HTTP, as serve --http has them.
type site struct {
	svc     *mirror.Service
	repo    *node.Repo
	dir     string
	doc     *bundle.Authority
	srv     *httptest.Server
	bundles []*bundle.Bundle
	// down makes the gateway answer 503, as a mirror being blocked or
	// overloaded does; the page is still served.
	down atomic.Bool
}

// siteOptions shape a site.
type siteOptions struct {
	validity time.Duration     // head validity (negative: expired already)
	newer    bool              // publish a second bundle too (head seq 2)
	mirrors  []Mirror          // other mirrors the page lists
	arts     []*bundle.Article // the first bundle's articles (default: articles)
	// rootSigned: the root key signs the heads (bare IPNS records), as an
	// IPFS-only gateway can serve them.
	rootSigned bool
	// ipfsOnly: serve only what a stock IPFS trustless gateway serves
	// (/ipfs/, /ipns/), not samizdat's head path.
	ipfsOnly bool
	// doc is the publisher document (default: document(t)). Sites that
	// carry one publisher's heads must share it: two documents of one
	// sequence number are an equivocation.
	doc *bundle.Authority
	// learned: the page lists the https mirrors of the held heads'
	// documents (Options.Learned), as serve --http does.
	learned bool
}

func newSite(t testing.TB, o siteOptions) *site {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	repo, err := node.OpenRepo(filepath.Join(dir, "repo"))
	if err != nil {
		t.Fatal(err)
	}
	doc := o.doc
	if doc == nil {
		doc = document(t)
	}
	mo := mirror.Options{Key: headKey, Authority: doc, HeadValidity: o.validity}
	if o.rootSigned {
		mo.Key, mo.Authority = rootKey, nil
	}
	svc, err := mirror.Start(ctx, repo, node.Config{Serve: true}, mo)
	if err != nil {
		repo.Close()
		t.Fatal(err)
	}
	s := &site{svc: svc, repo: repo, dir: dir, doc: doc}
	t.Cleanup(func() {
		if s.srv != nil {
			s.srv.Close()
		}
		for _, b := range s.bundles {
			b.Close()
		}
		svc.Close()
		repo.Close()
	})
	arts := o.arts
	if arts == nil {
		arts = articles(t)
	}
	s.publish(t, 1, arts)
	if o.newer {
		s.publish(t, 2, []*bundle.Article{{ID: "en-newer", Title: titleNewer, Lang: "en",
			Published: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), ContentType: "text/plain", Body: []byte("Newer text.")}})
	}
	s.srv = httptest.NewServer(s.handler(t, o))
	return s
}

// publish packs arts as bundle seq and publishes it.
func (s *site) publish(t testing.TB, seq uint64, arts []*bundle.Article) {
	t.Helper()
	path := filepath.Join(s.dir, fmt.Sprintf("b%d.bundle", seq))
	packFile(t, path, bundle.PackOptions{Key: bundleKey, Authority: s.doc, Seq: seq,
		Created: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), TempDir: s.dir}, arts)
	b, err := bundle.Open(path, bundle.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.bundles = append(s.bundles, b)
	if _, err := s.svc.Publish(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

func packFile(t testing.TB, path string, opts bundle.PackOptions, arts []*bundle.Article) {
	t.Helper()
	p, err := bundle.NewPacker(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, a := range arts {
		if err := p.Add(a); err != nil {
			t.Fatal(err)
		}
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Pack(out); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// handler is the gateway with the reader at /, as cmd/samizdat mounts them.
func (s *site) handler(t testing.TB, o siteOptions) http.Handler {
	t.Helper()
	real, err := s.svc.Node().Gateway(node.GatewayConfig{})
	if err != nil {
		t.Fatal(err)
	}
	gw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		real.ServeHTTP(w, r)
	})
	opts := Options{Mirrors: o.mirrors, Publishers: []Publisher{{ID: publisher, Name: newsName}}}
	if o.learned {
		opts.Learned = s.learnedMirrors
	}
	app, err := Handler(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ipfs/", gw)
	mux.Handle("/ipns/", gw)
	if o.ipfsOnly {
		return mux
	}
	mux.Handle(node.HeadPath, gw)
	mux.Handle("/", app)
	return mux
}

// learnedMirrors are the https mirrors the documents of the site's held
// heads list, as cmd/samizdat gives them to Options.Learned.
func (s *site) learnedMirrors() []Mirror {
	var out []Mirror
	for _, id := range s.svc.Publishers() {
		h, err := s.svc.Head(id)
		if err != nil || h.Authority == nil {
			continue
		}
		for _, m := range node.ParseMirrors(h.Authority.Mirrors) {
			if m.URL != "" {
				out = append(out, Mirror{URL: m.URL, Kind: KindAuto})
			}
		}
	}
	return out
}

// static writes the site's static copy (with the reader) to a new
// directory and returns it.
func (s *site) static(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := s.svc.WriteStatic(context.Background(), dir, nil); err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(dir, Options{Publishers: []Publisher{{ID: publisher, Name: newsName}}}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tamper changes old to new (same length) in the static copy's newest
// bundle file, where an article's raw block holds it: the file then holds
// a block that no longer matches its CID.
func tamper(t testing.TB, dir string, b *bundle.Bundle, old, new string) {
	t.Helper()
	if len(old) != len(new) {
		t.Fatal("tamper: lengths differ")
	}
	p := filepath.Join(dir, "ipfs", b.Root.String())
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(data, []byte(old)) != 1 {
		t.Fatalf("tamper: %q occurs %d times in the bundle file, want once (stored raw)", old, bytes.Count(data, []byte(old)))
	}
	if err := os.WriteFile(p, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// forgedHeadServer serves, for the fixture publisher, a head that another
// key signed, naming the publisher's real catalog with a higher sequence
// number: only its signature is wrong.
func forgedHeadServer(t testing.TB, real *site) *httptest.Server {
	t.Helper()
	genuine, err := real.svc.Node().Heads().Get(publisher)
	if err != nil {
		t.Fatal(err)
	}
	h, err := node.NewHead(otherKey, genuine.Catalog, genuine.Seq+98, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(node.AllowCORS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, node.HeadPath) {
			w.Write(h.Bytes())
			return
		}
		http.NotFound(w, r)
	})))
	t.Cleanup(srv.Close)
	return srv
}
