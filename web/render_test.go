package web

import (
	"strings"
	"testing"

	"github.com/samizdat/samizdat/bundle"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func TestSanitize(t *testing.T) {
	r := newRenderer()
	atts := []bundle.AttachmentInfo{
		{Name: "img/photo.png", ContentType: "image/png"},
		{Name: "report.pdf", ContentType: "application/pdf"},
		{Name: "vector.svg", ContentType: "image/svg+xml"},
	}
	attURL := func(name string) string { return "/att/ROOT/ID/" + name }
	for _, tc := range []struct {
		name, ct, in string
		want         []string // each in the output
		not          []string // none in the output
	}{
		{"script", "text/html", `<p>a</p><script>alert(1)</script>`, []string{"<p>a</p>"}, []string{"script", "alert"}},
		{"iframe", "text/html", `<iframe src="https://tracker.example/f"></iframe>x`, []string{"x"}, []string{"iframe", "tracker"}},
		{"form", "text/html", `<form action="https://tracker.example/p"><input name=q><button>go</button></form>`, nil, []string{"<form", "<input", "<button", "tracker"}},
		{"remote image", "text/html", `<img src="https://tracker.example/x.png" alt="pic">`, []string{"[pic]"}, []string{"<img", "tracker"}},
		{"protocol-relative image", "text/html", `<img src="//tracker.example/x.png">`, nil, []string{"<img", "tracker"}},
		{"data image", "text/html", `<img src="data:image/png;base64,AAAA">`, nil, []string{"<img", "data:"}},
		{"own image", "text/html", `<img src="img/photo.png" alt="p">`, []string{`<img src="/att/ROOT/ID/img/photo.png" alt="p"/>`}, nil},
		{"own image dot slash", "text/html", `<img src="./img/photo.png">`, []string{`src="/att/ROOT/ID/img/photo.png"`}, nil},
		{"own image with remote srcset", "text/html", `<img src="img/photo.png" srcset="https://tracker.example/2x.png 2x">`, []string{`src="/att/ROOT/ID/img/photo.png"`}, []string{"srcset", "tracker"}},
		{"image of a non-image attachment", "text/html", `<img src="report.pdf">`, nil, []string{"<img"}},
		{"svg attachment as image", "text/html", `<img src="vector.svg">`, nil, []string{"<img"}},
		{"image escaping upwards", "text/html", `<img src="../img/photo.png">`, nil, []string{"<img"}},
		{"absolute path image", "text/html", `<img src="/img/photo.png">`, nil, []string{"<img"}},
		{"stylesheet link", "text/html", `<link rel=stylesheet href="https://cdn.example/x.css"><p>t</p>`, []string{"<p>t</p>"}, []string{"<link", "cdn.example"}},
		{"style element", "text/html", `<style>@import url(https://cdn.example/x.css)</style>t`, []string{"t"}, []string{"style", "cdn.example"}},
		{"style attribute", "text/html", `<p style="background:url(https://tracker.example/b.png)">t</p>`, []string{"<p>t</p>"}, []string{"style", "tracker"}},
		{"javascript link", "text/html", `<a href="javascript:alert(1)">x</a>`, []string{"x"}, []string{"javascript", "href"}},
		{"vbscript link", "text/html", `<a href="vbscript:msgbox(1)">x</a>`, nil, []string{"vbscript", "href"}},
		{"data link", "text/html", `<a href="data:text/html,<script>alert(1)</script>">x</a>`, nil, []string{"data:", "script"}},
		{"svg onload", "text/html", `<svg onload="alert(1)"><image href="https://tracker.example/i.png"/></svg>`, nil, []string{"svg", "onload", "tracker"}},
		{"math", "text/html", `<math><mi xlink:href="https://tracker.example/">x</mi></math>`, nil, []string{"tracker", "<math"}},
		{"event handlers", "text/html", `<p onclick="alert(1)" onmouseover="x()">t</p>`, []string{"<p>t</p>"}, []string{"onclick", "onmouseover"}},
		{"object embed", "text/html", `<object data="https://tracker.example/o"></object><embed src="https://tracker.example/e">`, nil, []string{"object", "embed", "tracker"}},
		{"media", "text/html", `<video src="https://t.example/v.mp4" poster="https://t.example/p.png"></video><audio src="https://t.example/a.mp3"></audio>`, nil, []string{"video", "audio", "t.example"}},
		{"meta refresh", "text/html", `<meta http-equiv="refresh" content="0;url=https://t.example/">`, nil, []string{"meta", "t.example"}},
		{"base", "text/html", `<base href="https://t.example/"><a href="x">y</a>`, nil, []string{"base", "t.example"}},
		{"table background", "text/html", `<table background="https://t.example/b.png"><tr><td>c</td></tr></table>`, []string{"<td>c</td>"}, []string{"background", "t.example"}},
		{"remote link", "text/html", `<a href="https://elsewhere.example/s" target="_blank">s</a>`, []string{`<a href="https://elsewhere.example/s" rel="noreferrer noopener nofollow">s</a>`}, []string{"target"}},
		{"attachment link", "text/html", `<a href="report.pdf">pdf</a>`, []string{`<a href="/att/ROOT/ID/report.pdf">pdf</a>`}, nil},
		{"site-relative link", "text/html", `<a href="/about">a</a>`, []string{"<a>a</a>"}, []string{"/about"}},
		{"anchor link", "text/html", `<a href="#notes">n</a>`, []string{`href="#notes"`}, nil},
		{"full document", "text/html", `<html><head><title>T</title><script src="https://t.example/s.js"></script></head><body><p>b</p></body></html>`, []string{"<p>b</p>"}, []string{"t.example", "<title", "<script", "<html", "<body"}},
		{"lang and dir kept", "text/html", `<p lang="ar" dir="rtl">مرحبا</p>`, []string{`<p lang="ar" dir="rtl">مرحبا</p>`}, nil},
		{"markdown raw html", "text/markdown", "# T\n\n<script>alert(1)</script>\n\n<iframe src=\"https://t.example\"></iframe>\n\n**b**", []string{"<h1", "<strong>b</strong>"}, []string{"script", "iframe", "t.example"}},
		{"markdown remote image", "text/markdown", "![x](https://t.example/x.png)", []string{"[x]"}, []string{"<img", "t.example"}},
		{"markdown own image", "text/markdown", "![x](img/photo.png)", []string{`<img src="/att/ROOT/ID/img/photo.png" alt="x"/>`}, nil},
		{"markdown javascript link", "text/markdown", "[x](javascript:alert(1))", nil, []string{"javascript"}},
		{"markdown link", "text/markdown", "[x](https://e.example/)", []string{`rel="noreferrer noopener nofollow"`}, nil},
		{"plain text escaped", "text/plain", "<script>alert(1)</script>\n\n<b>x</b> & y", []string{"<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "<p>&lt;b&gt;x&lt;/b&gt; &amp; y</p>"}, []string{"<script", "<b>"}},
		{"plain text lines", "text/plain", "a\nb\n\n\nc", []string{"<p>a<br>\nb</p>\n<p>c</p>"}, nil},
		{"unknown type as text", "application/json", `{"a":"<img src=x>"}`, []string{"&lt;img"}, []string{"<img"}},
		{"markdown nested too deep is text", "text/markdown", strings.Repeat("> ", 100) + "x", []string{"<p>&gt; &gt; &gt;"}, []string{"<blockquote"}},
		{"html nested too deep", "text/html", strings.Repeat("<div>", 1000) + "x", []string{"nested too deeply"}, nil},
		{"invalid utf-8", "text/plain", "a\xffb", []string{"a\uFFFDb"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := r.render(tc.ct, []byte(tc.in), atts, attURL)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("render(%.60q) = %q, lacks %q", tc.in, got, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(strings.ToLower(got), strings.ToLower(n)) {
					t.Errorf("render(%.60q) = %q, contains %q", tc.in, got, n)
				}
			}
		})
	}
}

// FuzzRender: whatever a body holds, the rendered HTML has only allowed
// elements, no event handlers or style attributes, images only of the
// article's attachments, and links only to attachments, anchors or
// absolute http, https and mailto addresses with externalRel.
func FuzzRender(f *testing.F) {
	f.Add(uint8(0), evilHTML)
	f.Add(uint8(1), "# T\n\n<script>x</script>![a](img/photo.png)[l](https://e.example/)")
	f.Add(uint8(2), "plain <b>text</b>\n\npara")
	f.Add(uint8(0), `<a href="img/photo.png">p</a><img src="img/photo.png"><a href=" javascript:x">j</a>`)
	r := newRenderer()
	atts := []bundle.AttachmentInfo{{Name: "img/photo.png", ContentType: "image/png"}}
	attURL := func(name string) string { return "/att/ROOT/ID/" + name }
	allowed := map[string]bool{}
	for _, e := range strings.Fields(`a abbr acronym address article aside b bdi bdo big blockquote br caption center cite code col colgroup dd del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr i img ins kbd li mark nav ol p pre q rp rt ruby s samp section small span strike strong sub summary sup table tbody td tfoot th thead time tr tt u ul var wbr`) {
		allowed[e] = true
	}
	f.Fuzz(func(t *testing.T, kind uint8, body string) {
		ct := []string{"text/html", "text/markdown", "text/plain"}[int(kind)%3]
		out := r.render(ct, []byte(body), atts, attURL)
		nodes, err := xhtml.ParseFragment(strings.NewReader(out), &xhtml.Node{Type: xhtml.ElementNode, Data: "div", DataAtom: atom.Div})
		if err != nil {
			t.Fatal(err)
		}
		var check func(n *xhtml.Node)
		check = func(n *xhtml.Node) {
			if n.Type == xhtml.ElementNode {
				if !allowed[n.Data] {
					t.Fatalf("element <%s> in %q", n.Data, out)
				}
				for _, a := range n.Attr {
					k := strings.ToLower(a.Key)
					switch {
					case strings.HasPrefix(k, "on"), k == "style", k == "srcset", k == "background", k == "poster", k == "formaction", k == "xlink:href":
						t.Fatalf("attribute %s in %q", k, out)
					case k == "src" && !(n.Data == "img" && a.Val == "/att/ROOT/ID/img/photo.png"):
						t.Fatalf("src %q in %q", a.Val, out)
					case k == "href":
						v := strings.ToLower(strings.TrimSpace(a.Val))
						scheme, _, _ := strings.Cut(v, ":")
						ok := strings.HasPrefix(v, "#") || v == "/att/root/id/img/photo.png" ||
							((scheme == "http" || scheme == "https" || scheme == "mailto" || strings.HasPrefix(v, "//")) && attr(n, "rel") == externalRel)
						if !ok || n.Data != "a" {
							t.Fatalf("href %q (rel %q) on <%s> in %q", a.Val, attr(n, "rel"), n.Data, out)
						}
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				check(c)
			}
		}
		for _, n := range nodes {
			check(n)
		}
	})
}
