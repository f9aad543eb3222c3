package mirror

import (
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

// Bounds on what the HTTP side and the export files accept from outside.
// Heads, catalogs and bundle files keep node's limits, whatever carried
// them.
const (
	// httpTimeout bounds a whole head or catalog request (both are small),
	// and each pause in a bundle's body: a server that stalls cannot hold
	// a reader, and the next URL is tried.
	httpTimeout = 30 * time.Second

	// httpHeadParallel bounds the URLs asked for a head at once, and
	// httpHeadSlot is how long one keeps its place before the next is
	// asked beside it (settle.Options): a black-holed URL then delays
	// the URLs after it by this, not by httpTimeout.
	httpHeadParallel = 8
	httpHeadSlot     = 2 * time.Second

	// maxRedirects bounds the redirects one HTTP request follows (a CDN
	// may redirect once or twice; a loop must end).
	maxRedirects = 5

	// maxExportFile bounds an export file: a full catalog of large bundles
	// is far smaller; it is read in place, never into memory.
	maxExportFile = 64 << 30

	// maxExportBlocks bounds the blocks of an export file, so indexing a
	// hostile file has bounded memory (about 100 bytes each).
	maxExportBlocks = 4 * bundle.MaxBlocks

	// maxExportBlock bounds the export block: a head and a few short
	// fields.
	maxExportBlock = node.MaxHeadSize + 1<<10

	// maxSection bounds one CAR section of an export file: a CID and a
	// block.
	maxSection = bundle.MaxBlockSize + 128

	// maxCARAhead bounds the bytes of a bundle's CAR over HTTP that the
	// blocks before them do not reach from the root, and of blocks sent
	// twice (carReach): honest servers send parents first and none
	// twice, so none; a body of blocks the bundle does not reach is cut
	// off after this, not at the 8 GiB bound. 32 MiB leaves room for a
	// server that orders a few blocks otherwise, and is the most that
	// waiting blocks hold in memory.
	maxCARAhead = 32 << 20

	// carLinkBudgetPerByte and carLinkBudgetBase are the DAG-CBOR
	// decoder's allocation budget for reading a block's links, as the
	// bundle format's decoder has it.
	carLinkBudgetPerByte = 16
	carLinkBudgetBase    = 4096
)

// Bounds on the work a service does on its own.
const (
	// syncTimeout bounds one of Follow's syncs, so a source that drips
	// bytes cannot wedge a publisher's follow for good.
	syncTimeout = 10 * time.Minute

	// maxConcurrentSyncs bounds the syncs Follow runs at once on one
	// service: a reader following hundreds of publishers does not dial
	// and fetch for all of them at the same moment.
	maxConcurrentSyncs = 4

	// discoverTimeout bounds one DHT lookup.
	discoverTimeout = 20 * time.Second
)
