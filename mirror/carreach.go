package mirror

import (
	"bytes"
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
	"github.com/ipld/go-ipld-prime/traversal"
	"github.com/samizdat/samizdat/bundle"
)

// carReach follows, as a bundle's CAR streams in, which of its blocks the
// root reaches: the root, and every block a reached block links to. Each
// block has been checked against its CID, so a reached block is one the
// publisher signed for (the root is the catalog's, and the catalog is
// the head's). A block not reached when it arrives waits, its bytes
// counted (ahead), until a block that reaches it arrives; past
// maxCARAhead bytes so waiting, the body is refused. A server sends
// parents first (a gateway walks the DAG from the root; a static copy's
// file is canonical, metadata first), so honest bodies never wait; a
// body of blocks the bundle does not reach, each of them hashing to its
// own CID, was otherwise downloaded and written out to its 8 GiB bound
// before the bundle's check refused it.
type carReach struct {
	linked map[cid.Cid]bool      // reached, or linked from a reached block
	got    map[cid.Cid]bool      // reached and received
	ahead  map[cid.Cid]aheadData // received, not yet reached
	waste  int64                 // bytes of blocks waiting, and of blocks sent twice
}

// aheadData is a block waiting to be reached: its size, and its bytes if
// it may link to others (DAG-CBOR), to be read when it is reached.
type aheadData struct {
	n    int
	data []byte
}

func newCARReach(root cid.Cid) *carReach {
	return &carReach{linked: map[cid.Cid]bool{root: true}, got: map[cid.Cid]bool{}, ahead: map[cid.Cid]aheadData{}}
}

// add takes a block that checked against its CID, c.
func (r *carReach) add(c cid.Cid, data []byte) error {
	_, waiting := r.ahead[c]
	switch {
	case r.got[c] || waiting:
		r.waste += int64(len(data)) // sent twice
	case r.linked[c]:
		if err := r.reach(c, data); err != nil {
			return err
		}
	default:
		a := aheadData{n: len(data)}
		if c.Prefix().Codec == cid.DagCBOR {
			a.data = bytes.Clone(data)
		}
		r.ahead[c] = a
		r.waste += int64(len(data))
	}
	if r.waste > maxCARAhead {
		return fmt.Errorf("%w: more than %d bytes of blocks the bundle does not reach, or sent twice", bundle.ErrMalformed, maxCARAhead)
	}
	return nil
}

// reach marks c, a linked block received, as reached, and with it the
// waiting blocks it reaches.
func (r *carReach) reach(c cid.Cid, data []byte) error {
	queue := []cid.Cid{c}
	blocks := [][]byte{data}
	for len(queue) > 0 {
		c, data := queue[0], blocks[0]
		queue, blocks = queue[1:], blocks[1:]
		r.got[c] = true
		links, err := blockLinks(c, data)
		if err != nil {
			return err
		}
		for _, l := range links {
			if r.linked[l] {
				continue
			}
			r.linked[l] = true
			if a, ok := r.ahead[l]; ok {
				delete(r.ahead, l)
				r.waste -= int64(a.n)
				queue, blocks = append(queue, l), append(blocks, a.data)
			}
		}
	}
	return nil
}

// blockLinks returns the CIDs a block links to: a DAG-CBOR block's
// links; none for any other codec (a bundle's other blocks are raw).
func blockLinks(c cid.Cid, data []byte) (links []cid.Cid, err error) {
	if c.Prefix().Codec != cid.DagCBOR {
		return nil, nil
	}
	defer func() {
		// A decoder bug must not turn hostile bytes into a crash.
		if p := recover(); p != nil {
			links, err = nil, fmt.Errorf("%w: block %s: decoder panic: %v", bundle.ErrMalformed, c, p)
		}
	}()
	nb := basicnode.Prototype.Any.NewBuilder()
	opts := dagcbor.DecodeOptions{AllowLinks: true, AllocationBudget: int64(len(data))*carLinkBudgetPerByte + carLinkBudgetBase}
	if err := opts.Decode(nb, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("%w: block %s: %v", bundle.ErrMalformed, c, err)
	}
	ls, err := traversal.SelectLinks(nb.Build())
	if err != nil {
		return nil, fmt.Errorf("%w: block %s: %v", bundle.ErrMalformed, c, err)
	}
	for _, l := range ls {
		if cl, ok := l.(cidlink.Link); ok {
			links = append(links, cl.Cid)
		}
	}
	return links, nil
}
