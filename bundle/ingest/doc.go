// Package ingest turns a publisher's files into [bundle.Article] values,
// ready to be packed.
//
// [Walk] visits files and directories (recursively, sorted by name, hidden
// names skipped silently) and picks a parser by extension, ignoring case;
// other files are skipped with a warning, images and media silently:
//
//   - .txt: title is the first non-empty line; body is the whole file;
//     text/plain.
//   - .md, .markdown: optional YAML front matter between "---" lines at
//     the very start (keys id, title, lang, published, updated, url,
//     authors as a list or one string, summary; other keys ignored); title
//     falls back to the first level 1 heading; body is exactly the bytes
//     after the front matter; text/markdown.
//   - .html, .htm: title from og:title, else <title>, else the first <h1>;
//     lang from <html lang>; published and updated from
//     article:published_time and article:modified_time; url from
//     <link rel=canonical>; authors from <meta name=author>; summary from
//     <meta name=description>; body is the whole file; text/html.
//   - .json (an object or an array of objects) and .jsonl (one object per
//     line, blank lines ignored): keys id, title, lang, published, updated,
//     url, authors, summary, content_type (default text/plain) and body, a
//     string that must be present.
//   - .rss, .atom, .xml: RSS or Atom, one article per item; id from guid or
//     Atom id, else the link; url is the link; body is content:encoded or
//     Atom content, else the description or summary; lang is the feed's;
//     text/html. XML that is not a feed is malformed.
//
// For every article: the id is the given id, else the canonical URL, else
// the path of the file relative to its input root ("name#N", counting
// from 1, for the N-th article of a multi-article file, skipped ones
// included); the same bytes always give the same id. Titles are valid
// UTF-8 and trimmed, and fall back to the file's base name. Lang is a
// canonical BCP 47 tag, "und" when missing or unparseable. Dates are RFC
// 3339 or YYYY-MM-DD, kept in UTC with second precision.
//
// Markdown and HTML articles get attachments: each relative reference to
// an image or media file (see [References]) is resolved against the
// article's directory and attached under its cleaned path. Remote URLs are
// never fetched. A reference that leaves the article's directory, escapes
// the input root (also through a symbolic link), is missing, is not a
// regular file or exceeds a size limit is not attached. A duplicate
// reference is attached once.
//
// One bad article never fails a walk. Walk hands each problem to
// [Options.Warn] as a [Warning] and goes on: a file that does not parse
// (bad JSON, YAML or XML, XML that is not a feed), is too large or cannot
// be read is skipped; so is one article of a feed, JSON or JSON Lines file
// with a bad date, a missing JSON body, or an id or url over its limit or
// not valid (an id names the article across bundles, so it is never
// rewritten); a title, summary or author name over its limit is cut at a
// word boundary and ends in "…", and authors beyond their limit are
// dropped; a reference that cannot be attached is left out; files of
// unknown type and symbolic links that are not followed are passed over.
// With [Options.Strict], each of these but the last fails the walk with a
// [*FileError] naming the file and, when known, the line, as the exported
// Parse functions always do. A named input that is missing, or finding no
// article at all, fails the walk either way. Limits on all sizes are in
// limits.go; besides sizes, they bound the XML nesting of feeds and the
// nesting and link density of markdown, where the parsers would otherwise
// overflow the stack or take time quadratic in the input. Nothing is cut
// or skipped without a warning.
package ingest
