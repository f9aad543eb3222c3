package crawl

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecodeEntry: a cache file, which a crash or another program may have
// left in any state, never panics the decoder, and what the encoder
// writes decodes to itself.
func FuzzDecodeEntry(f *testing.F) {
	var b bytes.Buffer
	encodeEntry(&b, &entry{URL: "http://news.example/a", ETag: `"1"`, Expires: time.Unix(1e9, 0).UTC(), Body: []byte("<p>x</p>\n")})
	f.Add(b.Bytes())
	f.Add([]byte("{}\n"))
	f.Add([]byte("not json\nbody"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEntry(data, 1<<20)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := encodeEntry(&out, e); err != nil {
			return // a header that does not survive JSON re-encoding
		}
		e2, err := decodeEntry(out.Bytes(), 1<<20)
		if err != nil || e2.URL != e.URL || e2.ETag != e.ETag || !bytes.Equal(e2.Body, e.Body) {
			t.Fatalf("round trip: %+v, %v; want %+v", e2, err, e)
		}
	})
}

// FuzzJSONFeed: a fetched JSON Feed, outside bytes, never panics the
// converter, and what it makes is the JSON array ingest reads.
func FuzzJSONFeed(f *testing.F) {
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","url":"https://x/a","title":"A","content_html":"<p>x</p>"}]}`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1","author":{"name":"Ed"},"items":[{"id":7,"summary":"s"},{"id":null}]}`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{}]}`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"title":5},{"id":"2","title":"B"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := jsonFeedToIngest(data)
		if err != nil {
			return
		}
		var items []ingestItem
		if err := json.Unmarshal(out.data, &items); err != nil {
			t.Fatalf("output is not an array of articles: %v", err)
		}
		if len(items) != len(out.places) {
			t.Fatalf("%d articles, %d places", len(items), len(out.places))
		}
	})
}
