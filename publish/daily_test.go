package publish

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/corpus"
)

// newsroom is a folder of markdown articles a test edits between runs.
type newsroom struct {
	t   testing.TB
	dir string
}

// article writes the markdown article id; updated may be "".
func (n newsroom) article(id, title, body, updated string) {
	n.t.Helper()
	front := fmt.Sprintf("---\nid: %s\ntitle: %s\nlang: en\npublished: 2026-11-01T08:00:00Z\n", strconv.Quote(id), strconv.Quote(title))
	if updated != "" {
		front += "updated: " + updated + "\n"
	}
	if err := os.WriteFile(filepath.Join(n.dir, id+".md"), []byte(front+"---\n"+body), 0o644); err != nil {
		n.t.Fatal(err)
	}
}

func (n newsroom) remove(id string) {
	n.t.Helper()
	if err := os.Remove(filepath.Join(n.dir, id+".md")); err != nil {
		n.t.Fatal(err)
	}
}

// seed writes enough generated articles (about 320 KB) that the first
// bundle gets a dictionary, and returns their ids.
func (n newsroom) seed(count int) []string {
	var ids []string
	for i, d := range corpus.Generate(7, count, 3000, 5000) {
		id := "gen-" + strconv.Itoa(i)
		n.article(id, d.Title, d.Body, "")
		ids = append(ids, id)
	}
	return ids
}

// publisher records the bundles a daily run publishes, and fails when
// told to.
type publisher struct {
	files []string
	fail  error
}

func (p *publisher) publish(ctx context.Context, file string) error {
	if p.fail != nil {
		return p.fail
	}
	p.files = append(p.files, file)
	return nil
}

func dailyOptions(t *testing.T, src string, key ed25519.PrivateKey, p *publisher, now time.Time) DailyOptions {
	return DailyOptions{
		Inputs:  []string{src},
		Walk:    WalkOptions{},
		Pack:    bundle.PackOptions{Key: key, TempDir: t.TempDir()},
		Publish: p.publish,
		Now:     now,
	}
}

