package bundle

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// failingWriter refuses every write.
type failingWriter struct{}

var errWrite = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

// TestPackOnce: a Packer makes one bundle; a second Pack, or an Add after
// Pack, fails and writes nothing.
func TestPackOnce(t *testing.T) {
	tests := []struct {
		name    string
		first   io.Writer
		wantErr error // of the first Pack
	}{
		{"after a bundle", io.Discard, nil},
		{"after a failed Pack", failingWriter{}, errWrite},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPacker(PackOptions{Key: testKey(1), Seq: 1, TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			arts := testArticles(3)
			for _, a := range arts[:2] {
				if err := p.Add(a); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := p.Pack(tc.first); !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("first Pack() = %v, want %v", err, tc.wantErr)
			}
			var again bytes.Buffer
			if _, err := p.Pack(&again); !errors.Is(err, ErrAlreadyPacked) || again.Len() != 0 {
				t.Errorf("second Pack() = %v after writing %d bytes, want ErrAlreadyPacked and nothing written", err, again.Len())
			}
			if err := p.Add(arts[2]); !errors.Is(err, ErrAlreadyPacked) {
				t.Errorf("Add() after Pack = %v, want ErrAlreadyPacked", err)
			}
		})
	}
}

// TestPackNothingThenSomething: Pack with no articles consumes nothing.
func TestPackNothingThenSomething(t *testing.T) {
	p, err := NewPacker(PackOptions{Key: testKey(1), Seq: 1, Created: testTime, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Pack(io.Discard); err == nil || errors.Is(err, ErrAlreadyPacked) {
		t.Fatalf("Pack() of no articles = %v, want an error other than ErrAlreadyPacked", err)
	}
	if err := p.Add(testArticles(1)[0]); err != nil {
		t.Fatalf("Add() after an empty Pack = %v", err)
	}
	var buf bytes.Buffer
	if _, err := p.Pack(&buf); err != nil {
		t.Fatalf("Pack() = %v", err)
	}
	if _, err := openBytes(buf.Bytes(), OpenOptions{}); err != nil {
		t.Errorf("Open() of the bundle = %v", err)
	}
}
