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

	"golang.org/x/net/netutil"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/internal/control"
	"github.com/samizdat/samizdat/internal/iocount"
	"github.com/samizdat/samizdat/mirror"
	"github.com/samizdat/samizdat/node"
	webapp "github.com/samizdat/samizdat/web/reader"
)

// Commands that carry a publisher's content over plain HTTP and on
// removable media: publish-static, export, import (and get's helpers). Those that
// use a repo go through the control socket when a node runs on it (the
// repo is locked), and open the repo themselves otherwise.

// getRepoDir returns dir, or a temporary directory that cleanup removes.
func getRepoDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "samizdat-get-*")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// finishGet ends a get over any path: the newest bundle must be held
// (older ones a mirror no longer keeps are reported, the rest kept);
// the bundles are written to out and listed. how says how they came.
func finishGet(ctx context.Context, e *env, svc *mirror.Service, res *mirror.SyncResult, err error, out string, how func(*mirror.SyncResult) string) error {
	n := svc.Node()
	switch {
	case res == nil:
		return err
	case len(res.Bundles) == 0:
		return fmt.Errorf("publisher %s lists no bundles", res.Head.Publisher)
	case !n.HasBundle(ctx, res.Bundles[0]):
		return fmt.Errorf("the newest bundle could not be had: %w", err)
	case err != nil:
		e.log.Warn("some older bundles could not be had", "missing", missingBundles(ctx, n, res))
	}
	paths, err := svc.WriteBundles(ctx, res, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "publisher %s: head %d (%s); %d bundles, %s\n", res.Head.Publisher, res.Head.Seq, freshness(res.Head), len(res.Bundles), how(res))
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
	var mirrors multiFlag
	fs.Var(&mirrors, "mirror", "base URL of a mirror the copy's browser reader may also fetch from; repeatable. List the copy's own public URL first: the single file "+webapp.SingleFile+" is written only when at least one is given")
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
	if _, err := readerMirrors(mirrors); err != nil {
		return err
	}
	abs, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	msg, err := viaRepo(ctx, e, *repoDir, control.Request{Op: "publish-static", Path: abs, Publishers: ids, Mirrors: mirrors}, func(svc *mirror.Service) (string, error) {
		return writeStatic(ctx, svc, abs, ids, mirrors)
	})
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, msg)
	return nil
}

// writeStatic writes the static copy and, beside it, the browser reader
// (index.html and the files it needs), listing the copy's publishers.
func writeStatic(ctx context.Context, svc *mirror.Service, dir string, ids, mirrors []string) (string, error) {
	ms, err := readerMirrors(mirrors)
	if err != nil {
		return "", err
	}
	res, err := svc.WriteStatic(ctx, dir, ids)
	if err != nil {
		return "", err
	}
	var pubs []webapp.Publisher
	var heads []*node.Head
	for _, r := range res {
		pubs = append(pubs, readerPublisher(r.Head))
		heads = append(heads, r.Head)
	}
	if err := webapp.WriteFiles(dir, webapp.Options{Publishers: pubs, Mirrors: ms,
		Learned: func() []webapp.Mirror { return learnedMirrors(heads) }}); err != nil {
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

// readerMirrors checks the mirror URLs given to the browser reader.
func readerMirrors(urls []string) ([]webapp.Mirror, error) {
	var out []webapp.Mirror
	for _, u := range urls {
		n, err := webapp.NormalizeMirror(u)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errUsage, err)
		}
		out = append(out, webapp.Mirror{URL: n, Kind: webapp.KindAuto})
	}
	return out, nil
}

// readerPublisher is how the browser reader lists a publisher: by ID, and
// by the name its document gives, if its head carries one.
func readerPublisher(h *node.Head) webapp.Publisher {
	p := webapp.Publisher{ID: h.Publisher}
	if h.Authority != nil {
		p.Name = h.Authority.Name
	}
	return p
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
	msg, err := viaRepo(ctx, e, *repoDir, control.Request{Op: "export", Path: abs, Publishers: ids}, func(svc *mirror.Service) (string, error) {
		return exportFile(ctx, svc, ids[0], abs)
	})
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, msg)
	return nil
}

