package node

import (
	"time"

	"github.com/samizdat/samizdat/bundle"
)

// Bounds on what a node accepts from peers and on what it spends.
const (
	// maxStaged bounds the bytes of fetched blocks held in memory before
	// their bundle is verified: a fetch of a bundle larger than this
	// fails instead of growing without bound.
	maxStaged = 512 << 20

	// stagedTTL is how long a staged block nobody admitted (its fetch
	// failed without cleaning up) may stay once the staging area is full.
	stagedTTL = 10 * time.Minute

	// blockTimeout bounds the wait for any one block; a peer that stalls
	// cannot hold a fetch hostage past it.
	blockTimeout = 30 * time.Second

	// stallTimeout is how long a fetch waits for its next block before it
	// asks all connected peers again; maxStallRetries bounds the retries.
	stallTimeout    = 5 * time.Second
	maxStallRetries = 6

	// prefetchWindow is how many blocks a fetch asks for at once: enough to
	// keep a link busy, well under a server's per-peer want queue.
	prefetchWindow = 256

	// requestWorkers is how many direct block requests a reader keeps in
	// flight.
	requestWorkers = 8

	// Resource manager scale: memory and file descriptors a node lets
	// libp2p use (connections, streams, buffers).
	rcmgrMemory = 256 << 20
	rcmgrFDs    = 1024

	// maxRecordSize bounds a head's IPNS record: the IPNS record limit.
	maxRecordSize = 10 << 10

	// maxHeadSize bounds a head in its wire form, checked before parsing:
	// a delegated head carries its publisher document and its record, and
	// a few bytes of framing.
	maxHeadSize = bundle.MaxAuthoritySize + maxRecordSize + 1<<10

	// maxHeadRequest bounds a head request: one publisher ID (52 bytes
	// as a peer ID, 62 as an IPNS name).
	maxHeadRequest = 128

	// headDeadline bounds a head answer's start, so a peer that stalls
	// cannot hold a reader; the body then gets its time (exchange).
	headDeadline = 10 * time.Second

	// maxCatalogSize bounds a catalog block (one bitswap block), and
	// maxCatalogBundles the bundles it lists (about 40 bytes each).
	maxCatalogSize    = 1 << 20
	maxCatalogBundles = 16384

	// maxCatalogChain bounds the pages of a catalog chain a node follows,
	// and maxCatalogTotal the bundles they list together: 4096 pages of
	// CatalogPage bundles is 262,144 updates, thirty years of hourly ones;
	// a legacy page of up to maxCatalogBundles may end the chain.
	maxCatalogChain = 4096
	maxCatalogTotal = 1 << 20

	// gateTimeout bounds how long a node holds an announcement while it
	// fetches the content the head names, before dropping it unrelayed.
	gateTimeout = 2 * time.Minute

	// maxBlockFrame bounds a block received whole: the bundle format's
	// block limit.
	maxBlockFrame = 1 << 20

	// blockRequestTimeout bounds one direct block request, after which
	// the next peer, then bitswap, is asked.
	blockRequestTimeout = 2 * time.Second

	// maxCIDLen bounds a CID in a request.
	maxCIDLen = 128

	// maxBundleFile bounds a bundle file received whole; it is written to
	// disk as it arrives, never held in memory.
	maxBundleFile = 8 << 30

	// maxHeadKeyLookups bounds the head keys whose records one DHT lookup
	// of a delegated head asks for.
	maxHeadKeyLookups = 4

	// scoreInspectPeriod is how often the node copies gossipsub's peer
	// scores for PeerScore.
	scoreInspectPeriod = time.Second

	// maxDHTStore bounds the records a DHT server keeps for other peers
	// (values and provider records, in memory; dhtStore): about 7,000
	// IPNS records of 9 KiB, or 400,000 provider records. Past it, a new
	// record replaces old ones chosen at random.
	maxDHTStore = 64 << 20

	// headTTL is the cache hint in head records.
	headTTL = 5 * time.Minute

	// Connection manager watermarks.
	connLow  = 64
	connHigh = 192
)

