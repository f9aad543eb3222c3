package node

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// TestExchangeBodyStall: a peer that declares a block of maxBlockFrame
// bytes and then sends nothing is cut off after stallTimeout, not held for
// the whole body's time at minTransferRate (over four minutes).
func TestExchangeBodyStall(t *testing.T) {
	const proto protocol.ID = "/samizdat/test/stall/1.0.0"
	server, reader := startNode(t, false), startNode(t, false)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	server.Host.SetStreamHandler(proto, func(s network.Stream) {
		defer s.Reset()
		s.Write(binary.AppendUvarint([]byte{0}, maxBlockFrame))
		<-done
	})
	connect(t, reader, server)
	ctx, cancel := context.WithTimeout(context.Background(), 3*stallTimeout)
	defer cancel()
	t0 := time.Now()
	_, _, err := reader.exchange(ctx, server.Host.ID(), proto, []byte("x"), maxBlockFrame, blockRequestTimeout)
	if err == nil {
		t.Fatal("a body that never came was accepted")
	}
	if d := time.Since(t0); d >= 2*stallTimeout {
		t.Fatalf("a stalled body held the request %v (stallTimeout %v): %v", d.Round(time.Millisecond), stallTimeout, err)
	}
}
