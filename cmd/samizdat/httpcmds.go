package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/mirror"
	"github.com/samizdat/samizdat/node"
)

// Commands that carry a publisher's content over plain HTTP and on
// removable media: get --http, publish-static, export, import. Those that
// use a repo go through the control socket when a node runs on it (the
// repo is locked), and open the repo themselves otherwise.

// getHTTP is `samizdat get --http URL...`: a reader over plain HTTP(S),
// through the proxy the environment names.
func getHTTP(ctx context.Context, e *env, id, out, repoDir string, urls []string) error {
	dir := repoDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "samizdat-get-*"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	repo, err := node.OpenRepo(dir)
	if err != nil {
		return err
	}
	defer repo.Close()
	// A reader node: listens on nothing, serves nothing, dials no one.
	n, err := node.New(ctx, repo, node.Config{Logger: e.log})
	if err != nil {
		return err
	}
	defer n.Close()
	t0 := time.Now()
	// Bundle bodies wait on the repo's disk while they are checked, not
	// in a tmpfs; what a killed get left there goes now.
	stale, _ := filepath.Glob(filepath.Join(dir, "samizdat-http-*"))
	for _, p := range stale {
		os.Remove(p)
	}
	client := mirror.NewHTTPClient(mirror.ProxyFunc(os.Getenv))
	var count byteCounter
	client.Transport = countingTransport{client.Transport, &count}
	stop := startProgress(e, "fetching", func() (int64, int64, string) {
		return count.done.Load(), count.expected.Load(), fmt.Sprintf("%d URLs", len(urls))
	})
	res, err := mirror.SyncHTTP(ctx, n, repo.Heads(), id, mirror.HTTPSource{URLs: urls, Client: client, TempDir: dir})
	stop()
	switch {
	case res == nil:
		return err
	case len(res.Bundles) == 0:
		return fmt.Errorf("publisher %s lists no bundles", id)
	case !n.HasBundle(ctx, res.Bundles[0]):
		return fmt.Errorf("the newest bundle could not be had: %w", err)
	case err != nil:
		e.log.Warn("some older bundles could not be had", "missing", missingBundles(ctx, n, res))
	}
	paths, err := mirror.WriteBundles(ctx, n, res, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "publisher %s: head %d (%s); %d bundles, %d fetched over HTTP, in %v\n", id, res.Head.Seq, freshness(res.Head), len(res.Bundles), len(res.Fetched), time.Since(t0).Round(time.Millisecond))
	for _, p := range paths {
		fmt.Fprintln(e.stdout, p)
	}
	return nil
}

func freshness(h *node.Head) string {
	if h.Expired {
		return "EXPIRED " + h.Expires.UTC().Format(time.RFC3339) + ": no update since, possibly blocked"
	}
	return "valid until " + h.Expires.UTC().Format(time.RFC3339)
}

func runPublishStaticCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("publish-static", flag.ContinueOnError)
	repoDir := fs.String("repo", "", "the repository whose publishers to write")
	out := fs.String("o", "", "directory to write the static copy into (created if missing)")
	var pubs multiFlag
	fs.Var(&pubs, "publisher", "publisher ID to write; repeatable (default: every publisher the repo holds a head of)")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if *repoDir == "" || *out == "" || len(pos) != 0 {
		return fmt.Errorf("%w: --repo DIR and -o DIR are required", errUsage)
	}
	ids, err := normalizeIDs(pubs)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	msg, err := viaRepo(ctx, e, *repoDir, controlRequest{Op: "publish-static", Path: abs, Publishers: ids}, func(n *node.Node, repo *node.Repo) (string, error) {
		return writeStatic(ctx, n, repo, abs, ids)
	})
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, msg)
	return nil
}

