//go:build unix

package publish

import (
	"errors"
	"os"
	"syscall"
)

// lockState takes an exclusive advisory lock on f, failing at once if
// another run holds it. The kernel drops the lock when the process dies,
// so a crashed run never leaves a stale lock behind.
func lockState(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrStateLocked
	}
	return err
}
