package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/samizdat/samizdat/internal/pinfake"
)

// TestCLIPinRemote: pin-remote asks a pinning service (Pinning Service
// API) to pin the catalog of the repo's stored head, named for the
// publisher, with the origins given and the token from its file; a
// newer head replaces the pin. What the service or the command line
// refuses fails the command, saying why.
func TestCLIPinRemote(t *testing.T) {
	dir := t.TempDir()
	id, _, repo := publishedRepo(t, dir)
	svc := pinfake.New("tok-123", 1)
	srv := httptest.NewServer(svc)
	defer srv.Close()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(svc.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	origin := "/ip4/127.0.0.1/tcp/4001/p2p/" + id // a publisher ID is a peer ID
	args := []string{"pin-remote", "--repo", repo, "--publisher", id, "--service", srv.URL, "--token-file", tokenFile, "--origin", origin, "--wait", "1m"}

	r := mustRun(t, args...)
	h := heldHead(t, repo, id)
	if !strings.Contains(r.stdout, "pinned publisher "+id+"'s catalog "+h.Catalog.String()) || !strings.Contains(r.stdout, "status pinned") ||
		!strings.Contains(r.stdout, "fetches from "+pinfake.Delegate) {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	posted := svc.Posted()
	if len(posted) != 1 || posted[0].CID != h.Catalog.String() || posted[0].Name != "samizdat "+id || !slices.Equal(posted[0].Origins, []string{origin}) {
		t.Errorf("posted %+v, want the head's catalog, named for %s, with the origin", posted, id)
	}
	if len(posted) == 1 && posted[0].Meta["samizdat-seq"] != strconv.FormatUint(h.Seq, 10) {
		t.Errorf("posted meta %v, want the head's sequence number %d (a lagging repo must not replace a newer pin)", posted[0].Meta, h.Seq)
	}

	// A newer head: another bundle published into the repo.
	src := filepath.Join(dir, "src2")
	writeFiles(t, src, map[string]string{"en/more.md": "---\nid: en-more\ntitle: More\nlang: en\n---\nMore news.\n"})
	file := filepath.Join(dir, "more.bundle")
	mustRun(t, "pack", "-k", filepath.Join(dir, "root.key"), "-o", file, src)
	mustRun(t, "publish", "--repo", repo, "--key", filepath.Join(dir, "root.key"), file)
	r = mustRun(t, args...)
	if h2 := heldHead(t, repo, id); !strings.Contains(r.stdout, "replaced request req-1 with publisher "+id+"'s catalog "+h2.Catalog.String()) {
		t.Errorf("after a new head, stdout:\n%s", r.stdout)
	}
	if pins := svc.Pins(); len(pins) != 1 || pins["req-2"].Status != "pinned" {
		t.Errorf("the service holds %+v, want req-2 pinned alone", pins)
	}

	if err := os.WriteFile(filepath.Join(dir, "wrong"), []byte("nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		args []string
		code int
		want string
	}{
		"wrong token": {[]string{"--token-file", filepath.Join(dir, "wrong")}, 1, "UNAUTHORIZED"},
		"no token":    {[]string{"--token-file", ""}, 2, "access token"},
		"plain http":  {[]string{"--service", "http://pins.example/psa"}, 1, "https"},
		"bad origin":  {[]string{"--origin", "not-a-multiaddr"}, 2, "--origin"},
	} {
		t.Run(name, func(t *testing.T) {
			// A flag given again wins (or, for --origin, is one more).
			r := samizdat(t, append(slices.Clone(args), tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d naming %q", r.code, r.stderr, tt.code, tt.want)
			}
			if strings.Contains(r.stderr+r.stdout, svc.Token) {
				t.Errorf("the token is in the output")
			}
		})
	}
}
