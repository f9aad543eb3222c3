package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
	"github.com/samizdat/samizdat/publish"
	"github.com/samizdat/samizdat/publish/crawl"
)

// defaultStateDir is where daily keeps its record, under --repo, and
// defaultCacheDir its HTTP cache, under the state directory.
const (
	defaultStateDir = "publisher-state"
	defaultCacheDir = "http-cache"
)

type dailyOptions struct {
	repo      string
	key       string
	authority string
	headKey   string
	state     string
	level     string
	cluster   int
	strict    bool
	wholePage bool
	dryRun    bool
	fetch     *crawl.Options // how http(s) inputs are fetched
	inputs    []string
}

func runDailyCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("daily", flag.ContinueOnError)
	var o dailyOptions
	fs.StringVar(&o.repo, "repo", "", "the publisher node's repository: the bundle goes to the node running on it, or into it")
	fs.StringVar(&o.key, "k", "", "signing key for bundles: the root key, or one --authority authorizes")
	fs.StringVar(&o.authority, "authority", "", "publisher document authorizing -k (and --head-key)")
	fs.StringVar(&o.headKey, "head-key", "", "key that signs the head when no node is running (default: the one serve last ran with)")
	fs.StringVar(&o.state, "state", "", "directory of the record of what was published and of the last bundles (default: REPO/"+defaultStateDir+")")
	fs.StringVar(&o.level, "level", "fastest", "compression: fastest, default, better or best")
	fs.IntVar(&o.cluster, "cluster", 0, "pack articles into shared blocks of about this many bytes (0: one block per article)")
	fs.BoolVar(&o.wholePage, "whole-page", false, "keep each HTML page whole as its article instead of extracting the article from it")
	fs.BoolVar(&o.strict, "strict", false, "fail, publishing nothing, on the first article or file that would be skipped, field cut or reference not attached")
	fs.BoolVar(&o.dryRun, "dry-run", false, "say what would be packed, and pack, publish and record nothing")
	o.fetch = addFetchFlags(fs)
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	o.inputs = pos
	if o.repo == "" || o.key == "" || len(o.inputs) == 0 {
		return fmt.Errorf("%w: --repo DIR, -k KEY and at least one INPUT are required", errUsage)
	}
	if o.state == "" {
		o.state = filepath.Join(o.repo, defaultStateDir)
	}
	if o.fetch.CacheDir == "" && (!o.dryRun || exists(o.state)) { // a daily run fetches only what changed
		o.fetch.CacheDir = filepath.Join(o.state, defaultCacheDir) // (a dry run creates nothing)
	}
	return runDaily(ctx, e, o)
}

// exists reports whether path names something on disk.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// runDaily is one run of the daily job: it prints what it did in one
// line (and, with --dry-run, the ids), each warning of the walk on
// stderr, and wraps errWarnings if an article or file was skipped, a
// field cut or a reference not attached. Skipped articles are not
// recorded, so the next run tries them again.
func runDaily(ctx context.Context, e *env, o dailyOptions) error {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(packMemoryLimit))
	level, err := bundle.ParseLevel(o.level)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	key, err := loadKey(o.key)
	if err != nil {
		return err
	}
	auth, err := loadAuthority(o.authority)
	if err != nil {
		return err
	}
	tally := warningTally{}
	var published strings.Builder // publish's line, printed after the run's
	var packed, toPack atomic.Int64
	fetch := *o.fetch
	fetch.Logger = e.log
	opts := publish.DailyOptions{
		Inputs: o.inputs,
		Walk: publish.WalkOptions{Fetch: fetch, Ingest: ingest.Options{Strict: o.strict, KeepPage: o.wholePage, Warn: func(w ingest.Warning) {
			tally[w.Kind]++
			printWarning(e, w)
		}}},
		Pack: bundle.PackOptions{Key: key, Authority: auth, Level: level, Cluster: o.cluster,
			Progress: func(done, total int64) { packed.Store(done); toPack.Store(total) }},
		Publish: func(ctx context.Context, file string) error {
			return dailyPublish(ctx, &env{stdout: &published, stderr: e.stderr, log: e.log}, o, file)
		},
		DryRun: o.dryRun,
	}
	stop := startProgress(e, "packing", func() (int64, int64, string) { return packed.Load(), toPack.Load(), "" })
	res, err := publish.Daily(ctx, o.state, opts)
	stop()
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted; nothing recorded: the next run packs these articles again")
	}
	if err != nil {
		return err
	}
	printDaily(e, o, res)
	fmt.Fprint(e.stdout, published.String())
	if tally.lost() {
		return fmt.Errorf("%w: %s; the next run tries again what was skipped", errWarnings, tally)
	}
	return nil
}

// dailyPublish publishes file as `samizdat publish` does: to the node
// running on the repo, else into the repo with --head-key or the key
// serve last ran with. Its "published …" line goes to e.stdout.
func dailyPublish(ctx context.Context, e *env, o dailyOptions, file string) error {
	args := []string{"--repo", o.repo}
	if o.headKey != "" {
		args = append(args, "--key", o.headKey)
		if o.authority != "" {
			args = append(args, "--authority", o.authority)
		}
	}
	err := runPublishCmd(ctx, e, append(args, "--", file))
	if errors.Is(err, errUsage) { // the only one left: no key to publish with
		return fmt.Errorf("no node is running on %s, and no key to sign its head: give --head-key, or run serve --key", o.repo)
	}
	return err
}

// printDaily says what a run did, in one line; a dry run lists the ids
// it would pack below it.
func printDaily(e *env, o dailyOptions, res *publish.DailyResult) {
	if res.BaseErr != nil {
		fmt.Fprintf(e.stderr, "note: the last bundle cannot be the base (%s); packed with a new dictionary\n", oneLine(res.BaseErr.Error()))
	}
	forgot := ""
	if res.Forgotten > 0 {
		forgot = fmt.Sprintf("; forgot %d %s missing from the inputs for %d days", res.Forgotten,
			plural(res.Forgotten, "article", "articles"), int(publish.ForgetAfter.Hours()/24))
	}
	counts := fmt.Sprintf("%d new, %d changed, %d unchanged", len(res.New), len(res.Changed), res.Unchanged)
	switch {
	case len(res.New)+len(res.Changed) == 0:
		fmt.Fprintf(e.stdout, "nothing new or changed (%d unchanged); no bundle%s\n", res.Unchanged, forgot)
	case o.dryRun:
		fmt.Fprintf(e.stdout, "would pack %s%s\n", counts, forgot)
		for _, id := range res.New {
			fmt.Fprintf(e.stdout, "new %s\n", oneLine(id))
		}
		for _, id := range res.Changed {
			fmt.Fprintf(e.stdout, "changed %s\n", oneLine(id))
		}
	default:
		b := res.Bundle
		fmt.Fprintf(e.stdout, "%s: %d %s (%s), %d bytes in, %d bytes out, sequence %d%s\n",
			res.File, b.Articles, plural(b.Articles, "article", "articles"), counts, b.Bytes, b.Size, b.Seq, forgot)
	}
}
