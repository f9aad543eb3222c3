package main

import (
	"bufio"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoServe: `demo --serve ADDR` tells the newcomer one URL, where the
// browser reader is served with its CSP, beside a gateway holding the
// publisher's head, and lists the second mirror, which lets the page read
// it cross-origin; an interrupt ends it cleanly.
func TestDemoServe(t *testing.T) {
	cmd := exec.Command(binary, "demo", "-n", "30", "--serve", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var id, open, other string
	pubRE := regexp.MustCompile(`publisher ID (12D3KooW\w+)`)
	openRE := regexp.MustCompile(`^Open (http://127\.0\.0\.1:\d+)/ in a browser`)
	otherRE := regexp.MustCompile(`mirror-2 at (http://127\.0\.0\.1:\d+)`)
	deadline := time.After(90 * time.Second)
	for open == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("demo ended before telling the URL")
			}
			if m := pubRE.FindStringSubmatch(l); m != nil {
				id = m[1]
			}
			if m := otherRE.FindStringSubmatch(l); m != nil {
				other = m[1]
			}
			if m := openRE.FindStringSubmatch(l); m != nil {
				open = m[1]
			}
		case <-deadline:
			t.Fatal("demo did not tell the URL within 90 s")
		}
	}
	if id == "" || other == "" {
		t.Fatalf("demo output lacks the publisher ID or the second mirror (%q, %q)", id, other)
	}
	get := func(url string) *http.Response {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", url, res.Status)
		}
		return res
	}
	page := get(open + "/")
	csp := page.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'sha256-") || !strings.Contains(csp, "connect-src 'self' "+other+"/") {
		t.Errorf("the page's CSP does not allow exactly itself and the second mirror: %q", csp)
	}
	get(open + "/samizdat/heads/" + id)
	if h := get(other + "/samizdat/heads/" + id).Header.Get("Access-Control-Allow-Origin"); h != "*" {
		t.Errorf("the second mirror does not allow cross-origin reads: %q", h)
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("demo after an interrupt: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("demo did not stop on an interrupt")
	}
}
