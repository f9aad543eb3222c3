package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestCheckEntry is the table of the one check of an article's metadata;
// TestAddChecksEntry and TestOpenChecksEntry show that the packer and the
// reader go through it.
func TestCheckEntry(t *testing.T) {
	valid := func() *entry {
		return &entry{
			Id: "en-1", Title: "Budget passed", Lang: "en", Url: "https://news.example.org/1", Authors: []string{"Desk"},
			Summary: "The council voted.", ContentType: "text/markdown",
			Attachments: []attachmentEntry{{Name: "img/a.png", ContentType: "image/png"}, {Name: "b.png", ContentType: "image/png"}},
		}
	}
	long := func(n int) string { return strings.Repeat("x", n+1) }
	tests := []struct {
		name   string
		change func(e *entry)
		spans  int
		want   error // nil: accepted
	}{
		{"valid", func(e *entry) {}, 1, nil},
		{"no content type", func(e *entry) { e.ContentType = "" }, 1, nil}, // writers must set it, readers accept it
		{"no attachments", func(e *entry) { e.Attachments = nil }, 1, nil},
		{"every field at its limit", func(e *entry) {
			e.Id, e.Title, e.Lang, e.Url = long(MaxIDLen-1), long(MaxTitleLen-1), long(MaxLangLen-1), long(MaxURLLen-1)
			e.Summary, e.ContentType = long(MaxSummaryLen-1), long(MaxContentTypeLen-1)
			e.Authors = make([]string, MaxAuthors)
			e.Authors[0] = long(MaxAuthorLen - 1)
		}, MaxSpans, nil},
		{"empty id", func(e *entry) { e.Id = "" }, 1, ErrMalformed},
		{"id over its limit", func(e *entry) { e.Id = long(MaxIDLen) }, 1, ErrMalformed},
		{"id not UTF-8", func(e *entry) { e.Id = "\xff" }, 1, ErrMalformed},
		{"title over its limit", func(e *entry) { e.Title = long(MaxTitleLen) }, 1, ErrTooLarge},
		{"lang over its limit", func(e *entry) { e.Lang = long(MaxLangLen) }, 1, ErrTooLarge},
		{"url over its limit", func(e *entry) { e.Url = long(MaxURLLen) }, 1, ErrTooLarge},
		{"summary over its limit", func(e *entry) { e.Summary = long(MaxSummaryLen) }, 1, ErrTooLarge},
		{"content type over its limit", func(e *entry) { e.ContentType = long(MaxContentTypeLen) }, 1, ErrTooLarge},
		{"too many authors", func(e *entry) { e.Authors = make([]string, MaxAuthors+1) }, 1, ErrTooLarge},
		{"author name over its limit", func(e *entry) { e.Authors = []string{"Desk", long(MaxAuthorLen)} }, 1, ErrTooLarge},
		{"title not UTF-8", func(e *entry) { e.Title = "\xff" }, 1, ErrMalformed},
		{"author not UTF-8", func(e *entry) { e.Authors = []string{"\xff"} }, 1, ErrMalformed},
		{"too many spans", func(e *entry) {}, MaxSpans + 1, ErrTooLarge},
		{"article at its size limit", func(e *entry) {
			e.Size, e.Attachments[0].Size, e.Attachments[1].Size = MaxArticleSize-2, 1, 1
		}, 1, nil},
		{"body over the article size limit", func(e *entry) { e.Size = MaxArticleSize + 1 }, 1, ErrTooLarge},
		{"body and attachments over the article size limit", func(e *entry) {
			e.Size, e.Attachments[0].Size, e.Attachments[1].Size = MaxArticleSize-2, 1, 2
		}, 1, ErrTooLarge},
		{"sizes that would overflow a sum", func(e *entry) {
			e.Size, e.Attachments[0].Size, e.Attachments[1].Size = math.MaxInt64, math.MaxInt64, math.MaxInt64
		}, 1, ErrTooLarge},
		{"too many attachments", func(e *entry) {
			e.Attachments = nil
			for i := range MaxAttachments + 1 {
				e.Attachments = append(e.Attachments, attachmentEntry{Name: fmt.Sprint(i)})
			}
		}, 1, ErrTooLarge},
		{"attachment name escapes", func(e *entry) { e.Attachments[1].Name = "../x" }, 1, ErrUnsafePath},
		{"attachment name escapes, malformed", func(e *entry) { e.Attachments[1].Name = "/etc/x" }, 1, ErrMalformed},
		{"attachment name not clean", func(e *entry) { e.Attachments[1].Name = "img//a.png" }, 1, ErrUnsafePath},
		{"attachment twice", func(e *entry) { e.Attachments[1].Name = e.Attachments[0].Name }, 1, ErrMalformed},
		{"attachment content type not UTF-8", func(e *entry) { e.Attachments[1].ContentType = "\xff" }, 1, ErrMalformed},
		{"attachment content type over its limit", func(e *entry) { e.Attachments[1].ContentType = long(MaxContentTypeLen) }, 1, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := valid()
			tc.change(e)
			err := checkEntry(e, tc.spans)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("checkEntry() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalid) {
				t.Errorf("checkEntry() = %v, want %v (and ErrInvalid)", err, tc.want)
			}
		})
	}
}

