package main

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestGetDialsPeersAtOnce: get with three --peers that accept a TCP
// connection and never answer (a censor's black hole keeps a dial
// waiting the same way), listed before the real mirror, pays one dial
// timeout, not three: the peers are dialled at once.
func TestGetDialsPeersAtOnce(t *testing.T) {
	dir := t.TempDir()
	id, _, repo := publishedRepo(t, dir)
	_, addr := startServe(t, repo)
	t0 := time.Now()
	mustRun(t, "get", "--publisher", id, "--peer", addr, "-o", filepath.Join(dir, "base"), "--timeout", "60s")
	base := time.Since(t0)

	var peers []string
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close() // held open, silent, until the test ends
			}
		}()
		_, pub, _ := crypto.GenerateEd25519Key(nil)
		pid, _ := peer.IDFromPublicKey(pub)
		peers = append(peers, "--peer", "/ip4/127.0.0.1/tcp/"+portOf(ln.Addr())+"/p2p/"+pid.String())
	}
	args := append([]string{"get", "--publisher", id}, peers...)
	args = append(args, "--peer", addr, "-o", filepath.Join(dir, "got"), "--timeout", "90s")
	t0 = time.Now()
	mustRun(t, args...)
	took := time.Since(t0)
	t.Logf("with three silent peers first: %v (alone: %v)", took.Round(time.Millisecond), base.Round(time.Millisecond))
	// One after another, each silent peer would cost libp2p's dial
	// timeout (5 s on loopback): 15 s or more.
	if took > base+10*time.Second {
		t.Errorf("get took %v (%v without the silent peers): it dialled them one after another", took, base)
	}
}

func portOf(a net.Addr) string {
	_, port, _ := net.SplitHostPort(a.String())
	return port
}
