// Command benchtable prints issue 12's whole table in one run: every
// speed and size figure beside its reference, measured in the same run,
// the ratio and the target. It runs the project's benchmarks (go test
// -bench, in this module), packbench for the size table, and the built
// samizdat binary as a mirror for its memory, idle and under load.
//
//	go run ./internal/cmd/benchtable          # about 10 minutes on 2 cores
//	go run ./internal/cmd/benchtable -quick   # smaller corpora and fewer rounds
//
// Run it from the repository root on an otherwise idle machine: every
// figure shares the CPU with whatever else runs.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	quick := flag.Bool("quick", false, "smaller corpora and fewer rounds")
	only := flag.String("only", "", "one part only: size, speed or memory")
	flag.Parse()
	log.SetFlags(0)
	t0 := time.Now()
	fmt.Printf("samizdat benchmark table, %s\n", time.Now().UTC().Format(time.RFC3339))

	real, gen := "1500", "10000"
	if *quick {
		real, gen = "500", "2000"
	}
	if *only == "" || *only == "size" {
		fmt.Println("\n== Size and pack speed (go run ./internal/cmd/packbench -n " + gen + " -real " + real + ")")
		fmt.Print(run("go", "run", "./internal/cmd/packbench", "-n", gen, "-real", real))
	}
	var rows []row
	if *only == "" || *only == "speed" {
		rows = append(rows, speedRows(*quick)...)
	}
	if *only == "" || *only == "memory" {
		idle, loaded := mirrorMemory(*quick)
		rows = append(rows,
			row{"mirror memory, idle (VmRSS)", idle, 50, "MB", "< 50 MB", false},
			row{"mirror memory, 8 readers fetching (peak VmRSS)", loaded, 0, "MB", "", false},
		)
	}
	if len(rows) > 0 {
		fmt.Println("\n== Speed, transfer, growth and memory")
		fmt.Printf("%-48s %18s  %-14s %s\n", "", "measured", "target", "")
		for _, r := range rows {
			fmt.Println(r)
		}
	}
	fmt.Printf("\nfigures from the packages' benchmarks (go test -bench), side by side in this run; %v in all\n", time.Since(t0).Round(time.Second))
}

// speedRows runs the speed, transfer and growth benchmarks.
func speedRows(quick bool) []row {
	var rows []row
	rt := "3x"
	if quick {
		rt = "1x"
	}
	b := bench("./bundle", "^(BenchmarkReadArticle|BenchmarkReadArticleRealText|BenchmarkOpen)$", "2s")
	rows = append(rows,
		row{"random reads, generated text", b.metric("BenchmarkReadArticle", "articles/s"), 50000, "articles/s", "≥ 50,000/s", true},
		row{"random reads, real text", b.metric("BenchmarkReadArticleRealText", "articles/s"), 50000, "articles/s", "≥ 50,000/s", true},
		row{"open a 10,000-article bundle (file)", b.metric("BenchmarkOpen/file", "ns/op") / 1e6, 30, "ms", "≤ 30 ms", false},
	)
	f := bench("./mirror", "^BenchmarkFetchVsHTTP$", rt)
	rows = append(rows,
		row{"transfer over libp2p vs HTTPS (ratio)", f.metric("BenchmarkFetchVsHTTP", "ratio-https"), 0.5, "×", "≥ 0.5×", true},
	)
	g := bench("./node", "^BenchmarkGatewayVsStatic$", "3x")
	c := bench("./node", "^BenchmarkCatalogUpdates$", "1x")
	rows = append(rows,
		row{"gateway vs Go static server (ratio)", g.metric("BenchmarkGatewayVsStatic", "ratio"), 0.5, "×", "≥ 0.5×", true},
		row{"catalog an update carries, after 8,760", c.metric("BenchmarkCatalogUpdates", "max-update-catalog-B") / 1024, 10, "KiB", "≤ 10 KiB, O(1)", false},
		row{"one catalog listing 8,760 bundles (before)", c.metric("BenchmarkCatalogUpdates", "single-catalog-B") / 1024, 0, "KiB", "", false},
	)
	return rows
}

// row is one line of the table.
type row struct {
	name    string
	value   float64
	target  float64 // 0: none
	unit    string
	goal    string
	atLeast bool // the target is a floor, else a ceiling
}

func (r row) String() string {
	verdict := ""
	switch {
	case r.target == 0 || r.value < 0:
	case r.atLeast == (r.value >= r.target):
		verdict = "met"
	default:
		verdict = "NOT met"
	}
	v := "n/a"
	if r.value >= 0 {
		v = strconv.FormatFloat(r.value, 'f', precision(r.value), 64) + " " + r.unit
	}
	return fmt.Sprintf("%-48s %18s  %-14s %s", r.name, v, r.goal, verdict)
}

