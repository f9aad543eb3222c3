package node

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/settle"
)

// HeadProtocol serves a publisher's newest head to a peer that asks, so a
// reader with a single known peer gets it without the DHT. See
// docs/protocol.md.
const HeadProtocol protocol.ID = "/samizdat/head/1.0.0"

// Head protocol response status codes.
const (
	headOK       = 0
	headNotFound = 1
	headBadReq   = 2
)

// ServeHeads answers head requests from the repo's stored heads.
func (n *Node) ServeHeads() {
	n.serve(newServer(HeadProtocol), n.serveHead)
}

// serveHead answers one head request.
func (n *Node) serveHead(st *serverStream) error {
	publisher, err := st.request(maxHeadRequest)
	if timedOut(err) {
		return err
	}
	if err != nil {
		return writeHeadResponse(st, headBadReq, nil)
	}
	if _, err := bundle.ParsePublisherID(string(publisher)); err != nil {
		return writeHeadResponse(st, headBadReq, nil)
	}
	h, err := n.repo.heads.Get(string(publisher))
	if err != nil || h == nil {
		return writeHeadResponse(st, headNotFound, nil)
	}
	rec := h.Bytes()
	if err := st.hold(len(rec)); err != nil {
		return err
	}
	// Through the upload counter and cap, as every protocol's answer: a
	// head is up to 75 KiB for a request of 60 bytes.
	return writeHeadResponse(n.uploadWriter(n.life, st), headOK, rec)
}

func writeHeadResponse(w io.Writer, status byte, rec []byte) error {
	buf := binary.AppendUvarint([]byte{status}, uint64(len(rec)))
	_, err := w.Write(append(buf, rec...))
	return err
}

// readFrame reads a uvarint length and that many bytes, refusing more
// than limit before reading them.
func readFrame(r *bufio.Reader, limit int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > uint64(limit) {
		return nil, fmt.Errorf("frame of %d bytes, limit %d", n, limit)
	}
	buf := make([]byte, n)
	_, err = io.ReadFull(r, buf)
	return buf, err
}

// RequestHead asks one peer for publisher's head and checks it.
func (n *Node) RequestHead(ctx context.Context, p peer.ID, publisher string) (*Head, error) {
	status, rec, err := n.exchange(ctx, p, HeadProtocol, []byte(publisher), maxHeadSize, headDeadline)
	if err != nil {
		return nil, err
	}
	if status != headOK {
		return nil, ErrNoHead
	}
	return ParseHead(publisher, rec)
}

// exchange is one request/response of the small samizdat protocols: it
// sends uvarint(len) || req and reads status (1 byte) || uvarint(len) ||
// body, refusing a body over limit before reading it. timeout bounds the
// answer's start; the body then gets stallTimeout a read and its declared
// size's time at minTransferRate in all.
func (n *Node) exchange(ctx context.Context, p peer.ID, proto protocol.ID, req []byte, limit int, timeout time.Duration) (byte, []byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// timeout bounds the answer's start; the body then gets the time it
	// needs at minTransferRate (below).
	timer := time.AfterFunc(timeout, cancel)
	defer timer.Stop()
	// Small exchanges may cross a relayed (limited) connection: a head or
	// one article fits well within a relay's per-connection budget.
	s, err := n.Host.NewStream(network.WithAllowLimitedConn(ctx, "samizdat request"), p, proto)
	if err != nil {
		return 0, nil, err
	}
	defer s.Close()
	// A request that lost a race (another source answered first) ends
	// now, not at its deadline.
	stop := context.AfterFunc(ctx, func() { s.Reset() })
	defer stop()
	s.SetDeadline(time.Now().Add(timeout))
	if _, err := s.Write(append(binary.AppendUvarint(nil, uint64(len(req))), req...)); err != nil {
		return 0, nil, err
	}
	s.CloseWrite()
	br := bufio.NewReader(s)
	status, err := br.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	size, err := binary.ReadUvarint(br)
	if err != nil {
		return 0, nil, err
	}
	if size > uint64(limit) {
		return 0, nil, fmt.Errorf("frame of %d bytes, limit %d", size, limit)
	}
	// A body may take longer than its answer took to start: on a slow
	// line (32 KB/s, a phone behind a censor's throttle) a 1 MiB block
	// takes half a minute. It gets stallTimeout plus its time at
	// minTransferRate, a bound set by its declared size, which the limit
	// bounds in turn; and each read gets stallTimeout, so a peer that
	// declares a large body and sends nothing is cut off at once.
	more := stallTimeout + time.Duration(size)*time.Second/minTransferRate
	if !timer.Stop() {
		return 0, nil, ctx.Err() // the answer's start came too late
	}
	timer.Reset(more)
	end := time.Now().Add(more)
	s.SetDeadline(end)
	body, err := readBody(br, s, int(size), end)
	if err != nil {
		return 0, nil, err
	}
	return status, body, nil
}

