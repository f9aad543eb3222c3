package node

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFS flushes the file system holding dir: one call for all the block
// files written since the last one.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
