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
	// extracted: its tags, counted while the page is scanned, before its
	// tree is built, and the elements of its tree (see shape.go).
	// go-readability's time grows with them, some 3 to 13 µs each (it
	// clones the tree for each of its up to four attempts and matches every
	// element's class and id): a page of 100,000 took 0.3 to 1.3 s here,
	// one of 20,000 spans 0.07 s. News pages have one to five thousand, a
	// long live blog some ten thousand.
	maxPageElements = 20_000
	// maxPageAttributes bounds the attributes of the tags of a page whose
	// article is extracted, counted as it is scanned. html.Parse keeps
	// them all and go-readability copies them with every element it
	// clones: 1,000,000 attributes over 20,000 elements, 4 MB of markup,
	// took 180 MB and 0.6 s to parse alone. News pages have a few an
	// element, some ten to thirty thousand in all.
	maxPageAttributes = 200_000
	// maxTagAttributes bounds the attributes of one tag of any page that
	// is scanned, kept whole or extracted: the tokenizer hands each over
	// as new strings, which the scan and html.Parse both keep until the
	// tag ends, and 1,048,576 distinct ones in one 8 MB tag took 600 MB
	// and a second to parse. Real tags have a few, generated markup some
	// dozens.
	maxTagAttributes = 1024

	// maxPageDepth bounds how deeply the elements of a page to extract
	// nest. Real pages nest 10 to 40 deep; go-readability walks the
	// subtree of every block to weigh it, so its time grows with text
	// times depth (maxPageWork), and our tree walks recurse.
	maxPageDepth = 128

	// maxPageWork bounds the sum over a parsed page's text of its length
	// times its depth, plus its elements' depth, class and id, plus its
	// <h1> and <h2> times its title's length, each weighed by its cost
	// (see measureShape): what go-readability's subtree walks, regular
	// expressions and title comparisons read, some 15 ns a unit here.
	// 500 nested <div>s around 2.4 MB of text, 1.2 billion units, took 18
	// s; the test pages of a news site are 15,000 to 35,000 units, one
	// of 400 KB with 1,400 elements 170,000, and a news page of 3,000
	// elements with long class names 20 deep would be some 2 million. At
	// the limit, go-readability takes about 0.08 s.
	maxPageWork = 8 << 20

	// maxTitleSource bounds the <title> and <meta> contents go-readability
	// takes its title from (see capTitleSources): twice a title's limit,
	// so that a title over the limit is still one.
	maxTitleSource = 2 * maxTitleLen

	// maxTitleScan bounds the text of a page's <title> and first <h1>
	// that is kept as the page is scanned, before its white space is
	// collapsed: a title is at most maxTitleLen bytes, but templates
	// indent.
	maxTitleScan = 64 << 10

	// maxOpenFormatting bounds the formatting elements (<b>, <a>, <font>…)
	// a page to extract leaves open at once (see fmtList): html.Parse scans
	// them at every tag, and reopens those a block closed. Pages leave a
	// few open; html.Parse fails on more than about 500 reopened at once.
	maxOpenFormatting = 256

	// maxReopenedElements bounds the elements html.Parse may build, beyond
	// a page's tags, by reopening formatting elements, as fmtList counts
	// them (more than it builds): 12 KB of markup made 800,000 elements
	// and 120 MB. 100,000 are some 0.1 s and 15 MB of parsing.
	maxReopenedElements = 100_000

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
