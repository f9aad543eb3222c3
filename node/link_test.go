package node

import (
	"crypto/ed25519"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/samizdat/samizdat/bundle"
)

func TestParseLink(t *testing.T) {
	id := bundle.PublisherID(publisherKey(1).Public().(ed25519.PublicKey))
	peerID := bundle.PublisherID(publisherKey(2).Public().(ed25519.PublicKey))
	addr := "/ip4/192.0.2.1/tcp/4001/p2p/" + peerID
	addr2 := "/ip6/2001:db8::1/udp/4001/quic-v1/p2p/" + peerID
	q := url.QueryEscape
	var many strings.Builder
	for range MaxLinkPeers + 1 {
		many.WriteString("&peer=" + q(addr))
	}
	for _, tc := range []struct {
		name, in string
		want     Link
		ok       bool
	}{
		{"bare id", id, Link{Publisher: id}, true},
		{"bare id with spaces", "  " + id + "\n", Link{Publisher: id}, true},
		{"scheme", "samizdat:" + id, Link{Publisher: id}, true},
		{"scheme upper case", "SAMIZDAT:" + id, Link{Publisher: id}, true},
		{"scheme slashes", "samizdat://" + id, Link{Publisher: id}, true},
		{"one peer", "samizdat:" + id + "?peer=" + q(addr), Link{Publisher: id, Peers: []string{addr}}, true},
		{"two peers", "samizdat:" + id + "?peer=" + q(addr) + "&peer=" + q(addr2), Link{Publisher: id, Peers: []string{addr, addr2}}, true},
		{"unescaped peer", "samizdat:" + id + "?peer=" + addr, Link{Publisher: id, Peers: []string{addr}}, true},
		{"a mirror", "samizdat:" + id + "?mirror=https://m.example/news/", Link{Publisher: id, Mirrors: []string{"https://m.example/news/"}}, true},
		{"a peer and mirrors", "samizdat:" + id + "?mirror=" + q("https://m.example/a%20b") + "&peer=" + addr + "&mirror=https://n.example",
			Link{Publisher: id, Peers: []string{addr}, Mirrors: []string{"https://m.example/a%20b", "https://n.example"}}, true},
		{"a plain http mirror", "samizdat:" + id + "?mirror=http://m.example/", Link{}, false},
		{"a mirror with a query", "samizdat:" + id + "?mirror=" + q("https://m.example/?a=b"), Link{}, false},
		{"a mirror with user information", "samizdat:" + id + "?mirror=https://u@m.example/", Link{}, false},
		{"a multiaddr as mirror", "samizdat:" + id + "?mirror=" + addr, Link{}, false},
		{"too many mirrors", "samizdat:" + id + "?mirror=https://a.example&mirror=https://b.example&mirror=https://c.example&mirror=https://d.example&mirror=https://e.example", Link{}, false},
		{"mirror too long", "samizdat:" + id + "?mirror=https://" + strings.Repeat("a", bundle.MaxMirrorLen), Link{}, false},
		{"empty", "", Link{}, false},
		{"not an id", "hello", Link{}, false},
		{"scheme only", "samizdat:", Link{}, false},
		{"other scheme", "https://example.com/" + id, Link{}, false},
		{"bad peer", "samizdat:" + id + "?peer=/ip4/999.1.1.1/tcp/1", Link{}, false},
		{"peer without p2p", "samizdat:" + id + "?peer=" + q("/ip4/192.0.2.1/tcp/4001"), Link{}, false},
		{"unknown parameter", "samizdat:" + id + "?x=1", Link{}, false},
		{"bad query", "samizdat:" + id + "?peer=%zz", Link{}, false},
		{"too many peers", "samizdat:" + id + "?" + many.String()[1:], Link{}, false},
		{"too long", "samizdat:" + id + "?peer=" + strings.Repeat("a", MaxLinkLen), Link{}, false},
		{"peer too long", "samizdat:" + id + "?peer=" + q(strings.Repeat("/ip4/1.2.3.4", 50)+"/p2p/"+peerID), Link{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLink(tc.in)
			if !tc.ok {
				if !errors.Is(err, ErrBadLink) {
					t.Fatalf("ParseLink(%.60q) = %v, %v; want ErrBadLink", tc.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLink(%.60q) = %v", tc.in, err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ParseLink(%.60q) (-want +got):\n%s", tc.in, d)
			}
			// The text form parses back to the same link.
			back, err := ParseLink(got.String())
			if err != nil {
				t.Fatalf("ParseLink(%q) = %v", got.String(), err)
			}
			if d := cmp.Diff(got, back); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
		})
	}
}

func FuzzParseLink(f *testing.F) {
	id := bundle.PublisherID(publisherKey(1).Public().(ed25519.PublicKey))
	peerID := bundle.PublisherID(publisherKey(2).Public().(ed25519.PublicKey))
	f.Add(id)
	f.Add(Link{Publisher: id}.String())
	f.Add(Link{Publisher: id, Peers: []string{"/ip4/192.0.2.1/tcp/4001/p2p/" + peerID, "/dns4/example.org/tcp/443/wss/p2p/" + peerID}}.String())
	f.Add("samizdat:" + id + "?peer=%zz")
	f.Add(Link{Publisher: id, Mirrors: []string{"https://m.example/news/"}}.String())
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLink(s)
		if err != nil {
			if !errors.Is(err, ErrBadLink) {
				t.Fatalf("ParseLink error %v does not match ErrBadLink", err)
			}
			return
		}
		if len(l.Peers) > MaxLinkPeers || len(l.Mirrors) > MaxLinkMirrors {
			t.Fatalf("ParseLink accepted %d peers", len(l.Peers))
		}
		// Accepted links round-trip through their text form.
		back, err := ParseLink(l.String())
		if err != nil {
			t.Fatalf("ParseLink(%q) = %v; it came from String of an accepted link", l.String(), err)
		}
		if d := cmp.Diff(l, back); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
	})
}
