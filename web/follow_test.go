package web

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

var tokenField = regexp.MustCompile(`<input type="hidden" name="token" value="([^"]*)">`)

// followToken returns the token of the follow form s serves, read from
// the publishers page as a browser reads it.
func followToken(t testing.TB, s http.Handler) string {
	t.Helper()
	w := do(t, s, "GET", "/publishers", nil)
	m := tokenField.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("publishers page has no token field:\n%s", w.Body)
	}
	return m[1]
}

// TestFollowToken: a POST /follow must carry the token of the form this
// server started with, so a local process (which sends no Origin or
// Sec-Fetch-Site) cannot make the reader follow a link blindly; a
// cross-site POST is refused even with it.
func TestFollowToken(t *testing.T) {
	f := newFixture(t)
	rec := &followRecorder{}
	s := f.server(t, false, rec.follow)
	post := func(t *testing.T, target string, form url.Values, status int, hdr ...string) {
		t.Helper()
		rec.links = nil
		w := do(t, s, "POST", target, form, hdr...)
		if w.Code != status {
			t.Fatalf("POST %s = %d, want %d\n%s", target, w.Code, status, w.Body)
		}
		if followed := len(rec.links) > 0; followed != (status == 303) {
			t.Errorf("Follow called with %v; want a call only on success", rec.links)
		}
		checkHeaders(t, w.Header())
	}
	// What a local process can send without reading a page first.
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"no token", url.Values{"link": {f.othID}}},
		{"empty token", url.Values{"link": {f.othID}, "token": {""}}},
		{"guessed token", url.Values{"link": {f.othID}, "token": {"0"}}},
	} {
		t.Run(tc.name, func(t *testing.T) { post(t, "/follow", tc.form, 403) })
	}

	token := followToken(t, s)
	restarted := followToken(t, f.server(t, false, rec.follow))
	if len(token) < 20 || token == restarted {
		t.Fatalf("token %q, %q after a restart: want a fresh secret per start", token, restarted)
	}
	for _, tc := range []struct {
		name   string
		target string
		form   url.Values
		hdr    []string
		status int
	}{
		{"wrong token", "/follow", url.Values{"link": {f.othID}, "token": {"x" + token[1:]}}, nil, 403},
		{"token of another start", "/follow", url.Values{"link": {f.othID}, "token": {restarted}}, nil, 403},
		{"token in the query only", "/follow?token=" + url.QueryEscape(token), url.Values{"link": {f.othID}}, nil, 403},
		{"token, cross-site", "/follow", url.Values{"link": {f.othID}, "token": {token}}, []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"token, foreign origin", "/follow", url.Values{"link": {f.othID}, "token": {token}}, []string{"Origin", "https://evil.example"}, 403},
		{"token", "/follow", url.Values{"link": {f.othID}, "token": {token}}, nil, 303},
		{"token, same origin", "/follow", url.Values{"link": {f.othID}, "token": {token}}, []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://127.0.0.1:8080"}, 303},
	} {
		t.Run(tc.name, func(t *testing.T) { post(t, tc.target, tc.form, tc.status, tc.hdr...) })
	}
}
