package web

import (
	"container/list"
	"sync"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
)

// bodyCache holds rendered article bodies, least recently used first out,
// bounded in entries and bytes.
type bodyCache struct {
	mu    sync.Mutex
	ll    *list.List // of *bodyEntry, most recent at the front
	m     map[string]*list.Element
	bytes int
}

type bodyEntry struct {
	key  string
	html string
}

func newBodyCache() *bodyCache {
	return &bodyCache{ll: list.New(), m: make(map[string]*list.Element)}
}

func (c *bodyCache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*bodyEntry).html, true
	}
	return "", false
}

func (c *bodyCache) put(key, html string) {
	if len(html) > renderCacheBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		return
	}
	c.m[key] = c.ll.PushFront(&bodyEntry{key, html})
	c.bytes += len(html)
	for c.ll.Len() > renderCacheEntries || c.bytes > renderCacheBytes {
		e := c.ll.Back()
		be := e.Value.(*bodyEntry)
		c.ll.Remove(e)
		delete(c.m, be.key)
		c.bytes -= len(be.html)
	}
}

// bundleCache keeps up to maxOpenBundles bundles open. A bundle in use
// (acquired and not yet released) is never closed; one evicted or no
// longer held is closed when its last user releases it.
type bundleCache struct {
	open func(cid.Cid) (*bundle.Bundle, error)

	mu sync.Mutex
	m  map[cid.Cid]*openBundle
	ll *list.List // of *openBundle in the cache, most recent at the front
}

type openBundle struct {
	b      *bundle.Bundle
	root   cid.Cid
	refs   int
	gone   bool // evicted: close when refs reaches 0
	opened chan struct{}
	err    error
	elem   *list.Element
}

func newBundleCache(open func(cid.Cid) (*bundle.Bundle, error)) *bundleCache {
	return &bundleCache{open: open, m: make(map[cid.Cid]*openBundle), ll: list.New()}
}

// acquire returns the open bundle root and a function to release it.
func (c *bundleCache) acquire(root cid.Cid) (*bundle.Bundle, func(), error) {
	c.mu.Lock()
	ob, ok := c.m[root]
	if !ok {
		ob = &openBundle{root: root, opened: make(chan struct{})}
		c.m[root] = ob
		ob.elem = c.ll.PushFront(ob)
		ob.refs++
		c.evictLocked()
		c.mu.Unlock()
		ob.b, ob.err = c.open(root)
		close(ob.opened)
		if ob.err != nil {
			c.mu.Lock()
			c.removeLocked(ob)
			c.mu.Unlock()
			return nil, nil, ob.err
		}
	} else {
		ob.refs++
		if ob.elem != nil {
			c.ll.MoveToFront(ob.elem)
		}
		c.mu.Unlock()
		<-ob.opened
		if ob.err != nil {
			c.release(ob)
			return nil, nil, ob.err
		}
	}
	return ob.b, func() { c.release(ob) }, nil
}

func (c *bundleCache) release(ob *openBundle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ob.refs--
	if ob.gone && ob.refs == 0 && ob.b != nil {
		ob.b.Close()
		ob.b = nil
	}
}

// removeLocked takes ob out of the cache; it is closed once unused.
func (c *bundleCache) removeLocked(ob *openBundle) {
	if c.m[ob.root] == ob {
		delete(c.m, ob.root)
	}
	if ob.elem != nil {
		c.ll.Remove(ob.elem)
		ob.elem = nil
	}
	ob.gone = true
	if ob.refs == 0 && ob.b != nil {
		ob.b.Close()
		ob.b = nil
	}
}

func (c *bundleCache) evictLocked() {
	for e := c.ll.Back(); e != nil && c.ll.Len() > maxOpenBundles; {
		prev := e.Prev()
		if ob := e.Value.(*openBundle); ob.refs == 0 {
			c.removeLocked(ob)
		}
		e = prev
	}
}

// retain closes the bundles not in held.
func (c *bundleCache) retain(held map[cid.Cid]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for root, ob := range c.m {
		if !held[root] {
			c.removeLocked(ob)
		}
	}
}

// close closes every bundle not in use.
func (c *bundleCache) close() {
	c.retain(nil)
}