func openBundle(t *testing.T, key ed25519.PrivateKey, file string) *bundle.Bundle {
	t.Helper()
	b, err := bundle.Open(file, bundle.OpenOptions{Publisher: bundle.PublisherID(key.Public().(ed25519.PublicKey))})
	if err != nil {
		t.Fatalf("Open(%s) = %v", file, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// sorted returns ids sorted, nil for none.
func sorted(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	return slices.Sorted(slices.Values(ids))
}

func ids(b *bundle.Bundle) []string {
	var out []string
	for _, a := range b.List() {
		out = append(out, a.ID)
	}
	slices.Sort(out)
	return out
}

// TestDailyRuns runs Daily day after day over a folder that changes
// between runs, and checks what each run packs.
func TestDailyRuns(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	src, state := t.TempDir(), filepath.Join(t.TempDir(), "state")
	n := newsroom{t, src}
	gen := n.seed(80)
	n.article("a", "Budget passes", "The council approved the budget.\n", "")
	n.article("b", "Bridge closes", "The bridge closes on Monday.\n", "")
	n.article("c", "Fair opens", "The fair opens on Friday.\n", "")
	day0 := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

	type step struct {
		name    string
		edit    func()
		new     []string
		changed []string
		same    int
		bundle  []string // the ids of the bundle packed; nil: none
		body    map[string]string
		updated map[string]time.Time
	}
	steps := []step{
		{name: "first run packs everything", edit: func() {},
			new: append(slices.Clone(gen), "a", "b", "c"), bundle: append(slices.Clone(gen), "a", "b", "c")},
		{name: "nothing changed: no bundle", edit: func() {}, same: len(gen) + 3},
		{name: "changed, new and removed", edit: func() {
			n.article("b", "Bridge closes", "The bridge closes on Tuesday, not Monday.\n", "")
			n.article("d", "School reopens", "The school reopens.\n", "")
			n.remove("c")
		}, new: []string{"d"}, changed: []string{"b"}, same: len(gen) + 1, bundle: []string{"b", "d"},
			body:    map[string]string{"b": "The bridge closes on Tuesday, not Monday.\n"},
			updated: map[string]time.Time{"b": day0.Add(2 * 24 * time.Hour), "d": {}}},
		{name: "a removed article comes back as it was", edit: func() {
			n.article("c", "Fair opens", "The fair opens on Friday.\n", "")
		}, same: len(gen) + 4},
		{name: "a correction with its own updated date keeps it", edit: func() {
			n.article("a", "Budget passes", "The council approved the budget, 7 to 2.\n", "2026-12-04T09:30:00Z")
		}, changed: []string{"a"}, same: len(gen) + 3, bundle: []string{"a"},
			updated: map[string]time.Time{"a": time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)}},
	}
	p := &publisher{}
	var prev *bundle.Bundle
	var dict []byte
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.edit()
			now := day0.Add(time.Duration(i) * 24 * time.Hour)
			published := len(p.files)
			res, err := Daily(context.Background(), state, dailyOptions(t, src, key, p, now))
			if err != nil {
				t.Fatalf("Daily() = %v", err)
			}
			if diff := cmp.Diff(sorted(s.new), sorted(res.New)); diff != "" {
				t.Errorf("New (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(sorted(s.changed), sorted(res.Changed)); diff != "" {
				t.Errorf("Changed (-want +got):\n%s", diff)
			}
			if res.Unchanged != s.same {
				t.Errorf("Unchanged = %d, want %d", res.Unchanged, s.same)
			}
			if s.bundle == nil {
				if res.Bundle != nil || len(p.files) != published {
					t.Fatalf("a run with nothing new published %v", p.files[published:])
				}
				return
			}
			if res.Bundle == nil || len(p.files) != published+1 || p.files[published] != res.File {
				t.Fatalf("Bundle = %v, published %v; want one bundle published", res.Bundle, p.files[published:])
			}
			b := openBundle(t, key, res.File)
			want := slices.Sorted(slices.Values(s.bundle))
			if diff := cmp.Diff(want, ids(b)); diff != "" {
				t.Errorf("bundle ids (-want +got):\n%s", diff)
			}
			for id, body := range s.body {
				if got, err := b.Body(id); err != nil || string(got) != body {
					t.Errorf("Body(%s) = %q, %v; want %q", id, got, err, body)
				}
			}
			for id, up := range s.updated {
				if ai, err := b.Lookup(id); err != nil || !ai.Updated.Equal(up) {
					t.Errorf("Lookup(%s).Updated = %v, %v; want %v", id, ai.Updated, err, up)
				}
			}
			if prev == nil {
				dict = b.Dictionary()
				if dict == nil {
					t.Fatalf("the first bundle has no dictionary; the test needs more text")
				}
				if res.Base != "" {
					t.Errorf("Base = %q on the first run, want none", res.Base)
				}
			} else {
				if b.Seq <= prev.Seq {
					t.Errorf("Seq = %d after %d, want it to increase", b.Seq, prev.Seq)
				}
				if !bytes.Equal(b.Dictionary(), dict) {
					t.Errorf("the bundle does not reuse the base's dictionary")
				}
				if res.Base != p.files[published-1] || res.BaseErr != nil {
					t.Errorf("Base = %q, %v; want %q", res.Base, res.BaseErr, p.files[published-1])
				}
			}
			prev = b
		})
	}
	// The first bundle still verifies and still holds the text as it was.
	first := openBundle(t, key, p.files[0])
	if err := first.Verify(); err != nil {
		t.Errorf("first bundle: Verify() = %v", err)
	}
	if got, _ := first.Body("b"); string(got) != "The bridge closes on Monday.\n" {
		t.Errorf("first bundle's b = %q, want the text before the correction", got)
	}
}

