package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/atomicfile"
	"github.com/samizdat/samizdat/internal/corpus"
)

// runDemoCmd packs a generated multilingual corpus and reads it back.
func runDemoCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	dir := fs.String("dir", "", "work directory to keep (default: a temporary one, removed after)")
	n := fs.Int("n", 500, "articles to generate")
	pos, err := parseFlags(fs, args, e.stdout)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *n < 1 {
		return fmt.Errorf("%w: no arguments expected", errUsage)
	}
	work := *dir
	if work == "" {
		if work, err = os.MkdirTemp("", "samizdat-demo-*"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	w := e.stdout
	step := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }

	t0 := time.Now()
	docs := corpus.Generate(1, *n, 2<<10, 20<<10)
	src := filepath.Join(work, "articles")
	inBytes, err := corpus.WriteDir(src, docs)
	if err != nil {
		return err
	}
	step("1. generated %d articles (%d bytes) in %s in %v", len(docs), inBytes, src, since(t0))

	key, err := bundle.GenerateKey()
	if err != nil {
		return err
	}
	keyPath := filepath.Join(work, "publisher.key")
	pem, err := bundle.MarshalPrivateKey(key)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(keyPath, 0o600, pem); err != nil {
		return err
	}
	id := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	step("2. publisher key %s, publisher ID %s", keyPath, id)

	t0 = time.Now()
	out := filepath.Join(work, "news.bundle")
	info, err := runPack(ctx, e, packOptions{key: keyPath, out: out, level: "fastest", inputs: []string{src}})
	if err != nil {
		return err
	}
	step("3. packed %s: %d articles, %d -> %d bytes (%.2fx) in %v", out, info.Articles, info.Bytes, info.Size,
		float64(info.Bytes)/float64(info.Size), since(t0))

	t0 = time.Now()
	b, err := bundle.Open(out, bundle.OpenOptions{Publisher: id})
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.Verify(); err != nil {
		return err
	}
	step("4. verified signature, manifest and every block against publisher %s in %v", id, since(t0))

	list := b.List()
	step("5. reading 5 of %d articles, each decompressed alone:", len(list))
	for i := 0; i < len(list) && i < 5; i++ {
		a := list[(i*len(list))/5]
		t0 = time.Now()
		body, err := b.Body(a.ID)
		if err != nil {
			return err
		}
		step("   [%s] %s (%d bytes, %v)", a.Lang, a.Title, len(body), since(t0))
	}
	step("\nTry: go run ./cmd/samizdat ls %s   (with --dir to keep the files)", out)
	return nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Microsecond) }