func precision(v float64) int {
	switch {
	case v >= 100:
		return 0
	case v >= 10:
		return 1
	}
	return 2
}

// results are a benchmark run's metrics by benchmark name (without the
// -N suffix) and unit.
type results map[string]map[string]float64

// metric returns the mean of a benchmark's metric, or -1.
func (r results) metric(name, unit string) float64 {
	if v, ok := r[name][unit]; ok {
		return v
	}
	return -1
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+(.*)$`)

// bench runs the benchmarks of pkg matching re and returns their
// metrics, averaged over the lines of each.
func bench(pkg, re, benchtime string) results {
	out := run("go", "test", pkg, "-run", "^$", "-bench", re, "-benchtime", benchtime)
	sums, counts := results{}, map[string]map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		f := strings.Fields(m[4])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			if sums[m[1]] == nil {
				sums[m[1]], counts[m[1]] = map[string]float64{}, map[string]int{}
			}
			sums[m[1]][f[i+1]] += v
			counts[m[1]][f[i+1]]++
		}
	}
	for name, units := range sums {
		for u := range units {
			units[u] /= float64(counts[name][u])
		}
	}
	if len(sums) == 0 {
		log.Printf("no figures from %s %s:\n%s", pkg, re, out)
	}
	return sums
}

// run runs a command and returns its stdout; a failure ends the program
// with its output.
func run(name string, args ...string) string {
	cmd := exec.Command(name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// mirrorMemory runs the built binary as a publisher and a mirror that
// follows it on 127.0.0.1, and returns the mirror's resident memory in MB
// once it holds the publisher's bundle and has idled, and its peak while
// 8 readers fetch from it at once, again and again.
func mirrorMemory(quick bool) (idle, loaded float64) {
	work, err := os.MkdirTemp("", "benchtable-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "samizdat")
	run("go", "build", "-o", bin, "./cmd/samizdat")
	n := "500"
	if quick {
		n = "200"
	}
	demo := filepath.Join(work, "demo")
	run(bin, "demo", "--dir", demo, "-n", n)
	key := filepath.Join(work, "root.key")
	id := strings.TrimSpace(run(bin, "keygen", "-o", key))
	file := filepath.Join(work, "news.bundle")
	run(bin, "pack", "-k", key, "-o", file, filepath.Join(demo, "articles"))
	pubRepo, mirRepo := filepath.Join(work, "pub"), filepath.Join(work, "mirror")
	run(bin, "publish", "--repo", pubRepo, "--key", key, file)
	pub := serve(bin, pubRepo, "--key", key)
	defer pub.stop()
	mir := serve(bin, mirRepo, "--follow", id, "--peer", pub.addr, "--interval", "1s")
	defer mir.stop()
	for deadline := time.Now().Add(60 * time.Second); ; {
		var st struct {
			Publishers []struct {
				Seq uint64 `json:"head_seq"`
			} `json:"publishers"`
		}
		out, err := exec.Command(bin, "status", "--repo", mirRepo, "--json").Output()
		if err == nil && json.Unmarshal(out, &st) == nil && len(st.Publishers) == 1 && st.Publishers[0].Seq == 1 {
			break
		}
		if time.Now().After(deadline) {
			log.Fatal("the mirror never got the publisher's bundle")
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(10 * time.Second)
	idle = rssMB(mir.cmd.Process.Pid)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				out := filepath.Join(work, fmt.Sprintf("got-%d-%d", i, k))
				exec.Command(bin, "get", "--publisher", id, "--peer", mir.addr, "-o", out).Run()
				os.RemoveAll(out)
			}
		})
	}
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		loaded = max(loaded, rssMB(mir.cmd.Process.Pid))
	}
	close(stop)
	wg.Wait()
	return idle, loaded
}

// server is a running `samizdat serve` and its first TCP address.
type server struct {
	cmd  *exec.Cmd
	addr string
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
}

// serve starts `samizdat serve` on repo, listening on loopback TCP only,
// and waits for its address.
func serve(bin, repo string, args ...string) *server {
	cmd := exec.Command(bin, append([]string{"serve", "--repo", repo, "--no-mdns", "--no-dht", "--listen", "/ip4/127.0.0.1/tcp/0"}, args...)...)
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		data, err := os.ReadFile(filepath.Join(repo, "addrs"))
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(data)) {
			if a, ok := strings.CutPrefix(strings.TrimSpace(line), "listening "); ok {
				return &server{cmd: cmd, addr: a}
			}
		}
	}
	cmd.Process.Kill()
	log.Fatalf("serve --repo %s wrote no address", repo)
	return nil
}

// rssMB reads a process's resident memory, in MB.
func rssMB(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err == nil {
				return kb * 1024 / 1e6
			}
		}
	}
	return -1
}
