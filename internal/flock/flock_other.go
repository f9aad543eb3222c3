//go:build !unix

package flock

import "os"

// Try fails: the system has no advisory file locks.
func Try(f *os.File) error { return ErrUnsupported }
