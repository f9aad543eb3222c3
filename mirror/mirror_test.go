package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/corpus"
	"github.com/samizdat/samizdat/node"
)

type testNode struct {
	*node.Node
	svc   *Service
	heads *node.Heads
	repo  *node.Repo
}

// wrap makes a test node of n with a service that publishes nothing.
func wrap(n *node.Node, repo *node.Repo) *testNode {
	return &testNode{Node: n, svc: newService(n, Options{}), heads: n.Heads(), repo: repo}
}

// as returns a service of tn's node that publishes with key, heads valid
// for an hour.
func (tn *testNode) as(key ed25519.PrivateKey) *Service {
	return newService(tn.Node, Options{Key: key, HeadValidity: time.Hour})
}

// stop ends the node and releases its repo, as a process exit would.
func (tn *testNode) stop() {
	tn.Close()
	tn.repo.Close()
}

func start(t testing.TB, serve bool) *testNode {
	t.Helper()
	repo, err := node.OpenRepo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	cfg := node.Config{Serve: serve}
	if os.Getenv("SAMIZDAT_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if serve { // readers listen on nothing
		cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	n, err := node.New(context.Background(), repo, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return wrap(n, repo)
}

func link(t *testing.T, from, to *testNode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := from.Connect(ctx, peer.AddrInfo{ID: to.Host.ID(), Addrs: to.Host.Addrs()}); err != nil {
		t.Fatal(err)
	}
}

func pack(t testing.TB, key ed25519.PrivateKey, seq uint64, seed int64) ([]byte, *bundle.Bundle) {
	return packN(t, key, seq, seed, 40)
}

func packN(t testing.TB, key ed25519.PrivateKey, seq uint64, seed int64, n int) ([]byte, *bundle.Bundle) {
	t.Helper()
	p, err := bundle.NewPacker(bundle.PackOptions{Key: key, Seq: seq, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, d := range corpus.Generate(seed, n, 2<<10, 12<<10) {
		if err := p.Add(&bundle.Article{ID: d.ID, Title: d.Title, Lang: d.Lang, ContentType: "text/markdown", Body: []byte(d.Body)}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := p.Pack(&buf); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), bundle.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), b
}

// TestPublisherGoesOffline is the mission in one test: a publisher
// publishes two bundles, a mirror follows it, the publisher goes offline,
// and a reader that knows only the mirror gets both bundles, verified and
// byte-identical to what the publisher packed.
func TestPublisherGoesOffline(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, ed25519.SeedSize))
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	file1, b1 := pack(t, key, 1, 1)
	file2, b2 := pack(t, key, 2, 2)

	pub, mir, reader := start(t, true), start(t, true), start(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := pub.as(key).Publish(ctx, b1); err != nil {
		t.Fatal(err)
	}
	h, err := pub.as(key).Publish(ctx, b2)
	if err != nil || h.Seq != 2 {
		t.Fatalf("Publish() = %+v, %v", h, err)
	}

	link(t, mir, pub)
	res, err := mir.svc.Sync(ctx, publisher, []peer.ID{pub.Host.ID()})
	if err != nil || len(res.Fetched) != 2 || res.Head.Seq != 2 {
		t.Fatalf("mirror Sync() = %+v, %v", res, err)
	}
	pub.Close() // the publisher is blocked, or offline

	link(t, reader, mir)
	res, err = reader.svc.Sync(ctx, publisher, []peer.ID{mir.Host.ID()})
	if err != nil || len(res.Fetched) != 2 || res.Head.Seq != 2 {
		t.Fatalf("reader Sync() = %+v, %v", res, err)
	}
	dir := t.TempDir()
	paths, err := reader.svc.WriteBundles(ctx, res, dir)
	if err != nil || len(paths) != 2 {
		t.Fatalf("WriteBundles() = %v, %v", paths, err)
	}
	want := map[uint64][]byte{1: file1, 2: file2}
	for _, p := range paths {
		got, _ := os.ReadFile(p)
		b, err := bundle.Open(p, bundle.OpenOptions{Publisher: publisher})
		if err != nil {
			t.Fatalf("bundle.Open(%s) = %v", p, err)
		}
		if !bytes.Equal(got, want[b.Seq]) {
			t.Errorf("%s differs from the publisher's bundle %d", p, b.Seq)
		}
		b.Close()
	}
	// A second sync fetches nothing.
	res, err = reader.svc.Sync(ctx, publisher, []peer.ID{mir.Host.ID()})
	if err != nil || len(res.Fetched) != 0 {
		t.Errorf("second Sync() fetched %d bundles, %v; want none", len(res.Fetched), err)
	}
}
