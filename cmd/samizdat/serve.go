package main

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/mirror"
	"github.com/samizdat/samizdat/node"
	"github.com/samizdat/samizdat/web"
	webapp "github.com/samizdat/samizdat/web/reader"
	"github.com/samizdat/samizdat/web/search"
)

// Files a running node keeps in its repo besides node/'s own.
const (
	addrsFile         = "addrs"
	keyPathFile       = "publisher-key"       // the path (not the key) of the head-signing key serve was given
	authorityPathFile = "publisher-authority" // the path of the publisher document serve was given
)

// defaultListen is where serve listens unless told: TCP and QUIC on 4001,
// WebSocket on 4002 (for a reverse proxy or a browser), and libp2p over
// TLS WebSocket, the path that looks like HTTPS, on 443 if the process
// may bind it (root, or CAP_NET_BIND_SERVICE) and it is free, else on 4443.
func defaultListen(e *env) []string {
	port := tlsWSPort
	if !canBind(port) {
		e.log.Info("TLS WebSocket on the fallback port: 443 cannot be bound (not root, no CAP_NET_BIND_SERVICE, or in use)", "port", tlsWSFallbackPort)
		port = tlsWSFallbackPort
	}
	return []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1", "/ip4/0.0.0.0/tcp/4002/ws",
		fmt.Sprintf("/ip4/0.0.0.0/tcp/%d/tls/ws", port)}
}

// Ports of the default TLS WebSocket listener.
const (
	tlsWSPort         = 443
	tlsWSFallbackPort = 4443
)

