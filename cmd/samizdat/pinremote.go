package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/multiformats/go-multiaddr"

	"github.com/samizdat/samizdat/publish/pinning"
)

// pinTokenEnv names the environment variable that may hold the pinning
// service's access token, for those who keep it out of files.
const pinTokenEnv = "SAMIZDAT_PIN_TOKEN"

// maxTokenFile bounds a token file: tokens are a few hundred bytes.
const maxTokenFile = 64 << 10

// pinRemoteOptions is what `samizdat pin-remote` was asked to do.
type pinRemoteOptions struct {
	repo      string
	publisher string // normalized publisher ID
	pin       pinning.Options
}

func runPinRemoteCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("pin-remote", flag.ContinueOnError)
	repoDir := fs.String("repo", "", "the repository holding the publisher's head (a node may run on it)")
	publisher := fs.String("publisher", "", "publisher ID")
	service := fs.String("service", "", "the pinning service's API `URL` (Pinning Service API), https")
	tokenFile := fs.String("token-file", "", "a `FILE` holding the service's access token (else $"+pinTokenEnv+")")
	var origins multiFlag
	fs.Var(&origins, "origin", "a multiaddr with /p2p/ID of a node holding the bundles, for the service to fetch from (repeatable)")
	waitFor := fs.Duration("wait", 0, "wait this long for the service to report the pin pinned (0: do not wait)")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if *repoDir == "" || *publisher == "" || *service == "" || len(pos) != 0 {
		return fmt.Errorf("%w: --repo DIR, --publisher ID and --service URL are required", errUsage)
	}
	ids, err := normalizeIDs([]string{*publisher})
	if err != nil {
		return err
	}
	token, err := pinToken(*tokenFile)
	if err != nil {
		return err
	}
	o := pinRemoteOptions{repo: *repoDir, publisher: ids[0], pin: pinning.Options{
		Service: *service, Token: token, Name: "samizdat " + ids[0], Wait: *waitFor}}
	for _, s := range origins {
		a, err := multiaddr.NewMultiaddr(s)
		if err != nil {
			return fmt.Errorf("%w: --origin %s: %v", errUsage, s, err)
		}
		o.pin.Origins = append(o.pin.Origins, a)
	}
	return pinRemote(ctx, e, o)
}

// pinToken reads the access token from file, else from $SAMIZDAT_PIN_TOKEN:
// never from the command line, which other users of the machine see.
func pinToken(file string) (string, error) {
	if file == "" {
		if t := strings.TrimSpace(os.Getenv(pinTokenEnv)); t != "" {
			return t, nil
		}
		return "", fmt.Errorf("%w: give the service's access token with --token-file FILE or $%s", errUsage, pinTokenEnv)
	}
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("token file %s: %w", file, err)
	case len(data) > maxTokenFile:
		return "", fmt.Errorf("token file %s: over %d bytes", file, maxTokenFile)
	}
	t := strings.TrimSpace(string(data))
	if t == "" {
		return "", fmt.Errorf("token file %s is empty", file)
	}
	return t, nil
}

// pinRemote pins the catalog of the repo's stored head of the publisher
// at the service, replacing the pin of an older catalog, and says what
// the service reported.
func pinRemote(ctx context.Context, e *env, o pinRemoteOptions) error {
	h, err := storedHead(o.repo, o.publisher)
	if err != nil {
		return err
	}
	o.pin.Seq = h.Seq
	res, err := pinning.Push(ctx, h.Catalog, o.pin)
	if res != nil {
		what := "pinned"
		switch {
		case res.Unchanged:
			what = "already pinned"
		case res.Replaced != "":
			what = "replaced request " + res.Replaced + " with"
		}
		fmt.Fprintf(e.stdout, "%s publisher %s's catalog %s (head %d) as %q: request %s, status %s\n",
			what, o.publisher, h.Catalog, h.Seq, o.pin.Name, res.RequestID, res.Status)
		for _, id := range res.Removed {
			fmt.Fprintf(e.stdout, "removed request %s, another pin named %q\n", id, o.pin.Name)
		}
		for _, d := range res.Delegates {
			fmt.Fprintf(e.stdout, "the service fetches from %s\n", d)
		}
	}
	if errors.Is(err, pinning.ErrNotPinned) {
		return fmt.Errorf("%w; the service goes on, ask again later", err)
	}
	return err
}
