package node

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"

	ipnspb "github.com/ipfs/boxo/ipns/pb"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"google.golang.org/protobuf/proto"
)

// Announcements: each publisher has a gossipsub topic on which its head
// records travel. Messages are the head in its wire form, signed by the
// publisher's keys (the app-level signature); gossipsub's own signing is
// off and messages carry no author or sequence number, so a message does
// not say which node published or relayed it. Message IDs are the SHA-256
// of what the record signs (headMessageID), so the same head is one
// message however many nodes repeat or re-encode it.

// headTopic returns the topic of a publisher's announcements.
func headTopic(publisher string) string { return "/samizdat/heads/1/" + publisher }

func newPubSub(ctx context.Context, h host.Host, mesh *meshTracer, inspectScores bool) (*pubsub.PubSub, error) {
	params := &pubsub.PeerScoreParams{
		SkipAtomicValidation: true,
		AppSpecificScore:     func(peer.ID) float64 { return 0 },
		Topics:               map[string]*pubsub.TopicScoreParams{}, // filled as topics are joined
		// Colocation is not penalised: readers behind one carrier NAT,
		// or one home network, share an address.
		BehaviourPenaltyWeight:    -10,
		BehaviourPenaltyThreshold: 6,
		BehaviourPenaltyDecay:     0.9,
		DecayInterval:             time.Second,
		DecayToZero:               0.01,
		RetainScore:               10 * time.Minute,
	}
	thresholds := &pubsub.PeerScoreThresholds{
		SkipAtomicValidation: true,
		GossipThreshold:      -10,
		PublishThreshold:     -50,
		GraylistThreshold:    graylistThreshold,
	}
	opts := []pubsub.Option{
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(func(m *pb.Message) string { return headMessageID(m.GetData()) }),
		pubsub.WithMaxMessageSize(maxHeadSize + 1024),
		pubsub.WithPeerScore(params, thresholds),
		pubsub.WithRawTracer(mesh),
	}
	if inspectScores {
		opts = append(opts, pubsub.WithPeerScoreInspect(pubsub.PeerScoreInspectFn(mesh.inspect), scoreInspectPeriod))
	}
	return pubsub.NewGossipSub(ctx, h, opts...)
}

// graylistThreshold is the score below which gossipsub ignores a peer
// altogether: one invalid head (weight −100) takes a peer past it.
const graylistThreshold = -80

// headMessageID is an announcement's gossipsub message ID: the SHA-256 of
// what the head's record signs (its data and signatureV2), so one head is
// one message however many nodes repeat it and however its unsigned parts
// (the record's V1 fields, its public key field, unknown fields, which
// IPNS leaves free) are varied to slip past deduplication; bytes that do
// not parse as far as that hash as they are. The record of a wrapper
// names its document in its signed data, so the data identifies the head.
func headMessageID(data []byte) string {
	rec := data
	if len(data) > 0 && data[0]&0xe0 == 0xa0 {
		if w, err := bundle.DecodeDAGCBOR[wireHead](headProto, data, "head"); err == nil {
			rec = w.Record
		}
	}
	var r ipnspb.IpnsRecord
	if len(rec) > maxRecordSize || proto.Unmarshal(rec, &r) != nil || len(r.GetSignatureV2()) == 0 {
		sum := sha256.Sum256(data)
		return string(sum[:])
	}
	h := sha256.New()
	h.Write([]byte("samizdat head message\x00"))
	h.Write(binary.AppendUvarint(nil, uint64(len(r.GetData()))))
	h.Write(r.GetData())
	h.Write(r.GetSignatureV2())
	return string(h.Sum(nil))
}

// topicScore penalises peers that relay invalid heads: a forged or
// malformed record costs the relaying peer its place in the mesh.
var topicScore = &pubsub.TopicScoreParams{
	SkipAtomicValidation:           true,
	TopicWeight:                    1,
	TimeInMeshQuantum:              time.Second,
	InvalidMessageDeliveriesWeight: -100,
	InvalidMessageDeliveriesDecay:  0.5,
}

type topics struct {
	mu    sync.Mutex
	m     map[string]*pubsub.Topic
	gate  map[string]func(context.Context, *Head) error
	gates sync.WaitGroup // gates running; Close waits for them
	shut  bool           // Close began: no gate starts
}

