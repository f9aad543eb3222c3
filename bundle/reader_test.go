package bundle

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/ipfs/go-cid"
)

// TestReader: a Reader returns what Body and Attachment return, for
// bodies of one block, of many, in a cluster and empty, and behaves as an
// io.Reader should.
func TestReader(t *testing.T) {
	noise := make([]byte, MaxBlockRaw*5/2) // incompressible, three blocks
	rand.NewChaCha8([32]byte{2}).Read(noise)
	arts := testArticles(6)
	arts[0].Body = noise
	arts[1].Body = nil
	arts[2].Attachments = []Attachment{
		{Name: "big.bin", ContentType: "application/octet-stream", Data: noise[:MaxBlockRaw+7]},
		{Name: "empty.txt", ContentType: "text/plain"},
	}
	for _, opts := range []PackOptions{
		{Key: testKey(1), Seq: 1, Created: testTime},
		{Key: testKey(1), Seq: 1, Created: testTime, Cluster: 64 << 10},
	} {
		b, err := openBytes(packBytes(t, opts, arts), OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		type read struct {
			name string
			open func() (*Reader, error)
			want func() ([]byte, error)
		}
		var reads []read
		for _, a := range arts {
			reads = append(reads, read{a.ID,
				func() (*Reader, error) { return b.BodyReader(a.ID) },
				func() ([]byte, error) { return b.Body(a.ID) }})
			for _, at := range a.Attachments {
				reads = append(reads, read{a.ID + "/" + at.Name,
					func() (*Reader, error) { return b.AttachmentReader(a.ID, at.Name) },
					func() ([]byte, error) { return b.Attachment(a.ID, at.Name) }})
			}
		}
		for _, tc := range reads {
			t.Run(tc.name, func(t *testing.T) {
				want, err := tc.want()
				if err != nil {
					t.Fatal(err)
				}
				r, err := tc.open()
				if err != nil {
					t.Fatalf("open reader: %v", err)
				}
				if r.Size() != int64(len(want)) {
					t.Errorf("Size() = %d, want %d", r.Size(), len(want))
				}
				if err := iotest.TestReader(r, want); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// TestReaderChecksContent: a manifest whose content CID does not match
// its spans' bytes (a publisher's error, or a forger's with the key) gets
// an error matching ErrHashMismatch instead of io.EOF, and the bytes of
// the last block are not returned.
func TestReaderChecksContent(t *testing.T) {
	noise := make([]byte, MaxBlockRaw+100) // two blocks
	rand.NewChaCha8([32]byte{3}).Read(noise)
	arts := testArticles(6)
	arts[0].Body = noise
	key := testKey(1)
	f := takeApart(t, packBytes(t, PackOptions{Key: key, Seq: 1, Created: testTime}, arts), key)
	for i := range f.pages[0] {
		if f.pages[0][i].Id == arts[0].ID {
			f.pages[0][i].Cid, _ = PrefixRaw.Sum([]byte("something else"))
		}
	}
	b, err := openBytes(f.build(t), OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r, err := b.BodyReader(arts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if !errors.Is(err, ErrHashMismatch) || !errors.Is(err, ErrInvalid) {
		t.Errorf("ReadAll() = %v, want ErrHashMismatch", err)
	}
	if len(got) != MaxBlockRaw {
		t.Errorf("read %d bytes before the error, want %d: the first block's", len(got), MaxBlockRaw)
	}
}

// TestReaderReadsOnlyWhatIsRead: reading the first bytes of a body of
// several blocks asks the block source for its first block only.
func TestReaderReadsOnlyWhatIsRead(t *testing.T) {
	noise := make([]byte, 4*MaxBlockRaw)
	rand.NewChaCha8([32]byte{4}).Read(noise)
	arts := testArticles(1)
	arts[0].Body = noise
	file, err := openBytes(packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, arts), OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	asked := 0
	b, err := OpenBlocks(file.Root, func(c cid.Cid) ([]byte, error) {
		asked++
		return file.Block(c)
	}, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.BodyReader(arts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	asked = 0
	got := make([]byte, 1000)
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, noise[:len(got)]) {
		t.Error("the first bytes differ from the body's")
	}
	if asked != 1 {
		t.Errorf("reading 1000 bytes asked for %d blocks, want 1", asked)
	}
}
