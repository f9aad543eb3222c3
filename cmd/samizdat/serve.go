package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
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

var defaultListen = []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1", "/ip4/0.0.0.0/tcp/4002/ws"}

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
	fs.Var(&listen, "listen", "multiaddr to listen on; repeatable (default TCP 4001, QUIC 4001, WebSocket 4002)")
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
	o.node.Serve, o.node.MDNS, o.node.Logger, o.node.Listen = true, !*noMDNS, e.log, listen
	if len(listen) == 0 {
		o.node.Listen = defaultListen
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

func parsePeers(addrs []string) ([]peer.AddrInfo, error) {
	var out []peer.AddrInfo
	for _, a := range addrs {
		ai, err := peer.AddrInfoFromString(a)
		if err != nil {
			return nil, fmt.Errorf("%w: --peer %.120q: %v", errUsage, a, err)
		}
		out = append(out, *ai)
	}
	return out, nil
}

func connectAll(ctx context.Context, e *env, n *node.Node, infos []peer.AddrInfo) {
	for i, ai := range infos {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		if err := n.Connect(cctx, ai); err != nil {
			// By position, not address: a reader's log names no mirror.
			e.log.Warn("could not connect to a given peer", "peer", i+1, "of", len(infos))
		}
		cancel()
	}
}
