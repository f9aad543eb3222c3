package search

// Bounds on what the index accepts and returns.
const (
	// MaxQueryLen bounds a query in bytes: longer queries are refused
	// rather than expanded into thousands of terms.
	MaxQueryLen = 256

	// MaxLimit bounds the hits one search returns.
	MaxLimit = 200

	// maxIndexedText bounds the text of one article that is indexed; the
	// rest of a very long article is not searchable, and indexing one
	// article never needs more than this much memory for its text.
	maxIndexedText = 256 << 10

	// maxScannedHTML bounds the bytes of an HTML body tokenized for its
	// text. The tokenizer buffers a whole token, several times over as its
	// buffer grows, so a body of one long comment or text as large as an
	// article may be (bundle.MaxArticleSize) would take gigabytes; 4 MiB
	// of markup holds far more than maxIndexedText of text. It and
	// maxIndexedText also bound the bytes of a body that indexing reads,
	// so only the blocks that hold them are decoded.
	maxScannedHTML = 4 << 20

	// batchSize is how many articles go to the index in one batch.
	batchSize = 1000
)
