package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/publish"
	"github.com/samizdat/samizdat/publish/crawl"
)

type packOptions struct {
	key       string
	authority string
	out       string
	base      string
	seq       uint64
	level     string
	cluster   int
	noDict    bool
	strict    bool
	wholePage bool
	fetch     *crawl.Options // how http(s) inputs are fetched
	inputs    []string
}

func runPackCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("pack", flag.ContinueOnError)
	var o packOptions
	fs.StringVar(&o.key, "k", "", "signing key: the root key, or one --authority authorizes")
	fs.StringVar(&o.authority, "authority", "", "publisher document authorizing -k (from samizdat authorize)")
	fs.StringVar(&o.out, "o", "", "bundle file to write")
	fs.StringVar(&o.base, "base", "", "previous bundle: reuse its dictionary so unchanged articles keep identical blocks, and follow its sequence")
	fs.Uint64Var(&o.seq, "seq", 0, "sequence number (default: the later of now in Unix seconds and the base's + 1)")
	fs.StringVar(&o.level, "level", "fastest", "compression: fastest, default, better or best (best: also use --cluster 1048576 for the smallest bundle)")
	fs.IntVar(&o.cluster, "cluster", 0, "pack articles into shared blocks of about this many bytes (0: one block per article)")
	fs.BoolVar(&o.noDict, "no-dict", false, "do not train a zstd dictionary")
	fs.BoolVar(&o.wholePage, "whole-page", false, "keep each HTML page whole as its article, site navigation, comments and footer included, instead of extracting the article from it")
	o.fetch = addFetchFlags(fs)
	fs.BoolVar(&o.strict, "strict", false, "fail, writing nothing, on the first article or file that would be skipped, field cut or reference not attached; without it, each is a warning and a pack with warnings exits 3")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	o.inputs = pos
	if o.key == "" || o.out == "" || len(o.inputs) == 0 {
		return fmt.Errorf("%w: -k KEY, -o OUT and at least one INPUT are required", errUsage)
	}
	info, err := runPack(ctx, e, o)
	if info != nil { // written, perhaps with warnings
		fmt.Fprintf(e.stdout, "%s: %d articles, %d bytes in, %d bytes out, sequence %d\n", o.out, info.Articles, info.Bytes, info.Size, info.Seq)
	}
	return err
}

// warningTally counts the warnings of one pack by kind.
type warningTally map[ingest.WarningKind]int

// lost reports whether a warning means the bundle is not all the inputs
// asked for: an article or file skipped, a field cut, a reference not
// attached. Files that are not articles (Ignored) do not count.
func (t warningTally) lost() bool {
	return t[ingest.Skipped]+t[ingest.Cut]+t[ingest.Unattached] > 0
}