func exportFile(ctx context.Context, svc *mirror.Service, id, path string) (string, error) {
	var res *mirror.ExportResult
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		var err error
		res, err = svc.Export(ctx, id, w)
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
	msg, err := viaRepo(ctx, e, *repoDir, control.Request{Op: "import", Path: abs}, func(svc *mirror.Service) (string, error) {
		res, err := importFile(ctx, e, svc, abs)
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
func importFile(ctx context.Context, e *env, svc *mirror.Service, path string) (*mirror.SyncResult, error) {
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
	res, err := svc.Import(ctx, iocount.ReaderAt{R: f, End: &read}, st.Size())
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
func viaRepo(ctx context.Context, e *env, repoDir string, req control.Request, local func(*mirror.Service) (string, error)) (string, error) {
	if resp, running, err := control.Call(ctx, repoDir, req); running {
		if err != nil {
			return "", err
		}
		if resp.Error != "" {
			return "", errors.New(resp.Error)
		}
		return resp.Message, nil
	}
	svc, _, closeAll, err := openService(ctx, repoDir, node.Config{Logger: e.log}, mirror.Options{Logger: e.log})
	if err != nil {
		return "", err
	}
	defer closeAll()
	return local(svc)
}

// startGateway serves the node's trustless HTTP gateway on addr, if addr
// is not empty, until stop is called; line is for the addrs file. Beside
// it, the browser reader (web/reader): at /, or at /app/ when pages, the
// public reader pages, take /.
func startGateway(e *env, n *node.Node, addr string, pages http.Handler, mirrors []webapp.Mirror) (stop func(), line string, err error) {
	if addr == "" {
		return func() {}, "", nil
	}
	gw, err := n.Gateway(node.GatewayConfig{})
	if err != nil {
		return nil, "", err
	}
	opts := webapp.Options{Mirrors: mirrors, List: func() []webapp.Publisher { return heldPublishers(n) },
		Learned: func() []webapp.Mirror { return learnedMirrors(heldHeads(n.Heads().List, n.Heads().Get)) }}
	mux := http.NewServeMux()
	mux.Handle("/ipfs/", gw)
	mux.Handle("/ipns/", gw)
	mux.Handle(node.HeadPath, gw)
	appAt := "/"
	if pages != nil {
		appAt, opts.Base = "/app/", "../"
		// Per client, so that a few addresses cannot hold every page and
		// download slot the pages themselves bound.
		mux.Handle("/", node.LimitClients(noWriteDeadline(pages), pagesMaxRequests, pagesMaxPerClient))
	}
	app, err := webapp.Handler(opts)
	if err != nil {
		return nil, "", err
	}
	mux.Handle(appAt, http.StripPrefix(strings.TrimSuffix(appAt, "/"), noWriteDeadline(app)))
	return startHTTP(e, "--http", addr, mux)
}

// heldPublishers lists the publishers n holds a head of, for the browser
// reader's page.
func heldPublishers(n *node.Node) []webapp.Publisher {
	var out []webapp.Publisher
	for _, id := range n.Heads().List() {
		if h, err := n.Heads().Get(id); err == nil && h != nil {
			out = append(out, readerPublisher(h))
		}
	}
	return out
}

// Bounds on the public reader pages (serve --http-pages), per client as
// the gateway's are: the pages' own limits (web: work per CPU, downloads)
// bound what all clients together may take.
const (
	pagesMaxRequests  = 128
	pagesMaxPerClient = 8
)

// noWriteDeadline clears, for h, the write deadline the gateway leaves on a
// connection it served (it moves one as its client reads): the reader
// pages set none of their own, and an attachment may take long.
func noWriteDeadline(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).SetWriteDeadline(time.Time{})
		h.ServeHTTP(w, r)
	})
}

// httpMaxConns bounds the connections an HTTP listener (--http,
// --metrics) holds open at once; past it, new ones wait in the kernel's
// backlog until one closes. The gateway's limits count requests in
// flight; without this, a flood of connections that send nothing (each
// held up to the header timeout, then opened again) or sit idle would
// cost a goroutine and buffers each, without bound. 1,024 is far above
// what a home box or a small VPS serves at once, and a few tens of MB
// at most.
var httpMaxConns = 1024

// startHTTP serves h on addr until stop is called, with at most
// httpMaxConns connections open.
func startHTTP(e *env, flagName, addr string, h http.Handler) (stop func(), line string, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", flagName, err)
	}
	ln = netutil.LimitListener(ln, httpMaxConns)
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
	resp.Body = struct {
		io.Reader
		io.Closer
	}{iocount.Reader{R: resp.Body, N: &t.c.done}, resp.Body}
	return resp, nil
}
