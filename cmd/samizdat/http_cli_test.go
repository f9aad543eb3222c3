package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samizdat/samizdat/internal/control"
	"github.com/samizdat/samizdat/node"
)

// publishedRepo packs the test corpus, publishes it into a repo offline,
// and returns the publisher ID, the bundle file and the repo.
func publishedRepo(t *testing.T, dir string) (id, file, repo string) {
	t.Helper()
	src := filepath.Join(dir, "src")
	writeFiles(t, src, corpusFiles)
	key := filepath.Join(dir, "root.key")
	id = strings.TrimSpace(mustRun(t, "keygen", "-o", key).stdout)
	file = filepath.Join(dir, "news.bundle")
	mustRun(t, "pack", "-k", key, "-o", file, src)
	repo = filepath.Join(dir, "pub")
	mustRun(t, "publish", "--repo", repo, "--key", key, file)
	return id, file, repo
}

func headSeq(t *testing.T, repo string) uint64 {
	t.Helper()
	var st control.Status
	if err := json.Unmarshal([]byte(mustRun(t, "status", "--repo", repo, "--json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Publishers) == 0 {
		return 0
	}
	return st.Publishers[0].Seq
}

// TestCLIHTTPStatic: publish-static writes a copy that a plain file
// server serves; get --http fetches it (past a dead URL), and the result
// verifies and equals the publisher's file.
func TestCLIHTTPStatic(t *testing.T) {
	dir := t.TempDir()
	id, file, repo := publishedRepo(t, dir)
	site := filepath.Join(dir, "site")
	if r := mustRun(t, "publish-static", "--repo", repo, "-o", site); !strings.Contains(r.stdout, "head 1, 1 bundles") {
		t.Errorf("publish-static: %q", r.stdout)
	}
	for _, f := range []string{"index.html", "README.txt", "ipns/" + id} {
		if _, err := os.Stat(filepath.Join(site, f)); err != nil {
			t.Errorf("static copy lacks %s", f)
		}
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(site)))
	defer srv.Close()

	out, reader := filepath.Join(dir, "got"), filepath.Join(dir, "reader")
	r := mustRun(t, "get", "--publisher", id, "--http", "http://127.0.0.1:1/", "--http", srv.URL, "-o", out, "--repo", reader, "--timeout", "60s")
	if !strings.Contains(r.stdout, "head 1") || !strings.Contains(r.stdout, "1 fetched") {
		t.Errorf("get --http: %q", r.stdout)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.bundle"))
	if len(files) != 1 {
		t.Fatalf("get --http wrote %v, want one bundle", files)
	}
	want, _ := os.ReadFile(file)
	if got, _ := os.ReadFile(files[0]); !bytes.Equal(got, want) {
		t.Errorf("bundle over HTTP differs from the publisher's file")
	}
	mustRun(t, "verify", "-p", id, files[0])
	// Incremental: nothing new to fetch.
	if r := mustRun(t, "get", "--publisher", id, "--http", srv.URL, "-o", out, "--repo", reader); !strings.Contains(r.stdout, "0 fetched") {
		t.Errorf("second get --http: %q", r.stdout)
	}
	// Only a server that has nothing: a clear failure.
	empty := httptest.NewServer(http.NotFoundHandler())
	defer empty.Close()
	if r := samizdat(t, "get", "--publisher", id, "--http", empty.URL, "-o", filepath.Join(dir, "none"), "--timeout", "10s"); r.code == 0 || !strings.Contains(r.stderr, "404") {
		t.Errorf("get from an empty server: exit %d, %q", r.code, r.stderr)
	}
}

// TestCLIExportImport: export, import into a fresh repo, and a truncated
// file refused with the repo unchanged.
func TestCLIExportImport(t *testing.T) {
	dir := t.TempDir()
	id, file, repo := publishedRepo(t, dir)
	exp := filepath.Join(dir, "news.samizdat")
	mustRun(t, "export", "--repo", repo, "--publisher", id, "-o", exp)
	fresh := filepath.Join(dir, "fresh")
	if r := mustRun(t, "import", "--repo", fresh, exp); !strings.Contains(r.stdout, "head 1") {
		t.Errorf("import: %q", r.stdout)
	}
	if seq := headSeq(t, fresh); seq != 1 {
		t.Errorf("head after import = %d, want 1", seq)
	}
	bundles, _ := filepath.Glob(filepath.Join(fresh, "bundles", "*.car"))
	want, _ := os.ReadFile(file)
	if len(bundles) != 1 {
		t.Fatalf("fresh repo holds %v, want one bundle", bundles)
	}
	if got, _ := os.ReadFile(bundles[0]); !bytes.Equal(got, want) {
		t.Errorf("imported bundle differs from the publisher's file")
	}

	data, _ := os.ReadFile(exp)
	cut := filepath.Join(dir, "cut.samizdat")
	os.WriteFile(cut, data[:len(data)*2/3], 0o644)
	other := filepath.Join(dir, "other")
	r := samizdat(t, "import", "--repo", other, cut)
	if r.code == 0 || !strings.Contains(r.stderr, "truncated") || !strings.Contains(r.stderr, "nothing imported") {
		t.Errorf("import of a truncated file: exit %d, %q", r.code, r.stderr)
	}
	if seq := headSeq(t, other); seq != 0 {
		t.Errorf("a refused import stored head %d", seq)
	}
	if b, _ := filepath.Glob(filepath.Join(other, "bundles", "*.car")); len(b) != 0 {
		t.Errorf("a refused import stored %v", b)
	}
}

// TestCLIServeHTTP: a mirror started empty with --http gets a publisher by
// import through its control socket (the repo is locked), and serves it
// at once on its gateway, where get --http finds it.
func TestCLIServeHTTP(t *testing.T) {
	dir := t.TempDir()
	id, file, repo := publishedRepo(t, dir)
	exp := filepath.Join(dir, "news.samizdat")
	mustRun(t, "export", "--repo", repo, "--publisher", id, "-o", exp)

	mir := filepath.Join(dir, "mirror")
	startServe(t, mir, "--http", "127.0.0.1:0", "--http-pages", "--metrics", "127.0.0.1:0")
	data, _ := os.ReadFile(filepath.Join(mir, "addrs"))
	var base, metrics string
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "http "); ok {
			base = rest
		}
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "metrics "); ok {
			metrics = rest
		}
	}
	if base == "" || metrics == "" {
		t.Fatalf("serve --http --metrics wrote no http or metrics line: %q", data)
	}
	if page := httpGet(t, base+"/publishers"); strings.Contains(page, id) {
		t.Fatalf("the empty mirror's pages already show the publisher")
	}
	if r := mustRun(t, "import", "--repo", mir, exp); !strings.Contains(r.stdout, "head 1") {
		t.Errorf("import into a running mirror: %q", r.stdout)
	}
	// The public pages take the imported bundle in, for browser-only
	// readers; the metrics count it, and name no publisher.
	waitFor(t, 30*time.Second, func() (string, bool) { return "", strings.Contains(httpGet(t, base+"/publishers"), id) })
	if !strings.Contains(httpGet(t, base+"/publishers"), id) {
		t.Errorf("the public reader pages never showed the imported publisher")
	}
	m := httpGet(t, metrics+"/metrics")
	if !strings.Contains(m, "samizdat_bundles_held 1") || strings.Contains(m, id) {
		t.Errorf("metrics: want samizdat_bundles_held 1 and no publisher ID; got\n%s", m)
	}
	out := filepath.Join(dir, "got")
	mustRun(t, "get", "--publisher", id, "--http", base, "-o", out, "--timeout", "60s")
	files, _ := filepath.Glob(filepath.Join(out, "*.bundle"))
	want, _ := os.ReadFile(file)
	if len(files) != 1 {
		t.Fatalf("get --http from the gateway wrote %v", files)
	}
	if got, _ := os.ReadFile(files[0]); !bytes.Equal(got, want) {
		t.Errorf("bundle from the gateway differs from the publisher's file")
	}
	mustRun(t, "verify", "-p", id, files[0])
	// publish-static and export through the running node too.
	site := filepath.Join(dir, "site")
	if r := mustRun(t, "publish-static", "--repo", mir, "-o", site); !strings.Contains(r.stdout, "1 bundles") {
		t.Errorf("publish-static via a running node: %q", r.stdout)
	}
	mustRun(t, "export", "--repo", mir, "--publisher", id, "-o", filepath.Join(dir, "again.samizdat"))
	again, _ := os.ReadFile(filepath.Join(dir, "again.samizdat"))
	if orig, _ := os.ReadFile(exp); !bytes.Equal(again, orig) {
		t.Errorf("export from the running mirror differs from the original export")
	}
}

