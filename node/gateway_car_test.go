package node

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
)

// TestGatewayCatalogCAR: a CAR holds at most one bundle: a catalog's is
// refused unless it asks for the catalog block alone (and under the
// publisher's name there are no CARs at all); a path through the catalog
// to a bundle gets that bundle.
func TestGatewayCatalogCAR(t *testing.T) {
	g := startGateway(t)
	// A catalog of two bundles: a CAR of it would hold both.
	b2 := openBundle(t, testBundle(t, 2, 20, g.b.Dictionary()))
	ctx := context.Background()
	if err := g.n.AddBundle(ctx, b2); err != nil {
		t.Fatal(err)
	}
	cat, data, err := (&Catalog{Publisher: g.publisher, Bundles: []cid.Cid{b2.Root, g.b.Root}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.n.AdmitBlock(ctx, cat, data); err != nil {
		t.Fatal(err)
	}
	bundleBlocks := len(g.b.Blocks())

	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBlocks int // in the CAR; 0 for refusals
	}{
		{"catalog, default scope", "/ipfs/" + cat.String() + "?format=car", http.StatusBadRequest, 0},
		{"catalog, dag-scope=all", "/ipfs/" + cat.String() + "?format=car&dag-scope=all", http.StatusBadRequest, 0},
		{"catalog, dag-scope=entity", "/ipfs/" + cat.String() + "?format=car&dag-scope=entity", http.StatusBadRequest, 0},
		// A trustless gateway serves only records under /ipns/.
		{"the head's catalog by IPNS name", "/ipns/" + g.publisher + "?format=car", http.StatusNotAcceptable, 0},
		{"catalog, dag-scope=block", "/ipfs/" + cat.String() + "?format=car&dag-scope=block", http.StatusOK, 1},
		{"a bundle through the catalog", "/ipfs/" + cat.String() + "/bundles/1?format=car", http.StatusOK, 1 + bundleBlocks},
		{"a bundle", "/ipfs/" + g.b.Root.String() + "?format=car", http.StatusOK, bundleBlocks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := g.get(t, tt.path, "")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s = %s (%d bytes), want %d", tt.path, resp.Status, len(body), tt.wantStatus)
			}
			if tt.wantBlocks == 0 {
				return
			}
			r, err := carv2.NewBlockReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			seen := map[cid.Cid]bool{}
			for {
				blk, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				seen[blk.Cid()] = true
			}
			if len(seen) != tt.wantBlocks {
				t.Errorf("GET %s: a CAR of %d blocks, want %d", tt.path, len(seen), tt.wantBlocks)
			}
		})
	}
}