// TestDailyPublishFails: a run whose publish fails records nothing and
// leaves no bundle; the next run packs the same articles again.
func TestDailyPublishFails(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	src, state := t.TempDir(), filepath.Join(t.TempDir(), "state")
	n := newsroom{t, src}
	n.article("a", "One", "First text.\n", "")
	n.article("b", "Two", "Second text.\n", "")
	p := &publisher{}
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	if _, err := Daily(context.Background(), state, dailyOptions(t, src, key, p, now)); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(state, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	n.article("a", "One", "First text, corrected.\n", "")
	errDown := errors.New("node down")
	p.fail = errDown
	_, err = Daily(context.Background(), state, dailyOptions(t, src, key, p, now.Add(24*time.Hour)))
	if !errors.Is(err, errDown) {
		t.Fatalf("Daily() with a failing publish = %v, want %v", err, errDown)
	}
	after, _ := os.ReadFile(filepath.Join(state, stateFile))
	if !bytes.Equal(before, after) {
		t.Errorf("a failed publish changed the state file")
	}
	if files, _ := os.ReadDir(filepath.Join(state, bundlesDir)); len(files) != 1 {
		t.Errorf("bundles after a failed publish: %d files, want the first bundle only", len(files))
	}
	p.fail = nil
	res, err := Daily(context.Background(), state, dailyOptions(t, src, key, p, now.Add(48*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a"}, res.Changed); diff != "" || res.Bundle == nil {
		t.Errorf("the run after a failed publish: Changed (-want +got):\n%s, bundle %v", diff, res.Bundle)
	}
}

// TestDailyStateKept: the record survives as the bundles written come and
// go; only KeepBundles of them stay, and strays of a failed run go.
func TestDailyBundlesKept(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	src, state := t.TempDir(), filepath.Join(t.TempDir(), "state")
	n := newsroom{t, src}
	p := &publisher{}
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	stray := filepath.Join(state, bundlesDir, ".9.bundle.tmp-1")
	for i := range KeepBundles + 2 {
		n.article("a", "One", "Version "+strconv.Itoa(i)+".\n", "")
		if _, err := Daily(context.Background(), state, dailyOptions(t, src, key, p, now.Add(time.Duration(i)*time.Hour))); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			os.WriteFile(stray, []byte("left by a crash"), 0o600)
		}
	}
	var got []string
	entries, _ := os.ReadDir(filepath.Join(state, bundlesDir))
	for _, e := range entries {
		got = append(got, filepath.Join(state, bundlesDir, e.Name()))
	}
	want := slices.Sorted(slices.Values(p.files[len(p.files)-KeepBundles:]))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bundles kept (-want +got):\n%s", diff)
	}
}

// TestDailyForget: records of articles missing from the inputs for longer
// than ForgetAfter are dropped, and such an article comes back as new.
func TestDailyForget(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	src, state := t.TempDir(), filepath.Join(t.TempDir(), "state")
	n := newsroom{t, src}
	n.article("a", "One", "Stays.\n", "")
	n.article("b", "Two", "Goes for a while.\n", "")
	p := &publisher{}
	now := time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)
	run := func(at time.Time) *DailyResult {
		t.Helper()
		res, err := Daily(context.Background(), state, dailyOptions(t, src, key, p, at))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	run(now)
	n.remove("b")
	if res := run(now.Add(ForgetAfter)); res.Forgotten != 0 {
		t.Errorf("Forgotten = %d at exactly ForgetAfter, want 0", res.Forgotten)
	}
	if res := run(now.Add(ForgetAfter + time.Hour)); res.Forgotten != 1 {
		t.Errorf("Forgotten = %d after ForgetAfter, want 1", res.Forgotten)
	}
	n.article("b", "Two", "Goes for a while.\n", "")
	res := run(now.Add(ForgetAfter + 2*time.Hour))
	if diff := cmp.Diff([]string{"b"}, res.New); diff != "" || res.Unchanged != 1 {
		t.Errorf("a forgotten article back: New (-want +got):\n%s; Unchanged %d, want 1", diff, res.Unchanged)
	}
}

// TestStateForgetBound: over MaxTracked, the records seen longest ago go.
func TestStateForgetBound(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	st := &state{Version: stateVersion, Articles: map[string]stateArticle{}}
	for i := range MaxTracked + 3 {
		st.Articles["id-"+strconv.Itoa(i)] = stateArticle{Seen: now.Add(-time.Duration(i) * time.Second)}
	}
	if got := st.forget(now); got != 3 {
		t.Errorf("forget() = %d, want 3", got)
	}
	if len(st.Articles) != MaxTracked {
		t.Errorf("%d records after forget, want %d", len(st.Articles), MaxTracked)
	}
	for i := MaxTracked; i < MaxTracked+3; i++ {
		if _, ok := st.Articles["id-"+strconv.Itoa(i)]; ok {
			t.Errorf("id-%d, among the oldest, was kept", i)
		}
	}
	if _, ok := st.Articles["id-0"]; !ok {
		t.Errorf("the newest record was dropped")
	}
}

// TestDailyDryRun reports without packing, publishing or writing.
func TestDailyDryRun(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	src, state := t.TempDir(), filepath.Join(t.TempDir(), "state")
	n := newsroom{t, src}
	n.article("a", "One", "Text.\n", "")
	o := dailyOptions(t, src, key, &publisher{fail: errors.New("must not publish")}, time.Now())
	o.DryRun = true
	res, err := Daily(context.Background(), state, o)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a"}, res.New); diff != "" || res.Bundle != nil {
		t.Errorf("dry run: New (-want +got):\n%s; Bundle %v", diff, res.Bundle)
	}
	if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run created the state directory: %v", err)
	}
}

