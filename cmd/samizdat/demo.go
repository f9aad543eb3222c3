package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/internal/corpus"
	"github.com/samizdat/samizdat/mirror"
	"github.com/samizdat/samizdat/node"
	webapp "github.com/samizdat/samizdat/web/reader"
)

// runDemoCmd is the README's main job: it generates a multilingual corpus,
// packs it, and runs a publisher, two mirrors and a reader on loopback;
// the publisher goes offline and the reader gets everything, verified,
// from the mirrors.
func runDemoCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	dir := fs.String("dir", "", "work directory to keep (default: a temporary one, removed after)")
	n := fs.Int("n", 500, "articles to generate")
	serveAt := fs.String("serve", "", "after the demo, keep the mirrors serving the browser reader on this address (e.g. 127.0.0.1:8080) until interrupted")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *n < 1 {
		return fmt.Errorf("%w: no arguments expected", errUsage)
	}
	work := *dir
	if work == "" {
		if work, err = os.MkdirTemp("", "samizdat-demo-*"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	d := &demo{e: e, work: work, start: time.Now(), close: func() {}}
	defer d.close()
	for _, step := range []func(context.Context) error{
		func(context.Context) error { return d.generate(*n) },
		d.makeKey, d.pack, d.startNodes, d.publish, d.mirror, d.read, d.show,
	} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	if *serveAt != "" {
		return d.serveBrowser(ctx, *serveAt)
	}
	d.step("\ndone in %v. Next: samizdat ls %s (run with --dir to keep the files)", since(d.start), d.got[0])
	d.step("To read in a browser, verified by the page itself: go run ./cmd/samizdat demo --serve 127.0.0.1:8080\nand open http://127.0.0.1:8080/")
	return nil
}

// serveBrowser keeps both mirrors serving over HTTP, mirror-1 with the
// browser reader beside its gateway, listing mirror-2 as a second mirror,
// until ctx ends.
func (d *demo) serveBrowser(ctx context.Context, addr string) error {
	stop2, line2, err := startGateway(d.e, d.nodes[2].Node(), "127.0.0.1:0", nil, nil)
	if err != nil {
		return err
	}
	defer stop2()
	other := strings.TrimSpace(strings.TrimPrefix(line2, "http "))
	stop1, line1, err := startGateway(d.e, d.nodes[1].Node(), addr, nil, []webapp.Mirror{{URL: other + "/", Kind: webapp.KindGateway}})
	if err != nil {
		return err
	}
	defer stop1()
	url := strings.TrimSpace(strings.TrimPrefix(line1, "http "))
	d.step("10. the mirrors serve over HTTP: mirror-1 at %s (with the browser reader), mirror-2 at %s", url, other)
	d.step("\nOpen %s/ in a browser: the page checks the publisher's signatures itself, from either mirror.\nInterrupt (Ctrl-C) to stop.", url)
	<-ctx.Done()
	return nil
}

// demo is the state the demo's steps pass on.
type demo struct {
	e       *env
	work    string
	start   time.Time
	src     string            // the generated articles
	key     string            // the bundle key file
	headKey string            // the head key file
	doc     string            // the publisher document
	id      string            // the publisher ID
	out     string            // the packed bundle
	nodes   []*mirror.Service // publisher, mirror-1, mirror-2, reader
	close   func()            // stops every node
	got     []string          // the bundle files the reader wrote
}

func (d *demo) step(format string, a ...any) { fmt.Fprintf(d.e.stdout, format+"\n", a...) }

func (d *demo) generate(n int) error {
	t0 := time.Now()
	docs := corpus.Generate(1, n, 2<<10, 20<<10)
	d.src = filepath.Join(d.work, "articles")
	inBytes, err := corpus.WriteDir(d.src, docs)
	if err != nil {
		return err
	}
	d.step("1. generated %d articles in 9 languages (%d bytes) in %s  [%v]", len(docs), inBytes, d.src, since(t0))
	return nil
}

// makeKey is the publisher's key ceremony: a root key signs a publisher
// document delegating a bundle key and a head key, and is put away: no
// step after this one has it.
func (d *demo) makeKey(context.Context) error {
	root, err := bundle.GenerateKey()
	if err != nil {
		return err
	}
	bundleKey, err := d.writeKey("bundle.key")
	if err != nil {
		return err
	}
	headKey, err := d.writeKey("head.key")
	if err != nil {
		return err
	}
	doc, err := bundle.NewAuthority(root, bundle.AuthorityParams{Seq: 1, Name: "Demo News",
		Keys:     []ed25519.PublicKey{bundleKey.Public().(ed25519.PublicKey)},
		HeadKeys: []bundle.HeadKey{{Key: headKey.Public().(ed25519.PublicKey), Until: time.Now().Add(defaultHeadKeyWindow)}}})
	if err != nil {
		return err
	}
	d.doc = filepath.Join(d.work, "publisher.doc")
	if err := atomicfile.WriteBytes(d.doc, 0o644, doc.Bytes()); err != nil {
		return err
	}
	d.id = doc.Publisher
	d.key, d.headKey = filepath.Join(d.work, "bundle.key"), filepath.Join(d.work, "head.key")
	d.step("2. publisher ID %s: its root key signed %s, delegating a bundle key and a head key,\n   and went offline (it is not on disk: no later step has it)", d.id, filepath.Base(d.doc))
	return nil
}

// writeKey makes a key and writes it to name in the work directory.
func (d *demo) writeKey(name string) (ed25519.PrivateKey, error) {
	key, err := bundle.GenerateKey()
	if err != nil {
		return nil, err
	}
	pem, err := bundle.MarshalPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return key, atomicfile.WriteBytes(filepath.Join(d.work, name), 0o600, pem)
}

func (d *demo) pack(ctx context.Context) error {
	t0 := time.Now()
	d.out = filepath.Join(d.work, "news.bundle")
	info, err := runPack(ctx, d.e, packOptions{key: d.key, authority: d.doc, out: d.out, level: "fastest", inputs: []string{d.src}})
	if err != nil {
		return err
	}
	d.step("3. packed %s: %d articles, %d -> %d bytes (%.2fx), signed with the bundle key  [%v]", filepath.Base(d.out), info.Articles, info.Bytes, info.Size,
		float64(info.Bytes)/float64(info.Size), since(t0))
	return nil
}

// startNodes starts four nodes on loopback, each with its own repo; the
// publisher's service holds the head key and the document.
func (d *demo) startNodes(ctx context.Context) error {
	key, err := loadKey(d.headKey)
	if err != nil {
		return err
	}
	doc, err := loadAuthority(d.doc)
	if err != nil {
		return err
	}
	var closers []func()
	d.close = func() {
		for _, c := range closers {
			c()
		}
	}
	for _, name := range []string{"publisher", "mirror-1", "mirror-2", "reader"} {
		cfg, opts := node.Config{}, mirror.Options{}
		if name != "reader" {
			cfg.Serve, cfg.Listen = true, []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
		}
		if name == "publisher" {
			opts.Key, opts.Authority = key, doc
		}
		svc, _, closeAll, err := openService(ctx, filepath.Join(d.work, name), cfg, opts)
		if err != nil {
			return err
		}
		closers = append(closers, closeAll)
		d.nodes = append(d.nodes, svc)
	}
	d.step("4. started a publisher, two mirrors and a reader on 127.0.0.1 (TCP and QUIC)")
	return nil
}

func (d *demo) publish(ctx context.Context) error {
	t0 := time.Now()
	h, err := d.nodes[0].PublishFile(ctx, d.out)
	if err != nil {
		return err
	}
	d.step("5. published: head %d signed with the head key, valid until %s  [%v]", h.Seq, h.Expires.UTC().Format(time.RFC3339), since(t0))
	return nil
}

// connect dials to's node from from's.
func connect(ctx context.Context, from, to *mirror.Service) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n := to.Node()
	return from.Node().Connect(ctx, peer.AddrInfo{ID: n.Host.ID(), Addrs: n.Host.Addrs()})
}

