package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
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
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	libp2pwebrtc "github.com/libp2p/go-libp2p/p2p/transport/webrtc"
	"github.com/libp2p/go-libp2p/p2p/transport/websocket"
	webtransport "github.com/libp2p/go-libp2p/p2p/transport/webtransport"
	"github.com/samizdat/samizdat/bundle"
	"golang.org/x/time/rate"
)

// Config configures a Node. The zero value listens on no address and does
// not serve blocks: a private reader.
type Config struct {
	// Listen lists multiaddrs to listen on, e.g. /ip4/127.0.0.1/tcp/0,
	// /ip4/127.0.0.1/udp/0/quic-v1, /ip4/127.0.0.1/tcp/0/ws or
	// /ip4/0.0.0.0/tcp/443/tls/ws (libp2p inside TLS WebSocket, which a
	// network sees as HTTPS).
	Listen []string
	// TLSCert and TLSKey are PEM files of the certificate (with its chain)
	// and key the /tls/ws listeners show, read again when they change.
	// Without them the node makes a self-signed certificate once and keeps
	// it in the repo (tls-cert.pem, tls-key.pem). Every node dials /tls/ws
	// addresses, whatever certificate they show: the peer ID inside is
	// what is checked (docs/protocol.md §3).
	TLSCert, TLSKey string
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
	// Relays are circuit relays this node reserves a slot on when it
	// cannot be reached directly, so that peers can still dial it through
	// them (its addresses then include /p2p-circuit ones). BehindNAT says
	// the operator knows it cannot be reached (a home box without port
	// forwarding): reserve at once instead of waiting for AutoNAT's
	// verdict from peers.
	Relays    []peer.AddrInfo
	BehindNAT bool
	// UploadRate caps, in bytes per second, what the node sends on the
	// bundle, block and head protocols, bitswap, the DHT, the HTTP
	// gateway and the relay service, all peers together; 0 is no cap.
	UploadRate int64
	// Quota bounds the bytes of bundle files the node keeps; 0 is no
	// bound. The mirror package enforces it.
	Quota int64
	// MDNS advertises the node on the local network and connects to
	// neighbours found there. Mirrors turn it on; private readers leave it
	// off, since it tells the LAN that a samizdat node is here.
	MDNS bool
	// PeerScores copies gossipsub's peer scores every second, for
	// PeerScore. Off by default: the periodic copy keeps about 3 MB more of
	// the program resident, which an idle mirror on a small box feels.
	PeerScores bool
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
	bs      *bitswap.Bitswap // nil on a reader: see Sources
	ps      *pubsub.PubSub
	topics  topics
	mesh    *meshTracer
	stop    context.CancelFunc // ends the pubsub goroutines and life
	life    context.Context    // lives until Close
	mdns    interface{ Close() error }
	relay   interface{ Close() error } // the circuit relay service; nil when off
	dht     *dht.IpfsDHT
	quota   int64
	serves  bool
	upload  *rate.Limiter // nil: no cap

	recv counters
	sent atomic.Int64 // bytes sent on the bundle and block protocols and bitswap

	sources sources // the peers it fetches from, and how they served

	mirrorsOnce sync.Once
	mirrors     *MirrorBook // how the mirrors it tried served (Mirrors)

	droppedMu sync.Mutex
	dropped   map[cid.Cid]bool // deleted for the quota
	log       *slog.Logger

	closeOnce sync.Once
}