func TestDailyErrors(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	src := t.TempDir()
	n := newsroom{t, src}
	n.article("a", "One", "Text.\n", "")
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

	t.Run("locked", func(t *testing.T) {
		state := t.TempDir()
		release, err := openState(state, true)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		if _, err := Daily(context.Background(), state, dailyOptions(t, src, key, &publisher{}, now)); !errors.Is(err, ErrStateLocked) {
			t.Errorf("Daily() on a held state = %v, want %v", err, ErrStateLocked)
		}
	})
	for name, content := range map[string]string{
		"not json":      "{",
		"other version": `{"version":2,"bundles":[],"articles":{}}`,
		"bad digest":    `{"version":1,"bundles":[],"articles":{"a":{"digest":"zz","seen":"2026-12-01T00:00:00Z","seq":1}}}`,
		"short source":  `{"version":1,"bundles":[],"articles":{"a":{"digest":"` + strings.Repeat("ab", 32) + `","source":"abab","seen":"2026-12-01T00:00:00Z","seq":1}}}`,
		"path in file":  `{"version":1,"bundles":[{"file":"../x","seq":1}],"articles":{}}`,
		"last sequence": `{"version":1,"bundles":[{"file":"x","seq":18446744073709551615}],"articles":{}}`,
		"unknown field": `{"version":1,"bundles":[],"articles":{},"extra":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			state := t.TempDir()
			os.WriteFile(filepath.Join(state, stateFile), []byte(content), 0o600)
			if _, err := Daily(context.Background(), state, dailyOptions(t, src, key, &publisher{}, now)); !errors.Is(err, ErrBadState) {
				t.Errorf("Daily() = %v, want %v", err, ErrBadState)
			}
		})
	}
	t.Run("duplicate id", func(t *testing.T) {
		dup := t.TempDir()
		n := newsroom{t, dup}
		n.article("a", "One", "Text.\n", "")
		os.WriteFile(filepath.Join(dup, "b.json"), []byte(`{"id":"a","title":"Again","body":"x"}`), 0o644)
		_, err := Daily(context.Background(), t.TempDir(), dailyOptions(t, dup, key, &publisher{}, now))
		if !errors.Is(err, bundle.ErrDuplicateID) {
			t.Errorf("Daily() = %v, want %v", err, bundle.ErrDuplicateID)
		}
	})
}

func TestDigest(t *testing.T) {
	base := func() *bundle.Article {
		return &bundle.Article{ID: "x", Title: "T", Lang: "en", Published: time.Unix(1e9, 0), URL: "https://e.org/x",
			Authors: []string{"A", "B"}, Summary: "S", ContentType: "text/plain", Body: []byte("body"),
			Attachments: []bundle.Attachment{{Name: "i.png", ContentType: "image/png", Data: []byte("png")}}}
	}
	d0 := Digest(base())
	if Digest(base()) != d0 {
		t.Fatalf("Digest is not a function of the article")
	}
	same := base()
	same.ID = "another id"
	if Digest(same) != d0 {
		t.Errorf("Digest depends on the id")
	}
	for name, edit := range map[string]func(a *bundle.Article){
		"title":          func(a *bundle.Article) { a.Title = "T2" },
		"lang":           func(a *bundle.Article) { a.Lang = "und" },
		"published":      func(a *bundle.Article) { a.Published = a.Published.Add(time.Second) },
		"updated":        func(a *bundle.Article) { a.Updated = time.Unix(2e9, 0) },
		"url":            func(a *bundle.Article) { a.URL += "/" },
		"author":         func(a *bundle.Article) { a.Authors[1] = "C" },
		"authors joined": func(a *bundle.Article) { a.Authors = []string{"AB"} },
		"summary":        func(a *bundle.Article) { a.Summary = "" },
		"content type":   func(a *bundle.Article) { a.ContentType = "text/markdown" },
		"body":           func(a *bundle.Article) { a.Body = []byte("body.") },
		"boundary":       func(a *bundle.Article) { a.Title, a.Lang = "Te", "n" },
		"attachment":     func(a *bundle.Article) { a.Attachments[0].Data = []byte("gif") },
		"attachment name": func(a *bundle.Article) {
			a.Attachments[0].Name = "j.png"
		},
		"no attachment": func(a *bundle.Article) { a.Attachments = nil },
	} {
		a := base()
		edit(a)
		if Digest(a) == d0 {
			t.Errorf("%s: the digest did not change", name)
		}
	}
}

// BenchmarkDaily is a daily run over a folder of 1,500 articles (about 6
// MB, 1,500 files) already published: with nothing changed (no bundle), and with 20
// articles changed (a bundle of those 20). It reports the bundle's size
// beside the first, full bundle's.
func BenchmarkDaily(b *testing.B) {
	for _, changed := range []int{0, 20} {
		b.Run("changed="+strconv.Itoa(changed), func(b *testing.B) {
			_, key, _ := ed25519.GenerateKey(nil)
			src, state := b.TempDir(), filepath.Join(b.TempDir(), "state")
			n := newsroom{b, src}
			docs := corpus.Generate(3, 1500, 2000, 6000)
			for i, d := range docs {
				n.article("gen-"+strconv.Itoa(i), d.Title, d.Body, "")
			}
			p := &publisher{}
			now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
			o := DailyOptions{Inputs: []string{src}, Pack: bundle.PackOptions{Key: key, TempDir: b.TempDir()}, Publish: p.publish}
			o.Now = now
			first, err := Daily(context.Background(), state, o)
			if err != nil {
				b.Fatal(err)
			}
			fb, err := bundle.Open(first.File, bundle.OpenOptions{Publisher: bundle.PublisherID(key.Public().(ed25519.PublicKey))})
			if err != nil {
				b.Fatal(err)
			}
			dict := len(fb.Dictionary()) // in every bundle after the first too
			fb.Close()
			var size int64
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				for j := range changed {
					k := (i*changed + j) % len(docs)
					n.article("gen-"+strconv.Itoa(k), docs[k].Title, docs[k].Body+"\nCorrection "+strconv.Itoa(i)+".\n", "")
				}
				o.Now = now.Add(time.Duration(i+1) * time.Hour)
				b.StartTimer()
				res, err := Daily(context.Background(), state, o)
				if err != nil {
					b.Fatal(err)
				}
				if got := len(res.Changed); got != changed {
					b.Fatalf("Changed = %d, want %d", got, changed)
				}
				if res.Bundle != nil {
					size = res.Bundle.Size
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(size), "bundle-bytes")
			b.ReportMetric(float64(first.Bundle.Size), "full-bundle-bytes")
			b.ReportMetric(float64(dict), "dict-bytes")
		})
	}
}

// TestDailyNewCode: after an upgrade whose extraction makes the same
// sources into other articles (simulated by recording other digests for
// every article, as the old code would have), a run publishes nothing:
// readers are not told of corrections no newsroom made. It records the
// new digests, so the run after compares with them. An article whose
// source did change is still published, upgrade or not; and one whose
// digest is the same but whose source moved (a page's rotating parts)
// stays unchanged, its new source recorded.
func TestDailyNewCode(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	src, dir := t.TempDir(), filepath.Join(t.TempDir(), "state")
	n := newsroom{t, src}
	n.article("a", "Budget passes", "The council approved the budget.\n", "")
	n.article("b", "Bridge closes", "The bridge closes on Monday.\n", "")
	n.article("c", "Fair opens", "The fair opens on Friday.\n", "")
	day := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	p := &publisher{}
	run := func(i int) *DailyResult {
		t.Helper()
		res, err := Daily(context.Background(), dir, dailyOptions(t, src, key, p, day.Add(time.Duration(i)*24*time.Hour)))
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		return res
	}
	// edit rewrites the state's records, as another version of the code
	// would have left them.
	edit := func(change func(id string, a *stateArticle)) map[string]stateArticle {
		t.Helper()
		st, err := loadState(dir)
		if err != nil {
			t.Fatal(err)
		}
		for id, a := range st.Articles {
			change(id, &a)
			st.Articles[id] = a
		}
		if err := st.save(dir); err != nil {
			t.Fatal(err)
		}
		return maps.Clone(st.Articles)
	}
	otherDigest := func(id string, a *stateArticle) {
		d := sha256.Sum256([]byte("the old extractor's article " + id))
		a.Digest = hex.EncodeToString(d[:])
	}
	run(0)
	before := edit(func(string, *stateArticle) {})

	edit(otherDigest)
	if res := run(1); res.Unchanged != 3 || len(res.Changed) != 0 || res.Bundle != nil {
		t.Fatalf("after the upgrade: %d unchanged, changed %v, bundle %v; want all 3 unchanged and no bundle", res.Unchanged, res.Changed, res.Bundle)
	}
	after := edit(func(string, *stateArticle) {})
	for id, a := range after {
		if a.Digest != before[id].Digest || a.Source != before[id].Source || a.Source == "" {
			t.Errorf("%s: recorded digest %s source %s, want this version's %s and %s", id, a.Digest, a.Source, before[id].Digest, before[id].Source)
		}
	}

	edit(otherDigest)
	n.article("b", "Bridge closes", "The bridge closes on Tuesday, not Monday.\n", "")
	if res := run(2); res.Unchanged != 2 || !slices.Equal(res.Changed, []string{"b"}) || res.Bundle == nil {
		t.Errorf("a real correction after the upgrade: %d unchanged, changed %v; want b published as a correction", res.Unchanged, res.Changed)
	}

	moved := edit(func(_ string, a *stateArticle) { a.Source = strings.Repeat("ab", 32) })
	if res := run(3); res.Unchanged != 3 || len(res.Changed) != 0 {
		t.Errorf("sources moved, articles the same: %d unchanged, changed %v; want all unchanged", res.Unchanged, res.Changed)
	}
	for id, a := range edit(func(string, *stateArticle) {}) {
		if a.Source == moved[id].Source {
			t.Errorf("%s: the new source was not recorded", id)
		}
	}
}
