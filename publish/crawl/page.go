package crawl

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

// pageArticle extracts the article of a fetched page (ingest.ParsePage)
// and attaches its images. A body that is not HTML by its bytes is
// ErrNotHTML, whatever its Content-Type says.
func (f *Fetcher) pageArticle(ctx context.Context, r *response, site string, io ingest.Options, warn func(ingest.Warning)) (*bundle.Article, error) {
	if int64(len(r.body)) > f.o.MaxPage {
		return nil, fmt.Errorf("%w: page of %d bytes, limit %d", ingest.ErrTooLarge, len(r.body), f.o.MaxPage)
	}
	if !isHTML(r) {
		return nil, fmt.Errorf("%w: %w: %s", ingest.ErrMalformed, ErrNotHTML, http.DetectContentType(r.body))
	}
	po := io
	po.Warn = warn
	a, err := ingest.ParsePage(r.body, r.url, r.contentType, po)
	if err != nil {
		return nil, err
	}
	f.attachImages(ctx, a, r.url, site, warn)
	// The Content-Type too: its charset decides the text the bytes make.
	a.Source = ingest.NewSource("page").Text(r.url.String()).Text(r.contentType).Flag(io.KeepPage).
		Bytes(r.body).Attachments(a.Attachments).Sum()
	return a, nil
}

// isHTML reports whether a fetched body is an HTML page: its bytes sniff
// as HTML, or as text (a page that opens with something the sniffer does
// not know, like <meta>) served as HTML. Binary content never is.
func isHTML(r *response) bool {
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(r.body))
	if sniffed == "text/html" {
		return true
	}
	said, _, _ := mime.ParseMediaType(r.contentType)
	return sniffed == "text/plain" && (said == "text/html" || said == "application/xhtml+xml")
}

// textLength returns the characters of text in an article body, for
// telling a summary from the article; markup is not counted.
func textLength(contentType string, body []byte) int {
	if contentType != "text/html" {
		return utf8.RuneCount(bytes.TrimSpace(body))
	}
	n := 0
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return n
		case html.TextToken:
			n += utf8.RuneCount(bytes.TrimSpace(z.Text()))
		}
	}
}

// attachImages fetches the images a's HTML body shows (<img src>, the
// lead image among them): the first Options.MaxImages of them, whether
// they turn out attached or not (one warning stands for the rest), each
// capped at MaxImage, on the site or an allowed host, and checked to be
// an image by its bytes; it attaches them and points the body at the attachments.
// An image that cannot be had is an Unattached warning and keeps its
// (absolute) URL.
func (f *Fetcher) attachImages(ctx context.Context, a *bundle.Article, base *url.URL, site string, warn func(ingest.Warning)) {
	if a.ContentType != "text/html" {
		return
	}
	names := make(map[string]string) // src as written → attachment name
	srcs := imageSources(a.Body)
	for i, src := range srcs {
		skip := func(err error) {
			if ctx.Err() == nil {
				warn(ingest.Warning{Kind: ingest.Unattached, Path: a.URL, Field: src, Err: err})
			}
		}
		if i == f.o.MaxImages { // tried, not attached: failures cost requests too
			skip(fmt.Errorf("%w: this and %d more images past the first %d", ingest.ErrTooLarge, len(srcs)-i-1, f.o.MaxImages))
			break
		}
		u, err := base.Parse(src)
		if err != nil {
			skip(fmt.Errorf("%w: %v", ingest.ErrBadReference, err))
			continue
		}
		r, err := f.get(ctx, u, kindImage, site)
		if err != nil {
			skip(err)
			continue
		}
		ct, err := imageType(r)
		if err != nil {
			skip(err)
			continue
		}
		name := imageName(u, ct)
		if !hasAttachment(a, name) {
			a.Attachments = append(a.Attachments, bundle.Attachment{Name: name, ContentType: ct, Data: r.body})
		}
		names[src] = name
	}
	a.Body = rewriteImages(a.Body, base, names)
}

func hasAttachment(a *bundle.Article, name string) bool {
	for _, at := range a.Attachments {
		if at.Name == name {
			return true
		}
	}
	return false
}

