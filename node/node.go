package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/ipfs/boxo/bitswap"
	"github.com/ipfs/boxo/bitswap/client"
	"github.com/ipfs/boxo/bitswap/network/bsnet"
	"github.com/ipfs/boxo/blockstore"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/samizdat/samizdat/bundle"
	"golang.org/x/time/rate"
)

// Config configures a Node. The zero value listens on no address and does
// not serve blocks: a private reader.
type Config struct {
	// Listen lists multiaddrs to listen on, e.g. /ip4/127.0.0.1/tcp/0,
	// /ip4/127.0.0.1/udp/0/quic-v1 or /ip4/127.0.0.1/tcp/0/ws.
	Listen []string
	// Serve makes the node answer other peers' bitswap wants from its
	// repo. Readers leave it off: a reader does not reveal what it holds.
	Serve bool
	// DHT is the node's part in the Kademlia DHT; DHTPrefix its protocol
	// prefix ("" is the IPFS DHT's; tests use a private one); Bootstrap
	// the peers it starts from.
	DHT       DHTMode
	DHTPrefix string
	Bootstrap []peer.AddrInfo
	// RelayService makes the node a circuit relay v2 for peers that
	// cannot be reached directly (behind NAT or a firewall): opt-in, since
	// it spends the operator's bandwidth on others' traffic, and only for
	// nodes with a public address. Every node can use relays as a client.
	RelayService bool
	// UploadRate caps, in bytes per second, what the node sends on the
	// bundle and block protocols, all peers together; 0 is no cap.
	// Bitswap's traffic is not capped.
	UploadRate int64
	// Quota bounds the bytes of bundle files the node keeps; 0 is no
	// bound. The mirror package enforces it.
	Quota int64
	// MDNS advertises the node on the local network and connects to
	// neighbours found there. Mirrors turn it on; private readers leave it
	// off, since it tells the LAN that a samizdat node is here.
	MDNS bool
	// Logger receives the node's logs; nil discards them. Logs never name
	// a peer's request contents.
	Logger *slog.Logger
}

// Node is a libp2p host with bitswap over a repo. Close stops its
// goroutines.
type Node struct {
	Host    host.Host
	repo    *Repo
	staging *stagingStore
	bs      *bitswap.Bitswap
	ps      *pubsub.PubSub
	topics  topics
	stop    context.CancelFunc // ends the pubsub goroutines
	mdns    interface{ Close() error }
	dht     *dht.IpfsDHT
	quota   int64
	serves  bool
	upload  *rate.Limiter // nil: no cap

	droppedMu sync.Mutex
	dropped   map[cid.Cid]bool // deleted for the quota
	log       *slog.Logger

	closeOnce sync.Once
}

// New starts a node on repo. Transports: TCP, QUIC and WebSocket; security:
// Noise and TLS; a resource manager with explicit limits and a connection
// manager; relay client and hole punching on.
func New(ctx context.Context, repo *Repo, cfg Config) (*Node, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.Scale(rcmgrMemory, rcmgrFDs)))
	if err != nil {
		return nil, err
	}
	cm, err := connmgr.NewConnManager(connLow, connHigh, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, err
	}
	opts := []libp2p.Option{
		libp2p.Identity(repo.key),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.EnableHolePunching(),
		// Identify would otherwise tell every peer the module path and
		// build revision.
		libp2p.UserAgent("samizdat"),
		libp2p.EnableRelay(), // circuit relay v2 client
	}
	if cfg.RelayService {
		// Only a node with a public address can relay; an operator who
		// turns this on says that it has one, so AutoNAT is not waited for.
		opts = append(opts, libp2p.EnableRelayService(), libp2p.ForceReachabilityPublic())
	}
	if cfg.Serve {
		// Answer other nodes' reachability checks (AutoNAT), so nodes
		// behind NAT learn to use relays and hole punching.
		opts = append(opts, libp2p.EnableNATService())
	}
	if len(cfg.Listen) > 0 {
		opts = append(opts, libp2p.ListenAddrStrings(cfg.Listen...))
	} else {
		opts = append(opts, libp2p.NoListenAddrs)
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, err
	}
	n := &Node{Host: h, repo: repo, staging: newStagingStore(repo.Blockstore()), log: log, quota: cfg.Quota, serves: cfg.Serve, dropped: make(map[cid.Cid]bool),
		topics: topics{m: make(map[string]*pubsub.Topic), gates: make(map[string]func(context.Context, *Head) error)}}
	if cfg.UploadRate > 0 {
		n.upload = rate.NewLimiter(rate.Limit(cfg.UploadRate), int(min(cfg.UploadRate, 256<<10)))
	}
	psctx, stop := context.WithCancel(context.Background()) // lives until Close, not the caller's ctx
	n.stop = stop
	if n.ps, err = newPubSub(psctx, h); err != nil {
		stop()
		h.Close()
		return nil, err
	}
	// Bitswap puts received blocks into the staging store; its server
	// side reads only the verified repo store behind it.
	if cfg.Serve {
		n.serveBundles()
		n.serveBlocks()
	}
	if cfg.DHT != DHTOff {
		if n.dht, err = newDHT(h, cfg); err != nil {
			stop()
			h.Close()
			return nil, err
		}
		if len(cfg.Bootstrap) > 0 {
			if err := n.dht.Bootstrap(ctx); err != nil {
				log.Warn("DHT bootstrap failed", "err", err)
			}
		}
	}
	if cfg.MDNS {
		if err := n.startMDNS(); err != nil {
			log.Warn("local network discovery is off", "err", err)
		}
	}
	n.bs = bitswap.New(ctx, bsnet.NewFromIpfsHost(h), nil, n.staging,
		bitswap.WithServerEnabled(cfg.Serve),
		bitswap.WithClientOption(client.WithPerPeerSendDelay(time.Millisecond)),
		bitswap.WithPeerBlockRequestFilter(func(peer.ID, cid.Cid) bool { return cfg.Serve }),
	)
	return n, nil
}

