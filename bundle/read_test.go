package bundle

import (
	"errors"
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