// Bounds on what a node remembers of its sources.
const (
	// maxPublisherSources bounds the peers a reader keeps as one
	// publisher's sources, twice: those it was given (ConnectFor; a link
	// names at most MaxLinkPeers) and, apart, the DHT's providers of its
	// content (ConnectProviders), so that providers, which anyone can
	// announce, never push out a given peer. In each, the oldest go
	// first.
	maxPublisherSources = 32

	// sourceMemory is how long a node remembers that a source delivered
	// (it is asked first) or failed (it is asked last): long enough to
	// span several syncs (mirror.DefaultSyncInterval is 5 minutes), short
	// enough that a mirror that was overloaded for a while is not shunned
	// for the day. maxSourceRecords bounds the peers remembered: only
	// sources are, and peer IDs cost nothing to make.
	sourceMemory     = 30 * time.Minute
	maxSourceRecords = 1024
)

// Bounds on how slowly, and how often in vain, a source may serve a
// fetch: without them a peer that sent one byte every stallTimeout held a
// bundle transfer for ever, and each of N peers that took block requests
// and never answered cost a fetch N block request timeouts.
const (
	// minTransferRate is the slowest a whole bundle file (or a bitswap
	// window) may arrive once transferGrace has passed, averaged over the
	// grace period and then over each transferWindow: slower, the peer is
	// cut off, asked last from then on, and the next peer asked. 4 KiB/s
	// (32 kbit/s) is below a GPRS link and far below a throttled one (128
	// kbit/s), and leaves room for a mirror that shares a capped upload
	// among many readers: a cut transfer loses what it received, so the
	// floor is for peers that stall on purpose, not for slow honest ones.
	// A peer that sends just above it holds a fetch no longer than the
	// caller's deadline (a follow's sync has one), and is asked last once
	// it fails.
	minTransferRate = 4 << 10

	// transferGrace is how long a transfer runs before its rate is
	// judged: a dial, a busy server's first bytes and TCP's slow start
	// fit in it. transferWindow is the span the rate is averaged over
	// after it: long enough for a mobile link's pauses (each shorter than
	// stallTimeout).
	transferGrace  = 10 * time.Second
	transferWindow = 10 * time.Second

	// blockFanout is how many peers one block request (a bundle's
	// metadata, a catalog, an article) asks at once at most: the best
	// first, another whenever one fails or none has answered for
	// blockHedgeDelay. So stalling peers cost about blockFanout times less
	// than asked one after another, and a good peer that answers within
	// the delay is the only one asked. Many blocks (prefetch) ask one peer
	// each, the best left: a slow link is not made slower by copies.
	blockFanout     = 4
	blockHedgeDelay = 500 * time.Millisecond

	// maxBulkSources bounds the sources one fetch asks for a whole bundle
	// file (those that said they lack it do not count): each is asked
	// alone and may cost a stall timeout or a transfer grace before it is
	// cut off, and on a serving node every connected peer is a source, so
	// many peers that each take the request and stall held a fetch for
	// as many timeouts. After them, the fetch takes the bundle block by
	// block, asking many peers at once (bitswap) or hedging (blockFanout).
	maxBulkSources = 4
)

