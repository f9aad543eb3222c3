package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/mirror"
	"github.com/samizdat/samizdat/node"
	"github.com/samizdat/samizdat/web"
	"github.com/samizdat/samizdat/web/search"
)

// Files `samizdat read` keeps in the repo besides node/'s own.
const (
	followFile = "reading.json" // the publishers the reader follows, and their peers
	indexDir   = "index"        // the full-text search index
)

// Bounds of the reader command.
const (
	// maxFollowed bounds the publishers one reader follows; each costs a
	// sync every interval.
	maxFollowed = 256
	// maxFollowFile bounds the follow file read back from the repo.
	maxFollowFile = 4 << 20
	// syncTimeout bounds one round of syncs.
	syncTimeout = 10 * time.Minute
	// defaultReadPort is where the reader UI listens unless told.
	defaultReadPort = 7788
)

// followList is the follow file's content.
type followList struct {
	Follow []node.Link `json:"follow"`
}

func runReadCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("read", flag.ContinueOnError)
	repoDir := fs.String("repo", "", "repository directory (created if missing)")
	port := fs.Int("port", defaultReadPort, "port of the reader UI on 127.0.0.1 (0: any free port)")
	noFetch := fs.Bool("no-fetch", false, "read what the repo holds; fetch nothing")
	interval := fs.Duration("interval", 5*time.Minute, "how often to check followed publishers for new bundles")
	var follow, peers, bootstrap multiFlag
	fs.Var(&follow, "follow", "publisher ID or samizdat: link to follow (remembered in the repo); repeatable")
	fs.Var(&peers, "peer", "multiaddr of a peer to fetch from; repeatable")
	fs.Var(&bootstrap, "bootstrap", "multiaddr of a DHT bootstrap peer, to find mirrors; repeatable")
	dhtPrefix := fs.String("dht-prefix", "", "DHT protocol prefix (default: the IPFS DHT's)")
	share := fs.Bool("share", false, "also serve what this reader holds to others, as a mirror does (tells them, and the LAN, what it holds)")
	var listen multiFlag
	fs.Var(&listen, "listen", "with --share: multiaddr to listen on; repeatable (default: any TCP and QUIC port)")
	noMDNS := fs.Bool("no-mdns", false, "with --share: do not advertise on, or discover neighbours in, the local network")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if *repoDir == "" || len(pos) != 0 {
		return fmt.Errorf("%w: --repo DIR is required", errUsage)
	}
	if *port < 0 || *port > 65535 {
		return fmt.Errorf("%w: --port %d", errUsage, *port)
	}
	if *interval <= 0 {
		return fmt.Errorf("%w: --interval must be positive", errUsage)
	}
	var links []node.Link
	for _, f := range follow {
		l, err := node.ParseLink(f)
		if err != nil {
			return fmt.Errorf("%w: --follow %.80q: %v", errUsage, f, err)
		}
		links = append(links, l)
	}
	infos, err := parsePeers(peers)
	if err != nil {
		return err
	}
	boot, err := parsePeers(bootstrap)
	if err != nil {
		return err
	}

	repo, err := node.OpenRepo(*repoDir)
	if err != nil {
		return err
	}
	defer repo.Close()
	r := &reader{e: e, repo: repo, path: filepath.Join(*repoDir, followFile), wake: make(chan struct{}, 1)}
	if err := r.load(); err != nil {
		return err
	}
	for _, l := range links {
		if err := r.add(l); err != nil {
			return err
		}
	}
	// A private reader: it listens on no libp2p address, serves nothing,
	// does not advertise itself on the LAN, and queries the DHT as a
	// client only when given bootstrap peers.
	cfg := node.Config{Logger: e.log}
	if len(boot) > 0 {
		cfg.DHT, cfg.DHTPrefix, cfg.Bootstrap = node.DHTClient, *dhtPrefix, boot
	}
	if *share {
		// A reader turned mirror for its neighbours: it serves and is
		// found on the LAN, so it gives up the reader's privacy.
		cfg.Serve, cfg.MDNS, cfg.Listen = true, !*noMDNS, listen
		if len(cfg.Listen) == 0 {
			cfg.Listen = []string{"/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1"}
		}
	} else if len(listen) > 0 || *noMDNS {
		return fmt.Errorf("%w: --listen and --no-mdns go with --share", errUsage)
	}
	n, err := node.New(ctx, repo, cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	if *share {
		n.ServeHeads(repo.Heads())
		for _, a := range n.Addrs() {
			fmt.Fprintf(e.stdout, "sharing at %s\n", a)
		}
	}
	r.n = n
	idx, err := search.Open(filepath.Join(*repoDir, indexDir))
	if err != nil {
		return err
	}
	defer idx.Close()
	webCfg := web.Config{Node: n, Heads: repo.Heads(), Index: idx, Logger: e.log, Follow: r.follow}
	srv, err := web.New(ctx, webCfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	r.srv = srv

	// 127.0.0.1 only: the reader UI shows what this person reads.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	fmt.Fprintf(e.stdout, "reading at http://%s/\n", ln.Addr())

	var wg sync.WaitGroup
	if !*noFetch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			connectAll(ctx, e, n, infos)
			n.DialRemembered(ctx)
			r.fetch(ctx, *interval)
		}()
	}
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// reader is the state of `samizdat read`: the followed publishers and the
// node that fetches them.
type reader struct {
	e    *env
	repo *node.Repo
	n    *node.Node
	srv  *web.Server
	path string
	wake chan struct{} // a follow asks for a sync now

	mu   sync.Mutex
	list followList // guarded by mu
}

