package node

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/multiformats/go-multihash"
	"github.com/samizdat/samizdat/bundle"
)

// The attack size of the confirmed bug: 9 peer IDs with 65 streams each
// (libp2p's default per-peer, per-protocol inbound limit at samizdat's
// resource manager scale) hold 585 streams, more than the default
// per-protocol inbound limit of 576.
const (
	attackHosts   = 9
	attackStreams = 65
)

// attackSpec describes an attack run by attackerProcess: Hosts libp2p
// hosts, each with its own peer ID, dial Target over TCP and open Streams
// streams each on Proto; on each they write Request and read Read bytes
// (a response's header: they know then that the server holds the stream),
// and then never read again.
type attackSpec struct {
	Target  string // a multiaddr with /p2p/
	Proto   protocol.ID
	Request []byte
	Read    int
	Hosts   int
	Streams int
}

const attackEnv = "SAMIZDAT_TEST_ATTACK"

// TestAttackerProcess is not a test: attack runs this test binary again
// with attackEnv set, so that the attackers' memory (each stalled stream
// buffers what the server sent into its window) is not counted in the
// server's. It prints "reset" for each stream the server reset, and
// stops when its standard input closes.
func TestAttackerProcess(t *testing.T) {
	env := os.Getenv(attackEnv)
	if env == "" {
		t.Skip("helper process of the attack tests")
	}
	var spec attackSpec
	if err := json.Unmarshal([]byte(env), &spec); err != nil {
		t.Fatal(err)
	}
	target, err := peer.AddrInfoFromString(spec.Target)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	report := func() {
		mu.Lock()
		fmt.Println("reset")
		mu.Unlock()
	}
	for range spec.Hosts {
		h, err := libp2p.New(libp2p.NoListenAddrs, libp2p.ResourceManager(&network.NullResourceManager{}))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if err := h.Connect(ctx, *target); err != nil {
			t.Fatal(err)
		}
		for range spec.Streams {
			go func() {
				s, err := h.NewStream(ctx, target.ID, spec.Proto)
				if err != nil {
					report()
					return
				}
				if _, err = s.Write(spec.Request); err == nil {
					_, err = io.ReadFull(s, make([]byte, spec.Read))
				}
				if err != nil {
					report()
				}
				// Held: never read again, never close.
			}()
		}
	}
	io.Copy(io.Discard, os.Stdin)
}

// attack starts attackerProcess against target and returns once every
// stream of the attack is either held by target (counted in its resource
// manager's scope for spec.Proto) or was reset. The attack lasts until the
// test ends.
func attack(t *testing.T, target *Node, spec attackSpec) (held, reset int) {
	t.Helper()
	for _, a := range target.Host.Addrs() {
		if _, err := a.ValueForProtocol(ma.P_TCP); err == nil && !strings.Contains(a.String(), "/ws") {
			spec.Target = a.String() + "/p2p/" + target.Host.ID().String()
			break
		}
	}
	env, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAttackerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), attackEnv+"="+string(env))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var resets atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "reset" {
				resets.Add(1)
			}
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		<-done
		cmd.Wait()
	})
	total := spec.Hosts * spec.Streams
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		held = inboundStreams(target, spec.Proto)
		reset = int(resets.Load())
		if held+reset >= total {
			return held, reset
		}
		select {
		case <-ctx.Done():
			t.Fatalf("attack on %s: %d streams held and %d reset of %d", spec.Proto, held, reset, total)
		case <-done:
			t.Fatalf("the attacker process ended: %d streams held and %d reset of %d", held, reset, total)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// inboundStreams returns how many inbound streams of proto n's resource
// manager counts.
func inboundStreams(n *Node, proto protocol.ID) int {
	var st network.ScopeStat
	n.Host.Network().ResourceManager().ViewProtocol(proto, func(s network.ProtocolScope) error {
		st = s.Stat()
		return nil
	})
	return st.NumStreamsInbound
}

// frame is a request as the samizdat protocols send it.
func frame(req []byte) []byte {
	return append(binary.AppendUvarint(nil, uint64(len(req))), req...)
}

// memory describes this process's memory: the live heap after a
// collection, and the resident set.
func memory() string {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	rss := "?"
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				rss = strings.TrimSpace(v)
			}
		}
	}
	return fmt.Sprintf("heap %.1f MiB live, %.1f MiB in use; RSS %s; %d goroutines",
		float64(m.HeapAlloc)/(1<<20), float64(m.HeapInuse)/(1<<20), rss, runtime.NumGoroutine())
}

