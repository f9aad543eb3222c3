package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/samizdat/samizdat/internal/control"
)

// startServe runs `samizdat serve` in the background and returns its first
// listen address once it has written its addrs file.
func startServe(t *testing.T, repo string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	return startServeTo(t, newLockedBuffer(), repo, args...)
}

// startServeTo is startServe with the process's stderr kept in stderr.
func startServeTo(t *testing.T, stderr *lockedBuffer, repo string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	// No mDNS: tests stay on loopback and never multicast on the LAN.
	cmd := exec.Command(binary, append([]string{"serve", "--repo", repo, "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns", "--no-dht"}, args...)...)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGINT)
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("serve --repo %s stderr:\n%s", repo, stderr.String())
		}
	})
	addr := waitFor(t, 30*time.Second, func() (string, bool) {
		data, err := os.ReadFile(filepath.Join(repo, "addrs"))
		if err != nil || len(data) == 0 {
			return "", false
		}
		line := strings.SplitN(strings.TrimSpace(string(data)), "\n", 2)[0]
		return strings.TrimPrefix(line, "listening "), true
	})
	if addr == "" {
		t.Fatalf("serve wrote no addrs; stderr: %s", stderr.String())
	}
	return cmd, addr
}

// bigBundle packs a bundle of a few thousand generated articles with a
// new root key, big enough that a kill lands during its transfer.
func bigBundle(t *testing.T, dir string, articles int) (id, key, file string) {
	t.Helper()
	key = filepath.Join(dir, "root.key")
	id = strings.TrimSpace(mustRun(t, "keygen", "-o", key).stdout)
	src := filepath.Join(dir, "src")
	mustRun(t, "demo", "--dir", filepath.Join(dir, "demo"), "-n", strconv.Itoa(articles))
	os.Rename(filepath.Join(dir, "demo", "articles"), src)
	file = filepath.Join(dir, "big.bundle")
	mustRun(t, "pack", "-k", key, "--no-dict", "--level", "fastest", "-o", file, src)
	return id, key, file
}

// waitFor polls cond until it holds or the deadline passes. The nodes run
// in other processes, so there is no event to wait on but their state.
func waitFor(t *testing.T, d time.Duration, cond func() (string, bool)) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if v, ok := cond(); ok {
			return v
		}
		select {
		case <-ctx.Done():
			return ""
		case <-tick.C:
		}
	}
}

