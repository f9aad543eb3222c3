package web

import (
	"bytes"
	"html"
	"net/url"
	"path"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
	"github.com/yuin/goldmark"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// externalRel is the rel of every link off the reader: the reader must
// choose to follow it, and the publisher's site learns nothing of where
// they came from.
const externalRel = "noreferrer noopener nofollow"

// renderer turns an article body into safe HTML. It is safe for
// concurrent use.
type renderer struct {
	policy *bluemonday.Policy
	md     goldmark.Markdown
}

func newRenderer() *renderer {
	// UGCPolicy: formatting, lists, tables, links and images; no scripts,
	// styles, forms, frames, objects, event handlers or style attributes,
	// and only http, https and mailto URLs. Its output is then rewritten
	// by rewrite, which keeps only images of the article's own
	// attachments.
	p := bluemonday.UGCPolicy()
	p.AllowRelativeURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AllowAttrs("lang", "dir").Globally()
	return &renderer{
		policy: p,
		// Raw HTML in Markdown is kept here and sanitized with the rest.
		md: goldmark.New(goldmark.WithRendererOptions(gmhtml.WithUnsafe())),
	}
}

// render returns an article's body, of the given content type, as
// sanitized HTML. atts are the article's attachments (their names and
// types: their bytes are not needed) and attURL maps an attachment name to
// its URL on the reader.
func (r *renderer) render(contentType string, body []byte, atts []bundle.AttachmentInfo, attURL func(name string) string) string {
	switch contentType {
	case "text/html":
	case "text/markdown":
		// goldmark takes superlinear time on deep nesting and on many "["
		// in long paragraphs: such a body is shown as text.
		if ingest.CheckMarkdown(body) != nil {
			return plainHTML(body)
		}
		var buf bytes.Buffer
		if err := r.md.Convert(body, &buf); err != nil {
			return plainHTML(body)
		}
		body = buf.Bytes()
	default: // text/plain and anything unknown: shown as text
		return plainHTML(body)
	}
	clean := r.policy.SanitizeBytes(body)
	return rewrite(clean, atts, attURL)
}

// plainHTML escapes text and makes paragraphs of its blank-line-separated
// blocks, line breaks of its single newlines.
func plainHTML(body []byte) string {
	text := strings.ReplaceAll(string(bytes.ToValidUTF8(body, []byte("\uFFFD"))), "\r\n", "\n")
	var b strings.Builder
	for _, para := range strings.Split(text, "\n\n") {
		para = strings.Trim(para, "\n")
		if strings.TrimSpace(para) == "" {
			continue
		}
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>\n")
			}
			b.WriteString(html.EscapeString(line))
		}
		b.WriteString("</p>\n")
	}
	return b.String()
}

// rewrite edits sanitized HTML: an image stays only if it names one of the
// article's attachments of a type in inlineImages, and then points at the reader's copy;
// every other image is replaced by its alt text. Links to attachments
// point at the reader's copy; other relative links lose their href (they
// name the publisher's site layout, not anything here); absolute links
// get externalRel. Attributes that could load anything (srcset) go.
func rewrite(clean []byte, atts []bundle.AttachmentInfo, attURL func(string) string) string {
	ctx := &xhtml.Node{Type: xhtml.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := xhtml.ParseFragment(bytes.NewReader(clean), ctx)
	if err != nil {
		// Nested beyond what the parser accepts (512 open elements).
		return "<p>[This article's markup is nested too deeply to show.]</p>"
	}
	find := func(ref string) (bundle.AttachmentInfo, bool) {
		u, err := url.Parse(strings.TrimSpace(ref))
		if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || strings.HasPrefix(u.Path, "/") || u.Path == "" {
			return bundle.AttachmentInfo{}, false
		}
		name := path.Clean(u.Path)
		for _, a := range atts {
			if a.Name == name {
				return a, true
			}
		}
		return bundle.AttachmentInfo{}, false
	}
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == xhtml.ElementNode {
				switch c.DataAtom {
				case atom.Img:
					src := attr(c, "src")
					if a, ok := find(src); ok && inlineImages[a.ContentType] {
						setAttr(c, "src", attURL(a.Name))
						delAttr(c, "srcset")
					} else {
						// Not the article's own: nothing is fetched; the
						// alt text, if any, stands in.
						alt := attr(c, "alt")
						if alt != "" {
							n.InsertBefore(&xhtml.Node{Type: xhtml.TextNode, Data: "[" + alt + "]"}, c)
						}
						n.RemoveChild(c)
						c = next
						continue
					}
				case atom.A:
					rewriteLink(c, find, attURL)
					delAttr(c, "target")
				}
			}
			walk(c)
			c = next
		}
	}
	var b strings.Builder
	for _, n := range nodes {
		root := &xhtml.Node{Type: xhtml.DocumentNode}
		root.AppendChild(n)
		walk(root)
		for c := root.FirstChild; c != nil; c = c.NextSibling {
			if err := xhtml.Render(&b, c); err != nil {
				return ""
			}
		}
	}
	return b.String()
}

// rewriteLink edits one sanitized link: an anchor stays; an absolute
// link gets externalRel; a link to an attachment points at the reader's
// copy; any other relative link loses its href.
func rewriteLink(c *xhtml.Node, find func(string) (bundle.AttachmentInfo, bool), attURL func(string) string) {
	href := strings.TrimSpace(attr(c, "href"))
	u, err := url.Parse(href)
	switch {
	case href == "" || err != nil:
		delAttr(c, "href")
	case strings.HasPrefix(href, "#"):
		// An anchor within the article.
	case u.Scheme != "" || u.Host != "":
		setAttr(c, "rel", externalRel)
	default:
		if a, ok := find(href); ok {
			setAttr(c, "href", attURL(a.Name))
		} else {
			delAttr(c, "href")
		}
		delAttr(c, "rel")
	}
}

func attr(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

func setAttr(n *xhtml.Node, key, val string) {
	for i, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, xhtml.Attribute{Key: key, Val: val})
}

func delAttr(n *xhtml.Node, key string) {
	out := n.Attr[:0]
	for _, a := range n.Attr {
		if a.Namespace != "" || a.Key != key {
			out = append(out, a)
		}
	}
	n.Attr = out
}
