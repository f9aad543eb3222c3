//go:build !unix

package publish

import (
	"errors"
	"os"
)

func lockState(f *os.File) error {
	return errors.New("locking the daily state is not supported on this system")
}
