//go:build unix

package control

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestSocketMode(t *testing.T) {
	for _, umask := range []int{0, 0o022, 0o077} {
		t.Run(fmt.Sprintf("umask %04o", umask), func(t *testing.T) {
			old := syscall.Umask(umask) // whole process: this test must not run in parallel
			defer syscall.Umask(old)
			dir := t.TempDir()
			s, err := Listen(dir)
			if err != nil {
				t.Fatalf("Listen() = %v", err)
			}
			defer s.Close()
			st, err := os.Lstat(filepath.Join(dir, SocketName))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Type() != fs.ModeSocket || st.Mode().Perm() != 0o600 {
				t.Errorf("socket mode = %v, want %v", st.Mode(), fs.ModeSocket|0o600)
			}
		})
	}
}
