package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/boxo/ipns"
	"github.com/ipld/go-car/v2"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/pinfake"
	"github.com/samizdat/samizdat/node"
)

// A stock IPFS node (Kubo) as a carrier of a samizdat publisher
// (docs/operators.md, "Carrying a publisher on IPFS"; protocol.md §4.5).
// The tests drive Kubo's own ipfs command; the binary comes from
// SAMIZDAT_KUBO, else ipfs on PATH. Without one, or with another version,
// they skip, unless SAMIZDAT_REQUIRE_KUBO is set (CI builds Kubo in
// .ci/run and sets both).

// kuboVersion is the Kubo release the tests are written against, as
// `ipfs version` prints it. CI builds exactly this one (.ci/run).
const kuboVersion = "0.43.0"

const (
	kuboEnv        = "SAMIZDAT_KUBO"
	kuboRequireEnv = "SAMIZDAT_REQUIRE_KUBO"
	kuboStep       = 30 * time.Second // any one ipfs command, and a daemon's start
)

// kuboBinary returns the Kubo binary to drive, or skips the test (one
// line) when there is none or it is not kuboVersion, unless
// SAMIZDAT_REQUIRE_KUBO is set: then it fails it.
func kuboBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(kuboEnv)
	if bin == "" {
		bin, _ = exec.LookPath("ipfs")
	}
	problem := ""
	if bin == "" {
		problem = fmt.Sprintf("no Kubo found (%s, or ipfs on PATH)", kuboEnv)
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), kuboStep)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, "version").Output()
		switch got := strings.TrimSpace(string(out)); {
		case err != nil:
			problem = fmt.Sprintf("%s version: %v", bin, err)
		case got != "ipfs version "+kuboVersion:
			problem = fmt.Sprintf("%s version printed %q, want Kubo %s", bin, got, kuboVersion)
		}
	}
	if problem == "" {
		return bin
	}
	if os.Getenv(kuboRequireEnv) != "" {
		t.Fatalf("%s, and %s is set", problem, kuboRequireEnv)
	}
	t.Skipf("%s (%s=1 makes this a failure)", problem, kuboRequireEnv)
	return ""
}

// kubo is one Kubo node in a temporary IPFS_PATH.
type kubo struct {
	t       *testing.T
	bin     string
	path    string // IPFS_PATH
	env     []string
	log     *lockedBuffer // the daemon's output
	gateway string        // base URL, once the daemon runs
}