func (r *reader) load() error {
	f, err := os.Open(r.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	var l followList
	if err := json.NewDecoder(io.LimitReader(f, maxFollowFile)).Decode(&l); err != nil {
		return fmt.Errorf("%s: %w", r.path, err)
	}
	// Re-check every entry: the file is ours, but a disk can rot.
	for _, fl := range l.Follow {
		if _, err := node.ParseLink(fl.String()); err != nil {
			return fmt.Errorf("%s: %w", r.path, err)
		}
	}
	r.list = l
	return nil
}

// add follows a publisher (merging peers of a publisher already followed)
// and writes the follow file atomically.
func (r *reader) add(l node.Link) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := followList{Follow: slices.Clone(r.list.Follow)}
	i := slices.IndexFunc(next.Follow, func(f node.Link) bool { return f.Publisher == l.Publisher })
	if i < 0 {
		if len(next.Follow) >= maxFollowed {
			return fmt.Errorf("already following %d publishers, the most one reader follows", maxFollowed)
		}
		next.Follow = append(next.Follow, node.Link{Publisher: l.Publisher})
		i = len(next.Follow) - 1
	}
	f := next.Follow[i]
	f.Peers = slices.Clone(f.Peers)
	for _, p := range l.Peers {
		if !slices.Contains(f.Peers, p) && len(f.Peers) < node.MaxLinkPeers {
			f.Peers = append(f.Peers, p)
		}
	}
	next.Follow[i] = f
	data, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(r.path, 0o600, append(data, '\n')); err != nil {
		return err
	}
	r.list = next
	return nil
}

// follow is the web UI's follow form: remember the publisher, connect to
// the link's peers, and sync soon.
func (r *reader) follow(ctx context.Context, l node.Link) error {
	if err := r.add(l); err != nil {
		return err
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

func (r *reader) followed() []node.Link {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.list.Follow)
}

// fetch syncs every followed publisher now, every interval and whenever
// one is followed, until ctx ends; after each round the UI refreshes.
// Logs name no publisher: they would say what this person reads.
func (r *reader) fetch(ctx context.Context, every time.Duration) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.wake:
		}
		fetched, failed := r.syncAll(ctx)
		if ctx.Err() != nil {
			return
		}
		if fetched > 0 {
			r.e.log.Info("new bundles", "fetched", fetched)
		}
		if failed > 0 {
			r.e.log.Info("some publishers could not be synced; retrying later", "failed", failed)
		}
		if err := r.srv.Refresh(ctx); err != nil && ctx.Err() == nil {
			r.e.log.Warn("reader refresh failed") // the error may name a bundle: not logged
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(every)
	}
}

func (r *reader) syncAll(ctx context.Context) (fetched, failed int) {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	for _, l := range r.followed() {
		for _, a := range l.Peers {
			ai, err := peer.AddrInfoFromString(a)
			if err != nil {
				continue
			}
			// Even when already connected (a DHT neighbour, say): Connect
			// makes a link's peer a source, one the reader asks.
			cctx, ccancel := context.WithTimeout(ctx, 15*time.Second)
			r.n.Connect(cctx, *ai)
			ccancel()
		}
		res, err := mirror.Sync(ctx, r.n, r.repo.Heads(), l.Publisher, r.n.Sources())
		if res != nil {
			fetched += len(res.Fetched)
		}
		if err != nil {
			failed++ // the error names the publisher: not logged
		}
	}
	if failed < len(r.followed()) {
		r.n.RememberPeers() // the peers that worked, for the next start
	}
	return fetched, failed
}
