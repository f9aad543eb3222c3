package ingest

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"io"
	"time"

	"github.com/samizdat/samizdat/bundle"
)

// sourceDomain keeps source digests apart from every other SHA-256 the
// project takes.
const sourceDomain = "samizdat article source v1\x00"

// A Source hashes all that an article is made from into
// bundle.Article.Source: the bytes of its file or page, its attachments'
// and images', where it came from, and the options that shape it. Each
// part is length-prefixed, after a kind that says what the parts are, so
// that no two different lists of parts share an encoding.
type Source struct{ h hash.Hash }

// NewSource starts a source of the given kind.
func NewSource(kind string) *Source {
	s := &Source{sha256.New()}
	io.WriteString(s.h, sourceDomain)
	return s.Text(kind)
}

// Bytes adds one part.
func (s *Source) Bytes(b []byte) *Source {
	s.h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
	s.h.Write(b)
	return s
}

// Text adds one part.
func (s *Source) Text(v string) *Source {
	s.h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(v))))
	io.WriteString(s.h, v)
	return s
}

// Flag adds one part, a yes or a no.
func (s *Source) Flag(v bool) *Source {
	if v {
		return s.Text("1")
	}
	return s.Text("0")
}

// Time adds one part: "" for the zero time, else the time to the
// nanosecond in UTC.
func (s *Source) Time(t time.Time) *Source {
	if t.IsZero() {
		return s.Text("")
	}
	return s.Text(t.UTC().Format(time.RFC3339Nano))
}

// Attachments adds each attachment's name, type and bytes, in order,
// after their number.
func (s *Source) Attachments(list []bundle.Attachment) *Source {
	s.Bytes(binary.BigEndian.AppendUint64(nil, uint64(len(list))))
	for _, at := range list {
		s.Text(at.Name).Text(at.ContentType).Bytes(at.Data)
	}
	return s
}

// Sum returns the digest of the parts added.
func (s *Source) Sum() [sha256.Size]byte {
	var sum [sha256.Size]byte
	s.h.Sum(sum[:0])
	return sum
}
