package ingest

import (
	"bytes"
	"mime"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
	"golang.org/x/net/html"
)

// References returns the relative local references that a markdown or
// HTML body makes to images and media, as written, in document order and
// without exact duplicates. Remote URLs (with a scheme, or starting with
// "//"), data: URIs, fragment-only or query-only references and absolute
// paths are not references. Other content types have none.
//
// Markdown: image destinations, and the HTML rules below applied to raw
// HTML in the markdown; a body too complex for ParseMarkdown has none. HTML: src of img, source, video and audio, poster
// of video, and every URL of srcset on img and source.
func References(contentType string, body []byte) []string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil
	}
	var refs refSet
	switch mt {
	case typeMarkdown:
		markdownRefs(&refs, body)
	case typeHTML:
		htmlRefs(&refs, body)
	}
	return refs.list
}

// refSet collects local references in order, once each.
type refSet struct {
	list []string
	seen map[string]bool
}

func (s *refSet) add(ref string) {
	ref = strings.Trim(ref, asciiSpace)
	if !isLocalRef(ref) || s.seen[ref] {
		return
	}
	if s.seen == nil {
		s.seen = make(map[string]bool)
	}
	s.seen[ref] = true
	s.list = append(s.list, ref)
}

// asciiSpace is the white space that URL parsers strip from attribute
// values.
const asciiSpace = " \t\n\f\r"

// isLocalRef reports whether ref is a relative reference to a local file.
func isLocalRef(ref string) bool {
	switch {
	case ref == "",
		strings.HasPrefix(ref, "/"), // absolute path, or "//host" network path
		strings.HasPrefix(ref, `\`), // browsers read "\" as "/"
		hasScheme(ref):
		return false
	}
	p, _, _ := strings.Cut(ref, "#")
	p, _, _ = strings.Cut(p, "?")
	return p != ""
}

// hasScheme reports whether ref starts with a URL scheme and colon
// (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":").
func hasScheme(ref string) bool {
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// markdownRefs adds the image destinations of a markdown body, and the
// references in its raw HTML.
func markdownRefs(refs *refSet, body []byte) {
	// Every image ("![") and every raw HTML tag ("<") is visible without
	// parsing; most articles have neither, and goldmark is the slowest
	// step of ingest.
	if !bytes.Contains(body, []byte("![")) && !bytes.ContainsRune(body, '<') {
		return
	}
	if checkMarkdownCost(body) != nil {
		return // ParseMarkdown rejects such bodies; do not stall on them
	}
	doc := goldmark.DefaultParser().Parse(text.NewReader(body))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Image:
			refs.add(string(n.Destination))
		case *ast.RawHTML:
			htmlRefs(refs, segmentsText(nil, n.Segments, body))
		case *ast.HTMLBlock:
			raw := segmentsText(nil, n.Lines(), body)
			if n.HasClosure() {
				raw = segmentText(raw, n.ClosureLine, body)
			}
			htmlRefs(refs, raw)
		}
		return ast.WalkContinue, nil
	})
}

// htmlRefs adds the image and media references of an HTML fragment.
func htmlRefs(refs *refSet, body []byte) {
	_ = scanHTML(body, func(t *htmlToken) error {
		if t.typ != html.StartTagToken && t.typ != html.SelfClosingTagToken {
			return nil
		}
		switch t.name {
		case "img", "source":
			refs.add(t.attr("src"))
			for _, u := range srcsetURLs(t.attr("srcset")) {
				refs.add(u)
			}
		case "video":
			refs.add(t.attr("src"))
			refs.add(t.attr("poster"))
		case "audio":
			refs.add(t.attr("src"))
		}
		return nil
	})
}

// srcsetURLs returns the URLs of the image candidates in a srcset
// attribute ("a.png 1x, b.png 2x"), following the candidate syntax of the
// HTML standard: a URL, then optional descriptors up to a comma.
func srcsetURLs(s string) []string {
	var urls []string
	for {
		s = strings.TrimLeft(s, asciiSpace+",")
		if s == "" {
			return urls
		}
		end := strings.IndexAny(s, asciiSpace)
		if end < 0 {
			end = len(s)
		}
		u := s[:end]
		s = s[end:]
		if strings.HasSuffix(u, ",") {
			u = strings.TrimRight(u, ",")
		} else {
			// Skip descriptors, which may contain parentheses with commas.
			depth, i := 0, 0
			for ; i < len(s); i++ {
				if c := s[i]; c == '(' {
					depth++
				} else if c == ')' && depth > 0 {
					depth--
				} else if c == ',' && depth == 0 {
					break
				}
			}
			s = s[i:]
		}
		if u != "" {
			urls = append(urls, u)
		}
	}
}

// segmentText appends the source bytes of seg to dst. It does not use
// goldmark's Segment.Value, which may append to a slice of src and so
// write into the article body.
func segmentText(dst []byte, seg text.Segment, src []byte) []byte {
	if seg.Start < 0 || seg.Start > seg.Stop || seg.Stop > len(src) {
		return dst
	}
	return append(dst, src[seg.Start:seg.Stop]...)
}

// segmentsText appends the source bytes of every segment of segs to dst.
func segmentsText(dst []byte, segs *text.Segments, src []byte) []byte {
	for i := range segs.Len() {
		dst = segmentText(dst, segs.At(i), src)
	}
	return dst
}
