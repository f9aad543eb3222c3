package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

func startQuota(t *testing.T, quota int64) *testNode {
	t.Helper()
	repo, err := node.OpenRepo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(context.Background(), repo, node.Config{Serve: true, Quota: quota, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	tn := wrap(n, repo)
	t.Cleanup(tn.stop)
	return tn
}

// TestQuota: a mirror keeps the newest bundles that fit its quota, never
// fetches older ones only to drop them, drops the oldest when new ones
// arrive, and keeps a publisher's newest bundle even when it alone is over.
func TestQuota(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{6}, ed25519.SeedSize))
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	pub := start(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var sizes []int64
	publish := func(seq uint64) {
		file, b := pack(t, key, seq, int64(seq))
		sizes = append(sizes, int64(len(file)))
		if _, err := pub.as(key).Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	for seq := uint64(1); seq <= 4; seq++ {
		publish(seq)
	}
	quota := sizes[3] + sizes[2] + sizes[1]/2 // room for two and a half bundles
	m := startQuota(t, quota)
	link(t, m, pub)
	res, err := m.svc.Sync(ctx, publisher, []peer.ID{pub.Host.ID()})
	if err != nil {
		t.Fatalf("Sync() = %v", err)
	}
	if len(res.Fetched) != 3 || len(res.Skipped) != 1 {
		t.Errorf("fetched %d, skipped %d; want the 3 newest fetched (the third crossing the quota) and 1 skipped", len(res.Fetched), len(res.Skipped))
	}
	if m.BundleBytes() > quota {
		if len(res.Dropped) == 0 {
			t.Errorf("over quota (%d > %d) and nothing dropped", m.BundleBytes(), quota)
		}
	}
	// Syncing again fetches nothing it dropped for the quota.
	res, err = m.svc.Sync(ctx, publisher, []peer.ID{pub.Host.ID()})
	if err != nil || len(res.Fetched) != 0 {
		t.Errorf("second Sync() fetched %d bundles, %v; want none (no churn)", len(res.Fetched), err)
	}
	publish(5)
	res, err = m.svc.Sync(ctx, publisher, []peer.ID{pub.Host.ID()})
	if err != nil {
		t.Fatalf("Sync() = %v", err)
	}
	if got := m.BundleBytes(); got > quota {
		t.Errorf("holds %d bytes, quota %d", got, quota)
	}
	if !m.HasBundle(ctx, res.Bundles[0]) {
		t.Errorf("the newest bundle is not held")
	}
	for _, b := range m.HeldBundles() {
		if b.Seq == 1 || b.Seq == 2 {
			t.Errorf("bundle %d is still held; the oldest go first", b.Seq)
		}
	}

	// A quota smaller than the newest bundle: it is kept, and said.
	tiny := startQuota(t, 10)
	link(t, tiny, pub)
	res, err = tiny.svc.Sync(ctx, publisher, []peer.ID{pub.Host.ID()})
	if !errors.Is(err, ErrOverQuota) || !tiny.HasBundle(ctx, res.Bundles[0]) || len(tiny.HeldBundles()) != 1 {
		t.Errorf("tiny quota: Sync() = %v, held %d; want the newest kept and an error", err, len(tiny.HeldBundles()))
	}
}
