package main

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"log"
	"path/filepath"
	"slices"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/corpus"
)

// The day mode: a publisher packs its history once, and every day after
// packs only the day's new articles (publish.Daily), with the history's
// dictionary (pack --base), one trained on the day alone, or none.
const (
	// dayMax is the largest day measured, and so the articles held out
	// after the history.
	dayMax = 300
	// dayAllHistory caps the history of the all-languages corpus: the
	// machine has about 1,800 articles in languages other than English,
	// all among the first few thousand RealText returns, so a longer
	// history would leave a day of English text only.
	dayAllHistory = 1200
)

// daySizes are the days measured, in new articles.
var daySizes = []int{50, 100, dayMax}

// dayWay is one way to pack a day.
type dayWay struct {
	name string
	opts func(history []byte) bundle.PackOptions
}

var dayWays = []dayWay{
	{"history's dictionary (--base)", func(h []byte) bundle.PackOptions { return bundle.PackOptions{Dict: h} }},
	{"dictionary of the day (default)", func([]byte) bundle.PackOptions { return bundle.PackOptions{} }},
	{"no dictionary", func([]byte) bundle.PackOptions { return bundle.PackOptions{NoDict: true} }},
}

// day prints, for the English and the all-languages real-text corpora,
// what a day of new articles costs packed each way, after a history of
// history articles (the first ones RealText returns; the day's are the
// next ones).
func day(work string, history int) {
	fmt.Printf("\na day of new articles after a history (one block per article; \"no dict\" is the bundle less its dictionary\n" +
		"block, what a reader who holds the dictionary fetches; ratios against per-file zstd -3 of the day's articles)\n")
	for _, c := range []struct {
		name    string
		langs   []string
		history int
	}{{"real-en", []string{"en"}, history}, {"real-all", nil, min(history, dayAllHistory)}} {
		docs, err := corpus.RealText(corpus.RealTextOptions{Docs: c.history + dayMax, Langs: c.langs})
		if err != nil {
			fmt.Printf("\n%s: %v\n", c.name, err)
			continue
		}
		if len(docs) < c.history+dayMax {
			fmt.Printf("\n%s: only %d articles on this machine, need %d\n", c.name, len(docs), c.history+dayMax)
			continue
		}
		dayTable(work, c.name, docs[:c.history], docs[c.history:c.history+dayMax])
	}
}

// dayTable packs hist at levels fastest and best, then each day (the first
// n of days) each way at the same level, and prints one row per day, level
// and way.
func dayTable(work, name string, hist, days []corpus.Doc) {
	histDir := filepath.Join(work, name+"-history")
	in, err := corpus.WriteDir(histDir, hist)
	if err != nil {
		log.Fatal(err)
	}
	dirs := make([]string, len(daySizes))
	ins := make([]int64, len(daySizes))
	refs := make([]int64, len(daySizes))
	for i, n := range daySizes {
		dirs[i] = filepath.Join(work, fmt.Sprintf("%s-day-%d", name, n))
		if ins[i], err = corpus.WriteDir(dirs[i], days[:n]); err != nil {
			log.Fatal(err)
		}
		refs[i], _ = perFileZstd3(work, dirs[i])
	}
	fmt.Printf("\n%s: history of %d articles (%.1f MB of markdown, %d languages); days of %v new articles (%d languages in the %d)\n\n",
		name, len(hist), mb(in), countLangs(hist), daySizes, countLangs(days), len(days))
	fmt.Printf("%-5s %-8s %-32s %10s %9s %10s %9s %12s %9s\n", "day", "level", "way", "bundle", "vs file-3", "dict", "no dict", "vs file-3", "pack MB/s")
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	for _, lv := range []bundle.Level{bundle.LevelFastest, bundle.LevelBest} {
		histOut := filepath.Join(work, fmt.Sprintf("%s-history-%v.bundle", name, lv))
		hsize, _ := pack(bundle.PackOptions{Key: key, Seq: 1, Level: lv}, histDir, histOut)
		hdict, _ := dictionaryOf(histOut)
		fmt.Printf("%-5s %-8v %-32s %10d %9s %10d\n", "hist", lv, "history, trained dictionary", hsize, "", len(hdict))
		for i, n := range daySizes {
			for j, w := range dayWays {
				opts := w.opts(hdict)
				opts.Key, opts.Seq, opts.Level = key, 2, lv
				out := filepath.Join(work, fmt.Sprintf("%s-day-%d-%v-%d.bundle", name, n, lv, j))
				size, elapsed := pack(opts, dirs[i], out)
				dict, section := dictionaryOf(out)
				fmt.Printf("%-5d %-8v %-32s %10d %9s %10d %9d %12s %9.1f\n", n, lv, w.name, size, ratio(size, refs[i]),
					len(dict), size-section, ratio(size-section, refs[i]), mb(ins[i])/elapsed.Seconds())
			}
		}
	}
	fmt.Printf("\nthe day's articles: %s\n", refList(ins, refs))
}

// dictionaryOf returns the dictionary of the bundle at path and the bytes
// its block takes in the file (the CAR section: length, CID and data), or
// nil and 0.
func dictionaryOf(path string) ([]byte, int64) {
	b, err := bundle.Open(path, bundle.OpenOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	dict := slices.Clone(b.Dictionary())
	if dict == nil {
		return nil, 0
	}
	c, err := bundle.PrefixRaw.Sum(dict)
	if err != nil {
		log.Fatal(err)
	}
	n := len(c.Bytes()) + len(dict)
	return dict, int64(binary.PutUvarint(make([]byte, binary.MaxVarintLen64), uint64(n)) + n)
}

func ratio(size, ref int64) string {
	if ref <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3fx", float64(size)/float64(ref))
}

// refList describes each day: its markdown bytes and per-file zstd -3.
func refList(ins, refs []int64) string {
	s := ""
	for i, r := range refs {
		if i > 0 {
			s += "; "
		}
		s += fmt.Sprintf("%d: %d bytes of markdown, %d per-file zstd -3", daySizes[i], ins[i], r)
	}
	return s
}
