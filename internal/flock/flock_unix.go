//go:build unix

package flock

import (
	"errors"
	"os"
	"syscall"
)

// Try takes an exclusive lock on f, failing at once with ErrLocked if
// another process holds it. Closing f releases it.
func Try(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrLocked
	}
	return err
}
