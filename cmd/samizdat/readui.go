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

// readOptions is what `samizdat read` was asked to do.
type readOptions struct {
	repo     string
	port     int
	noFetch  bool
	interval time.Duration
	follow   []node.Link
	peers    []peer.AddrInfo
	share    bool
	node     node.Config
}

func runReadCmd(ctx context.Context, e *env, args []string) error {
	o, err := parseReadFlags(e, args)
	if err != nil {
		return err
	}
	return read(ctx, e, o)
}

func parseReadFlags(e *env, args []string) (*readOptions, error) {
	fs := flag.NewFlagSet("read", flag.ContinueOnError)
	o := &readOptions{}
	fs.StringVar(&o.repo, "repo", "", "repository directory (created if missing)")
	fs.IntVar(&o.port, "port", defaultReadPort, "port of the reader UI on 127.0.0.1 (0: any free port)")
	fs.BoolVar(&o.noFetch, "no-fetch", false, "read what the repo holds; fetch nothing")
	fs.DurationVar(&o.interval, "interval", mirror.DefaultSyncInterval, "how often to check followed publishers for new bundles")
	var follow, peers, bootstrap, listen multiFlag
	fs.Var(&follow, "follow", "publisher ID or samizdat: link to follow (remembered in the repo); repeatable")
	fs.Var(&peers, "peer", "multiaddr of a peer to fetch from; repeatable")
	fs.Var(&bootstrap, "bootstrap", "multiaddr of a DHT bootstrap peer, to find mirrors; repeatable")
	dhtPrefix := fs.String("dht-prefix", "", "DHT protocol prefix (default: the IPFS DHT's)")
	fs.BoolVar(&o.share, "share", false, "also serve what this reader holds to others, as a mirror does (tells them, and the LAN, what it holds)")
	fs.Var(&listen, "listen", "with --share: multiaddr to listen on; repeatable (default: any TCP and QUIC port)")
	noMDNS := fs.Bool("no-mdns", false, "with --share: do not advertise on, or discover neighbours in, the local network")
	pos, err := parseFlags(fs, args, e.stdout)
	switch {
	case err != nil:
		return nil, err
	case o.repo == "" || len(pos) != 0:
		return nil, fmt.Errorf("%w: --repo DIR is required", errUsage)
	case o.port < 0 || o.port > 65535:
		return nil, fmt.Errorf("%w: --port %d", errUsage, o.port)
	case o.interval <= 0:
		return nil, fmt.Errorf("%w: --interval must be positive", errUsage)
	case !o.share && (len(listen) > 0 || *noMDNS):
		return nil, fmt.Errorf("%w: --listen and --no-mdns go with --share", errUsage)
	}
	for _, f := range follow {
		l, err := node.ParseLink(f)
		if err != nil {
			return nil, fmt.Errorf("%w: --follow %.80q: %v", errUsage, f, err)
		}
		o.follow = append(o.follow, l)
	}
	if o.peers, err = parsePeers(peers); err != nil {
		return nil, err
	}
	boot, err := parsePeers(bootstrap)
	if err != nil {
		return nil, err
	}
	// A private reader: it listens on no libp2p address, serves nothing,
	// does not advertise itself on the LAN, and queries the DHT as a
	// client only when given bootstrap peers.
	o.node = node.Config{Logger: e.log}
	if len(boot) > 0 {
		o.node.DHT, o.node.DHTPrefix, o.node.Bootstrap = node.DHTClient, *dhtPrefix, boot
	}
	if o.share {
		// A reader turned mirror for its neighbours: it serves and is
		// found on the LAN, so it gives up the reader's privacy.
		o.node.Serve, o.node.MDNS, o.node.Listen = true, !*noMDNS, listen
		if len(listen) == 0 {
			o.node.Listen = []string{"/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1"}
		}
	}
	return o, nil
}

