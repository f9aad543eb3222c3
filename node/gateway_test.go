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

func TestGatewayRaw(t *testing.T) {
	g := startGateway(t)
	for _, c := range []cid.Cid{g.head.Catalog, g.b.Root} {
		resp, body := g.get(t, "/ipfs/"+c.String()+"?format=raw", "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET raw %s: %s", c, resp.Status)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.ipld.raw" {
			t.Errorf("Content-Type = %q, want application/vnd.ipld.raw", ct)
		}
		if sum, err := c.Prefix().Sum(body); err != nil || !sum.Equals(c) {
			t.Errorf("raw body of %s does not hash to it", c)
		}
	}
	// Accept header alone works too.
	if resp, _ := g.get(t, "/ipfs/"+g.b.Root.String(), "application/vnd.ipld.raw"); resp.StatusCode != 200 {
		t.Errorf("GET with Accept raw: %s", resp.Status)
	}
}

func TestGatewayCAR(t *testing.T) {
	g := startGateway(t)
	resp, body := g.get(t, "/ipfs/"+g.b.Root.String()+"?format=car", "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET car: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/vnd.ipld.car") {
		t.Errorf("Content-Type = %q, want application/vnd.ipld.car", ct)
	}
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

func TestGatewayIPNSRecord(t *testing.T) {
	g := startGateway(t)
	id, err := peer.Decode(g.publisher)
	if err != nil {
		t.Fatal(err)
	}
	name := ipns.NameFromPeer(id)
	for _, form := range []string{g.publisher, name.String()} {
		resp, body := g.get(t, "/ipns/"+form+"?format=ipns-record", "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET /ipns/%s: %s %s", form, resp.Status, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.ipfs.ipns-record" {
			t.Errorf("Content-Type = %q, want application/vnd.ipfs.ipns-record", ct)
		}
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
	// A publisher with no stored head: not found.
	other := ipns.NameFromPeer(peer.ID(mustIdentity(t, 9)))
	if resp, _ := g.get(t, "/ipns/"+other.String()+"?format=ipns-record", ""); resp.StatusCode != 404 {
		t.Errorf("unknown publisher: %s, want 404", resp.Status)
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

// TestGatewayUnknownCID: content the node lacks is a 404 at once: the
// gateway never goes to the network for it.
func TestGatewayUnknownCID(t *testing.T) {
	g := startGateway(t)
	sum, _ := mh.Sum([]byte("not held"), mh.SHA2_256, -1)
	c := cid.NewCidV1(cid.Raw, sum)
	for _, format := range []string{"raw", "car"} {
		t0 := time.Now()
		resp, _ := g.get(t, "/ipfs/"+c.String()+"?format="+format, "")
		if resp.StatusCode != 404 {
			t.Errorf("GET %s of an unknown CID: %s, want 404", format, resp.Status)
		}
		if d := time.Since(t0); d > 2*time.Second {
			t.Errorf("GET %s of an unknown CID took %v: it must not search", format, d)
		}
	}
	// Deserialized responses are off: a trustless gateway only.
	if resp, _ := g.get(t, "/ipfs/"+g.b.Root.String(), "text/html"); resp.StatusCode == 200 {
		t.Errorf("deserialized GET answered 200")
	}
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
