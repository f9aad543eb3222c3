package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/browsertest"
	"github.com/samizdat/samizdat/node"
	"github.com/samizdat/samizdat/web/search"
)

func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func pubID(k ed25519.PrivateKey) string { return bundle.PublisherID(k.Public().(ed25519.PublicKey)) }

func testPNG(t testing.TB) []byte { return browsertest.PNG(t) }

// Article IDs of the fixture.
const (
	idPlain    = "en/harbour"
	idMarkdown = "ru-1"
	idHTML     = "fa/دانشگاه"
	idZH       = "zh-1"
	idEvil     = "en-evil"
	idOther    = "es-1"
	newsName   = "Example News"
)

// evilHTML is a publisher HTML article (or a forged one, were signatures
// broken) carrying everything the sanitizer must remove.
const evilHTML = `<h2>Evil <em>but</em> readable</h2>
<p>Text stays.</p>
<script>document.title='pwned'</script>
<iframe src="https://tracker.example/frame"></iframe>
<form action="https://tracker.example/post"><input name=x></form>
<img src="https://tracker.example/pixel.png" alt="remote pixel">
<img src="//tracker.example/proto.png">
<img src="data:image/png;base64,iVBORw0KGgo=">
<img src="img/photo.png" srcset="https://tracker.example/big.png 2x" alt="own photo">
<link rel=stylesheet href="https://cdn.tracker.example/x.css">
<style>body{background:url(https://tracker.example/css.png)}</style>
<p style="background:url(https://tracker.example/style.png)">styled</p>
<a href="javascript:alert(1)">js link</a>
<a href="https://elsewhere.example/story">remote link</a>
<a href="/local/path">site-relative</a>
<svg onload="alert(1)"><image href="https://tracker.example/svg.png"/></svg>
<object data="https://tracker.example/obj"></object>
<embed src="https://tracker.example/embed">
<video src="https://tracker.example/v.mp4" poster="https://tracker.example/poster.png"></video>
<audio src="https://tracker.example/a.mp3"></audio>
<meta http-equiv="refresh" content="0;url=https://tracker.example/">
<base href="https://tracker.example/">
<p onclick="alert(1)" onmouseover="alert(2)">handlers</p>
<table background="https://tracker.example/bg.png"><tr><td>cell</td></tr></table>`

type fixture struct {
	repo   *node.Repo
	n      *node.Node
	idx    *search.Index
	news   *bundle.Bundle // publisher with a name and a fresh head
	other  *bundle.Bundle // publisher without a name, head expired
	newsID string
	othID  string
	png    []byte
}

// newFixture builds a repo holding two publishers' bundles in a temp dir.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	repo, err := node.OpenRepo(filepath.Join(dir, "repo"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	n, err := node.New(ctx, repo, node.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	f := &fixture{repo: repo, n: n, png: testPNG(t)}
	root, signer, other := testKey(1), testKey(2), testKey(3)
	f.newsID, f.othID = pubID(root), pubID(other)
	auth, err := bundle.NewAuthority(root, bundle.AuthorityParams{Seq: 1, Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Name: newsName, Keys: []ed25519.PublicKey{signer.Public().(ed25519.PublicKey)}})
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 9, 0, 0, 0, time.UTC) }
	f.news = f.add(t, dir, bundle.PackOptions{Key: signer, Authority: auth, Seq: 7, Created: day(20)}, []*bundle.Article{
		{ID: idPlain, Title: "Harbour reopens", Lang: "en", Published: day(10), ContentType: "text/plain",
			URL: "https://news.example/harbour", Authors: []string{"A. Reporter"},
			Body: []byte("The harbour reopened on Monday.\n\nShips <b>returned</b> & waited.\nSecond line.")},
		{ID: idMarkdown, Title: "Выборы в Москве", Lang: "ru", Published: day(11), Updated: day(14), ContentType: "text/markdown",
			Body:        []byte("# Заголовок\n\nВ Москве прошли **выборы**.\n\n![карта](img/map.png)\n\n<script>alert(1)</script><img src=\"https://tracker.example/md.png\">\n\n[remote](https://elsewhere.example/)"),
			Attachments: []bundle.Attachment{{Name: "img/map.png", ContentType: "image/png", Data: f.png}}},
		{ID: idHTML, Title: "دانشگاه‌ها باز شدند", Lang: "fa", Published: day(12), ContentType: "text/html",
			Body: []byte("<p>دانشگاه‌ها امروز باز شدند و دانشجویان به کلاس‌ها برگشتند.</p>")},
		{ID: idZH, Title: "北京交通计划", Lang: "zh-Hans", Published: day(13), ContentType: "text/plain",
			Body: []byte("北京市政府今天宣布了新的交通计划。")},
		{ID: idEvil, Title: "Evil page", Lang: "en", Published: day(9), ContentType: "text/html",
			Body:        []byte(evilHTML),
			Attachments: []bundle.Attachment{{Name: "img/photo.png", ContentType: "image/png", Data: f.png}, {Name: "doc.svg", ContentType: "image/svg+xml", Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)}}},
	})
	f.other = f.add(t, dir, bundle.PackOptions{Key: other, Seq: 1, Created: day(2)}, []*bundle.Article{
		{ID: idOther, Title: "Sequía en el sur", Lang: "es", Published: day(1), ContentType: "text/plain", Body: []byte("La sequía continúa.")},
	})
	f.head(t, root, f.news.Root, 7, 72*time.Hour)
	f.head(t, other, f.other.Root, 1, -time.Hour) // expired an hour ago
	if f.idx, err = search.Open(filepath.Join(dir, "index")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.idx.Close() })
	return f
}

func (f *fixture) add(t testing.TB, dir string, opts bundle.PackOptions, arts []*bundle.Article) *bundle.Bundle {
	t.Helper()
	opts.TempDir = dir
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
	path := filepath.Join(dir, pubID(opts.Key)+".bundle")
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
	b, err := bundle.Open(path, bundle.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if err := f.n.AddBundle(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return b
}

// head stores a head naming a catalog of root, valid for validity from now
// (negative: already expired).
func (f *fixture) head(t testing.TB, key ed25519.PrivateKey, root cid.Cid, seq uint64, validity time.Duration) {
	t.Helper()
	c, _, err := (&node.Catalog{Publisher: pubID(key), Bundles: []cid.Cid{root}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	h, err := node.NewHead(key, c, seq, validity)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.repo.Heads().Offer(h); err != nil {
		t.Fatal(err)
	}
}

// followRecorder is a Config.Follow that records what it was given.
type followRecorder struct {
	mu    sync.Mutex
	links []node.Link
}

func (r *followRecorder) follow(_ context.Context, l node.Link) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.links = append(r.links, l)
	return nil
}

func (f *fixture) server(t testing.TB, public bool, follow func(context.Context, node.Link) error) *Server {
	t.Helper()
	s, err := New(context.Background(), Config{Node: f.n, Index: f.idx, Public: public, Follow: follow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