// read runs the reader UI, and follows the publishers in the repo's
// follow file, until ctx ends.
func read(ctx context.Context, e *env, o *readOptions) error {
	svc, repo, closeAll, err := openService(ctx, o.repo, o.node, mirror.Options{Logger: e.log})
	if err != nil {
		return err
	}
	defer closeAll()
	r := &reader{e: e, svc: svc, path: filepath.Join(o.repo, followFile), every: o.interval, wakes: map[string]chan struct{}{}}
	if err := r.load(); err != nil {
		return err
	}
	for _, l := range o.follow {
		if _, err := r.add(l); err != nil {
			return err
		}
	}
	if o.share {
		for _, a := range svc.Node().Addrs() {
			fmt.Fprintf(e.stdout, "sharing at %s\n", a)
		}
	}
	idx, err := search.Open(filepath.Join(o.repo, indexDir))
	if err != nil {
		return err
	}
	defer idx.Close()
	srv, err := web.New(ctx, web.Config{Node: svc.Node(), Index: idx, Logger: e.log, Follow: r.follow})
	if err != nil {
		return err
	}
	defer srv.Close()
	r.d = newDaemon(e, repo, svc, srv)
	return r.run(ctx, o)
}

// run serves the reader UI on 127.0.0.1 and, unless told not to fetch,
// follows every publisher, until ctx ends or the UI server fails.
func (r *reader) run(ctx context.Context, o *readOptions) error {
	// 127.0.0.1 only: the reader UI shows what this person reads.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.port)))
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: r.d.pages, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	fmt.Fprintf(r.e.stdout, "reading at http://%s/\n", ln.Addr())

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.d.pagesLoop(ctx) })
	r.d.refreshPages()
	if !o.noFetch {
		wg.Go(func() {
			connectAll(ctx, r.e, r.svc.Node(), o.peers)
			r.svc.Node().DialRemembered(ctx)
			r.startAll(ctx, &wg)
		})
	}
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	hs.Shutdown(sctx)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// reader is the state of `samizdat read`: the followed publishers and the
// service that follows them.
type reader struct {
	e     *env
	svc   *mirror.Service
	d     *daemon
	path  string
	every time.Duration

	mu    sync.Mutex
	list  followList               // guarded by mu
	wakes map[string]chan struct{} // a running Follow's wake, by publisher; guarded by mu
	start func(node.Link)          // starts a Follow; nil until startAll
}

// startAll follows every publisher in the follow list, each in its own
// Follow (reader mode: periodic syncs only) in wg, and lets the follow
// form start more, until ctx ends.
func (r *reader) startAll(ctx context.Context, wg *sync.WaitGroup) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.start = func(l node.Link) { // called with r.mu held
		if _, ok := r.wakes[l.Publisher]; ok || ctx.Err() != nil {
			return
		}
		wake := make(chan struct{}, 1)
		r.wakes[l.Publisher] = wake
		peers, _ := parsePeers(l.Peers) // checked by ParseLink
		wg.Go(func() {
			r.svc.Follow(ctx, l.Publisher, mirror.FollowOptions{Every: r.every, Wake: wake, Peers: peers, Report: r.d.readerReport})
		})
	}
	for _, l := range r.list.Follow {
		r.start(l)
	}
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
// and writes the follow file atomically; it returns the merged entry.
func (r *reader) add(l node.Link) (node.Link, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := followList{Follow: slices.Clone(r.list.Follow)}
	i := slices.IndexFunc(next.Follow, func(f node.Link) bool { return f.Publisher == l.Publisher })
	if i < 0 {
		if len(next.Follow) >= maxFollowed {
			return node.Link{}, fmt.Errorf("already following %d publishers, the most one reader follows", maxFollowed)
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
		return node.Link{}, err
	}
	if err := atomicfile.WriteBytes(r.path, 0o600, append(data, '\n')); err != nil {
		return node.Link{}, err
	}
	r.list = next
	return f, nil
}

// follow is the web UI's follow form: remember the publisher, connect to
// the link's peers, and sync it now (starting to follow it if new).
func (r *reader) follow(ctx context.Context, l node.Link) error {
	f, err := r.add(l)
	if err != nil {
		return err
	}
	peers, _ := parsePeers(l.Peers) // checked by ParseLink
	for _, ai := range peers {
		// ConnectFor makes the peer a source of this publisher's (and no
		// other's) before the sync asks it.
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		r.svc.Node().ConnectFor(cctx, f.Publisher, ai)
		cancel()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if wake, ok := r.wakes[f.Publisher]; ok {
		select {
		case wake <- struct{}{}:
		default:
		}
	} else if r.start != nil {
		r.start(f)
	}
	return nil
}
