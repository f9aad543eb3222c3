package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

// startAt is start with the repo in a given directory, so a test can
// damage it and restart.
func startAt(t *testing.T, dir string) *testNode {
	t.Helper()
	repo, err := node.OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	n, err := node.New(context.Background(), repo, node.Config{Serve: true, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return wrap(n, repo)
}

// TestMirrorKilledMidTransfer: two mirrors hold a bundle; one dies while
// the reader is fetching; the reader completes from the other.
func TestMirrorKilledMidTransfer(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	file, b := packN(t, key, 1, 4, 3000) // about 20 MB of articles
	pub, m1, m2, reader := start(t, true), start(t, true), start(t, true), start(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if _, err := pub.as(key).Publish(ctx, b); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*testNode{m1, m2} {
		link(t, m, pub)
		if _, err := m.svc.Sync(ctx, publisher, []peer.ID{pub.Host.ID()}); err != nil {
			t.Fatal(err)
		}
	}
	pub.Close()
	link(t, reader, m1)
	link(t, reader, m2)
	h, err := reader.ResolveHead(ctx, []peer.ID{m1.Host.ID(), m2.Host.ID()}, publisher)
	if err != nil {
		t.Fatal(err)
	}
	// Kill mirror 1 once the transfer is under way.
	go func() {
		for reader.Received().Bytes < 2<<20 && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		m1.Close()
	}()
	res, err := reader.svc.syncHead(ctx, h, fromHere)
	if err != nil || len(res.Fetched) != 1 {
		t.Fatalf("SyncHead() = %+v, %v", res, err)
	}
	paths, err := reader.svc.WriteBundles(ctx, res, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(paths[0]); !bytes.Equal(got, file) {
		t.Errorf("bundle differs after failover")
	}
}

// TestDamagedMirror: a mirror's repo is damaged on disk (as by a crash
// mid-write, or a failing disk). After a restart the repo opens, the
// damaged block is never served, readers still get correct data from an
// honest mirror, and the damaged mirror repairs itself.
func TestDamagedMirror(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	file, b := pack(t, key, 1, 5)
	pub := start(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := pub.as(key).Publish(ctx, b); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bad := startAt(t, dir)
	link(t, bad, pub)
	if _, err := bad.svc.Sync(ctx, publisher, []peer.ID{pub.Host.ID()}); err != nil {
		t.Fatal(err)
	}
	bad.stop()
	// Damage the stored bundle file's content on disk.
	damaged := 0
	files, _ := filepath.Glob(filepath.Join(dir, "bundles", "*.car"))
	for _, p := range files {
		data, _ := os.ReadFile(p)
		for i := len(data) - 1; i > len(data)*3/4; i -= 997 { // content blocks are at the end
			data[i] ^= 0xff
			damaged++
		}
		os.WriteFile(p, data, 0o600)
	}
	if damaged == 0 {
		t.Fatal("damaged nothing")
	}
	// A fresh node on the same repo: it opens.
	restarted := startAt(t, dir)
	reader := start(t, false)
	link(t, reader, restarted)
	link(t, reader, pub)
	res, err := reader.svc.Sync(ctx, publisher, []peer.ID{restarted.Host.ID(), pub.Host.ID()})
	if err != nil {
		t.Fatalf("reader Sync() = %v", err)
	}
	paths, err := reader.svc.WriteBundles(ctx, res, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(paths[0]); !bytes.Equal(got, file) {
		t.Errorf("reader's bundle differs")
	}
	// The damaged mirror's check finds and drops the damaged blocks, and a
	// sync repairs it from the publisher.
	link(t, restarted, pub)
	if err := restarted.CheckBundle(ctx, b.Root); err == nil {
		t.Fatalf("CheckBundle passed a damaged bundle")
	}
	if restarted.HasBundle(ctx, b.Root) {
		t.Fatalf("a damaged bundle passed for held after its check")
	}
	res, err = restarted.svc.Sync(ctx, publisher, []peer.ID{pub.Host.ID()})
	if err != nil || len(res.Fetched) != 1 || !restarted.HasBundle(ctx, b.Root) {
		t.Errorf("repair Sync() = %+v, %v", res, err)
	}
}
