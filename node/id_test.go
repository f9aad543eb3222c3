package node

import (
	"crypto/ed25519"
	"testing"

	"github.com/ipfs/boxo/ipns"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
)

// TestPublisherIDIsPeerID: the publisher ID the bundle package computes
// without libp2p is the libp2p peer ID, and so the IPNS name, of the key.
func TestPublisherIDIsPeerID(t *testing.T) {
	priv, err := bundle.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	lk, err := crypto.UnmarshalEd25519PublicKey(priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := peer.IDFromPublicKey(lk)
	if err != nil {
		t.Fatal(err)
	}
	if got := bundle.PublisherID(priv.Public().(ed25519.PublicKey)); got != pid.String() {
		t.Errorf("PublisherID() = %s, want the peer ID %s", got, pid)
	}
	name := ipns.NameFromPeer(pid).String()
	got, err := bundle.NormalizePublisherID(name)
	if err != nil || got != pid.String() {
		t.Errorf("NormalizePublisherID(IPNS name %s) = %s, %v; want %s", name, got, err, pid)
	}
}
