package ingest_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

// longTitle is a real-text first line of 1,078 bytes, the one that once
// stopped a 1,447-file pack ("title is 1078 bytes, limit 1024").
var longTitle = strings.Repeat("The committee heard evidence from residents, engineers and the harbour authority; ", 14)[:1078]

// cjkTitle is a 4 KiB title of Chinese text, without a space to cut at.
var cjkTitle = strings.Repeat("市议会周二批准了新预算", 4096/len("市议会周二批准了新预算")+1)

// TestWalkWarnings: without Strict, one bad article or file never fails
// the walk: it is skipped, or its long fields are cut, with one warning
// each naming the file (and line or item) and why. With Strict, the same
// input fails the walk with the error the warning holds.
func TestWalkWarnings(t *testing.T) {
	type want struct {
		Kind  ingest.WarningKind
		File  string // relative to the input directory
		Line  int
		Item  int
		Field string
	}
	tests := []struct {
		desc      string
		files     map[string]string
		wantIDs   []string // articles Walk hands on, in order
		wantWarns []want
		wantErr   error // what each warning wraps, and what Strict fails with
		check     func(*testing.T, []*bundle.Article)
	}{
		{
			desc:      "1,078-byte first line of a text file",
			files:     map[string]string{"long.txt": "\n" + longTitle + "\n\nThe committee met on Tuesday.\n", "ok.txt": "Short title\n"},
			wantIDs:   []string{"long.txt", "ok.txt"},
			wantWarns: []want{{ingest.Cut, "long.txt", 2, 0, "title"}},
			wantErr:   ingest.ErrTooLarge,
			check: func(t *testing.T, arts []*bundle.Article) {
				got := arts[0].Title
				if len(got) > bundle.MaxTitleLen || !strings.HasSuffix(got, "…") {
					t.Errorf("Title is %d bytes ending %q, want at most %d ending in an ellipsis", len(got), got[max(len(got)-8, 0):], bundle.MaxTitleLen)
				}
				kept := strings.TrimSuffix(got, "…")
				if !strings.HasPrefix(longTitle, kept) || longTitle[len(kept)] != ' ' {
					t.Errorf("Title = %q, want a prefix of the line ending at a word", got)
				}
				if string(arts[0].Body) != "\n"+longTitle+"\n\nThe committee met on Tuesday.\n" {
					t.Errorf("Body changed: %q", arts[0].Body)
				}
			},
		},
		{
			desc:      "4 KiB CJK title",
			files:     map[string]string{"zh.json": `{"id": "zh-1", "title": "` + cjkTitle + `", "lang": "zh", "body": "正文"}`},
			wantIDs:   []string{"zh-1"},
			wantWarns: []want{{ingest.Cut, "zh.json", 1, 0, "title"}},
			wantErr:   ingest.ErrTooLarge,
			check: func(t *testing.T, arts []*bundle.Article) {
				got := arts[0].Title
				kept := strings.TrimSuffix(got, "…")
				if !utf8.ValidString(got) || len(got) > bundle.MaxTitleLen || len(got) < bundle.MaxTitleLen-6 || !strings.HasPrefix(cjkTitle, kept) {
					t.Errorf("Title = %q (%d bytes), want a prefix cut at a character within %d bytes", got, len(got), bundle.MaxTitleLen)
				}
			},
		},
		{
			desc:      "over-long id in a JSON array",
			files:     map[string]string{"list.json": "[\n{\"id\": \"a\", \"body\": \"\"},\n{\"id\": \"" + strings.Repeat("x", bundle.MaxIDLen+1) + "\", \"body\": \"\"},\n{\"body\": \"\"}\n]"},
			wantIDs:   []string{"a", "list.json#3"}, // the third keeps its position in its id
			wantWarns: []want{{ingest.Skipped, "list.json", 3, 2, ""}},
			wantErr:   ingest.ErrMalformed,
		},
		{
			desc: "malformed RSS item among good ones",
			files: map[string]string{"feed.rss": `<rss version="2.0"><channel><language>en</language>
<item><guid>n-1</guid><title>First</title></item>
<item><guid>n-2</guid><title>Second</title><pubDate>next Tuesday</pubDate></item>
<item><guid>n-3</guid><title>Third</title><author>` + strings.Repeat("a", bundle.MaxAuthorLen+10) + `</author></item>
</channel></rss>`},
			wantIDs:   []string{"n-1", "n-3"},
			wantWarns: []want{{ingest.Skipped, "feed.rss", 0, 2, ""}, {ingest.Cut, "feed.rss", 0, 3, "author"}},
			wantErr:   ingest.ErrMalformed,
		},
		{
			desc:      "JSON Lines file with one bad line",
			files:     map[string]string{"items.jsonl": "{\"id\": \"j-1\", \"body\": \"a\"}\n\n{\"id\": \"j-2\", \"body\": \"b\"} trailing\n{\"body\": \"c\"}\n"},
			wantIDs:   []string{"j-1", "items.jsonl#3"},
			wantWarns: []want{{ingest.Skipped, "items.jsonl", 3, 2, ""}},
			wantErr:   ingest.ErrMalformed,
		},
		{
			desc:      "a file that does not parse",
			files:     map[string]string{"a.md": "---\ntitle: [unclosed\n", "b.txt": "Fine\n"},
			wantIDs:   []string{"b.txt"},
			wantWarns: []want{{ingest.Skipped, "a.md", 1, 0, ""}},
			wantErr:   ingest.ErrMalformed,
		},
		{
			desc:      "a picture that is missing",
			files:     map[string]string{"story.md": "# Story\n\n![map](img/missing.png)\n"},
			wantIDs:   []string{"story.md"},
			wantWarns: []want{{ingest.Unattached, "story.md", 0, 0, "img/missing.png"}},
			wantErr:   ingest.ErrBadReference,
		},
		{
			desc:      "long summary and too many authors",
			files:     map[string]string{"s.json": `{"id": "s", "summary": "` + strings.Repeat("word ", 1000) + `", "authors": ["` + strings.Repeat(`a", "`, bundle.MaxAuthors) + `z"], "body": ""}`},
			wantIDs:   []string{"s"},
			wantWarns: []want{{ingest.Cut, "s.json", 1, 0, "summary"}, {ingest.Cut, "s.json", 1, 0, "authors"}},
			wantErr:   ingest.ErrTooLarge,
			check: func(t *testing.T, arts []*bundle.Article) {
				a := arts[0]
				if len(a.Summary) > bundle.MaxSummaryLen || !strings.HasSuffix(a.Summary, "word…") || len(a.Authors) != bundle.MaxAuthors {
					t.Errorf("Summary of %d bytes ending %q, %d authors; want at most %d ending \"word…\", %d authors",
						len(a.Summary), a.Summary[max(len(a.Summary)-8, 0):], len(a.Authors), bundle.MaxSummaryLen, bundle.MaxAuthors)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)

			arts, ws, err := walk(t, dir)
			if err != nil {
				t.Fatalf("Walk() error = %v, want nil", err)
			}
			var ids []string
			for _, a := range arts {
				ids = append(ids, a.ID)
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("Walk() ids mismatch (-want +got):\n%s", diff)
			}
			var got []want
			for _, w := range ws {
				rel, _ := filepath.Rel(dir, w.Path)
				got = append(got, want{w.Kind, filepath.ToSlash(rel), w.Line, w.Item, w.Field})
				if !strings.HasPrefix(w.Str, w.Path+":") || strings.Contains(w.Str, "\n") {
					t.Errorf("Warning.String() = %q, want one line starting with the path", w.Str)
				}
			}
			if diff := cmp.Diff(tt.wantWarns, got); diff != "" {
				t.Errorf("Walk() warnings mismatch (-want +got):\n%s\n%+v", diff, ws)
			}
			if tt.check != nil && len(arts) > 0 {
				tt.check(t, arts)
			}

			// Each warning wraps the sentinel Strict fails with.
			var errs []error
			err = ingest.Walk([]string{dir}, ingest.Options{Warn: func(w ingest.Warning) { errs = append(errs, w.Err) }}, func(*bundle.Article) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(errs[0], tt.wantErr) {
				t.Errorf("Warning.Err = %v, want %v", errs[0], tt.wantErr)
			}

			// Strict: the first warning fails the walk, naming the file.
			calls := 0
			err = ingest.Walk([]string{dir}, ingest.Options{Strict: true}, func(*bundle.Article) error { calls++; return nil })
			var fe *ingest.FileError
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &fe) {
				t.Fatalf("strict Walk() error = %v, want a *FileError wrapping %v", err, tt.wantErr)
			}
			first := tt.wantWarns[0]
			if wantPath := filepath.Join(dir, filepath.FromSlash(first.File)); fe.Path != wantPath || fe.Line != first.Line {
				t.Errorf("strict Walk() error at %s:%d, want %s:%d", fe.Path, fe.Line, wantPath, first.Line)
			}
		})
	}
}

