package ingest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/bundle/ingest"
)

// parsers adapts every Parse function to one signature.
var parsers = map[string]func(name string, data []byte) error{
	"text":     func(n string, d []byte) error { _, err := ingest.ParseText(n, d); return err },
	"markdown": func(n string, d []byte) error { _, err := ingest.ParseMarkdown(n, d); return err },
	"html":     func(n string, d []byte) error { _, err := ingest.ParseHTML(n, d); return err },
	"json":     func(n string, d []byte) error { _, err := ingest.ParseJSON(n, d); return err },
	"jsonl":    func(n string, d []byte) error { _, err := ingest.ParseJSONL(n, d); return err },
	"feed":     func(n string, d []byte) error { _, err := ingest.ParseFeed(n, d); return err },
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("x", 5000)
	tests := []struct {
		desc     string
		parser   string
		input    string
		wantErr  error
		wantLine int
	}{
		// JSON
		{"json syntax error", "json", "[\n{\"body\": \"a\"},\n{\"body\": }\n]", ingest.ErrMalformed, 3},
		{"json truncated", "json", "{\"body\": \"a\",\n", ingest.ErrMalformed, 2},
		{"json empty file", "json", "", ingest.ErrMalformed, 1},
		{"json wrong type", "json", "[\n{\"body\":\"a\"},\n{\n\"title\": 5,\n\"body\":\"b\"}\n]", ingest.ErrMalformed, 4},
		{"json authors not strings", "json", "\n{\"authors\": [1], \"body\": \"\"}", ingest.ErrMalformed, 2},
		{"json missing body", "json", "[\n{\"body\":\"a\"},\n\n  {\n\"title\": \"x\"}\n]", ingest.ErrMalformed, 4},
		{"json null body", "json", `{"title": "x", "body": null}`, ingest.ErrMalformed, 1},
		{"json not an object", "json", "\n\n42", ingest.ErrMalformed, 3},
		{"json element not an object", "json", "[{\"body\":\"\"},\n 3]", ingest.ErrMalformed, 2},
		{"json bad date", "json", `{"published": "yesterday", "body": ""}`, ingest.ErrMalformed, 1},
		{"json bad calendar date", "json", `{"updated": "2024-02-30", "body": ""}`, ingest.ErrMalformed, 1},
		{"json id too long", "json", `{"id": "` + long + `", "body": ""}`, ingest.ErrMalformed, 1},
		{"json url too long", "json", `{"url": "https://example.org/` + long + `", "body": ""}`, ingest.ErrMalformed, 1},
		{"json url with space", "json", `{"url": "https://example.org/a b", "body": ""}`, ingest.ErrMalformed, 1},
		{"json id with control character", "json", `{"id": "a\u0007b", "body": ""}`, ingest.ErrMalformed, 1},
		{"json title too long", "json", `{"title": "` + long + `", "body": ""}`, ingest.ErrTooLarge, 1},
		{"json bad content type", "json", `{"content_type": "text/", "body": ""}`, ingest.ErrMalformed, 1},
		// JSONL
		{"jsonl syntax error", "jsonl", "{\"body\":\"\"}\n\n{\"body\":\"\"} x\n", ingest.ErrMalformed, 3},
		{"jsonl missing body", "jsonl", "{\"body\":\"\"}\n{\"title\":\"no body\"}\n", ingest.ErrMalformed, 2},
		{"jsonl array line", "jsonl", "[{\"body\":\"\"}]\n", ingest.ErrMalformed, 1},
		// Markdown front matter
		{"yaml syntax error", "markdown", "---\ntitle: a\n  b: c\n---\nbody\n", ingest.ErrMalformed, 3},
		{"yaml unclosed quote", "markdown", "---\nid: x\n\ntitle: \"abc\n---\n", ingest.ErrMalformed, 4},
		{"yaml unknown anchor", "markdown", "---\ntitle: *x\n---\n", ingest.ErrMalformed, 1},
		{"unterminated front matter", "markdown", "---\ntitle: x\n\n# Heading\n", ingest.ErrMalformed, 1},
		{"lone fence", "markdown", "---", ingest.ErrMalformed, 1},
		{"front matter not a mapping", "markdown", "---\n- a\n---\n", ingest.ErrMalformed, 2},
		{"front matter bad date", "markdown", "---\ntitle: a\npublished: 2024-13-01\n---\n", ingest.ErrMalformed, 3},
		{"front matter yaml timestamp with space", "markdown", "---\nupdated: 2024-03-01 10:00:00\n---\n", ingest.ErrMalformed, 2},
		{"front matter duplicate key", "markdown", "---\ntitle: a\ntitle: b\n---\n", ingest.ErrMalformed, 3},
		{"front matter title not a string", "markdown", "---\ntitle:\n  text: a\n---\n", ingest.ErrMalformed, 3},
		{"front matter authors mapping", "markdown", "---\nauthors: {name: a}\n---\n", ingest.ErrMalformed, 2},
		{"front matter too large", "markdown", "---\n" + strings.Repeat("# comment line\n", 80000) + "---\n", ingest.ErrTooLarge, 1},
		{"markdown nested too deeply", "markdown", "---\ntitle: t\n---\nintro\n" + strings.Repeat(">", 17) + " x\n", ingest.ErrMalformed, 5},
		{"markdown list nested too deeply", "markdown", "a\n\n" + strings.Repeat(" ", 34) + "- x\n", ingest.ErrMalformed, 3},
		{"markdown too complex", "markdown", "# T\n\nok\n\n" + strings.Repeat("[a](", 1<<16) + "\n", ingest.ErrTooLarge, 5},
		{"markdown unclosed comments", "markdown", strings.Repeat("a <!--a\n", 20000), ingest.ErrTooLarge, 1},
		// HTML
		{"html bad published", "html", "<html>\n<head>\n<meta property=\"article:published_time\" content=\"last week\">", ingest.ErrMalformed, 3},
		{"html bad modified", "html", "<meta\nproperty=\"article:modified_time\"\ncontent=\"2024-01-01T25:00:00Z\">", ingest.ErrMalformed, 1},
		{"html canonical too long", "html", `<link rel="canonical" href="https://example.org/` + long + `">`, ingest.ErrMalformed, 0},
		// Feeds
		{"xml not a feed", "feed", "<?xml version=\"1.0\"?>\n<note><to>Ana</to></note>", ingest.ErrMalformed, 0},
		{"html is not a feed", "feed", "<html><body>hi</body></html>", ingest.ErrMalformed, 0},
		{"json feed", "feed", `{"version": "https://jsonfeed.org/version/1.1", "items": []}`, ingest.ErrMalformed, 0},
		{"plain text", "feed", "not xml at all", ingest.ErrMalformed, 0},
		{"truncated rss", "feed", "<rss version=\"2.0\">\n<channel>\n<item>\n<title>x</title>\n</item>\n</channel>", ingest.ErrMalformed, 6},
		{"xml nested too deeply", "feed", `<rss version="2.0" xmlns:x="urn:x"><channel><item>` + strings.Repeat("<x:a>", 100000) + strings.Repeat("</x:a>", 100000) + `</item></channel></rss>`, ingest.ErrMalformed, 0},
		{"rss bad date", "feed", "<rss version=\"2.0\"><channel><item><guid>a</guid><pubDate>soon</pubDate></item></channel></rss>", ingest.ErrMalformed, 0},
		{"atom bad date", "feed", `<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>a</id><updated>later</updated></entry></feed>`, ingest.ErrMalformed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			const name = "dir/input"
			err := parsers[tt.parser](name, []byte(tt.input))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse(%s) error = %v, want %v", tt.parser, err, tt.wantErr)
			}
			var fe *ingest.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse(%s) error = %T, want *ingest.FileError", tt.parser, err)
			}
			if fe.Path != name {
				t.Errorf("FileError.Path = %q, want %q", fe.Path, name)
			}
			if fe.Line != tt.wantLine {
				t.Errorf("FileError.Line = %d, want %d (error %v)", fe.Line, tt.wantLine, err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, name+":") || strings.HasSuffix(msg, ".") {
				t.Errorf("Error() = %q, want it to start with the path and not end with a period", msg)
			}
		})
	}
}