// TestCLINetwork: serve a publisher, publish through its control socket,
// serve a mirror that follows it, stop the publisher, and get everything
// from the mirror with the reader command.
func TestCLINetwork(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeFiles(t, src, corpusFiles)
	key := filepath.Join(dir, "root.key")
	id := strings.TrimSpace(mustRun(t, "keygen", "-o", key).stdout)
	file := filepath.Join(dir, "news.bundle")
	mustRun(t, "pack", "-k", key, "-o", file, src)

	pubRepo, mirRepo := filepath.Join(dir, "pub"), filepath.Join(dir, "mirror")
	pubCmd, pubAddr := startServe(t, pubRepo, "--key", key)
	if r := mustRun(t, "publish", "--repo", pubRepo, file); !strings.Contains(r.stdout, "head 1") {
		t.Fatalf("publish: %q", r.stdout)
	}
	_, mirAddr := startServe(t, mirRepo, "--follow", id, "--peer", pubAddr, "--interval", "200ms")
	got := waitFor(t, 60*time.Second, func() (string, bool) {
		r := samizdat(t, "status", "--repo", mirRepo, "--json")
		var st control.Status
		if json.Unmarshal([]byte(r.stdout), &st) != nil || len(st.Publishers) != 1 || st.Publishers[0].Seq != 1 {
			return "", false
		}
		return st.Publishers[0].ID, true
	})
	if got != id {
		t.Fatalf("mirror never got the publisher's head")
	}
	pubCmd.Process.Signal(syscall.SIGINT) // the publisher goes offline
	pubCmd.Wait()
	if _, err := os.Stat(filepath.Join(pubRepo, "control.sock")); err == nil {
		t.Errorf("publisher left its control socket after a clean shutdown")
	}

	out := filepath.Join(dir, "got")
	readerRepo := filepath.Join(dir, "reader")
	r := mustRun(t, "get", "--repo", readerRepo, "--publisher", id, "--peer", mirAddr, "-o", out, "--timeout", "60s")
	if !strings.Contains(r.stdout, "head 1") {
		t.Errorf("get: %q", r.stdout)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.bundle"))
	if len(files) != 1 {
		t.Fatalf("get wrote %v, want one bundle", files)
	}
	want, _ := os.ReadFile(file)
	if got, _ := os.ReadFile(files[0]); !bytes.Equal(got, want) {
		t.Errorf("bundle from the mirror differs from the publisher's file")
	}
	mustRun(t, "verify", "-p", id, files[0])

	// Again with no --peer: the reader's repo remembers the mirror.
	again := filepath.Join(dir, "again")
	mustRun(t, "get", "--repo", readerRepo, "--publisher", id, "-o", again, "--timeout", "60s")
	if got, _ := os.ReadFile(filepath.Join(again, filepath.Base(files[0]))); !bytes.Equal(got, want) {
		t.Errorf("get from remembered peers did not write the bundle")
	}

	// Nothing valid within the timeout: a clear error, non-zero exit.
	if r := samizdat(t, "get", "--publisher", id, "--peer", mirAddr[:strings.LastIndex(mirAddr, "/p2p/")]+"/p2p/12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5", "-o", out, "--timeout", "3s"); r.code == 0 {
		t.Errorf("get from a peer that is not there succeeded")
	}
}

// TestCLIMirrorKilled: a mirror killed with SIGKILL while it fetches
// restarts on the same repo (the lock and socket of the dead process do
// not stand in its way), serves nothing half-written, and completes.
func TestCLIMirrorKilled(t *testing.T) {
	dir := t.TempDir()
	id, key, file := bigBundle(t, dir, 3000) // big, so the kill lands during the transfer

	pubRepo, mirRepo := filepath.Join(dir, "pub"), filepath.Join(dir, "mirror")
	_, pubAddr := startServe(t, pubRepo, "--key", key)
	mustRun(t, "publish", "--repo", pubRepo, file)

	mir, _ := startServe(t, mirRepo, "--follow", id, "--peer", pubAddr, "--interval", "200ms")
	// Kill it as soon as it starts writing bundle data.
	waitFor(t, 60*time.Second, func() (string, bool) {
		ents, _ := os.ReadDir(filepath.Join(mirRepo, "bundles"))
		return "", len(ents) > 0
	})
	mir.Process.Signal(syscall.SIGKILL)
	mir.Wait()
	os.Remove(filepath.Join(mirRepo, "addrs")) // the dead process's; wait for the new one's

	startServe(t, mirRepo, "--follow", id, "--peer", pubAddr, "--interval", "200ms")
	got := waitFor(t, 60*time.Second, func() (string, bool) {
		r := samizdat(t, "status", "--repo", mirRepo, "--json")
		var st control.Status
		if json.Unmarshal([]byte(r.stdout), &st) != nil || len(st.Publishers) != 1 {
			return "", false
		}
		return st.Publishers[0].ID, true
	})
	if got != id {
		t.Fatalf("restarted mirror never completed the fetch")
	}
	files, _ := filepath.Glob(filepath.Join(mirRepo, "bundles", "*.car"))
	if len(files) != 1 {
		t.Fatalf("mirror holds %v, want one bundle file", files)
	}
	want, _ := os.ReadFile(file)
	if data, _ := os.ReadFile(files[0]); !bytes.Equal(data, want) {
		t.Errorf("the mirror's bundle differs from the publisher's")
	}
	if tmp, _ := filepath.Glob(filepath.Join(mirRepo, "bundles", ".*")); len(tmp) != 0 {
		t.Errorf("temporary files left after restart: %v", tmp)
	}
}
