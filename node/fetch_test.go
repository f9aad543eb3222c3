package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/samizdat/samizdat/bundle"
)

// TestPeerErrors: whatever path a block or bundle comes by, a peer that
// sends other bytes is ErrHashMismatch, and one that does not hold what
// was asked is ErrNotFound, as is a bundle the node itself does not hold.
func TestPeerErrors(t *testing.T) {
	data := testBundle(t, 1, 5, nil)
	b := openBundle(t, data)
	defer b.Close()
	block := b.Blocks()[0]

	reader, empty, liar := startNode(t, false), startNode(t, true), startNode(t, true)
	connect(t, reader, empty)
	connect(t, reader, liar)
	// The liar answers every block request with the same wrong bytes.
	liar.Host.SetStreamHandler(BlockProtocol, func(s network.Stream) {
		defer s.Close()
		if _, err := readFrame(bufio.NewReader(s), maxCIDLen); err != nil {
			s.Reset()
			return
		}
		wrong := []byte("not the block you asked for")
		s.Write(append(binary.AppendUvarint([]byte{bulkOK}, uint64(len(wrong))), wrong...))
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"block from a liar", func() error { _, err := reader.requestBlock(ctx, liar.Host.ID(), block); return err }, bundle.ErrHashMismatch},
		{"block a peer lacks", func() error { _, err := reader.requestBlock(ctx, empty.Host.ID(), block); return err }, bundle.ErrNotFound},
		{"bundle a peer lacks", func() error { return reader.fetchBulk(ctx, empty.Host.ID(), b) }, bundle.ErrNotFound},
		{"bundle not held", func() error { return reader.copyBundle(b.Root, new(bytes.Buffer)) }, bundle.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
			if errKind(err) == "transport" {
				t.Errorf("errKind(%v) = transport, want its kind", err)
			}
		})
	}
}
