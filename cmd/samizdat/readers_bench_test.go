//go:build linux

package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/corpus"
)

// BenchmarkFiftyReaders starts one `samizdat serve` holding a 2,000-article
// bundle and fifty `samizdat get` processes against it at once, on
// loopback. It reports the time until all fifty have verified and written
// the bundle, and the serving process's peak resident memory (VmHWM).
func BenchmarkFiftyReaders(b *testing.B) {
	const readers = 50
	dir := b.TempDir()
	key, err := bundle.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	keyPEM, err := bundle.MarshalPrivateKey(key)
	if err != nil {
		b.Fatal(err)
	}
	keyFile := filepath.Join(dir, "root.key")
	os.WriteFile(keyFile, keyPEM, 0o600)
	p, err := bundle.NewPacker(bundle.PackOptions{Key: key, Seq: 1, TempDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range corpus.Generate(9, 2000, 2<<10, 8<<10) {
		p.Add(&bundle.Article{ID: d.ID, Title: d.Title, Lang: d.Lang, ContentType: "text/markdown", Body: []byte(d.Body)})
	}
	var buf bytes.Buffer
	info, err := p.Pack(&buf)
	p.Close()
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(dir, "news.bundle")
	os.WriteFile(file, buf.Bytes(), 0o644)

	for b.Loop() {
		repo := filepath.Join(b.TempDir(), "mirror")
		serve := exec.Command(binary, "serve", "--repo", repo, "--key", keyFile, "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns", "--no-dht")
		if err := serve.Start(); err != nil {
			b.Fatal(err)
		}
		addr := ""
		for deadline := time.Now().Add(30 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if data, err := os.ReadFile(filepath.Join(repo, "addrs")); err == nil && len(data) > 0 {
				addr = strings.TrimPrefix(strings.SplitN(string(data), "\n", 2)[0], "listening ")
			}
		}
		if addr == "" {
			serve.Process.Kill()
			b.Fatal("serve wrote no address")
		}
		if out, err := exec.Command(binary, "publish", "--repo", repo, file).CombinedOutput(); err != nil {
			serve.Process.Kill()
			b.Fatalf("publish: %v: %s", err, out)
		}
		t0 := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, readers)
		for i := range readers {
			out := filepath.Join(b.TempDir(), "got"+strconv.Itoa(i))
			wg.Go(func() {
				if msg, err := exec.Command(binary, "get", "--publisher", info.Publisher, "--peer", addr, "-o", out, "--timeout", "120s").CombinedOutput(); err != nil {
					errs <- &readerError{err, msg}
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(t0)
		close(errs)
		hwm := vmHWM(serve.Process.Pid)
		serve.Process.Signal(syscall.SIGINT)
		serve.Wait()
		for err := range errs {
			b.Fatal(err)
		}
		b.ReportMetric(elapsed.Seconds(), "all-verified-s")
		b.ReportMetric(float64(hwm)/1024, "serve-VmHWM-MB")
		b.ReportMetric(float64(len(buf.Bytes()))/1e6, "bundle-MB")
	}
}

type readerError struct {
	err error
	out []byte
}

func (e *readerError) Error() string { return "get: " + e.err.Error() + ": " + string(e.out) }

// vmHWM returns a process's peak resident memory in KiB, from /proc.
func vmHWM(pid int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb
		}
	}
	return 0
}
