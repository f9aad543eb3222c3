package node

import (
	"bytes"
	"context"
	"testing"
	"time"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"

	"golang.org/x/time/rate"
)

// TestUploadCap: writes within the burst pass at once; a write that needs
// far more tokens than the rate gives in the time allowed is held back.
func TestUploadCap(t *testing.T) {
	l := rate.NewLimiter(1000, 1000) // 1 KB/s
	var sink bytes.Buffer
	w := &rateWriter{ctx: context.Background(), w: &sink, l: l}
	if n, err := w.Write(make([]byte, 500)); n != 500 || err != nil {
		t.Fatalf("Write(500) = %d, %v", n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	w.ctx = ctx
	n, err := w.Write(make([]byte, 10_000)) // would need about 9.5 s
	if err == nil || n >= 10_000 {
		t.Fatalf("Write(10000) at 1 KB/s within 200 ms = %d, %v; want it held back", n, err)
	}
	if sink.Len() > 500+1000+1000 {
		t.Errorf("%d bytes passed the cap", sink.Len())
	}
}

// TestBitswapUploadCap: a serving node's bitswap sends within its upload
// cap: in one second at 64 KiB/s, a peer gets a fraction of 1 MB of
// blocks it wants (without the cap, all of it in milliseconds).
func TestBitswapUploadCap(t *testing.T) {
	const capRate = 64 << 10
	start := func(upload int64) *Node {
		repo, err := OpenRepo(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { repo.Close() })
		n, err := New(context.Background(), repo, Config{Serve: true, UploadRate: upload, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		return n
	}
	for _, tc := range []struct {
		name   string
		upload int64
		capped bool
	}{{"capped", capRate, true}, {"uncapped", 0, false}} {
		t.Run(tc.name, func(t *testing.T) {
			holder, asker := start(tc.upload), start(0)
			var want []cid.Cid
			var total int
			for i := range 16 {
				data := bytes.Repeat([]byte{byte(i), 'x'}, 32<<10) // 64 KiB each
				blk := blocks.NewBlock(data)
				if err := holder.AdmitBlock(context.Background(), blk.Cid(), data); err != nil {
					t.Fatal(err)
				}
				want, total = append(want, blk.Cid()), total+len(data)
			}
			connect(t, asker, holder)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			ch, err := asker.bs.GetBlocks(ctx, want)
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			for blk := range ch {
				got += len(blk.RawData())
			}
			// 2 s at 64 KiB/s plus a 64 KiB burst: at most about 200 KiB.
			if capped := got < total/2; capped != tc.capped {
				t.Errorf("received %d of %d bytes in 2 s; holder sent %d (cap %d B/s)", got, total, holder.Sent(), tc.upload)
			}
			if tc.capped && holder.Sent() > 4*capRate {
				t.Errorf("holder sent %d bytes in about 2 s at a cap of %d B/s", holder.Sent(), capRate)
			}
		})
	}
}