// imageSources returns the src of every <img> in body, once each, in
// order; inline data: images are part of the body already.
func imageSources(body []byte) []string {
	var out []string
	seen := make(map[string]bool)
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		if name, hasAttr := z.TagName(); string(name) != "img" || !hasAttr {
			continue
		}
		for {
			k, v, more := z.TagAttr()
			src := strings.TrimSpace(string(v))
			if string(k) == "src" && src != "" && !seen[src] && !strings.HasPrefix(strings.ToLower(src), "data:") {
				seen[src] = true
				out = append(out, src)
			}
			if !more {
				break
			}
		}
	}
}

// rewriteImages points each <img> whose src names maps at its
// attachment, dropping srcset and sizes (the attachment is the one
// image), and makes the src of the others absolute against base, so that
// what was not attached is at least not a broken relative link.
func rewriteImages(body []byte, base *url.URL, names map[string]string) []byte {
	var out bytes.Buffer
	out.Grow(len(body))
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.Bytes()
		}
		raw := z.Raw()
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			out.Write(raw)
			continue
		}
		if len(raw) < 4 || !bytes.EqualFold(raw[1:4], []byte("img")) {
			out.Write(raw) // cheap test first: Token allocates
			continue
		}
		if t := z.Token(); t.Data == "img" {
			out.WriteString(imgTag(t, base, names))
		} else {
			out.Write(raw) // <imgx>, say
		}
	}
}

// imgTag returns t, an <img>, with its src rewritten (see rewriteImages).
func imgTag(t html.Token, base *url.URL, names map[string]string) string {
	attrs := t.Attr[:0]
	var attached bool
	for _, at := range t.Attr {
		if at.Namespace == "" && at.Key == "src" {
			src := strings.TrimSpace(at.Val)
			if n, ok := names[src]; ok {
				at.Val, attached = n, true
			} else if u, err := base.Parse(src); err == nil && src != "" && !strings.HasPrefix(strings.ToLower(src), "data:") {
				at.Val = u.String()
			}
		}
		attrs = append(attrs, at)
	}
	if attached {
		kept := attrs[:0]
		for _, at := range attrs {
			if at.Key != "srcset" && at.Key != "sizes" {
				kept = append(kept, at)
			}
		}
		attrs = kept
	}
	t.Attr = attrs
	return t.String()
}

// imageExt is the file extension for each image type the sniffer knows.
var imageExt = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
	"image/bmp": ".bmp", "image/x-icon": ".ico", "image/avif": ".avif",
}

// imageType returns the media type of a fetched image, judged by its
// bytes. Anything the sniffer does not take for an image is refused (SVG
// among them: it can hold scripts), and so is an image whose
// Content-Type names another image type than its bytes are.
func imageType(r *response) (string, error) {
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(r.body))
	if _, ok := imageExt[sniffed]; !ok {
		return "", fmt.Errorf("%w: %w: the bytes are %s", ingest.ErrBadReference, ErrNotImage, sniffed)
	}
	said, _, _ := mime.ParseMediaType(r.contentType)
	if said == "image/jpg" || said == "image/pjpeg" {
		said = "image/jpeg"
	}
	if strings.HasPrefix(said, "image/") && said != sniffed {
		return "", fmt.Errorf("%w: %w: served as %s, the bytes are %s", ingest.ErrBadReference, ErrNotImage, said, sniffed)
	}
	return sniffed, nil
}

// imageName returns the attachment name of the image at u of type ct:
// "img/" + the URL's file name (letters, digits, "-" and "_" kept) + "-"
// + 8 hex digits of the URL's SHA-256 + the type's extension. The same
// URL always gets the same name, so an unchanged article packs to the
// same blocks; two images of the same file name do not collide.
func imageName(u *url.URL, ct string) string {
	stem := strings.TrimSuffix(path.Base(u.Path), path.Ext(u.Path))
	var b strings.Builder
	for _, c := range stem {
		if b.Len() >= maxImageStem {
			break
		}
		if c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		b.WriteString("image")
	}
	h := sha256.Sum256([]byte(u.String()))
	return "img/" + b.String() + "-" + hex.EncodeToString(h[:4]) + imageExt[ct]
}
