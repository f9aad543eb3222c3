package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/boxo/ipns"
	"github.com/ipfs/boxo/path"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	"github.com/libp2p/go-libp2p"
	dhtpb "github.com/libp2p/go-libp2p-kad-dht/pb"
	recpb "github.com/libp2p/go-libp2p-record/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-msgio/pbio"
	"github.com/multiformats/go-multihash"
)

// TestDHTStoreBounds: the DHT store never holds more than its limit: a
// record past it replaces others, the new one kept; a replaced record is
// counted once, a deleted one frees its room, and batched writes
// (provider records) are counted and bounded as single ones are.
func TestDHTStoreBounds(t *testing.T) {
	ctx := context.Background()
	val := make([]byte, 100)
	key := func(i int) ds.Key { return ds.NewKey(fmt.Sprintf("/k/%d", i)) }
	cost := recordCost(key(0), len(val))
	s := newDHTStore(3 * cost)
	held := func() (n int) {
		for i := range 10 {
			if ok, _ := s.Has(ctx, key(i)); ok {
				n++
			}
		}
		return n
	}
	for i := range 5 {
		if err := s.Put(ctx, key(i), val); err != nil {
			t.Fatalf("Put(record %d) = %v", i, err)
		}
		if ok, _ := s.Has(ctx, key(i)); !ok {
			t.Fatalf("record %d, just put, is not held", i)
		}
		if got, want := held(), min(i+1, 3); got != want || s.size() > 3*cost {
			t.Fatalf("after %d records: %d held, %d bytes; want %d, at most %d", i+1, got, s.size(), want, 3*cost)
		}
	}
	if err := s.Put(ctx, key(4), val[:50]); err != nil {
		t.Fatal(err)
	}
	if got, want := s.size(), 3*cost-50; got != want {
		t.Errorf("size() after a record was replaced by a smaller one = %d, want %d", got, want)
	}
	if err := s.Delete(ctx, key(4)); err != nil {
		t.Fatal(err)
	}
	if got, want := s.size(), 2*cost; got != want {
		t.Errorf("size() after a delete = %d, want %d", got, want)
	}
	b, err := s.Batch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 5; i < 8; i++ {
		b.Put(ctx, key(i), val)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := held(); got != 3 || s.size() != 3*cost {
		t.Errorf("after a batch of 3: %d held, %d bytes; want 3, %d", got, s.size(), 3*cost)
	}
	if err := s.Put(ctx, key(9), make([]byte, 3*cost)); !errors.Is(err, errDHTRecordTooLarge) {
		t.Errorf("Put(a record larger than the store) = %v, want %v", err, errDHTRecordTooLarge)
	}
}

// TestDHTRecordFlood: a peer that puts signed IPNS records of fresh keys,
// 9 KiB each, on a DHT server finds at most maxDHTStore bytes of them
// held, however many it sends, and the last one it put held. Before,
// every one was kept, in memory, for two days.
func TestDHTRecordFlood(t *testing.T) {
	const prefix = "/samizdat-test"
	n := startNodeWith(t, Config{Serve: true, DHT: DHTServer, DHTPrefix: prefix})
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: n.Host.ID(), Addrs: n.Host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	s, err := h.NewStream(ctx, n.Host.ID(), protocol.ID(prefix+"/kad/1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, r := pbio.NewDelimitedWriter(s), pbio.NewDelimitedReader(s, network.MessageSizeMax)
	ask := func(m *dhtpb.Message) *dhtpb.Message {
		if err := w.WriteMsg(m); err != nil {
			t.Fatal(err)
		}
		var resp dhtpb.Message
		if err := r.ReadMsg(&resp); err != nil {
			t.Fatal(err)
		}
		return &resp
	}
	pad := strings.Repeat("x", 9<<10)
	var keys [][]byte
	var sent int64
	size := 0
	for sent < maxDHTStore+maxDHTStore/4 {
		key, rec := floodRecord(t, pad)
		m := dhtpb.NewMessage(dhtpb.Message_PUT_VALUE, key, 0)
		m.Record = &recpb.Record{Key: key, Value: rec}
		ask(m)
		keys, sent, size = append(keys, key), sent+int64(len(rec)), len(rec)
	}
	held, lastHeld := 0, false
	for i, key := range keys {
		if ask(dhtpb.NewMessage(dhtpb.Message_GET_VALUE, key, 0)).GetRecord() != nil {
			held++
			lastHeld = i == len(keys)-1
		}
	}
	if int64(held*size) > maxDHTStore || !lastHeld {
		t.Fatalf("a DHT server holds %d of the %d records of %d bytes a peer put (the last one: %v), want at most %d bytes of them and the last", held, len(keys), size, lastHeld, maxDHTStore)
	}
	t.Logf("a peer put %d MiB of records; the server holds %d MiB of them", sent>>20, int64(held*size)>>20)
}

// floodRecord makes an IPNS record of a fresh key, padded with pad, and
// its DHT key.
func floodRecord(t *testing.T, pad string) (key, rec []byte) {
	t.Helper()
	sk, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := peer.IDFromPrivateKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cid.V1Builder{Codec: cid.DagCBOR, MhType: multihash.SHA2_256}.Sum([]byte("a catalog"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ipns.NewRecord(sk, path.FromCid(c), 1, time.Now().Add(time.Hour), time.Minute, ipns.WithMetadata(map[string]any{"pad": pad}))
	if err != nil {
		t.Fatal(err)
	}
	data, err := ipns.MarshalRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	return ipns.NameFromPeer(pid).RoutingKey(), data
}

// TestDHTUploadCapped: what a DHT server answers goes through the node's
// upload cap (--max-upload), as every protocol's answer does: a 9 KiB
// record asked for again and again by a 40-byte request sent the
// uplink past the cap its operator set.
func TestDHTUploadCapped(t *testing.T) {
	const prefix = "/samizdat-test"
	const rate = 4 << 10
	n := startNodeWith(t, Config{Serve: true, DHT: DHTServer, DHTPrefix: prefix, UploadRate: rate})
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: n.Host.ID(), Addrs: n.Host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	s, err := h.NewStream(ctx, n.Host.ID(), protocol.ID(prefix+"/kad/1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, r := pbio.NewDelimitedWriter(s), pbio.NewDelimitedReader(s, network.MessageSizeMax)
	key, rec := floodRecord(t, strings.Repeat("x", 9<<10))
	put := dhtpb.NewMessage(dhtpb.Message_PUT_VALUE, key, 0)
	put.Record = &recpb.Record{Key: key, Value: rec}
	msgs := []*dhtpb.Message{put}
	const gets = 4
	for range gets {
		msgs = append(msgs, dhtpb.NewMessage(dhtpb.Message_GET_VALUE, key, 0))
	}
	start := time.Now()
	for i, m := range msgs {
		if err := w.WriteMsg(m); err != nil {
			t.Fatal(err)
		}
		var resp dhtpb.Message
		if err := r.ReadMsg(&resp); err != nil {
			t.Fatal(err)
		}
		if i > 0 && resp.GetRecord() == nil {
			t.Fatal("GET_VALUE answered no record: the test proves nothing")
		}
	}
	took := time.Since(start)
	// The put's answer echoes the record too: 5 records, less the
	// limiter's burst of one second's worth.
	want := time.Duration(len(msgs)*len(rec)-rate) * time.Second / rate / 2
	if took < want {
		t.Errorf("a DHT server sent %d records of %d bytes in %v at a cap of %d B/s, want at least %v", len(msgs), len(rec), took.Round(time.Millisecond), rate, want)
	}
}