// New starts a node on repo. Transports: TCP, QUIC, WebSocket (plain and
// over TLS: /tls/ws, dialled before a peer's other addresses),
// WebTransport and WebRTC; security: Noise and TLS; a resource manager
// with explicit limits and a connection manager; relay client and hole
// punching on.
//
// Lifetimes: ctx bounds only the work New does before it returns (the
// DHT's first bootstrap). Everything that outlives New (pubsub, bitswap,
// the DHT, mDNS, protocol handlers) runs on the node's own lifetime, which
// Close ends; cancelling ctx later stops none of it.
func New(ctx context.Context, repo *Repo, cfg Config) (*Node, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts, err := hostOptions(repo, cfg, log)
	if err != nil {
		return nil, err
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, err
	}
	n := &Node{Host: h, repo: repo, staging: newStagingStore(repo.Blockstore()), log: log, quota: cfg.Quota, serves: cfg.Serve, dropped: make(map[cid.Cid]bool), mesh: newMeshTracer(),
		topics: topics{m: make(map[string]*pubsub.Topic), gate: make(map[string]func(context.Context, *Head) error)}}
	if cfg.UploadRate > 0 {
		n.upload = rate.NewLimiter(rate.Limit(cfg.UploadRate), int(min(cfg.UploadRate, 256<<10)))
	}
	life, stop := context.WithCancel(context.Background()) // lives until Close, not the caller's ctx
	n.stop, n.life = stop, life
	if n.ps, err = newPubSub(life, h, n.mesh, cfg.PeerScores); err != nil {
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
		if n.dht, err = newDHT(relayHost{h, n}, cfg); err != nil { // its answers within the upload cap
			stop()
			h.Close()
			return nil, err
		}
		if len(cfg.Bootstrap) > 0 {
			if err := n.dht.Bootstrap(ctx); err != nil { // start-up work: the caller's ctx
				log.Warn("DHT bootstrap failed", "kind", ErrorKind(err)) // the error may name peers
			}
		}
	}
	if cfg.MDNS {
		if err := n.startMDNS(); err != nil {
			log.Warn("local network discovery is off", "err", err)
		}
	}
	if cfg.Serve {
		// Bitswap sends a node's wants to every connected peer, so only
		// serving nodes run it; readers ask their chosen peers directly.
		n.bs = bitswap.New(life, bsnet.NewFromIpfsHost(bitswapHost{h, n}), nil, n.staging,
			bitswap.WithClientOption(client.WithPerPeerSendDelay(time.Millisecond)),
		)
	}
	if cfg.RelayService {
		// Started here, not by libp2p, so that it relays through the
		// node's upload cap (startRelay).
		r, err := n.startRelay()
		if err != nil {
			n.Close()
			return nil, err
		}
		n.relay = r
	}
	return n, nil
}

// hostOptions returns the libp2p options of a node on repo with cfg.
func hostOptions(repo *Repo, cfg Config, log *slog.Logger) ([]libp2p.Option, error) {
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	addServerLimits(&limits)
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.Scale(rcmgrMemory, rcmgrFDs)))
	if err != nil {
		return nil, err
	}
	cm, err := connmgr.NewConnManager(connLow, connHigh, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, err
	}
	wsOpts := []any{websocket.WithTLSClientConfig(clientTLSConfig())}
	tlsws, err := listensTLSWS(cfg.Listen)
	if err != nil {
		return nil, err
	}
	if tlsws || cfg.TLSCert != "" || cfg.TLSKey != "" {
		// Given files are checked even without a /tls/ws listener, so a
		// bad one is refused at once, not on a later change of --listen.
		conf, err := serverTLSConfig(repo.dir, cfg, log)
		if err != nil {
			return nil, err
		}
		wsOpts = append(wsOpts, websocket.WithTLSConfig(conf))
	}
	opts := []libp2p.Option{
		libp2p.Identity(repo.key),
		// libp2p's default transports, the WebSocket one with the outer
		// TLS of /tls/ws (tlsws.go).
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.Transport(websocket.New, wsOpts...),
		libp2p.Transport(webtransport.New),
		libp2p.Transport(libp2pwebrtc.New),
		libp2p.SwarmOpts(swarm.WithDialRanker(dialRanker)),
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
		// The service itself is started by New, over the upload cap.
		opts = append(opts, libp2p.ForceReachabilityPublic())
	}
	if len(cfg.Relays) > 0 {
		opts = append(opts, libp2p.EnableAutoRelayWithStaticRelays(cfg.Relays))
	}
	if cfg.BehindNAT {
		opts = append(opts, libp2p.ForceReachabilityPrivate())
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
	return opts, nil
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
		if n.relay != nil {
			n.relay.Close()
		}
		n.stop()              // ends pubsub, so the gates' contexts end
		n.topics.closeGates() // and what they were storing is stored, or not, before the repo closes
		if n.bs != nil {
			err = n.bs.Close()
		}
		err = errors.Join(err, n.Host.Close())
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
	if n.bs == nil {
		return nil
	}
	return n.bs.NotifyNewBlocks(ctx, bs...)
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
		return fmt.Errorf("%w: bundle %s is not held", bundle.ErrNotFound, root)
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
