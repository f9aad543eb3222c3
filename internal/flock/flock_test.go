//go:build unix

package flock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestTry: a second open file description of a locked file cannot take
// the lock until the first is closed.
func TestTry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	a, b := open(), open()
	defer b.Close()
	if err := Try(a); err != nil {
		t.Fatalf("first Try = %v", err)
	}
	if err := Try(b); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Try = %v, want ErrLocked", err)
	}
	a.Close()
	if err := Try(b); err != nil {
		t.Fatalf("Try after the holder closed = %v", err)
	}
}
