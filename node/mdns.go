package node

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
)

// mdnsService is the name samizdat nodes advertise on the local network.
const mdnsService = "samizdat"

// mdnsNotifee connects to neighbours found on the LAN.
type mdnsNotifee struct {
	n *Node
}

func (m mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	if ai.ID == m.n.Host.ID() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.n.Connect(ctx, ai); err == nil { // a neighbour the operator chose by enabling mDNS
		m.n.log.Debug("connected to a neighbour found on the local network")
	}
}

// startMDNS advertises the node on the local network and connects to the
// samizdat nodes it finds there, so neighbours share without any
// configuration. It multicasts on every interface: tests leave it off.
func (n *Node) startMDNS() error {
	svc := mdns.NewMdnsService(n.Host, mdnsService, mdnsNotifee{n})
	if err := svc.Start(); err != nil {
		return err
	}
	n.mdns = svc
	return nil
}
