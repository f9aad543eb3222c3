package mirror

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/samizdat/samizdat/bundle"
)

type carBlock struct {
	c    cid.Cid
	data []byte
}

// bundleBlocks returns a bundle's blocks in canonical order.
func bundleBlocks(t testing.TB, b *bundle.Bundle) []carBlock {
	t.Helper()
	var out []carBlock
	for _, c := range b.Blocks() {
		data, err := b.Block(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, carBlock{c, data})
	}
	return out
}

// TestCARReach: the blocks of a bundle reach one another from the root in
// the orders servers send them (canonical, and the gateway's walk), with
// no byte waiting; in reverse they wait and are all reached when the root
// comes last; a block sent twice, and one the root never reaches, count
// as waste.
func TestCARReach(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	_, b := packN(t, key, 1, 3, 30)
	defer b.Close()
	canonical := bundleBlocks(t, b)
	feed := func(t *testing.T, blocks []carBlock, maxWaste int64) *carReach {
		t.Helper()
		r := newCARReach(b.Root)
		for i, blk := range blocks {
			if err := r.add(blk.c, blk.data); err != nil {
				t.Fatalf("add(block %d of %d) = %v", i+1, len(blocks), err)
			}
			if r.waste > maxWaste {
				t.Fatalf("after block %d of %d: %d bytes waiting, want at most %d", i+1, len(blocks), r.waste, maxWaste)
			}
		}
		return r
	}
	reachedAll := func(t *testing.T, r *carReach) {
		t.Helper()
		for _, blk := range canonical {
			if !r.got[blk.c] {
				t.Fatalf("block %s of the bundle not reached", blk.c)
			}
		}
	}
	t.Run("canonical", func(t *testing.T) { reachedAll(t, feed(t, canonical, 0)) })
	t.Run("gateway", func(t *testing.T) {
		f := newHTTPFixture(t)
		blocks := gatewayCAR(t, f.gateway.URL, f.roots[2])
		if len(blocks) == 0 {
			t.Fatal("the gateway sent no block")
		}
		root, err := cid.Decode(f.roots[2])
		if err != nil {
			t.Fatal(err)
		}
		r := newCARReach(root)
		for i, blk := range blocks {
			if err := r.add(blk.c, blk.data); err != nil || r.waste != 0 {
				t.Fatalf("add(block %d of %d of the gateway's CAR) = %v, %d bytes waiting; want none", i+1, len(blocks), err, r.waste)
			}
		}
	})
	t.Run("reversed", func(t *testing.T) {
		reversed := slices.Clone(canonical)
		slices.Reverse(reversed)
		r := feed(t, reversed, maxCARAhead)
		if r.waste != 0 || len(r.ahead) != 0 {
			t.Errorf("after the root: %d bytes, %d blocks waiting; want none", r.waste, len(r.ahead))
		}
		reachedAll(t, r)
	})
	t.Run("twice", func(t *testing.T) {
		last := canonical[len(canonical)-1]
		r := feed(t, append(slices.Clone(canonical), last), int64(len(last.data)))
		if r.waste != int64(len(last.data)) {
			t.Errorf("waste = %d, want the %d bytes sent twice", r.waste, len(last.data))
		}
	})
	t.Run("not reached", func(t *testing.T) {
		junk := []byte("a block the bundle does not link to")
		c, _ := bundle.PrefixRaw.Sum(junk)
		r := newCARReach(b.Root)
		var err error
		for n := int64(0); err == nil && n <= maxCARAhead; n += int64(len(junk)) {
			junk[0]++
			c, _ = bundle.PrefixRaw.Sum(junk)
			err = r.add(c, junk)
		}
		if !errors.Is(err, bundle.ErrMalformed) {
			t.Errorf("add(past maxCARAhead of blocks not reached) = %v, want %v", err, bundle.ErrMalformed)
		}
	})
}

// gatewayCAR fetches a bundle's CAR from a gateway, in the order it sends
// it.
func gatewayCAR(t *testing.T, base, root string) []carBlock {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/ipfs/"+root+"?format=car", nil)
	req.Header.Set("Accept", typeCAR)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cr, err := carv2.NewBlockReader(bufio.NewReader(resp.Body))
	if err != nil {
		t.Fatal(err)
	}
	var out []carBlock
	for {
		blk, err := cr.Next()
		if err != nil {
			break
		}
		out = append(out, carBlock{blk.Cid(), blk.RawData()})
	}
	return out
}

// FuzzBlockLinks: reading a block's links never panics, and finds the
// links of a bundle's own blocks.
func FuzzBlockLinks(f *testing.F) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	_, b := packN(f, key, 1, 3, 5)
	defer b.Close()
	for _, blk := range bundleBlocks(f, b) {
		if blk.c.Prefix().Codec == cid.DagCBOR {
			f.Add(blk.data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := cid.Prefix{Version: 1, Codec: cid.DagCBOR, MhType: 0x12, MhLength: -1}.Sum(data)
		if err != nil {
			t.Fatal(err)
		}
		links, err := blockLinks(c, data)
		if err != nil && links != nil {
			t.Errorf("blockLinks() = %v, %v: links with an error", links, err)
		}
		for _, l := range links {
			if !l.Defined() {
				t.Errorf("blockLinks() gave an undefined CID")
			}
		}
	})
}
