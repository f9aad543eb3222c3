//go:build unix

package node

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, failing at once if another
// process holds it. The kernel drops the lock when the process dies, so a
// crash never leaves a stale lock behind.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrRepoLocked
	}
	return err
}
