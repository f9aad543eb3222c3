package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/samizdat/samizdat/bundle"
)

func runVerifyCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	trust := addTrustFlags(fs)
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: one FILE is required", errUsage)
	}
	b, err := trust.open(pos[0])
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.Verify(); err != nil {
		return err
	}
	signer := "the publisher's root key"
	if b.Signer != b.Publisher {
		signer = fmt.Sprintf("key %s, authorized by publisher document %d", b.Signer, b.Authority.Seq)
		if b.Authority.Name != "" {
			signer += fmt.Sprintf(" (%s)", b.Authority.Name)
		}
	}
	fmt.Fprintf(e.stdout, "%s: valid bundle of publisher %s, sequence %d, created %s, signed by %s; %d articles, %d bytes (%d in the file); root %s\n",
		pos[0], b.Publisher, b.Seq, b.Created.Format(time.RFC3339), signer, b.Articles, b.Bytes, b.Size, b.Root)
	return nil
}

func runLsCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	trust := addTrustFlags(fs)
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: one FILE is required", errUsage)
	}
	b, err := trust.open(pos[0])
	if err != nil {
		return err
	}
	defer b.Close()
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for _, a := range b.List() {
		if *asJSON {
			if err := enc.Encode(a.JSON()); err != nil {
				return err
			}
			continue
		}
		pub := "-"
		if !a.Published.IsZero() {
			pub = a.Published.Format(time.DateOnly)
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%d\t%s\n", a.ID, a.Lang, pub, a.Size, strings.ReplaceAll(a.Title, "\t", " "))
	}
	return nil
}

func runCatCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("cat", flag.ContinueOnError)
	trust := addTrustFlags(fs)
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("%w: FILE and ARTICLE_ID are required", errUsage)
	}
	b, err := trust.open(pos[0])
	if err != nil {
		return err
	}
	defer b.Close()
	body, err := b.Body(pos[1])
	if err != nil {
		return fmt.Errorf("%s: %q: %w", pos[0], pos[1], err)
	}
	_, err = e.stdout.Write(body)
	return err
}

func runExtractCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	out := fs.String("o", "", "directory to create")
	trust := addTrustFlags(fs)
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return fmt.Errorf("%w: FILE and -o DIR are required", errUsage)
	}
	b, err := trust.open(pos[0])
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.Extract(*out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d articles extracted\n", *out, b.Articles)
	return nil
}

// trustFlags are what a reader says it trusts: -p and --authority.
type trustFlags struct {
	publisher, authority *string
}

func addTrustFlags(fs *flag.FlagSet) trustFlags {
	return trustFlags{
		publisher: fs.String("p", "", "require this publisher ID"),
		authority: fs.String("authority", "", "newest publisher document you trust, to catch revoked keys"),
	}
}

func (t trustFlags) open(path string) (*bundle.Bundle, error) {
	return openBundle(path, *t.publisher, *t.authority)
}
