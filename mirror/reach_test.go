package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
)

// TestFetchSignedMirrors: a reader that got the publisher's first head
// from a file (a USB stick: Import) learns the mirrors its document lists,
// and with nothing else to go on, Fetch gets the next head from them:
// over libp2p from the listed mirror, and, once that mirror is gone,
// over HTTPS from the listed static copy. The book records each outcome.
func TestFetchSignedMirrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	publisher := bundle.PublisherID(root.Public().(ed25519.PublicKey))
	pub, listed := start(t, true), start(t, true)
	site := t.TempDir()
	web := httptest.NewTLSServer(http.FileServer(http.Dir(site)))
	t.Cleanup(web.Close)
	listedAddr, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: listed.Host.ID(), Addrs: listed.Host.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := bundle.NewAuthority(root, bundle.AuthorityParams{Seq: 1, Mirrors: []string{listedAddr[0].String(), web.URL + "/", "tor:unknown-kind"}})
	if err != nil {
		t.Fatal(err)
	}
	pubSvc := newService(pub.Node, Options{Key: root, Authority: doc, HeadValidity: time.Hour})
	files := map[uint64][]byte{}
	publish := func(seq uint64) {
		t.Helper()
		file, b := packN(t, root, seq, int64(seq), 8)
		files[seq] = file
		if _, err := pubSvc.Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
		link(t, listed, pub)
		if res, err := listed.svc.Sync(ctx, publisher, nil); err != nil || res.Head.Seq != seq {
			t.Fatalf("the listed mirror's Sync() = %v", err)
		}
	}
	publish(1)
	var usb bytes.Buffer
	if _, err := pubSvc.Export(ctx, publisher, &usb); err != nil {
		t.Fatal(err)
	}
	publish(2)
	if _, err := listed.svc.WriteStatic(ctx, site, []string{publisher}); err != nil {
		t.Fatal(err)
	}
	importUSB := func() *testNode {
		r := start(t, false)
		if _, err := r.svc.Import(ctx, bytes.NewReader(usb.Bytes()), int64(usb.Len())); err != nil {
			t.Fatal(err)
		}
		if got := r.svc.SignedMirrors(publisher); len(got) != 2 {
			t.Fatalf("SignedMirrors() = %+v, want the libp2p and the https entries", got)
		}
		return r
	}

	reader := importUSB()
	res, err := reader.svc.Fetch(ctx, publisher, Reach{})
	if err != nil {
		t.Fatalf("Fetch() = %v", err)
	}
	checkHeld(t, reader, res, publisher, files)
	if len(reader.Sources()) != 0 { // the listed mirror is a source of this publisher's only
		t.Errorf("the listed mirror became a source for every publisher: %v", reader.Sources())
	}
	book := readBook(t, reader)
	if !bytes.Contains(book, []byte(listedAddr[0].String())) {
		t.Errorf("the book does not record the listed mirror: %s", book)
	}

	listed.stop() // gone: only the static copy is left
	reader2 := importUSB()
	res, err = reader2.svc.Fetch(ctx, publisher, Reach{HTTP: HTTPSource{Client: web.Client(), TempDir: t.TempDir()}})
	if err != nil {
		t.Fatalf("Fetch() over HTTPS = %v", err)
	}
	checkHeld(t, reader2, res, publisher, files)
	if book := readBook(t, reader2); !bytes.Contains(book, []byte(web.URL)) {
		t.Errorf("the book does not record the static copy: %s", book)
	}

	// Nothing listed, nothing given: nowhere to go.
	lone := start(t, false)
	if _, err := lone.svc.Fetch(ctx, publisher, Reach{}); err == nil {
		t.Error("Fetch() with no source succeeded")
	}
}

// readBook returns the node's saved mirror book.
func readBook(t *testing.T, tn *testNode) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tn.RepoDir(), "mirrors.json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
