package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/samizdat/samizdat/bundle"
)

// TestPackWarnings: one bad article never sinks a pack. A folder with a
// file that does not parse and a text whose first line is over the title
// limit packs the rest, prints one warning line for each and a summary,
// and exits 3; --strict fails on the first and writes nothing; a clean
// folder exits 0 without a warning.
func TestPackWarnings(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	mustRun(t, "keygen", "-o", key)
	longLine := strings.Repeat("Residents of the harbour district told the inquiry what they saw; ", 17)[:1078]
	writeFiles(t, dir, map[string]string{
		"mixed/bad.json":   "[\n  {\"id\": \"a\", \"body\": \"x\"},\n  {\"id\": \"b\" \"body\": \"y\"}\n]\n",
		"mixed/long.txt":   longLine + "\n\nThe inquiry continues on Monday.\n",
		"mixed/ok.md":      "---\nid: ok-1\ntitle: Ferry resumes\n---\nThe ferry runs again.\n",
		"mixed/notes.docx": "not an article",
		"clean/ok.md":      "---\nid: ok-1\ntitle: Ferry resumes\n---\nThe ferry runs again.\n",
		"clean/two.txt":    "Second story\n\nText.\n",
	})
	mixed := filepath.Join(dir, "mixed")

	t.Run("warnings", func(t *testing.T) {
		out := filepath.Join(dir, "mixed.bundle")
		r := samizdat(t, "pack", "-k", key, "-o", out, mixed)
		if r.code != exitWarnings {
			t.Fatalf("pack: exit %d, want %d\nstderr: %s", r.code, exitWarnings, r.stderr)
		}
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		want := []string{
			"warning: " + filepath.Join(mixed, "bad.json") + ":3: malformed: json: ",
			"warning: " + filepath.Join(mixed, "long.txt") + ":1: too large: title is 1078 bytes, limit 1024; cut to fit",
			"note: " + filepath.Join(mixed, "notes.docx") + ": unknown file type; not packed",
			"samizdat pack: done with warnings: packed 2 articles, skipped 1, cut 1 field, 1 file not an article",
		}
		if len(lines) != len(want) {
			t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(want), r.stderr)
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("stderr line %d = %q, want it to start with %q", i+1, lines[i], w)
			}
		}
		if !strings.Contains(r.stdout, "2 articles") {
			t.Errorf("stdout = %q, want the bundle's line", r.stdout)
		}
		titles := listTitles(t, out)
		if len(titles) != 2 || titles["ok-1"] != "Ferry resumes" {
			t.Errorf("bundle titles = %q, want ok-1 and long.txt", titles)
		}
		got := titles["long.txt"]
		if kept := strings.TrimSuffix(got, "…"); len(got) > bundle.MaxTitleLen || kept == got || !strings.HasPrefix(longLine, kept) || !utf8.ValidString(got) {
			t.Errorf("cut title = %q (%d bytes), want a prefix of the line and an ellipsis within %d bytes", got, len(got), bundle.MaxTitleLen)
		}
	})

	t.Run("strict", func(t *testing.T) {
		out := filepath.Join(dir, "strict.bundle")
		r := samizdat(t, "pack", "--strict", "-k", key, "-o", out, mixed)
		if r.code != 1 {
			t.Fatalf("pack --strict: exit %d, want 1\nstderr: %s", r.code, r.stderr)
		}
		if want := "samizdat pack: " + filepath.Join(mixed, "bad.json") + ":3: malformed"; !strings.HasPrefix(lastLine(r.stderr), want) {
			t.Errorf("pack --strict: last line %q, want it to start with %q", lastLine(r.stderr), want)
		}
		if strings.Contains(r.stderr, "warning:") {
			t.Errorf("pack --strict printed a warning instead of failing:\n%s", r.stderr)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("pack --strict left %s (stat: %v)", out, err)
		}
	})

	t.Run("clean", func(t *testing.T) {
		for _, strict := range []string{"--strict=false", "--strict"} {
			out := filepath.Join(dir, "clean"+strict+".bundle")
			r := samizdat(t, "pack", strict, "-k", key, "-o", out, filepath.Join(dir, "clean"))
			if r.code != 0 || r.stderr != "" {
				t.Errorf("pack %s of a clean folder: exit %d, stderr %q; want 0 and nothing", strict, r.code, r.stderr)
			}
			if n := len(listTitles(t, out)); n != 2 {
				t.Errorf("pack %s of a clean folder: %d articles, want 2", strict, n)
			}
		}
	})
}

// listTitles returns the titles of a bundle's articles by id.
func listTitles(t *testing.T, file string) map[string]string {
	t.Helper()
	titles := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(mustRun(t, "ls", "--json", file).stdout))
	for sc.Scan() {
		var m struct{ ID, Title string }
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("ls --json line %q: %v", sc.Text(), err)
		}
		titles[m.ID] = m.Title
	}
	return titles
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}
