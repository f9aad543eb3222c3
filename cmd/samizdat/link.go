package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
	qrcode "github.com/skip2/go-qrcode"
)

// runLinkCmd prints a samizdat: link for a publisher a repo carries, with
// the addresses the repo's running node listens on, for a publisher to
// hand out as text or as a QR code.
func runLinkCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("link", flag.ContinueOnError)
	repoDir := fs.String("repo", "", "the repository of a running serve")
	publisher := fs.String("publisher", "", "the publisher (default: the repo's only one)")
	qr := fs.Bool("qr", false, "also print the link as a QR code")
	var extra, mirrors multiFlag
	fs.Var(&extra, "peer", "a multiaddr to put in the link besides the repo's own (a public address); repeatable")
	fs.Var(&mirrors, "mirror", "an https mirror to put in the link before those the publisher's document lists; repeatable")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if *repoDir == "" || len(pos) != 0 {
		return fmt.Errorf("%w: --repo DIR is required", errUsage)
	}
	id := *publisher
	if id == "" {
		heads, err := node.PeekHeads(*repoDir)
		if err != nil {
			return err
		}
		switch ids := heads.List(); len(ids) {
		case 1:
			id = ids[0]
		case 0:
			return fmt.Errorf("%s holds no publisher's head yet", *repoDir)
		default:
			return fmt.Errorf("%w: %s holds %d publishers: give --publisher", errUsage, *repoDir, len(ids))
		}
	}
	if id, err = bundle.NormalizePublisherID(id); err != nil {
		return fmt.Errorf("%w: --publisher: %v", errUsage, err)
	}
	signedPeers, signedURLs := signedMirrors(*repoDir, id)
	// The operator's own addresses first, then the node's public ones, the
	// publisher's signed libp2p mirrors, and the node's private and
	// loopback ones; in each, the TLS WebSocket ones first (linkAddrs).
	public, local := linkAddrs(*repoDir)
	peers := slices.Concat(node.TLSWSFirst(extra), public, node.TLSWSFirst(signedPeers), local)
	if len(peers) > node.MaxLinkPeers {
		peers = peers[:node.MaxLinkPeers]
	}
	var urls []string
	for _, u := range append(mirrors, signedURLs...) {
		if !slices.Contains(urls, u) {
			urls = append(urls, u)
		}
	}
	if len(urls) > node.MaxLinkMirrors {
		urls = urls[:node.MaxLinkMirrors]
	}
	l := node.Link{Publisher: id, Peers: peers, Mirrors: urls}
	for len(l.String()) > node.MaxLinkLen && len(l.Peers)+len(l.Mirrors) > 0 {
		if len(l.Peers) > 0 {
			l.Peers = l.Peers[:len(l.Peers)-1] // the least reachable go first
		} else {
			l.Mirrors = l.Mirrors[:len(l.Mirrors)-1]
		}
	}
	link := l.String()
	if _, err := node.ParseLink(link); err != nil {
		return fmt.Errorf("the link would not parse: %w", err)
	}
	fmt.Fprintln(e.stdout, link)
	if *qr {
		code, err := qrcode.New(link, qrcode.Medium)
		if err != nil {
			return err
		}
		fmt.Fprint(e.stdout, code.ToSmallString(false))
	}
	return nil
}

// linkAddrs returns the libp2p addresses from the repo's addrs file
// (written by serve), those a reader elsewhere can dial first: public,
// then private, then loopback ones, and in each the TLS WebSocket ones
// first: when the link is cut to its length bound those stay, and a
// reader that dials addresses in the order given (ours dial a peer's TLS
// WebSocket addresses first whatever the order: parsePeers, node's dial
// ranker) tries first the path that looks like HTTPS.
func linkAddrs(dir string) (public, local []string) {
	data, err := os.ReadFile(filepath.Join(dir, addrsFile))
	if err != nil {
		return nil, nil
	}
	var private, loopback []string
	for line := range strings.Lines(string(data)) {
		s, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
		if !ok {
			continue
		}
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			continue
		}
		switch {
		case manet.IsIPLoopback(a):
			loopback = append(loopback, s)
		case manet.IsPublicAddr(a):
			public = append(public, s)
		default:
			private = append(private, s)
		}
	}
	return node.TLSWSFirst(public), slices.Concat(node.TLSWSFirst(private), node.TLSWSFirst(loopback))
}

// signedMirrors returns the libp2p and https mirrors that the document of
// the publisher's head in the repo lists, in its order.
func signedMirrors(dir, publisher string) (peers, urls []string) {
	heads, err := node.PeekHeads(dir)
	if err != nil {
		return nil, nil
	}
	h, err := heads.Get(publisher)
	if err != nil || h == nil || h.Authority == nil {
		return nil, nil
	}
	for _, m := range node.ParseMirrors(h.Authority.Mirrors) {
		if m.Peer != nil {
			peers = append(peers, m.Addr)
		} else {
			urls = append(urls, m.Addr)
		}
	}
	return peers, urls
}
