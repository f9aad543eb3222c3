package node

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/samizdat/samizdat/internal/atomicfile"
)

// peersFile remembers peers that worked, so a restart does not depend on
// a bootstrap list a censor can block.
const peersFile = "peers"

// maxRememberedPeers bounds the remembered peers.
const maxRememberedPeers = 64

// RememberPeers writes the addresses of the connected peers the node
// fetches from (Sources; those that have listen addresses) to the repo,
// atomically.
func (n *Node) RememberPeers() error {
	var buf bytes.Buffer
	count := 0
	for _, p := range n.Sources() {
		if count >= maxRememberedPeers {
			break
		}
		for _, a := range n.Host.Peerstore().Addrs(p) {
			buf.WriteString(a.Encapsulate(ma.StringCast("/p2p/" + p.String())).String())
			buf.WriteByte('\n')
		}
		count++
	}
	if count == 0 {
		return nil // keep the last good list rather than forget it
	}
	return atomicfile.WriteBytes(filepath.Join(n.repo.dir, peersFile), 0o600, buf.Bytes())
}

// RememberedPeers reads the peers RememberPeers wrote.
func (n *Node) RememberedPeers() []peer.AddrInfo {
	data, err := os.ReadFile(filepath.Join(n.repo.dir, peersFile))
	if err != nil {
		return nil
	}
	var addrs []ma.Multiaddr
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if a, err := ma.NewMultiaddr(sc.Text()); err == nil {
			addrs = append(addrs, a)
		}
	}
	infos, err := peer.AddrInfosFromP2pAddrs(addrs...)
	if err != nil {
		return nil
	}
	return infos
}

// DialRemembered connects to the remembered peers, in the background of
// the caller's choosing; it returns how many answered.
func (n *Node) DialRemembered(ctx context.Context) int {
	ok := 0
	for _, ai := range n.RememberedPeers() {
		if ai.ID == n.Host.ID() {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if n.Connect(cctx, ai) == nil {
			ok++
		}
		cancel()
	}
	return ok
}
