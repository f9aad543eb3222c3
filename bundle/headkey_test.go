package bundle

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"
)

// TestAuthorityHeadKeys: head keys round-trip, a document without them
// keeps its old form, and AuthorizeHead applies the document's rule.
func TestAuthorityHeadKeys(t *testing.T) {
	root, hk, other, retired := testKey(1), testKey(4), testKey(5), testKey(6)
	until := time.Unix(1900000000, 0).UTC()
	doc, err := NewAuthority(root, AuthorityParams{Seq: 3, Created: time.Unix(1800000000, 0),
		Keys:     []ed25519.PublicKey{pub(testKey(2))},
		Revoked:  []Revocation{{Key: pub(retired), After: 9}},
		HeadKeys: []HeadKey{{Key: pub(hk), Until: until}, {Key: pub(retired), Until: until}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseAuthorityFile(doc.Bytes())
	if err != nil || len(got.HeadKeys) != 2 || !got.HeadKeys[0].Key.Equal(pub(hk)) || !got.HeadKeys[0].Until.Equal(until) {
		t.Fatalf("ParseAuthorityFile() = %+v, %v", got, err)
	}
	tests := []struct {
		name    string
		key     ed25519.PublicKey
		expires time.Time
		want    error
	}{
		{"listed, within its window", pub(hk), until.Add(-time.Hour), nil},
		{"listed, at the end of its window", pub(hk), until, nil},
		{"listed, past its window", pub(hk), until.Add(time.Second), ErrKeyNotAuthorized},
		{"not listed", pub(other), until.Add(-time.Hour), ErrKeyNotAuthorized},
		{"a bundle key is no head key", pub(testKey(2)), until.Add(-time.Hour), ErrKeyNotAuthorized},
		{"listed but revoked, whatever the cut-off", pub(retired), until.Add(-time.Hour), ErrKeyRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := got.AuthorizeHead(tt.key, tt.expires); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("AuthorizeHead() = %v, want %v", err, tt.want)
			}
		})
	}
	// Without head keys the document has the form it had before them: no
	// "heads" key at all.
	plain, err := NewAuthority(root, AuthorityParams{Seq: 3, Created: time.Unix(1800000000, 0), Keys: []ed25519.PublicKey{pub(testKey(2))}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain.Bytes(), []byte("heads")) {
		t.Errorf("a document without head keys encodes a heads field")
	}
	if len(plain.HeadKeys) != 0 {
		t.Errorf("HeadKeys = %v, want none", plain.HeadKeys)
	}
}
