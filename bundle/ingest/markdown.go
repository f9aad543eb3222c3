package ingest

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
	"go.yaml.in/yaml/v3"

	"github.com/samizdat/samizdat/bundle"
)

// ParseMarkdown parses a markdown article with optional YAML front matter.
// The body is the bytes after the front matter, exactly; it aliases data.
func ParseMarkdown(name string, data []byte) (*bundle.Article, error) {
	return parseMarkdown(name, data, &report{strict: true})
}

// parseMarkdown is ParseMarkdown, cutting long fields with a warning to r
// unless r is strict.
func parseMarkdown(name string, data []byte, r *report) (*bundle.Article, error) {
	if len(data) > maxMarkdownFileSize {
		return nil, tooLarge(name, len(data), maxMarkdownFileSize)
	}
	fm, body, err := splitFrontMatter(data)
	if err != nil {
		return nil, withPath(name, err)
	}
	if err := checkMarkdownCost(body); err != nil {
		fe := err.(*FileError)
		return nil, &FileError{Path: name, Line: fe.Line + lineAt(data, int64(len(data)-len(body))) - 1, Err: fe.Err}
	}
	d := draft{contentType: typeMarkdown, body: body}
	if fm != nil {
		if err := decodeFrontMatter(fm, &d); err != nil {
			return nil, withPath(name, err)
		}
	}
	if strings.TrimSpace(d.title) == "" {
		d.title = markdownTitle(body)
	}
	a, err := d.article(name, 0, r)
	if err != nil {
		return nil, &FileError{Path: name, Err: err}
	}
	return a, nil
}

// withPath sets the path of a *FileError made without one; other errors
// are wrapped in a new *FileError.
func withPath(name string, err error) error {
	if fe, ok := err.(*FileError); ok {
		return &FileError{Path: name, Line: fe.Line, Err: fe.Err}
	}
	return &FileError{Path: name, Err: err}
}

var bom = []byte("\uFEFF")

// splitFrontMatter splits data into YAML front matter (nil if there is
// none) and body. Front matter starts with a "---" line at the very start
// of data (after an optional byte order mark) and ends at the next "---"
// line. The front matter starts on line 2 of the file.
func splitFrontMatter(data []byte) (fm, body []byte, err error) {
	rest := bytes.TrimPrefix(data, bom)
	first, rest, ok := bytes.Cut(rest, []byte("\n"))
	if !isFence(first) {
		return nil, data, nil
	}
	if !ok {
		return nil, nil, &FileError{Line: 1, Err: fmt.Errorf("%w: unterminated front matter", ErrMalformed)}
	}
	start := len(data) - len(rest)
	for off := start; off < len(data); {
		line, _, found := bytes.Cut(data[off:], []byte("\n"))
		if isFence(line) {
			end := off + len(line)
			if found {
				end++
			}
			return data[start:off], data[end:], nil
		}
		if off-start > maxFrontMatterSize {
			return nil, nil, &FileError{Line: 1, Err: fmt.Errorf("%w: front matter longer than %d bytes", ErrTooLarge, maxFrontMatterSize)}
		}
		if !found {
			break
		}
		off += len(line) + 1
	}
	return nil, nil, &FileError{Line: 1, Err: fmt.Errorf("%w: unterminated front matter: no closing --- line", ErrMalformed)}
}

// isFence reports whether line is a front matter delimiter "---", allowing
// trailing white space and a carriage return.
func isFence(line []byte) bool {
	return string(bytes.TrimRight(line, " \t\r")) == "---"
}

// yamlLine finds the line number in a go.yaml.in/yaml/v3 error message,
// which carries it only as text ("yaml: line 3: ...").
var yamlLine = regexp.MustCompile(`^line (\d+): `)

// frontMatterLine converts a line of the front matter to a line of the
// file: the front matter starts on line 2.
func frontMatterLine(n int) int { return n + 1 }

// decodeFrontMatter fills d from YAML front matter. Known keys are id,
// title, lang, published, updated, url, authors (a list or one string) and
// summary; other keys are ignored. Errors are *FileError with a line of
// the file.
func decodeFrontMatter(src []byte, d *draft) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		// Unknown lines (aliases, encoding) are reported at the opening ---.
		line, msg := 1, strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
			if n, convErr := strconv.Atoi(msg[m[2]:m[3]]); convErr == nil {
				line, msg = frontMatterLine(n), msg[m[1]:]
			}
		}
		return &FileError{Line: line, Err: fmt.Errorf("%w: front matter: %s", ErrMalformed, msg)}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty front matter
	}
	m := doc.Content[0]
	if m.Kind == yaml.ScalarNode && m.Tag == "!!null" {
		return nil
	}
	if m.Kind != yaml.MappingNode {
		return &FileError{Line: frontMatterLine(m.Line), Err: fmt.Errorf("%w: front matter is not a mapping", ErrMalformed)}
	}
	seen := make(map[string]bool)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolveAlias(m.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			continue
		}
		key := k.Value
		switch key {
		case "id", "title", "lang", "published", "updated", "url", "authors", "summary":
		default:
			continue
		}
		fail := func(format string, args ...any) error {
			return &FileError{Line: frontMatterLine(v.Line), Err: fmt.Errorf("%w: front matter: "+format, append([]any{ErrMalformed}, args...)...)}
		}
		if seen[key] {
			return &FileError{Line: frontMatterLine(k.Line), Err: fmt.Errorf("%w: front matter: duplicate key %q", ErrMalformed, key)}
		}
		seen[key] = true
		if key == "authors" {
			switch v.Kind {
			case yaml.ScalarNode:
				if v.Tag != "!!null" {
					d.authors = []string{v.Value}
				}
			case yaml.SequenceNode:
				for _, a := range v.Content {
					a = resolveAlias(a)
					if a.Kind != yaml.ScalarNode {
						return fail("authors: want a list of strings")
					}
					d.authors = append(d.authors, a.Value)
				}
			default:
				return fail("authors: want a string or a list of strings")
			}
			continue
		}
		if v.Kind != yaml.ScalarNode {
			return fail("%s: want a string", key)
		}
		s := v.Value
		if v.Tag == "!!null" {
			s = ""
		}
		var err error
		switch key {
		case "id":
			d.id = s
		case "title":
			d.title = s
		case "lang":
			d.lang = s
		case "url":
			d.url = s
		case "summary":
			d.summary = s
		case "published":
			d.published, err = parseDate(key, s)
		case "updated":
			d.updated, err = parseDate(key, s)
		}
		if err != nil {
			return &FileError{Line: frontMatterLine(v.Line), Err: err}
		}
	}
	return nil
}