func TestAddChecksEntry(t *testing.T) {
	tests := []struct {
		name   string
		change func(a *Article)
		want   error
	}{
		{"title over its limit", func(a *Article) { a.Title = strings.Repeat("x", MaxTitleLen+1) }, ErrTooLarge},
		{"author not UTF-8", func(a *Article) { a.Authors = []string{"\xff"} }, ErrMalformed},
		{"attachment name escapes", func(a *Article) { a.Attachments = []Attachment{{Name: "../x", ContentType: "image/png"}} }, ErrUnsafePath},
		{"attachment twice", func(a *Article) {
			a.Attachments = []Attachment{{Name: "a.png", ContentType: "image/png"}, {Name: "a.png", ContentType: "image/png"}}
		}, ErrMalformed},
		// A rule for writers only: the reader accepts such an entry.
		{"no content type", func(a *Article) { a.ContentType = "" }, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPacker(PackOptions{Key: testKey(1), Seq: 1, TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			a := testArticles(1)[0]
			tc.change(a)
			err = p.Add(a)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Add() = %v, want %v", err, tc.want)
			}
			if e, ok := errors.AsType[*Error](err); !ok || e.Object != a.ID {
				t.Errorf("Add() = %v, want an *Error naming article %q", err, a.ID)
			}
		})
	}
}

func TestOpenChecksEntry(t *testing.T) {
	key := testKey(1)
	arts := testArticles(2)
	arts[0].Attachments = []Attachment{{Name: "a.png", ContentType: "image/png", Data: []byte("png")}}
	good := packBytes(t, PackOptions{Key: key, Seq: 1, Created: testTime}, arts)
	tests := []struct {
		name   string
		change func(e *entry)
		want   error
	}{
		{"no content type", func(e *entry) { e.ContentType = "" }, nil},
		{"title over its limit", func(e *entry) { e.Title = strings.Repeat("x", MaxTitleLen+1) }, ErrTooLarge},
		{"author name over its limit", func(e *entry) { e.Authors = []string{strings.Repeat("x", MaxAuthorLen+1)} }, ErrTooLarge},
		{"attachment twice", func(e *entry) { e.Attachments = append(e.Attachments, e.Attachments[0]) }, ErrMalformed},
		{"attachment content type over its limit", func(e *entry) {
			e.Attachments[0].ContentType = strings.Repeat("x", MaxContentTypeLen+1)
		}, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := takeApart(t, good, key)
			attBytes := func(e *entry) (n int64) {
				for _, a := range e.Attachments {
					n += a.Size
				}
				return n
			}
			for i := range f.pages[0] {
				if e := &f.pages[0][i]; len(e.Attachments) > 0 {
					before := attBytes(e)
					tc.change(e)
					f.payload.Bytes += attBytes(e) - before // the totals stay right: only the change is wrong
				}
			}
			err := openAndVerify(f.build(t), OpenOptions{})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Open+Verify() = %v, want success", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("Open+Verify() = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestPackedSpans: what Add checks against MaxSpans is what Pack writes.
func TestPackedSpans(t *testing.T) {
	tests := []struct {
		name    string
		body    int
		atts    []int
		cluster int
	}{
		{"empty body", 0, nil, 0},
		{"small body", 10, nil, 0},
		{"body of two blocks", MaxBlockRaw + 1, nil, 0},
		{"empty and small attachments", 10, []int{0, 10}, 0},
		{"attachment of two blocks", 10, []int{MaxBlockRaw + 1}, 0},
		{"clustered", 10, []int{0, 10}, 4096},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &Article{ID: "a", ContentType: "text/plain", Body: bytes.Repeat([]byte("b"), tc.body)}
			for i, n := range tc.atts {
				a.Attachments = append(a.Attachments, Attachment{Name: fmt.Sprint(i), Data: bytes.Repeat([]byte("a"), n)})
			}
			b, err := openBytes(packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Cluster: tc.cluster, NoDict: true}, []*Article{a}), OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			e := b.entries[0]
			got := len(e.Body)
			for _, at := range e.Attachments {
				got += len(at.Body)
			}
			if want := packedSpans(a); got != want {
				t.Errorf("packed %d spans, packedSpans() = %d", got, want)
			}
		})
	}
}