// mirror has both mirrors sync from the publisher, which then goes
// offline.
func (d *demo) mirror(ctx context.Context) error {
	pub := d.nodes[0]
	for i, m := range d.nodes[1:3] {
		t0 := time.Now()
		if err := connect(ctx, m, pub); err != nil {
			return err
		}
		res, err := m.Sync(ctx, d.id, []peer.ID{pub.Node().Host.ID()})
		if err != nil {
			return err
		}
		d.step("6.%d mirror-%d followed the publisher: head %d, %d bundle(s) fetched and verified  [%v]", i+1, i+1, res.Head.Seq, len(res.Fetched), since(t0))
	}
	pub.Node().Close()
	d.step("7. the publisher goes offline (blocked)")
	return nil
}

func (d *demo) read(ctx context.Context) error {
	t0 := time.Now()
	reader := d.nodes[3]
	var peers []peer.ID
	for _, m := range d.nodes[1:3] {
		if err := connect(ctx, reader, m); err != nil {
			return err
		}
		peers = append(peers, m.Node().Host.ID())
	}
	res, err := reader.Sync(ctx, d.id, peers)
	if err != nil {
		return err
	}
	if d.got, err = reader.WriteBundles(ctx, res, filepath.Join(d.work, "reader-got")); err != nil {
		return err
	}
	d.step("8. the reader asked both mirrors, took head %d, fetched %d bundle(s), verified, wrote %s  [%v]",
		res.Head.Seq, len(res.Fetched), d.got[0], since(t0))
	return nil
}

// show reads a few articles offline from the reader's bundle file.
func (d *demo) show(context.Context) error {
	got, err := bundle.Open(d.got[0], bundle.OpenOptions{Publisher: d.id})
	if err != nil {
		return err
	}
	defer got.Close()
	list := got.List()
	d.step("9. reading offline, each article decompressed alone and checked against the signed manifest:")
	for i := 0; i < len(list) && i < 5; i++ {
		a := list[(i*len(list))/5]
		t0 := time.Now()
		body, err := got.Body(a.ID)
		if err != nil {
			return err
		}
		d.step("   [%s] %s (%d bytes, %v)", a.Lang, a.Title, len(body), since(t0))
	}
	return nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Microsecond) }
