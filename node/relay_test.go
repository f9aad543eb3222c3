package node

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

const floodProto = "/samizdat-test/flood/1"

// relayFixture starts a relay with relayCfg and a node behind NAT that
// reserves a slot on it and answers floodProto by writing flood bytes. It
// returns the hidden node and its address through the relay.
func relayFixture(t *testing.T, relayCfg Config, flood int) (hidden *Node, through peer.AddrInfo) {
	t.Helper()
	relayCfg.RelayService = true
	relayCfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	relay := openNode(t, relayCfg)
	relayInfo := peer.AddrInfo{ID: relay.Host.ID(), Addrs: relay.Host.Addrs()}
	hidden = openNode(t, Config{Relays: []peer.AddrInfo{relayInfo}, BehindNAT: true, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	hidden.Host.SetStreamHandler(floodProto, func(s network.Stream) {
		defer s.Close()
		// In pieces of 1 KiB, each its own encrypted frame: the reader
		// can count bytes as they arrive, not a 64 KiB frame at a time.
		piece := bytes.Repeat([]byte{'x'}, 1<<10)
		for sent := 0; sent < flood; sent += len(piece) {
			if _, err := s.Write(piece); err != nil {
				return
			}
		}
	})
	circuit := ma.StringCast(relay.Host.Addrs()[0].String() + "/p2p/" + relay.Host.ID().String() + "/p2p-circuit")
	return hidden, peer.AddrInfo{ID: hidden.Host.ID(), Addrs: []ma.Multiaddr{circuit}}
}

func openNode(t *testing.T, cfg Config) *Node {
	t.Helper()
	repo, err := OpenRepo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	n, err := New(context.Background(), repo, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// dialThrough connects h to the hidden node through the relay, retrying
// until the hidden node's reservation is in place.
func dialThrough(t *testing.T, h host.Host, through peer.AddrInfo) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for h.Connect(ctx, through) != nil {
		select {
		case <-ctx.Done():
			t.Fatal("never reached the hidden node through the relay")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// relayedStream returns a reader's stream of floodProto to a hidden node
// (relayFixture), checked to cross the relay.
func relayedStream(t *testing.T, relayCfg Config, flood int) network.Stream {
	t.Helper()
	hidden, through := relayFixture(t, relayCfg, flood)
	reader := openNode(t, Config{})
	dialThrough(t, reader.Host, through)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := reader.Host.NewStream(network.WithAllowLimitedConn(ctx, "test"), hidden.Host.ID(), floodProto)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Reset() })
	if a := s.Conn().RemoteMultiaddr().String(); !strings.Contains(a, "/p2p-circuit") {
		t.Fatalf("the stream reached the hidden node directly, at %s: the test proves nothing", a)
	}
	return s
}

// TestRelayCircuitLimit: the relay carries at most relayMaxCircuits
// connections to one peer at once: that many readers reach the hidden
// node through it, one more is refused, and once one leaves another
// gets through (so the refusal was the limit).
func TestRelayCircuitLimit(t *testing.T) {
	_, through := relayFixture(t, Config{}, 0)
	var readers []*Node
	for i := range relayMaxCircuits {
		r := openNode(t, Config{})
		if i == 0 {
			dialThrough(t, r.Host, through) // the first waits for the reservation
		} else if err := r.Host.Connect(context.Background(), through); err != nil {
			t.Fatalf("reader %d of %d through the relay: %v", i+1, relayMaxCircuits, err)
		}
		readers = append(readers, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := openNode(t, Config{}).Host.Connect(ctx, through); err == nil {
		t.Fatalf("reader %d reached the hidden node through the relay, past its limit of %d circuits", relayMaxCircuits+1, relayMaxCircuits)
	}
	readers[0].Close()
	dialThrough(t, openNode(t, Config{}).Host, through)
}

// TestRelayDataLimit: the relay ends a relayed connection once it has
// carried relayDataLimit bytes one way: of twice that, the reader gets
// less than the limit (framing and encryption count), then the end.
func TestRelayDataLimit(t *testing.T) {
	s := relayedStream(t, Config{}, 2*relayDataLimit)
	s.SetReadDeadline(time.Now().Add(30 * time.Second)) // the test's bound only
	got, err := io.Copy(io.Discard, s)
	if got >= relayDataLimit {
		t.Errorf("read %d bytes through the relay (then %v), want fewer than its data limit %d", got, err, relayDataLimit)
	}
	if err != nil && strings.Contains(err.Error(), "deadline") {
		t.Errorf("the relayed connection was not ended after %d bytes: %v", got, err)
	}
}

// TestRelayUploadCap: the relay's bytes go through its node's upload cap.
// In 2 s at 8 KiB/s, a reader gets a fraction of 64 KiB sent to it
// through the relay (8 KiB of burst and 16 of rate, both ways and with
// the connection's framing); without the cap, all of it in milliseconds.
func TestRelayUploadCap(t *testing.T) {
	const capRate, flood = 8 << 10, 64 << 10
	for _, tc := range []struct {
		name   string
		upload int64
		capped bool
	}{{"capped", capRate, true}, {"uncapped", 0, false}} {
		t.Run(tc.name, func(t *testing.T) {
			s := relayedStream(t, Config{UploadRate: tc.upload}, flood)
			s.SetReadDeadline(time.Now().Add(2 * time.Second))
			got, _ := io.Copy(io.Discard, s)
			if capped := got < flood/2; capped != tc.capped {
				t.Errorf("received %d of %d bytes through the relay in 2 s (relay's cap %d B/s)", got, flood, tc.upload)
			}
		})
	}
}
