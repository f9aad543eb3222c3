package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestRepoConfig(t *testing.T) {
	for _, tc := range []struct {
		name, conf string
		args       []string
		want       string // quota,http,no-mdns,follow after parsing
		err        error
	}{
		{"no file", "", nil, "0,,false,", nil},
		{"file sets unset flags", "[serve]\nquota = 1_000\nhttp = \"127.0.0.1:8080\"\nno-mdns = true\nfollow = [\"a\", \"b\"]\n",
			nil, "1000,127.0.0.1:8080,true,a,b", nil},
		{"flags win", "[serve]\nquota = 1_000\nfollow = [\"a\", \"b\"]\n",
			[]string{"--quota", "5", "--follow", "c"}, "5,,false,c", nil},
		{"other commands' tables are left alone", "[get]\ntimeout = \"1m\"\n", nil, "0,,false,", nil},
		{"unknown setting", "[serve]\nqouta = 5\n", nil, "", errUsage},
		{"unknown table", "[srve]\nquota = 5\n", nil, "", errUsage},
		{"repo cannot be set", "[serve]\nrepo = \"/elsewhere\"\n", nil, "", errUsage},
		{"wrong type", "[serve]\nquota = \"lots\"\n", nil, "", errUsage},
		{"nested table", "[serve]\nquota = { a = 1 }\n", nil, "", errUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.conf != "" {
				if err := os.WriteFile(filepath.Join(dir, configFile), []byte(tc.conf), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.String("repo", "", "")
			quota := fs.Int64("quota", 0, "")
			http := fs.String("http", "", "")
			noMDNS := fs.Bool("no-mdns", false, "")
			var follow multiFlag
			fs.Var(&follow, "follow", "")
			_, err := parseFlags(fs, append([]string{"--repo", dir}, tc.args...), nil)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("parseFlags() = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join([]string{strconv.FormatInt(*quota, 10), *http, strconv.FormatBool(*noMDNS), follow.String()}, ",")
			if got != tc.want {
				t.Errorf("after parsing: %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRepoConfigCLI: a setting in the repo's config file reaches the
// command through the binary.
func TestRepoConfigCLI(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	os.MkdirAll(repo, 0o700)
	os.WriteFile(filepath.Join(repo, configFile), []byte("[status]\njson = true\n"), 0o600)
	if r := mustRun(t, "status", "--repo", repo); !strings.HasPrefix(strings.TrimSpace(r.stdout), "{") {
		t.Errorf("status with json = true in the config: %q", r.stdout)
	}
	os.WriteFile(filepath.Join(repo, configFile), []byte("[status]\njsn = true\n"), 0o600)
	if r := samizdat(t, "status", "--repo", repo); r.code != 2 || !strings.Contains(r.stderr, "jsn") {
		t.Errorf("a misspelt setting: exit %d, %q", r.code, r.stderr)
	}
}
