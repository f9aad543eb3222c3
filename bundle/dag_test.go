package bundle

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
	"github.com/samizdat/samizdat/internal/corpus"
)

// TestDAGComplete: every block of a bundle file is reachable from the root
// by IPLD links and every link resolves inside the file, which is what an
// IPFS node needs to import the CAR and pin its root.
func TestDAGComplete(t *testing.T) {
	root, daily := testKey(1), testKey(2)
	auth, err := NewAuthority(root, AuthorityParams{Seq: 1, Keys: []ed25519.PublicKey{pub(daily)}})
	if err != nil {
		t.Fatal(err)
	}
	arts := corpusArticles(300)
	arts[0].Attachments = []Attachment{{Name: "a.png", ContentType: "image/png", Data: []byte("png")}}
	data := packBytes(t, PackOptions{Key: daily, Authority: auth, Seq: 1, Created: testTime}, arts)
	b, err := openBytes(data, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Dictionary() == nil {
		t.Fatal("want a bundle with a dictionary")
	}
	car := b.src.(*carSource)
	reached := map[cid.Cid]bool{}
	queue := []cid.Cid{b.Root}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if reached[c] {
			continue
		}
		reached[c] = true
		data, err := car.get(c, MaxBlockSize, nil)
		if err != nil {
			t.Fatalf("link to %s does not resolve in the file: %v", c, err)
		}
		if c.Prefix().Codec != cid.DagCBOR {
			continue
		}
		nb := basicnode.Prototype.Any.NewBuilder()
		if err := (dagcbor.DecodeOptions{AllowLinks: true}).Decode(nb, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		queue = append(queue, links(nb.Build())...)
	}
	for _, c := range car.order {
		if !reached[c] {
			t.Errorf("block %s is not reachable from the root", c)
		}
	}
	if len(reached) != len(car.order) {
		t.Errorf("reached %d blocks, the file holds %d", len(reached), len(car.order))
	}
}

func links(n datamodel.Node) []cid.Cid {
	var out []cid.Cid
	switch n.Kind() {
	case datamodel.Kind_Link:
		l, _ := n.AsLink()
		out = append(out, l.(cidlink.Link).Cid)
	case datamodel.Kind_Map:
		mi := n.MapIterator()
		for !mi.Done() {
			_, v, _ := mi.Next()
			out = append(out, links(v)...)
		}
	case datamodel.Kind_List:
		li := n.ListIterator()
		for !li.Done() {
			_, v, _ := li.Next()
			out = append(out, links(v)...)
		}
	}
	return out
}

func corpusArticles(n int) []*Article {
	var out []*Article
	for _, d := range corpus.Generate(3, n, 2<<10, 8<<10) {
		out = append(out, &Article{ID: d.ID, Title: d.Title, Lang: d.Lang, Published: d.Published, URL: d.URL,
			ContentType: "text/markdown", Body: []byte(d.Body)})
	}
	return out
}

// TestRepackStability: re-packing a changed corpus with the previous
// bundle's dictionary keeps every unchanged article's block identical.
func TestRepackStability(t *testing.T) {
	arts := corpusArticles(300)
	first := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, arts)
	b1, err := openBytes(first, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b1.Dictionary() == nil {
		t.Fatal("want a bundle with a dictionary")
	}
	changed := append([]*Article{}, arts[:7]...)
	changed = append(changed, arts[8:]...) // one removed
	edited := *changed[5]
	edited.Body = append(bytes.Clone(edited.Body), "\n\nCorrection: the vote was on Wednesday."...)
	changed[5] = &edited
	changed = append(changed, &Article{ID: "new-1", Lang: "en", ContentType: "text/plain", Body: []byte("A new report.")})
	second := packBytes(t, PackOptions{Key: testKey(1), Seq: 2, Created: testTime, Dict: b1.Dictionary()}, changed)
	b2, err := openBytes(second, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	blockOf := func(b *Bundle, id string) cid.Cid { return b.entries[b.byID[id]].Body[0].Block }
	same := 0
	for _, a := range changed {
		if a.ID == edited.ID || a.ID == "new-1" {
			if _, ok := b1.byID[a.ID]; ok && blockOf(b1, a.ID) == blockOf(b2, a.ID) {
				t.Errorf("edited article %s kept its old block", a.ID)
			}
			continue
		}
		if blockOf(b1, a.ID) != blockOf(b2, a.ID) {
			t.Errorf("unchanged article %s got a new block", a.ID)
		}
		same++
	}
	if same != len(changed)-2 {
		t.Errorf("checked %d unchanged articles, want %d", same, len(changed)-2)
	}
}
