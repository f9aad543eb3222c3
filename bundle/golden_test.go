package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/dict"
)

var update = flag.Bool("update", false, "rewrite the golden test vectors in testdata/")

// vector is the description of a test vector stored beside its CAR file:
// everything an independent implementation needs to check itself.
type vector struct {
	KeySeedHex string      `json:"key_seed_hex"`
	Publisher  string      `json:"publisher"`
	Seq        uint64      `json:"seq"`
	Created    string      `json:"created"`
	Options    string      `json:"options"`
	Root       string      `json:"root"`
	SHA256     string      `json:"sha256"`
	Size       int         `json:"size"`
	Articles   []InfoJSON  `json:"articles"`
	Blocks     []string    `json:"blocks"`
	Authority  *authVector `json:"authority,omitempty"`
}

type authVector struct {
	KeySeedHex string `json:"signing_key_seed_hex"`
	CID        string `json:"cid"`
}

// TestGoldenVectors packs fixed articles with fixed keys and times and
// compares the bytes with testdata/vectors. A change here is a format
// change: it needs a version bump or a very good reason (go test -update).
func TestGoldenVectors(t *testing.T) {
	root, daily := testKey(1), testKey(2)
	auth, err := NewAuthority(root, AuthorityParams{Seq: 1, Created: testTime, Name: "Test News", Keys: []ed25519.PublicKey{pub(daily)}})
	if err != nil {
		t.Fatal(err)
	}
	arts := testArticles(8)
	arts[1].Attachments = []Attachment{{Name: "img/dot.gif", ContentType: "image/gif",
		Data: []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")}}
	// The dictionary trainer is not deterministic, so the dictionary
	// vector keeps its trained dictionary in testdata.
	dictPath := filepath.Join("testdata", "vectors", "v1-dictionary.dict")
	if _, err := os.Stat(dictPath); *update && err != nil { // made once, then kept
		var samples [][]byte
		for _, a := range testArticles(400) {
			samples = append(samples, a.Body)
		}
		d, err := dict.BuildZstdDict(samples, dict.Options{MaxDictSize: 4 << 10, HashBytes: 6, ZstdDictID: 40000})
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(dictPath), 0o755)
		if err := os.WriteFile(dictPath, d, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dictBytes, err := os.ReadFile(dictPath)
	if err != nil {
		t.Fatalf("%v (run go test -update to create the vectors)", err)
	}
	// One article larger than a block: its body spans two blocks.
	big := *arts[2]
	big.ID, big.Body = "big-0001", bytes.Repeat([]byte("A long report, paragraph after paragraph. "), (MaxBlockRaw*3/2)/42)
	withBig := append(append([]*Article{}, arts...), &big)
	cases := []struct {
		name    string
		opts    PackOptions
		arts    []*Article
		desc    string
		withDoc bool
	}{
		{"v1-root-signed", PackOptions{Key: root, Seq: 1, Created: testTime, Level: LevelDefault}, arts, "level default, one block per article, no dictionary", false},
		{"v1-delegated-clustered", PackOptions{Key: daily, Authority: auth, Seq: 2, Created: testTime, Cluster: 4096, Level: LevelBest}, arts,
			"level best, cluster 4096, signed by a delegated key", true},
		{"v1-dictionary", PackOptions{Key: root, Seq: 3, Created: testTime, Dict: dictBytes, Level: LevelFastest}, withBig,
			"level fastest, dictionary v1-dictionary.dict, one article of two blocks", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := packBytes(t, tc.opts, tc.arts)
			b, err := openBytes(data, OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			sum := sha256.Sum256(data)
			v := vector{
				KeySeedHex: hex.EncodeToString(root.Seed()), Publisher: b.Publisher, Seq: b.Seq,
				Created: testTime.Format("2006-01-02T15:04:05Z07:00"), Options: tc.desc, Root: b.Root.String(),
				SHA256: hex.EncodeToString(sum[:]), Size: len(data),
			}
			for _, a := range b.List() {
				v.Articles = append(v.Articles, a.JSON())
			}
			for _, c := range b.Blocks() {
				v.Blocks = append(v.Blocks, c.String())
			}
			if tc.withDoc {
				v.Authority = &authVector{KeySeedHex: hex.EncodeToString(daily.Seed()), CID: auth.CID().String()}
			}
			carPath := filepath.Join("testdata", "vectors", tc.name+".car")
			jsonPath := filepath.Join("testdata", "vectors", tc.name+".json")
			js, _ := json.MarshalIndent(v, "", "  ")
			js = append(js, '\n')
			if *update {
				os.MkdirAll(filepath.Dir(carPath), 0o755)
				if err := os.WriteFile(carPath, data, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(jsonPath, js, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantCAR, err := os.ReadFile(carPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to create the vectors)", err)
			}
			wantJSON, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(wantJSON), string(js)); diff != "" {
				t.Errorf("vector description changed (-want +got):\n%s", diff)
			}
			if !bytes.Equal(wantCAR, data) {
				t.Errorf("bundle bytes differ from %s", carPath)
			}
			// The stored vector must itself verify.
			if err := openAndVerify(wantCAR, OpenOptions{Publisher: v.Publisher}); err != nil {
				t.Errorf("stored vector does not verify: %v", err)
			}
		})
	}
}

// TestKeyRotation walks a newsroom through delegation, rotation and
// revocation.
func TestKeyRotation(t *testing.T) {
	root, oldKey, newKey := testKey(1), testKey(2), testKey(3)
	id := PublisherID(pub(root))
	doc1, err := NewAuthority(root, AuthorityParams{Seq: 1, Created: testTime, Keys: []ed25519.PublicKey{pub(oldKey)}})
	if err != nil {
		t.Fatal(err)
	}
	arts := testArticles(3)
	b5 := packBytes(t, PackOptions{Key: oldKey, Authority: doc1, Seq: 5, Created: testTime}, arts)
	if err := openAndVerify(b5, OpenOptions{Publisher: id}); err != nil {
		t.Fatalf("bundle 5 by the delegated key: %v", err)
	}
	// The old key is retired after bundle 5 and a new key takes over.
	doc2, err := NewAuthority(root, AuthorityParams{Seq: 2, Created: testTime, Keys: []ed25519.PublicKey{pub(newKey)},
		Revoked: []Revocation{{Key: pub(oldKey), After: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewPacker(PackOptions{Key: oldKey, Authority: doc2, Seq: 6}); !errors.Is(err, ErrKeyRevoked) {
		t.Errorf("NewPacker(revoked key) = %v, want ErrKeyRevoked", err)
	}
	// A thief with the old key makes bundle 6 carrying the old document.
	stolen := packBytes(t, PackOptions{Key: oldKey, Authority: doc1, Seq: 6, Created: testTime}, arts)
	if err := openAndVerify(stolen, OpenOptions{Publisher: id, Authority: doc2}); !errors.Is(err, ErrKeyRevoked) {
		t.Errorf("revoked key's new bundle = %v, want ErrKeyRevoked", err)
	}
	if err := openAndVerify(b5, OpenOptions{Publisher: id, Authority: doc2}); err != nil {
		t.Errorf("bundle 5, signed before retirement = %v, want valid", err)
	}
	b6 := packBytes(t, PackOptions{Key: newKey, Authority: doc2, Seq: 6, Created: testTime}, arts)
	if err := openAndVerify(b6, OpenOptions{Publisher: id, Authority: doc1}); err != nil {
		t.Errorf("new key's bundle, reader knows only doc 1 = %v, want valid (the bundle carries doc 2)", err)
	}
	// Compromise: revoking with After 0 withdraws every bundle of the key.
	doc3, err := NewAuthority(root, AuthorityParams{Seq: 3, Created: testTime, Keys: []ed25519.PublicKey{pub(newKey)},
		Revoked: []Revocation{{Key: pub(oldKey)}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := openAndVerify(b5, OpenOptions{Publisher: id, Authority: doc3}); !errors.Is(err, ErrKeyRevoked) {
		t.Errorf("bundle of a compromised key = %v, want ErrKeyRevoked", err)
	}
	// A document signed by someone other than the root is not an authority.
	forgedDoc, err := NewAuthority(testKey(9), AuthorityParams{Seq: 9, Created: testTime, Keys: []ed25519.PublicKey{pub(oldKey)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := openAndVerify(stolen, OpenOptions{Publisher: id, Authority: forgedDoc}); err != nil {
		// another publisher's document is ignored, doc1 in the bundle rules
		t.Errorf("foreign document should be ignored, got %v", err)
	}
}

func TestPublisherID(t *testing.T) {
	k := testKey(1)
	id := PublisherID(pub(k))
	if len(id) != 52 || id[:8] != "12D3KooW" {
		t.Errorf("PublisherID() = %q, want a 52-character 12D3KooW... peer ID", id)
	}
	got, err := ParsePublisherID(id)
	if err != nil || !got.Equal(pub(k)) {
		t.Errorf("ParsePublisherID(%q) = %v, %v", id, got, err)
	}
	for _, bad := range []string{"", "hello", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", id[:51]} {
		if _, err := ParsePublisherID(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParsePublisherID(%q) = %v, want ErrBadKey", bad, err)
		}
	}
	pemData, err := MarshalPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ParsePrivateKey(pemData)
	if err != nil || !k2.Equal(k) {
		t.Errorf("ParsePrivateKey(MarshalPrivateKey(k)) = %v", err)
	}
}