// newKubo makes a Kubo repo that touches nothing but 127.0.0.1 and checks
// its config says so. `ipfs init --profile test` listens on 127.0.0.1
// only (API, gateway and swarm on TCP port 0: the daemon writes the ports
// it got to $IPFS_PATH/api and $IPFS_PATH/gateway), sets no bootstrap
// peers, turns off mDNS, NAT port mapping, AutoTLS and AutoConf, and
// empties the lists AutoConf would fill (delegated routers and publishers,
// DNS resolvers). On top of it: Routing.Type routing, "none" (no DHT, no
// delegated HTTP routing) or "dht" (a DHT with no peer to ask, and so a
// value store that routing put fills: with "none" an online node's
// routing put stores nothing), never the default "auto" (the Amino DHT and
// delegated routers); and the telemetry plugin off (Kubo 0.43.0 reports to
// a collector on the internet by default; IPFS_TELEMETRY=off in the
// environment too). The bootstrapper
// also dials "backup" peers it saved on earlier runs, whatever Bootstrap
// says, in 0.43.0: a new repo has none. As a tripwire, every ipfs process
// gets HTTP(S)_PROXY pointing at a local server that counts requests; any
// HTTP request Kubo makes off loopback through Go's default transport
// (AutoConf, telemetry, delegated routing) would reach it, and the test
// fails if one does. libp2p dials are no HTTP: the bitswap test checks
// that the only peer is samizdat.
func newKubo(t *testing.T, bin, routing string) *kubo {
	t.Helper()
	var mu sync.Mutex
	var tripped []string
	trip := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tripped = append(tripped, r.Method+" "+r.Host)
		mu.Unlock()
		http.Error(w, "no outbound requests in tests", http.StatusForbidden)
	}))
	t.Cleanup(func() { // after the daemon's cleanup: registered before it
		trip.Close()
		mu.Lock()
		defer mu.Unlock()
		if len(tripped) > 0 {
			t.Errorf("Kubo made HTTP requests off loopback: %q", tripped)
		}
	})
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(name, "IPFS_") || strings.HasSuffix(strings.ToUpper(name), "_PROXY")
	})
	path := filepath.Join(t.TempDir(), "ipfs")
	env = append(env, "IPFS_PATH="+path, "IPFS_TELEMETRY=off",
		"HTTP_PROXY="+trip.URL, "HTTPS_PROXY="+trip.URL, "http_proxy="+trip.URL, "https_proxy="+trip.URL)
	k := &kubo{t: t, bin: bin, path: path, env: env, log: newLockedBuffer()}
	k.run("init", "--profile", "test")
	k.run("config", "Routing.Type", routing)
	k.run("config", "--json", "Plugins.Plugins", `{"telemetry": {"Config": {"Mode": "off"}}}`)

	var cfg map[string]any
	if err := json.Unmarshal([]byte(k.run("config", "show")), &cfg); err != nil {
		t.Fatalf("ipfs config show: %v", err)
	}
	for path, want := range map[string]string{
		"Bootstrap":                             "[]",
		"Discovery.MDNS.Enabled":                "false",
		"AutoConf.Enabled":                      "false",
		"AutoTLS.Enabled":                       "false",
		"Routing.Type":                          routing,
		"Routing.DelegatedRouters":              "[]",
		"Ipns.DelegatedPublishers":              "[]",
		"DNS.Resolvers":                         "map[]",
		"Swarm.DisableNatPortMap":               "true",
		"Plugins.Plugins.telemetry.Config.Mode": "off",
	} {
		if got := fmt.Sprint(configAt(cfg, path)); got != want {
			t.Errorf("Kubo config %s = %s, want %s", path, got, want)
		}
	}
	for _, path := range []string{"Addresses.API", "Addresses.Gateway", "Addresses.Swarm"} {
		addrs := configAt(cfg, path)
		list, ok := addrs.([]any)
		if !ok {
			list = []any{addrs}
		}
		for _, a := range list {
			if s, _ := a.(string); !strings.HasPrefix(s, "/ip4/127.0.0.1/tcp/") {
				t.Errorf("Kubo config %s has %v, want 127.0.0.1 only", path, a)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return k
}

// configAt returns the value at a dotted path of Kubo's config.
func configAt(cfg map[string]any, path string) any {
	var v any = cfg
	for _, name := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[name]
	}
	return v
}

// try runs one ipfs command (through the daemon, when one runs) and
// returns its stdout, or an error carrying its output.
func (k *kubo) try(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), kuboStep)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.bin, args...)
	cmd.Env = k.env
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		return so.String(), fmt.Errorf("ipfs %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, so.String(), se.String())
	}
	return so.String(), nil
}

// run is try that fails the test on an error.
func (k *kubo) run(args ...string) string {
	k.t.Helper()
	out, err := k.try(args...)
	if err != nil {
		k.t.Fatal(err)
	}
	return out
}

// start runs `ipfs daemon` (with --offline if offline) until the test
// ends, and returns once it is ready, with k.gateway set. On failure the
// test log gets the daemon's output.
func (k *kubo) start(offline bool) {
	k.t.Helper()
	args := []string{"daemon"}
	if offline {
		args = append(args, "--offline")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, k.bin, args...)
	cmd.Env = k.env
	cmd.Stdout, cmd.Stderr = k.log, k.log
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) } // a clean shutdown
	cmd.WaitDelay = 10 * time.Second                                      // then SIGKILL
	if err := cmd.Start(); err != nil {
		cancel()
		k.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	k.t.Cleanup(func() {
		cancel()
		<-exited
		if k.t.Failed() {
			k.t.Logf("ipfs %s output:\n%s", strings.Join(args, " "), k.log.String())
		}
	})
	timeout := time.After(kuboStep)
	for !strings.Contains(k.log.String(), "Daemon is ready") {
		select {
		case <-k.log.wrote:
		case <-exited:
			k.t.Fatalf("ipfs %s exited before it was ready", strings.Join(args, " "))
		case <-timeout:
			k.t.Fatalf("ipfs %s not ready after %v", strings.Join(args, " "), kuboStep)
		}
	}
	// The port the gateway got (its config says port 0).
	gw, err := os.ReadFile(filepath.Join(k.path, "gateway"))
	if err != nil || !strings.HasPrefix(string(gw), "http://127.0.0.1:") {
		k.t.Fatalf("Kubo's gateway file: %q, %v", gw, err)
	}
	k.gateway = strings.TrimSpace(string(gw))
}

