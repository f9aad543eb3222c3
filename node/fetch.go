package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/bundle"
)

// Received counts what a node has received from peers.
type Received struct {
	Blocks uint64 // verified blocks, by any protocol
	Bytes  uint64 // bytes of block data and bundle files, verified or not
	// Expected is the bytes of the whole bundle files peers have begun to
	// send, for a progress display; blocks asked for one by one are not
	// in it, their sizes being unknown until they arrive.
	Expected uint64
}

// counters are a node's receive counters.
type counters struct {
	blocks, bytes, expected atomic.Int64
}

// Sent returns the bytes the node has sent to peers: bundle files and
// blocks, by every protocol (bitswap's with its message framing).
func (n *Node) Sent() uint64 { return uint64(n.sent.Load()) }

// Received returns what the node has received from peers so far.
func (n *Node) Received() Received {
	r := Received{Blocks: uint64(n.recv.blocks.Load()), Bytes: uint64(n.recv.bytes.Load()), Expected: uint64(n.recv.expected.Load())}
	if n.bs != nil {
		if st, err := n.bs.Stat(); err == nil {
			r.Blocks += st.BlocksReceived
			r.Bytes += st.DataReceived
		}
	}
	return r
}

// FetchBundle gets the bundle whose envelope is root from peers (and
// blocks the repo already holds), verifies it (signature, publisher
// document, manifest, every block against its CID; articles are checked
// against their content CIDs whenever they are read), stores it as a
// bundle file and writes it to w. Nothing is stored, and nothing written
// to w, unless it verified.
//
// It asks the sources of opts.Publisher (SourcesFor; with no publisher,
// Sources), best first. It first fetches the bundle's metadata, one block
// at a time. If it holds less than half of the bundle's blocks, it asks
// the sources, one after the other, for the whole file in one stream
// (BundleProtocol), checking each block as it arrives; a peer that stalls
// for stallTimeout, or sends slower than minTransferRate once
// transferGrace has passed, is cut off and asked last from then on. It
// gives up on whole files once maxBulkSources peers have failed so
// (those that lack the bundle do not count). Otherwise, or if none can,
// it fetches only the missing blocks: over
// bitswap on a serving node, with direct block requests to its sources on
// a reader.
func (n *Node) FetchBundle(ctx context.Context, root cid.Cid, opts bundle.OpenOptions, w io.Writer) (*bundle.Info, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var staged []cid.Cid // staged by this fetch; dropped once it ends
	defer func() { n.staging.discard(staged) }()
	get := func(c cid.Cid) ([]byte, error) {
		if data, ok := n.local(ctx, c); ok {
			return data, nil
		}
		if blk, ok := n.staging.staged1(c); ok {
			return blk.RawData(), nil
		}
		data, err := n.fetchBlock(ctx, opts.Publisher, c)
		if err != nil {
			return nil, err
		}
		blk, _ := blocks.NewBlockWithCid(data, c) // checked by fetchBlock
		if err := n.staging.Put(ctx, blk); err != nil {
			return nil, err
		}
		staged = append(staged, c)
		return data, nil
	}
	// The pages and dictionary the manifest names: fetched all at once,
	// requestWorkers at a time, instead of a round trip each.
	prefetch := func(cs []cid.Cid) {
		if missing := n.lacking(ctx, cs); len(missing) > 1 {
			got, _ := n.requestBlocks(ctx, opts.Publisher, missing) // what fails here, get asks again
			staged = append(staged, got...)
		}
	}
	b, err := bundle.OpenBlocksPrefetch(root, get, prefetch, opts)
	if err != nil {
		return nil, err
	}
	defer b.Close() // its decoder
	// Content blocks live in bundle files, whose index is in memory:
	// enough to tell a new bundle from one that shares most of an old one.
	missing := 0
	for _, c := range b.Blocks() {
		if _, ok := n.repo.bundles.size(c); !ok {
			missing++
		}
	}
	if missing > len(b.Blocks())/2 {
		tried := 0 // sources that failed otherwise than lacking it
		for _, p := range n.SourcesFor(opts.Publisher) {
			if tried == maxBulkSources {
				break // the rest block by block
			}
			err := n.fetchBulk(ctx, p, b)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			n.served(p, err)
			if err == nil {
				info := b.Info
				return &info, n.copyBundle(root, w)
			}
			if !errors.Is(err, errBulkUnavailable) {
				tried++
				n.log.Debug("bundle transfer failed; trying another peer", "kind", errKind(err))
			}
		}
	}
	got, err := n.prefetch(ctx, opts.Publisher, b.Blocks())
	staged = append(staged, got...)
	if err != nil {
		return nil, err
	}
	if err := n.repo.bundles.add(b); err != nil { // writes the file, checking every block
		return nil, err
	}
	info := b.Info
	return &info, n.copyBundle(b.Root, w)
}

