package bundle

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/multiformats/go-varint"
)

// goCarIndex is the CAR index as it was made with go-car's block reader
// for the sections too, the definition nextSection must keep to.
// It returns where the last section it read ends.
func goCarIndex(data []byte) (map[cid.Cid]blockLoc, []cid.Cid, int, error) {
	br, err := carv2.NewBlockReader(bufio.NewReader(bytes.NewReader(data)), carv2.MaxAllowedHeaderSize(MaxCARHeader),
		carv2.MaxAllowedSectionSize(MaxBlockSize+128))
	if err != nil {
		return nil, nil, 0, carError(err)
	}
	if br.Version != 1 {
		return nil, nil, 0, ErrUnsupportedVersion
	}
	if len(br.Roots) != 1 {
		return nil, nil, 0, ErrMalformed
	}
	want, err := carHeader(br.Roots[0])
	if err != nil {
		return nil, nil, 0, err
	}
	if !bytes.HasPrefix(data, want) {
		return nil, nil, 0, ErrMalformed
	}
	end := len(want)
	blocks := make(map[cid.Cid]blockLoc)
	var order []cid.Cid
	for {
		md, err := br.SkipNext()
		if err == io.EOF {
			return blocks, order, end, nil
		}
		if err != nil {
			return nil, nil, 0, carError(err)
		}
		if md.Size > MaxBlockSize {
			return nil, nil, 0, ErrTooLarge
		}
		sect := uint64(md.Cid.ByteLen()) + md.Size
		off := int64(md.SourceOffset) + int64(varint.UvarintSize(sect)) + int64(md.Cid.ByteLen())
		end = int(off) + int(md.Size)
		if _, dup := blocks[md.Cid]; dup {
			continue
		}
		blocks[md.Cid] = blockLoc{off: off, n: int(md.Size)}
		order = append(order, md.Cid)
	}
}

// checkIndex compares the index of data with go-car's. A file that ends
// right after a section's length go-car took for ending there; the
// format says it is truncated, and so does index.
func checkIndex(t *testing.T, data []byte) {
	t.Helper()
	wantBlocks, wantOrder, end, wantErr := goCarIndex(data)
	if wantErr == nil && end < len(data) {
		if _, n, err := varint.FromUvarint(data[end:]); err == nil && n == len(data)-end {
			wantErr = ErrTruncated
		}
	}
	car := &carSource{r: bytes.NewReader(data), blocks: make(map[cid.Cid]blockLoc)}
	_, err := car.index(int64(len(data)))
	if sentinelOfIndex(err) != sentinelOfIndex(wantErr) {
		t.Fatalf("index() = %v, go-car %v", err, wantErr)
	}
	if err != nil {
		return
	}
	if len(car.order) != len(wantOrder) {
		t.Fatalf("index() found %d blocks, go-car %d", len(car.order), len(wantOrder))
	}
	for i, c := range wantOrder {
		if !car.order[i].Equals(c) || car.blocks[c] != wantBlocks[c] {
			t.Fatalf("block %d: index() %s at %+v, go-car %s at %+v", i, car.order[i], car.blocks[car.order[i]], c, wantBlocks[c])
		}
	}
}

func sentinelOfIndex(err error) error {
	for _, s := range []error{ErrTruncated, ErrTooLarge, ErrMalformed, ErrUnsupportedVersion} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

// TestIndexAsGoCar: the index reads every section as go-car does, with the
// same errors, cut at every byte and with a byte of every section head
// changed.
func TestIndexAsGoCar(t *testing.T) {
	arts := testArticles(3)
	arts[0].Attachments = []Attachment{{Name: "a.png", ContentType: "image/png", Data: bytes.Repeat([]byte{7}, 300)}}
	data := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, arts)
	checkIndex(t, data)
	for i := range data {
		checkIndex(t, data[:i])
		for _, v := range []byte{0x00, 0x01, 0x7f, 0x80, 0xff} {
			d := bytes.Clone(data)
			d[i] = v
			checkIndex(t, d)
		}
	}
}

// TestIndexTruncatedAfterLength: a file that ends right after a section's
// length is truncated (bundle-format.md section 9, step 2); go-car took it
// for the end of the file.
func TestIndexTruncatedAfterLength(t *testing.T) {
	data := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, testArticles(3))
	if _, err := openBytes(append(bytes.Clone(data), 0x05), OpenOptions{}); !errors.Is(err, ErrTruncated) {
		t.Errorf("Open(file + a section length) = %v, want ErrTruncated", err)
	}
}

// TestIndexLongCID: a CID longer than the bytes nextSection first hands
// the decoder is read whole.
func TestIndexLongCID(t *testing.T) {
	data := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, testArticles(1))
	long, err := cid.Prefix{Version: 1, Codec: cid.Raw, MhType: 0x00, MhLength: -1}.Sum(bytes.Repeat([]byte{'x'}, 2*cidPeek)) // identity
	if err != nil {
		t.Fatal(err)
	}
	sect := append(varint.ToUvarint(uint64(long.ByteLen()+3)), long.Bytes()...)
	d := append(bytes.Clone(data), append(sect, 1, 2, 3)...)
	checkIndex(t, d)
	car := &carSource{r: bytes.NewReader(d), blocks: make(map[cid.Cid]blockLoc)}
	if _, err := car.index(int64(len(d))); err != nil {
		t.Fatal(err)
	}
	if loc, ok := car.blocks[long]; !ok || loc.n != 3 {
		t.Errorf("index() of a section with a %d-byte CID: %+v, %v", long.ByteLen(), loc, ok)
	}
}

// TestWindowReader reads a source through windows smaller and larger than
// what is asked.
func TestWindowReader(t *testing.T) {
	src := make([]byte, 1000)
	for i := range src {
		src[i] = byte(i)
	}
	for _, win := range []int{1, 7, 64, 4096} {
		w := newWindowReader(bytes.NewReader(src), int64(len(src)), win)
		for pos := int64(0); pos < int64(len(src)); pos += 37 {
			w.pos = pos
			b, err := w.peek(100)
			if err != nil {
				t.Fatal(err)
			}
			want := src[pos:min(pos+100, int64(len(src)))]
			if !bytes.Equal(b, want) {
				t.Fatalf("window %d: peek(100) at %d = %d bytes, want %d", win, pos, len(b), len(want))
			}
			if c, err := w.ReadByte(); err != nil || c != src[pos] {
				t.Fatalf("window %d: ReadByte at %d = %d, %v", win, pos, c, err)
			}
		}
		w.pos = int64(len(src))
		if _, err := w.ReadByte(); err != io.EOF {
			t.Errorf("ReadByte at the end = %v, want io.EOF", err)
		}
	}
	short := newWindowReader(bytes.NewReader(src[:10]), 20, 8)
	short.pos = 5
	if _, err := short.peek(10); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("peek past a short source = %v, want io.ErrUnexpectedEOF", err)
	}
}

// FuzzIndex: the index against go-car's on any bytes after a real header.
func FuzzIndex(f *testing.F) {
	for _, s := range seedBundles(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		checkIndex(t, data)
	})
}
