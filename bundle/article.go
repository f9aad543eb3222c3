package bundle

import "time"

// Article is one article as ingested by a publisher, before packing, or as
// read back from a verified bundle.
//
// Times are UTC with at most second precision; the zero time means unknown.
type Article struct {
	// ID is stable across re-packs of the same source: the given id, else
	// the canonical URL, else the source path relative to its input root.
	ID    string
	Title string
	// Lang is a BCP 47 tag, "und" when unknown.
	Lang      string
	Published time.Time
	Updated   time.Time
	URL       string
	Authors   []string
	Summary   string
	// ContentType is a media type without parameters, e.g. "text/html".
	ContentType string
	// Body is the article exactly as ingested.
	Body        []byte
	Attachments []Attachment
}

// Attachment is a file that travels with its article: an image or other
// resource the article references by relative path.
type Attachment struct {
	// Name is a clean, relative, slash-separated path as referenced from the
	// article body (e.g. "img/map.png"). It never starts with "/" or "..".
	Name        string
	ContentType string
	Data        []byte
}