func TestFileErrorError(t *testing.T) {
	inner := errors.New("bad thing")
	tests := []struct {
		err  *ingest.FileError
		want string
	}{
		{&ingest.FileError{Path: "a/b.json", Line: 7, Err: inner}, "a/b.json:7: bad thing"},
		{&ingest.FileError{Path: "a/b.json", Err: inner}, "a/b.json: bad thing"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if got := errors.Unwrap(tt.err); got != inner {
				t.Errorf("Unwrap() = %v, want %v", got, inner)
			}
		})
	}
}

// TestIDs checks the fallback chain (id, else url, else name, else
// name#N) and that ids are stable: parsing the same bytes twice gives the
// same ids.
func TestIDs(t *testing.T) {
	tests := []struct {
		desc   string
		parser string
		name   string
		input  string
		want   []string
	}{
		{"json id wins over url", "json", "a.json", `{"id": " x-1 ", "url": "https://e.org/1", "body": ""}`, []string{"x-1"}},
		{"json url", "json", "a.json", `{"url": "https://e.org/1", "body": ""}`, []string{"https://e.org/1"}},
		{"json object name", "json", "d/a.json", `{"body": ""}`, []string{"d/a.json"}},
		{"json array name#N", "json", "d/a.json", `[{"body": ""}, {"id": "b", "body": ""}, {"body": ""}]`, []string{"d/a.json#1", "b", "d/a.json#3"}},
		{"jsonl name#N", "jsonl", "a.jsonl", "{\"body\": \"\"}\n\n{\"body\": \"\"}\n", []string{"a.jsonl#1", "a.jsonl#2"}},
		{"markdown id", "markdown", "a.md", "---\nid: m-1\nurl: https://e.org/m\n---\n", []string{"m-1"}},
		{"markdown url", "markdown", "a.md", "---\nurl: https://e.org/m\n---\n", []string{"https://e.org/m"}},
		{"markdown name", "markdown", "x/a.md", "# A\n", []string{"x/a.md"}},
		{"html canonical", "html", "a.html", `<link rel=canonical href="https://e.org/h"><p>Text.</p>`, []string{"https://e.org/h"}},
		{"html name", "html", "a.html", `<title>T</title><p>Text.</p>`, []string{"a.html"}},
		{"text name", "text", "t/a.txt", "T\n", []string{"t/a.txt"}},
		{"rss guid, link, name#N", "feed", "f.rss", `<rss version="2.0"><channel><item><guid>g</guid><link>https://e.org/1</link></item><item><link>https://e.org/2</link></item><item><title>t</title></item></channel></rss>`, []string{"g", "https://e.org/2", "f.rss#3"}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			first := ids(t, tt.parser, tt.name, tt.input)
			second := ids(t, tt.parser, tt.name, tt.input)
			if strings.Join(first, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("ids = %q, want %q", first, tt.want)
			}
			if strings.Join(first, "\n") != strings.Join(second, "\n") {
				t.Errorf("ids of a second parse = %q, want %q", second, first)
			}
		})
	}
}

// ids parses input with the named parser and returns the article ids.
func ids(t *testing.T, parser, name, input string) []string {
	t.Helper()
	var out []string
	data := []byte(input)
	switch parser {
	case "text", "markdown", "html":
		parse := map[string]func(string, []byte) (*bundle.Article, error){
			"text": ingest.ParseText, "markdown": ingest.ParseMarkdown, "html": ingest.ParseHTML,
		}[parser]
		a, err := parse(name, data)
		if err != nil {
			t.Fatalf("Parse(%s) error = %v", parser, err)
		}
		out = append(out, a.ID)
	default:
		parse := map[string]func(string, []byte) ([]*bundle.Article, error){
			"json": ingest.ParseJSON, "jsonl": ingest.ParseJSONL, "feed": ingest.ParseFeed,
		}[parser]
		as, err := parse(name, data)
		if err != nil {
			t.Fatalf("Parse(%s) error = %v", parser, err)
		}
		for _, a := range as {
			out = append(out, a.ID)
		}
	}
	return out
}