// Bounds on every protocol server (head, block, bundle: serve.go): a peer
// that stalls cannot hold a handler for long, and peers that hold all the
// streams they may cannot keep other peers out. Without them, 585 bundle
// streams that never read, from 9 peer IDs, held the bundle protocol's
// whole inbound stream budget for ever.
const (
	// serveRequestTimeout bounds the wait for a request: one small frame
	// (maxHeadRequest, maxCIDLen) that a client sends as the stream
	// opens. 10 s is many round trips on a poor link, through a relay.
	serveRequestTimeout = 10 * time.Second

	// serveMinRate is the slowest, in bytes per second, that a reader may
	// take a response once it has fallen serveWriteGrace behind: slower,
	// its stream is reset. A fixed deadline would cut off an honest
	// reader of a large bundle; no deadline let a reader that never reads
	// hold a handler, an open file and a buffer for ever. 2 KiB/s (16
	// kbit/s) is below a GPRS link and half the floor a samizdat reader
	// itself sets on a source (minTransferRate), so no transfer a reader
	// would keep is cut off by the server first.
	serveMinRate = 2 << 10

	// serveWriteGrace is how far a reader may fall behind serveMinRate:
	// the slack it starts with and earns back, never more, by reading
	// faster (paceWriter). A link's backpressure is smooth, but a reader
	// that itself reads slowly is seen in steps of half a muxer window
	// (128 KiB for yamux and QUIC), 32 s at 4 KiB/s. A reader that stops
	// is cut off serveWriteGrace plus serveWriteChunk/serveMinRate (8 s)
	// after its window fills.
	serveWriteGrace = 30 * time.Second

	// serveWriteChunk is the most a server writes under one deadline.
	serveWriteChunk = 16 << 10

	// Per-peer caps on the streams of each protocol server that one peer
	// holds at once; one more is reset at once, before its request is
	// read. A reader asks a peer for a head once per publisher it
	// resolves, and a mirror resolves a few at once; a fetch keeps
	// requestWorkers block requests in flight, all possibly to one peer,
	// and two fetches may run at once; a fetch asks a peer for one bundle
	// file at a time.
	headPeerStreams   = 8
	blockPeerStreams  = 2 * requestWorkers
	bundlePeerStreams = 2

	// Inbound streams of each protocol, all peers together (the resource
	// manager's protocol scopes): 640 in all, half the node's inbound
	// streams (1280 at rcmgrMemory), so that peers holding all of one
	// protocol's streams leave the other protocols, bitswap's, the DHT's
	// and pubsub's included, their budget. Peers that each hold their cap
	// fill one only with 32 (head), 16 (block) or 64 (bundle) peer IDs.
	headStreams   = 256
	blockStreams  = 256
	bundleStreams = 128

	// blockServeMemory bounds the blocks that block handlers hold while
	// they send them, all peers together: 64 of the largest
	// (maxBlockFrame); blockPeerMemory, those they hold for one peer: 4
	// of the largest, or all blockPeerStreams of the blocks most requests
	// are for (an article's, a few KiB to 100 KiB). A request over it is
	// reset, and the reader asks again. Peers that each hold theirs fill
	// blockServeMemory only with 16 peer IDs.
	blockServeMemory = 64 << 20
	blockPeerMemory  = 4 << 20

	// bundleWriteBuffer is the buffer of one bundle transfer: the file is
	// streamed from disk through it, never held.
	bundleWriteBuffer = 64 << 10

	// rcmgrPeerSlack: the resource manager's own per-peer limit on each
	// protocol's streams is this multiple of the handler's per-peer cap.
	// It counts a stream from protocol negotiation to its close, a little
	// longer than its handler runs, so it is a backstop that the handler's
	// cap meets first.
	rcmgrPeerSlack = 2
)

// Exported bounds, for code that takes heads, catalogs and bundle files
// from outside libp2p (HTTP, files carried by hand): the same limits apply.
const (
	// MaxHeadSize bounds a head record (maxHeadSize).
	MaxHeadSize = maxHeadSize
	// MaxCatalogSize bounds a catalog block (maxCatalogSize).
	MaxCatalogSize = maxCatalogSize
	// MaxBundleFile bounds a bundle file received whole (maxBundleFile).
	MaxBundleFile = maxBundleFile
)

// gatewayTimeout is GatewayConfig.Timeout's default: it bounds the wait
// for a gateway response's first byte (the gateway reads only the local
// store, so anything slower is a stuck disk) and how far a client may fall
// behind gatewayMinRate reading it (a pause of a mobile link, not a stall).
const gatewayTimeout = 30 * time.Second

// Bounds on the HTTP gateway's clients (Gateway): what one client, and all
// of them together, may hold of the node while it is served.
const (
	// gatewayMaxRequests bounds the gateway's requests in flight, all
	// clients together; one more is answered 503 at once. Each holds a
	// connection, a goroutine and a CAR traversal with a block of up to
	// maxBlockFrame in hand: a few MiB at most, about 100 MiB in all.
	gatewayMaxRequests = 32

	// gatewayMaxPerClient bounds one client's requests in flight (a client
	// is an IPv4 address or an IPv6 /64); one more is answered 429 at
	// once. A reader fetches one bundle at a time; 4 leaves room for a
	// few readers behind one NAT, and keeps one address from taking the
	// whole gateway. Behind a reverse proxy every client is the proxy's
	// address, and this bounds them all together.
	gatewayMaxPerClient = 4

	// gatewayMinRate is the slowest a client may read a response once it
	// has fallen GatewayConfig.Timeout behind it (a slack it starts with
	// and earns back by reading faster): slower, the connection is cut.
	// 2 KiB/s (16 kbit/s) is below a GPRS link and half the rate a
	// samizdat reader itself accepts from a source (minTransferRate), so
	// no client the reader would keep is cut by the server first. Time a
	// response waits on the upload cap is not held against the client.
	gatewayMinRate = 2 << 10

	// gatewayWriteChunk is the most written to a client under one write
	// deadline: a client that stops reading is cut at most the timeout
	// plus gatewayWriteChunk/gatewayMinRate (2 s) after its buffers fill.
	gatewayWriteChunk = 4 << 10
)

