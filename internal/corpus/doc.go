// Package corpus generates realistic, deterministic, multilingual news
// articles for benchmarks, demos and tests.
//
// The text is neither random bytes nor random letters: each language has a
// hand-written vocabulary of a few hundred common words (function words
// first) plus topical news nouns, verbs, institutions, places and plausible
// (fictional) people. Words are drawn with a Zipf distribution
// (P(rank) ∝ rank^-1.1) that alternates function and content words as real
// text does; each word has a few favourite successors, so bigrams recur; and
// sentences of 8 to 30 words come from per-language templates with slots,
// so collocations ("according to", "said in a statement") and named
// entities repeat within an article and across articles, as in real news.
// Every article has a topic (a main person, a second person, an
// institution, a place and a key noun) that recurs in its headline, summary
// and body, a byline, a dateline and the language's fixed closing footer.
// Only the template words are grammatical; the words filling the templates
// have the statistics of prose, not its sense.
//
// Compressed with zstd at its default level, 1 MiB of Markdown compresses
// about as real news text does: a ratio of about 3.4 for the mixed stream,
// from about 3.3 (Chinese) and 3.7 (English) to about 5 (Russian, Arabic,
// Persian: two bytes a letter) and 6 (Hindi: three). See
// TestCompressionRatio. With only a few hundred words per language the
// most frequent words are more frequent than in real text ("the" is about
// 12% of English words rather than 6%).
//
// Languages, with their share of the stream: English 30%, Spanish 12%,
// Russian 12%, Arabic 11%, French 9%, Chinese 9%, Ukrainian 7%, Persian 6%
// and Hindi 4%. Chinese text has no spaces between words and uses
// full-width punctuation; Arabic and Persian use "،" and "؟"; Persian uses
// Persian digits and the zero-width non-joiner; Hindi ends sentences with
// "।"; French puts no-break spaces inside guillemets.
//
// # Determinism
//
// A Generator draws every random choice, in a fixed order, from one
// math/rand/v2 PCG source, rand.NewPCG(uint64(seed), 0x73616d697a646174).
// Its few floating-point computations use only correctly rounded operations
// that the compiler may not fuse. The same seed, sizes and version of this
// package therefore yield byte-identical documents on every platform;
// ExampleGenerate pins the start of one stream. Changing the vocabulary or
// the templates changes the output: benchmarks that compare runs should use
// the same version.
//
// A Generator holds O(1) state (its random source, a document counter and one
// scratch buffer bounded by the maximum body size), so it can stream any
// amount of text without holding it.
//
// This package is for tests and tools; its API may change before v1.
package corpus
