package ingest

import "github.com/samizdat/samizdat/bundle"

// Bounds on publisher inputs. Inputs may come from third parties (scraped
// pages, exported feeds), so every size is bounded before anything is read
// or parsed, and nothing is truncated silently: a file or an article beyond
// a limit is skipped (ErrTooLarge, ErrMalformed), a title, summary or
// author name is cut at a word boundary, an attachment is left out, each
// with a warning; Walk with Strict, and the Parse functions, fail instead.
const (
	// maxArticleFileSize bounds .txt files, and .html files kept whole
	// (Options.KeepPage). Their body is the whole file and is held in
	// memory once; HTML is then scanned with a streaming tokenizer, not
	// built into a tree.
	maxArticleFileSize = 256 << 20

	// maxPageSize bounds HTML pages whose article is extracted: the page
	// is decoded, scanned and built into a tree. News pages weigh 50 KB to
	// a few MB, most of it scripts and styles.
	maxPageSize = 16 << 20

	// maxPageElements bounds the elements of a page whose article is
	// extracted, counted while the page is scanned, before its tree is
	// built: the extractor's time and memory grow with them (go-readability
	// copies the tree for each of its up to four attempts); a page of
	// 100,000 links took 1.3 s and some 150 MB here, of 8 MB of links 5 s
	// and 500 MB. News pages have a few thousand elements.
	maxPageElements = 100_000

	// maxJSONLDSize bounds the JSON-LD of a page that is decoded for its
	// article's dates and language; real pages have a few kilobytes.
	maxJSONLDSize = 1 << 20

	// maxLangSample bounds the text handed to the language detector,
	// whose cost grows with it; a few paragraphs tell the language as
	// well as a whole book.
	maxLangSample = 16 << 10

	// maxParsedFileSize bounds .json, .jsonl and feed files, which are
	// decoded into in-memory values (JSON values, parsed feed items) costing
	// several times their size.
	maxParsedFileSize = 64 << 20

	// maxFrontMatterSize bounds the YAML front matter of a markdown file:
	// metadata is small, and YAML decoding is comparatively expensive.
	maxFrontMatterSize = 1 << 20

	// maxArticlesPerFile bounds the articles in one JSON, JSONL or feed
	// file, so one file cannot produce an unbounded stream of articles
	// that are all held in memory at once.
	maxArticlesPerFile = 100_000

	// maxAttachmentSize bounds one attachment (an image or media file);
	// it is read into memory whole and travels inside the bundle.
	maxAttachmentSize = 64 << 20

	// maxAttachmentsPerArticle bounds how many references of one article
	// are resolved; further references are skipped with a warning.
	maxAttachmentsPerArticle = 256

	// maxAttachmentBytesPerArticle bounds the attachment bytes held in
	// memory for one article; attachments beyond it are skipped with a
	// warning.
	maxAttachmentBytesPerArticle = 256 << 20

	// Metadata bounds are the bundle format's own (bundle/limits.go), so
	// that an article ingest accepts is one the packer accepts: a
	// publisher learns of an over-long field from the file and line that
	// holds it, not from a failed pack.
	maxIDLen      = bundle.MaxIDLen
	maxURLLen     = bundle.MaxURLLen
	maxTitleLen   = bundle.MaxTitleLen
	maxSummaryLen = bundle.MaxSummaryLen
	maxAuthors    = bundle.MaxAuthors
	maxAuthorLen  = bundle.MaxAuthorLen

	// maxFeedDepth bounds XML nesting in feeds. gofeed parses elements
	// recursively, and a document nested a few million levels deep
	// overflows the goroutine stack, a crash no recover catches. Real
	// feeds nest fewer than 20 levels, XHTML content rarely 100.
	maxFeedDepth = 512

	// maxFeedElements bounds the XML elements of one feed: gofeed keeps
	// every element (extensions included) as maps in memory, several
	// hundred bytes each. A feed with the maximum number of items of
	// typical size stays well below it.
	maxFeedElements = 4_000_000

	// maxMarkdownFileSize bounds .md files. goldmark builds an AST several
	// times the size of its input, and hostile input that passes the other
	// markdown limits still parses at only a few MB/s; 4 MiB is longer
	// than War and Peace.
	maxMarkdownFileSize = 4 << 20

	// maxMarkdownNesting bounds how deeply one markdown line may nest block
	// quotes and lists. goldmark's time per line grows with the square of
	// the nesting depth (40,000 levels in 80 KB take seconds); real
	// articles nest fewer than ten levels.
	maxMarkdownNesting = 16

	// maxMarkdownWork bounds the sum, over paragraphs, of length times the
	// number of "[" and "<": goldmark may scan to the end of the paragraph
	// for each of them ("[a](" repeated over 256 KB takes half a minute),
	// so this bounds its worst case to a few seconds. A 50 KB paragraph
	// with 5,000 links or tags uses half of it.
	maxMarkdownWork = 1 << 29
)