// resolveAlias follows a YAML alias to the node it names. Aliases never
// name aliases, so one step suffices.
func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// markdownTitle returns the text of the first level 1 heading of a
// markdown body, or "".
func markdownTitle(body []byte) string {
	doc := goldmark.DefaultParser().Parse(text.NewReader(body))
	var title string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if h, ok := n.(*ast.Heading); ok {
			if h.Level != 1 {
				return ast.WalkSkipChildren, nil
			}
			var b strings.Builder
			inlineText(&b, h, body)
			title = collapseSpace(b.String())
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return title
}

// inlineText appends the plain text of n's inline descendants to b.
func inlineText(b *strings.Builder, n ast.Node, src []byte) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.Write(segmentText(nil, c.Segment, src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.AutoLink:
			b.Write(c.Label(src))
		case *ast.RawHTML:
			// Markup, not text.
		default:
			inlineText(b, c, src)
		}
	}
}

// checkMarkdownCost rejects markdown bodies that would make goldmark
// take superlinear time, before goldmark sees them. goldmark's parse time
// grows with the square of block nesting (40,000 nested lists in 80 KB
// take seconds), and each unmatched "[" or "<" can scan to the end of its
// paragraph ("[a](" repeated over 256 KB takes half a minute). So:
//
//   - no line may open more than maxMarkdownNesting blocks: one per block
//     quote or list marker before its text, plus one list level per two
//     columns of indentation before the last marker;
//   - the sum, over runs of non-blank lines (paragraphs never span a blank
//     line), of the run's length times its number of "[" and "<", may not
//     exceed maxMarkdownWork.
//
// The error is a *FileError with a line of body and no path.
func checkMarkdownCost(body []byte) error {
	var work, runLen, runOpeners int64
	runStart := 0
	for n := 1; len(body) > 0; n++ {
		line, rest, _ := bytes.Cut(body, []byte("\n"))
		body = rest
		if len(bytes.Trim(line, " \t\r")) == 0 {
			work += runLen * runOpeners
			runLen, runOpeners = 0, 0
			continue
		}
		if runLen == 0 {
			runStart = n
		}
		runLen += int64(len(line)) + 1
		runOpeners += int64(bytes.Count(line, []byte("[")) + bytes.Count(line, []byte("<")))
		if work+runLen*runOpeners > maxMarkdownWork {
			return &FileError{Line: runStart, Err: fmt.Errorf("%w: markdown too complex: too many \"[\" and \"<\" in long paragraphs", ErrTooLarge)}
		}
		if lineNesting(line) > maxMarkdownNesting {
			return &FileError{Line: n, Err: fmt.Errorf("%w: markdown nested deeper than %d blocks", ErrMalformed, maxMarkdownNesting)}
		}
	}
	return nil
}

// lineNesting returns how many blocks a markdown line may open: its block
// quote and list markers before the text, plus half the columns of white
// space before the last marker.
func lineNesting(line []byte) int {
	markers, cols, colsAtMarker := 0, 0, 0
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ':
			cols++
			i++
			continue
		case c == '\t':
			cols += 4
			i++
			continue
		case c == '>':
			i++
		case c == '-' || c == '*' || c == '+':
			i++
		case '0' <= c && c <= '9':
			j := i
			for j < len(line) && j-i < 9 && '0' <= line[j] && line[j] <= '9' {
				j++
			}
			if j == len(line) || line[j] != '.' && line[j] != ')' {
				return markers + colsAtMarker/2
			}
			i = j + 1
		default:
			return markers + colsAtMarker/2
		}
		if c := line[i-1]; c != '>' && i < len(line) && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' {
			break // "-x" or "1.x" is text, not a list marker
		}
		markers++
		colsAtMarker = cols
	}
	return markers + colsAtMarker/2
}

// CheckMarkdown reports whether goldmark can render body in about linear
// time: the nesting and work bounds ParseMarkdown applies, for a reader
// about to render a Markdown body from a bundle it did not pack.
func CheckMarkdown(body []byte) error {
	if len(body) > maxMarkdownFileSize {
		return fmt.Errorf("%w: markdown longer than %d bytes", ErrTooLarge, maxMarkdownFileSize)
	}
	return checkMarkdownCost(body)
}
