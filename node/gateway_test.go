package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/boxo/ipns"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	mh "github.com/multiformats/go-multihash"
	"github.com/samizdat/samizdat/bundle"
)

// gatewayFixture is a serving node holding one bundle, its catalog and a
// head, with its gateway on loopback.
type gatewayFixture struct {
	n         *Node
	srv       *httptest.Server
	b         *bundle.Bundle
	head      *Head
	publisher string
}

func startGateway(t *testing.T) *gatewayFixture {
	t.Helper()
	return startGatewayOn(t, startNode(t, true))
}

func startGatewayOn(t *testing.T, n *Node) *gatewayFixture {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)) // testBundle's
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	b := openBundle(t, testBundle(t, 1, 20, nil))
	ctx := context.Background()
	if err := n.AddBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	cc, data, err := (&Catalog{Publisher: publisher, Bundles: []cid.Cid{b.Root}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.AdmitBlock(ctx, cc, data); err != nil {
		t.Fatal(err)
	}
	h, err := NewHead(key, cc, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.repo.Heads().Offer(h); err != nil {
		t.Fatal(err)
	}
	gw, err := n.Gateway(GatewayConfig{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return &gatewayFixture{n: n, srv: srv, b: b, head: h, publisher: publisher}
}

func (g *gatewayFixture) get(t *testing.T, path, accept string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", g.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := g.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestGateway: what the trustless gateway answers, one request a case:
// raw blocks and CARs of what the node holds, each hashing to what was
// asked; the stored head as an IPNS record under either form of the
// publisher's name; and 404, at once, for what it lacks (it never goes to
// the network), and no deserialized responses at all.
func TestGateway(t *testing.T) {
	g := startGateway(t)
	id, err := peer.Decode(g.publisher)
	if err != nil {
		t.Fatal(err)
	}
	name := ipns.NameFromPeer(id)
	other := ipns.NameFromPeer(peer.ID(mustIdentity(t, 9)))
	sum, _ := mh.Sum([]byte("not held"), mh.SHA2_256, -1)
	unknown := cid.NewCidV1(cid.Raw, sum)

	hashesTo := func(c cid.Cid) func(*testing.T, []byte) {
		return func(t *testing.T, body []byte) {
			if sum, err := c.Prefix().Sum(body); err != nil || !sum.Equals(c) {
				t.Errorf("raw body of %s does not hash to it", c)
			}
		}
	}
	isBundleCAR := func(t *testing.T, body []byte) {
		b, err := bundle.OpenReader(bytes.NewReader(body), int64(len(body)), bundle.OpenOptions{Publisher: g.publisher})
		if err != nil {
			t.Fatalf("OpenReader(gateway CAR) = %v", err)
		}
		if b.Root != g.b.Root {
			t.Errorf("CAR root = %s, want %s", b.Root, g.b.Root)
		}
		if err := b.CheckBlocks(); err != nil {
			t.Errorf("CheckBlocks() = %v", err)
		}
		got, want := b.Blocks(), g.b.Blocks()
		slices.SortFunc(got, func(a, b cid.Cid) int { return strings.Compare(a.KeyString(), b.KeyString()) })
		slices.SortFunc(want, func(a, b cid.Cid) int { return strings.Compare(a.KeyString(), b.KeyString()) })
		if !slices.Equal(got, want) {
			t.Errorf("CAR holds %d blocks, want the bundle's %d", len(got), len(want))
		}
	}
	isHeadRecord := func(t *testing.T, body []byte) {
		rec, err := ipns.UnmarshalRecord(body)
		if err != nil {
			t.Fatal(err)
		}
		if err := ipns.ValidateWithName(rec, name); err != nil {
			t.Errorf("ValidateWithName() = %v", err)
		}
		if !bytes.Equal(body, g.head.Bytes()) {
			t.Errorf("record differs from the stored head")
		}
	}

	tests := []struct {
		name         string
		path, accept string
		wantStatus   int    // 0: any refusal (not 200)
		wantType     string // the Content-Type's media type; "" for refusals
		typeParams   bool   // the Content-Type may carry parameters
		check        func(t *testing.T, body []byte)
	}{
		{"raw catalog", "/ipfs/" + g.head.Catalog.String() + "?format=raw", "", 200, "application/vnd.ipld.raw", false, hashesTo(g.head.Catalog)},
		{"raw bundle root", "/ipfs/" + g.b.Root.String() + "?format=raw", "", 200, "application/vnd.ipld.raw", false, hashesTo(g.b.Root)},
		{"raw by Accept header", "/ipfs/" + g.b.Root.String(), "application/vnd.ipld.raw", 200, "application/vnd.ipld.raw", false, hashesTo(g.b.Root)},
		{"car", "/ipfs/" + g.b.Root.String() + "?format=car", "", 200, "application/vnd.ipld.car", true, isBundleCAR},
		{"ipns record by peer ID", "/ipns/" + g.publisher + "?format=ipns-record", "", 200, "application/vnd.ipfs.ipns-record", false, isHeadRecord},
		{"ipns record by IPNS name", "/ipns/" + name.String() + "?format=ipns-record", "", 200, "application/vnd.ipfs.ipns-record", false, isHeadRecord},
		{"ipns record of a publisher with no head", "/ipns/" + other.String() + "?format=ipns-record", "", 404, "", false, nil},
		{"raw of an unknown CID", "/ipfs/" + unknown.String() + "?format=raw", "", 404, "", false, nil},
		{"car of an unknown CID", "/ipfs/" + unknown.String() + "?format=car", "", 404, "", false, nil},
		{"deserialized", "/ipfs/" + g.b.Root.String(), "text/html", 0, "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t0 := time.Now()
			resp, body := g.get(t, tt.path, tt.accept)
			d := time.Since(t0)
			switch {
			case tt.wantStatus == 0 && resp.StatusCode == 200:
				t.Fatalf("GET %s (Accept %q) = %s, want a refusal", tt.path, tt.accept, resp.Status)
			case tt.wantStatus != 0 && resp.StatusCode != tt.wantStatus:
				t.Fatalf("GET %s (Accept %q) = %s %.200s, want %d", tt.path, tt.accept, resp.Status, body, tt.wantStatus)
			}
			// A 404 comes at once: the gateway never searches.
			if resp.StatusCode == 404 && d > 2*time.Second {
				t.Errorf("GET %s took %v: it must not search", tt.path, d)
			}
			ct := resp.Header.Get("Content-Type")
			if tt.wantType != "" && ct != tt.wantType && !(tt.typeParams && strings.HasPrefix(ct, tt.wantType+";")) {
				t.Errorf("Content-Type = %q, want %s", ct, tt.wantType)
			}
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
}

func mustIdentity(t *testing.T, seed byte) peer.ID {
	t.Helper()
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)).Public().(ed25519.PublicKey)
	id, err := peer.Decode(bundle.PublisherID(pub))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestGatewayOffline: a connected peer holds a block the gateway's node
// lacks; asking the gateway for it is still a 404, and the node still
// lacks it: a reader's request never makes a mirror fetch.
func TestGatewayOffline(t *testing.T) {
	g := startGateway(t)
	other := startNode(t, true)
	b2 := openBundle(t, testBundle(t, 2, 20, nil))
	if err := other.AddBundle(context.Background(), b2); err != nil {
		t.Fatal(err)
	}
	connect(t, g.n, other)
	for _, format := range []string{"raw", "car"} {
		if resp, _ := g.get(t, "/ipfs/"+b2.Root.String()+"?format="+format, ""); resp.StatusCode != 404 {
			t.Errorf("GET %s of a peer's block: %s, want 404", format, resp.Status)
		}
	}
	if g.n.HasBlock(context.Background(), b2.Root) {
		t.Errorf("the gateway's node fetched a block for an HTTP client")
	}
	// The root held, its children not: a CAR of it is cut short, and
	// nothing is fetched from the peer that has them.
	env, err := b2.Block(b2.Root)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.n.AdmitBlock(context.Background(), b2.Root, env); err != nil {
		t.Fatal(err)
	}
	g.get(t, "/ipfs/"+b2.Root.String()+"?format=car", "")
	if got := g.n.Received().Blocks; got != 0 {
		t.Errorf("the gateway's node received %d blocks from peers for an HTTP client", got)
	}
}

func TestGatewayReaderRefuses(t *testing.T) {
	n := startNode(t, false)
	if _, err := n.Gateway(GatewayConfig{}); !errors.Is(err, ErrNotServing) {
		t.Errorf("Gateway() on a reader = %v, want ErrNotServing", err)
	}
}
