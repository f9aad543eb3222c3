package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/mirror"
	"github.com/samizdat/samizdat/node"
	"github.com/samizdat/samizdat/web"
	"github.com/samizdat/samizdat/web/search"
)

// Files a running node keeps in its repo besides node/'s own.
const (
	controlSocket = "control.sock" // local control: publish and status; never a network port
	addrsFile     = "addrs"
	keyPathFile   = "publisher-key" // the path (not the key) of the publisher key serve was given
)

var defaultListen = []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1", "/ip4/0.0.0.0/tcp/4002/ws"}

func runServeCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	repoDir := fs.String("repo", "", "repository directory (created if missing)")
	keyPath := fs.String("key", "", "publisher key: act for this publisher (sign and renew its head)")
	interval := fs.Duration("interval", 5*time.Minute, "how often to check followed publishers for new heads")
	noMDNS := fs.Bool("no-mdns", false, "do not advertise on, or discover neighbours in, the local network")
	quota := fs.Int64("quota", 0, "bytes of bundles to keep (0: no bound); the oldest go first, a publisher's newest never")
	var follow, listen, peers, bootstrap multiFlag
	fs.Var(&bootstrap, "bootstrap", "multiaddr of a DHT bootstrap peer; repeatable (remembered peers are used too)")
	dhtPrefix := fs.String("dht-prefix", "", "DHT protocol prefix (default: the IPFS DHT's); a private one for a closed network")
	noDHT := fs.Bool("no-dht", false, "do not take part in the DHT")
	upload := fs.Int64("max-upload", 0, "cap, in bytes per second, on what the node sends to peers, all protocols together (0: no cap)")
	httpAddr := fs.String("http", "", "also serve a trustless HTTP gateway (/ipfs/, /ipns/) on this address, e.g. 127.0.0.1:8080")
	httpPages := fs.Bool("http-pages", false, "with --http, also serve the reader pages at / for browser-only readers (keeps a search index in the repo)")
	metricsAddr := fs.String("metrics", "", "serve Prometheus metrics at /metrics on this address (totals only; e.g. 127.0.0.1:9100)")
	relay := fs.Bool("relay-service", false, "relay connections for peers that cannot be reached directly (uses your bandwidth)")
	var relays multiFlag
	fs.Var(&relays, "relay", "multiaddr of a circuit relay to reserve a slot on when this node cannot be reached directly; repeatable")
	behindNAT := fs.Bool("behind-nat", false, "this node cannot be reached directly (no port forwarding): use the --relay peers at once")
	fs.Var(&follow, "follow", "publisher ID to mirror; repeatable")
	fs.Var(&listen, "listen", "multiaddr to listen on; repeatable (default TCP 4001, QUIC 4001, WebSocket 4002)")
	fs.Var(&peers, "peer", "multiaddr of a peer to connect to; repeatable")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if *repoDir == "" || len(pos) != 0 {
		return fmt.Errorf("%w: --repo DIR is required", errUsage)
	}
	var key ed25519.PrivateKey
	if *keyPath != "" {
		if key, err = loadKey(*keyPath); err != nil {
			return err
		}
	}
	for _, id := range follow {
		if _, err := bundle.ParsePublisherID(id); err != nil {
			return fmt.Errorf("%w: --follow %.80q: not a publisher ID", errUsage, id)
		}
	}
	repo, err := node.OpenRepo(*repoDir)
	if err != nil {
		return err
	}
	defer repo.Close()
	if *keyPath != "" {
		abs, _ := filepath.Abs(*keyPath)
		if err := atomicfile.WriteBytes(filepath.Join(*repoDir, keyPathFile), 0o600, []byte(abs+"\n")); err != nil {
			return err
		}
	}
	if len(listen) == 0 {
		listen = defaultListen
	}
	boot, err := parsePeers(bootstrap)
	if err != nil {
		return err
	}
	relayInfos, err := parsePeers(relays)
	if err != nil {
		return err
	}
	if *behindNAT && len(relayInfos) == 0 {
		return fmt.Errorf("%w: --behind-nat needs at least one --relay", errUsage)
	}
	dhtMode := node.DHTServer
	if *noDHT {
		dhtMode = node.DHTOff
	}
	n, err := node.New(ctx, repo, node.Config{Serve: true, Listen: listen, MDNS: !*noMDNS, Quota: *quota, Logger: e.log,
		DHT: dhtMode, DHTPrefix: *dhtPrefix, Bootstrap: boot, RelayService: *relay, UploadRate: *upload,
		Relays: relayInfos, BehindNAT: *behindNAT})
	if err != nil {
		return err
	}
	defer n.Close()
	n.ServeHeads(repo.Heads())
	infos, err := parsePeers(peers)
	if err != nil {
		return err
	}
	connectAll(ctx, e, n, infos)
	if *httpPages && *httpAddr == "" {
		return fmt.Errorf("%w: --http-pages needs --http ADDR", errUsage)
	}
	var pages *web.Server
	if *httpPages {
		idx, err := search.Open(filepath.Join(*repoDir, indexDir))
		if err != nil {
			return err
		}
		defer idx.Close()
		if pages, err = web.New(ctx, web.Config{Node: n, Heads: repo.Heads(), Index: idx, Public: true, Logger: e.log}); err != nil {
			return err
		}
		defer pages.Close()
	}
	var pagesHandler http.Handler
	if pages != nil {
		pagesHandler = pages
	}
	stopHTTP, httpLine, err := startGateway(e, n, repo, *httpAddr, pagesHandler)
	if err != nil {
		return err
	}
	defer stopHTTP()
	metrics := &serveMetrics{}
	if *metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", metrics.handler(n, len(follow)))
		stop, line, err := startHTTP(e, "--metrics", *metricsAddr, mux)
		if err != nil {
			return err
		}
		defer stop()
		httpLine += strings.Replace(line, "http ", "metrics ", 1)
	}

	var lines strings.Builder
	for _, a := range n.Addrs() {
		fmt.Fprintf(&lines, "listening %s\n", a)
	}
	lines.WriteString(httpLine)
	if err := atomicfile.WriteBytes(filepath.Join(*repoDir, addrsFile), 0o644, []byte(lines.String())); err != nil {
		return err
	}
	fmt.Fprint(e.stdout, lines.String())

	srv := &server{repo: repo, n: n, key: key, log: e, pages: pages, metrics: metrics, refresh: make(chan struct{}, 1)}

	sock := filepath.Join(*repoDir, controlSocket)
	os.Remove(sock) // stale from a crash: we hold the repo lock
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return err
	}
	defer os.Remove(sock)
	defer ln.Close()
	var wg sync.WaitGroup
	if pages != nil {
		wg.Go(func() { srv.pagesLoop(ctx) }) // done before the index closes
	}
	wg.Add(1)
	go func() { defer wg.Done(); srv.control(ctx, ln) }()
	if key != nil {
		wg.Add(1)
		go func() { defer wg.Done(); srv.renew(ctx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); srv.redial(ctx, infos) }()
	for _, id := range follow {
		wg.Add(1)
		go func() { defer wg.Done(); srv.follow(ctx, id, *interval) }()
	}
	<-ctx.Done()
	ln.Close()
	wg.Wait()
	os.Remove(filepath.Join(*repoDir, addrsFile)) // not listening any more
	e.log.Info("stopped")
	return nil
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

type server struct {
	mu      sync.Mutex // one publish or sync at a time
	repo    *node.Repo
	n       *node.Node
	key     ed25519.PrivateKey
	log     *env
	pages   *web.Server   // nil without --http-pages
	refresh chan struct{} // asks pagesLoop to index new bundles
	metrics *serveMetrics
}

// settle hands the memory a burst of work (a publish, an import, a sync
// that fetched) used back to the system at once, rather than over the
// runtime's next minutes: an idle mirror on a small box stays small.
func settle() { debug.FreeOSMemory() }

// refreshPages asks for the public pages and their index to take in new
// or dropped bundles, without waiting: a sync that may be holding an
// announcement does not wait for indexing.
func (s *server) refreshPages() {
	if s.pages == nil {
		return
	}
	select {
	case s.refresh <- struct{}{}:
	default: // one is pending already
	}
}

func (s *server) pagesLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.refresh:
			if err := s.pages.Refresh(ctx); err != nil && ctx.Err() == nil {
				s.log.log.Warn("reader pages: refresh failed", "err", err)
			}
		}
	}
}

