package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/BurntSushi/toml"
)

// configFile is a repo's settings: a table per command holding that
// command's flags by name, e.g.
//
//	[serve]
//	follow = ["12D3KooW…", "12D3KooW…"]
//	quota = 10_000_000_000
//	http = "127.0.0.1:8080"
//
// A flag given on the command line wins over the file; a repeatable flag
// given on the command line replaces the file's list. Unknown tables and
// names are errors, so a typo is not silently ignored.
const configFile = "config.toml"

// maxConfigSize bounds the config file.
const maxConfigSize = 64 << 10

// applyRepoConfig sets the flags of fs that the command line left unset
// from the config file of the repo named by fs's --repo flag, if any.
func applyRepoConfig(fset *flag.FlagSet) error {
	repo := fset.Lookup("repo")
	if repo == nil || repo.Value.String() == "" {
		return nil
	}
	path := filepath.Join(repo.Value.String(), configFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return err
	}
	if len(data) > maxConfigSize {
		return fmt.Errorf("%s: larger than %d bytes", path, maxConfigSize)
	}
	var conf map[string]map[string]any
	if _, err := toml.Decode(string(data), &conf); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for table := range conf {
		if !slices.ContainsFunc(commands(), func(c command) bool { return c.name == table }) {
			return fmt.Errorf("%w: %s: [%s] is not a samizdat command", errUsage, path, table)
		}
	}
	given := map[string]bool{}
	fset.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, v := range conf[fset.Name()] {
		if name == "repo" || fset.Lookup(name) == nil {
			return fmt.Errorf("%w: %s: [%s] has no setting %q", errUsage, path, fset.Name(), name)
		}
		if given[name] {
			continue
		}
		values, isList := v.([]any)
		if !isList {
			values = []any{v}
		}
		for _, x := range values {
			switch x.(type) {
			case string, int64, bool, float64:
			default:
				return fmt.Errorf("%w: %s: [%s] %s: want a string, number, boolean or a list of them", errUsage, path, fset.Name(), name)
			}
			if err := fset.Set(name, fmt.Sprint(x)); err != nil {
				return fmt.Errorf("%w: %s: [%s] %s: %v", errUsage, path, fset.Name(), name, err)
			}
		}
	}
	return nil
}
