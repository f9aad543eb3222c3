package node

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
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

// stallHost starts a bare libp2p host on loopback that accepts proto and
// never answers: it reads the request and holds the stream until the
// test ends. It counts the requests it got.
func stallHost(t *testing.T, proto protocol.ID) (host.Host, *atomic.Int64) {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); h.Close() })
	var asked atomic.Int64
	h.SetStreamHandler(proto, func(s network.Stream) {
		asked.Add(1)
		readFrame(bufio.NewReader(s), maxCIDLen)
		<-stop
		s.Reset()
	})
	return h, &asked
}

// TestStallingPeersCostOneTimeout: a reader connected to six peers that
// take block requests and never answer, and to one that holds the blocks,
// gets four blocks well within three block request timeouts: stalling
// peers are asked in parallel with the others, not one after another,
// and once they have failed they are asked last.
func TestStallingPeersCostOneTimeout(t *testing.T) {
	const fakes = 6
	b := openBundle(t, testBundle(t, 1, 5, nil))
	defer b.Close()
	reader, honest := startNode(t, false), startNode(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := honest.AddBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	var asked []*atomic.Int64
	for range fakes {
		h, n := stallHost(t, BlockProtocol)
		asked = append(asked, n)
		if err := reader.Connect(ctx, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}); err != nil {
			t.Fatal(err)
		}
		// The fakes delivered before, as peers that behave until it
		// matters do: they are asked before the honest peer.
		reader.served(h.ID(), nil)
	}
	connect(t, reader, honest)

	want := b.Blocks()[:4]
	fctx, fcancel := context.WithTimeout(ctx, 3*blockRequestTimeout)
	defer fcancel()
	start := time.Now()
	for i, c := range want {
		data, err := reader.GetBlock(fctx, c)
		if err != nil {
			t.Fatalf("GetBlock(block %d of %d) after %v = %v, want the block from the honest peer", i+1, len(want), time.Since(start).Round(time.Millisecond), err)
		}
		if wantData, _ := b.Block(c); !bytes.Equal(data, wantData) {
			t.Fatalf("GetBlock(block %d) returned other bytes", i+1)
		}
	}
	total := int64(0)
	for _, n := range asked {
		total += n.Load()
	}
	if total < fakes {
		t.Errorf("the stalling peers were asked %d times, want each at least once: the test proves nothing", total)
	}
	t.Logf("%d blocks with %d stalling peers asked first: %v; the stalling peers were asked %d times (one after another: %v a block)", len(want), fakes, time.Since(start).Round(time.Millisecond), total, fakes*blockRequestTimeout)
}