// record returns the sequence number of the IPNS record Kubo's gateway
// serves for publisher id, checked as a samizdat head.
func (k *kubo) record(id string) uint64 {
	k.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, k.gateway+"/ipns/"+id+"?format=ipns-record", nil)
	req.Header.Set("Accept", "application/vnd.ipfs.ipns-record")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, node.MaxHeadSize+1))
	if resp.StatusCode != http.StatusOK {
		k.t.Fatalf("Kubo's gateway: GET /ipns/%s: %s: %s", id, resp.Status, body)
	}
	h, err := node.ParseHead(id, body)
	if err != nil {
		k.t.Fatalf("Kubo's gateway serves for %s a record that is no head: %v", id, err)
	}
	return h.Seq
}

// kuboPublisher is a publisher repo holding two published bundles, with
// an export file and the head record written at each head.
type kuboPublisher struct {
	id, repo string
	files    []string         // the bundle files, oldest first
	bundles  []*bundle.Bundle // opened from files
	exports  []string         // export file at head 1, at head 2
	records  []string         // head-record file at head 1, at head 2
	putLine  string           // head-record's `ipfs routing put` line at head 2
}

func newKuboPublisher(t *testing.T) *kuboPublisher {
	t.Helper()
	dir := t.TempDir()
	p := &kuboPublisher{}
	var first string
	p.id, first, p.repo = publishedRepo(t, dir)
	key := filepath.Join(dir, "root.key")
	p.files = append(p.files, first)
	p.snapshot(t, dir, 1)

	src2 := filepath.Join(dir, "src2")
	writeFiles(t, src2, corpusFiles)
	writeFiles(t, src2, map[string]string{"en/late.md": "---\nid: en-late\ntitle: Late news\nlang: en\n---\nThe second bundle's article.\n"})
	second := filepath.Join(dir, "news2.bundle")
	mustRun(t, "pack", "-k", key, "--base", first, "-o", second, src2)
	mustRun(t, "publish", "--repo", p.repo, "--key", key, second)
	p.files = append(p.files, second)
	p.snapshot(t, dir, 2)

	for _, f := range p.files {
		b, err := bundle.Open(f, bundle.OpenOptions{Publisher: p.id})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		p.bundles = append(p.bundles, b)
	}
	return p
}

// snapshot writes the export file and the head record of the repo's head
// seq.
func (p *kuboPublisher) snapshot(t *testing.T, dir string, seq uint64) {
	t.Helper()
	if got := headSeq(t, p.repo); got != seq {
		t.Fatalf("publisher head = %d, want %d", got, seq)
	}
	exp := filepath.Join(dir, fmt.Sprintf("head%d.samizdat", seq))
	mustRun(t, "export", "--repo", p.repo, "--publisher", p.id, "-o", exp)
	rec := filepath.Join(dir, fmt.Sprintf("head%d.ipns-record", seq))
	lines := strings.Split(strings.TrimSpace(mustRun(t, "head-record", "--repo", p.repo, "--publisher", p.id, "-o", rec).stdout), "\n")
	if lines[0] != "/ipns/"+p.id {
		t.Fatalf("head-record named %q, want /ipns/%s (a root-signed head)", lines[0], p.id)
	}
	p.exports, p.records, p.putLine = append(p.exports, exp), append(p.records, rec), lines[len(lines)-1]
}

// catalogCID returns the catalog the head record at head seq names.
func (p *kuboPublisher) catalogCID(t *testing.T, seq int) string {
	t.Helper()
	data, err := os.ReadFile(p.records[seq-1])
	if err != nil {
		t.Fatal(err)
	}
	h, err := node.ParseHead(p.id, data)
	if err != nil {
		t.Fatal(err)
	}
	return h.Catalog.String()
}

