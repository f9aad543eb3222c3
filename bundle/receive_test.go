package bundle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipfs/go-cid"
)

// metaOnly opens the bundle in data from its metadata blocks alone, as a
// node does over the network before it asks for the whole file.
func metaOnly(t *testing.T, data []byte) *Bundle {
	t.Helper()
	file, err := openBytes(data, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	store := map[cid.Cid][]byte{}
	for _, c := range file.meta {
		store[c], _ = file.Block(c)
	}
	b, err := OpenBlocks(file.Root, func(c cid.Cid) ([]byte, error) {
		if d, ok := store[c]; ok {
			return d, nil
		}
		return nil, errors.New("not fetched")
	}, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReceive(t *testing.T) {
	arts := testArticles(30)
	arts[4].Attachments = []Attachment{{Name: "a.png", ContentType: "image/png", Data: []byte("png bytes")}}
	data := packBytes(t, PackOptions{Key: testKey(1), Seq: 2, Created: testTime}, arts)

	f, err := os.Create(filepath.Join(t.TempDir(), "got.car"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := metaOnly(t, data).Receive(bytes.NewReader(data), f)
	if err != nil {
		t.Fatalf("Receive() = %v", err)
	}
	written, _ := os.ReadFile(f.Name())
	if !bytes.Equal(written, data) {
		t.Fatal("received file differs from the sent one")
	}
	if !got.Canonical() || got.Size != int64(len(data)) {
		t.Errorf("Canonical() = %v, Size = %d; want true, %d", got.Canonical(), got.Size, len(data))
	}
	if err := got.Verify(); err != nil {
		t.Errorf("Verify() of the received bundle = %v", err)
	}
	for _, c := range got.Blocks() {
		off, n, ok := got.Locate(c)
		if !ok || !bytes.Equal(written[off:off+int64(n)], mustBlock(t, got, c)) {
			t.Fatalf("Locate(%s) = %d, %d, %v: wrong place", c, off, n, ok)
		}
	}
}

func mustBlock(t *testing.T, b *Bundle, c cid.Cid) []byte {
	t.Helper()
	d, err := b.Block(c)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestReceiveRejects(t *testing.T) {
	data := packBytes(t, PackOptions{Key: testKey(1), Seq: 2, Created: testTime}, testArticles(30))
	other := packBytes(t, PackOptions{Key: testKey(1), Seq: 3, Created: testTime}, testArticles(31))
	file, err := openBytes(data, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	order := file.Blocks()
	last := order[len(order)-1]
	lastOff, _, _ := file.Locate(last)
	firstOff, _, _ := file.Locate(order[0])

	// Two blocks swapped: the same bytes, in another order.
	swapped := func() []byte {
		a, b := sectionOf(t, file, data, order[1]), sectionOf(t, file, data, order[2])
		out := bytes.Clone(data)
		i := bytes.Index(out, a)
		out = append(out[:i:i], append(append(bytes.Clone(b), a...), out[i+len(a)+len(b):]...)...)
		return out
	}()
	flip := bytes.Clone(data)
	flip[lastOff+1] ^= 0x40
	hugeLen := append(bytes.Clone(data[:firstOff-int64(len(order[0].Bytes()))-1]), 0xff, 0xff, 0xff, 0xff, 0x0f)

	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"another bundle", other, ErrMalformed},
		{"truncated mid-block", data[:len(data)-5], ErrTruncated},
		{"truncated between blocks", data[:lastOff-int64(len(last.Bytes()))-1], ErrTruncated},
		{"flipped byte", flip, ErrHashMismatch},
		{"blocks out of order", swapped, ErrMalformed},
		{"trailing bytes", append(bytes.Clone(data), 0), ErrMalformed},
		{"oversized section", hugeLen, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sink rwBuf
			_, err := metaOnly(t, data).Receive(bytes.NewReader(tc.in), &sink)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Receive() = %v, want %v", err, tc.want)
			}
		})
	}
}

// sectionOf returns the bytes of c's CAR section (length, CID, data).
func sectionOf(t *testing.T, b *Bundle, data []byte, c cid.Cid) []byte {
	t.Helper()
	off, n, ok := b.Locate(c)
	if !ok {
		t.Fatalf("no block %s", c)
	}
	var v [binary.MaxVarintLen64]byte
	start := off - int64(len(c.Bytes())) - int64(binary.PutUvarint(v[:], uint64(len(c.Bytes())+n)))
	return data[start : off+int64(n)]
}

type rwBuf struct{ bytes.Buffer }

func (r *rwBuf) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(r.Bytes()).ReadAt(p, off)
}

// FuzzReceive feeds Receive arbitrary streams in place of a bundle file: it
// must never panic, and whatever it accepts is exactly the canonical file.
func FuzzReceive(f *testing.F) {
	data := packBytes(f, PackOptions{Key: testKey(1), Seq: 2, Created: testTime}, testArticles(5))
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add(append(bytes.Clone(data), 1, 2, 3))
	file, err := openBytes(data, OpenOptions{})
	if err != nil {
		f.Fatal(err)
	}
	store := map[cid.Cid][]byte{}
	for _, c := range file.meta {
		store[c], _ = file.Block(c)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := OpenBlocks(file.Root, func(c cid.Cid) ([]byte, error) {
			if d, ok := store[c]; ok {
				return d, nil
			}
			return nil, errors.New("not fetched")
		}, OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		var sink rwBuf
		if _, err := b.Receive(bytes.NewReader(in), &sink); err == nil && !bytes.Equal(sink.Bytes(), data) {
			t.Fatal("Receive accepted a stream that is not the bundle's canonical file")
		}
	})
}
