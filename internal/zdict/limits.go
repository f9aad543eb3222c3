package zdict

// Bounds on training. Samples come from the articles being packed, which
// come from outside, so every size is capped.
const (
	// MaxSampleBytes bounds the sample bytes Train reads; it keeps the
	// copy of the samples and the scan time bounded.
	MaxSampleBytes = 64 << 20
	// MaxContentSize bounds the content Train produces: the format's
	// dictionary limit (bundle.MaxDictSize) is 1 MiB including tables.
	MaxContentSize = 1 << 20

	// maxBlock is zstd's largest block (RFC 8878 §3.1.1.2.3): Build
	// cuts samples to it.
	maxBlock = 128 << 10

	// hashBits sizes the dmer tables: 2^20 entries of 8 bytes, and
	// 4 more while counting. Fewer
	// bits make unrelated dmers share a score on a few MB of samples.
	hashBits    = 20
	minHashBits = 10

	// passes is how many times, on average, each epoch is visited while
	// the content fills (zstd's COVER uses 4).
	passes = 4
	// maxScanPasses bounds training time: cover stops once it has
	// scanned this many times the sample bytes. Real text fills the
	// content in about passes scans; samples built so that each epoch's
	// best segment is a few bytes long (one rare token amid filler that
	// was already taken) would otherwise cost a scan of an epoch per few
	// bytes of content, 30 times the usual on the packer's sizes and
	// hundreds of times at MaxSampleBytes.
	maxScanPasses = 4 * passes
	// minEpochSegments keeps epochs at least this many segments long, so
	// a segment is chosen among enough candidates.
	minEpochSegments = 10
)

// Defaults and ranges for Options.
const (
	DefaultK = 1024
	DefaultD = 8
	minK     = 16
	maxK     = 1 << 16
	minD     = 4
	maxD     = 8
)
