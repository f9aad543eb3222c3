package bundle_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/samizdat/samizdat/bundle"
)

// A publisher packs two articles; a reader opens the bundle, checks who
// signed it and reads one article.
func Example() {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)) // use bundle.GenerateKey
	p, err := bundle.NewPacker(bundle.PackOptions{Key: key, Seq: 1, Created: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	p.Add(&bundle.Article{ID: "en-1", Title: "Budget passed", Lang: "en", ContentType: "text/plain", Body: []byte("Budget passed\n\nThe council voted.\n")})
	p.Add(&bundle.Article{ID: "ru-1", Title: "Бюджет принят", Lang: "ru", ContentType: "text/plain", Body: []byte("Бюджет принят\n")})
	var file bytes.Buffer
	if _, err := p.Pack(&file); err != nil {
		panic(err)
	}

	publisher := bundle.PublisherID(key.Public().(ed25519.PublicKey))
	b, err := bundle.OpenReader(bytes.NewReader(file.Bytes()), int64(file.Len()), bundle.OpenOptions{Publisher: publisher})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	body, err := b.Body("ru-1")
	if err != nil {
		panic(err)
	}
	fmt.Println(b.Publisher == publisher, b.Seq, b.Articles)
	fmt.Printf("%s", body)
	// Output:
	// true 1 2
	// Бюджет принят
}

// A tampered bundle does not open.
func ExampleOpenReader_tampered() {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	p, _ := bundle.NewPacker(bundle.PackOptions{Key: key, Seq: 1})
	defer p.Close()
	p.Add(&bundle.Article{ID: "a", ContentType: "text/plain", Body: []byte("original")})
	var file bytes.Buffer
	p.Pack(&file)
	data := file.Bytes()
	data[len(data)-2] ^= 1 // the last block: the article body
	b, err := bundle.OpenReader(bytes.NewReader(data), int64(len(data)), bundle.OpenOptions{})
	if err == nil {
		_, err = b.Body("a")
	}
	fmt.Println(err != nil)
	// Output: true
}

// An attachment streamed to a writer (an HTTP response, say) takes memory
// for one block, however large it is.
func ExampleBundle_AttachmentReader() {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	p, _ := bundle.NewPacker(bundle.PackOptions{Key: key, Seq: 1})
	defer p.Close()
	p.Add(&bundle.Article{ID: "a", ContentType: "text/plain", Body: []byte("see the map"),
		Attachments: []bundle.Attachment{{Name: "map.txt", ContentType: "text/plain", Data: []byte("north is up\n")}}})
	var file bytes.Buffer
	p.Pack(&file)
	b, err := bundle.OpenReader(bytes.NewReader(file.Bytes()), int64(file.Len()), bundle.OpenOptions{})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	r, err := b.AttachmentReader("a", "map.txt")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Size())
	if _, err := io.Copy(os.Stdout, r); err != nil {
		panic(err) // an *Error matching bundle.ErrInvalid: stop serving
	}
	// Output:
	// 12
	// north is up
}
