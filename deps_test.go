package samizdat_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirection keeps imports flowing one way: cmd → mirror → node →
// bundle, and cmd → publish → bundle. bundle never imports libp2p and never logs; a third party can
// verify a bundle with it alone.
func TestImportDirection(t *testing.T) {
	const mod = "github.com/samizdat/samizdat/"
	forbidden := map[string][]string{
		"bundle": {mod + "node", mod + "mirror", mod + "cmd", "github.com/libp2p/", "log/slog", "net/http"},
		// gofeed links net/http for its URL fetcher; ingest calls only its
		// byte parser, and a test checks no input makes it fetch.
		"bundle/ingest": {mod + "node", mod + "mirror", mod + "cmd", "github.com/libp2p/"},
		"node":          {mod + "mirror", mod + "cmd", mod + "bundle/ingest"},
		"mirror":        {mod + "cmd"},
		// The reader UI sits beside mirror, on node and bundle; the search
		// index needs only bundle.
		"web": {mod + "mirror", mod + "cmd"},
		// The browser reader's server side embeds and writes files: it
		// needs no node, and a static copy can be made without one.
		"web/reader": {mod + "node", mod + "mirror", mod + "cmd", "github.com/libp2p/"},
		"web/search": {mod + "node", mod + "mirror", mod + "cmd", "github.com/libp2p/"},
		// The publisher's side turns sites and folders into bundles; it
		// hands a bundle to cmd to publish and needs no node of its own.
		"publish":       {mod + "node", mod + "mirror", mod + "cmd", mod + "web", "github.com/libp2p/"},
		"publish/crawl": {mod + "node", mod + "mirror", mod + "cmd", mod + "web", "github.com/libp2p/"},
		// Asks a pinning service over HTTP; the service fetches the blocks.
		"publish/pinning": {mod + "node", mod + "mirror", mod + "cmd", mod + "web", "github.com/libp2p/"},
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "./"+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps ./%s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bad {
				if strings.HasPrefix(dep, b) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
