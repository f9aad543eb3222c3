// Package atomicfile writes files so that a crash or an error never leaves a
// partial file at the destination: data goes to a temporary file in the same
// directory, is synced, and is then renamed (or linked) into place, and the
// directory is synced so the new name survives a power loss.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes path through fn, replacing any existing file.
func Write(path string, perm os.FileMode, fn func(w io.Writer) error) error {
	return write(path, perm, false, fn)
}

// WriteNew is like Write but fails with an error matching fs.ErrExist if
// path exists, without touching it. The check and the creation are one
// atomic step (a hard link), so two writers cannot both succeed.
func WriteNew(path string, perm os.FileMode, fn func(w io.Writer) error) error {
	return write(path, perm, true, fn)
}

// WriteBytes writes data to path, replacing any existing file.
func WriteBytes(path string, perm os.FileMode, data []byte) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func write(path string, perm os.FileMode, exclusive bool, fn func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if exclusive {
		if _, err := os.Lstat(path); err == nil {
			return &os.PathError{Op: "create", Path: path, Err: os.ErrExist}
		}
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	if err := fn(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if exclusive {
		if err := os.Link(tmp, path); err != nil {
			return err
		}
		os.Remove(tmp)
	} else if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so that entries created or renamed in it are
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
