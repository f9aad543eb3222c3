// Command samizdat packs, verifies, carries and reads signed article
// bundles. Run "samizdat help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// env is what a command may touch besides its options: its output streams
// and logger. Tests run commands in-process with buffers.
type env struct {
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

type command struct {
	name    string
	args    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"demo", "[--dir DIR]", "pack the generated sample corpus and read it back, verified", runDemoCmd},
		{"keygen", "-o FILE", "write a new Ed25519 key and print its publisher ID", runKeygenCmd},
		{"authorize", "-k ROOTKEY -o DOC [--from DOC] [--add KEY]... [--revoke KEY[@SEQ]]... [--mirror ADDR]...", "sign a publisher document: signing keys, head keys, mirrors", runAuthorizeCmd},
		{"pack", "-k KEY -o OUT [--authority DOC] [--base PREV] [--strict] [--whole-page] [--cache DIR] [--allow-host HOST]... INPUT|URL...", "turn articles, feeds, folders and web feeds or pages into a signed bundle (exit 3: packed with warnings)", runPackCmd},
		{"verify", "[-p PUBLISHER] [--authority DOC] FILE", "check a bundle completely and summarize it", runVerifyCmd},
		{"ls", "[--json] FILE", "list a bundle's articles", runLsCmd},
		{"cat", "FILE ARTICLE_ID", "print one article's body", runCatCmd},
		{"extract", "FILE -o DIR", "write a bundle's articles and attachments as files", runExtractCmd},
		{"serve", "--repo DIR [--key KEY] [--follow ID]... [--listen ADDR]... [--peer ADDR]... [--http ADDR]", "run a node: publisher, mirror, or both", runServeCmd},
		{"publish", "--repo DIR [--key KEY] FILE", "add a bundle to a publisher's repo and announce the new head", runPublishCmd},
		{"daily", "--repo DIR -k KEY [--authority DOC] [--head-key KEY] [--state DIR] [--strict] [--dry-run] [--cache DIR] [--allow-host HOST]... INPUT|URL...", "pack what is new or changed since the last run and publish it: for a timer (exit 3: published with warnings)", runDailyCmd},
		{"get", "--publisher ID|LINK [--peer ADDR... | --http URL...] [--repo DIR] -o DIR", "fetch and verify a publisher's bundles as a private reader", runGetCmd},
		{"publish-static", "--repo DIR -o DIR [--publisher ID]...", "write the repo's publishers as files for a plain web host", runPublishStaticCmd},
		{"export", "--repo DIR --publisher ID -o FILE", "write everything of a publisher, head included, to one file", runExportCmd},
		{"import", "--repo DIR FILE", "check an export file completely and add it to the repo", runImportCmd},
		{"head-record", "--repo DIR --publisher ID -o FILE", "write the stored head's IPNS record for an IPFS node's routing put", runHeadRecordCmd},
		{"pin-remote", "--repo DIR --publisher ID --service URL [--token-file FILE] [--origin ADDR]... [--wait D]", "ask an IPFS pinning service to keep the publisher's bundles (its newest catalog)", runPinRemoteCmd},
		{"link", "--repo DIR [--publisher ID] [--peer ADDR]... [--qr]", "print a samizdat: link (and QR code) readers paste to follow a publisher", runLinkCmd},
		{"status", "--repo DIR [--json]", "show a node's peers, publishers and storage", runStatusCmd},
		{"read", "--repo DIR [--port N] [--peer ADDR]... [--follow ID]... [--no-fetch]", "read followed publishers in a browser, at 127.0.0.1 only", runReadCmd},
	}
}

// errUsage marks errors in the command line; main exits 2 for them.
var errUsage = errors.New("usage")

// errWarnings marks a command that did its work but warned on the way
// (pack: articles skipped, fields cut); main exits exitWarnings for it, so
// that a timer or a script can tell it from success (0) and failure (1).
var errWarnings = errors.New("done with warnings")

// exitWarnings is the exit status for errWarnings (docs/operators.md).
const exitWarnings = 3

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdout: os.Stdout, stderr: os.Stderr,
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				fmt.Fprintf(e.stderr, "samizdat %s: %v\nusage: samizdat %s %s\n", c.name, err, c.name, c.args)
				return 2
			case errors.Is(err, errWarnings):
				fmt.Fprintf(e.stderr, "samizdat %s: %s\n", c.name, oneLine(err.Error()))
				return exitWarnings
			}
			fmt.Fprintf(e.stderr, "samizdat %s: %s\n", c.name, oneLine(err.Error()))
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "samizdat: unknown command %q\n", args[0])
	usage(e.stderr)
	return 2
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func usage(w io.Writer) {
	fmt.Fprintln(w, "samizdat: signed, compressed article bundles for readers behind a block\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n                 %s\n", c.name, c.summary, c.args)
	}
}

// parseFlags parses flags that may come before, between or after the
// positional arguments, and returns the positional ones; flags left unset
// are taken from the repo's config file (see configFile). -h prints the
// flags to help.
func parseFlags(fs *flag.FlagSet, args []string, help io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(help, "usage of samizdat %s:\n", fs.Name())
				fs.SetOutput(help)
				fs.PrintDefaults()
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, applyRepoConfig(fs)
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), applyRepoConfig(fs)
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
