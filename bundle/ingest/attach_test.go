package ingest_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

func TestWalkAttachments(t *testing.T) {
	dir := t.TempDir()
	story := strings.Join([]string{
		"# Flood defences hold",
		"![ok](img/ok.png)",
		"![same again](img/ok.png)",
		"![same, cleaned](./img/../img/ok.png?v=2#top)",
		"![escaped name](img/%C3%A9t%C3%A9.png)",
		"![leaves the article's directory](../shared/logo.png)",
		"![escapes the root](../../outside/secret.png)",
		"![link out of the root](img/leak.png)",
		"![link inside the root](img/inside.png)",
		"![missing](img/missing.png)",
		"![a directory](img)",
		"![remote](https://example.org/r.png) ![network path](//cdn.example.org/p.png)",
		"![data](data:image/png;base64,iVBORw0KGgo=) ![absolute](/etc/hostname) ![fragment](#top)",
		`Inline <img src="img/raw.gif" alt="raw html"> image.`,
		"",
	}, "\n")
	page := `<html><body>
<img src="pic.jpg"><img src="pic.jpg">
<video src="clip.mp4" poster="poster.webp"></video>
<audio src="https://radio.example.org/live.mp3"></audio>
<img srcset="pic.jpg 1x, pic-2x.jpg 2x">
</body></html>`
	writeFiles(t, dir, map[string]string{
		"in/a/story.md":      story,
		"in/a/img/ok.png":    "png bytes",
		"in/a/img/été.png":   "accented png",
		"in/a/img/raw.gif":   "gif bytes",
		"in/shared/logo.png": "logo",
		"in/b/page.html":     page,
		"in/b/pic.jpg":       "jpeg bytes",
		"in/b/clip.mp4":      "video bytes",
		"in/b/poster.webp":   "webp bytes",
		"outside/secret.png": "secret",
	})
	in := filepath.Join(dir, "in")
	links := map[string]string{
		"in/a/img/leak.png":   filepath.Join(dir, "outside", "secret.png"),
		"in/a/img/inside.png": "../../shared/logo.png",
	}
	for link, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Skipf("symlinks unsupported: %v", err)
		}
	}

	// The page is all media and no text: kept whole, as extraction would
	// skip it (extracted pages: TestWalkPages).
	arts, ws, err := walkWith(t, ingest.Options{KeepPage: true}, in)
	if err != nil {
		t.Fatalf("Walk() error = %v", err)
	}
	got := make(map[string][]bundle.Attachment)
	for _, a := range arts {
		got[a.ID] = a.Attachments
	}
	want := map[string][]bundle.Attachment{
		"a/story.md": {
			{Name: "img/ok.png", ContentType: "image/png", Data: []byte("png bytes")},
			{Name: "img/été.png", ContentType: "image/png", Data: []byte("accented png")},
			{Name: "img/inside.png", ContentType: "image/png", Data: []byte("logo")},
			{Name: "img/raw.gif", ContentType: "image/gif", Data: []byte("gif bytes")},
		},
		"b/page.html": {
			{Name: "pic.jpg", ContentType: "image/jpeg", Data: []byte("jpeg bytes")},
			{Name: "clip.mp4", ContentType: "video/mp4", Data: []byte("video bytes")},
			{Name: "poster.webp", ContentType: "image/webp", Data: []byte("webp bytes")},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attachments mismatch (-want +got):\n%s", diff)
	}

	// Every bad reference is skipped with a warning naming the article
	// and the reference; remote and absolute ones are not references.
	wantSkipped := map[string][]string{
		filepath.Join(in, "a", "story.md"):  {"../shared/logo.png", "../../outside/secret.png", "img/leak.png", "img/missing.png", "img"},
		filepath.Join(in, "b", "page.html"): {"pic-2x.jpg"},
	}
	gotSkipped := make(map[string][]string)
	for _, w := range ws {
		for _, ref := range wantSkipped[w.Path] {
			if w.Kind == ingest.Unattached && w.Field == ref && strings.Contains(w.Str, "reference "+strconv.Quote(ref)+": ") {
				gotSkipped[w.Path] = append(gotSkipped[w.Path], ref)
			}
		}
	}
	if diff := cmp.Diff(wantSkipped, gotSkipped); diff != "" {
		t.Errorf("skipped references mismatch (-want +got):\n%s\nwarnings: %+v", diff, ws)
	}
	if len(ws) != 6 {
		t.Errorf("Walk() gave %d warnings, want 6: %+v", len(ws), ws)
	}
}

