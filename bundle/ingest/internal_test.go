package ingest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/samizdat/samizdat/bundle"
)

func TestAttachmentName(t *testing.T) {
	tests := []struct {
		ref     string
		want    string
		wantErr error
	}{
		{ref: "img/a.png", want: "img/a.png"},
		{ref: "./img/../img/a.png", want: "img/a.png"},
		{ref: "img//a.png?v=3#x", want: "img/a.png"},
		{ref: "img/caf%C3%A9.png", want: "img/café.png"},
		{ref: "sub/../a.png", want: "a.png"},
		{ref: "../a.png", wantErr: ErrBadReference},
		{ref: "img/../../a.png", wantErr: ErrBadReference},
		{ref: "%2e%2e/a.png", wantErr: ErrBadReference},
		{ref: "img/..", wantErr: ErrBadReference},
		{ref: "img/%zz.png", wantErr: ErrBadReference},
		{ref: "%2Fetc/passwd", wantErr: ErrBadReference},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := attachmentName(tt.ref)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("attachmentName(%q) = %q, %v, want %q, %v", tt.ref, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestReadAttachment(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	for name, data := range map[string]string{
		"in/img/a.png":   "aaaa",
		"in/img/big.png": strings.Repeat("b", 100),
		"secret.png":     "secret",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../../secret.png", filepath.Join(in, "img", "leak.png")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	if err := os.Symlink(filepath.Join(dir, "secret.png"), filepath.Join(in, "img", "abs-leak.png")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.png", filepath.Join(in, "img", "alias.png")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(in)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	tests := []struct {
		rel     string
		budget  int64
		want    string
		wantErr error
	}{
		{rel: "img/a.png", budget: 1 << 20, want: "aaaa"},
		{rel: "img/alias.png", budget: 1 << 20, want: "aaaa"},
		{rel: "img/leak.png", budget: 1 << 20, wantErr: ErrBadReference},
		{rel: "img/abs-leak.png", budget: 1 << 20, wantErr: ErrBadReference},
		{rel: "../secret.png", budget: 1 << 20, wantErr: ErrBadReference},
		{rel: "img/missing.png", budget: 1 << 20, wantErr: fs.ErrNotExist},
		{rel: "img/missing.png", budget: 1 << 20, wantErr: ErrBadReference},
		{rel: "img", budget: 1 << 20, wantErr: ErrBadReference},
		{rel: "img/big.png", budget: 99, wantErr: ErrTooLarge},
		{rel: "img/big.png", budget: 100, want: strings.Repeat("b", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			got, err := readAttachment(root, tt.rel, tt.budget)
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Errorf("readAttachment(%q) = %q, %v, want %q, %v", tt.rel, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestParseTooLarge checks that every parser refuses input beyond its
// size limit before parsing it.
func TestParseTooLarge(t *testing.T) {
	big := make([]byte, maxArticleFileSize+1)
	parsed := big[:maxParsedFileSize+1]
	tests := []struct {
		desc  string
		parse func() error
	}{
		{"text", func() error { _, err := ParseText("a.txt", big); return err }},
		{"html", func() error { _, err := ParseHTML("a.html", big[:maxPageSize+1]); return err }},
		{"html kept whole", func() error {
			_, err := ParsePage(big, nil, "", Options{KeepPage: true})
			return err
		}},
		{"markdown", func() error { _, err := ParseMarkdown("a.md", big[:maxMarkdownFileSize+1]); return err }},
		{"json", func() error { _, err := ParseJSON("a.json", parsed); return err }},
		{"jsonl", func() error { _, err := ParseJSONL("a.jsonl", parsed); return err }},
		{"feed", func() error { _, err := ParseFeed("a.rss", parsed); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			err := tt.parse()
			var fe *FileError
			if !errors.Is(err, ErrTooLarge) || !errors.As(err, &fe) {
				t.Errorf("Parse(%s) error = %v, want a *FileError wrapping ErrTooLarge", tt.desc, err)
			}
		})
	}
}

func TestTooManyArticles(t *testing.T) {
	var b strings.Builder
	for range maxArticlesPerFile + 1 {
		b.WriteString("{\"body\":\"\"}\n")
	}
	jsonl := b.String()
	json := "[" + strings.ReplaceAll(strings.TrimSuffix(jsonl, "\n"), "\n", ",") + "]"
	tests := []struct {
		desc     string
		parse    func() error
		wantLine int
	}{
		{"json", func() error { _, err := ParseJSON("a.json", []byte(json)); return err }, 0},
		{"jsonl", func() error { _, err := ParseJSONL("a.jsonl", []byte(jsonl)); return err }, maxArticlesPerFile + 1},
		{"rss", func() error {
			_, err := ParseFeed("a.rss", []byte(`<rss version="2.0"><channel>`+strings.Repeat("<item/>", maxArticlesPerFile+1)+`</channel></rss>`))
			return err
		}, 0},
		{"xml elements", func() error {
			_, err := ParseFeed("a.rss", []byte(`<rss version="2.0"><channel><item>`+strings.Repeat("<x/>", maxFeedElements)+`</item></channel></rss>`))
			return err
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			err := tt.parse()
			var fe *FileError
			if !errors.Is(err, ErrTooLarge) || !errors.As(err, &fe) || fe.Line != tt.wantLine {
				t.Errorf("Parse(%s) error = %v, want a *FileError wrapping ErrTooLarge on line %d", tt.desc, err, tt.wantLine)
			}
		})
	}
}

func TestAttachmentLimits(t *testing.T) {
	dir := t.TempDir()
	var body strings.Builder
	body.WriteString("# Gallery\n")
	for i := range maxAttachmentsPerArticle + 2 {
		name := filepath.Join(dir, "img", "x"+strconv.Itoa(i)+".png")
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte("p"), 0o644); err != nil {
			t.Fatal(err)
		}
		body.WriteString("![](img/x" + strconv.Itoa(i) + ".png)\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "gallery.md"), []byte(body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var warnings int
	var got int
	err := Walk([]string{dir}, Options{Warn: func(Warning) { warnings++ }}, func(a *bundle.Article) error {
		got = len(a.Attachments)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk() error = %v", err)
	}
	if got != maxAttachmentsPerArticle || warnings != 2 {
		t.Errorf("Walk() attached %d with %d warnings, want %d with 2", got, warnings, maxAttachmentsPerArticle)
	}
}