// TestWarningString shows the one-line form a command prints.
func TestWarningString(t *testing.T) {
	inner := errors.New("malformed: bad date")
	tests := []struct {
		w    ingest.Warning
		want string
	}{
		{ingest.Warning{Kind: ingest.Skipped, Path: "in/a.json", Line: 3, Item: 2, Err: inner}, "in/a.json:3: malformed: bad date; item skipped"},
		{ingest.Warning{Kind: ingest.Skipped, Path: "in/f.rss", Item: 2, Err: inner}, "in/f.rss: item 2: malformed: bad date; item skipped"},
		{ingest.Warning{Kind: ingest.Skipped, Path: "in/b.md", Line: 1, Err: inner}, "in/b.md:1: malformed: bad date; file skipped"},
		{ingest.Warning{Kind: ingest.Cut, Path: "in/c.txt", Line: 2, Field: "title", Err: errors.New("too large: title is 1078 bytes, limit 1024")}, "in/c.txt:2: too large: title is 1078 bytes, limit 1024; cut to fit"},
		{ingest.Warning{Kind: ingest.Unattached, Path: "in/d.md", Field: "img/x.png", Err: errors.New("bad reference: missing")}, `in/d.md: reference "img/x.png": bad reference: missing; not attached`},
		{ingest.Warning{Kind: ingest.Ignored, Path: "in/e.docx", Err: errors.New("unknown file type")}, "in/e.docx: unknown file type; not packed"},
	}
	for _, tt := range tests {
		if got := tt.w.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
