// Package censor builds a small censored internet on one Linux machine,
// for tests that must show samizdat reaching a reader behind a censor.
//
// A [Net] is a router namespace ("the internet", with IPv4 forwarding on)
// and any number of [Host]s: each a network namespace joined to the router
// by its own veth pair, with the address 10.77.K.2/24 on its eth0 and a
// default route through the router's 10.77.K.1. Any host can reach any
// other until a rule says otherwise. A test then plays the censor with:
//
//   - iptables rules in any namespace ([Host.Rule], [Host.IPTables]): in
//     the reader's own namespace (OUTPUT: what leaves the reader's machine,
//     as a censor at its ISP would see it) or in the router's (FORWARD),
//     with each rule's packet counter ([Rule.Packets]) to show that a rule
//     bit, or that nothing it matches ever crossed;
//   - processes run inside a namespace ([Host.Command], [Host.Start]),
//     stopped at the end of the test;
//   - a per-namespace /etc/hosts ([Host.Hosts]), which `ip netns exec`
//     bind-mounts for the processes it starts;
//   - sockets opened from the test process itself inside a namespace
//     ([Host.Listen], [Host.Dial]), for servers written in the test (an
//     HTTPS static copy, [Host.ServeHTTP]) and for the user-space links
//     below;
//   - a user-space link ([Shaper]): a TCP forwarder that paces bytes to a
//     rate in each direction (32 KB/s, say) and can cut every connection on
//     demand, or once so many bytes have passed;
//   - a SOCKS5 proxy ([SOCKS5]) that resolves names from its own table;
//   - a throwaway certificate authority ([NewCA]) whose certificate a child
//     process trusts through SSL_CERT_FILE.
//
// Every namespace, veth, /etc/netns directory and process is removed in
// t.Cleanup, also when the test fails. Names carry the test process's
// PID and a counter, so tests in different packages can run at once; a
// later New removes what a killed test process (a `go test` timeout, say)
// left behind, judging by that PID.
//
// What it models: reachability and filtering, as a censor's packet filter
// does it: addresses and ports dropped or rejected, UDP dropped, DPI on
// cleartext bytes (iptables' string match, per packet, so a string split
// across two TCP segments is missed, as it is by cheap real DPI), name
// resolution that differs by vantage point (hosts files), proxies, and
// bandwidth and connection cuts in user space.
//
// What it cannot model: latency, jitter, loss or reordering (the kernels
// this runs on have no netem; the links are veths with no delay, so every
// round trip is well under a millisecond and timing figures are lower
// bounds of a real network's); a real DNS server or DNS-based censorship
// beyond hosts files (no resolver runs: a name not in a host's hosts file
// does not resolve); IPv6 (disabled in every namespace, so IPv4 rules
// cover everything); TLS-level DPI (SNI or certificate filtering: iptables
// string matches on the ClientHello are possible but not wrapped here);
// active probing; NAT; more than one clock (all hosts share the machine's
// clock, so clock skew between publisher, mirror and reader cannot be
// shown); and CPU or memory limits per host (all share the machine). A
// Shaper paces whole reads, so its rate holds over tens of milliseconds,
// not per packet, and it sits in user space beside the real path: traffic
// goes through it only if the test addresses it (and blocks the direct
// path with a rule).
//
// It needs root, the ip command (iproute2) and iptables. [New] skips the
// test with one line when they are missing or `ip netns add` fails, or
// fails it instead when SAMIZDAT_REQUIRE_NETNS is set (as CI does).
package censor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// RequireEnv names the environment variable that turns a skip for want of
// root or network namespaces into a failure.
const RequireEnv = "SAMIZDAT_REQUIRE_NETNS"

// namePrefix begins the name of every namespace this package creates;
// the creating process's PID follows it.
const namePrefix = "szc"

const (
	netnsDir   = "/var/run/netns" // where `ip netns add` puts its handles
	etcNetns   = "/etc/netns"     // per-namespace files `ip netns exec` mounts over /etc
	maxHosts   = 250
	stopGrace  = 10 * time.Second // SIGINT to SIGKILL
	cmdTimeout = 30 * time.Second // any one ip or iptables command
)