// TestKubo: a stock Kubo node carries a samizdat publisher: it imports an
// export file, fetches the bundles over bitswap from a samizdat mirror,
// and, given the head record, its gateway serves everything `samizdat get
// --http` needs, while a gateway with an older record cannot roll a
// reader back. Everything runs on 127.0.0.1 (newKubo says how Kubo is kept
// there).
func TestKubo(t *testing.T) {
	bin := kuboBinary(t)
	p := newKuboPublisher(t)

	t.Run("dag import of an export file", func(t *testing.T) {
		k := newKubo(t, bin, "none") // no daemon: the ipfs command opens the repo itself
		k.run("dag", "import", p.exports[1])

		f, err := os.Open(p.exports[1])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		br, err := car.NewBlockReader(f)
		if err != nil || len(br.Roots) != 1 {
			t.Fatalf("export file's CAR header: %v roots, %v", br.Roots, err)
		}
		root := br.Roots[0].String()
		if pins := k.run("pin", "ls", "--type=recursive"); !strings.Contains(pins, root+" recursive") {
			t.Errorf("ipfs pin ls: export root %s not pinned recursively:\n%s", root, pins)
		}
		// Kubo walks the whole DAG from the export block: the catalog,
		// then every block of both bundles (the publisher document among
		// them, linked from the envelopes), and nothing else.
		want := map[string]bool{p.catalogCID(t, 2): true}
		for _, b := range p.bundles {
			for _, c := range b.Blocks() {
				want[c.String()] = true
			}
		}
		got := map[string]bool{}
		for _, c := range strings.Fields(k.run("refs", "-r", "--unique", root)) {
			got[c] = true
		}
		if !maps.Equal(got, want) {
			t.Errorf("ipfs refs -r of the export root: %d blocks, want the catalog and the bundles' %d", len(got), len(want))
		}
		for i, b := range p.bundles {
			r := b.Root.String()
			want, _ := b.Block(b.Root)
			if got := k.run("block", "get", r); got != string(want) {
				t.Errorf("ipfs block get of bundle %d's root differs from the bundle's envelope block", i+1)
			}
			// The strong check: Kubo's CAR of a bundle is byte for byte
			// the publisher's canonical file. `ipfs dag export` writes
			// the blocks in the order its depth-first walk of the links
			// meets them, which is the canonical order (bundle-format.md
			// §4), and the same one-root CARv1 header.
			file, _ := os.ReadFile(p.files[i])
			if got := k.run("dag", "export", r); got != string(file) {
				t.Errorf("ipfs dag export of bundle %d (%d bytes) differs from the publisher's file (%d bytes)", i+1, len(got), len(file))
			}
		}
	})

	t.Run("bitswap from a samizdat mirror", func(t *testing.T) {
		mir := filepath.Join(t.TempDir(), "mirror")
		mustRun(t, "import", "--repo", mir, p.exports[1])
		_, addr := startServe(t, mir)
		samizdatPeer := addr[strings.LastIndex(addr, "/p2p/")+len("/p2p/"):]

		k := newKubo(t, bin, "none")
		k.start(false)
		k.run("swarm", "connect", addr)
		// The catalog pinned recursively takes every bundle it lists:
		// all of it must come over bitswap from samizdat, the only peer.
		cat := p.catalogCID(t, 2)
		k.run("--timeout", kuboStep.String(), "pin", "add", cat)

		var stat struct{ BlocksReceived, DupBlksReceived uint64 }
		if err := json.Unmarshal([]byte(k.run("bitswap", "stat", "--enc=json")), &stat); err != nil {
			t.Fatal(err)
		}
		blocks := map[string]bool{cat: true}
		for _, b := range p.bundles {
			for _, c := range b.Blocks() {
				blocks[c.String()] = true
			}
		}
		if n := stat.BlocksReceived - stat.DupBlksReceived; n != uint64(len(blocks)) {
			t.Errorf("Kubo received %d blocks over bitswap, want the catalog and the bundles' blocks: %d", n, len(blocks))
		}
		peers := strings.Fields(k.run("swarm", "peers"))
		if len(peers) != 1 || !strings.HasSuffix(peers[0], "/p2p/"+samizdatPeer) {
			t.Errorf("Kubo's peers = %q, want the samizdat mirror only", peers)
		}
		for i, b := range p.bundles {
			file, _ := os.ReadFile(p.files[i])
			if got := k.run("dag", "export", b.Root.String()); got != string(file) {
				t.Errorf("ipfs dag export of bundle %d after bitswap differs from the publisher's file", i+1)
			}
		}
	})

	t.Run("pinning service over bitswap from a samizdat mirror", func(t *testing.T) {
		mir := filepath.Join(t.TempDir(), "mirror")
		mustRun(t, "import", "--repo", mir, p.exports[1])
		_, addr := startServe(t, mir)
		k := newKubo(t, bin, "none")
		k.start(false)
		// A pinning service whose IPFS node is Kubo: it connects to the
		// origins it is given and pins the CID.
		svc := pinfake.New("tok-kubo", 1)
		var mu sync.Mutex
		var origins []string
		svc.Pinner = func(c string, given []string) error {
			mu.Lock()
			origins = given
			mu.Unlock()
			for _, o := range given {
				if _, err := k.try("swarm", "connect", o); err != nil {
					return err
				}
			}
			_, err := k.try("--timeout", kuboStep.String(), "pin", "add", c)
			return err
		}
		srv := httptest.NewServer(svc)
		defer srv.Close()
		token := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(token, []byte(svc.Token), 0o600); err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, "pin-remote", "--repo", mir, "--publisher", p.id, "--service", srv.URL, "--token-file", token,
			"--origin", addr, "--wait", kuboStep.String())
		cat := p.catalogCID(t, 2)
		mu.Lock()
		defer mu.Unlock()
		if !strings.Contains(r.stdout, "catalog "+cat) || !strings.Contains(r.stdout, "status pinned") || !slices.Equal(origins, []string{addr}) {
			t.Errorf("pin-remote: %s(origins given to the service: %v)", r.stdout, origins)
		}
		if pins := k.run("pin", "ls", "--type=recursive"); !strings.Contains(pins, cat+" recursive") {
			t.Errorf("Kubo's pins lack the catalog %s:\n%s", cat, pins)
		}
		for i, b := range p.bundles {
			file, _ := os.ReadFile(p.files[i])
			if got := k.run("dag", "export", b.Root.String()); got != string(file) {
				t.Errorf("ipfs dag export of bundle %d after the pin differs from the publisher's file", i+1)
			}
		}
	})

	t.Run("gateway as a samizdat HTTP mirror", func(t *testing.T) {
		// An online node with a DHT, as an operator runs one, but with no
		// peers: routing put stores the record in the node's value store
		// (and would put it to the DHT's closest peers), from which the
		// gateway resolves /ipns/ names. The stale gateway below is an
		// offline daemon, where --allow-offline does the same.
		k := newKubo(t, bin, "dht")
		k.start(false)
		k.run("dag", "import", p.exports[1])
		// Run the line head-record printed, as an operator would.
		put := strings.Fields(p.putLine)
		if len(put) != 6 || strings.Join(put[:5], " ") != "ipfs routing put --allow-offline /ipns/"+p.id || put[5] != p.records[1] {
			t.Fatalf("head-record's routing put line = %q", p.putLine)
		}
		k.run(put[1:]...)
		if seq := k.record(p.id); seq != 2 {
			t.Fatalf("Kubo's gateway serves head %d, want 2", seq)
		}

		dir := t.TempDir()
		out, reader := filepath.Join(dir, "got"), filepath.Join(dir, "reader")
		if r := mustRun(t, "get", "--publisher", p.id, "--http", k.gateway, "-o", out, "--repo", reader, "--timeout", "60s"); !strings.Contains(r.stdout, "head 2") {
			t.Errorf("get --http from Kubo: %q", r.stdout)
		}
		got, _ := filepath.Glob(filepath.Join(out, "*.bundle"))
		if len(got) != len(p.files) {
			t.Fatalf("get --http from Kubo wrote %v, want %d bundles", got, len(p.files))
		}
		for _, f := range got {
			data, _ := os.ReadFile(f)
			if !slices.ContainsFunc(p.files, func(pf string) bool { b, _ := os.ReadFile(pf); return bytes.Equal(b, data) }) {
				t.Errorf("%s from Kubo's gateway is none of the publisher's files", filepath.Base(f))
			}
			mustRun(t, "verify", "-p", p.id, f)
		}
		if seq := headSeq(t, reader); seq != 2 {
			t.Fatalf("reader's head after get = %d, want 2", seq)
		}
		if peers := k.run("swarm", "peers"); peers != "" {
			t.Errorf("the Kubo node with a DHT connected to %q", peers)
		}

		// Kubo's value store keeps the highest sequence: an older record
		// put over the newer one changes nothing (the put reports
		// success all the same), and the gateway keeps serving head 2.
		k.try("routing", "put", "--allow-offline", "/ipns/"+p.id, p.records[0])
		if seq := k.record(p.id); seq != 2 {
			t.Errorf("after an older routing put, Kubo's gateway serves head %d, want 2", seq)
		}

		// A stale gateway: the blocks and the record of head 1 only. The
		// reader, holding head 2, refuses it and keeps head 2.
		stale := newKubo(t, bin, "none")
		stale.start(true)
		stale.run("dag", "import", p.exports[0])
		stale.run("routing", "put", "--allow-offline", "/ipns/"+p.id, p.records[0])
		if seq := stale.record(p.id); seq != 1 {
			t.Fatalf("the stale gateway serves head %d, want 1", seq)
		}
		r := samizdat(t, "get", "--publisher", p.id, "--http", stale.gateway, "-o", filepath.Join(dir, "stale"), "--repo", reader, "--timeout", "60s")
		if r.code == 0 || !strings.Contains(r.stderr, "older than one already trusted") {
			t.Errorf("get --http from a gateway with an older head: exit %d, stderr %q; want a failure naming the rollback", r.code, r.stderr)
		}
		if seq := headSeq(t, reader); seq != 2 {
			t.Errorf("reader's head after a stale gateway = %d, want 2 still", seq)
		}
	})
}

