package node

import (
	"net/http"
	"testing"
)

// TestAcceptsGzip: a q value above zero that starts with 0 (0.5) is a
// yes; q=0, in any spelling, a no.
func TestAcceptsGzip(t *testing.T) {
	for ae, want := range map[string]bool{
		"gzip":                 true,
		"gzip, deflate, br":    true,
		"br;q=1.0, gzip;q=0.5": true,
		"gzip; q=0.8":          true,
		"GZIP;Q=0.001":         true,
		"gzip;q=0":             false,
		"gzip;q=0.000":         false,
		"gzip; q = 0":          false,
		"identity":             false,
		"":                     false,
		"x-gzip2":              false,
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept-Encoding", ae)
		if got := acceptsGzip(r); got != want {
			t.Errorf("Accept-Encoding %q: acceptsGzip %v, want %v", ae, got, want)
		}
	}
}