// httpGet returns the body of a GET of url; it fails the test on a
// transport error or a status other than 200.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(body)
}

// TestCLILink: a publisher prints a samizdat: link (and its QR code) from
// its running node; a reader given only that link gets the bundle.
func TestCLILink(t *testing.T) {
	dir := t.TempDir()
	id, file, repo := publishedRepo(t, dir)
	startServe(t, repo)
	r := mustRun(t, "link", "--repo", repo, "--qr")
	lines := strings.Split(r.stdout, "\n")
	l, err := node.ParseLink(lines[0])
	if err != nil || l.Publisher != id || len(l.Peers) == 0 || !strings.HasPrefix(lines[0], "samizdat:") {
		t.Fatalf("link printed %q: %+v, %v", lines[0], l, err)
	}
	if len(lines) < 10 || !strings.ContainsAny(r.stdout, "█▀▄") {
		t.Errorf("no QR code after the link: %q", r.stdout)
	}
	out := filepath.Join(dir, "got")
	mustRun(t, "get", "--publisher", lines[0], "-o", out, "--timeout", "60s")
	files, _ := filepath.Glob(filepath.Join(out, "*.bundle"))
	want, _ := os.ReadFile(file)
	if len(files) != 1 {
		t.Fatalf("get with the link wrote %v", files)
	}
	if got, _ := os.ReadFile(files[0]); !bytes.Equal(got, want) {
		t.Errorf("bundle fetched through the link differs")
	}
	if r := samizdat(t, "link", "--repo", filepath.Join(dir, "empty")); r.code == 0 {
		t.Errorf("link for a repo with no publisher succeeded: %q", r.stdout)
	}
}