// TestSlowSourceCutOff: a peer that holds a bundle and sends its file one
// byte every 4.9 s (each byte within stallTimeout of the last) is cut off
// after a grace period, the fetch completes from an honest peer, and the
// dripping peer is asked last from then on.
func TestSlowSourceCutOff(t *testing.T) {
	file := testBundle(t, 1, 30, nil)
	b := openBundle(t, file)
	defer b.Close()
	reader, drip, honest := startNode(t, false), startNode(t, true), startNode(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// The dripping peer serves the bundle's blocks, so it is a good source
	// by the time the reader asks for the whole file, and it is asked
	// first. The honest peer holds the bundle only from the moment the
	// dripping peer is asked for the file: whatever order the reader
	// asks them in, the drip is asked first.
	if err := drip.AddBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	var dripAsked atomic.Int64
	drip.Host.SetStreamHandler(BundleProtocol, func(s network.Stream) {
		defer s.Reset()
		if _, err := readFrame(bufio.NewReader(s), maxCIDLen); err != nil {
			return
		}
		dripAsked.Add(1)
		if err := honest.AddBundle(ctx, b); err != nil {
			t.Error(err)
		}
		if _, err := s.Write(binary.AppendUvarint([]byte{bulkOK}, uint64(len(file)))); err != nil {
			return
		}
		tick := time.NewTicker(dripInterval)
		defer tick.Stop()
		for _, c := range file {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := s.Write([]byte{c}); err != nil {
				return
			}
		}
	})
	connect(t, reader, drip)
	connect(t, reader, honest)

	start := time.Now()
	var got bytes.Buffer
	if _, err := reader.FetchBundle(ctx, b.Root, bundle.OpenOptions{Publisher: b.Publisher}, &got); err != nil {
		t.Fatalf("FetchBundle() after %v = %v, want it from the honest peer", time.Since(start).Round(time.Millisecond), err)
	}
	took := time.Since(start)
	if !bytes.Equal(got.Bytes(), file) {
		t.Fatalf("FetchBundle() wrote other bytes")
	}
	if n := dripAsked.Load(); n != 1 {
		t.Errorf("the dripping peer was asked for the file %d times, want 1", n)
	}
	if sent := honest.Sent(); sent < uint64(len(file)) {
		t.Errorf("the honest peer sent %d bytes of a %d-byte file: it came from elsewhere", sent, len(file))
	}
	if got, want := reader.SourcesFor(b.Publisher), []peer.ID{honest.Host.ID(), drip.Host.ID()}; !slices.Equal(got, want) {
		t.Errorf("SourcesFor() = %v, want %v: the dripping peer last", got, want)
	}
	t.Logf("a %d-byte bundle fetched in %v with a peer dripping it first; at one byte per %v the drip alone would take %v", len(file), took.Round(time.Millisecond), dripInterval, time.Duration(len(file))*dripInterval)
}

// dripInterval is how often the dripping peer of TestSlowSourceCutOff
// sends a byte: just within stallTimeout.
const dripInterval = stallTimeout - 100*time.Millisecond

// TestRateGuard: a transfer is judged only after transferGrace, then over
// each transferWindow, and is too slow below minTransferRate on average.
func TestRateGuard(t *testing.T) {
	type step struct {
		at    time.Duration // since the start
		bytes int           // received just before at
	}
	window := int(minTransferRate * transferWindow.Seconds())
	tests := []struct {
		name  string
		steps []step
		want  error // from the last check; the ones before pass
	}{
		{"nothing within the grace period", []step{{transferGrace - time.Millisecond, 0}}, nil},
		{"just enough after it", []step{{transferGrace, int(minTransferRate * transferGrace.Seconds())}}, nil},
		{"a byte short", []step{{transferGrace, int(minTransferRate*transferGrace.Seconds()) - 1}}, ErrTooSlow},
		{"a byte every 4.9 s", []step{{4900 * time.Millisecond, 1}, {9800 * time.Millisecond, 1}, {14700 * time.Millisecond, 1}}, ErrTooSlow},
		{"fast, then a drip", []step{{transferGrace, 1 << 20}, {transferGrace + transferWindow, 10}}, ErrTooSlow},
		{"fast, then just enough", []step{{transferGrace, 1 << 20}, {transferGrace + transferWindow, window}}, nil},
		{"judged over a whole window, not a pause", []step{{transferGrace, 1 << 20}, {transferGrace + transferWindow/2, 0}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			g := newRateGuard(start)
			var err error
			for i, s := range tc.steps {
				g.add(s.bytes)
				err = g.check(start.Add(s.at))
				if i < len(tc.steps)-1 && err != nil {
					t.Fatalf("check(%v) = %v, want nil", s.at, err)
				}
			}
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("check() = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestSourcesFor: a reader asks a peer chosen for one publisher about
// that publisher only, a peer chosen for all about every one; a serving
// node asks every connected peer. Peers that delivered come first, those
// that failed last; one that only lacked something keeps its place.
func TestSourcesFor(t *testing.T) {
	pubID := func(seed byte) string { return bundle.PublisherID(publisherKey(seed).Public().(ed25519.PublicKey)) }
	pubA, pubB := pubID(1), pubID(2)
	reader, server := startNode(t, false), startNode(t, true)
	all, forA, forB := startNode(t, true), startNode(t, true), startNode(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range []*Node{reader, server} {
		connect(t, n, all)
		for _, c := range []struct {
			pub string
			to  *Node
		}{{pubA, forA}, {pubB, forB}} {
			if err := n.ConnectFor(ctx, c.pub, peer.AddrInfo{ID: c.to.Host.ID(), Addrs: c.to.Host.Addrs()}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ids := func(ns ...*Node) []peer.ID {
		var out []peer.ID
		for _, n := range ns {
			out = append(out, n.Host.ID())
		}
		slices.Sort(out)
		return out
	}
	sorted := func(ps []peer.ID) []peer.ID { return slices.Sorted(slices.Values(ps)) }
	tests := []struct {
		name      string
		n         *Node
		publisher string
		want      []peer.ID
	}{
		{"reader, no publisher", reader, "", ids(all)},
		{"reader, A", reader, pubA, ids(all, forA)},
		{"reader, B", reader, pubB, ids(all, forB)},
		{"reader, another", reader, pubID(3), ids(all)},
		{"reader, not a publisher ID", reader, "nonsense", ids(all)},
		{"server, A", server, pubA, ids(all, forA, forB)},
		{"server, no publisher", server, "", ids(all, forA, forB)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sorted(tc.n.SourcesFor(tc.publisher)); !slices.Equal(got, tc.want) {
				t.Errorf("SourcesFor(%q) = %v, want %v", tc.publisher, got, tc.want)
			}
		})
	}

	reader.served(all.Host.ID(), context.DeadlineExceeded)
	reader.served(forA.Host.ID(), errNoBlock) // lacked it: no record
	if got, want := reader.SourcesFor(pubA), []peer.ID{forA.Host.ID(), all.Host.ID()}; !slices.Equal(got, want) {
		t.Errorf("after a timeout of the global peer, SourcesFor(A) = %v, want %v", got, want)
	}
	reader.served(all.Host.ID(), nil)
	if got, want := reader.SourcesFor(pubA), []peer.ID{all.Host.ID(), forA.Host.ID()}; !slices.Equal(got, want) {
		t.Errorf("after the global peer delivered, SourcesFor(A) = %v, want %v", got, want)
	}
}
