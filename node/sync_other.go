//go:build !linux

package node

import (
	"os"
	"path/filepath"
)

// syncFS flushes every file below dir, where syncfs(2) is not available.
func syncFS(dir string) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}
