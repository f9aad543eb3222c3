package node

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/samizdat/samizdat/bundle"
)

// TestAdoptTwice: a bundle received twice at once (two transfers of the
// same root) is held once, under its name, and the file the second
// replaced, still being synced under its temporary name, is removed
// rather than left until the next start.
func TestAdoptTwice(t *testing.T) {
	dir := t.TempDir()
	s, err := openBundleStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	data := testBundle(t, 1, 5, nil)
	var root cid.Cid
	for _, name := range []string{".fetch-1", ".fetch-2"} {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		b, err := bundle.OpenReader(f, int64(len(data)), bundle.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		root = b.Root
		if err := s.adopt(f, b); err != nil {
			t.Fatalf("adopt(%s) error = %v", name, err)
		}
	}
	if err := s.flush(); err != nil {
		t.Fatalf("flush() error = %v", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if want := []string{root.String() + ".car"}; !slices.Equal(got, want) {
		t.Errorf("files after flush = %q, want %q", got, want)
	}
	if r, size, ok := s.open(root); !ok || size != int64(len(data)) || r == nil {
		t.Errorf("open(root) = _, %d, %v, want the bundle of %d bytes", size, ok, len(data))
	}
}
