// Command packbench prints the bundle format's comparison table: bundle
// size against zstd -19 of one tar and against per-file zstd -3 (using the
// zstd command when present) and pack throughput on one core, for a
// generated corpus and for real text found on the machine (English, and
// every language: internal/corpus.RealText); open and random-read times;
// and optionally the peak memory of packing a large corpus with the
// samizdat binary.
//
//	go run ./internal/cmd/packbench            # 10,000 generated, 1,500 real articles
//	go run ./internal/cmd/packbench -mem-gb 1  # also: peak RSS packing 1 GB
//	go run ./internal/cmd/packbench -n 0 -curve # also: cluster size against
//	                                            # bytes fetched per article
//	go run ./internal/cmd/packbench -n 0 -real 0 -day # a day of 50, 100 and
//	                                            # 300 new articles after a
//	                                            # history: --base against a
//	                                            # day's own dictionary, none
package main

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
	"github.com/samizdat/samizdat/internal/corpus"
)

func main() {
	n := flag.Int("n", 10000, "articles in the generated corpus")
	real := flag.Int("real", 1500, "articles in each real-text corpus (0: none)")
	memGB := flag.Float64("mem-gb", 0, "if > 0, also measure peak memory of `samizdat pack` on a corpus of this many GB")
	keep := flag.String("dir", "", "work directory (default: temporary, removed after)")
	curveFlag := flag.Bool("curve", false, "also print the cluster-size trade-off curve on the English real-text corpus")
	dayFlag := flag.Bool("day", false, "also print what a day of new articles costs packed with the history's dictionary, its own or none")
	history := flag.Int("history", 18250, "with -day, articles of history before the day (default: a year at 50 a day; at most 1200 for the all-languages corpus)")
	flag.Parse()
	log.SetFlags(0)

	work := *keep
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "packbench-*"); err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(work)
	}
	var gen string
	if *n > 0 {
		docs := corpus.Generate(42, *n, 2<<10, 20<<10)
		gen = sizeTable(work, "generated", fmt.Sprintf("%d generated articles of 2-20 KB, %d languages", len(docs), countLangs(docs)), docs).first
	}
	fmt.Println("\ntargets (issue 12): on real text, default <= 0.80x per-file zstd -3, best per article <= 1.25x\n" +
		"tar zstd -19, best with clusters <= 1.10x tar zstd -19, best packs >= 5 MB/s on one core")
	if *real > 0 {
		for _, c := range []struct {
			name  string
			langs []string
		}{{"real-en", []string{"en"}}, {"real-all", nil}} {
			rd, err := corpus.RealText(corpus.RealTextOptions{Docs: *real, Langs: c.langs})
			if err != nil {
				fmt.Printf("\n%s: %v\n", c.name, err)
				continue
			}
			t := sizeTable(work, c.name, fmt.Sprintf("%d articles of real text (%s: manual pages and /usr/share/doc of this machine), %d languages", len(rd), c.name, countLangs(rd)), rd)
			if *curveFlag && c.name == "real-en" {
				curve(work, t)
			}
		}
	}
	if *dayFlag {
		day(work, *history)
	}
	if gen != "" {
		randomAccess(gen)
	}
	if *memGB > 0 {
		measureMemory(work, *memGB)
	}
}

// table is what sizeTable measured: the corpus directory and its size,
// the references, and the default bundle's path.
type table struct {
	src         string
	in          int64
	tarZstd19   int64
	first, name string
}