// control answers requests on the local control socket: one JSON request
// per connection, one JSON response.
func (s *server) control(ctx context.Context, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Minute))
			var req controlRequest
			if err := json.NewDecoder(io.LimitReader(c, 64<<10)).Decode(&req); err != nil {
				json.NewEncoder(c).Encode(controlResponse{Error: "bad request"})
				return
			}
			json.NewEncoder(c).Encode(s.handle(ctx, req))
		}()
	}
}

type controlRequest struct {
	Op         string   `json:"op"`
	Path       string   `json:"path,omitempty"`
	Publishers []string `json:"publishers,omitempty"`
}

type controlResponse struct {
	Error   string  `json:"error,omitempty"`
	Seq     uint64  `json:"seq,omitempty"`
	Status  *status `json:"status,omitempty"`
	Message string  `json:"message,omitempty"`
}

func (s *server) handle(ctx context.Context, req controlRequest) controlResponse {
	switch req.Op {
	case "publish":
		if s.key == nil {
			return controlResponse{Error: "this node was started without --key"}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		h, err := publishFile(ctx, s.n, s.repo, s.key, req.Path)
		if err != nil {
			return controlResponse{Error: err.Error()}
		}
		if err := s.n.Announce(ctx, s.repo.Heads(), h); err != nil {
			s.log.log.Warn("announce failed", "err", err)
		}
		s.refreshPages()
		settle()
		return controlResponse{Seq: h.Seq}
	case "status":
		st, err := repoStatus(s.repo.Dir(), s.n)
		if err != nil {
			return controlResponse{Error: err.Error()}
		}
		return controlResponse{Status: st}
	}
	if resp, ok := s.handleFiles(ctx, req); ok {
		return resp
	}
	return controlResponse{Error: "unknown op"}
}

func publishFile(ctx context.Context, n *node.Node, repo *node.Repo, key ed25519.PrivateKey, path string) (*node.Head, error) {
	b, err := bundle.Open(path, bundle.OpenOptions{Publisher: bundle.PublisherID(key.Public().(ed25519.PublicKey))})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := b.Verify(); err != nil {
		return nil, err
	}
	return mirror.Publish(ctx, n, repo.Heads(), key, b, mirror.DefaultHeadValidity)
}

// redial dials the peers remembered from earlier runs, then keeps the
// peers given on the command line connected (a publisher restarting, a
// network change) and remembers the peers that work.
func (s *server) redial(ctx context.Context, infos []peer.AddrInfo) {
	if n := s.n.DialRemembered(ctx); n > 0 {
		s.log.log.Info("reconnected to remembered peers", "peers", n)
	}
	t := time.NewTicker(redialInterval)
	defer t.Stop()
	defer s.n.RememberPeers()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.n.RememberPeers(); err != nil {
			s.log.log.Warn("could not remember peers", "err", err)
		}
		for _, ai := range infos {
			if len(s.n.Host.Network().ConnsToPeer(ai.ID)) == 0 {
				cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
				s.n.Connect(cctx, ai)
				cancel()
			}
		}
	}
}

