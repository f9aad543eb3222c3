package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/samizdat/samizdat/internal/control"
)

// TestCLIOfflineRootAndQuietLogs runs a publisher with its root key
// offline (a head key and a bundle key that `authorize` delegates),
// a mirror that follows it and a reader that follows the mirror, all as
// separate processes at the default log level, and then checks that
// their logs name no publisher, key, article, peer or address: logs can
// be seized, and would say who carries and who reads what.
func TestCLIOfflineRootAndQuietLogs(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeFiles(t, src, corpusFiles)
	keygen := func(name string) (path, id string) {
		path = filepath.Join(dir, name)
		return path, strings.TrimSpace(mustRun(t, "keygen", "-o", path).stdout)
	}
	root, id := keygen("root.key")
	headKey, headID := keygen("head.key")
	bundleKey, bundleID := keygen("bundle.key")
	doc := filepath.Join(dir, "publisher.doc")
	mustRun(t, "authorize", "-k", root, "--name", "Quiet News", "--add", bundleID, "--head-key", headID, "-o", doc)
	if err := os.Remove(root); err != nil { // the root key goes offline
		t.Fatal(err)
	}
	file := filepath.Join(dir, "news.bundle")
	mustRun(t, "pack", "-k", bundleKey, "--authority", doc, "-o", file, src)

	var logs []*lockedBuffer
	pubRepo, mirRepo, readRepo := filepath.Join(dir, "pub"), filepath.Join(dir, "mirror"), filepath.Join(dir, "reader")
	pubCmd, pubAddr := startServeLogged(t, &logs, pubRepo, "--key", headKey, "--authority", doc)
	if r := mustRun(t, "publish", "--repo", pubRepo, file); !strings.Contains(r.stdout, "head 1") {
		t.Fatalf("publish: %q", r.stdout)
	}
	mirCmd, mirAddr := startServeLogged(t, &logs, mirRepo, "--follow", id, "--peer", pubAddr, "--interval", "200ms")
	waitHead(t, mirRepo, id, 1)

	read := exec.Command(binary, "read", "--repo", readRepo, "--port", "0", "--follow", id, "--peer", mirAddr, "--interval", "200ms")
	readLog := newLockedBuffer()
	logs = append(logs, readLog)
	read.Stderr = readLog
	stdout, err := read.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := read.Start(); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, bufio.NewReader(stdout))
	waitHead(t, readRepo, id, 1)
	for _, c := range []*exec.Cmd{read, mirCmd, pubCmd} {
		c.Process.Signal(syscall.SIGINT)
		c.Wait()
	}

	secrets := []string{id, headID, bundleID, "/ip4/", "127.0.0.1", "Quiet News", "en-budget", "zh-1", "Council", "budget", "Выборы", "市议会"}
	for _, a := range []string{pubAddr, mirAddr} {
		secrets = append(secrets, a[strings.LastIndex(a, "/")+1:]) // the nodes' peer IDs
	}
	var all strings.Builder
	for _, l := range logs {
		all.WriteString(l.String())
	}
	if all.Len() == 0 {
		t.Fatal("no process logged anything: nothing was checked")
	}
	for _, s := range secrets {
		if strings.Contains(all.String(), s) {
			t.Errorf("the logs name %q", s)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", all.String())
	}
}

// startServeLogged is startServe keeping the process's stderr in logs.
func startServeLogged(t *testing.T, logs *[]*lockedBuffer, repo string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	buf := newLockedBuffer()
	*logs = append(*logs, buf)
	return startServeTo(t, buf, repo, args...)
}

// waitHead waits until the repo holds a head of publisher id with
// sequence seq.
func waitHead(t *testing.T, repo, id string, seq uint64) {
	t.Helper()
	ok := waitFor(t, 60*time.Second, func() (string, bool) {
		r := samizdat(t, "status", "--repo", repo, "--json")
		var st control.Status
		if json.Unmarshal([]byte(r.stdout), &st) != nil {
			return "", false
		}
		for _, p := range st.Publishers {
			if p.ID == id && p.Seq == seq {
				return "yes", true
			}
		}
		return "", false
	})
	if ok == "" {
		t.Fatalf("%s never held head %d", repo, seq)
	}
}