// sizeTable writes docs as markdown files under work/name, packs them
// each way, and prints their sizes against zstd -19 of one tar and
// per-file zstd -3, and pack speed on one core.
func sizeTable(work, name, about string, docs []corpus.Doc) table {
	src := filepath.Join(work, name)
	in, err := corpus.WriteDir(src, docs)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\n%s corpus: %s, %.1f MB of markdown files\n\n", name, about, mb(in))
	tarPath := filepath.Join(work, name+".tar")
	if err := writeTar(tarPath, src); err != nil {
		log.Fatal(err)
	}
	tarZstd19, how19 := zstdCLI(work, "-19", tarPath)
	perFile3, how3 := perFileZstd3(work, src)
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	fmt.Printf("%-44s %12s %8s %10s %10s\n", "", "bytes", "ratio", "vs tar-19", "vs file-3")
	row := func(name string, size int64, extra string) {
		vs := func(ref int64) string {
			if ref <= 0 {
				return "n/a"
			}
			return fmt.Sprintf("%.3fx", float64(size)/float64(ref))
		}
		fmt.Printf("%-44s %12d %8.2f %10s %10s %s\n", name, size, float64(in)/float64(size), vs(tarZstd19), vs(perFile3), extra)
	}
	row("markdown files", in, "")
	row("one tar, zstd -19 ("+how19+")", tarZstd19, "")
	row("per-file zstd -3 ("+how3+")", perFile3, "")
	var first string
	for i, v := range []struct {
		name string
		opts bundle.PackOptions
	}{
		{"bundle, default (fastest + dictionary)", bundle.PackOptions{}},
		{"bundle, level default + dictionary", bundle.PackOptions{Level: bundle.LevelDefault}},
		{"bundle, best, one block per article", bundle.PackOptions{Level: bundle.LevelBest}},
		{"bundle, best, 1 MiB clusters", bundle.PackOptions{Level: bundle.LevelBest, Cluster: 1 << 20}},
	} {
		v.opts.Key, v.opts.Seq = key, 1
		out := filepath.Join(work, fmt.Sprintf("%s-%d.bundle", name, i))
		size, elapsed := pack(v.opts, src, out)
		row(v.name, size, fmt.Sprintf(" pack %.1f MB/s on one core", mb(in)/elapsed.Seconds()))
		if i == 0 {
			first = out
		}
	}
	return table{src: src, in: in, tarZstd19: tarZstd19, first: first, name: name}
}

// randomAccess prints open and random-read times of the bundle at path.
func randomAccess(path string) {
	var opens []time.Duration
	for i := 0; i < 21; i++ {
		t0 := time.Now()
		b, err := bundle.Open(path, bundle.OpenOptions{})
		if err != nil {
			log.Fatal(err)
		}
		list := b.List()
		if _, err := b.Body(list[(i*7919)%len(list)].ID); err != nil {
			log.Fatal(err)
		}
		opens = append(opens, time.Since(t0))
		b.Close()
	}
	slices.Sort(opens)
	b, err := bundle.Open(path, bundle.OpenOptions{})
	if err != nil {
		log.Fatal(err)
	}
	ids := b.List()
	const reads = 50000
	t0 := time.Now()
	for i := 0; i < reads; i++ {
		if _, err := b.Body(ids[(i*7919)%len(ids)].ID); err != nil {
			log.Fatal(err)
		}
	}
	el := time.Since(t0)
	b.Close()
	fmt.Printf("\nrandom access (the generated corpus's default bundle, one core):\n  open + read one article, median of 21: %v\n  reads from an open bundle: %.0f articles/s (%v each; target 50,000/s)\n",
		opens[len(opens)/2].Round(time.Microsecond), reads/el.Seconds(), (el / reads).Round(100*time.Nanosecond))
}

func pack(opts bundle.PackOptions, src, out string) (int64, time.Duration) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	runtime.GC()
	t0 := time.Now()
	p, err := bundle.NewPacker(opts)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	if err := ingest.Walk([]string{src}, ingest.Options{}, p.Add); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(out)
	if err != nil {
		log.Fatal(err)
	}
	info, err := p.Pack(f)
	if err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	return info.Size, time.Since(t0)
}

func countLangs(docs []corpus.Doc) int {
	m := map[string]bool{}
	for _, d := range docs {
		m[d.Lang] = true
	}
	return len(m)
}

func mb(n int64) float64 { return float64(n) / 1e6 }

func writeTar(path, dir string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		return err
	}
	return tw.Close()
}

// zstdCLI compresses file with the zstd command and returns the size.
func zstdCLI(work, level, file string) (int64, string) {
	if _, err := exec.LookPath("zstd"); err != nil {
		return 0, "zstd command not found"
	}
	out := filepath.Join(work, "cli.zst")
	if b, err := exec.Command("zstd", level, "-q", "-f", "-o", out, file).CombinedOutput(); err != nil {
		log.Fatalf("zstd: %v: %s", err, b)
	}
	st, err := os.Stat(out)
	if err != nil {
		log.Fatal(err)
	}
	return st.Size(), "zstd command"
}

// perFileZstd3 compresses every file on its own with zstd -3.
func perFileZstd3(work, dir string) (int64, string) {
	if _, err := exec.LookPath("zstd"); err != nil {
		return 0, "zstd command not found"
	}
	out := filepath.Join(work, "perfile-"+filepath.Base(dir)) // one per corpus
	if b, err := exec.Command("zstd", "-3", "-q", "-r", dir, "--output-dir-mirror", out).CombinedOutput(); err != nil {
		log.Fatalf("zstd: %v: %s", err, b)
	}
	var total int64
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total, "zstd command"
}

