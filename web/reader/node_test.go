package reader

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// nodeJS returns the Node.js binary, or skips the test when there is none,
// unless SAMIZDAT_REQUIRE_NODE is set (as CI sets it).
func nodeJS(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("node"); err == nil {
		return p
	}
	if os.Getenv("SAMIZDAT_REQUIRE_NODE") != "" {
		t.Fatal("no node found, and SAMIZDAT_REQUIRE_NODE is set")
	}
	t.Skip("no node found (set SAMIZDAT_REQUIRE_NODE to make this a failure)")
	return ""
}

// TestNode runs the browser code's own unit tests (test/*.test.cjs) under
// Node.js, whose WebCrypto has Ed25519 as browsers' does.
func TestNode(t *testing.T) {
	node := nodeJS(t)
	files, err := filepath.Glob(filepath.Join("test", "*.test.cjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no browser tests found: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cmd := exec.Command(node, "--test", "--test-reporter=spec", f)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", f, err, out)
			}
			if testing.Verbose() {
				t.Logf("%s", out)
			}
		})
	}
}
