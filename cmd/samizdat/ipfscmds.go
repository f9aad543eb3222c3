package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/node"
)

// Commands for carrying a publisher on IPFS (docs/operators.md, "Carrying
// a publisher on IPFS"): an IPFS node takes the content with `ipfs dag
// import` of an export file or over bitswap from a samizdat mirror, and
// the head as an IPNS record, which head-record writes out.

// headRecordOptions is what `samizdat head-record` was asked to do.
type headRecordOptions struct {
	repo      string
	publisher string // normalized publisher ID
	out       string // absolute path of the record file
}

func runHeadRecordCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("head-record", flag.ContinueOnError)
	repoDir := fs.String("repo", "", "the repository holding the publisher's head (a node may run on it)")
	publisher := fs.String("publisher", "", "publisher ID")
	out := fs.String("o", "", "file to write the IPNS record to")
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
	return writeHeadRecord(e, headRecordOptions{repo: *repoDir, publisher: ids[0], out: abs})
}

// writeHeadRecord writes the IPNS record of the repo's stored head of the
// publisher to o.out, and prints the IPNS name the record is valid for
// (first line, for scripts) and the `ipfs routing put` line that gives it
// to an IPFS node (see storedHead).
func writeHeadRecord(e *env, o headRecordOptions) error {
	h, err := storedHead(o.repo, o.publisher)
	if err != nil {
		return err
	}
	if h.Expired {
		// An IPFS node refuses an expired record (IPNS validation): say
		// why here rather than leave the operator Kubo's error.
		return fmt.Errorf("the stored head %d of publisher %s expired at %s: no IPFS node takes its record; wait for a newer head (serve --follow, get, import)",
			h.Seq, o.publisher, h.Expires.UTC().Format(time.RFC3339))
	}
	if err := atomicfile.WriteBytes(o.out, 0o644, h.Record()); err != nil {
		return err
	}
	name := "/ipns/" + h.IPNSName().Peer().String()
	fmt.Fprintln(e.stdout, name)
	form := "root-signed"
	if name != "/ipns/"+o.publisher {
		// protocol.md §4.5, §8.2: the record is the head key's; a reader
		// that holds the document asks an IPFS gateway for it.
		form = "delegated: the name is the head key's; samizdat readers that hold the publisher's document find it on an IPFS gateway, others need one head by another path first, see docs/operators.md"
	}
	fmt.Fprintf(e.stdout, "wrote publisher %s's head %d (%s), valid until %s, to %s\n",
		o.publisher, h.Seq, form, h.Expires.UTC().Format(time.RFC3339), o.out)
	fmt.Fprintf(e.stdout, "ipfs routing put --allow-offline %s %s\n", name, shellQuote(o.out))
	return nil
}

// storedHead returns the repo's stored head of the publisher, reading
// the head file without the repo's lock, as status does: the head store
// writes each head atomically, so it works whether or not a node runs
// on the repo. No head is node.ErrNoHead.
func storedHead(repo, publisher string) (*node.Head, error) {
	if _, err := os.Stat(repo); err != nil {
		return nil, err
	}
	heads, err := node.PeekHeads(repo)
	if err != nil {
		return nil, err
	}
	h, err := heads.Get(publisher)
	if err != nil {
		return nil, fmt.Errorf("the stored head of publisher %s: %w", publisher, err)
	}
	if h == nil {
		return nil, fmt.Errorf("%s holds no head of publisher %s: %w", repo, publisher, node.ErrNoHead)
	}
	return h, nil
}

// shellQuote returns s as one word for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
