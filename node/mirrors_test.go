package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

func TestParseMirror(t *testing.T) {
	id := "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5"
	tests := []struct {
		in        string
		peer, url string // what it reads as; both "" for ErrUnknownMirror
	}{
		{"/dns4/m.example/tcp/443/tls/ws/p2p/" + id, id, ""},
		{"/ip4/127.0.0.1/tcp/4001/p2p/" + id, id, ""},
		{"https://m.example/news/", "", "https://m.example/news"},
		{"https://m.example", "", "https://m.example"},
		{"https://m.example:8443/a%20b/", "", "https://m.example:8443/a%20b"},
		{"/ip4/127.0.0.1/tcp/4001", "", ""}, // no peer ID
		{"/p2p/" + id, "", ""},              // no address to dial
		{"/ip4/999.0.0.1/tcp/1/p2p/" + id, "", ""},
		{"http://m.example/", "", ""},      // plaintext shows what is read
		{"https://", "", ""},               // no host
		{"https://u:p@m.example/", "", ""}, // user information
		{"https://m.example/?x=1", "", ""}, // a query
		{"https://m.example/?", "", ""},    // an empty one
		{"https://m.example/#top", "", ""}, // a fragment
		{"tor:abcdef.onion", "", ""},       // a later kind
		{"", "", ""},
	}
	for _, tt := range tests {
		m, err := ParseMirror(tt.in)
		if tt.peer == "" && tt.url == "" {
			if !errors.Is(err, ErrUnknownMirror) {
				t.Errorf("ParseMirror(%q) = %+v, %v; want ErrUnknownMirror", tt.in, m, err)
			}
			continue
		}
		if err != nil || m.Addr != tt.in || m.URL != tt.url || (m.Peer == nil) != (tt.peer == "") ||
			(m.Peer != nil && (m.Peer.ID.String() != tt.peer || len(m.Peer.Addrs) != 1)) {
			t.Errorf("ParseMirror(%q) = %+v, %v; want peer %q url %q", tt.in, m, err, tt.peer, tt.url)
		}
	}
	got := ParseMirrors([]string{"tor:x", "https://a.example", "http://b.example", "/ip4/127.0.0.1/tcp/1/p2p/" + id})
	if len(got) != 2 || got[0].URL != "https://a.example" || got[1].Peer == nil {
		t.Errorf("ParseMirrors() = %+v, want the https and the libp2p entries in order", got)
	}
}