// Close stops bitswap and the host. It does not close the repo.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		if n.mdns != nil {
			n.mdns.Close()
		}
		if n.dht != nil {
			n.dht.Close()
		}
		n.stop()
		err = errors.Join(n.bs.Close(), n.Host.Close())
	})
	return err
}

// Addrs returns the node's full multiaddrs (with /p2p/ID).
func (n *Node) Addrs() []string {
	var out []string
	for _, a := range n.Host.Addrs() {
		out = append(out, fmt.Sprintf("%s/p2p/%s", a, n.Host.ID()))
	}
	return out
}

// Connect dials a peer.
func (n *Node) Connect(ctx context.Context, ai peer.AddrInfo) error {
	return n.Host.Connect(ctx, ai)
}

// AddBundle stores a verified bundle in the repo, as one file, so the
// node can serve it.
func (n *Node) AddBundle(ctx context.Context, b *bundle.Bundle) error {
	return n.repo.bundles.add(b)
}

// putNotify stores verified blocks and tells bitswap, so peers already
// waiting for them are served.
func (n *Node) putNotify(ctx context.Context, bs []blocks.Block) error {
	if err := n.repo.Blockstore().PutMany(ctx, bs); err != nil {
		return err
	}
	return n.bs.NotifyNewBlocks(ctx, bs...)
}

