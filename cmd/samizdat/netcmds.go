package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/samizdat/samizdat/mirror"
	"github.com/samizdat/samizdat/node"
)

func runPublishCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	repoDir := fs.String("repo", "", "the publisher's repository")
	keyPath := fs.String("key", "", "publisher key (default: the one serve was started with)")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if *repoDir == "" || len(pos) != 1 {
		return fmt.Errorf("%w: --repo DIR and one FILE are required", errUsage)
	}
	file, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	if resp, running, err := callControl(*repoDir, controlRequest{Op: "publish", Path: file}); running {
		if err != nil {
			return err
		}
		if resp.Error != "" {
			return errors.New(resp.Error)
		}
		fmt.Fprintf(e.stdout, "published %s: head %d, announced by the running node\n", pos[0], resp.Seq)
		return nil
	}
	// No node running: publish into the repo; serve announces it later.
	if *keyPath == "" {
		data, err := os.ReadFile(filepath.Join(*repoDir, keyPathFile))
		if err != nil {
			return fmt.Errorf("%w: --key is required (no key recorded in %s)", errUsage, *repoDir)
		}
		*keyPath = strings.TrimSpace(string(data))
	}
	key, err := loadKey(*keyPath)
	if err != nil {
		return err
	}
	repo, err := node.OpenRepo(*repoDir)
	if err != nil {
		return err
	}
	defer repo.Close()
	n, err := node.New(ctx, repo, node.Config{})
	if err != nil {
		return err
	}
	defer n.Close()
	h, err := publishFile(ctx, n, repo, key, file)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "published %s: head %d (serve --repo %s announces it)\n", pos[0], h.Seq, *repoDir)
	return nil
}

func runStatusCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	repoDir := fs.String("repo", "", "repository directory")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if *repoDir == "" || len(pos) != 0 {
		return fmt.Errorf("%w: --repo DIR is required", errUsage)
	}
	var st *status
	if resp, running, err := callControl(*repoDir, controlRequest{Op: "status"}); running {
		if err != nil {
			return err
		}
		if resp.Error != "" {
			return errors.New(resp.Error)
		}
		st = resp.Status
	} else {
		// Read without the repo lock: a node may be starting.
		if _, err := os.Stat(*repoDir); err != nil {
			return err
		}
		if st, err = repoStatus(*repoDir, nil); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(st)
	}
	state := "not running"
	if st.Running {
		state = fmt.Sprintf("running as %s, %d peers", st.PeerID, st.Peers)
	}
	fmt.Fprintf(e.stdout, "node: %s\nstore: %d files, %d bytes\n", state, st.Blocks, st.Bytes)
	for _, p := range st.Publishers {
		fresh := "valid until " + p.Expires
		if p.Expired {
			fresh = "EXPIRED since " + p.Expires + ": no update since, possibly blocked"
		}
		fmt.Fprintf(e.stdout, "publisher %s: head %d, %s\n", p.ID, p.Seq, fresh)
	}
	return nil
}

func runGetCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	publisher := fs.String("publisher", "", "publisher ID, or a samizdat: link (its peers are used as --peer)")
	out := fs.String("o", "", "directory for the bundle files")
	repoDir := fs.String("repo", "", "keep fetched blocks in this repository (default: a temporary one)")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	var peers, bootstrap multiFlag
	fs.Var(&peers, "peer", "multiaddr of a peer to fetch from; repeatable")
	fs.Var(&bootstrap, "bootstrap", "multiaddr of a DHT bootstrap peer, to find mirrors when no --peer is known; repeatable")
	dhtPrefix := fs.String("dht-prefix", "", "DHT protocol prefix (default: the IPFS DHT's)")
	var httpURLs multiFlag
	fs.Var(&httpURLs, "http", "base URL of an HTTP gateway or static copy to fetch from instead of peers; repeatable, tried in turn")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if *publisher == "" || *out == "" || len(pos) != 0 {
		return fmt.Errorf("%w: --publisher ID and -o DIR are required", errUsage)
	}
	link, err := node.ParseLink(*publisher)
	if err != nil {
		return fmt.Errorf("%w: --publisher: %v", errUsage, err)
	}
	id := link.Publisher
	if len(httpURLs) > 0 {
		if len(peers)+len(bootstrap) > 0 {
			return fmt.Errorf("%w: --http does not mix with --peer or --bootstrap", errUsage)
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		return getHTTP(ctx, e, id, *out, *repoDir, httpURLs)
	}
	infos, err := parsePeers(append(peers, link.Peers...))
	if err != nil {
		return err
	}
	boot, err := parsePeers(bootstrap)
	if err != nil {
		return err
	}
	if len(infos) == 0 && len(boot) == 0 && *repoDir == "" {
		return fmt.Errorf("%w: give at least one --peer, a --bootstrap peer to search the DHT, or the --repo of an earlier get, whose peers it remembers", errUsage)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	dir := *repoDir
	if dir == "" {
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
	// A reader listens on nothing and serves nothing; it queries the DHT
	// as a client, and only when given bootstrap peers.
	cfg := node.Config{Logger: e.log}
	if len(boot) > 0 {
		cfg.DHT, cfg.DHTPrefix, cfg.Bootstrap = node.DHTClient, *dhtPrefix, boot
	}
	n, err := node.New(ctx, repo, cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	connectAll(ctx, e, n, infos)
	// Peers that worked last time (in a kept --repo), so a blocked
	// bootstrap list or a changed --peer does not strand the reader.
	n.DialRemembered(ctx)
	t0 := time.Now()
	stop := startProgress(e, "fetching", func() (int64, int64, string) {
		r := n.Received()
		return int64(r.Bytes), int64(r.Expected), fmt.Sprintf("%d blocks, %d peers", r.Blocks, len(n.Sources()))
	})
	res, err := mirror.Sync(ctx, n, repo.Heads(), id, n.Sources())
	stop()
	if res != nil {
		n.RememberPeers()
	}
	switch {
	case res == nil && ctx.Err() != nil:
		return fmt.Errorf("nothing valid from %d peers within %v: %w", len(n.Sources()), *timeout, err)
	case res == nil:
		return err
	case len(res.Bundles) == 0:
		return fmt.Errorf("publisher %s lists no bundles", id)
	case !n.HasBundle(ctx, res.Bundles[0]):
		return fmt.Errorf("the newest bundle could not be had: %w", err)
	case err != nil:
		// Older bundles a mirror no longer keeps: report, keep the rest.
		e.log.Warn("some older bundles could not be had", "missing", missingBundles(ctx, n, res))
	}
	paths, err := mirror.WriteBundles(ctx, n, res, *out)
	if err != nil {
		return err
	}
	fresh := "valid until " + res.Head.Expires.UTC().Format(time.RFC3339)
	if res.Head.Expired {
		fresh = "EXPIRED " + res.Head.Expires.UTC().Format(time.RFC3339) + ": no update since, possibly blocked"
	}
	fmt.Fprintf(e.stdout, "publisher %s: head %d (%s); %d bundles, %d fetched, in %v\n", id, res.Head.Seq, fresh, len(res.Bundles), len(res.Fetched), time.Since(t0).Round(time.Millisecond))
	for _, p := range paths {
		fmt.Fprintln(e.stdout, p)
	}
	return nil
}

// missingBundles counts the bundles of a sync's catalog the node lacks
// (logged instead of the error, which names them).
func missingBundles(ctx context.Context, n *node.Node, res *mirror.SyncResult) int {
	missing := 0
	for _, root := range res.Bundles {
		if !n.HasBundle(ctx, root) {
			missing++
		}
	}
	return missing
}
