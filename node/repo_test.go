package node

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestOpenRepoMode: a repo directory others can read or enter is made
// private before the node uses it; one others can write is refused and
// left as it is, for its owner to look at.
func TestOpenRepoMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	for _, tc := range []struct {
		name string
		mode fs.FileMode // -1: the directory does not exist yet
		want fs.FileMode // mode after OpenRepo
		err  error
	}{
		{"new", ^fs.FileMode(0), 0o700, nil},
		{"private", 0o700, 0o700, nil},
		{"world-readable", 0o755, 0o700, nil},
		{"group-readable", 0o750, 0o700, nil},
		{"enterable", 0o711, 0o700, nil},
		{"group-writable", 0o775, 0o775, ErrRepoUnsafe},
		{"world-writable", 0o757, 0o757, ErrRepoUnsafe},
		{"like /tmp", 0o777 | fs.ModeSticky, 0o777, ErrRepoUnsafe},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo")
			if tc.mode != ^fs.FileMode(0) {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(dir, tc.mode); err != nil {
					t.Fatal(err)
				}
			}
			r, err := OpenRepo(dir)
			if r != nil {
				r.Close()
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("OpenRepo(mode %v) = %v, want %v", tc.mode, err, tc.err)
			}
			st, serr := os.Stat(dir)
			if serr != nil {
				t.Fatal(serr)
			}
			if got := st.Mode().Perm(); got != tc.want {
				t.Errorf("mode after OpenRepo = %v, want %v", got, tc.want)
			}
			if tc.err != nil {
				// Refused before anything was written in it.
				if ents, _ := os.ReadDir(dir); len(ents) != 0 {
					t.Errorf("refused repo holds %d entries, want none", len(ents))
				}
			}
		})
	}
}
