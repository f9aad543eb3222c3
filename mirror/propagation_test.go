package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/samizdat/samizdat/bundle"
)

// TestTwentyNodes: one publish reaches every one of 19 mirrors, which are
// connected sparsely (each to two earlier nodes), through gossipsub
// announcements and bitswap from whichever neighbour already holds the
// bundle. It logs the publish-to-mirror latencies.
func TestTwentyNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("20 libp2p hosts")
	}
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	_, b := pack(t, key, 1, 3)

	const mirrors = 19
	nodes := []*testNode{start(t, true)}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 1; i <= mirrors; i++ {
		n := start(t, true)
		link(t, n, nodes[i-1])
		if j := rng.IntN(i); j != i-1 {
			link(t, n, nodes[j])
		}
		nodes = append(nodes, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	var (
		mu      sync.Mutex
		arrived = map[int]time.Time{}
		done    = make(chan struct{})
	)
	for i, n := range nodes[1:] {
		go n.svc.Follow(ctx, publisher, FollowOptions{Every: time.Hour, Report: func(res *SyncResult, err error) {
			if err != nil || res == nil || res.Head.Seq != 1 {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if _, ok := arrived[i]; !ok {
				arrived[i] = time.Now()
				if len(arrived) == mirrors {
					close(done)
				}
			}
		}})
	}
	// Gossipsub forwards at once only to its mesh, built at heartbeats:
	// wait until every node has grafted each neighbour (at most 5 here,
	// under gossipsub's mesh degree) before publishing. A node not yet in
	// a neighbour's mesh gets the head later, by gossip or its next sync.
	for _, n := range nodes[1:] {
		want := len(n.Host.Network().Peers())
		if n.Host.Network().Connectedness(nodes[0].Host.ID()) == network.Connected {
			want-- // the publisher joins the topic only to announce
		}
		for n.MeshPeers(publisher) < want {
			select {
			case <-ctx.Done():
				t.Fatal("topic mesh never formed")
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	pub := nodes[0]
	t0 := time.Now()
	// Publish stores the head and announces it.
	if _, err := pub.as(key).Publish(ctx, b); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		mu.Lock()
		t.Fatalf("only %d of %d mirrors got the bundle", len(arrived), mirrors)
	}
	var lat []time.Duration
	for i, at := range arrived {
		lat = append(lat, at.Sub(t0))
		if !nodes[i+1].HasBundle(ctx, b.Root) {
			t.Errorf("mirror %d reported the head but lacks the bundle", i+1)
		}
	}
	slices.Sort(lat)
	t.Logf("publish to %d mirrors: p50 %v, p99 %v (max)", mirrors, lat[len(lat)/2], lat[len(lat)-1])
}
