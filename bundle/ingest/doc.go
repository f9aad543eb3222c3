// Package ingest turns a publisher's files into [bundle.Article] values,
// ready to be packed.
//
// [Walk] visits files and directories (recursively, sorted by name, hidden
// names skipped silently) and picks a parser by extension, ignoring case;
// other files are skipped with a warning, images and media silently:
//
//   - .txt: title is the first non-empty line; body is the whole file;
//     text/plain. A text that starts like a web page saved as text (lines
//     of site navigation) is the exception: its title is the headline
//     below them, its body starts there, and the dateline and byline under
//     the headline give its date and authors (see ParseText).
//   - .md, .markdown: optional YAML front matter between "---" lines at
//     the very start (keys id, title, lang, published, updated, url,
//     authors as a list or one string, summary; other keys ignored); title
//     falls back to the first level 1 heading; body is exactly the bytes
//     after the front matter; text/markdown.
//   - .html, .htm: the body is the article the page holds, as HTML,
//     without the site's navigation, cookie banners, advertisements,
//     related links, comments and footer, and without its headline, byline
//     and dateline, found by go-readability; the metadata come from the
//     head (og:title, <html lang>, article:published_time and
//     article:modified_time, <link rel=canonical>, <meta name=author>,
//     <meta name=description>) and the page's JSON-LD, else from the page
//     (see ParsePage); text/html. With Options.KeepPage the body is the
//     whole file instead.
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
// canonical BCP 47 tag; when the source names none (or one that does not
// parse), it is detected in the title and text, and stays "und" for a text
// too short or too mixed to tell (see detectLang); a feed item too short
// to tell takes its feed's language. Dates are RFC 3339 or YYYY-MM-DD,
// kept in UTC with second precision.
//
// Markdown and HTML articles get attachments: each relative reference to
// an image or media file (see [References]) in the body (for a page, the
// extracted body) is resolved against the article's directory and
// attached under its cleaned path. Remote URLs are never fetched;
// [ParsePage] extracts a page its caller fetched, and leaves the images to
// it. A reference that leaves the article's directory, escapes the input
// root (also through a symbolic link), is missing, is not a regular file
// or exceeds a size limit is not attached. A duplicate reference is
// attached once.
//
// One bad article never fails a walk. Walk hands each problem to
// [Options.Warn] as a [Warning] and goes on: a file that does not parse
// (bad JSON, YAML or XML, XML that is not a feed), is too large or cannot
// be read, or a page in which no article text is found, is skipped; so is
// one article of a feed, JSON or JSON Lines file with a bad date, a
// missing JSON body, or an id or url over its limit or not valid (an id
// names the article across bundles, so it is never rewritten); a title, summary or author name over its limit is cut at a
// word boundary and ends in "…", and authors beyond their limit are
// dropped; a reference that cannot be attached is left out; files of
// unknown type and symbolic links that are not followed are passed over.
// With [Options.Strict], each of these but the last fails the walk with a
// [*FileError] naming the file and, when known, the line, as the exported
// Parse functions always do. A named input that is missing, or finding no
// article at all, fails the walk either way. Limits on all sizes are in
// limits.go; besides sizes, they bound the XML nesting of feeds, the
// nesting and link density of markdown, and, for a page to extract, its
// elements (those html.Parse would make of formatting elements it leaves
// open included), their attributes, their nesting, and the work of
// extracting it (its text times its nesting, its headings times its
// title, its classes; see shape.go), and for any page the attributes of
// one tag, where the parsers would otherwise overflow the stack or take
// time quadratic in the input, or memory many times it. Nothing is cut
// or skipped without a warning.
package ingest
