package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/internal/control"
	"github.com/samizdat/samizdat/mirror"
	"github.com/samizdat/samizdat/node"
	"github.com/samizdat/samizdat/web"
)

// A running node (serve, or read --share) is a daemon: a service on a
// locked repo, the control socket through which other commands on the
// same repo reach it, and the loops that keep it current. Its loops and
// control requests end before the node closes, and the node's close waits
// for the announcement gates it ends, so all of it is done before the repo
// closes.

// redialInterval is how often a daemon checks its --peer connections.
const redialInterval = 30 * time.Second

// daemon is a running node's command side.
type daemon struct {
	e       *env
	repo    *node.Repo
	svc     *mirror.Service
	n       *node.Node
	mu      sync.Mutex    // one publish, import or export at a time
	pages   *web.Server   // nil without reader pages
	refresh chan struct{} // asks pagesLoop to take in new bundles
	metrics *serveMetrics
}

func newDaemon(e *env, repo *node.Repo, svc *mirror.Service, pages *web.Server) *daemon {
	return &daemon{e: e, repo: repo, svc: svc, n: svc.Node(), pages: pages, refresh: make(chan struct{}, 1), metrics: &serveMetrics{}}
}

// settle hands the memory a burst of work (a publish, an import, a sync
// that fetched) used back to the system at once, rather than over the
// runtime's next minutes: an idle mirror on a small box stays small.
func settle() { debug.FreeOSMemory() }

// refreshPages asks the reader pages to take in new or dropped bundles,
// without waiting: a sync that may be holding an announcement does not
// wait for indexing.
func (d *daemon) refreshPages() {
	select {
	case d.refresh <- struct{}{}:
	default: // one is pending already
	}
}

// pagesLoop refreshes the reader pages when asked, until ctx ends.
func (d *daemon) pagesLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.refresh:
		}
		if d.pages == nil {
			continue
		}
		if err := d.pages.Refresh(ctx); err != nil && ctx.Err() == nil {
			d.e.log.Warn("reader pages: refresh failed") // the error may name a bundle
		}
	}
}

// listenControl opens the control socket and serves it in wg until ctx
// ends; closing it waits for the running handlers, so wg.Wait returns
// only once every handler is done.
func (d *daemon) listenControl(ctx context.Context, wg *sync.WaitGroup) error {
	srv, err := control.Listen(d.repo.Dir())
	if err != nil {
		return err
	}
	wg.Go(func() { srv.Serve(d.handle) })
	wg.Go(func() { <-ctx.Done(); srv.Close() })
	return nil
}

// handle answers one control request.
func (d *daemon) handle(ctx context.Context, req control.Request) control.Response {
	var msg string
	var err error
	switch req.Op {
	case "status":
		st, err := repoStatus(d.repo.Dir(), d.n)
		if err != nil {
			return control.Response{Error: err.Error()}
		}
		return control.Response{Status: st}
	case "publish":
		d.mu.Lock()
		defer d.mu.Unlock()
		h, err := d.svc.PublishFile(ctx, req.Path)
		if err != nil {
			return control.Response{Error: err.Error()}
		}
		d.refreshPages()
		settle()
		return control.Response{Seq: h.Seq}
	case "import":
		d.mu.Lock()
		var res *mirror.SyncResult
		if res, err = importFile(ctx, nil, d.svc, req.Path); err == nil {
			msg = importMessage(res)
			d.refreshPages()
			settle()
		}
		d.mu.Unlock()
	case "export":
		if len(req.Publishers) != 1 {
			return control.Response{Error: "bad request"}
		}
		d.mu.Lock()
		msg, err = exportFile(ctx, d.svc, req.Publishers[0], req.Path)
		d.mu.Unlock()
	case "publish-static":
		d.mu.Lock()
		msg, err = writeStatic(ctx, d.svc, req.Path, req.Publishers, req.Mirrors)
		d.mu.Unlock()
	default:
		return control.Response{Error: "unknown op"}
	}
	if err != nil {
		return control.Response{Error: err.Error()}
	}
	return control.Response{Message: msg}
}

// redial dials the peers remembered from earlier runs, then keeps the
// given peers connected (a publisher restarting, a network change) and
// remembers the peers that work, until ctx ends.
func (d *daemon) redial(ctx context.Context, infos []peer.AddrInfo) {
	if k := d.n.DialRemembered(ctx); k > 0 {
		d.e.log.Info("reconnected to remembered peers", "peers", k)
	}
	t := time.NewTicker(redialInterval)
	defer t.Stop()
	defer d.n.RememberPeers()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := d.n.RememberPeers(); err != nil {
			d.e.log.Warn("could not remember peers", "err", err)
		}
		for _, ai := range infos {
			if len(d.n.Host.Network().ConnsToPeer(ai.ID)) == 0 {
				cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
				d.n.Connect(cctx, ai)
				cancel()
			}
		}
	}
}

