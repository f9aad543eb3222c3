package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

func startDHT(t *testing.T, mode node.DHTMode, serve bool, boot []peer.AddrInfo) *testNode {
	t.Helper()
	repo, err := node.OpenRepo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := node.Config{Serve: serve, DHT: mode, DHTPrefix: "/samizdat-test", Bootstrap: boot}
	if mode == node.DHTServer {
		cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	n, err := node.New(context.Background(), repo, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tn := wrap(n, repo)
	t.Cleanup(tn.stop)
	return tn
}

func waitDHT(t *testing.T, ctx context.Context, nodes ...*testNode) {
	t.Helper()
	for _, n := range nodes {
		for n.DHTPeers() == 0 {
			select {
			case <-ctx.Done():
				t.Fatal("DHT routing table stayed empty")
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// TestDHTReader: a reader that knows only a bootstrap node (which holds
// nothing) finds the publisher's head and a mirror through a private DHT,
// after the publisher has gone offline, and gets the bundle.
func TestDHTReader(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, ed25519.SeedSize))
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	file, b := pack(t, key, 1, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	boot := startDHT(t, node.DHTServer, false, nil)
	bootInfo := []peer.AddrInfo{{ID: boot.Host.ID(), Addrs: boot.Host.Addrs()}}
	pub := startDHT(t, node.DHTServer, true, bootInfo)
	mir := startDHT(t, node.DHTServer, true, bootInfo)
	waitDHT(t, ctx, boot, pub, mir)

	if _, err := pub.as(key).Publish(ctx, b); err != nil {
		t.Fatal(err)
	}
	// The mirror knows the publisher ID only; it finds the rest.
	if _, err := mir.svc.Sync(ctx, publisher, nil); err != nil {
		t.Fatalf("mirror Sync() via the DHT = %v", err)
	}
	pub.stop()

	reader := startDHT(t, node.DHTClient, false, bootInfo)
	waitDHT(t, ctx, reader)
	res, err := reader.svc.Sync(ctx, publisher, nil)
	if err != nil || len(res.Fetched) != 1 {
		t.Fatalf("reader Sync() via the DHT = %+v, %v", res, err)
	}
	paths, err := reader.svc.WriteBundles(ctx, res, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(paths[0]); !bytes.Equal(got, file) {
		t.Errorf("bundle found through the DHT differs")
	}
	// The reader read ten articles and put no provider record anywhere.
	got, err := bundle.Open(paths[0], bundle.OpenOptions{Publisher: publisher})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got.List()[:10] {
		if _, err := got.Body(a.ID); err != nil {
			t.Fatal(err)
		}
	}
	got.Close()
	pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
	defer pcancel()
	provs := boot.Providers(pctx, b.Root, 10)
	if len(provs) == 0 {
		t.Errorf("the mirror's provider record is missing")
	}
	for _, p := range provs {
		if p == reader.Host.ID() {
			t.Errorf("the reader is listed as a provider")
		}
	}
}