// TestKuboDelegated: a publisher that keeps its root key offline signs
// its heads with a head key. Kubo's gateway has no samizdat/heads/ path,
// only the record under the head key's name (head-record prints it); a
// reader that already holds the document (here from a USB import of an
// earlier head) asks for the records of its head keys, wraps each with
// the document, and gets the next head and bundle from Kubo's gateway.
func TestKuboDelegated(t *testing.T) {
	bin := kuboBinary(t)
	dir := t.TempDir()
	root, hk, doc := filepath.Join(dir, "root.key"), filepath.Join(dir, "head.key"), filepath.Join(dir, "publisher.doc")
	id := strings.TrimSpace(mustRun(t, "keygen", "-o", root).stdout)
	hkID := strings.TrimSpace(mustRun(t, "keygen", "-o", hk).stdout)
	mustRun(t, "authorize", "-k", root, "--head-key", hk, "-o", doc)
	repo := filepath.Join(dir, "pub")
	var files, exports, records []string
	for i := range 2 {
		src := filepath.Join(dir, fmt.Sprintf("src%d", i))
		writeFiles(t, src, corpusFiles)
		writeFiles(t, src, map[string]string{"en/day.md": fmt.Sprintf("---\nid: en-day-%d\ntitle: Day %d\nlang: en\n---\nThe news of day %d.\n", i, i, i)})
		f := filepath.Join(dir, fmt.Sprintf("day%d.bundle", i))
		mustRun(t, "pack", "-k", root, "--authority", doc, "--seq", fmt.Sprint(i+1), "-o", f, src)
		mustRun(t, "publish", "--repo", repo, "--key", hk, "--authority", doc, f)
		exp, rec := filepath.Join(dir, fmt.Sprintf("head%d.samizdat", i+1)), filepath.Join(dir, fmt.Sprintf("head%d.ipns-record", i+1))
		mustRun(t, "export", "--repo", repo, "--publisher", id, "-o", exp)
		if name := strings.SplitN(mustRun(t, "head-record", "--repo", repo, "--publisher", id, "-o", rec).stdout, "\n", 2)[0]; name != "/ipns/"+hkID {
			t.Fatalf("head-record named %q, want the head key's /ipns/%s", name, hkID)
		}
		files, exports, records = append(files, f), append(exports, exp), append(records, rec)
	}
	reader := filepath.Join(dir, "reader")
	mustRun(t, "import", "--repo", reader, exports[0])

	k := newKubo(t, bin, "dht")
	k.start(false)
	k.run("dag", "import", exports[1])
	k.run("routing", "put", "--allow-offline", "/ipns/"+hkID, records[1])
	out := filepath.Join(dir, "got")
	if r := mustRun(t, "get", "--publisher", id, "--http", k.gateway, "-o", out, "--repo", reader, "--timeout", "60s"); !strings.Contains(r.stdout, "head 2") {
		t.Errorf("get --http from Kubo, delegated: %q", r.stdout)
	}
	if seq := headSeq(t, reader); seq != 2 {
		t.Fatalf("reader's head after get = %d, want 2", seq)
	}
	got, _ := filepath.Glob(filepath.Join(out, "*.bundle"))
	if len(got) != len(files) {
		t.Fatalf("get --http from Kubo wrote %v, want %d bundles", got, len(files))
	}
	for _, f := range got {
		mustRun(t, "verify", "-p", id, f)
	}
	// A reader with no document has no head key to ask Kubo for.
	r := samizdat(t, "get", "--publisher", id, "--http", k.gateway, "-o", filepath.Join(dir, "fresh"), "--timeout", "30s")
	if r.code == 0 {
		t.Errorf("a reader with no document took a delegated head from Kubo's gateway")
	}
}

