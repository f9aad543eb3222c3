package censor

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// echo serves, inside h, a listener that echoes what it reads.
func echo(t *testing.T, h *Host) string {
	t.Helper()
	ln, err := h.Listen("tcp", h.IP+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// source serves, inside h, a listener that writes n random bytes to
// whoever connects, then closes; it returns the address and the bytes.
func source(t *testing.T, h *Host, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	ln, err := h.Listen("tcp", h.IP+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.Write(data); c.Close() }()
		}
	}()
	return ln.Addr().String(), data
}

func dial(h *Host, addr string, d time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return h.Dial(ctx, "tcp", addr)
}

// TestNetReachAndRules: hosts reach each other through the router; a
// DROP rule in one host's namespace stops it and its counter moves; a
// rule on the router's FORWARD chain stops the pair too.
func TestNetReachAndRules(t *testing.T) {
	n := New(t)
	a, b, c := n.Host("a"), n.Host("b"), n.Host("c")
	addr := echo(t, a)

	conn, err := dial(b, addr, 10*time.Second)
	if err != nil {
		t.Fatalf("b cannot reach a: %v", err)
	}
	conn.Write([]byte("ping"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo through the router: %q, %v", buf, err)
	}
	conn.Close()
	if c.IP == a.IP || !strings.HasPrefix(a.IP, "10.77.") {
		t.Errorf("addresses a %s, c %s", a.IP, c.IP)
	}

	drop := b.Rule("OUTPUT", "-d", a.IP, "-j", "DROP")
	if got := drop.Packets(); got != 0 {
		t.Errorf("a new rule counts %d packets", got)
	}
	if conn, err := dial(b, addr, time.Second); err == nil {
		conn.Close()
		t.Fatalf("b reached a past a DROP rule")
	}
	if got := drop.Packets(); got == 0 {
		t.Errorf("the DROP rule counted no packets")
	}
	// c is not b: its packets leave untouched, until the router drops them.
	if conn, err := dial(c, addr, 10*time.Second); err != nil {
		t.Fatalf("c cannot reach a: %v", err)
	} else {
		conn.Close()
	}
	fwd := n.Router.Rule("FORWARD", "-s", c.IP, "-d", a.IP, "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset")
	if conn, err := dial(c, addr, 10*time.Second); err == nil {
		conn.Close()
		t.Fatalf("c reached a past the router's rule")
	}
	if fwd.Packets() == 0 {
		t.Errorf("the router's rule counted no packets")
	}
}

// TestNetCommandsAndHosts: a process in a host sees the host's own
// network and hosts file, and Start stops it at the end of the test.
func TestNetCommandsAndHosts(t *testing.T) {
	n := New(t)
	a, b := n.Host("a"), n.Host("b")
	b.Hosts(map[string]string{"mirror.example": a.IP})
	out, err := b.Command("cat", "/etc/hosts").Output()
	if err != nil || !strings.Contains(string(out), a.IP+"\tmirror.example") {
		t.Errorf("b's /etc/hosts: %q, %v", out, err)
	}
	if out, _ := a.Command("cat", "/etc/hosts").Output(); strings.Contains(string(out), "mirror.example") {
		t.Errorf("a sees b's hosts file")
	}
	out, err = b.Command("ip", "-4", "-o", "addr", "show", "dev", "eth0").Output()
	if err != nil || !strings.Contains(string(out), b.IP+"/24") {
		t.Errorf("b's eth0: %q, %v", out, err)
	}
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip("no sleep command")
	}
	p, err := a.Start(a.Command("sleep", "600"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
		t.Fatalf("the process outlived nothing: it exited at once: %v", p.Wait())
	case <-time.After(50 * time.Millisecond):
	}
	if err := p.Stop(); err == nil {
		t.Errorf("a stopped sleep exited cleanly")
	}
}

// TestNetCleanup: everything a Net made is gone once its test ends, and
// the processes left in it are killed.
func TestNetCleanup(t *testing.T) {
	var names []string
	var leftover *exec.Cmd
	t.Run("net", func(t *testing.T) {
		n := New(t)
		a := n.Host("a")
		a.Hosts(map[string]string{"x.example": "10.0.0.1"})
		names = []string{n.Router.Name, a.Name}
		// Not started with Start: the namespace's removal must kill it.
		leftover = a.Command("sleep", "600")
		if err := leftover.Start(); err != nil {
			t.Skipf("cannot run sleep: %v", err)
		}
	})
	if leftover == nil || leftover.Process == nil {
		return
	}
	done := make(chan error, 1)
	go func() { done <- leftover.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		leftover.Process.Kill()
		t.Errorf("a process in a removed namespace is still running")
	}
	list, _ := exec.Command("ip", "netns", "list").Output()
	for _, name := range names {
		if strings.Contains(string(list), name) {
			t.Errorf("namespace %s left behind", name)
		}
		if _, err := os.Stat(filepath.Join(etcNetns, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("/etc/netns/%s left behind", name)
		}
	}
}

// TestShaper: the shaper paces a download to its rate, counts it, cuts
// every connection at a given byte, refuses new ones until restored.
func TestShaper(t *testing.T) {
	n := New(t)
	srv, cli := n.Host("srv"), n.Host("cli")
	const size, rate = 192 << 10, 128 << 10 // 1.5 s
	addr, data := source(t, srv, size)
	s, err := srv.Shaper(srv.IP+":0", addr, rate)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	c, err := dial(cli, s.Addr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	c.Close()
	took := time.Since(t0)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d of %d bytes through the shaper: %v", len(got), size, err)
	}
	// The pace is a floor on the time; the ceiling is loose for a busy
	// machine.
	if min := time.Duration(size) * time.Second / rate * 9 / 10; took < min {
		t.Errorf("%d bytes at %d B/s took %v, want at least %v", size, rate, took, min)
	}
	if took > 30*time.Second {
		t.Errorf("%d bytes at %d B/s took %v", size, rate, took)
	}
	if s.ToClient() != size || s.Accepted() != 1 {
		t.Errorf("counted %d bytes, %d connections", s.ToClient(), s.Accepted())
	}

	// Cut at half of a second download.
	s.SetRate(0)
	s.CutAt(s.ToClient() + size/2)
	c, err = dial(cli, s.Addr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(c)
	c.Close()
	if err == nil || len(got) >= size {
		t.Errorf("a cut download read %d of %d bytes, err %v", len(got), size, err)
	}
	if !s.IsCut() {
		t.Fatalf("the shaper did not cut")
	}
	// Cut: a new connection is reset at once.
	if c, err := dial(cli, s.Addr(), 10*time.Second); err == nil {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(c)
		c.Close()
		if err == nil || len(b) != 0 {
			t.Errorf("a connection while cut read %d bytes, err %v", len(b), err)
		}
	}
	s.Restore()
	c, err = dial(cli, s.Addr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(c)
	c.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("after Restore read %d of %d bytes", len(got), size)
	}
}

// TestSOCKS5AndHTTPS: a host whose only way out is a SOCKS5 proxy
// reaches an HTTPS server by name through it (socks5h), trusting only
// the test CA; direct, it is dropped.
func TestSOCKS5AndHTTPS(t *testing.T) {
	n := New(t)
	web, proxy, reader := n.Host("web"), n.Host("proxy"), n.Host("reader")
	ca := NewCA(t)
	addr, err := web.ServeHTTP(web.IP+":443", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.URL.Path)
	}), ca, "static.example")
	if err != nil {
		t.Fatal(err)
	}
	p, err := proxy.SOCKS5(proxy.IP+":1080", map[string]string{"static.example": web.IP})
	if err != nil {
		t.Fatal(err)
	}
	reader.Rule("OUTPUT", "-o", "lo", "-j", "ACCEPT")
	reader.Rule("OUTPUT", "-d", proxy.IP, "-p", "tcp", "--dport", "1080", "-j", "ACCEPT")
	drop := reader.Rule("OUTPUT", "-j", "DROP")

	if c, err := dial(reader, addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("the reader reached the web host directly")
	}
	if drop.Packets() == 0 {
		t.Errorf("the direct try was not dropped by the rule")
	}
	proxyURL, _ := url.Parse("socks5h://" + p.Addr())
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		Proxy:           http.ProxyURL(proxyURL),
		DialContext:     reader.Dial,
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool()},
	}}
	resp, err := client.Get("https://static.example/site/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello /site/" {
		t.Errorf("through the proxy: %q", body)
	}
	if r := p.Requests(); len(r) != 1 || r[0] != "static.example:443" {
		t.Errorf("the proxy was asked for %v", r)
	}
	if _, err := client.Get("https://unknown.example/"); err == nil {
		t.Errorf("the proxy resolved a name not in its table")
	}
}