// canBind reports whether the process can listen on TCP port on every
// IPv4 address now: it tries, and lets go at once.
var canBind = func(port int) bool {
	ln, err := net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// serveOptions is what `samizdat serve` was asked to do.
type serveOptions struct {
	repo, keyPath string
	key           ed25519.PrivateKey
	authorityPath string
	authority     *bundle.Authority
	interval      time.Duration
	follow        []string
	peers         []peer.AddrInfo
	node          node.Config
	httpAddr      string
	httpPages     bool
	readerMirrors []webapp.Mirror
	metricsAddr   string
}

func runServeCmd(ctx context.Context, e *env, args []string) error {
	o, err := parseServeFlags(e, args)
	if err != nil {
		return err
	}
	return serve(ctx, e, o)
}

func parseServeFlags(e *env, args []string) (*serveOptions, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	o := &serveOptions{}
	fs.StringVar(&o.repo, "repo", "", "repository directory (created if missing)")
	fs.StringVar(&o.keyPath, "key", "", "publisher key: act for this publisher (sign and renew its head): a head key with --authority, else the root key")
	fs.StringVar(&o.authorityPath, "authority", "", "publisher document authorizing --key to sign heads, so the root key can stay offline")
	fs.DurationVar(&o.interval, "interval", mirror.DefaultSyncInterval, "how often to check followed publishers for new heads")
	noMDNS := fs.Bool("no-mdns", false, "do not advertise on, or discover neighbours in, the local network")
	fs.Int64Var(&o.node.Quota, "quota", 0, "bytes of bundles to keep (0: no bound); the oldest go first, a publisher's newest never")
	var follow, listen, peers, bootstrap, relays multiFlag
	fs.Var(&bootstrap, "bootstrap", "multiaddr of a DHT bootstrap peer; repeatable (remembered peers are used too)")
	fs.StringVar(&o.node.DHTPrefix, "dht-prefix", "", "DHT protocol prefix (default: the IPFS DHT's); a private one for a closed network")
	noDHT := fs.Bool("no-dht", false, "do not take part in the DHT")
	fs.Int64Var(&o.node.UploadRate, "max-upload", 0, "cap, in bytes per second, on what the node sends to peers, all protocols together (0: no cap)")
	fs.StringVar(&o.httpAddr, "http", "", "also serve a trustless HTTP gateway (/ipfs/, /ipns/) on this address, e.g. 127.0.0.1:8080")
	fs.BoolVar(&o.httpPages, "http-pages", false, "with --http, serve server-rendered reader pages at / (for browsers without JavaScript; keeps a search index in the repo) and the browser reader at /app/")
	var readerMirrorURLs multiFlag
	fs.Var(&readerMirrorURLs, "reader-mirror", "base URL of another mirror the browser reader served by --http may fetch from; repeatable")
	fs.StringVar(&o.metricsAddr, "metrics", "", "serve Prometheus metrics at /metrics on this address (totals only; e.g. 127.0.0.1:9100)")
	fs.BoolVar(&o.node.RelayService, "relay-service", false, "relay connections for peers that cannot be reached directly (uses your bandwidth)")
	fs.Var(&relays, "relay", "multiaddr of a circuit relay to reserve a slot on when this node cannot be reached directly; repeatable")
	fs.BoolVar(&o.node.BehindNAT, "behind-nat", false, "this node cannot be reached directly (no port forwarding): use the --relay peers at once")
	fs.Var(&follow, "follow", "publisher ID to mirror; repeatable")
	fs.Var(&listen, "listen", "multiaddr to listen on; repeatable (default TCP 4001, QUIC 4001, WebSocket 4002, TLS WebSocket 443, or 4443 when 443 cannot be bound)")
	fs.StringVar(&o.node.TLSCert, "tls-cert", "", "PEM certificate (with its chain) for the TLS WebSocket listener, e.g. a Let's Encrypt fullchain.pem (default: a self-signed one kept in the repo)")
	fs.StringVar(&o.node.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.Var(&peers, "peer", "multiaddr of a peer to connect to; repeatable")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return nil, err
	}
	if o.repo == "" || len(pos) != 0 {
		return nil, fmt.Errorf("%w: --repo DIR is required", errUsage)
	}
	if o.httpPages && o.httpAddr == "" {
		return nil, fmt.Errorf("%w: --http-pages needs --http ADDR", errUsage)
	}
	if o.readerMirrors, err = readerMirrors(readerMirrorURLs); err != nil {
		return nil, err
	}
	if o.keyPath != "" {
		if o.key, err = loadKey(o.keyPath); err != nil {
			return nil, err
		}
	}
	if o.authorityPath != "" && o.keyPath == "" {
		return nil, fmt.Errorf("%w: --authority needs the --key it authorizes", errUsage)
	}
	if o.authority, err = loadAuthority(o.authorityPath); err != nil {
		return nil, err
	}
	for _, id := range follow {
		if _, err := bundle.ParsePublisherID(id); err != nil {
			return nil, fmt.Errorf("%w: --follow %.80q: not a publisher ID", errUsage, id)
		}
	}
	o.follow = follow
	o.node.Serve, o.node.MDNS, o.node.Logger = true, !*noMDNS, e.log
	if o.node.Listen, err = serveListen(e, listen, o.node.TLSCert, o.node.TLSKey); err != nil {
		return nil, err
	}
	o.node.DHT = node.DHTServer
	if *noDHT {
		o.node.DHT = node.DHTOff
	}
	if o.peers, err = parsePeers(peers); err != nil {
		return nil, err
	}
	if o.node.Bootstrap, err = parsePeers(bootstrap); err != nil {
		return nil, err
	}
	if o.node.Relays, err = parsePeers(relays); err != nil {
		return nil, err
	}
	if o.node.BehindNAT && len(o.node.Relays) == 0 {
		return nil, fmt.Errorf("%w: --behind-nat needs at least one --relay", errUsage)
	}
	return o, nil
}

// serve runs a mirror (and, with a key, a publisher) until ctx ends.
func serve(ctx context.Context, e *env, o *serveOptions) error {
	svc, repo, closeAll, err := openService(ctx, o.repo, o.node, mirror.Options{Key: o.key, Authority: o.authority, Logger: e.log})
	if err != nil {
		return err
	}
	defer closeAll()
	if err := rememberPath(o.repo, keyPathFile, o.keyPath); err != nil {
		return err
	}
	if err := rememberPath(o.repo, authorityPathFile, o.authorityPath); err != nil {
		return err
	}
	connectAll(ctx, e, svc.Node(), o.peers)
	var pages *web.Server
	if o.httpPages {
		idx, err := search.Open(filepath.Join(o.repo, indexDir))
		if err != nil {
			return err
		}
		defer idx.Close()
		if pages, err = web.New(ctx, web.Config{Node: svc.Node(), Index: idx, Public: true, Logger: e.log}); err != nil {
			return err
		}
		defer pages.Close()
	}
	d := newDaemon(e, repo, svc, pages)
	stopHTTP, httpLines, err := d.startHTTP(e, o)
	if err != nil {
		return err
	}
	defer stopHTTP()
	removeAddrs, err := writeAddrs(e, o.repo, svc.Node(), httpLines)
	if err != nil {
		return err
	}
	defer removeAddrs()
	return d.run(ctx, o)
}

// startHTTP starts the gateway (with the reader pages beside it) and the
// metrics endpoint that o asks for.
func (d *daemon) startHTTP(e *env, o *serveOptions) (stop func(), lines string, err error) {
	var pages http.Handler
	if d.pages != nil {
		pages = d.pages
	}
	stopGW, lines, err := startGateway(e, d.n, o.httpAddr, pages, o.readerMirrors)
	if err != nil {
		return nil, "", err
	}
	if o.metricsAddr == "" {
		return stopGW, lines, nil
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", d.metrics.handler(d.n, len(o.follow)))
	stopM, line, err := startHTTP(e, "--metrics", o.metricsAddr, mux)
	if err != nil {
		stopGW()
		return nil, "", err
	}
	return func() { stopM(); stopGW() }, lines + strings.Replace(line, "http ", "metrics ", 1), nil
}

// run starts the daemon's loops and waits for ctx to end and for every
// loop and control handler to finish.
func (d *daemon) run(ctx context.Context, o *serveOptions) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := d.listenControl(ctx, &wg); err != nil {
		return err
	}
	wg.Go(func() { d.pagesLoop(ctx) })
	wg.Go(func() { d.redial(ctx, o.peers) })
	if d.svc.Publisher() != "" {
		wg.Go(func() { d.svc.KeepRenewed(ctx) })
	}
	for i, id := range o.follow {
		wg.Go(func() {
			err := d.svc.Follow(ctx, id, mirror.FollowOptions{Every: o.interval, Report: d.mirrorReport(i + 1)})
			if err != nil {
				d.e.log.Error("cannot follow", "follow", i+1, "err", err)
			}
		})
	}
	<-ctx.Done()
	d.e.log.Info("stopped")
	return nil
}

// rememberPath writes the absolute form of path (none: removes the
// record) to the repo file name, for `publish` to find when no node runs.
func rememberPath(repo, name, path string) error {
	p := filepath.Join(repo, name)
	if path == "" {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(p, 0o600, []byte(abs+"\n"))
}

// isTLSWSText reports whether s is a /tls/ws multiaddr.
func isTLSWSText(s string) bool {
	a, err := ma.NewMultiaddr(s)
	return err == nil && node.IsTLSWS(a)
}

// parsePeers parses multiaddrs with /p2p/ID parts into one AddrInfo per
// peer, in the order peers first appear, each with its TLS WebSocket
// addresses first: one dial then tries all of a peer's addresses, the
// TLS WebSocket ones ahead of the rest (node's dial ranker), so a reader
// behind a censor that reads libp2p's negotiation reaches the peer
// without sending any in clear.
func parsePeers(addrs []string) ([]peer.AddrInfo, error) {
	var out []peer.AddrInfo
	at := make(map[peer.ID]int)
	for _, a := range addrs {
		ai, err := peer.AddrInfoFromString(a)
		if err != nil {
			return nil, fmt.Errorf("%w: --peer %.120q: %v", errUsage, a, err)
		}
		if i, ok := at[ai.ID]; ok {
			out[i].Addrs = append(out[i].Addrs, ai.Addrs...)
			continue
		}
		at[ai.ID] = len(out)
		out = append(out, *ai)
	}
	for i := range out {
		slices.SortStableFunc(out[i].Addrs, func(a, b ma.Multiaddr) int {
			return cmp.Compare(tlsWSRank(a), tlsWSRank(b))
		})
	}
	return out, nil
}

// serveListen is where serve listens: the --listen addresses, or the
// defaults; an operator's TLS certificate needs a TLS WebSocket listener.
func serveListen(e *env, listen []string, cert, key string) ([]string, error) {
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("%w: --tls-cert and --tls-key go together", errUsage)
	}
	if len(listen) == 0 {
		return defaultListen(e), nil
	}
	if cert != "" && !slices.ContainsFunc(listen, isTLSWSText) {
		return nil, fmt.Errorf("%w: --tls-cert is for a TLS WebSocket listener, and no --listen address is one (/ip4/0.0.0.0/tcp/443/tls/ws, say)", errUsage)
	}
	return listen, nil
}

// tlsWSRank is 0 for a TLS WebSocket address, 1 for any other.
func tlsWSRank(a ma.Multiaddr) int {
	if node.IsTLSWS(a) {
		return 0
	}
	return 1
}

// connectAll dials the given peers at once (node.Node.DialFirst), and
// returns once every dial ended or soon after one connected.
func connectAll(ctx context.Context, e *env, n *node.Node, infos []peer.AddrInfo) {
	targets := make([]node.DialTarget, len(infos))
	for i, ai := range infos {
		targets[i] = node.DialTarget{Info: ai}
	}
	n.DialFirst(ctx, targets, 0, func(i int, err error) {
		if err != nil && ctx.Err() == nil {
			// By position, not address: a reader's log names no mirror.
			e.log.Warn("could not connect to a given peer", "peer", i+1, "of", len(infos))
		}
	})
}
