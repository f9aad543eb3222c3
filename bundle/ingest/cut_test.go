package ingest

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCutText(t *testing.T) {
	tests := []struct {
		desc  string
		s     string
		limit int
		want  string
	}{
		{"fits", "Harbour reopens", 15, "Harbour reopens"},
		{"word boundary", "Harbour reopens after repairs", 20, "Harbour reopens…"},
		{"boundary right at the cut", "Harbour reopens after", 18, "Harbour reopens…"},
		{"separating punctuation dropped", "Storm, floods; repairs", 17, "Storm, floods…"},
		{"dash dropped", "Storm — floods and more", 12, "Storm…"},
		{"ending punctuation kept", "Storm. Floods and more", 13, "Storm.…"},
		{"one long word cut mid-word", "https://example.org/" + strings.Repeat("a", 100), 23, "https://example.org/…"},
		{"space too far back: cut mid-word", "a " + strings.Repeat("b", 30), 20, "a " + strings.Repeat("b", 15) + "…"},
		{"cjk at a character", "市议会批准预算", 12, "市议会…"},
		{"cjk never inside a sequence", "市议会批准预算", 13, "市议会…"},
		{"japanese mixed with latin", "東京 Olympics 開催決定", 18, "東京 Olympics…"},
		{"combining mark stays with its letter", "Cafe\u0301 Cafe\u0301", 8, "Caf…"},
		{"emoji with modifier kept", "ok \U0001F44D\U0001F3FD\U0001F44D\U0001F3FD", 14, "ok \U0001F44D\U0001F3FD…"},
		{"emoji modifier not cut off", "ok \U0001F44D\U0001F3FD\U0001F44D\U0001F3FD", 10, "ok…"},
		{"zero-width joiner sequence kept", "\U0001F469\u200D\U0001F4BB\U0001F469\u200D\U0001F4BB", 16, "\U0001F469\u200D\U0001F4BB…"},
		{"zero-width joiner sequence not split", "ab\U0001F469\u200D\U0001F4BB", 12, "ab…"},
		{"flag pair kept", "\U0001F1FA\U0001F1E6\U0001F1FA\U0001F1E6", 14, "\U0001F1FA\U0001F1E6…"},
		{"flag pair not split", "ab\U0001F1FA\U0001F1E6", 9, "ab…"},
		{"only separators", ",,,,,,,,,,", 5, ",,…"},
		{"limit below the ellipsis", "abcdef", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got := cutText(tt.s, tt.limit)
			if got != tt.want {
				t.Errorf("cutText(%q, %d) = %q, want %q", tt.s, tt.limit, got, tt.want)
			}
			if len(got) > tt.limit {
				t.Errorf("cutText(%q, %d) is %d bytes, over the limit", tt.s, tt.limit, len(got))
			}
		})
	}
}

// FuzzCutText checks that a cut is within the limit, valid UTF-8, a prefix
// of the input followed by an ellipsis, and the input itself when it fits.
func FuzzCutText(f *testing.F) {
	for _, s := range []string{"Harbour reopens after repairs", "市议会批准预算", "Cafe\u0301", "\U0001F1FA\U0001F1E6\U0001F1FA", "a\u200D\u200D\u200Db"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if !utf8.ValidString(s) || limit < len(ellipsis) || limit > 1<<16 {
			return
		}
		got := cutText(s, limit)
		switch {
		case len(s) <= limit:
			if got != s {
				t.Fatalf("cutText(%q, %d) = %q, want the input, which fits", s, limit, got)
			}
		case len(got) > limit:
			t.Fatalf("cutText(%q, %d) = %q, over the limit", s, limit, got)
		case !utf8.ValidString(got):
			t.Fatalf("cutText(%q, %d) = %q, not valid UTF-8", s, limit, got)
		case !strings.HasSuffix(got, ellipsis) || !strings.HasPrefix(s, strings.TrimSuffix(got, ellipsis)):
			t.Fatalf("cutText(%q, %d) = %q, want a prefix of the input and an ellipsis", s, limit, got)
		}
	})
}
