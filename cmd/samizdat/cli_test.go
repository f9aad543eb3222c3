package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binary is the samizdat binary built once for the CLI tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "samizdat-cli-*")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "samizdat")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

func samizdat(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := result{stdout: so.String(), stderr: se.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run samizdat %v: %v", args, err)
	}
	return r
}

func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := samizdat(t, args...)
	if r.code != 0 {
		t.Fatalf("samizdat %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var corpusFiles = map[string]string{
	"en/budget.md":   "---\nid: en-budget\ntitle: \"Council passes budget: schools first\"\nlang: en\npublished: 2026-10-01T08:00:00Z\nauthors: [Jane Doe]\n---\n# Council passes budget\n\nThe council approved the budget.\n\n![map](img/map.png)\n",
	"en/img/map.png": "\x89PNG\r\n\x1a\nfake image bytes",
	"ru/выборы.txt":  "Выборы перенесены\n\nЦентральная избирательная комиссия объявила о переносе выборов.\n",
	"fa/news.html":   `<!doctype html><html lang="fa"><head><title>خبر</title><meta property="og:title" content="گزارش ویژه"><link rel="canonical" href="https://news.example.org/fa/1"></head><body dir="rtl"><h1>گزارش</h1><p>متن خبر.</p><img src="https://tracker.example.com/x.gif"></body></html>`,
	"zh/feed.rss": `<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>新闻</title><language>zh</language>
<item><guid>zh-1</guid><title>市议会批准预算</title><link>https://news.example.org/zh/1</link><pubDate>Mon, 05 Oct 2026 08:00:00 GMT</pubDate><content:encoded><![CDATA[<p>市议会周二批准了新预算。</p>]]></content:encoded></item>
</channel></rss>`,
	"notes.docx": "unknown type",
}

// TestCLIJourney drives the built binary through a publisher's and a
// reader's whole journey, then tampers with the bundle.
func TestCLIJourney(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeFiles(t, src, corpusFiles)
	key := filepath.Join(dir, "root.key")

	id := strings.TrimSpace(mustRun(t, "keygen", "-o", key).stdout)
	if !strings.HasPrefix(id, "12D3KooW") || strings.Contains(id, "\n") {
		t.Fatalf("keygen printed %q, want one publisher ID line", id)
	}
	if st, _ := os.Stat(key); st.Mode().Perm() != 0o600 {
		t.Errorf("key mode = %v, want 0600", st.Mode().Perm())
	}
	before, _ := os.ReadFile(key)
	if r := samizdat(t, "keygen", "-o", key); r.code == 0 {
		t.Errorf("keygen over an existing key succeeded")
	}
	if after, _ := os.ReadFile(key); !bytes.Equal(before, after) {
		t.Errorf("keygen changed an existing key")
	}

	out := filepath.Join(dir, "news.bundle")
	r := mustRun(t, "pack", "-k", key, "-o", out, src)
	if !strings.Contains(r.stderr, "notes.docx") {
		t.Errorf("pack did not warn about the unknown file type: %q", r.stderr)
	}
	r = mustRun(t, "verify", "-p", id, out)
	for _, want := range []string{"valid bundle", id, "4 articles"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("verify output %q lacks %q", r.stdout, want)
		}
	}
	if strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 {
		t.Errorf("verify summary is not one paragraph: %q", r.stdout)
	}

	r = mustRun(t, "ls", "--json", out)
	ids := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("ls --json line %q: %v", sc.Text(), err)
		}
		for _, k := range []string{"id", "title", "lang", "published", "url", "content_type", "size"} {
			if _, ok := m[k]; !ok {
				t.Errorf("ls --json line lacks %q: %s", k, sc.Text())
			}
		}
		ids[m["id"].(string)] = m
	}
	for _, want := range []string{"en-budget", "ru/выборы.txt", "https://news.example.org/fa/1", "zh-1"} {
		if _, ok := ids[want]; !ok {
			t.Errorf("ls --json lacks article %q (has %v)", want, keys(ids))
		}
	}
	if got := ids["https://news.example.org/fa/1"]["title"]; got != "گزارش ویژه" {
		t.Errorf("html title = %v, want the og:title", got)
	}
	if plain := mustRun(t, "ls", out).stdout; strings.Count(plain, "\n") != 4 {
		t.Errorf("ls printed %d lines, want 4", strings.Count(plain, "\n"))
	}

	// cat returns exactly the ingested bytes.
	if got := mustRun(t, "cat", out, "ru/выборы.txt").stdout; got != corpusFiles["ru/выборы.txt"] {
		t.Errorf("cat = %q, want the file's bytes", got)
	}
	if r := samizdat(t, "cat", out, "no-such-id"); r.code == 0 || !strings.Contains(r.stderr, "no such article") {
		t.Errorf("cat of a missing id: exit %d, %q", r.code, r.stderr)
	}

	ext := filepath.Join(dir, "extracted")
	mustRun(t, "extract", out, "-o", ext)
	img, err := os.ReadFile(filepath.Join(ext, "en-budget.files", "img", "map.png"))
	if err != nil || string(img) != corpusFiles["en/img/map.png"] {
		t.Errorf("extracted attachment = %q, %v", img, err)
	}
	if _, err := os.Stat(filepath.Join(ext, "index.jsonl")); err != nil {
		t.Errorf("extract wrote no index: %v", err)
	}
	if r := samizdat(t, "extract", out, "-o", ext); r.code == 0 {
		t.Errorf("extract into a non-empty directory succeeded")
	}

	// Tamper: flip one byte near the end (a content block).
	data, _ := os.ReadFile(out)
	data[len(data)-5] ^= 0x40
	bad := filepath.Join(dir, "bad.bundle")
	os.WriteFile(bad, data, 0o644)
	r = samizdat(t, "verify", "-p", id, bad)
	if r.code != 1 || !strings.Contains(r.stderr, "bad.bundle") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("verify of a tampered bundle: exit %d, stderr %q; want exit 1 and one line naming the file", r.code, r.stderr)
	}
	// Truncated, and signed for someone else.
	os.WriteFile(bad, data[:len(data)/2], 0o644)
	if r := samizdat(t, "verify", bad); r.code != 1 || !strings.Contains(r.stderr, "truncated") {
		t.Errorf("verify of a truncated bundle: exit %d, %q", r.code, r.stderr)
	}
	other := filepath.Join(dir, "other.key")
	otherID := strings.TrimSpace(mustRun(t, "keygen", "-o", other).stdout)
	if r := samizdat(t, "verify", "-p", otherID, out); r.code != 1 || !strings.Contains(r.stderr, "another publisher") {
		t.Errorf("verify -p another publisher: exit %d, %q", r.code, r.stderr)
	}
}

