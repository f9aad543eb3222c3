package bundle

import (
	"bytes"
	"errors"
	"io"
	"maps"

	"crypto/ed25519"
	"fmt"
	"github.com/ipfs/go-cid"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// testKey is a fixed key: bundles made with it are reproducible.
func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

var testTime = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// testArticles returns n small articles in several scripts.
func testArticles(n int) []*Article {
	texts := []struct{ lang, text string }{
		{"en", "The city council approved the new budget on Tuesday after a long debate about schools and roads."},
		{"ru", "Городской совет во вторник утвердил новый бюджет после долгих споров о школах и дорогах."},
		{"ar", "وافق مجلس المدينة يوم الثلاثاء على الميزانية الجديدة بعد نقاش طويل حول المدارس والطرق."},
		{"zh", "市议会周二在就学校和道路问题进行长时间辩论后批准了新预算。"},
	}
	var out []*Article
	for i := range n {
		t := texts[i%len(texts)]
		body := fmt.Sprintf("# Report %d\n\n%s\n", i, strings.Repeat(t.text+" ", 3+i%7))
		out = append(out, &Article{
			ID: fmt.Sprintf("%s-%04d", t.lang, i), Title: fmt.Sprintf("Report %d", i), Lang: t.lang,
			Published: testTime.Add(-time.Duration(i) * time.Hour), URL: fmt.Sprintf("https://news.example.org/%s/%d", t.lang, i),
			Authors: []string{"Desk"}, ContentType: "text/markdown", Body: []byte(body),
		})
	}
	return out
}

func packBytes(t testing.TB, opts PackOptions, arts []*Article) []byte {
	t.Helper()
	p, err := NewPacker(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, a := range arts {
		if err := p.Add(a); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := p.Pack(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openBytes(data []byte, opts OpenOptions) (*Bundle, error) {
	return OpenReader(bytes.NewReader(data), int64(len(data)), opts)
}

func TestRoundTrip(t *testing.T) {
	noise := make([]byte, MaxBlockRaw*3/2) // incompressible, two blocks
	rand.NewChaCha8([32]byte{1}).Read(noise)
	for _, tc := range []struct {
		name string
		opts PackOptions
		n    int
	}{
		{"per-article", PackOptions{}, 200},
		{"clustered", PackOptions{Cluster: 4096, Level: LevelBest}, 200},
		{"no-dict", PackOptions{NoDict: true, Level: LevelFastest}, 200},
		{"many pages", PackOptions{Cluster: 1 << 20}, 600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arts := testArticles(tc.n)
			for _, a := range arts {
				a.Summary = strings.Repeat("s", 2000) // about 1 MiB of manifest for 600 articles
			}
			arts[3].Attachments = []Attachment{{Name: "img/map.png", ContentType: "image/png", Data: bytes.Repeat([]byte{1, 2, 3}, 500)}}
			arts[4].Body = noise
			arts[5].Body = nil // empty bodies, also at the start of a cluster
			arts[9].Body = nil
			arts[9].Lang = "aa"
			tc.opts.Key, tc.opts.Seq, tc.opts.Created = testKey(1), 7, testTime
			data := packBytes(t, tc.opts, arts)
			b, err := openBytes(data, OpenOptions{Publisher: PublisherID(testKey(1).Public().(ed25519.PublicKey))})
			if err != nil {
				t.Fatalf("Open() = %v", err)
			}
			defer b.Close()
			if b.Seq != 7 || b.Articles != tc.n || !b.Created.Equal(testTime) {
				t.Errorf("Info = %+v", b.Info)
			}
			if err := b.Verify(); err != nil {
				t.Fatalf("Verify() = %v", err)
			}
			var again bytes.Buffer
			if err := b.WriteCAR(&again); err != nil {
				t.Fatalf("WriteCAR() = %v", err)
			}
			if !bytes.Equal(again.Bytes(), data) {
				t.Errorf("WriteCAR() wrote %d bytes that differ from the packed %d", again.Len(), len(data))
			}
			for _, a := range arts {
				got, err := b.Article(a.ID)
				if err != nil {
					t.Fatalf("Article(%q) = %v", a.ID, err)
				}
				if !bytes.Equal(got.Body, a.Body) || got.Title != a.Title || got.Lang != a.Lang || !got.Published.Equal(a.Published) {
					t.Errorf("Article(%q) differs from what was packed", a.ID)
				}
				if len(got.Attachments) != len(a.Attachments) {
					t.Errorf("Article(%q) has %d attachments, want %d", a.ID, len(got.Attachments), len(a.Attachments))
				}
			}
			if _, err := b.Body("nope"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Body(nope) = %v, want ErrNotFound", err)
			}
			// Clusters never mix languages.
			langOf := map[string]string{}
			for _, e := range b.entries {
				for _, sp := range e.Body {
					if sp.Len == 0 {
						continue // identical (empty) content is deduplicated
					}
					if l, ok := langOf[sp.Block.KeyString()]; ok && l != e.Lang {
						t.Errorf("block %s holds articles in %s and %s", sp.Block, l, e.Lang)
					}
					langOf[sp.Block.KeyString()] = e.Lang
				}
			}
			if tc.n > 500 && len(b.meta) < 4 {
				t.Errorf("%d articles fit in %d metadata blocks; want several manifest pages", tc.n, len(b.meta))
			}
		})
	}
}

// TestOpenBlocks opens a bundle from a block getter, as the network does,
// and checks that only what the envelope reaches is asked for, that lying
// getters are caught, and that the re-assembled file is identical.
func TestOpenBlocks(t *testing.T) {
	arts := testArticles(20)
	arts[2].Attachments = []Attachment{{Name: "a.png", ContentType: "image/png", Data: []byte("png bytes")}}
	data := packBytes(t, PackOptions{Key: testKey(1), Seq: 4, Created: testTime}, arts)
	file, err := openBytes(data, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	store := map[cid.Cid][]byte{}
	for _, c := range file.Blocks() {
		store[c], _ = file.Block(c)
	}
	var asked []cid.Cid
	get := func(c cid.Cid) ([]byte, error) {
		asked = append(asked, c)
		if d, ok := store[c]; ok {
			return d, nil
		}
		return nil, errors.New("not here")
	}
	b, err := OpenBlocks(file.Root, get, OpenOptions{Publisher: file.Publisher})
	if err != nil {
		t.Fatalf("OpenBlocks() = %v", err)
	}
	if len(asked) != len(file.meta) {
		t.Errorf("OpenBlocks asked for %d blocks, want only the %d metadata blocks", len(asked), len(file.meta))
	}
	var buf bytes.Buffer
	if err := b.WriteCAR(&buf); err != nil {
		t.Fatalf("WriteCAR() = %v", err)
	}
	if !bytes.Equal(buf.Bytes(), data) {
		t.Errorf("bundle assembled from blocks differs from the packed file")
	}

	// A getter that substitutes a content block: caught when read.
	victim := file.entries[0].Body[0].Block
	store[victim] = []byte("garbage")
	b2, err := OpenBlocks(file.Root, get, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.WriteCAR(io.Discard); !errors.Is(err, ErrHashMismatch) {
		t.Errorf("WriteCAR() with a substituted block = %v, want ErrHashMismatch", err)
	}
	// A getter that substitutes metadata: caught at open.
	store[file.manifest] = []byte("garbage")
	if _, err := OpenBlocks(file.Root, get, OpenOptions{}); !errors.Is(err, ErrHashMismatch) {
		t.Errorf("OpenBlocks() with a substituted manifest = %v, want ErrHashMismatch", err)
	}
	delete(store, file.Root)
	if _, err := OpenBlocks(file.Root, get, OpenOptions{}); !errors.Is(err, ErrMissingBlock) {
		t.Errorf("OpenBlocks() without the envelope = %v, want ErrMissingBlock", err)
	}
}

// TestPackProgress: Pack reports its progress from 0 to the total of the
// article bodies, never backwards.
func TestPackProgress(t *testing.T) {
	arts := testArticles(12)
	var want int64
	for _, a := range arts {
		want += int64(len(a.Body))
	}
	var calls [][2]int64
	packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime, Progress: func(done, total int64) {
		calls = append(calls, [2]int64{done, total})
	}}, arts)
	if len(calls) != len(arts)+1 {
		t.Fatalf("Progress called %d times, want %d", len(calls), len(arts)+1)
	}
	for i, c := range calls {
		if c[1] != want || (i > 0 && c[0] < calls[i-1][0]) {
			t.Fatalf("call %d: %v (total of bodies %d)", i, c, want)
		}
	}
	if last := calls[len(calls)-1]; last[0] != want {
		t.Errorf("last call %v, want done = total = %d", last, want)
	}
}

// TestOpenBlocksPrefetch: the prefetch hint names exactly the pages and
// the dictionary, once, after the manifest is verified, and the bundle
// opens as with OpenBlocks.
func TestOpenBlocksPrefetch(t *testing.T) {
	data := packBytes(t, PackOptions{Key: testKey(1), Seq: 4, Created: testTime}, testArticles(300))
	file, err := openBytes(data, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var asked []cid.Cid
	var hints [][]cid.Cid
	get := func(c cid.Cid) ([]byte, error) { asked = append(asked, c); return file.Block(c) }
	b, err := OpenBlocksPrefetch(file.Root, get, func(cs []cid.Cid) {
		if len(asked) < 2 {
			t.Errorf("prefetch before the manifest was read (%d blocks asked)", len(asked))
		}
		hints = append(hints, cs)
	}, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hints) != 1 {
		t.Fatalf("prefetch called %d times, want once", len(hints))
	}
	// meta is envelope, manifest, dictionary, pages (no authority here).
	want := map[cid.Cid]bool{}
	for _, c := range file.meta[2:] {
		want[c] = true
	}
	got := map[cid.Cid]bool{}
	for _, c := range hints[0] {
		got[c] = true
	}
	if !maps.Equal(got, want) || len(want) == 0 {
		t.Errorf("prefetch hint %v, want the dictionary and pages %v", hints[0], file.meta[2:])
	}
	var buf bytes.Buffer
	if err := b.WriteCAR(&buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Errorf("bundle opened with prefetch differs: %v", err)
	}
}