var (
	counter  atomic.Int64 // for unique names within the process
	sweepMu  sync.Mutex
	swept    bool
	probeErr error
	probed   sync.Once
)

// Net is a router namespace and the hosts joined to it. Its methods are
// for the test goroutine, or any one goroutine at a time.
type Net struct {
	t      testing.TB
	prefix string
	// Router is "the internet": every host's veth ends here and it
	// forwards between them. Rules in its FORWARD chain censor traffic
	// between hosts without touching them.
	Router *Host
	hosts  []*Host
	rules  atomic.Int64
}

// Host is one network namespace.
type Host struct {
	// Name is the namespace's name, for `ip netns exec` and the like.
	Name string
	// IP is its address, which every other host can reach (the
	// router's own address on its link for Router).
	IP  string
	net *Net
}

// New makes a Net with no hosts yet, removed when the test ends. It skips
// the test (one line) without root, the ip or iptables commands, or
// network namespaces; with SAMIZDAT_REQUIRE_NETNS set it fails it instead.
func New(t testing.TB) *Net {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("censor: network namespaces are required (%s is set) but unusable: %v", RequireEnv, err)
		}
		t.Skipf("censor: skipped: needs root and network namespaces (%v); %s=1 makes this a failure", err, RequireEnv)
	}
	sweep(t)
	n := &Net{t: t, prefix: fmt.Sprintf("%s%d-%d", namePrefix, os.Getpid(), counter.Add(1))}
	t.Cleanup(n.close)
	r, err := n.addNS("inet")
	if err != nil {
		t.Fatalf("censor: %v", err)
	}
	n.Router = r
	if err := r.sysctl("net/ipv4/ip_forward", "1"); err != nil {
		t.Fatalf("censor: %v", err)
	}
	return n
}

// Available reports why this machine cannot host a Net, or nil. It tries
// `ip netns add` once per process.
func Available() error {
	probed.Do(func() {
		if os.Geteuid() != 0 {
			probeErr = errors.New("not root")
			return
		}
		for _, c := range []string{"ip", "iptables"} {
			if _, err := exec.LookPath(c); err != nil {
				probeErr = fmt.Errorf("no %s command", c)
				return
			}
		}
		name := fmt.Sprintf("%s%d-probe", namePrefix, os.Getpid())
		if err := run("ip", "netns", "add", name); err != nil {
			probeErr = err
			return
		}
		if err := run("ip", "netns", "del", name); err != nil {
			probeErr = err
		}
	})
	return probeErr
}

