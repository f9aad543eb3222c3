package mirror

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/node"
)

// TestCatalogChainSync: a publisher with more bundles than one catalog
// page holds. A reader that holds the previous head fetches one catalog
// page for the next update, over HTTP from a static copy, however long
// the history; a new reader walks the whole chain and gets every bundle;
// an export file carries the chain to a third.
func TestCatalogChainSync(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x41}, ed25519.SeedSize))
	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	pub := start(t, true)
	svc := pub.as(key)
	const total = 2*node.CatalogPage + 5
	publish := func(seq uint64) {
		t.Helper()
		_, b := packN(t, key, seq, int64(seq), 1)
		if _, err := svc.Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	for seq := uint64(1); seq < total; seq++ {
		publish(seq)
	}
	site := t.TempDir()
	var pages atomic.Int32 // catalog pages asked of the static copy
	static := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/ipfs/") && r.URL.Query().Get("format") == "raw" {
			pages.Add(1)
		}
		http.FileServer(http.Dir(site)).ServeHTTP(w, r)
	}))
	t.Cleanup(static.Close)
	if _, err := pub.svc.WriteStatic(ctx, site, nil); err != nil {
		t.Fatal(err)
	}
	reader := start(t, false)
	src := HTTPSource{URLs: []string{static.URL}, TempDir: t.TempDir()}
	res, err := reader.svc.SyncHTTP(ctx, publisher, src)
	if err != nil || len(res.Bundles) != total-1 {
		t.Fatalf("first SyncHTTP() = %v, %d bundles; want %d", err, len(res.Bundles), total-1)
	}
	if got := pages.Load(); got != 3 {
		t.Errorf("a new reader asked for %d catalog pages, want the chain's 3", got)
	}

	publish(total)
	if _, err := pub.svc.WriteStatic(ctx, site, nil); err != nil {
		t.Fatal(err)
	}
	pages.Store(0)
	res, err = reader.svc.SyncHTTP(ctx, publisher, src)
	if err != nil || len(res.Bundles) != total || len(res.Fetched) != 1 {
		t.Fatalf("update SyncHTTP() = %v, %d bundles, %d fetched; want %d, 1", err, len(res.Bundles), len(res.Fetched), total)
	}
	if got := pages.Load(); got != 1 {
		t.Errorf("an update asked for %d catalog pages, want 1", got)
	}

	var usb bytes.Buffer
	if _, err := pub.svc.Export(ctx, publisher, &usb); err != nil {
		t.Fatal(err)
	}
	third := start(t, false)
	imp, err := third.svc.Import(ctx, bytes.NewReader(usb.Bytes()), int64(usb.Len()))
	if err != nil || len(imp.Bundles) != total || len(imp.Fetched) != total {
		t.Fatalf("Import() = %v, %d bundles, %d stored; want %d", err, len(imp.Bundles), len(imp.Fetched), total)
	}
	if cat, _, err := third.svc.catalog(ctx, imp.Head); err != nil || len(cat.Bundles) != total {
		t.Errorf("the importer's stored chain lists %v bundles (%v)", cat, err)
	}
}