// copyBundle writes a held bundle file to w; nothing for io.Discard.
func (n *Node) copyBundle(root cid.Cid, w io.Writer) error {
	if w == io.Discard {
		return nil
	}
	r, size, ok := n.repo.bundles.open(root)
	if !ok {
		return fmt.Errorf("%w: bundle %s is not held", bundle.ErrNotFound, root)
	}
	_, err := io.Copy(w, io.NewSectionReader(r, 0, size))
	return err
}

// fetchBlock gets one block from the sources of publisher ("": the
// global ones; see SourcesFor), checked against its CID, without storing
// it: direct requests to up to blockFanout of them at a time, then
// bitswap on a serving node.
func (n *Node) fetchBlock(ctx context.Context, publisher string, c cid.Cid) ([]byte, error) {
	data, err := n.requestAny(ctx, n.SourcesFor(publisher), c, blockFanout)
	if err == nil || ctx.Err() != nil || n.bs == nil {
		return data, err
	}
	ctx, cancel := context.WithTimeout(ctx, blockTimeout)
	defer cancel()
	blk, err := n.bs.GetBlock(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := bundle.CheckBlock(c, blk.RawData()); err != nil {
		return nil, err
	}
	n.staging.discard([]cid.Cid{c}) // bitswap staged it; the caller decides
	return blk.RawData(), nil
}

// GetBlock returns a block from the repo, or from the node's sources for
// every publisher (Sources). A block from a peer is checked against its
// CID but not admitted to the repo: the caller verifies what it means
// first and then calls AdmitBlock.
func (n *Node) GetBlock(ctx context.Context, c cid.Cid) ([]byte, error) {
	return n.GetBlockFor(ctx, "", c)
}

// GetBlockFor is GetBlock for a block of publisher's (its catalog, say):
// a reader asks publisher's sources (SourcesFor), and no peer it chose
// only for another publisher.
func (n *Node) GetBlockFor(ctx context.Context, publisher string, c cid.Cid) ([]byte, error) {
	if data, ok := n.local(ctx, c); ok {
		return data, nil
	}
	return n.fetchBlock(ctx, publisher, c)
}

// lacking returns the blocks of cs that are neither stored nor staged.
func (n *Node) lacking(ctx context.Context, cs []cid.Cid) []cid.Cid {
	var missing []cid.Cid
	for _, c := range cs {
		if _, ok := n.staging.staged1(c); ok {
			continue
		}
		if ok, _ := n.repo.Blockstore().Has(ctx, c); !ok {
			missing = append(missing, c)
		}
	}
	return missing
}

// prefetch fetches and stages the blocks of cs the node lacks, from the
// sources of publisher, and returns the blocks it staged.
func (n *Node) prefetch(ctx context.Context, publisher string, cs []cid.Cid) (staged []cid.Cid, err error) {
	missing := n.lacking(ctx, cs)
	if len(missing) == 0 {
		return nil, nil
	}
	if n.bs == nil {
		return n.requestBlocks(ctx, publisher, missing)
	}
	return n.bitswapBlocks(ctx, missing)
}

// requestBlocks fetches blocks with direct requests to the sources of
// publisher, requestWorkers at a time; a block no peer delivers fails the
// fetch. Each block asks one peer at a time, the best left (requestAny):
// a peer that failed any request is asked last by every worker from then
// on, so stalled peers cost a timeout each, not one per block.
func (n *Node) requestBlocks(ctx context.Context, publisher string, missing []cid.Cid) (staged []cid.Cid, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if len(n.SourcesFor(publisher)) == 0 {
		return nil, fmt.Errorf("%w: no peer to fetch %d blocks from", bundle.ErrMissingBlock, len(missing))
	}
	work := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(requestWorkers, len(missing)) {
		wg.Go(func() {
			for i := range work {
				c := missing[i]
				data, err := n.requestAny(ctx, n.SourcesFor(publisher), c, 1)
				if err != nil {
					cancel(err)
					return
				}
				blk, _ := blocks.NewBlockWithCid(data, c)
				if err := n.staging.Put(ctx, blk); err != nil {
					cancel(err)
					return
				}
				mu.Lock()
				staged = append(staged, c)
				mu.Unlock()
			}
		})
	}
feed:
	for i := range missing {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return staged, err
	}
	return staged, nil
}

// requestAny asks peers for block c with direct requests and returns the
// first answer that checks against c. It asks the best of the peers not
// yet asked (rank), first one, then another whenever one fails or, with
// fanout above 1, none has answered for blockHedgeDelay, with at most
// fanout requests in flight. It records how each peer served (served);
// a peer still silent when one asked after it answered loses its good
// record (forget). Requests it withdraws once one answered are reset at
// once (their context ends), and their answers dropped.
func (n *Node) requestAny(ctx context.Context, peers []peer.ID, c cid.Cid, fanout int) ([]byte, error) {
	if len(peers) == 0 {
		return nil, fmt.Errorf("%w: no chosen peer to ask for block %s", bundle.ErrMissingBlock, c)
	}
	rctx, withdraw := context.WithCancel(ctx)
	defer withdraw()
	type answer struct {
		p    peer.ID
		data []byte
		err  error
	}
	answers := make(chan answer, len(peers)) // never blocks a request, even one withdrawn
	left := slices.Clone(peers)
	inFlight := 0
	asked := make(map[peer.ID]int, len(peers)) // the order of the requests in flight
	ask := func() {
		p := n.rank(left)[0]
		left = left[1:]
		inFlight++
		asked[p] = len(peers) - len(left)
		go func() {
			data, err := n.requestBlock(rctx, p, c)
			answers <- answer{p, data, err}
		}()
	}
	hedge := time.NewTimer(blockHedgeDelay)
	defer hedge.Stop()
	ask()
	for inFlight > 0 {
		var more <-chan time.Time
		if fanout > 1 && inFlight < fanout && len(left) > 0 {
			more = hedge.C
		}
		select {
		case a := <-answers:
			inFlight--
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			n.served(a.p, a.err)
			if a.err == nil {
				for p, i := range asked {
					if i < asked[a.p] {
						n.forget(p)
					}
				}
				return a.data, nil
			}
			delete(asked, a.p)
			if len(left) > 0 {
				ask()
			}
		case <-more:
			ask()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		hedge.Reset(blockHedgeDelay)
	}
	return nil, fmt.Errorf("%w: none of %d chosen peers delivered block %s", bundle.ErrMissingBlock, len(peers), c)
}

// bitswapBlocks fetches the missing blocks over bitswap in windows of
// prefetchWindow wants, so bitswap pipelines them without overflowing a
// server's per-peer want queue, and stages them.
//
// A window that makes no progress for stallTimeout, or brings less than
// minTransferRate once transferGrace has passed, is asked again in a new
// bitswap session, which asks every connected peer afresh: a peer that
// dies, stalls or trickles cannot hold the fetch.
func (n *Node) bitswapBlocks(ctx context.Context, missing []cid.Cid) (staged []cid.Cid, err error) {
	ses := n.bs.NewSession(ctx)
	retries := 0
	for len(missing) > 0 {
		window := missing[:min(len(missing), prefetchWindow)]
		got, err := n.fetchWindow(ctx, ses, window)
		staged = append(staged, got...)
		if err == nil {
			missing = missing[len(window):]
			continue
		}
		if !errors.Is(err, errStalled) || retries >= maxStallRetries {
			return staged, err
		}
		retries++
		n.log.Debug("fetch stalled; asking peers again")
		ses = n.bs.NewSession(ctx)
		var rest []cid.Cid
		for _, c := range missing {
			if _, ok := n.staging.staged1(c); !ok {
				rest = append(rest, c)
			}
		}
		missing = rest
	}
	return staged, nil
}

var errStalled = errors.New("fetch stalled")

func (n *Node) fetchWindow(ctx context.Context, ses interface {
	GetBlocks(context.Context, []cid.Cid) (<-chan blocks.Block, error)
}, window []cid.Cid) (staged []cid.Cid, err error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel() // withdraws the wants of a failed window
	ch, err := ses.GetBlocks(wctx, window)
	if err != nil {
		return nil, err
	}
	want := make(map[cid.Cid]bool, len(window))
	for _, c := range window {
		want[c] = true
	}
	timer := time.NewTimer(stallTimeout)
	defer timer.Stop()
	rate := newRateGuard(time.Now())
	for len(want) > 0 {
		select {
		case blk, ok := <-ch:
			if !ok {
				return staged, fmt.Errorf("%w: %d blocks not received", errStalled, len(want))
			}
			// The session hands blocks to us and to the store; stage it
			// here too in case the store declined it.
			if err := n.staging.Put(ctx, blk); err != nil {
				return staged, err
			}
			staged = append(staged, blk.Cid())
			delete(want, blk.Cid())
			rate.add(len(blk.RawData()))
			if err := rate.check(time.Now()); err != nil {
				return staged, fmt.Errorf("%w: %w", errStalled, err)
			}
			timer.Reset(stallTimeout)
		case <-timer.C:
			return staged, fmt.Errorf("%w: no block for %v; %d missing", errStalled, stallTimeout, len(want))
		case <-ctx.Done():
			return staged, ctx.Err()
		}
	}
	return staged, nil
}

// ErrTooSlow says a source sent a transfer slower than minTransferRate.
var ErrTooSlow = errors.New("transfer too slow")

// MinRate returns a reader of r, a transfer from a source, that fails
// with ErrTooSlow once r delivers slower than a libp2p source may send a
// bundle file (minTransferRate, 4 KiB/s, once transferGrace has passed,
// judged over each transferWindow: rateGuard): for transfers by other
// means (HTTP), so that a source that drips bytes just often enough to
// escape a stall timer is cut off, and the next asked, by the one rule
// libp2p transfers have. The clock starts now.
func MinRate(r io.Reader) io.Reader {
	return &rateReader{r: r, rate: newRateGuard(time.Now())}
}

type rateReader struct {
	r    io.Reader
	rate *rateGuard
}

func (m *rateReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.rate.add(n)
	if err == nil {
		err = m.rate.check(time.Now())
	}
	return n, err
}

// rateGuard judges a transfer's rate: once transferGrace has passed, the
// bytes since the last judgement (at first, since the start) must average
// minTransferRate a second, judged again each transferWindow. It is for
// one goroutine.
type rateGuard struct {
	start, mark time.Time
	n, markN    int64
}

func newRateGuard(now time.Time) *rateGuard { return &rateGuard{start: now, mark: now} }

// add counts n bytes received.
func (g *rateGuard) add(n int) { g.n += int64(n) }

// check returns ErrTooSlow if the transfer is too slow at now.
func (g *rateGuard) check(now time.Time) error {
	if now.Sub(g.start) < transferGrace {
		return nil
	}
	span := now.Sub(g.mark)
	if span < transferWindow {
		return nil
	}
	if got := g.n - g.markN; float64(got) < minTransferRate*span.Seconds() {
		return fmt.Errorf("%w: %d bytes in %v, at least %d a second wanted", ErrTooSlow, got, span.Round(time.Second), minTransferRate)
	}
	g.mark, g.markN = now, g.n
	return nil
}

// errKind names the kind of a fetch error for a log line: the error's own
// text names blocks, which would say what was fetched.
func errKind(err error) string {
	for _, k := range []struct {
		err  error
		kind string
	}{
		{bundle.ErrNotFound, "not found"}, {bundle.ErrHashMismatch, "hash mismatch"}, {bundle.ErrTruncated, "truncated"},
		{bundle.ErrTooLarge, "too large"}, {bundle.ErrMalformed, "malformed"},
		{bundle.ErrInvalid, "invalid"}, {ErrTooSlow, "too slow"}, {context.DeadlineExceeded, "timeout"}, {context.Canceled, "canceled"},
	} {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	return "transport"
}
