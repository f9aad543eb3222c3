package corpus_test

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/samizdat/samizdat/internal/corpus"
)

// The output pins the generated text: it is the same on every platform,
// and changes only when the vocabulary or the generator does.
func ExampleGenerate() {
	docs := corpus.Generate(1, 100, 500, 2000)
	for _, d := range docs[:4] {
		fmt.Println(d.ID, d.Published.Format(time.RFC3339), len(d.Body))
		fmt.Println(" ", d.Title)
	}
	h := sha256.New()
	for _, d := range docs {
		h.Write(corpus.Markdown(d))
	}
	fmt.Printf("sha256 of all 100: %x\n", h.Sum(nil)[:8])
	// Output:
	// en-1 2025-01-01T00:08:05Z 810
	//   Gaza: the World Health Organization announced new election measures
	// ar-2 2025-01-01T00:39:14Z 807
	//   اللجنة الانتخابية والأمم المتحدة يوقعان اتفاقا
	// ru-3 2025-01-01T00:54:00Z 1558
	//   Что означает протестующие для региона
	// zh-4 2025-01-01T01:32:12Z 755
	//   杨帆与刘洋就法院举行会谈
	// sha256 of all 100: 5265d2a77e9f94b9
}