// enterGate counts a gate in, unless the node is closing.
func (t *topics) enterGate() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shut {
		return false
	}
	t.gates.Add(1)
	return true
}

// closeGates lets no gate start and waits for those running: a gate
// stores in the repo, which closes after the node.
func (t *topics) closeGates() {
	t.mu.Lock()
	t.shut = true
	t.mu.Unlock()
	t.gates.Wait()
}

// SetGate makes this node relay a publisher's announced heads only after
// gate(head) succeeds; a mirror's gate fetches and verifies the content
// the head names, so a head travels no faster than the content behind it
// and every node that relays a head can serve it. Call before
// Announcements.
func (n *Node) SetGate(publisher string, gate func(context.Context, *Head) error) {
	n.topics.mu.Lock()
	defer n.topics.mu.Unlock()
	n.topics.gate[publisher] = gate
}

func (n *Node) gate(publisher string) func(context.Context, *Head) error {
	n.topics.mu.Lock()
	defer n.topics.mu.Unlock()
	return n.topics.gate[publisher]
}

// topic joins a publisher's topic once, with a validator that drops (and
// scores against the sender) anything that is not a valid head of that
// publisher, and ignores heads that the head rule (Supersedes) does not
// let replace the repo's stored one.
func (n *Node) topic(publisher string) (*pubsub.Topic, error) {
	n.topics.mu.Lock()
	defer n.topics.mu.Unlock()
	if t, ok := n.topics.m[publisher]; ok {
		return t, nil
	}
	name := headTopic(publisher)
	err := n.ps.RegisterTopicValidator(name, func(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		h, err := ParseHead(publisher, m.GetData())
		if err != nil {
			return pubsub.ValidationReject
		}
		if h.Expired {
			return pubsub.ValidationIgnore // expired in flight, or a skewed clock: not malice
		}
		if from == n.Host.ID() {
			return pubsub.ValidationAccept // our own announcement of a head we hold
		}
		if ok, err := n.repo.heads.Check(h); !ok {
			// An equivocation is signed by the publisher's keys, so not
			// the relay's fault: logged, ignored, not punished.
			n.reportEquivocation([]error{err})
			return pubsub.ValidationIgnore // old news: neither relayed nor punished
		}
		if gate := n.gate(publisher); gate != nil {
			if !n.topics.enterGate() {
				return pubsub.ValidationIgnore // closing
			}
			err := gate(ctx, h)
			n.topics.gates.Done()
			if err != nil {
				return pubsub.ValidationIgnore // content not had (yet): do not relay
			}
		}
		m.ValidatorData = h
		return pubsub.ValidationAccept
	}, pubsub.WithValidatorTimeout(gateTimeout))
	if err != nil {
		return nil, err
	}
	t, err := n.ps.Join(name)
	if err != nil {
		return nil, err
	}
	if err := t.SetScoreParams(topicScore); err != nil {
		return nil, err
	}
	n.topics.m[publisher] = t
	return t, nil
}

// Announce publishes a head on its publisher's topic.
func (n *Node) Announce(ctx context.Context, h *Head) error {
	t, err := n.topic(h.Publisher)
	if err != nil {
		return err
	}
	return t.Publish(ctx, h.Bytes())
}

// Announcements subscribes to a publisher's announcements and delivers
// every valid head that may replace the stored one (at the time it
// arrives) until ctx ends. Subscribing tells peers that this node follows
// the publisher: mirrors do, private readers do not.
func (n *Node) Announcements(ctx context.Context, publisher string) (<-chan *Head, error) {
	id, err := bundle.NormalizePublisherID(publisher)
	if err != nil {
		return nil, err
	}
	t, err := n.topic(id)
	if err != nil {
		return nil, err
	}
	sub, err := t.Subscribe()
	if err != nil {
		return nil, err
	}
	out := make(chan *Head, 1)
	go func() {
		defer close(out)
		defer sub.Cancel()
		for {
			m, err := sub.Next(ctx)
			if err != nil {
				return
			}
			h, ok := m.ValidatorData.(*Head)
			if !ok {
				continue
			}
			select {
			case out <- h:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// TopicPeers returns how many peers this node knows to be on a
// publisher's topic.
func (n *Node) TopicPeers(publisher string) int {
	return len(n.ps.ListPeers(headTopic(publisher)))
}