func writeStatic(ctx context.Context, n *node.Node, repo *node.Repo, dir string, ids []string) (string, error) {
	res, err := mirror.WriteStatic(ctx, n, repo.Heads(), dir, ids)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, r := range res {
		fmt.Fprintf(&b, "publisher %s: head %d, %d bundles (%d written) in %s\n", r.Head.Publisher, r.Head.Seq, r.Bundles, r.Written, dir)
	}
	if len(res) == 0 {
		fmt.Fprintf(&b, "no publisher heads held; wrote only the index to %s\n", dir)
	}
	return b.String(), nil
}

func runExportCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	repoDir := fs.String("repo", "", "the repository to export from")
	publisher := fs.String("publisher", "", "publisher ID")
	out := fs.String("o", "", "export file to write")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if *repoDir == "" || *publisher == "" || *out == "" || len(pos) != 0 {
		return fmt.Errorf("%w: --repo DIR, --publisher ID and -o FILE are required", errUsage)
	}
	ids, err := normalizeIDs([]string{*publisher})
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	msg, err := viaRepo(ctx, e, *repoDir, controlRequest{Op: "export", Path: abs, Publishers: ids}, func(n *node.Node, repo *node.Repo) (string, error) {
		return exportFile(ctx, n, repo, ids[0], abs)
	})
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, msg)
	return nil
}

func exportFile(ctx context.Context, n *node.Node, repo *node.Repo, id, path string) (string, error) {
	var res *mirror.ExportResult
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		var err error
		res, err = mirror.Export(ctx, n, repo.Heads(), id, w)
		return err
	})
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("exported publisher %s: head %d, %d bundles to %s\n", id, res.Head.Seq, len(res.Bundles), path)
	if len(res.Missing) > 0 {
		msg += fmt.Sprintf("(%d older bundles of the catalog are not held and were left out)\n", len(res.Missing))
	}
	return msg, nil
}

func runImportCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	repoDir := fs.String("repo", "", "the repository to import into (created if missing)")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if *repoDir == "" || len(pos) != 1 {
		return fmt.Errorf("%w: --repo DIR and one FILE are required", errUsage)
	}
	abs, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	msg, err := viaRepo(ctx, e, *repoDir, controlRequest{Op: "import", Path: abs}, func(n *node.Node, repo *node.Repo) (string, error) {
		res, err := importFile(ctx, e, n, repo, abs)
		if err != nil {
			return "", err
		}
		return importMessage(res), nil
	})
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, msg)
	return nil
}

// importFile imports the export file at path; e, if not nil, gets a
// progress display.
func importFile(ctx context.Context, e *env, n *node.Node, repo *node.Repo, path string) (*mirror.SyncResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var read atomic.Int64
	stop := startProgress(e, "importing", func() (int64, int64, string) { return read.Load(), st.Size(), "" })
	res, err := mirror.Import(ctx, n, repo.Heads(), countingReaderAt{f, &read}, st.Size())
	stop()
	if err != nil {
		return nil, fmt.Errorf("%s: nothing imported: %w", path, err)
	}
	return res, nil
}

func importMessage(res *mirror.SyncResult) string {
	msg := fmt.Sprintf("imported publisher %s: head %d (%s); %d bundles, %d new\n", res.Head.Publisher, res.Head.Seq, freshness(res.Head), len(res.Bundles), len(res.Fetched))
	if len(res.Skipped) > 0 {
		msg += fmt.Sprintf("(%d older bundles were not in the file)\n", len(res.Skipped))
	}
	return msg
}

