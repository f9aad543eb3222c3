package bundle

import "sync"

// blockBufs holds buffers for bytes a read needs only while it runs: the
// stored bytes of a content block until they are checked and decoded, or
// a decoded cluster until an article's span is copied out of it. Reading
// an article then allocates little but the body it returns. The pool is
// shared by every bundle, as a buffer says nothing about the bundle that
// used it last; its buffers hold at most MaxBlockSize (= MaxBlockRaw)
// bytes, and the garbage collector empties it.
var blockBufs sync.Pool // of *[]byte

// getBuf returns an empty buffer from the pool, or a new one. Its user
// may replace it with a larger one.
func getBuf() *[]byte {
	if p, ok := blockBufs.Get().(*[]byte); ok {
		return p
	}
	return new([]byte)
}

// putBuf returns a buffer from getBuf to the pool. The caller keeps no
// reference to its bytes.
func putBuf(p *[]byte) {
	*p = (*p)[:0]
	blockBufs.Put(p)
}