// TestWalkFileInput: a file named as an input is named by its base name,
// and its directory is the root for its attachments.
func TestWalkFileInput(t *testing.T) {
	dir := t.TempDir()
	const page = `<article><h1>Today</h1><p>The river rose overnight.</p><figure><img src="photo.png"></figure><p><img src="../logo.png"> The town's logo.</p></article>`
	writeFiles(t, dir, map[string]string{
		"site/news/today.html":  page,
		"site/news/photo.png":   "photo",
		"site/logo.png":         "logo",
		"site/news/ignored.txt": "not an input",
	})
	arts, ws, err := walk(t, filepath.Join(dir, "site", "news", "today.html"))
	if err != nil {
		t.Fatalf("Walk() error = %v", err)
	}
	want := []*bundle.Article{{
		ID:          "today.html",
		Title:       "Today",
		Lang:        "en",
		ContentType: "text/html",
		Body:        []byte(`<p>The river rose overnight.</p><figure><img src="photo.png"/></figure><p><img src="../logo.png"/> The town&#39;s logo.</p>`),
		Attachments: []bundle.Attachment{{Name: "photo.png", ContentType: "image/png", Data: []byte("photo")}},
	}}
	// The source: the file's name and bytes and the attachments' (not
	// the logo, which is not attached), as ingest.Source defines it.
	want[0].Source = ingest.NewSource("file").Text("today.html").Flag(false).Bytes([]byte(page)).Attachments(want[0].Attachments).Sum()
	if diff := cmp.Diff(want, arts); diff != "" {
		t.Errorf("Walk() mismatch (-want +got):\n%s", diff)
	}
	if len(ws) != 1 || ws[0].Field != "../logo.png" {
		t.Errorf("Walk() warnings = %+v, want one for ../logo.png", ws)
	}
}

func TestReferences(t *testing.T) {
	tests := []struct {
		desc        string
		contentType string
		body        string
		want        []string
	}{
		{
			desc:        "markdown images, raw html, duplicates",
			contentType: "text/markdown",
			body: "![a](x.png) and <img src=\"y.png\">\n\n<div>\n<video src=\"v.mp4\" poster=\"p.jpg\"></video>\n</div>\n\n" +
				"![b](x.png) ![c](<with space.png>) ![d][ref]\n\n[ref]: img/ref.png \"Ref\"\n",
			want: []string{"x.png", "y.png", "v.mp4", "p.jpg", "with space.png", "img/ref.png"},
		},
		{
			desc:        "markdown non-references",
			contentType: "text/markdown; charset=utf-8",
			body:        "![](https://e.org/a.png) ![](//e.org/b.png) ![](data:image/gif;base64,R0lG) ![](/abs.png) ![](#frag) ![](?q=1) ![]() [link](local.pdf) `![code](c.png)`\n\n    ![indented code](i.png)\n",
			want:        nil,
		},
		{
			desc:        "html media and srcset",
			contentType: "text/html",
			body: `<img src=" a.png "><img src="mailto:x@e.org"><source srcset="s1.webp 1x, s2.webp 2x,s3.webp">` +
				`<img srcset="data:image/png;base64,AAA= 1x, big.png 2x"><video src="v.webm" poster="v.jpg"></video><audio src="a.ogg"></audio>` +
				`<img srcset="f(1).png 100w, g.png"><a href="page.html">x</a><script src="s.js"></script><img src="C:/x.png">`,
			want: []string{"a.png", "s1.webp", "s2.webp", "s3.webp", "big.png", "v.webm", "v.jpg", "a.ogg", "f(1).png", "g.png"},
		},
		{
			desc:        "other content types have none",
			contentType: "text/plain",
			body:        `<img src="a.png"> ![b](b.png)`,
			want:        nil,
		},
		{
			desc:        "bad content type",
			contentType: "text/",
			body:        `<img src="a.png">`,
			want:        nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got := ingest.References(tt.contentType, []byte(tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("References(%q) mismatch (-want +got):\n%s", tt.contentType, diff)
			}
		})
	}
}
