//go:build !unix

package node

import (
	"errors"
	"os"
)

func lockFile(f *os.File) error {
	return errors.New("repository locking is not supported on this system")
}