func normalizeIDs(ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		n, err := bundle.NormalizePublisherID(id)
		if err != nil {
			return nil, fmt.Errorf("%w: --publisher %.80q: %v", errUsage, id, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// viaRepo runs req on the node serving repoDir, through its control
// socket, or, when none runs, runs local on the repo opened here.
func viaRepo(ctx context.Context, e *env, repoDir string, req controlRequest, local func(*node.Node, *node.Repo) (string, error)) (string, error) {
	if resp, running, err := callControl(repoDir, req); running {
		if err != nil {
			return "", err
		}
		if resp.Error != "" {
			return "", errors.New(resp.Error)
		}
		return resp.Message, nil
	}
	repo, err := node.OpenRepo(repoDir)
	if err != nil {
		return "", err
	}
	defer repo.Close()
	n, err := node.New(ctx, repo, node.Config{Logger: e.log})
	if err != nil {
		return "", err
	}
	defer n.Close()
	return local(n, repo)
}

// handleFiles answers the control requests of the commands above, for a
// running node; ok is false for other ops.
func (s *server) handleFiles(ctx context.Context, req controlRequest) (resp controlResponse, ok bool) {
	var msg string
	var err error
	switch req.Op {
	case "import":
		s.mu.Lock()
		var res *mirror.SyncResult
		if res, err = importFile(ctx, nil, s.n, s.repo, req.Path); err == nil {
			msg = importMessage(res)
			// Tell the followers of this publisher, if the head is new.
			if h, herr := s.repo.Heads().Get(res.Head.Publisher); herr == nil && h != nil && h.Seq == res.Head.Seq {
				s.n.Announce(ctx, s.repo.Heads(), h)
			}
			s.refreshPages()
			settle()
		}
		s.mu.Unlock()
	case "export":
		if len(req.Publishers) != 1 {
			return controlResponse{Error: "bad request"}, true
		}
		s.mu.Lock()
		msg, err = exportFile(ctx, s.n, s.repo, req.Publishers[0], req.Path)
		s.mu.Unlock()
	case "publish-static":
		s.mu.Lock()
		msg, err = writeStatic(ctx, s.n, s.repo, req.Path, req.Publishers)
		s.mu.Unlock()
	default:
		return controlResponse{}, false
	}
	if err != nil {
		return controlResponse{Error: err.Error()}, true
	}
	return controlResponse{Message: msg}, true
}

// startGateway serves the node's trustless HTTP gateway on addr, if addr
// is not empty, until stop is called; line is for the addrs file. With
// pages, the public reader pages are served at / beside it.
func startGateway(e *env, n *node.Node, repo *node.Repo, addr string, pages http.Handler) (stop func(), line string, err error) {
	if addr == "" {
		return func() {}, "", nil
	}
	gw, err := n.Gateway(repo.Heads(), node.GatewayConfig{})
	if err != nil {
		return nil, "", err
	}
	h := gw
	if pages != nil {
		mux := http.NewServeMux()
		mux.Handle("/ipfs/", gw)
		mux.Handle("/ipns/", gw)
		mux.Handle("/", pages)
		h = mux
	}
	return startHTTP(e, "--http", addr, h)
}

// startHTTP serves h on addr until stop is called.
func startHTTP(e *env, flagName, addr string, h http.Handler) (stop func(), line string, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", flagName, err)
	}
	// net/http's own error log names client addresses: discarded, as
	// logs never say who read.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10,
		ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("http server stopped", "flag", flagName, "err", err)
		}
	}()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	return stop, fmt.Sprintf("http http://%s\n", ln.Addr()), nil
}

// byteCounter counts response bytes for a progress display.
type byteCounter struct {
	done, expected atomic.Int64
}

// countingTransport counts the bytes of every response body, and adds
// each declared length to what is expected.
type countingTransport struct {
	rt http.RoundTripper
	c  *byteCounter
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > 0 {
		t.c.expected.Add(resp.ContentLength)
	}
	resp.Body = countingBody{resp.Body, &t.c.done}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	b.n.Add(int64(k))
	return k, err
}

// countingReaderAt records the furthest offset read, for a progress
// display of a file checked front to back.
type countingReaderAt struct {
	r   io.ReaderAt
	max *atomic.Int64
}

func (c countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	k, err := c.r.ReadAt(p, off)
	for end := off + int64(k); ; {
		cur := c.max.Load()
		if end <= cur || c.max.CompareAndSwap(cur, end) {
			break
		}
	}
	return k, err
}
