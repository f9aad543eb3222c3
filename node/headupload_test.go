package node

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/samizdat/samizdat/bundle"
)

// TestHeadUploadCounted: a head a node serves counts in Sent and goes
// through its upload cap (--max-upload) like every other protocol's
// answer. A head is up to 75 KiB for a 60-byte request: uncounted, peers
// asking again and again sent the node's uplink past the cap its
// operator set.
func TestHeadUploadCounted(t *testing.T) {
	key := publisherKey(1)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	h, err := NewHead(key, catalogCID(t, "c1"), 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// A cap of a head a second: three heads take about two seconds.
	rate := int64(len(h.Bytes()))
	server := startNodeWith(t, Config{Serve: true, UploadRate: rate})
	if _, err := server.Heads().Offer(h); err != nil {
		t.Fatal(err)
	}
	server.ServeHeads()
	reader := startNode(t, false)
	connect(t, reader, server)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const asks = 3
	start := time.Now()
	for range asks {
		if _, err := reader.RequestHead(ctx, server.Host.ID(), id); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	if sent := server.Sent(); sent < asks*uint64(len(h.Bytes())) {
		t.Errorf("Sent() = %d after serving %d heads of %d bytes", sent, asks, len(h.Bytes()))
	}
	if took < time.Second {
		t.Errorf("%d heads of %d bytes served in %v at a cap of %d B/s", asks, len(h.Bytes()), took.Round(time.Millisecond), rate)
	}
}