// redialInterval is how often serve checks its --peer connections.
const redialInterval = 30 * time.Second

// renew announces the publisher's head at start (it may have been
// published while no node ran) and re-signs it before it expires, while
// online.
func (s *server) renew(ctx context.Context) {
	id := bundle.PublisherID(s.key.Public().(ed25519.PublicKey))
	if h, err := s.repo.Heads().Get(id); err == nil && h != nil {
		s.n.Announce(ctx, s.repo.Heads(), h)
	}
	t := time.NewTicker(mirror.DefaultHeadValidity / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		if h, err := s.repo.Heads().Get(id); err == nil && h != nil {
			if nh, err := node.NewHead(s.key, h.Catalog, h.Seq, mirror.DefaultHeadValidity); err == nil {
				if _, err := s.repo.Heads().Offer(nh); err == nil {
					s.n.Announce(ctx, s.repo.Heads(), nh)
				}
			}
		}
		s.mu.Unlock()
	}
}

// follow mirrors a publisher: on every announcement (relayed only once
// the content is here) and every interval.
func (s *server) follow(ctx context.Context, id string, every time.Duration) {
	err := mirror.Follow(ctx, s.n, s.repo.Heads(), id, every, func(res *mirror.SyncResult, err error) {
		switch {
		case err != nil:
			s.metrics.syncFailures.Add(1)
			s.log.log.Warn("sync failed", "publisher", id, "err", err)
		case len(res.Fetched) > 0 || len(res.Dropped) > 0:
			s.log.log.Info("new bundles", "publisher", id, "head", res.Head.Seq, "fetched", len(res.Fetched))
			s.refreshPages()
			settle()
		}
	})
	if err != nil {
		s.log.log.Error("cannot follow", "publisher", id, "err", err)
	}
}

// status is what `samizdat status` shows.
type status struct {
	PeerID     string            `json:"peer_id,omitempty"`
	Running    bool              `json:"running"`
	Peers      int               `json:"peers"`
	Publishers []publisherStatus `json:"publishers"`
	Blocks     int               `json:"files"` // bundle files and loose blocks
	Bytes      int64             `json:"bytes"`
}

type publisherStatus struct {
	ID      string `json:"id"`
	Seq     uint64 `json:"head_seq"`
	Expires string `json:"expires"`
	Expired bool   `json:"expired"`
}

func repoStatus(dir string, n *node.Node) (*status, error) {
	st := &status{Publishers: []publisherStatus{}}
	if n != nil {
		st.Running, st.PeerID, st.Peers = true, n.Host.ID().String(), len(n.Host.Network().Peers())
	}
	heads, err := node.PeekHeads(dir)
	if err != nil {
		return nil, err
	}
	for _, id := range heads.List() {
		h, err := heads.Get(id)
		if err != nil || h == nil {
			continue
		}
		st.Publishers = append(st.Publishers, publisherStatus{ID: id, Seq: h.Seq, Expires: h.Expires.UTC().Format(time.RFC3339), Expired: h.Expired})
	}
	st.Bytes, st.Blocks, err = node.RepoUsage(dir)
	return st, err
}

// callControl sends one request to a running node; ok is false when no
// node is running on the repo.
func callControl(dir string, req controlRequest) (resp controlResponse, ok bool, err error) {
	c, err := net.DialTimeout("unix", filepath.Join(dir, controlSocket), 2*time.Second)
	if err != nil {
		return resp, false, nil
	}
	defer c.Close()
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return resp, true, err
	}
	err = json.NewDecoder(bufio.NewReader(io.LimitReader(c, 1<<20))).Decode(&resp)
	return resp, true, err
}