// TestBundleServerUnderAttack is the confirmed bug of issue 9: peers that
// open many bundle streams, send a request and never read must not stop
// an honest peer's whole-bundle fetch. It logs the server's memory idle
// and under attack, and the honest fetch time without and with the
// attack.
func TestBundleServerUnderAttack(t *testing.T) {
	b := openBundle(t, testBundle(t, 1, 300, nil)) // larger than a stream's window: the server blocks
	mirror := startNode(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := mirror.AddBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	fetch := func() (time.Duration, error) {
		reader := startNode(t, false)
		connect(t, reader, mirror)
		start := time.Now()
		err := reader.fetchBulk(ctx, mirror.Host.ID(), b)
		return time.Since(start), err
	}
	calm, err := fetch()
	if err != nil {
		t.Fatalf("fetchBulk() without an attack = %v", err)
	}
	idle := memory()

	held, reset := attack(t, mirror, attackSpec{Proto: BundleProtocol, Request: frame(b.Root.Bytes()), Read: 4, Hosts: attackHosts, Streams: attackStreams})
	attacked := memory()
	took, err := fetch()
	t.Logf("attack: %d streams held by the server, %d reset", held, reset)
	t.Logf("server memory idle: %s", idle)
	t.Logf("server memory under attack: %s", attacked)
	t.Logf("honest %d-byte fetch: %v without the attack, %v during it", b.Size, calm, took)
	if err != nil {
		t.Fatalf("fetchBulk() during the attack = %v, want the bundle", err)
	}
	if max := attackHosts * bundlePeerStreams; held > max {
		t.Errorf("the server holds %d attacking streams, want at most %d (%d per peer)", held, max, bundlePeerStreams)
	}
}

// TestHeadServerUnderAttack: peers that open many head streams and stall
// inside their request must not stop an honest head request.
func TestHeadServerUnderAttack(t *testing.T) {
	key := publisherKey(1)
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	h, err := NewHead(key, catalogCID(t, "c5"), 5, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	mirror := startNode(t, true)
	if _, err := mirror.Heads().Offer(h); err != nil {
		t.Fatal(err)
	}
	mirror.ServeHeads()
	held, reset := attack(t, mirror, attackSpec{Proto: HeadProtocol, Request: []byte{0x80}, Read: 1, Hosts: attackHosts, Streams: attackStreams})
	t.Logf("attack: %d streams held by the server, %d reset", held, reset)
	reader := startNode(t, false)
	connect(t, reader, mirror)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := reader.RequestHead(ctx, mirror.Host.ID(), id)
	if err != nil || got.Seq != 5 {
		t.Fatalf("RequestHead() during the attack = %+v, %v; want head 5", got, err)
	}
	if max := attackHosts * headPeerStreams; held > max {
		t.Errorf("the server holds %d attacking streams, want at most %d (%d per peer)", held, max, headPeerStreams)
	}
}

// TestBlockServerUnderAttack: peers that open many block streams and
// stall inside their request, or ask for a block larger than a stream's
// window and never read it, must not stop an honest block request.
func TestBlockServerUnderAttack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	large := make([]byte, maxBlockFrame)
	rand.Read(large)
	largeCID, err := cid.V1Builder{Codec: cid.Raw, MhType: multihash.SHA2_256}.Sum(large)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		request []byte
		read    int
	}{
		{"stalled requests", []byte{0x80}, 1},
		{"stalled readers", frame(largeCID.Bytes()), 4}, // status and size
	} {
		t.Run(tt.name, func(t *testing.T) {
			mirror := startNode(t, true)
			if err := mirror.AdmitBlock(ctx, largeCID, large); err != nil {
				t.Fatal(err)
			}
			held, reset := attack(t, mirror, attackSpec{Proto: BlockProtocol, Request: tt.request, Read: tt.read, Hosts: attackHosts, Streams: attackStreams})
			t.Logf("attack: %d streams held by the server, %d reset", held, reset)
			reader := startNode(t, false)
			connect(t, reader, mirror)
			if _, err := reader.requestBlock(ctx, mirror.Host.ID(), largeCID); err != nil {
				t.Fatalf("requestBlock() during the attack = %v, want the block", err)
			}
			if max := attackHosts * blockPeerStreams; held > max {
				t.Errorf("the server holds %d attacking streams, want at most %d (%d per peer)", held, max, blockPeerStreams)
			}
		})
	}
}

// TestOversizedRequests: every protocol server refuses a request whose
// length prefix is over its limit as soon as it has read the prefix,
// without waiting for the bytes it announces: the client sends only the
// prefix, keeps its side open, and must get an answer (a bad-request
// status or a reset) before its read deadline.
func TestOversizedRequests(t *testing.T) {
	mirror := startNode(t, true)
	mirror.ServeHeads()
	reader := startNode(t, false)
	connect(t, reader, mirror)
	for _, tt := range []struct {
		proto protocol.ID
		limit int
	}{
		{HeadProtocol, maxHeadRequest},
		{BlockProtocol, maxCIDLen},
		{BundleProtocol, maxCIDLen},
	} {
		for _, size := range []uint64{uint64(tt.limit) + 1, 1 << 62} {
			t.Run(fmt.Sprintf("%s/%d", tt.proto, size), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				s, err := reader.Host.NewStream(ctx, mirror.Host.ID(), tt.proto)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				// Well before the server's request deadline: a server
				// that waited for the body would not answer by then.
				s.SetReadDeadline(time.Now().Add(serveRequestTimeout / 3))
				if _, err := s.Write(binary.AppendUvarint(nil, size)); err != nil {
					t.Fatal(err)
				}
				var status [1]byte
				_, err = io.ReadFull(s, status[:])
				switch {
				case timedOut(err):
					t.Fatalf("no answer to a %d-byte request: the server waits for its body", size)
				case err == nil && (tt.proto != HeadProtocol || status[0] != headBadReq):
					t.Fatalf("answer to a %d-byte request: status %d, want a refusal", size, status[0])
				case err != nil && !errors.Is(err, network.ErrReset):
					t.Fatalf("read after a %d-byte request = %v, want a reset", size, err)
				}
			})
		}
	}
}
