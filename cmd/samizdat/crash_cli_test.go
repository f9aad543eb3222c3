package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/samizdat/samizdat/mirror"
	"github.com/samizdat/samizdat/node"
)

// TestCLIKilledAtAnyStep kills `samizdat publish` and `samizdat get
// --repo` with SIGKILL at a sweep of moments (before, during and after
// storing the bundle file, the catalog and the head), and after each kill
// checks the repo as a restarted node would see it: it opens, every held
// bundle verifies, a stored head names a held catalog and every bundle it
// lists is held (nothing unverified is served, no head names missing
// content); then the same command, run again, completes.
func TestCLIKilledAtAnyStep(t *testing.T) {
	if testing.Short() {
		t.Skip("kills many processes; not in -short")
	}
	dir := t.TempDir()
	id, key, file := bigBundle(t, dir, 1500)

	// Every 20 ms over the life of a publish or get of this bundle here
	// (about 250 ms), and once well after.
	var delays []time.Duration
	for d := time.Duration(0); d <= 320*time.Millisecond; d += 20 * time.Millisecond {
		delays = append(delays, d)
	}
	delays = append(delays, time.Second)
	var source string // a publisher repo that the gets fetch from
	for i, d := range delays {
		repo := filepath.Join(dir, "pub", time.Duration(d).String())
		killAfter(t, d, "publish", "--repo", repo, "--key", key, file)
		checkRepo(t, repo, id, "publish killed after "+d.String())
		mustRun(t, "publish", "--repo", repo, "--key", key, file)
		checkRepo(t, repo, id, "publish run again")
		if h := heldHead(t, repo, id); h == nil {
			t.Fatalf("publish run again after a kill at %v stored no head", d)
		}
		if i == len(delays)-1 {
			source = repo
		}
	}

	_, addr := startServe(t, source)
	for _, d := range delays {
		repo := filepath.Join(dir, "get", d.String())
		args := []string{"get", "--repo", repo, "--publisher", id, "--peer", addr, "-o", filepath.Join(repo, "out"), "--timeout", "60s"}
		killAfter(t, d, args...)
		checkRepo(t, repo, id, "get killed after "+d.String())
		mustRun(t, args...)
		checkRepo(t, repo, id, "get run again")
		if h := heldHead(t, repo, id); h == nil {
			t.Fatalf("get run again after a kill at %v stored no head", d)
		}
	}
}

// killAfter starts samizdat with args and kills it with SIGKILL after d,
// whatever it is doing then (it may have finished).
func killAfter(t *testing.T, d time.Duration, args ...string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(d) // the moment of the crash: any moment is a valid one
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

// heldHead returns the repo's head of publisher id, or nil.
func heldHead(t *testing.T, repo, id string) *node.Head {
	t.Helper()
	heads, err := node.PeekHeads(repo)
	if err != nil {
		t.Fatal(err)
	}
	h, err := heads.Get(id)
	if err != nil {
		t.Fatalf("%s: stored head: %v", repo, err)
	}
	return h
}

// checkRepo opens repo as a restarted node would and checks what it
// would serve.
func checkRepo(t *testing.T, repo, id, when string) {
	t.Helper()
	if _, err := os.Stat(repo); errors.Is(err, os.ErrNotExist) {
		return // killed before it made the repo
	}
	tmp, _ := filepath.Glob(filepath.Join(repo, "bundles", ".*")) // before opening deletes them
	r, err := node.OpenRepo(repo)
	if err != nil {
		t.Fatalf("%s: the repo does not open: %v", when, err)
	}
	defer r.Close()
	svc, err := mirror.Start(context.Background(), r, node.Config{}, mirror.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	n, ctx := svc.Node(), context.Background()
	for _, in := range n.HeldBundles() {
		if err := n.CheckBundle(ctx, in.Root); err != nil {
			t.Errorf("%s: a held bundle does not verify: %v", when, err)
		}
	}
	h, err := svc.Head(id)
	t.Logf("%s: %d bundles held, head stored: %v, temporary files: %d", when, len(n.HeldBundles()), err == nil, len(tmp))
	if errors.Is(err, node.ErrNoHead) {
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	data, err := n.GetBlock(ctx, h.Catalog)
	if err != nil {
		t.Fatalf("%s: the head names a catalog the repo lacks: %v", when, err)
	}
	cat, err := node.ParseCatalog(id, h.Catalog, data)
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	for _, root := range cat.Bundles {
		if !n.HasBundle(ctx, root) {
			t.Errorf("%s: the head names bundle %s, which the repo lacks", when, root)
		}
	}
}