// readBody reads size bytes from r, which reads s, giving each read
// stallTimeout (none past end). The buffer grows as bytes arrive, so a
// declared size holds memory only once the peer has sent about as much.
func readBody(r io.Reader, s network.Stream, size int, end time.Time) ([]byte, error) {
	body := make([]byte, 0, min(size, 64<<10))
	for len(body) < size {
		if len(body) == cap(body) {
			body = slices.Grow(body, min(size, 2*cap(body))-len(body))
		}
		dl := time.Now().Add(stallTimeout)
		if dl.After(end) {
			dl = end
		}
		s.SetReadDeadline(dl)
		n, err := r.Read(body[len(body):min(size, cap(body))])
		body = body[:len(body)+n]
		if err != nil {
			if err == io.EOF && len(body) < size {
				err = io.ErrUnexpectedEOF
			}
			if len(body) < size {
				return nil, err
			}
		}
	}
	return body, nil
}

// ResolveHead asks every peer in peers for publisher's head at once and
// returns the head that wins by the head rule (Newest) over the stored
// one and every valid answer that came (ResolveHeadFrom).
func (n *Node) ResolveHead(ctx context.Context, peers []peer.ID, publisher string) (*Head, error) {
	h, _, err := n.ResolveHeadFrom(ctx, peers, publisher)
	return h, err
}

// ResolveHeadFrom is ResolveHead, and also says how many peers gave a
// valid head. It waits for every answer, each within headDeadline, or
// DialSettle after the first head that would replace the stored one
// (settle.Run): a peer that connected but never answers then costs that
// grace. A valid head that replaces nothing (older, or the stored one)
// starts no grace, so a peer that answers fast with a stale head cannot
// cut short the wait for an honest one. One stale or lying peer cannot
// roll the reader back. It does not store the head: a caller offers it
// once it holds the content the head names.
func (n *Node) ResolveHeadFrom(ctx context.Context, peers []peer.ID, publisher string) (best *Head, answered int, err error) {
	id, err := bundle.NormalizePublisherID(publisher)
	if err != nil {
		return nil, 0, err
	}
	held, err := n.repo.heads.held(id)
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the peers still asked when the grace ends
	var mu sync.Mutex
	var offered []*Head
	settle.Run(ctx, len(peers), settle.Options{Parallel: len(peers), Grace: DialSettle}, func(i int) error {
		h, err := n.RequestHead(ctx, peers[i], id)
		if err != nil {
			// Never log what the peer sent, nor which publisher was asked.
			n.log.Debug("head request failed")
			return err
		}
		mu.Lock()
		offered = append(offered, h)
		mu.Unlock()
		if newer, _ := Supersedes(held, h); !newer {
			return errNotNewer
		}
		return nil
	})
	mu.Lock()
	got := slices.Clone(offered) // late answers may still append
	mu.Unlock()
	best, errs := Newest(held, got...)
	n.reportEquivocation(errs)
	if best == nil {
		return nil, len(got), fmt.Errorf("%w: no peer gave a valid head for %s", ErrNoHead, id)
	}
	return best, len(got), nil
}

// errNotNewer is a valid head that would not replace the stored one.
var errNotNewer = errors.New("a head no newer than the stored one")

// reportEquivocation logs the evidence of key misuse among errs from the
// head rule.
func (n *Node) reportEquivocation(errs []error) {
	for _, err := range errs {
		if errors.Is(err, ErrEquivocated) {
			n.log.Warn("two heads with one sequence number: evidence of publisher key misuse")
		}
	}
}