// Host adds a namespace joined to the router; role (a few letters) goes
// into its name, for whoever reads `ip netns list` during a test.
func (n *Net) Host(role string) *Host {
	n.t.Helper()
	k := len(n.hosts) + 1
	if k > maxHosts {
		n.t.Fatalf("censor: more than %d hosts", maxHosts)
	}
	h, err := n.addNS(role)
	if err != nil {
		n.t.Fatalf("censor: %v", err)
	}
	n.hosts = append(n.hosts, h)
	veth := fmt.Sprintf("v%d", k)
	gw := fmt.Sprintf("10.77.%d.1", k)
	h.IP = fmt.Sprintf("10.77.%d.2", k)
	for _, args := range [][]string{
		{"-n", n.Router.Name, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", h.Name},
		{"-n", n.Router.Name, "addr", "add", gw + "/24", "dev", veth},
		{"-n", n.Router.Name, "link", "set", veth, "up"},
		{"-n", h.Name, "addr", "add", h.IP + "/24", "dev", "eth0"},
		{"-n", h.Name, "link", "set", "eth0", "up"},
		{"-n", h.Name, "route", "add", "default", "via", gw},
	} {
		if err := run("ip", args...); err != nil {
			n.t.Fatalf("censor: %v", err)
		}
	}
	if n.Router.IP == "" {
		n.Router.IP = gw
	}
	return h
}

// addNS creates a namespace with its loopback up and IPv6 off.
func (n *Net) addNS(role string) (*Host, error) {
	if len(role) > 8 {
		role = role[:8]
	}
	h := &Host{Name: n.prefix + "-" + role, net: n}
	if n.Router != nil {
		h.Name = fmt.Sprintf("%s-%d%s", n.prefix, len(n.hosts)+1, role)
	}
	if err := run("ip", "netns", "add", h.Name); err != nil {
		return nil, err
	}
	if n.Router == nil {
		n.Router = h // so close removes it even if New fails below
	}
	if err := run("ip", "-n", h.Name, "link", "set", "lo", "up"); err != nil {
		return nil, err
	}
	for _, k := range []string{"net/ipv6/conf/all/disable_ipv6", "net/ipv6/conf/default/disable_ipv6"} {
		if err := h.sysctl(k, "1"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	return h, nil
}

// close stops every process left in the namespaces, deletes them (their
// veths go with them) and their /etc/netns directories.
func (n *Net) close() {
	all := append([]*Host(nil), n.hosts...)
	if n.Router != nil {
		all = append(all, n.Router)
	}
	for i := len(all) - 1; i >= 0; i-- {
		if err := removeNS(all[i].Name); err != nil {
			n.t.Logf("censor: cleanup: %v", err)
		}
	}
}

// removeNS kills what still runs in namespace name and deletes it.
func removeNS(name string) error {
	killIn(name)
	var errs []error
	if _, err := os.Stat(filepath.Join(netnsDir, name)); err == nil {
		if err := run("ip", "netns", "del", name); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(filepath.Join(etcNetns, name)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// killIn SIGKILLs every process in namespace name and waits (up to 10 s)
// until none is left.
func killIn(name string) {
	deadline := time.Now().Add(stopGrace)
	for {
		out, err := exec.Command("ip", "netns", "pids", name).Output()
		pids := strings.Fields(string(out))
		if err != nil || len(pids) == 0 || time.Now().After(deadline) {
			return
		}
		for _, p := range pids {
			if pid, err := strconv.Atoi(p); err == nil && pid > 1 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sweep removes, once per process, the namespaces a dead test process
// left behind (its PID is in their names).
func sweep(t testing.TB) {
	sweepMu.Lock()
	defer sweepMu.Unlock()
	if swept {
		return
	}
	swept = true
	ents, _ := os.ReadDir(netnsDir)
	etc, _ := os.ReadDir(etcNetns)
	for _, e := range append(ents, etc...) {
		rest, ok := strings.CutPrefix(e.Name(), namePrefix)
		if !ok {
			continue
		}
		digits, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(digits)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			continue // still running (or not ours to judge)
		}
		if err := removeNS(e.Name()); err != nil {
			t.Logf("censor: removing a dead test's namespace: %v", err)
		}
	}
}

// run runs an administrative command, with its output in the error.
func run(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// Command returns a command that runs name inside h (through `ip netns
// exec`, which also mounts h's hosts file, if any, over /etc/hosts). It
// runs in its own process group and is killed if the test process dies.
// Run it as any exec.Cmd, or with Start to have it stopped at the test's
// end; whatever is left in h when the test ends is killed anyway.
func (h *Host) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("ip", append([]string{"netns", "exec", h.Name, name}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// Proc is a process started by Start.
type Proc struct {
	Cmd  *exec.Cmd
	done chan struct{}
	err  error
	once sync.Once
}

// Start starts cmd (from Command) and stops it when the test ends.
func (h *Host) Start(cmd *exec.Cmd) (*Proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{Cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	h.net.t.Cleanup(func() { p.Stop() })
	return p, nil
}

// Done is closed once the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit and returns what exec.Cmd.Wait did.
func (p *Proc) Wait() error {
	<-p.done
	return p.err
}

// Stop sends SIGINT to the process's group, SIGKILL if it has not exited
// 10 s later, and waits for it.
func (p *Proc) Stop() error {
	p.once.Do(func() {
		select {
		case <-p.done:
			return
		default:
		}
		pid := p.Cmd.Process.Pid
		syscall.Kill(-pid, syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
			syscall.Kill(-pid, syscall.SIGKILL)
		}
	})
	return p.Wait()
}

// Hosts writes h's hosts file: names mapped to addresses, besides
// localhost. `ip netns exec` mounts it over /etc/hosts for the processes
// it starts from then on; sockets the test process opens in h
// (Listen, Dial) do not see it.
func (h *Host) Hosts(names map[string]string) {
	h.net.t.Helper()
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n")
	for name, ip := range names {
		fmt.Fprintf(&b, "%s\t%s\n", ip, name)
	}
	dir := filepath.Join(etcNetns, h.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		h.net.t.Fatalf("censor: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(b.String()), 0o644); err != nil {
		h.net.t.Fatalf("censor: %v", err)
	}
}

// IPTables runs iptables with args inside h, failing the test on error.
func (h *Host) IPTables(args ...string) {
	h.net.t.Helper()
	if err := run("ip", append([]string{"netns", "exec", h.Name, "iptables", "-w"}, args...)...); err != nil {
		h.net.t.Fatalf("censor: %v", err)
	}
}

// Rule is an iptables rule whose packet counter can be read.
type Rule struct {
	h         *Host
	chain, id string
}

// Rule appends a rule to chain (of the filter table) in h: spec is what
// follows `iptables -A CHAIN`, e.g. "-d", ip, "-j", "DROP".
func (h *Host) Rule(chain string, spec ...string) *Rule {
	h.net.t.Helper()
	id := fmt.Sprintf("censor-%d", h.net.rules.Add(1))
	h.IPTables(append([]string{"-A", chain, "-m", "comment", "--comment", id}, spec...)...)
	return &Rule{h: h, chain: chain, id: id}
}

// Packets returns how many packets have matched the rule so far.
func (r *Rule) Packets() uint64 {
	r.h.net.t.Helper()
	n, err := r.counter()
	if err != nil {
		r.h.net.t.Fatalf("censor: %v", err)
	}
	return n
}

func (r *Rule) counter() (uint64, error) {
	out, err := exec.Command("ip", "netns", "exec", r.h.Name, "iptables", "-w", "-v", "-S", r.chain).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("iptables -v -S %s: %v: %s", r.chain, err, out)
	}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if !containsSeq(f, "--comment", r.id) && !containsSeq(f, "--comment", strconv.Quote(r.id)) {
			continue
		}
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "-c" {
				return strconv.ParseUint(f[i+1], 10, 64)
			}
		}
		return 0, fmt.Errorf("no counter in %q", line)
	}
	return 0, fmt.Errorf("rule %s not found in %s of %s:\n%s", r.id, r.chain, r.h.Name, out)
}

func containsSeq(f []string, a, b string) bool {
	for i := 0; i+1 < len(f); i++ {
		if f[i] == a && f[i+1] == b {
			return true
		}
	}
	return false
}

// Do runs f on an OS thread switched into h's namespace: sockets f
// opens (net.Listen, net.Dial to an IP address) belong to h and stay
// there, whatever goroutine uses them later. f must not start goroutines
// that open sockets, nor resolve names (the resolver runs elsewhere).
func (h *Host) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Restored below; if that fails, the thread stays locked and
		// ends with this goroutine, so no other goroutine runs in h.
		orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		target, err := os.Open(filepath.Join(netnsDir, h.Name))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", h.Name, err)
			return
		}
		ferr := f()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("setns back: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// sysctl writes a value under /proc/sys inside h.
func (h *Host) sysctl(key, value string) error {
	return h.Do(func() error {
		return os.WriteFile(filepath.Join("/proc/sys", key), []byte(value), 0o644)
	})
}

// Listen listens inside h (addr an IP address and port, e.g. h.IP+":443").
func (h *Host) Listen(network, addr string) (net.Listener, error) {
	var ln net.Listener
	err := h.Do(func() (err error) {
		ln, err = net.Listen(network, addr)
		return err
	})
	return ln, err
}

// Dial connects from h to addr, an IP address and port.
func (h *Host) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := h.Do(func() (err error) {
		var d net.Dialer
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}
