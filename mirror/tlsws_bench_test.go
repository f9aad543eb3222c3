package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

// BenchmarkTLSWSVsTCP fetches one bundle of about 12 MB from a mirror
// over loopback, verified, in the same run over /tls/ws (libp2p inside
// TLS WebSocket, the mirror's self-signed certificate) and over plain
// /tcp, each time by a fresh reader, connection set-up included. Metrics:
// MB/s of each and their ratio (tlsws/tcp), the cost of looking like
// HTTPS, and the time to connect over each (on loopback, CPU: /tls/ws
// adds two round trips, the outer TLS handshake and the HTTP upgrade).
func BenchmarkTLSWSVsTCP(b *testing.B) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, ed25519.SeedSize))
	data, bb := packN(b, key, 1, 11, 5000)
	mir := startListening(b, "/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/tcp/0/tls/ws")
	ctx := context.Background()
	if err := mir.AddBundle(ctx, bb); err != nil {
		b.Fatal(err)
	}
	tcp := addrOf(b, mir, func(a ma.Multiaddr) bool { return !node.IsTLSWS(a) })
	tlsws := addrOf(b, mir, node.IsTLSWS)
	// fetch connects a fresh reader over addr and fetches the bundle; it
	// adds the time to connect to dial and the whole time to total.
	fetch := func(addr ma.Multiaddr, dial, total *time.Duration) {
		reader := startB(b, false)
		defer reader.stop()
		t0 := time.Now()
		if err := reader.Connect(ctx, peer.AddrInfo{ID: mir.Host.ID(), Addrs: []ma.Multiaddr{addr}}); err != nil {
			b.Fatal(err)
		}
		*dial += time.Since(t0)
		if _, err := reader.FetchBundle(ctx, bb.Root, bundle.OpenOptions{}, io.Discard); err != nil {
			b.Fatal(err)
		}
		*total += time.Since(t0)
	}
	var overTCP, overTLSWS, dialTCP, dialTLSWS time.Duration
	for i := 0; b.Loop(); i++ {
		// Alternate which goes first, so neither always meets a warm
		// cache or a busy machine.
		if i%2 == 0 {
			fetch(tcp, &dialTCP, &overTCP)
			fetch(tlsws, &dialTLSWS, &overTLSWS)
		} else {
			fetch(tlsws, &dialTLSWS, &overTLSWS)
			fetch(tcp, &dialTCP, &overTCP)
		}
	}
	mb := float64(len(data)) / 1e6 * float64(b.N)
	b.ReportMetric(mb/overTCP.Seconds(), "tcp-MB/s")
	b.ReportMetric(mb/overTLSWS.Seconds(), "tlsws-MB/s")
	b.ReportMetric(overTCP.Seconds()/overTLSWS.Seconds(), "ratio")
	b.ReportMetric(float64(dialTCP.Microseconds())/1000/float64(b.N), "tcp-connect-ms")
	b.ReportMetric(float64(dialTLSWS.Microseconds())/1000/float64(b.N), "tlsws-connect-ms")
	b.ReportMetric(float64(len(data))/1e6, "bundle-MB")
}
