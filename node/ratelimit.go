package node

import (
	"context"
	"io"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// rateWriter spends tokens of a shared limiter for every byte it writes,
// so all the node's uploads on samizdat's protocols together stay under
// the operator's cap.
type rateWriter struct {
	ctx context.Context
	w   io.Writer
	l   *rate.Limiter
}

func (r *rateWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), r.l.Burst())]
		if err := r.l.WaitN(r.ctx, len(chunk)); err != nil {
			return written, err
		}
		n, err := r.w.Write(chunk)
		written += n
		if err != nil {
			return written, err
		}
		p = p[len(chunk):]
	}
	return written, nil
}

// uploadWriter wraps w with the node's upload cap, if it has one.
func (n *Node) uploadWriter(ctx context.Context, w io.Writer) io.Writer {
	w = countingWriter{w, &n.sent}
	if n.upload == nil {
		return w
	}
	return &rateWriter{ctx: ctx, w: w, l: n.upload}
}

// countingWriter counts the bytes the node sends.
type countingWriter struct {
	w io.Writer
	n *atomic.Uint64
}

func (c countingWriter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	c.n.Add(uint64(k))
	return k, err
}
