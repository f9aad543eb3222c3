package ingest_test

import (
	"testing"
	"time"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

// TestSourceParts: a source is a function of its kind and parts, and no
// two different lists of parts share one: moving a boundary, a flag, a
// zero time, an attachment's fields or their number all change it.
func TestSourceParts(t *testing.T) {
	at := func(name, ct, data string) bundle.Attachment {
		return bundle.Attachment{Name: name, ContentType: ct, Data: []byte(data)}
	}
	sums := map[string]func() [32]byte{
		"base":          func() [32]byte { return ingest.NewSource("file").Text("ab").Text("c").Sum() },
		"boundary":      func() [32]byte { return ingest.NewSource("file").Text("a").Text("bc").Sum() },
		"kind":          func() [32]byte { return ingest.NewSource("page").Text("ab").Text("c").Sum() },
		"kind boundary": func() [32]byte { return ingest.NewSource("fileab").Text("c").Sum() },
		"one part":      func() [32]byte { return ingest.NewSource("file").Text("abc").Sum() },
		"empty part":    func() [32]byte { return ingest.NewSource("file").Text("ab").Text("c").Text("").Sum() },
		"flag yes":      func() [32]byte { return ingest.NewSource("file").Flag(true).Sum() },
		"flag no":       func() [32]byte { return ingest.NewSource("file").Flag(false).Sum() },
		"zero time":     func() [32]byte { return ingest.NewSource("file").Time(time.Time{}).Sum() },
		"time": func() [32]byte {
			return ingest.NewSource("file").Time(time.Date(2026, 12, 3, 9, 0, 0, 1, time.FixedZone("x", 3600))).Sum()
		},
		"no attachments": func() [32]byte { return ingest.NewSource("file").Attachments(nil).Sum() },
		"attachment": func() [32]byte {
			return ingest.NewSource("file").Attachments([]bundle.Attachment{at("a.png", "image/png", "x")}).Sum()
		},
		"attachment type": func() [32]byte {
			return ingest.NewSource("file").Attachments([]bundle.Attachment{at("a.png", "image/gif", "x")}).Sum()
		},
		"attachment bytes": func() [32]byte {
			return ingest.NewSource("file").Attachments([]bundle.Attachment{at("a.png", "image/png", "y")}).Sum()
		},
		"two attachments": func() [32]byte {
			return ingest.NewSource("file").Attachments([]bundle.Attachment{at("a.png", "image/png", "x"), at("", "", "")}).Sum()
		},
	}
	seen := make(map[[32]byte]string)
	for name, sum := range sums {
		s := sum()
		if sum() != s {
			t.Errorf("%s: not a function of its parts", name)
		}
		if other, ok := seen[s]; ok {
			t.Errorf("%s and %s share a source", name, other)
		}
		seen[s] = name
	}
	// One instant, any zone: one source.
	at1 := ingest.NewSource("file").Time(time.Date(2026, 12, 3, 8, 0, 0, 1, time.UTC)).Sum()
	if at1 != sums["time"]() {
		t.Errorf("one instant in two zones gives two sources")
	}
}
