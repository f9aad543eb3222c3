package bundle

// Bounds on everything a bundle reader accepts from outside. Each is checked
// before the bytes it bounds are parsed or decompressed.
const (
	// MaxBlockSize bounds one block's bytes. 1 MiB is the block size every
	// IPFS implementation moves over bitswap; larger blocks would not travel.
	MaxBlockSize = 1 << 20

	// MaxBlockRaw bounds the decompressed size of one body block, so that
	// decoding a block never needs more than this much memory.
	MaxBlockRaw = 1 << 20

	// MaxZstdWindow bounds the zstd window a frame may ask for. Frames are
	// written single-segment, so their window equals their content size.
	MaxZstdWindow = MaxBlockRaw

	// MaxEnvelopeSize bounds the signed envelope block; it holds a few
	// fixed-size fields only.
	MaxEnvelopeSize = 4 << 10

	// MaxAuthoritySize bounds a publisher document; it holds up to
	// MaxAuthorityKeys keys and MaxAuthorityKeys revocations.
	MaxAuthoritySize = 64 << 10

	// MaxAuthorityKeys bounds the signing keys (and the revocations) one
	// publisher document may list.
	MaxAuthorityKeys = 256

	// MaxMirrors bounds the mirrors one publisher document may list, and
	// MaxMirrorLen each entry: 64 full entries take 16.5 KiB, so a
	// document with every list full still fits in MaxAuthoritySize.
	MaxMirrors   = 64
	MaxMirrorLen = 256

	// MaxDictSize bounds the zstd dictionary block.
	MaxDictSize = 1 << 20

	// MaxPages bounds the manifest pages of one bundle.
	MaxPages = 4096

	// MaxPageRaw bounds a manifest page's decompressed entries, and so the
	// memory decoding one page takes.
	MaxPageRaw = 4 << 20

	// MaxManifestRaw bounds all pages' decompressed entries together, and
	// so the memory a bundle's metadata takes: 256 MiB is about a million
	// entries.
	MaxManifestRaw = 256 << 20

	// MaxPageBlocks bounds the block links of one page: at most one per
	// span of its entries, and a page's links alone must fit in a block.
	MaxPageBlocks = 16384

	// MaxArticles bounds the articles of one bundle: 1M articles of ~10 KB
	// is 10 GB of text, far beyond any newsroom's daily bundle.
	MaxArticles = 1 << 20

	// MaxBlocks bounds the blocks one CAR file may hold, so indexing a
	// hostile file has bounded memory.
	MaxBlocks = 4 << 20

	// MaxCARHeader bounds the CARv1 header (one root CID and a version).
	MaxCARHeader = 1 << 10

	// MaxSpans bounds the block spans of one article, body and attachments
	// together: 1024 spans keep an entry small enough for a manifest page.
	MaxSpans = 1024

	// MaxBundleSpans bounds the spans of all of a bundle's entries. A span
	// costs a reader about 48 bytes of memory however few bytes it names,
	// and any number can name the empty block, so MaxManifestRaw alone let
	// 6-byte spans make a bundle's metadata take 8 times that: about 1.9
	// GiB. 2^21 is a span for each of MaxArticles articles and a million
	// more, a terabyte of chunks; its spans then take about 96 MiB.
	MaxBundleSpans = 2 * MaxArticles

	// MaxArticleSize bounds the bytes of one article, body and attachments
	// together, and so what reading it returns: the largest article the
	// ingest tools make (a 256 MiB body and 256 MiB of attachments). A
	// span's block can be a few dozen bytes of zstd, and spans may name
	// it again and again, so without it the bytes an article carries
	// would bound nothing (1024 spans of one block made a 1 GiB body).
	MaxArticleSize = 512 << 20

	// MaxArticleSlack bounds the bytes of blocks an article's spans may
	// name beyond the article's own bytes, counted once per span: a short
	// body shares its cluster's one block with other articles, and nothing
	// else is decoded to no purpose. Reading an article thus decodes at
	// most its size plus MaxArticleSlack, so the sizes the manifest lists
	// are what reading costs; without it, an empty article whose spans
	// named a block 1024 times decoded 1 GiB.
	MaxArticleSlack = MaxBlockRaw

	// MaxAttachments bounds the attachments of one article.
	MaxAttachments = 256

	// Field bounds keep one manifest entry small enough that a page of
	// entries always fits in a block.
	MaxIDLen          = 1024
	MaxTitleLen       = 1024
	MaxLangLen        = 64
	MaxURLLen         = 2048
	MaxAuthors        = 32
	MaxAuthorLen      = 256
	MaxSummaryLen     = 4096
	MaxContentTypeLen = 128
	MaxNameLen        = 1024 // attachment names and publisher names
)

// The dag-cbor decoder may allocate, in its own units (about a byte each),
// dagCBORBudgetPerByte for every byte of the object plus dagCBORBudgetBase.
// Counted that way, a well-formed object costs at most about 5 a byte (a
// one-byte list entry costs 4, plus 1 for the list's declared length), so
// every object fits, and none can make the decoder allocate more than a
// small multiple of its own size, whatever lengths its headers declare.
const (
	dagCBORBudgetPerByte = 16
	dagCBORBudgetBase    = 4096
)

// Manifest pages are cut when their entries reach pageTarget bytes
// (estimated, before compression) or their spans pageMaxBlocks (an upper
// bound on the page's distinct blocks). One entry is bounded by the field
// limits above and MaxSpans (about 20 KiB of fields, 16 KiB of spans and
// 300 KiB of attachment names), so a page's entries stay under MaxPageRaw
// and its links (40 bytes each) under MaxBlockSize; the packer still checks
// each page it encodes.
const (
	pageTarget    = 1 << 20
	pageMaxBlocks = 8192
)

// Dictionary training (internal/zdict): the sample taken from the
// articles being packed, and the dictionary's size. Measured on 6 MB of
// real English text (docs/bundle-format.md §13): 3.5 MiB of samples
// rather than 512 KiB make the default bundle about 2% smaller, 8 MiB
// only 0.3% more for 40% more training time; 8 KiB heads do as well as
// 16 KiB; 160 KiB of content does no better than 112 KiB.
const (
	dictSampleHead = 16 << 10
	// dictSamplesPerContent sizes the samples: this many times the content
	// to train (3.5 MiB for 112 KiB). Training time grows with the
	// samples, and a small dictionary (for large clusters) gains nothing
	// from many.
	dictSamplesPerContent = 32
	// dictContentSize is the dictionary's content; its entropy tables
	// add about 150 bytes, for 112 KiB in all.
	dictContentSize = 112<<10 - 256
	// dictFullCluster is the cluster size up to which the dictionary has
	// dictContentSize of content; above it, the content shrinks in
	// proportion.
	dictFullCluster = 128 << 10
	// dictTableSamples is how many samples fit the entropy tables.
	dictTableSamples = 200
	// dictMinInput is the corpus size below which a dictionary is not
	// worth its own bytes.
	dictMinInput = 256 << 10
)
