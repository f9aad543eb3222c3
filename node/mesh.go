package node

import (
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// meshTracer follows gossipsub's mesh, which pubsub does not expose: the
// peers a node forwards a topic's messages to at once. A message that
// arrives before a neighbour is in the mesh reaches it only by gossip or
// the next sync, so tests (and status) want to see it. It also counts
// the validator's verdicts.
type meshTracer struct {
	mu   sync.Mutex
	mesh map[string]map[peer.ID]bool // by topic

	delivered, refused atomic.Uint64 // announcements accepted; rejected or ignored

	scoresMu sync.Mutex
	scores   map[peer.ID]float64 // gossipsub's peer scores, as last inspected
}

// inspect takes gossipsub's periodic snapshot of its peer scores.
func (t *meshTracer) inspect(scores map[peer.ID]float64) {
	t.scoresMu.Lock()
	defer t.scoresMu.Unlock()
	t.scores = scores
}

// PeerScore returns gossipsub's score of peer p (at most scoreInspectPeriod
// old; 0 for a peer never scored, and always 0 without Config.PeerScores). A peer that relays invalid heads falls
// below 0, and below the graylist threshold is ignored altogether.
func (n *Node) PeerScore(p peer.ID) float64 {
	n.mesh.scoresMu.Lock()
	defer n.mesh.scoresMu.Unlock()
	return n.mesh.scores[p]
}

func newMeshTracer() *meshTracer {
	return &meshTracer{mesh: make(map[string]map[peer.ID]bool)}
}

func (t *meshTracer) peers(topic string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.mesh[topic])
}

func (t *meshTracer) Graft(p peer.ID, topic string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mesh[topic] == nil {
		t.mesh[topic] = make(map[peer.ID]bool)
	}
	t.mesh[topic][p] = true
}

func (t *meshTracer) Prune(p peer.ID, topic string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.mesh[topic], p)
}

// OnClosedOutboundStream: the peer is gone, and out of every mesh.
func (t *meshTracer) OnClosedOutboundStream(p peer.ID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range t.mesh {
		delete(m, p)
	}
}

func (t *meshTracer) Leave(topic string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.mesh, topic)
}

func (*meshTracer) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (*meshTracer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
func (*meshTracer) Join(string)                                          {}
func (*meshTracer) ValidateMessage(*pubsub.Message)                      {}
func (t *meshTracer) DeliverMessage(*pubsub.Message)                     { t.delivered.Add(1) }
func (t *meshTracer) RejectMessage(*pubsub.Message, string)              { t.refused.Add(1) }
func (*meshTracer) DuplicateMessage(*pubsub.Message)                     {}
func (*meshTracer) ThrottlePeer(peer.ID)                                 {}
func (*meshTracer) RecvRPC(*pubsub.RPC)                                  {}
func (*meshTracer) SendRPC(*pubsub.RPC, peer.ID)                         {}
func (*meshTracer) DropRPC(*pubsub.RPC, peer.ID)                         {}
func (*meshTracer) UndeliverableMessage(*pubsub.Message)                 {}

var _ pubsub.RawTracer = (*meshTracer)(nil)

// Announced returns how many announcements, the node's own included, the
// node accepted (delivered and relayed) and refused (invalid, expired,
// not newer than the stored head, or not past the relay gate) since it
// started.
func (n *Node) Announced() (accepted, refused uint64) {
	return n.mesh.delivered.Load(), n.mesh.refused.Load()
}

// MeshPeers returns how many peers this node forwards a publisher's
// announcements to directly (its gossipsub mesh for that topic).
func (n *Node) MeshPeers(publisher string) int {
	return n.mesh.peers(headTopic(publisher))
}
