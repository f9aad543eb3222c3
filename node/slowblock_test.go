package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/samizdat/samizdat/bundle"
)

// bigBlockBundle packs one article of size incompressible bytes: its body
// is one raw block of that size.
func bigBlockBundle(t *testing.T, size int) []byte {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	p, err := bundle.NewPacker(bundle.PackOptions{Key: key, Seq: 1, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	body := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	if err := p.Add(&bundle.Article{ID: "big", Title: "Big", Lang: "en", ContentType: "application/octet-stream", Body: body}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := p.Pack(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBlockOverSlowLine: a block whose sending takes longer than the
// answer's start is allowed (a server capped at 32 KiB/s, a 2 s bound on
// the answer): a reader on a slow line gets it, at the pace the line
// allows, where a whole-request bound of 2 s cut every block over 32 KB.
func TestBlockOverSlowLine(t *testing.T) {
	const rate = 32 << 10
	server := startNodeWith(t, Config{Serve: true, UploadRate: rate, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	b := openBundle(t, bigBlockBundle(t, 128<<10))
	ctx := context.Background()
	if err := server.AddBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	// The bundle's largest block, which takes the server over 2 s to send.
	var big []byte
	var bigCID = b.Blocks()[0]
	for _, c := range b.Blocks() {
		if data, err := b.Block(c); err == nil && len(data) > len(big) {
			big, bigCID = data, c
		}
	}
	if time.Duration(len(big))*time.Second/rate <= blockRequestTimeout {
		t.Fatalf("the largest block, %d bytes, takes no longer than %v at %d B/s", len(big), blockRequestTimeout, rate)
	}
	reader := startNode(t, false)
	connect(t, reader, server)
	t0 := time.Now()
	got, err := reader.requestBlock(ctx, server.Host.ID(), bigCID)
	if err != nil {
		t.Fatalf("a %d-byte block at %d B/s: %v", len(big), rate, err)
	}
	if len(got) != len(big) {
		t.Fatalf("got %d bytes, want %d", len(got), len(big))
	}
	t.Logf("%d bytes in %v", len(got), time.Since(t0).Round(time.Millisecond))
}