// TestMirrorBookOrder: what worked comes first, the latest first; the
// untried in a random order; what failed last, the oldest failure first.
// The book survives a restart, and a damaged file is an empty book.
func TestMirrorBookOrder(t *testing.T) {
	dir := t.TempDir()
	n, stop := startIn(t, dir, Config{})
	book := n.Mirrors()
	ms := func(addrs ...string) []Mirror {
		var out []Mirror
		for _, a := range addrs {
			out = append(out, Mirror{Addr: a, URL: a})
		}
		return out
	}
	addrs := func(ms []Mirror) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Addr)
		}
		return out
	}
	book.book.Records["good-old"] = mirrorRecord{Good: 100, Bad: 50}
	book.book.Records["good-new"] = mirrorRecord{Good: 200}
	book.book.Records["bad-old"] = mirrorRecord{Good: 10, Bad: 20}
	book.book.Records["bad-new"] = mirrorRecord{Bad: 300}
	all := ms("bad-new", "u1", "good-old", "u2", "bad-old", "u3", "good-new", "u4")
	firsts := map[string]int{}
	for range 400 {
		got := addrs(book.Order(slices.Clone(all)))
		if !slices.Equal(got[:2], []string{"good-new", "good-old"}) || !slices.Equal(got[6:], []string{"bad-old", "bad-new"}) {
			t.Fatalf("Order() = %v", got)
		}
		mid := slices.Clone(got[2:6])
		slices.Sort(mid)
		if !slices.Equal(mid, []string{"u1", "u2", "u3", "u4"}) {
			t.Fatalf("Order() = %v: the untried ones are not in the middle", got)
		}
		firsts[got[2]]++
	}
	// Each untried mirror comes first among them about a quarter of the
	// time: 400 draws, each count far from 0 and from 400.
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		if firsts[u] < 40 {
			t.Errorf("untried %s came first %d times in 400: not spread (%v)", u, firsts[u], firsts)
		}
	}

	book.Served("u1", nil)
	book.Served("good-new", errors.New("timeout"))
	book.Served("u2", context.Canceled) // the reader gave up: no record
	if err := book.Save(); err != nil {
		t.Fatal(err)
	}
	stop()
	n2, stop2 := startIn(t, dir, Config{})
	got := addrs(n2.Mirrors().Order(ms("u2", "good-new", "u1")))
	if !slices.Equal(got, []string{"u1", "u2", "good-new"}) {
		t.Errorf("after a restart, Order() = %v; want u1 (worked), u2 (untried), good-new (failed last)", got)
	}
	stop2()
	if err := os.WriteFile(filepath.Join(dir, mirrorsFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	n3, _ := startIn(t, dir, Config{})
	if len(n3.Mirrors().book.Records) != 0 {
		t.Errorf("a damaged book read as %v", n3.Mirrors().book.Records)
	}
}

// TestMirrorBookBound: the book keeps the most recently tried
// maxMirrorRecords mirrors.
func TestMirrorBookBound(t *testing.T) {
	n := startNode(t, false)
	book := n.Mirrors()
	for i := range maxMirrorRecords + 10 {
		book.book.Records[strings.Repeat("x", i+1)] = mirrorRecord{Good: int64(i + 1)}
	}
	book.Served("latest", nil)
	if len(book.book.Records) != maxMirrorRecords {
		t.Fatalf("the book holds %d records, want %d", len(book.book.Records), maxMirrorRecords)
	}
	if _, ok := book.book.Records["latest"]; !ok {
		t.Error("the latest record was dropped")
	}
	if _, ok := book.book.Records["x"]; ok {
		t.Error("the oldest record was kept")
	}
}

// TestDialFirstBlackHoles: peers that accept TCP and never answer, more
// of them than are dialled at once and listed first, hold DialFirst
// neither for their dial timeout nor for a place in line: the one
// reachable peer listed last is connected, and DialFirst returns while
// the last black hole still hangs.
func TestDialFirstBlackHoles(t *testing.T) {
	reader := startNode(t, false)
	mirror := startNode(t, true)
	var targets []DialTarget
	for range dialParallel + 1 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
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
				t.Cleanup(func() { c.Close() }) // held open, never answered
			}
		}()
		hole := startNode(t, false) // an ID to dial; its address is the hole
		a := ma.StringCast("/ip4/127.0.0.1/tcp/" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:"))
		targets = append(targets, DialTarget{Info: peer.AddrInfo{ID: hole.Host.ID(), Addrs: []ma.Multiaddr{a}}, Publisher: "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5"})
	}
	targets = append(targets, DialTarget{Info: peer.AddrInfo{ID: mirror.Host.ID(), Addrs: mirror.Host.Addrs()}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ended atomic.Int32
	got, _ := reader.DialFirst(ctx, targets, 0, func(i int, err error) {
		if i == dialParallel { // the last hole, started when the first ones yielded their places
			ended.Add(1)
		}
	})
	if got != 1 {
		t.Fatalf("DialFirst() = %d connected, want 1", got)
	}
	// The swarm gives up a loopback dial after 5 s: the last hole's dial,
	// started about 2 s in, ends about 7 s in; DialFirst, waiting 3 s
	// after the mirror connected about 2 s in, returns about 5 s in.
	if ended.Load() != 0 {
		t.Errorf("DialFirst returned after the last black-holed dial had ended: it waited for it")
	}
	if !slices.Contains(reader.Sources(), mirror.Host.ID()) {
		t.Errorf("the reachable peer is not a source: %v", reader.Sources())
	}
}

// TestMirrorBookFile: a damaged book is bounded as it is read: a file
// over maxMirrorsFile is an empty book, times are clamped to now (a
// future success must not pin a mirror first for good), and the most
// recent records are the ones kept; given mirrors persist, bounded.
func TestMirrorBookFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, mirrorsFile)
	now := time.Now()
	recs := map[string]mirrorRecord{"future": {Good: 1 << 62}, "neg": {Good: -5, Bad: -1}}
	for i := range maxMirrorRecords + 5 {
		recs[fmt.Sprintf("m%03d", i)] = mirrorRecord{Good: int64(1000 + i)}
	}
	data, _ := json.Marshal(mirrorBookFile{Records: recs, Given: map[string][]string{"P": {"a", "b"}}})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	b := readMirrorBook(path, now)
	if len(b.Records) != maxMirrorRecords {
		t.Errorf("read %d records, want %d", len(b.Records), maxMirrorRecords)
	}
	if r, ok := b.Records["future"]; !ok || r.Good != now.Unix() {
		t.Errorf("a future time read as %+v, want clamped to now", r)
	}
	if _, ok := b.Records["m000"]; ok {
		t.Error("the oldest record was kept over newer ones")
	}
	if !slices.Equal(b.Given["P"], []string{"a", "b"}) {
		t.Errorf("given = %v", b.Given)
	}
	big := append([]byte(`{"records":{"x":{"good":1}},"pad":"`), make([]byte, maxMirrorsFile)...)
	if err := os.WriteFile(path, append(big, '"', '}'), 0o600); err != nil {
		t.Fatal(err)
	}
	if b := readMirrorBook(path, now); len(b.Records) != 0 {
		t.Errorf("a file over the bound read as %d records", len(b.Records))
	}
	// Remember: the newest given first, bounded.
	book := &MirrorBook{path: path, book: mirrorBookFile{Records: map[string]mirrorRecord{}, Given: map[string][]string{}}}
	book.Remember("P", []string{"old1", "old2"})
	var many []string
	for i := range maxGivenMirrors {
		many = append(many, fmt.Sprint("new", i))
	}
	book.Remember("P", many)
	if got := book.Given("P"); len(got) != maxGivenMirrors || got[0] != "new0" {
		t.Errorf("Given = %v, want the %d newest", got, maxGivenMirrors)
	}
	if err := book.Save(); err != nil {
		t.Fatal(err)
	}
	if got := readMirrorBook(path, now).Given["P"]; len(got) != maxGivenMirrors {
		t.Errorf("after Save, given = %v", got)
	}
}
