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
)
