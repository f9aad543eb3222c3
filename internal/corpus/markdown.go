package corpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrBadLang means a Doc's Lang cannot name a directory: it is empty or
// has characters other than ASCII letters, digits and '-'.
var ErrBadLang = errors.New("corpus: invalid language tag")

// ErrDuplicate means two docs given to WriteDir map to the same file.
var ErrDuplicate = errors.New("corpus: two docs map to the same file")

// Markdown renders d as a markdown file with YAML front matter (--- id,
// title, lang, published, updated (RFC 3339), url, authors (YAML list),
// summary ---) followed by Body.
//
// Strings are YAML double-quoted scalars, so titles with colons, quotes or
// "#" and tags such as "no" stay strings. Times are unquoted RFC 3339 UTC
// timestamps. A blank line separates the front matter from Body. Invalid
// UTF-8 in d is replaced by U+FFFD.
func Markdown(d Doc) []byte {
	b := make([]byte, 0, len(d.Body)+len(d.Title)+len(d.Summary)+256)
	b = append(b, "---\n"...)
	b = field(b, "id", d.ID)
	b = field(b, "title", d.Title)
	b = field(b, "lang", d.Lang)
	b = append(b, "published: "...)
	b = d.Published.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, "\nupdated: "...)
	b = d.Updated.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, '\n')
	b = field(b, "url", d.URL)
	if len(d.Authors) == 0 {
		b = append(b, "authors: []\n"...)
	} else {
		b = append(b, "authors:\n"...)
		for _, a := range d.Authors {
			b = append(b, "  - "...)
			b = appendYAMLQuoted(b, a)
			b = append(b, '\n')
		}
	}
	b = field(b, "summary", d.Summary)
	b = append(b, "---\n\n"...)
	return append(b, strings.ToValidUTF8(d.Body, "\uFFFD")...)
}

func field(b []byte, key, value string) []byte {
	b = append(b, key...)
	b = append(b, ": "...)
	b = appendYAMLQuoted(b, value)
	return append(b, '\n')
}

// appendYAMLQuoted appends s as a YAML double-quoted scalar. It escapes
// like strconv.Quote, using only escapes that YAML 1.1 and 1.2 share, but
// leaves every character YAML allows unescaped as it is, so non-Latin text
// stays readable.
func appendYAMLQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch r {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			switch {
			case r < 0x20 || r == 0x7f:
				b = append(b, '\\', 'x', hex[r>>4], hex[r&15])
			case !yamlPrintable(r):
				b = append(b, `\u`...)
				b = append(b, hex[r>>12&15], hex[r>>8&15], hex[r>>4&15], hex[r&15])
			default:
				b = utf8.AppendRune(b, r)
			}
		}
	}
	return append(b, '"')
}

// yamlPrintable reports whether YAML allows r literally inside a
// double-quoted scalar on one line. C1 controls, line and paragraph
// separators (line breaks in YAML 1.1), the byte order mark and
// non-characters are escaped.
func yamlPrintable(r rune) bool {
	switch {
	case r < 0xa0:
		return r >= 0x20 && r < 0x7f
	case r == 0x2028, r == 0x2029, r == 0xfeff:
		return false
	case r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff:
		return false
	}
	return true
}

// WriteDir writes docs as DIR/<lang>/<NNNNN>.md files (creating
// directories) and returns the total bytes written.
//
// NNNNN is the number at the end of the doc's ID ("en-42" → 00042), or its
// position in docs counting from 1 when the ID has no such number, zero-padded
// to five digits. Existing files are overwritten. It returns an error
// wrapping ErrBadLang for a Lang unfit as a directory name and ErrDuplicate
// when two docs map to the same file; nothing is written then.
func WriteDir(dir string, docs []Doc) (int64, error) {
	paths := make([]string, len(docs))
	seen := make(map[string]int, len(docs))
	for i, d := range docs {
		if !validLang(d.Lang) {
			return 0, fmt.Errorf("doc %d (%q): %w: %q", i, d.ID, ErrBadLang, d.Lang)
		}
		n, ok := idNumber(d.ID)
		if !ok {
			n = i + 1
		}
		p := filepath.Join(dir, d.Lang, fmt.Sprintf("%05d.md", n))
		if j, dup := seen[p]; dup {
			return 0, fmt.Errorf("docs %d and %d: %w: %s", j, i, ErrDuplicate, p)
		}
		seen[p] = i
		paths[i] = p
	}
	var total int64
	made := make(map[string]bool)
	for i, d := range docs {
		if sub := filepath.Dir(paths[i]); !made[sub] {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return total, err
			}
			made[sub] = true
		}
		md := Markdown(d)
		if err := os.WriteFile(paths[i], md, 0o644); err != nil {
			return total, err
		}
		total += int64(len(md))
	}
	return total, nil
}

func validLang(s string) bool {
	if s == "" || len(s) > 35 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return s[0] != '-'
}

// idNumber returns the decimal number after the last '-' of id.
func idNumber(id string) (int, bool) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(id[i+1:])
	if err != nil || n < 0 || id[i+1] == '+' {
		return 0, false
	}
	return n, true
}
