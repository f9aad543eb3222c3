package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/samizdat/samizdat/bundle"
)

// TestTCPSecurity: over TCP, two nodes settle on TLS and yamux: the
// stack bundleChunk is sized for (a yamux frame that fills one TLS record),
// and TLS 1.3's AES-GCM runs on the CPU's AES instructions where Noise
// would use ChaCha20.
func TestTCPSecurity(t *testing.T) {
	mirror, reader := startNode(t, true), startNode(t, false)
	var tcp []ma.Multiaddr
	for _, a := range mirror.Host.Addrs() {
		if _, err := a.ValueForProtocol(ma.P_TCP); err == nil {
			tcp = append(tcp, a)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := reader.Connect(ctx, peer.AddrInfo{ID: mirror.Host.ID(), Addrs: tcp}); err != nil {
		t.Fatal(err)
	}
	conns := reader.Host.Network().ConnsToPeer(mirror.Host.ID())
	if len(conns) == 0 {
		t.Fatal("no connection")
	}
	for _, c := range conns {
		st := c.ConnState()
		if st.Transport != "tcp" || st.Security != "/tls/1.0.0" || st.StreamMultiplexer != "/yamux/1.0.0" {
			t.Errorf("connection over %s: security %q, muxer %q; want TCP, /tls/1.0.0, /yamux/1.0.0", st.Transport, st.Security, st.StreamMultiplexer)
		}
	}
}

// TestBulkLiar: a peer that sends a bundle's file with one byte changed
// deep inside it, past what is read ahead, fails the transfer with
// ErrHashMismatch, and leaves no file behind; the same file unchanged is
// kept.
func TestBulkLiar(t *testing.T) {
	file := testBundle(t, 1, 600, nil)
	if len(file) < 2*readAheadSize {
		t.Fatalf("test bundle of %d bytes: too small to be read ahead", len(file))
	}
	b := openBundle(t, file)
	defer b.Close()
	reader, liar := startNode(t, false), startNode(t, true)
	connect(t, reader, liar)
	var sending atomic.Pointer[[]byte] // what the liar sends
	liar.Host.SetStreamHandler(BundleProtocol, func(s network.Stream) {
		defer s.Close()
		if _, err := readFrame(bufio.NewReader(s), maxCIDLen); err != nil {
			s.Reset()
			return
		}
		sent := *sending.Load()
		s.Write(binary.AppendUvarint([]byte{bulkOK}, uint64(len(sent))))
		s.Write(sent)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	lie := bytes.Clone(file)
	lie[len(lie)-10] ^= 1 // inside the last block
	sending.Store(&lie)
	if err := reader.fetchBulk(ctx, liar.Host.ID(), b); !errors.Is(err, bundle.ErrHashMismatch) {
		t.Errorf("fetchBulk() from a liar = %v, want ErrHashMismatch", err)
	}
	if reader.HasBundle(ctx, b.Root) {
		t.Error("the lying peer's file is held")
	}
	if left, _ := filepath.Glob(filepath.Join(reader.repo.Dir(), bundlesDir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left after a failed transfer: %v", left)
	}

	sending.Store(&file)
	if err := reader.fetchBulk(ctx, liar.Host.ID(), b); err != nil {
		t.Fatalf("fetchBulk() of the true file = %v", err)
	}
	if !reader.HasBundle(ctx, b.Root) {
		t.Error("the true file is not held")
	}
}

// TestReadAhead: what readAhead reads ahead comes out whole and in order,
// then the source's error; a transfer that fails while the goroutine is
// blocked reading the stream stops it.
func TestReadAhead(t *testing.T) {
	data := make([]byte, 3*readAheadBuffers<<10+123)
	for i := range data {
		data[i] = byte(i * 7)
	}
	errBroken := errors.New("stream reset")
	tests := []struct {
		name    string
		src     io.Reader
		size    int
		want    []byte
		wantErr error
	}{
		{"whole buffers", bytes.NewReader(data[:4<<10]), 1 << 10, data[:4<<10], io.EOF},
		{"a short last buffer", bytes.NewReader(data), 1 << 10, data, io.EOF},
		{"more than every buffer at once", iotest.HalfReader(bytes.NewReader(data)), 100, data, io.EOF},
		{"one buffer bigger than the source", bytes.NewReader(data[:10]), 1 << 20, data[:10], io.EOF},
		{"an empty source", bytes.NewReader(nil), 0, nil, io.EOF},
		{"an error after data", io.MultiReader(bytes.NewReader(data[:5000]), iotest.ErrReader(errBroken)), 1 << 10, data[:5000], errBroken},
		{"an error with data", iotest.DataErrReader(io.MultiReader(bytes.NewReader(data[:3000]), iotest.ErrReader(errBroken))), 1 << 10, data[:3000], errBroken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newReadAhead(tc.src, tc.size, func() { t.Error("stop called after a transfer that did not fail") })
			var got []byte
			buf := make([]byte, 777)
			var err error
			for {
				var n int
				n, err = a.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					break
				}
			}
			a.close(false)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Read() error = %v, want %v", err, tc.wantErr)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("read %d bytes, want %d: not the source's bytes", len(got), len(tc.want))
			}
		})
	}

	t.Run("stopped while reading", func(t *testing.T) {
		src := &blockingReader{unblock: make(chan struct{}), reading: make(chan struct{})}
		a := newReadAhead(src, 1<<10, func() { close(src.unblock) })
		<-src.reading
		done := make(chan struct{})
		go func() { a.close(true); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("close(true) did not return while the goroutine was blocked reading")
		}
	})
	t.Run("stopped while the reader lags", func(t *testing.T) {
		// The goroutine has filled every buffer and waits for Read.
		a := newReadAhead(bytes.NewReader(data), 1<<10, func() {})
		a.Read(make([]byte, 1))
		done := make(chan struct{})
		go func() { a.close(true); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("close(true) did not return while the goroutine waited to hand over a buffer")
		}
	})
}

// blockingReader blocks in Read until unblock is closed, then fails.
type blockingReader struct {
	unblock, reading chan struct{}
}

func (r *blockingReader) Read(p []byte) (int, error) {
	close(r.reading)
	<-r.unblock
	return 0, errors.New("reset")
}
