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

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/samizdat/samizdat/internal/control"
	"github.com/samizdat/samizdat/mirror"
	"github.com/samizdat/samizdat/node"
)

func runPublishCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	repoDir := fs.String("repo", "", "the publisher's repository")
	keyPath := fs.String("key", "", "publisher key: a head key with --authority, else the root key (default: the one serve was started with)")
	authorityPath := fs.String("authority", "", "publisher document authorizing --key to sign heads (default: the one serve was started with)")
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
	if resp, running, err := control.Call(ctx, *repoDir, control.Request{Op: "publish", Path: file}); running {
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
		if *keyPath = recalled(*repoDir, keyPathFile); *keyPath == "" {
			return fmt.Errorf("%w: --key is required (no key recorded in %s)", errUsage, *repoDir)
		}
		if *authorityPath == "" {
			*authorityPath = recalled(*repoDir, authorityPathFile)
		}
	}
	key, err := loadKey(*keyPath)
	if err != nil {
		return err
	}
	auth, err := loadAuthority(*authorityPath)
	if err != nil {
		return err
	}
	svc, _, closeAll, err := openService(ctx, *repoDir, node.Config{Logger: e.log}, mirror.Options{Key: key, Authority: auth, Logger: e.log})
	if err != nil {
		return err
	}
	defer closeAll()
	h, err := svc.PublishFile(ctx, file)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "published %s: head %d (serve --repo %s announces it)\n", pos[0], h.Seq, *repoDir)
	return nil
}