// measureMemory packs a corpus of gb gigabytes with the samizdat binary
// and reports its peak resident memory.
func measureMemory(work string, gb float64) {
	bin := filepath.Join(work, "samizdat")
	if b, err := exec.Command("go", "build", "-o", bin, "./cmd/samizdat").CombinedOutput(); err != nil {
		log.Fatalf("build samizdat (run from the repository root): %v: %s", err, b)
	}
	dir := filepath.Join(work, "big")
	g := corpus.New(7, 2<<10, 20<<10)
	var total int64
	for i := 0; float64(total) < gb*1e9; i++ {
		var batch []corpus.Doc
		for j := 0; j < 1000; j++ {
			batch = append(batch, g.Next())
		}
		n, err := corpus.WriteDir(dir, batch)
		if err != nil {
			log.Fatal(err)
		}
		total += n
	}
	key := filepath.Join(work, "mem.key")
	if b, err := exec.Command(bin, "keygen", "-o", key).CombinedOutput(); err != nil {
		log.Fatalf("keygen: %v: %s", err, b)
	}
	cmd := exec.Command(bin, "pack", "-k", key, "-o", filepath.Join(work, "big.bundle"), dir)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		log.Fatalf("pack: %v: %s", err, stderr.Bytes())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	fmt.Printf("\npeak memory: samizdat pack of %.2f GB of markdown: max RSS %.1f MB in %v (target < 256 MB)\n",
		mb(total)/1000, float64(ru.Maxrss)/1024, time.Since(t0).Round(time.Second))
}

// curve packs t's corpus at each cluster size and prints the bundle's size
// against zstd -19 of one tar with what a reader fetches to read one
// article: the content blocks its spans name, counted by opening the
// bundle through a block getter (the metadata and dictionary, fetched once
// per bundle, are left out and printed on their own).
func curve(work string, t table) {
	fmt.Printf("\ncluster size against bytes fetched for one article (%s corpus, mean and 95th percentile over every article; the dictionary is fetched once per bundle)\n\n", t.name)
	fmt.Printf("%-8s %-12s %12s %10s %12s %12s %10s %s\n", "level", "cluster", "bytes", "vs tar-19", "fetch mean", "fetch p95", "dict", "pack")
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	for _, lv := range []bundle.Level{bundle.LevelFastest, bundle.LevelBest} {
		for _, cl := range []int{0, 64 << 10, 256 << 10, 1 << 20} {
			out := filepath.Join(work, fmt.Sprintf("curve-%v-%d.bundle", lv, cl))
			size, elapsed := pack(bundle.PackOptions{Key: key, Seq: 1, Level: lv, Cluster: cl}, t.src, out)
			fetched, dict := fetchPerArticle(out)
			slices.Sort(fetched)
			var sum int64
			for _, f := range fetched {
				sum += f
			}
			name := "per article"
			if cl > 0 {
				name = fmt.Sprintf("%d KiB", cl>>10)
			}
			fmt.Printf("%-8v %-12s %12d %9.3fx %12d %12d %10d %.1f MB/s\n", lv, name, size, float64(size)/float64(t.tarZstd19),
				sum/int64(len(fetched)), fetched[len(fetched)*95/100], dict, mb(t.in)/elapsed.Seconds())
		}
	}
}

// fetchPerArticle opens the bundle at path through a counting block getter
// and returns, for each article, the bytes of the blocks reading its body
// asks for, and the dictionary's size.
func fetchPerArticle(path string) ([]int64, int) {
	b, err := bundle.Open(path, bundle.OpenOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	var got int64
	get := func(c cid.Cid) ([]byte, error) {
		data, err := b.Block(c)
		got += int64(len(data))
		return data, err
	}
	root := b.Blocks()[0] // the envelope comes first (canonical order)
	rb, err := bundle.OpenBlocks(root, get, bundle.OpenOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer rb.Close()
	var fetched []int64
	for _, a := range rb.List() {
		got = 0
		if _, err := rb.Body(a.ID); err != nil {
			log.Fatal(err)
		}
		fetched = append(fetched, got)
	}
	return fetched, len(rb.Dictionary())
}
