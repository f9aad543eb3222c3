package bundle

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// TestTrainedDictionaryDeterministic: without Dict, two packs of the same
// articles train the same dictionary and so write the same bundle, byte
// for byte; the dictionary's ID is derived from its content (§13).
func TestTrainedDictionaryDeterministic(t *testing.T) {
	arts := corpusArticles(300)
	opts := PackOptions{Key: testKey(1), Seq: 1, Created: testTime}
	first := packBytes(t, opts, arts)
	second := packBytes(t, opts, arts)
	if !bytes.Equal(first, second) {
		t.Fatal("two packs of the same articles without Dict differ")
	}
	b, err := openBytes(first, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := b.Dictionary()
	if len(d) == 0 || len(d) > dictContentSize+4<<10 {
		t.Fatalf("dictionary of %d bytes, want 1..%d", len(d), dictContentSize+4<<10)
	}
	if id := binary.LittleEndian.Uint32(d[4:8]); id < 32768 {
		t.Errorf("dictionary ID %d, want >= 32768", id)
	}
}

// TestTrainedDictionaryShrinks: the trained dictionary makes the bundle
// smaller than packing without one, dictionary bytes included.
func TestTrainedDictionaryShrinks(t *testing.T) {
	arts := corpusArticles(300)
	with := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime}, arts)
	without := packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime, NoDict: true}, arts)
	if len(with) >= len(without) {
		t.Errorf("bundle with a trained dictionary: %d bytes, without: %d; want fewer with it", len(with), len(without))
	}
}

// TestTrainedDictionaryClusterSize: large clusters get a smaller
// dictionary (dictTrainSize), small ones and single articles the full one.
func TestTrainedDictionaryClusterSize(t *testing.T) {
	arts := corpusArticles(600)
	dictLen := func(cluster int) int {
		b, err := openBytes(packBytes(t, PackOptions{Key: testKey(1), Seq: 1, Created: testTime, Cluster: cluster}, arts), OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(b.Dictionary())
	}
	alone, small, large := dictLen(0), dictLen(dictFullCluster), dictLen(MaxBlockRaw)
	if alone < dictContentSize/2 || small != alone {
		t.Errorf("dictionary for single articles: %d bytes, for %d-byte clusters: %d; want equal, near %d", alone, dictFullCluster, small, dictContentSize)
	}
	if want := dictContentSize * dictFullCluster / MaxBlockRaw; large == 0 || large > want+1024 {
		t.Errorf("dictionary for %d-byte clusters: %d bytes, want 1..%d", MaxBlockRaw, large, want+1024)
	}
}
