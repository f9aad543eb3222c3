package bundle

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

// signAuthorityPayload signs pl with root as NewAuthority would, but
// without its checks, so that a test can present what a careless or
// hostile signer could write.
func signAuthorityPayload(t *testing.T, root ed25519.PrivateKey, pl authorityPayload) []byte {
	t.Helper()
	msg, err := encodeNode(&pl, protoAuthPayload)
	if err != nil {
		t.Fatal(err)
	}
	doc := authority{Payload: pl, Sig: ed25519.Sign(root, append([]byte(sigContextAuthority), msg...))}
	_, data, err := makeBlock(&doc, protoAuthority)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestAuthorityMirrors: a mirror list round-trips in its order, a
// document without one keeps the form it had before mirror lists, and
// both the signer and the reader refuse a list that breaks the rule.
func TestAuthorityMirrors(t *testing.T) {
	root := testKey(1)
	mirrors := []string{"https://mirror.example.org/news", "/dns4/m.example.net/tcp/443/tls/ws/p2p/12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5", "tor:future-kind"}
	doc, err := NewAuthority(root, AuthorityParams{Seq: 2, Created: time.Unix(1800000000, 0), Mirrors: mirrors})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseAuthorityFile(doc.Bytes())
	if err != nil || strings.Join(got.Mirrors, " ") != strings.Join(mirrors, " ") {
		t.Fatalf("ParseAuthorityFile() = %q, %v; want %q", got.Mirrors, err, mirrors)
	}
	plain, err := NewAuthority(root, AuthorityParams{Seq: 2, Created: time.Unix(1800000000, 0), Mirrors: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain.Bytes(), []byte("mirrors")) || len(plain.Mirrors) != 0 {
		t.Errorf("a document without mirrors encodes a mirrors field, or lists %q", plain.Mirrors)
	}

	long := "https://" + strings.Repeat("a", MaxMirrorLen-len("https://"))
	many := make([]string, MaxMirrors+1)
	for i := range many {
		many[i] = "https://m" + strings.Repeat("x", i) + ".example"
	}
	tests := []struct {
		name    string
		mirrors []string
		ok      bool
	}{
		{"the longest entry", []string{long}, true},
		{"the most entries", many[:MaxMirrors], true},
		{"an entry too long", []string{long + "a"}, false},
		{"too many entries", many, false},
		{"an empty entry", []string{""}, false},
		{"a space", []string{"https://a.example/b c"}, false},
		{"a control byte", []string{"https://a.example/\n"}, false},
		{"not ASCII", []string{"https://пример.example"}, false},
		{"a DEL byte", []string{"https://a.example/\x7f"}, false},
		{"listed twice", []string{"https://a.example", "https://a.example"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewAuthority(root, AuthorityParams{Seq: 1, Mirrors: tt.mirrors})
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Errorf("NewAuthority() = %v, want ok %v", err, tt.ok)
			}
			// The reader's check, on a document signed without the
			// signer's.
			m := tt.mirrors
			data := signAuthorityPayload(t, root, authorityPayload{V: FormatVersion, Type: typeAuthority,
				Publisher: PublisherID(pub(root)), Seq: 1, Keys: [][]byte{}, Revoked: []revocation{}, Mirrors: &m})
			_, err = ParseAuthorityFile(data)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrMalformed)) {
				t.Errorf("ParseAuthorityFile() = %v, want ok %v", err, tt.ok)
			}
		})
	}
	// An empty list is written as no field at all; present and empty is
	// not canonical.
	empty := []string{}
	data := signAuthorityPayload(t, root, authorityPayload{V: FormatVersion, Type: typeAuthority,
		Publisher: PublisherID(pub(root)), Seq: 1, Keys: [][]byte{}, Revoked: []revocation{}, Mirrors: &empty})
	if _, err := ParseAuthorityFile(data); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseAuthorityFile(empty mirrors) = %v, want ErrMalformed", err)
	}
}
