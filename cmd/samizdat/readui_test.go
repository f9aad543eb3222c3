package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCLIRead: `samizdat read` follows a publisher given on the command
// line, fetches its bundle from a peer, serves it at 127.0.0.1, remembers
// whom it follows, and stops cleanly on Ctrl-C.
func TestCLIRead(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeFiles(t, src, corpusFiles)
	key := filepath.Join(dir, "root.key")
	id := strings.TrimSpace(mustRun(t, "keygen", "-o", key).stdout)
	file := filepath.Join(dir, "news.bundle")
	mustRun(t, "pack", "-k", key, "-o", file, src)
	pubRepo, readRepo := filepath.Join(dir, "pub"), filepath.Join(dir, "reader")
	_, pubAddr := startServe(t, pubRepo, "--key", key)
	mustRun(t, "publish", "--repo", pubRepo, file)

	const deadPeer = "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5" // nobody listens at its address
	cmd := exec.Command(binary, "read", "--repo", readRepo, "--port", "0", "--follow", id, "--peer", pubAddr,
		"--peer", "/ip4/127.0.0.1/tcp/1/p2p/"+deadPeer, "--interval", "200ms")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("read stderr:\n%s", stderr.String())
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read printed nothing: %v", err)
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "reading at ")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("read printed %q, want reading at http://127.0.0.1:PORT/", line)
	}
	go io.Copy(io.Discard, stdout)

	body := waitFor(t, 60*time.Second, func() (string, bool) {
		resp, err := http.Get(base)
		if err != nil {
			return "", false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp.StatusCode == 200 && strings.Contains(string(b), "Council passes budget")
	})
	if !strings.Contains(body, "Выборы перенесены") {
		t.Errorf("reader list lacks the Russian article:\n%s", body)
	}
	resp, err := http.Get(base + "search?q=" + "budget")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Council passes budget") {
		t.Errorf("search for budget found nothing:\n%s", b)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") {
		t.Errorf("CSP = %q", csp)
	}

	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("read after Ctrl-C: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(readRepo, followFile))
	if err != nil {
		t.Fatal(err)
	}
	var fl followList
	if err := json.Unmarshal(data, &fl); err != nil || len(fl.Follow) != 1 || fl.Follow[0].Publisher != id {
		t.Errorf("follow file = %s (%v), want the publisher", data, err)
	}
	// Whom the reader follows, what it read, and which peers it uses are
	// not in its logs (the dead peer's failure is logged by position).
	for _, secret := range []string{id, deadPeer, pubAddr} {
		if strings.Contains(stderr.String(), secret) {
			t.Errorf("read logged %s:\n%s", secret, stderr.String())
		}
	}
	if !strings.Contains(stderr.String(), "could not connect to a given peer") {
		t.Errorf("read did not log the unreachable peer at all:\n%s", stderr.String())
	}
	// The repo reopens: with --no-fetch it shows what it holds at once;
	// with --share it serves it to a neighbour.
	cmd2 := exec.Command(binary, "read", "--repo", readRepo, "--port", "0", "--no-fetch",
		"--share", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns")
	out2, err := cmd2.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd2.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd2.Process.Signal(syscall.SIGINT)
		cmd2.Wait()
	}()
	br := bufio.NewReader(out2)
	var shared string
	for {
		line, err = br.ReadString('\n')
		if err != nil {
			t.Fatalf("second read printed no reading line: %v", err)
		}
		if a, ok := strings.CutPrefix(strings.TrimSpace(line), "sharing at "); ok {
			shared = a
			continue
		}
		break
	}
	base = strings.TrimPrefix(strings.TrimSpace(line), "reading at ")
	if shared == "" {
		t.Fatal("read --share printed no sharing address")
	}
	got := filepath.Join(dir, "from-neighbour")
	mustRun(t, "get", "--publisher", id, "--peer", shared, "-o", got, "--timeout", "60s")
	if files, _ := filepath.Glob(filepath.Join(got, "*.bundle")); len(files) != 1 {
		t.Errorf("get from a sharing reader wrote %v", files)
	} else if a, _ := os.ReadFile(files[0]); !bytes.Equal(a, mustRead(t, file)) {
		t.Errorf("bundle from the sharing reader differs")
	}
	resp, err = http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Council passes budget") {
		t.Errorf("reopened reader lacks the article:\n%s", b)
	}
	if r := samizdat(t, "read", "--repo", t.TempDir(), "--port", "-1"); r.code != 2 {
		t.Errorf("read --port -1: exit %d, want 2", r.code)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
