package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
)

// TestNotFound: whatever a bundle lacks, the error matches ErrNotFound,
// and not ErrInvalid: the bundle is fine.
func TestNotFound(t *testing.T) {
	arts := testArticles(2)
	arts[0].Attachments = []Attachment{{Name: "a.png", ContentType: "image/png", Data: []byte("png")}}
	b, err := openBytes(packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, arts), OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	elsewhere, _ := PrefixRaw.Sum([]byte("a block of another bundle"))
	tests := []struct {
		name string
		call func() error
	}{
		{"Lookup", func() error { _, err := b.Lookup("nope"); return err }},
		{"Body", func() error { _, err := b.Body("nope"); return err }},
		{"Article", func() error { _, err := b.Article("nope"); return err }},
		{"Attachment of no article", func() error { _, err := b.Attachment("nope", "a.png"); return err }},
		{"no such Attachment", func() error { _, err := b.Attachment(arts[0].ID, "b.png"); return err }},
		{"BodyReader", func() error { _, err := b.BodyReader("nope"); return err }},
		{"AttachmentReader of no article", func() error { _, err := b.AttachmentReader("nope", "a.png"); return err }},
		{"no such AttachmentReader", func() error { _, err := b.AttachmentReader(arts[0].ID, "b.png"); return err }},
		{"Block", func() error { _, err := b.Block(elsewhere); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalid) {
				t.Errorf("%s() = %v, want ErrNotFound and not ErrInvalid", tc.name, err)
			}
		})
	}
}

// TestConcurrentReads: a Bundle is safe for concurrent use, pooled read
// buffers included: goroutines reading articles at once, whole, through
// a Reader and by Verify, each get exactly the bytes packed.
func TestConcurrentReads(t *testing.T) {
	arts := testArticles(40)
	arts[3].Attachments = []Attachment{{Name: "a.png", ContentType: "image/png", Data: bytes.Repeat([]byte{9}, 5000)}}
	for _, opts := range []PackOptions{
		{Key: testKey(1), Seq: 1, Created: testTime},
		{Key: testKey(1), Seq: 1, Created: testTime, Cluster: 1 << 10},
	} {
		b, err := openBytes(packBytes(t, opts, arts), OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 3 * len(arts) {
					a := arts[(i*7+g)%len(arts)]
					var got []byte
					var err error
					switch i % 3 {
					case 0:
						got, err = b.Body(a.ID)
					case 1:
						var r *Reader
						if r, err = b.BodyReader(a.ID); err == nil {
							got, err = io.ReadAll(r)
						}
					default:
						err = b.Verify()
						got = a.Body
					}
					if err != nil {
						errs <- err
						return
					}
					if !bytes.Equal(got, a.Body) {
						errs <- fmt.Errorf("article %s: read %d bytes, not the %d packed", a.ID, len(got), len(a.Body))
						return
					}
				}
				if got, err := b.Attachment(arts[3].ID, "a.png"); err != nil || !bytes.Equal(got, arts[3].Attachments[0].Data) {
					errs <- fmt.Errorf("attachment: %d bytes, %v", len(got), err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("Cluster %d: %v", opts.Cluster, err)
		}
	}
}