// TestCLIHeadRecord: head-record writes the stored head's IPNS record,
// valid for the name it prints, whether or not a node runs on the repo;
// with no head of the publisher it fails naming it, and writes nothing.
func TestCLIHeadRecord(t *testing.T) {
	dir := t.TempDir()
	id, _, repo := publishedRepo(t, dir)
	rec := filepath.Join(dir, "head.ipns-record")
	r := mustRun(t, "head-record", "--repo", repo, "--publisher", id, "-o", rec)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("head-record printed %q, want the name, a summary and the routing put line", r.stdout)
	}
	nameText, ok := strings.CutPrefix(lines[0], "/ipns/")
	if !ok {
		t.Fatalf("head-record's first line %q is no /ipns/ name", lines[0])
	}
	name, err := ipns.NameFromString(nameText)
	if err != nil {
		t.Fatal(err)
	}
	if name.Peer().String() != id {
		t.Errorf("a root-signed head's record is valid for %s, want the publisher %s", name, id)
	}
	data, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	record, err := ipns.UnmarshalRecord(data)
	if err != nil {
		t.Fatalf("ipns.UnmarshalRecord: %v", err)
	}
	if err := ipns.ValidateWithName(record, name); err != nil {
		t.Errorf("ipns.ValidateWithName(record, %s) = %v, want nil", name, err)
	}
	if seq, err := record.Sequence(); err != nil || seq != 1 {
		t.Errorf("record sequence = %d, %v; want 1", seq, err)
	}
	if want := "ipfs routing put --allow-offline /ipns/" + id + " " + rec; lines[2] != want {
		t.Errorf("routing put line = %q, want %q", lines[2], want)
	}

	// With a node running on the repo (it holds the repo's lock).
	startServe(t, repo)
	again := filepath.Join(dir, "again.ipns-record")
	mustRun(t, "head-record", "--repo", repo, "--publisher", id, "-o", again)
	if b, _ := os.ReadFile(again); !bytes.Equal(b, data) {
		t.Errorf("head-record while serve runs wrote another record")
	}

	other := strings.TrimSpace(mustRun(t, "keygen", "-o", filepath.Join(dir, "other.key")).stdout)
	none := filepath.Join(dir, "none")
	r = samizdat(t, "head-record", "--repo", repo, "--publisher", other, "-o", none)
	if r.code != 1 || !strings.Contains(r.stderr, other) || !strings.Contains(r.stderr, "no head") {
		t.Errorf("head-record of a publisher with no head: exit %d, %q; want 1 and the ID", r.code, r.stderr)
	}
	if _, err := os.Stat(none); err == nil {
		t.Errorf("a failed head-record wrote %s", none)
	}
	if r := samizdat(t, "head-record", "--repo", repo, "--publisher", "not-an-id", "-o", none); r.code != 2 {
		t.Errorf("head-record with a bad publisher ID: exit %d, want 2 (%q)", r.code, r.stderr)
	}
}