// recalled returns the path serve recorded in the repo file name, or "".
func recalled(repo, name string) string {
	data, err := os.ReadFile(filepath.Join(repo, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
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
	var st *control.Status
	if resp, running, err := control.Call(ctx, *repoDir, control.Request{Op: "status"}); running {
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
	fmt.Fprintf(e.stdout, "node: %s\nstore: %d files, %d bytes\n", state, st.Files, st.Bytes)
	for _, p := range st.Publishers {
		fresh := "valid until " + p.Expires
		if p.Expired {
			fresh = "EXPIRED since " + p.Expires + ": no update since, possibly blocked"
		}
		fmt.Fprintf(e.stdout, "publisher %s: head %d, %s\n", p.ID, p.Seq, fresh)
	}
	return nil
}

// getOptions is what `samizdat get` was asked to do.
type getOptions struct {
	id, out, repo string
	timeout       time.Duration
	peers         []peer.AddrInfo
	mirrors       []node.Mirror // a link's peers and mirrors
	http          []string
	node          node.Config
}

func runGetCmd(ctx context.Context, e *env, args []string) error {
	o, err := parseGetFlags(e, args)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	return get(ctx, e, o)
}

func parseGetFlags(e *env, args []string) (*getOptions, error) {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	o := &getOptions{}
	publisher := fs.String("publisher", "", "publisher ID, or a samizdat: link (its peers and mirrors are asked about this publisher only, and remembered for it in --repo)")
	fs.StringVar(&o.out, "o", "", "directory for the bundle files")
	fs.StringVar(&o.repo, "repo", "", "keep fetched blocks, the head and the mirrors that worked in this repository (default: a temporary one)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up after this long")
	var peers, bootstrap, httpURLs multiFlag
	fs.Var(&peers, "peer", "multiaddr of a peer to fetch from; repeatable")
	fs.Var(&bootstrap, "bootstrap", "multiaddr of a DHT bootstrap peer, to find mirrors when no --peer is known; repeatable")
	dhtPrefix := fs.String("dht-prefix", "", "DHT protocol prefix (default: the IPFS DHT's)")
	fs.Var(&httpURLs, "http", "base URL of an HTTP gateway or static copy to fetch from instead of peers; repeatable")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return nil, err
	}
	if *publisher == "" || o.out == "" || len(pos) != 0 {
		return nil, fmt.Errorf("%w: --publisher ID and -o DIR are required", errUsage)
	}
	link, err := node.ParseLink(*publisher)
	if err != nil {
		return nil, fmt.Errorf("%w: --publisher: %v", errUsage, err)
	}
	// A link's peers and mirrors are this publisher's only: asked nothing
	// about another one, and remembered for it (mirror.Reach.Mirrors).
	o.id, o.http = link.Publisher, httpURLs
	linkPeers, err := parsePeers(link.Peers) // one dial per peer ID, /tls/ws first
	if err != nil {
		return nil, err
	}
	for _, ai := range linkPeers {
		o.mirrors = append(o.mirrors, node.PeerMirror(ai))
	}
	o.mirrors = append(o.mirrors, node.ParseMirrors(link.Mirrors)...)
	if len(httpURLs) > 0 && len(peers)+len(bootstrap) > 0 {
		return nil, fmt.Errorf("%w: --http does not mix with --peer or --bootstrap", errUsage)
	}
	if o.peers, err = parsePeers(peers); err != nil {
		return nil, err
	}
	boot, err := parsePeers(bootstrap)
	if err != nil {
		return nil, err
	}
	if len(httpURLs) == 0 && len(o.peers) == 0 && len(o.mirrors) == 0 && len(boot) == 0 && o.repo == "" {
		return nil, fmt.Errorf("%w: give at least one --peer, an --http URL, a link with mirrors, a --bootstrap peer to search the DHT, or the --repo of an earlier get, whose peers and mirrors it remembers", errUsage)
	}
	// A reader listens on nothing and serves nothing; it queries the DHT
	// as a client, and only when given bootstrap peers.
	o.node = node.Config{Logger: e.log}
	if len(boot) > 0 {
		o.node.DHT, o.node.DHTPrefix, o.node.Bootstrap = node.DHTClient, *dhtPrefix, boot
	}
	return o, nil
}

// get fetches a publisher's bundles into o.out from everywhere it knows
// of (mirror.Service.Fetch): the given peers, a link's mirrors, the peers
// a kept --repo remembers and the mirrors the publisher's signed document
// lists; over HTTP only when given --http URLs.
func get(ctx context.Context, e *env, o *getOptions) error {
	dir, cleanup, err := getRepoDir(o.repo)
	if err != nil {
		return err
	}
	defer cleanup()
	svc, _, closeAll, err := openService(ctx, dir, o.node, mirror.Options{Logger: e.log})
	if err != nil {
		return err
	}
	defer closeAll()
	n := svc.Node()
	client := mirror.NewHTTPClient(mirror.ProxyFunc(os.Getenv))
	var count byteCounter
	client.Transport = countingTransport{client.Transport, &count}
	reach := mirror.Reach{
		// Peers that worked last time (in a kept --repo), so a blocked
		// bootstrap list or a changed --peer does not strand the reader.
		Peers:   append(o.peers, n.RememberedPeers()...),
		Mirrors: o.mirrors,
		// Bundle bodies wait on the repo's disk while they are checked,
		// not in a tmpfs (mirror.Start deletes what a killed get left).
		HTTP:     mirror.HTTPSource{URLs: o.http, Client: client, TempDir: dir},
		HTTPOnly: len(o.http) > 0,
	}
	if reach.HTTPOnly {
		reach.Peers = nil
	}
	t0 := time.Now()
	stop := startProgress(e, "fetching", func() (int64, int64, string) {
		r := n.Received()
		return int64(r.Bytes) + count.done.Load(), int64(r.Expected) + count.expected.Load(), fmt.Sprintf("%d blocks, %d peers", r.Blocks, len(n.Sources()))
	})
	res, err := svc.Fetch(ctx, o.id, reach)
	stop()
	if res != nil {
		n.RememberPeers()
	}
	if res == nil && ctx.Err() != nil {
		return fmt.Errorf("nothing valid from %d peers within %v: %w", len(n.Sources()), o.timeout, err)
	}
	return finishGet(ctx, e, svc, res, err, o.out, func(res *mirror.SyncResult) string {
		return fmt.Sprintf("%d fetched, in %v", len(res.Fetched), time.Since(t0).Round(time.Millisecond))
	})
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
