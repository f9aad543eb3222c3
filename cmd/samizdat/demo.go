package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/internal/corpus"
	"github.com/samizdat/samizdat/mirror"
	"github.com/samizdat/samizdat/node"
)

// runDemoCmd is the README's main job: it generates a multilingual corpus,
// packs it, and runs a publisher, two mirrors and a reader on loopback;
// the publisher goes offline and the reader gets everything, verified,
// from the mirrors.
func runDemoCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	dir := fs.String("dir", "", "work directory to keep (default: a temporary one, removed after)")
	n := fs.Int("n", 500, "articles to generate")
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
	step := func(format string, a ...any) { fmt.Fprintf(e.stdout, format+"\n", a...) }
	start := time.Now()

	t0 := time.Now()
	docs := corpus.Generate(1, *n, 2<<10, 20<<10)
	src := filepath.Join(work, "articles")
	inBytes, err := corpus.WriteDir(src, docs)
	if err != nil {
		return err
	}
	step("1. generated %d articles in 9 languages (%d bytes) in %s  [%v]", len(docs), inBytes, src, since(t0))

	key, err := bundle.GenerateKey()
	if err != nil {
		return err
	}
	keyPath := filepath.Join(work, "publisher.key")
	pem, err := bundle.MarshalPrivateKey(key)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(keyPath, 0o600, pem); err != nil {
		return err
	}
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	step("2. publisher key %s\n   publisher ID %s", keyPath, id)

	t0 = time.Now()
	out := filepath.Join(work, "news.bundle")
	info, err := runPack(ctx, e, packOptions{key: keyPath, out: out, level: "fastest", inputs: []string{src}})
	if err != nil {
		return err
	}
	step("3. packed %s: %d articles, %d -> %d bytes (%.2fx), signed  [%v]", filepath.Base(out), info.Articles, info.Bytes, info.Size,
		float64(info.Bytes)/float64(info.Size), since(t0))

	// Four nodes on loopback, each with its own repo.
	start4 := func(name string, serve bool) (*node.Node, *node.Repo, error) {
		repo, err := node.OpenRepo(filepath.Join(work, name))
		if err != nil {
			return nil, nil, err
		}
		cfg := node.Config{Serve: serve}
		if serve {
			cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
		}
		nd, err := node.New(ctx, repo, cfg)
		if err != nil {
			repo.Close()
			return nil, nil, err
		}
		if serve {
			nd.ServeHeads(repo.Heads())
		}
		return nd, repo, nil
	}
	type member struct {
		n    *node.Node
		repo *node.Repo
	}
	var nodes []member
	defer func() {
		for _, m := range nodes {
			m.n.Close()
			m.repo.Close()
		}
	}()
	for _, s := range []struct {
		name  string
		serve bool
	}{{"publisher", true}, {"mirror-1", true}, {"mirror-2", true}, {"reader", false}} {
		nd, repo, err := start4(s.name, s.serve)
		if err != nil {
			return err
		}
		nodes = append(nodes, member{nd, repo})
	}
	pub, m1, m2, reader := nodes[0], nodes[1], nodes[2], nodes[3]
	connect := func(from, to member) error {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return from.n.Connect(cctx, peer.AddrInfo{ID: to.n.Host.ID(), Addrs: to.n.Host.Addrs()})
	}
	step("4. started a publisher, two mirrors and a reader on 127.0.0.1 (TCP and QUIC)")

	t0 = time.Now()
	b, err := bundle.Open(out, bundle.OpenOptions{Publisher: id})
	if err != nil {
		return err
	}
	h, err := mirror.Publish(ctx, pub.n, pub.repo.Heads(), key, b, mirror.DefaultHeadValidity)
	b.Close()
	if err != nil {
		return err
	}
	step("5. published: head %d, valid until %s  [%v]", h.Seq, h.Expires.UTC().Format(time.RFC3339), since(t0))

	for i, m := range []member{m1, m2} {
		t0 = time.Now()
		if err := connect(m, pub); err != nil {
			return err
		}
		res, err := mirror.Sync(ctx, m.n, m.repo.Heads(), id, []peer.ID{pub.n.Host.ID()})
		if err != nil {
			return err
		}
		step("6.%d mirror-%d followed the publisher: head %d, %d bundle(s) fetched and verified  [%v]", i+1, i+1, res.Head.Seq, len(res.Fetched), since(t0))
	}
	pub.n.Close()
	step("7. the publisher goes offline (blocked)")

	t0 = time.Now()
	for _, m := range []member{m1, m2} {
		if err := connect(reader, m); err != nil {
			return err
		}
	}
	res, err := mirror.Sync(ctx, reader.n, reader.repo.Heads(), id, []peer.ID{m1.n.Host.ID(), m2.n.Host.ID()})
	if err != nil {
		return err
	}
	paths, err := mirror.WriteBundles(ctx, reader.n, res, filepath.Join(work, "reader-got"))
	if err != nil {
		return err
	}
	step("8. the reader asked both mirrors, took head %d, fetched %d bundle(s), verified, wrote %s  [%v]",
		res.Head.Seq, len(res.Fetched), paths[0], since(t0))

	got, err := bundle.Open(paths[0], bundle.OpenOptions{Publisher: id})
	if err != nil {
		return err
	}
	defer got.Close()
	list := got.List()
	step("9. reading offline, each article decompressed alone and checked against the signed manifest:")
	for i := 0; i < len(list) && i < 5; i++ {
		a := list[(i*len(list))/5]
		t0 = time.Now()
		body, err := got.Body(a.ID)
		if err != nil {
			return err
		}
		step("   [%s] %s (%d bytes, %v)", a.Lang, a.Title, len(body), since(t0))
	}
	step("\ndone in %v. Next: samizdat ls %s (run with --dir to keep the files)", since(start), paths[0])
	return nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Microsecond) }
