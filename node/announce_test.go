package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"sync/atomic"
	"testing"
	"time"

	ipnspb "github.com/ipfs/boxo/ipns/pb"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/samizdat/samizdat/bundle"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// TestAnnouncementsObeyHeadRule: a follower holding head 5 is sent, in
// order, a rollback, an equivocating head, its own head again and then
// head 6; once the follower's validator has judged all four, exactly one
// was accepted (and so relayed), and it is head 6. (A forged head would
// graylist the sender, as it should, and so stop head 6 too: forgeries
// are ParseHead's table.) The
// sender joins the topic without samizdat's validator, as a hostile relay
// would, so every message reaches the follower's.
func TestAnnouncementsObeyHeadRule(t *testing.T) {
	key := publisherKey(1)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	mk := func(k ed25519.PrivateKey, seq uint64, catalog string) *Head {
		t.Helper()
		h, err := NewHead(k, catalogCID(t, catalog), seq, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h5, h6 := mk(key, 5, "c5"), mk(key, 6, "c6")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	follower, raw, ann := relayPair(t, ctx, id, Config{Serve: true}, func(f *Node) {
		if _, err := f.Heads().Offer(h5); err != nil {
			t.Fatal(err)
		}
	})
	for _, h := range []*Head{mk(key, 3, "c3"), mk(key, 5, "evil"), h5, h6} {
		if err := raw.Publish(ctx, h.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	for {
		accepted, refused := follower.Announced()
		if accepted+refused >= 4 {
			if accepted != 1 || refused != 3 {
				t.Errorf("Announced() = %d accepted, %d refused; want 1, 3", accepted, refused)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("only %d of 4 announcements judged", accepted+refused)
		case <-time.After(20 * time.Millisecond):
		}
	}
	select {
	case got := <-ann:
		if !bytes.Equal(got.Bytes(), h6.Bytes()) {
			t.Errorf("delivered head %d (catalog %s), want head 6", got.Seq, got.Catalog)
		}
	case <-ctx.Done():
		t.Fatal("head 6 was never delivered")
	}
}

// TestHostileAnnouncements: a relay sends a valid head twice (a replay),
// an expired head and then a forged one. The replay is delivered once,
// the expired head is refused without blame, and the forgery is refused
// and drops the relay's score below 0 (one invalid head weighs −100,
// past the graylist threshold, and decays by half a second).
func TestHostileAnnouncements(t *testing.T) {
	key := publisherKey(1)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	mk := func(k ed25519.PrivateKey, seq uint64, validity time.Duration) *Head {
		t.Helper()
		h, err := NewHead(k, catalogCID(t, "c"), seq, validity)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	follower, raw, ann := relayPair(t, ctx, id, Config{Serve: true, PeerScores: true}, nil)
	sender := follower.relay
	valid := mk(key, 6, time.Hour)
	waitJudged := func(n uint64) {
		t.Helper()
		for {
			if a, r := follower.Announced(); a+r >= n {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("only some of %d announcements judged", n)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	for _, data := range [][]byte{valid.Bytes(), valid.Bytes(), mk(key, 7, -time.Hour).Bytes()} {
		if err := raw.Publish(ctx, data); err != nil {
			t.Fatal(err)
		}
	}
	waitJudged(2) // the replay is a duplicate: not judged again
	select {
	case got := <-ann:
		if !bytes.Equal(got.Bytes(), valid.Bytes()) {
			t.Errorf("delivered head %d, want the valid one", got.Seq)
		}
	case <-ctx.Done():
		t.Fatal("the valid head was never delivered")
	}
	if s := follower.PeerScore(sender.Host.ID()); s < 0 {
		t.Errorf("score after a replay and an expired head = %v, want no blame", s)
	}
	if err := raw.Publish(ctx, mk(publisherKey(9), 8, time.Hour).Bytes()); err != nil {
		t.Fatal(err)
	}
	waitJudged(3)
	if a, r := follower.Announced(); a != 1 || r != 2 {
		t.Errorf("Announced() = %d accepted, %d refused; want 1, 2", a, r)
	}
	for follower.PeerScore(sender.Host.ID()) >= 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("the forger's score stayed at %v, want below 0", follower.PeerScore(sender.Host.ID()))
		case <-time.After(50 * time.Millisecond):
		}
	}
	select {
	case got := <-ann:
		t.Errorf("delivered head %d after the forgery, want nothing more", got.Seq)
	default:
	}
}

// TestHeadMessageID: a head re-encoded with its unsigned parts varied (the
// record's V1 fields dropped, an unknown field added) is the same
// gossipsub message, so no variant escapes deduplication into a fresh
// validation and relay; two different heads are two messages.
func TestHeadMessageID(t *testing.T) {
	d := newDocs(t, 1)
	k1 := publisherKey(11)
	doc := d.doc(1, []ed25519.PrivateKey{k1})
	for name, h := range map[string]*Head{"bare": mustHead(t, d.root, 5), "wrapped": d.head(k1, doc, 5, "c5")} {
		t.Run(name, func(t *testing.T) {
			var r ipnspb.IpnsRecord
			if err := proto.Unmarshal(h.Record(), &r); err != nil {
				t.Fatal(err)
			}
			r.Value, r.SignatureV1, r.Validity = nil, nil, nil // V1 fields: unsigned by V2
			variant, err := proto.Marshal(&r)
			if err != nil {
				t.Fatal(err)
			}
			variant = protowire.AppendTag(variant, 99, protowire.BytesType) // an unknown field
			variant = protowire.AppendBytes(variant, []byte("noise"))
			if h.Authority != nil {
				variant = rewrap(t, wireHead{V: 1, Type: headType, Publisher: h.Publisher, Authority: h.Authority.Bytes(), Signer: h.Signer, Record: variant})
			}
			if _, err := ParseHead(h.Publisher, variant); err != nil {
				t.Fatalf("the variant does not parse, so it tests nothing: %v", err)
			}
			if bytes.Equal(variant, h.Bytes()) || headMessageID(variant) != headMessageID(h.Bytes()) {
				t.Errorf("a variant of one head is another message")
			}
		})
	}
	if headMessageID(mustHead(t, d.root, 5).Bytes()) == headMessageID(mustHead(t, d.root, 6).Bytes()) {
		t.Errorf("two heads are one message")
	}
}

func mustHead(t *testing.T, key ed25519.PrivateKey, seq uint64) *Head {
	t.Helper()
	h, err := NewHead(key, catalogCID(t, "c"), seq, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// relayed is a follower subscribed to a publisher's announcements, and
// the relay (a node on the topic without samizdat's validator, as a
// hostile relay would be) that sends to it.
type relayed struct {
	*Node
	relay *Node
}

// relayPair starts a follower with cfg (prepared by prep, if not nil)
// subscribed to publisher id's announcements and a relay that joined the
// topic raw, connected, and waits until the relay knows the follower's
// subscription.
func relayPair(t *testing.T, ctx context.Context, id string, cfg Config, prep func(*Node)) (relayed, *pubsub.Topic, <-chan *Head) {
	t.Helper()
	sender, follower := startNode(t, true), startNodeWith(t, cfg)
	if prep != nil {
		prep(follower)
	}
	ann, err := follower.Announcements(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	connect(t, sender, follower)
	raw, err := sender.ps.Join(headTopic(id))
	if err != nil {
		t.Fatal(err)
	}
	for sender.TopicPeers(id) == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the follower's subscription never reached the sender")
		case <-time.After(20 * time.Millisecond):
		}
	}
	return relayed{follower, sender}, raw, ann
}

// TestCloseWaitsForGates: Close ends a running relay gate's context and
// returns only once the gate has returned, so nothing a gate stores
// reaches a repo that is closing.
func TestCloseWaitsForGates(t *testing.T) {
	key := publisherKey(1)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	entered := make(chan struct{})
	var returned atomic.Bool
	follower, raw, _ := relayPair(t, ctx, id, Config{Serve: true}, func(f *Node) {
		f.SetGate(id, func(gctx context.Context, h *Head) error {
			close(entered)
			<-gctx.Done()
			time.Sleep(100 * time.Millisecond) // what storing would take
			returned.Store(true)
			return gctx.Err()
		})
	})
	if err := raw.Publish(ctx, mustHead(t, key, 1).Bytes()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-ctx.Done():
		t.Fatal("the gate never ran")
	}
	follower.Close()
	if !returned.Load() {
		t.Errorf("Close returned while a gate was still running")
	}
}