// String returns "skipped M, cut K fields", with references not attached
// and files ignored when there are any.
func (t warningTally) String() string {
	s := fmt.Sprintf("skipped %d, cut %d %s", t[ingest.Skipped], t[ingest.Cut], plural(t[ingest.Cut], "field", "fields"))
	if n := t[ingest.Unattached]; n > 0 {
		s += fmt.Sprintf(", %d %s not attached", n, plural(n, "reference", "references"))
	}
	if n := t[ingest.Ignored]; n > 0 {
		s += fmt.Sprintf(", %d %s", n, plural(n, "file not an article", "files not articles"))
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// printWarning writes w to stderr as one line: "warning: FILE: …", or
// "note: FILE: …" for a file that is not an article. On a terminal it
// first clears the progress line it would otherwise run into.
func printWarning(e *env, w ingest.Warning) {
	label := "warning"
	if w.Kind == ingest.Ignored {
		label = "note"
	}
	erase := ""
	if isTerminal(e.stderr) {
		erase = "\r\x1b[K"
	}
	fmt.Fprintf(e.stderr, "%s%s: %s\n", erase, label, oneLine(w.String()))
}

// packMemoryLimit is the soft heap limit while packing: the packer keeps
// only metadata in memory (bodies are spooled to disk), and this keeps Go's
// garbage collector from letting the heap grow to twice that, so a large
// corpus packs in bounded memory (1 GB of articles: see docs/design.md).
const packMemoryLimit = 128 << 20

// runPack packs o.inputs into o.out, printing each warning of the walk to
// stderr as it comes. If an article or file was skipped, a field cut or a
// reference not attached, the bundle is written all the same and the
// error, with the info, wraps errWarnings and sums them up; with o.strict
// the first of them fails the pack instead, and nothing is written.
func runPack(ctx context.Context, e *env, o packOptions) (*bundle.Info, error) {
	tally := warningTally{}
	info, err := pack(ctx, e, o, func(w ingest.Warning) {
		tally[w.Kind]++
		printWarning(e, w)
	})
	if err != nil {
		return nil, err
	}
	if tally.lost() {
		return info, fmt.Errorf("%w: packed %d articles, %s", errWarnings, info.Articles, tally)
	}
	return info, nil
}

func pack(ctx context.Context, e *env, o packOptions, warn func(ingest.Warning)) (*bundle.Info, error) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(packMemoryLimit))
	level, err := bundle.ParseLevel(o.level)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	key, err := loadKey(o.key)
	if err != nil {
		return nil, err
	}
	auth, err := loadAuthority(o.authority)
	if err != nil {
		return nil, err
	}
	opts := bundle.PackOptions{Key: key, Authority: auth, Seq: o.seq, Level: level, Cluster: o.cluster, NoDict: o.noDict, Created: time.Now()}
	if o.base != "" {
		publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
		if auth != nil {
			publisher = auth.Publisher
		}
		base, err := bundle.Open(o.base, bundle.OpenOptions{Publisher: publisher, Authority: auth})
		if err != nil {
			return nil, fmt.Errorf("--base: %w", err)
		}
		opts.Dict = base.Dictionary()
		if opts.Seq == 0 {
			opts.Seq = base.Seq + 1
		}
		base.Close()
	}
	if now := uint64(opts.Created.Unix()); o.seq == 0 && opts.Seq < now {
		opts.Seq = now
	}
	var packed, toPack, read, articles atomic.Int64
	opts.Progress = func(done, total int64) { packed.Store(done); toPack.Store(total) }
	p, err := bundle.NewPacker(opts)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	stop := startProgress(e, "reading", func() (int64, int64, string) {
		return read.Load(), -1, fmt.Sprintf("%d articles", articles.Load())
	})
	var fetch crawl.Options // zero: the fetcher's defaults (demo and tests give none)
	if o.fetch != nil {
		fetch = *o.fetch
	}
	fetch.Logger = e.log
	walk := publish.WalkOptions{Ingest: ingest.Options{Strict: o.strict, KeepPage: o.wholePage, Warn: warn}, Fetch: fetch}
	err = publish.Walk(ctx, o.inputs, walk, func(a *bundle.Article) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		read.Add(int64(len(a.Body)))
		articles.Add(1)
		return p.Add(a)
	})
	stop()
	if err != nil {
		return nil, err
	}
	stop = startProgress(e, "packing", func() (int64, int64, string) { return packed.Load(), toPack.Load(), "" })
	defer stop()
	var info *bundle.Info
	err = atomicfile.Write(o.out, 0o644, func(w io.Writer) error {
		var err error
		info, err = p.Pack(w)
		if err == nil {
			err = ctx.Err() // interrupted: leave no output
		}
		return err
	})
	if errors.Is(err, context.Canceled) {
		return nil, errors.New("interrupted; nothing written")
	}
	return info, err
}

func openBundle(path, publisher, authority string) (*bundle.Bundle, error) {
	auth, err := loadAuthority(authority)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	return bundle.Open(path, bundle.OpenOptions{Publisher: publisher, Authority: auth})
}
