package web

import (
	"crypto/ed25519"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/samizdat/samizdat/bundle"
)

// fpOf is a publisher's fingerprint as docs/design.md defines it: the
// last 10 characters of its ID.
func fpOf(id string) string { return id[len(id)-10:] }

var fpElem = regexp.MustCompile(`<code class="fp"[^>]*>([^<]*)</code>`)

// TestFingerprints: a publisher that takes another's name, or writes
// another's fingerprint into its name, is told apart on every page that
// names publishers: each name has its own publisher's fingerprint beside
// it, in an element no name can produce.
func TestFingerprints(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	impostorKey, mimicKey := testKey(4), testKey(5)
	impostorID, mimicID := pubID(impostorKey), pubID(mimicKey)
	if fpOf(impostorID) == fpOf(f.newsID) || fpOf(mimicID) == fpOf(f.newsID) {
		t.Fatal("test keys share a fingerprint")
	}
	day := time.Date(2026, 11, 15, 9, 0, 0, 0, time.UTC)
	named := func(key ed25519.PrivateKey, name, id, title string) {
		auth, err := bundle.NewAuthority(key, bundle.AuthorityParams{Seq: 1, Created: day, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		f.add(t, dir, bundle.PackOptions{Key: key, Authority: auth, Seq: 1, Created: day}, []*bundle.Article{
			{ID: id, Title: title, Lang: "en", Published: day, ContentType: "text/plain", Body: []byte("The harbour is closed.")}})
	}
	named(impostorKey, newsName, "fake-1", "Harbour closed")
	// The mimic writes the real publisher's fingerprint, markup and all,
	// into its name.
	named(mimicKey, newsName+` <code class="fp">`+fpOf(f.newsID)+`</code> `+fpOf(f.newsID), "fake-2", "Harbour shut")
	s := f.server(t, false, (&followRecorder{}).follow)
	want := map[string]string{"Harbour reopens": f.newsID, "Harbour closed": impostorID, "Harbour shut": mimicID}

	for _, page := range []string{"/", "/search?q=harbour", "/publishers"} {
		t.Run(page, func(t *testing.T) {
			w := do(t, s, "GET", page, nil)
			if w.Code != 200 {
				t.Fatalf("GET %s = %d", page, w.Code)
			}
			body := w.Body.String()
			seen := map[string]bool{}
			for _, item := range strings.Split(body, "<li>")[1:] {
				id := ""
				for title, pid := range want {
					if strings.Contains(item, ">"+title+"<") || (page == "/publishers" && strings.Contains(item, pid)) {
						id = pid
					}
				}
				if id == "" {
					continue
				}
				seen[id] = true
				var fps []string
				for _, m := range fpElem.FindAllStringSubmatch(item, -1) {
					fps = append(fps, m[1])
				}
				if len(fps) != 1 || fps[0] != fpOf(id) {
					t.Errorf("item of %s shows fingerprints %q, want only %q:\n%s", id, fps, fpOf(id), item)
				}
			}
			if len(seen) != len(want) {
				t.Errorf("GET %s: found items of %d publishers, want %d:\n%s", page, len(seen), len(want), body)
			}
		})
	}
	// The article page names its publisher with the fingerprint too.
	w := do(t, s, "GET", articleHref(f.news.Root, idPlain), nil)
	if m := fpElem.FindAllStringSubmatch(w.Body.String(), -1); len(m) != 1 || m[0][1] != fpOf(f.newsID) {
		t.Errorf("article page shows fingerprints %q, want only %q", m, fpOf(f.newsID))
	}
	// So does the stale-publisher warning.
	w = do(t, s, "GET", "/", nil)
	stale := w.Body.String()
	if i := strings.Index(stale, "possibly blocked"); i < 0 || !strings.Contains(stale[:i], `<code class="fp"`) {
		t.Errorf("stale warning lacks a fingerprint:\n%s", stale)
	}
}