// TestCLIRotation: delegate to a daily key, rotate, and see a revoked
// key's new bundle rejected.
func TestCLIRotation(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeFiles(t, src, map[string]string{"a.txt": "Title\n\nBody.\n"})
	root, daily, daily2 := filepath.Join(dir, "root.key"), filepath.Join(dir, "daily.key"), filepath.Join(dir, "daily2.key")
	id := strings.TrimSpace(mustRun(t, "keygen", "-o", root).stdout)
	dailyID := strings.TrimSpace(mustRun(t, "keygen", "-o", daily).stdout)
	mustRun(t, "keygen", "-o", daily2)
	doc1, doc2 := filepath.Join(dir, "doc1"), filepath.Join(dir, "doc2")
	mustRun(t, "authorize", "-k", root, "--name", "Test News", "--add", daily, "-o", doc1)
	b1 := filepath.Join(dir, "b1.bundle")
	mustRun(t, "pack", "-k", daily, "--authority", doc1, "--seq", "10", "-o", b1, src)
	if r := mustRun(t, "verify", "-p", id, b1); !strings.Contains(r.stdout, "Test News") {
		t.Errorf("verify does not name the authorizing document: %q", r.stdout)
	}
	mustRun(t, "authorize", "-k", root, "--from", doc1, "--revoke", dailyID+"@10", "--add", daily2, "-o", doc2)
	if r := samizdat(t, "pack", "-k", daily, "--authority", doc2, "--seq", "11", "-o", filepath.Join(dir, "x"), src); r.code == 0 {
		t.Errorf("pack with a revoked key succeeded")
	}
	b2 := filepath.Join(dir, "b2.bundle")
	mustRun(t, "pack", "-k", daily, "--authority", doc1, "--seq", "11", "-o", b2, src) // a thief's bundle
	if r := samizdat(t, "verify", "-p", id, "--authority", doc2, b2); r.code != 1 || !strings.Contains(r.stderr, "revoked") {
		t.Errorf("verify of a revoked key's new bundle: exit %d, %q", r.code, r.stderr)
	}
	mustRun(t, "verify", "-p", id, "--authority", doc2, b1) // signed before the retirement
	b3 := filepath.Join(dir, "b3.bundle")
	mustRun(t, "pack", "-k", daily2, "--authority", doc2, "--base", b1, "-o", b3, src)
	mustRun(t, "verify", "-p", id, b3)
}

// TestCLIBadInput: bad inputs give one clear line, a non-zero exit and no
// output file.
func TestCLIBadInput(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	mustRun(t, "keygen", "-o", key)
	writeFiles(t, dir, map[string]string{
		"bad/list.json":   "[\n  {\"id\": \"a\", \"body\": \"x\"},\n  {\"id\": \"b\" \"body\": \"y\"}\n]\n",
		"dup/a.json":      `{"id": "same", "title": "one", "body": "x"}`,
		"dup/b.json":      `{"id": "same", "title": "two", "body": "y"}`,
		"empty/README.xx": "nothing to pack",
	})
	cases := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"malformed json names file and line", []string{filepath.Join(dir, "bad")}, []string{"list.json:3"}},
		{"duplicate ids", []string{filepath.Join(dir, "dup")}, []string{"same", "duplicate"}},
		{"missing input", []string{filepath.Join(dir, "nope")}, []string{"nope"}},
		{"nothing to pack", []string{filepath.Join(dir, "empty")}, []string{"no articles"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out.bundle")
			r := samizdat(t, append([]string{"pack", "-k", key, "-o", out}, tc.args...)...)
			if r.code != 1 {
				t.Errorf("exit %d, want 1 (stderr %q)", r.code, r.stderr)
			}
			last := strings.TrimSpace(r.stderr)
			if i := strings.LastIndexByte(last, '\n'); i >= 0 {
				last = last[i+1:]
			}
			for _, w := range tc.wants {
				if !strings.Contains(last, w) {
					t.Errorf("error line %q lacks %q", last, w)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a failed pack left %s", out)
			}
			if strings.Contains(r.stderr, "panic") {
				t.Errorf("panic: %s", r.stderr)
			}
		})
	}
	if r := samizdat(t, "verify"); r.code != 2 {
		t.Errorf("verify without a file: exit %d, want 2", r.code)
	}
	os.Chmod(key, 0o644)
	if r := samizdat(t, "pack", "-k", key, "-o", filepath.Join(dir, "o"), filepath.Join(dir, "dup", "a.json")); r.code != 1 || !strings.Contains(r.stderr, "readable by others") {
		t.Errorf("pack with a world-readable key: exit %d, %q", r.code, r.stderr)
	}
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