// FetchBundle gets the bundle whose envelope is root from connected peers
// (and blocks the repo already holds), verifies it (signature, publisher
// document, manifest, every block against its CID; articles are checked
// against their content CIDs whenever they are read), stores it as a
// bundle file and writes it to w. When it holds less than half of the
// bundle's blocks it asks each connected peer for the whole file
// (BundleProtocol); otherwise, or if none can, it fetches the missing
// blocks over bitswap. Nothing is stored, and nothing written to w,
// unless it verified.
func (n *Node) FetchBundle(ctx context.Context, root cid.Cid, opts bundle.OpenOptions, w io.Writer) (*bundle.Info, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	ses := n.bs.NewSession(ctx)
	var received []cid.Cid // staged by this fetch, dropped if it fails
	defer func() { n.staging.discard(received) }()
	get := func(c cid.Cid) ([]byte, error) {
		if data, ok := n.local(ctx, c); ok {
			return data, nil
		}
		if blk, ok := n.staging.staged1(c); ok {
			return blk.RawData(), nil
		}
		bctx, bcancel := context.WithTimeout(ctx, blockTimeout)
		defer bcancel()
		blk, err := ses.GetBlock(bctx, c)
		if err != nil {
			return nil, err
		}
		if err := n.staging.Put(ctx, blk); err != nil {
			return nil, err
		}
		received = append(received, c)
		return blk.RawData(), nil
	}
	b, err := bundle.OpenBlocks(root, get, opts)
	if err != nil {
		return nil, err
	}
	// Mostly new: ask each connected peer for the whole file, one stream
	// instead of a round trip per block. Mostly held (a new bundle that
	// shares unchanged articles with an old one): fetch only the missing
	// blocks over bitswap.
	missing := 0
	for _, c := range b.Blocks() {
		if ok, _ := n.repo.Blockstore().Has(ctx, c); !ok {
			missing++
		}
	}
	if missing > len(b.Blocks())/2 {
		for _, p := range n.Host.Network().Peers() {
			if _, err := n.fetchBulk(ctx, p, root, opts); err == nil {
				info := b.Info
				return &info, n.copyBundle(root, w)
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
	}
	got, err := n.prefetch(ctx, b.Blocks())
	received = append(received, got...)
	if err != nil {
		return nil, err
	}
	if err := n.repo.bundles.add(b); err != nil { // writes the file, checking every block
		return nil, err
	}
	info := b.Info
	return &info, n.copyBundle(b.Root, w)
}

// copyBundle writes a held bundle file to w.
func (n *Node) copyBundle(root cid.Cid, w io.Writer) error {
	r, size, ok := n.repo.bundles.open(root)
	if !ok {
		return fmt.Errorf("bundle %s is not held", root)
	}
	_, err := io.Copy(w, io.NewSectionReader(r, 0, size))
	return err
}

// prefetch fetches the missing blocks of cs in windows of prefetchWindow
// wants, so bitswap pipelines them without overflowing a server's
// per-peer want queue, and stages them. It returns the blocks it staged.
//
// A window that makes no progress for stallTimeout is asked again in a new
// bitswap session, which asks every connected peer afresh: a peer that
// dies, stalls or trickles cannot hold the fetch.
func (n *Node) prefetch(ctx context.Context, cs []cid.Cid) (staged []cid.Cid, err error) {
	var missing []cid.Cid
	for _, c := range cs {
		if _, ok := n.staging.staged1(c); ok {
			continue
		}
		if ok, _ := n.repo.Blockstore().Has(ctx, c); !ok {
			missing = append(missing, c)
		}
	}
	ses := n.bs.NewSession(ctx)
	retries := 0
	for len(missing) > 0 {
		window := missing[:min(len(missing), prefetchWindow)]
		got, err := n.fetchWindow(ctx, ses, window)
		staged = append(staged, got...)
		if err == nil {
			missing = missing[len(window):]
			continue
		}
		if !errors.Is(err, errStalled) || retries >= maxStallRetries {
			return staged, err
		}
		retries++
		n.log.Debug("fetch stalled; asking peers again")
		ses = n.bs.NewSession(ctx)
		var rest []cid.Cid
		for _, c := range missing {
			if _, ok := n.staging.staged1(c); !ok {
				rest = append(rest, c)
			}
		}
		missing = rest
	}
	return staged, nil
}

var errStalled = errors.New("fetch stalled")

func (n *Node) fetchWindow(ctx context.Context, ses interface {
	GetBlocks(context.Context, []cid.Cid) (<-chan blocks.Block, error)
}, window []cid.Cid) (staged []cid.Cid, err error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel() // withdraws the wants of a failed window
	ch, err := ses.GetBlocks(wctx, window)
	if err != nil {
		return nil, err
	}
	want := make(map[cid.Cid]bool, len(window))
	for _, c := range window {
		want[c] = true
	}
	timer := time.NewTimer(stallTimeout)
	defer timer.Stop()
	for len(want) > 0 {
		select {
		case blk, ok := <-ch:
			if !ok {
				return staged, fmt.Errorf("%w: %d blocks not received", errStalled, len(want))
			}
			// The session hands blocks to us and to the store; stage it
			// here too in case the store declined it.
			if err := n.staging.Put(ctx, blk); err != nil {
				return staged, err
			}
			staged = append(staged, blk.Cid())
			delete(want, blk.Cid())
			timer.Reset(stallTimeout)
		case <-timer.C:
			return staged, fmt.Errorf("%w: no block for %v; %d missing", errStalled, stallTimeout, len(want))
		case <-ctx.Done():
			return staged, ctx.Err()
		}
	}
	return staged, nil
}

// GetBlock returns a block from the repo, or from peers. A block from a
// peer is checked against its CID but not admitted to the repo: the caller
// verifies what it means first and then calls AdmitBlock.
func (n *Node) GetBlock(ctx context.Context, c cid.Cid) ([]byte, error) {
	if data, ok := n.local(ctx, c); ok {
		return data, nil
	}
	// One round trip to each connected peer in turn; bitswap if none has it.
	for _, p := range n.Host.Network().Peers() {
		if data, err := n.requestBlock(ctx, p, c); err == nil {
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	ctx, cancel := context.WithTimeout(ctx, blockTimeout)
	defer cancel()
	blk, err := n.bs.GetBlock(ctx, c)
	if err != nil {
		return nil, err
	}
	if sum, err := c.Prefix().Sum(blk.RawData()); err != nil || !sum.Equals(c) {
		return nil, fmt.Errorf("block %s does not match its cid", c)
	}
	n.staging.discard([]cid.Cid{c})
	return blk.RawData(), nil
}

// local reads a block from the repo. A block that fails its hash check
// (torn by a crash, or damaged on disk) is deleted, so it is fetched again
// and never served.
func (n *Node) local(ctx context.Context, c cid.Cid) ([]byte, bool) {
	blk, err := n.repo.Blockstore().Get(ctx, c)
	if errors.Is(err, blockstore.ErrHashMismatch) {
		n.log.Warn("deleting a damaged block from the store") // no CID: it could say what was read
		n.repo.Blockstore().DeleteBlock(ctx, c)
		return nil, false
	}
	if err != nil {
		return nil, false
	}
	return blk.RawData(), true
}

// AdmitBlock stores a verified block in the repo.
func (n *Node) AdmitBlock(ctx context.Context, c cid.Cid, data []byte) error {
	blk, err := blocks.NewBlockWithCid(data, c)
	if err != nil {
		return err
	}
	return n.putNotify(ctx, []blocks.Block{blk})
}

// HasBlock reports whether the repo holds a block.
func (n *Node) HasBlock(ctx context.Context, c cid.Cid) bool {
	ok, _ := n.repo.Blockstore().Has(ctx, c)
	return ok
}

// SyncBlocks makes every block the repo holds durable; call it before
// storing a head that names them.
func (n *Node) SyncBlocks() error { return n.repo.SyncBlocks() }

// HasBundle reports whether the repo holds the bundle whose envelope is
// root.
func (n *Node) HasBundle(ctx context.Context, root cid.Cid) bool {
	return n.repo.bundles.has(root)
}

// CheckBundle reads and verifies every block and article of a held
// bundle; a bundle that fails is set aside, so HasBundle then reports it
// missing and a sync fetches it again.
func (n *Node) CheckBundle(ctx context.Context, root cid.Cid) error {
	r, size, ok := n.repo.bundles.open(root)
	if !ok {
		return fmt.Errorf("bundle %s is not held", root)
	}
	b, err := bundle.OpenReader(r, size, bundle.OpenOptions{})
	if err == nil {
		err = b.Verify()
	}
	if err != nil {
		n.repo.Blockstore().DeleteBlock(ctx, root)
	}
	return err
}

// BlocksReceived returns how many blocks bitswap has received from peers.
func (n *Node) BlocksReceived() uint64 {
	st, err := n.bs.Stat()
	if err != nil {
		return 0
	}
	return st.BlocksReceived
}

// HeldBundles describes the bundles the repo holds (Size is the file's).
func (n *Node) HeldBundles() []bundle.Info { return n.repo.bundles.held() }

// BundleBytes returns the bytes of the bundle files the repo holds.
func (n *Node) BundleBytes() int64 {
	var total int64
	for _, i := range n.repo.bundles.held() {
		total += i.Size
	}
	return total
}

// DropBundle deletes a held bundle and remembers, until the node stops,
// that it did: a sync then does not fetch it again only to drop it.
func (n *Node) DropBundle(root cid.Cid) error {
	n.droppedMu.Lock()
	n.dropped[root] = true
	n.droppedMu.Unlock()
	return n.repo.bundles.drop(root)
}

// Dropped reports whether DropBundle deleted root.
func (n *Node) Dropped(root cid.Cid) bool {
	n.droppedMu.Lock()
	defer n.droppedMu.Unlock()
	return n.dropped[root]
}

// OpenBundle opens a held bundle for reading, verifying its metadata
// again (each block is checked against its CID whenever it is read). The
// bundle reads from the repo's file: once DropBundle removes it, reads fail.
func (n *Node) OpenBundle(root cid.Cid) (*bundle.Bundle, error) {
	r, size, ok := n.repo.bundles.open(root)
	if !ok {
		return nil, fmt.Errorf("%w: bundle %s is not held", bundle.ErrNotFound, root)
	}
	return bundle.OpenReader(r, size, bundle.OpenOptions{})
}

// Quota returns the configured bound on bundle bytes (0: none).
func (n *Node) Quota() int64 { return n.quota }

// Serves reports whether the node serves blocks to others.
func (n *Node) Serves() bool { return n.serves }