// Bounds on the circuit relay service (Config.RelayService), which carries
// strangers' traffic: little of it, and within the upload cap (every byte
// it relays, both ways, goes through the node's limiter). A relay is for
// head requests, small blocks and hole punching, after which peers talk
// directly; whole bundles never cross it (operators.md, "Behind NAT").
const (
	// relayDataLimit bounds what one relayed connection carries each way
	// before the relay ends it, framing and encryption included; and
	// relayDuration how long it may last. go-libp2p's defaults: enough
	// for a head exchange and hole punching.
	relayDataLimit = 128 << 10
	relayDuration  = 2 * time.Minute

	// relayMaxReservations bounds the peers holding a slot at once, half
	// go-libp2p's default: a samizdat relay serves a few mirrors behind
	// NAT, not a public network. relayMaxReservationsPerIP and
	// relayMaxReservationsPerASN keep one machine or network from taking
	// them all; relayReservationTTL is how long a slot lasts unrenewed.
	relayMaxReservations       = 64
	relayMaxReservationsPerIP  = 4
	relayMaxReservationsPerASN = 16
	relayReservationTTL        = time.Hour

	// relayMaxCircuits bounds the relayed connections open at once to or
	// from one peer (half go-libp2p's default): enough readers reaching a
	// mirror at once, each until hole punching succeeds or its limits end
	// it. relayBufferSize is each direction's copy buffer: with the other
	// limits, relaying holds at most 64 × 8 × 2 × 2 KiB = 2 MiB.
	relayMaxCircuits = 8
	relayBufferSize  = 2 << 10
)

// Bounds on what a reader remembers of mirrors (MirrorBook) and how it
// dials them (DialFirst).
const (
	// maxMirrorRecords bounds the mirrors a book remembers: four full
	// signed lists; the least recently tried go first. maxMirrorsFile
	// bounds the file it is read from.
	maxMirrorRecords = 256
	maxMirrorsFile   = 1 << 20

	// maxGivenMirrors bounds the mirrors a book keeps as given for one
	// publisher (a link's peers and mirrors), and maxGivenPublishers the
	// publishers it keeps them for.
	maxGivenMirrors    = MaxLinkPeers + MaxLinkMirrors
	maxGivenPublishers = 64

	// dialParallel bounds the dials DialFirst has under way at once, and
	// dialSlot is how long a dial keeps its place: a dial that has not
	// connected by then is most likely black-holed (a loopback or LAN dial
	// takes milliseconds, a TLS WebSocket one over a slow line a second).
	dialParallel = 8
	dialSlot     = 2 * time.Second

	// dialTimeout bounds one dial.
	dialTimeout = 15 * time.Second

	// DialSettle is how long DialFirst waits for the other dials once one
	// has connected: a black-holed address then costs a reader this, not
	// a dial timeout, and a slow honest mirror that connects within it is
	// still asked for its head. The browser reader waits as long for the
	// other mirrors' heads once one has answered.
	DialSettle = 3 * time.Second

	// DialPatience is how long a reader that has HTTPS mirrors to turn to
	// waits for any libp2p dial to connect: a TLS WebSocket dial over a
	// slow, distant line takes a few round trips, while every dial's own
	// timeout (15 s on a public address) would be waited out in full
	// where libp2p is blocked outright.
	DialPatience = 5 * time.Second
)

// Bounds on a samizdat: link, which a reader pastes from anywhere (a chat
// message, a QR code): it is outside input.
const (
	// MaxLinkLen bounds a whole link: a publisher ID and MaxLinkPeers
	// multiaddrs of a few hundred bytes each.
	MaxLinkLen = 4 << 10

	// MaxLinkPeers bounds the peers one link may name; a reader dials
	// each, so a link must not make it dial hundreds.
	MaxLinkPeers = 8

	// maxLinkPeerLen bounds one peer multiaddr (with its /p2p/ part).
	maxLinkPeerLen = 512

	// MaxLinkMirrors bounds the HTTPS mirrors one link may name: a few
	// to start from; the publisher's signed list brings the rest.
	MaxLinkMirrors = 4
)