// mirrorReport is a mirror's Follow report for the i-th followed
// publisher: failures counted and logged, new bundles logged and shown.
// Logs at INFO and above name the publisher by its place among --follow
// and an error by its kind (logKind): logs can be seized, and say what a
// node carries; the full error goes to DEBUG.
func (d *daemon) mirrorReport(i int) func(*mirror.SyncResult, error) {
	return func(res *mirror.SyncResult, err error) {
		switch {
		case err != nil:
			d.metrics.syncFailures.Add(1)
			d.e.log.Warn("sync failed", "follow", i, "kind", logKind(err))
			d.e.log.Debug("sync failed", "follow", i, "err", err)
		case len(res.Fetched) > 0 || len(res.Dropped) > 0:
			d.e.log.Info("new bundles", "follow", i, "head", res.Head.Seq, "fetched", len(res.Fetched), "dropped", len(res.Dropped))
			d.refreshPages()
			settle()
		}
	}
}

// logKind names the class of a sync's error for a log at INFO and above.
func logKind(err error) string {
	switch {
	case errors.Is(err, mirror.ErrOverQuota):
		return "over quota"
	case errors.Is(err, mirror.ErrHTTPStatus):
		return "HTTP status"
	case errors.Is(err, mirror.ErrNotPublisher), errors.Is(err, mirror.ErrSequenceExhausted):
		return err.Error() // constant text
	}
	return node.ErrorKind(err)
}

// readerReport is a private reader's Follow report: counts only, since a
// publisher named in a log would say what this person reads.
func (d *daemon) readerReport(res *mirror.SyncResult, err error) {
	switch {
	case err != nil:
		d.e.log.Info("a followed publisher could not be synced; retrying later", "kind", logKind(err))
	case len(res.Fetched) > 0:
		d.e.log.Info("new bundles", "fetched", len(res.Fetched))
	}
	if err == nil {
		d.n.RememberPeers() // the peers that worked, for the next start
	}
	d.refreshPages()
}

// repoStatus is what `samizdat status` shows of the repo in dir; n is the
// running node, or nil.
func repoStatus(dir string, n *node.Node) (*control.Status, error) {
	st := &control.Status{Publishers: []control.PublisherStatus{}}
	if n != nil {
		st.Running, st.PeerID, st.Peers = true, n.Host.ID().String(), len(n.Host.Network().Peers())
	}
	heads, err := node.PeekHeads(dir)
	if err != nil {
		return nil, err
	}
	for _, id := range heads.List() {
		h, err := heads.Get(id)
		if err != nil || h == nil {
			continue
		}
		st.Publishers = append(st.Publishers, control.PublisherStatus{ID: id, Seq: h.Seq, Expires: h.Expires.UTC().Format(time.RFC3339), Expired: h.Expired})
	}
	st.Bytes, st.Files, err = node.RepoUsage(dir)
	return st, err
}

// openService opens the repo in dir, starts a node on it with cfg and
// returns its service; closeAll closes the node, then the repo.
func openService(ctx context.Context, dir string, cfg node.Config, opts mirror.Options) (svc *mirror.Service, repo *node.Repo, closeAll func(), err error) {
	repo, err = node.OpenRepo(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	svc, err = mirror.Start(ctx, repo, cfg, opts)
	if err != nil {
		repo.Close()
		return nil, nil, nil, err
	}
	return svc, repo, func() { svc.Close(); repo.Close() }, nil
}

// writeAddrs writes the node's addresses (and lines for its HTTP
// listeners) to the repo's addrs file and to stdout; the returned func
// removes the file.
func writeAddrs(e *env, repoDir string, n *node.Node, extra string) (func(), error) {
	var lines string
	for _, a := range n.Addrs() {
		lines += fmt.Sprintf("listening %s\n", a)
	}
	lines += extra
	p := filepath.Join(repoDir, addrsFile)
	if err := atomicfile.WriteBytes(p, 0o644, []byte(lines)); err != nil {
		return nil, err
	}
	fmt.Fprint(e.stdout, lines)
	return func() { os.Remove(p) }, nil
}
