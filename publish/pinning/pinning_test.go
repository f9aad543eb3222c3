package pinning

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multiaddr"
	"github.com/multiformats/go-multihash"

	"github.com/samizdat/samizdat/internal/pinfake"
)

func newService(t *testing.T, polls int) (*pinfake.Service, *httptest.Server) {
	s := pinfake.New("secret-token", polls)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func testCID(t *testing.T, s string) cid.Cid {
	h, err := multihash.Sum([]byte(s), multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.DagCBOR, h)
}

// TestPush: the first push adds the pin, with its name and origins, and
// waits until it is pinned; pushing the same catalog again changes
// nothing; a newer catalog replaces the pin, under a new request ID.
func TestPush(t *testing.T) {
	s, srv := newService(t, 2)
	origin := multiaddr.StringCast("/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWKd3gcThWkZzb8F5XkrbANMzWGteu6jTftoAmdGVvn77C")
	o := Options{Service: srv.URL, Token: s.Token, Name: "samizdat PUB", Origins: []multiaddr.Multiaddr{origin}, Wait: 10 * time.Second, Poll: time.Millisecond}
	ctx := context.Background()
	first, second := testCID(t, "catalog 1"), testCID(t, "catalog 2")

	res, err := Push(ctx, first, o)
	if err != nil || res.Status != "pinned" || res.Unchanged || res.Replaced != "" || res.RequestID != "req-1" {
		t.Fatalf("first Push = %+v, %v; want req-1 added and pinned", res, err)
	}
	if len(res.Delegates) != 1 || res.Delegates[0].String() != pinfake.Delegate {
		t.Errorf("delegates %v, want the service's", res.Delegates)
	}
	if p := s.Posted()[0]; p.CID != first.String() || p.Name != o.Name || !slices.Equal(p.Origins, []string{origin.String()}) {
		t.Errorf("posted %+v, want the catalog's CID, the name and the origin", p)
	}
	if got := s.Calls(); !slices.Equal(got, []string{"GET /pins", "POST /pins", "GET /pins/req-1", "GET /pins/req-1"}) {
		t.Errorf("requests %v", got)
	}

	res, err = Push(ctx, first, o)
	if err != nil || !res.Unchanged || res.RequestID != "req-1" || res.Status != "pinned" {
		t.Errorf("same catalog again = %+v, %v; want req-1 unchanged", res, err)
	}
	if got := s.Calls(); !slices.Equal(got, []string{"GET /pins"}) {
		t.Errorf("same catalog again: requests %v, want only the list", got)
	}

	res, err = Push(ctx, second, o)
	if err != nil || res.Replaced != "req-1" || res.RequestID != "req-2" || res.Status != "pinned" {
		t.Errorf("newer catalog = %+v, %v; want req-1 replaced by req-2, pinned", res, err)
	}
	if got := s.Calls(); !slices.Equal(got[:2], []string{"GET /pins", "POST /pins/req-1"}) {
		t.Errorf("newer catalog: requests %v, want a replace of req-1", got)
	}
	if pins := s.Pins(); len(pins) != 1 || pins["req-2"].Pin.CID != second.String() {
		t.Errorf("the service holds %v, want the newer catalog alone", pins)
	}
}

// TestPushFails: what the service or the options refuse is an error
// that says so, and a wait that runs out says the pin is not done.
func TestPushFails(t *testing.T) {
	ctx := context.Background()
	root := testCID(t, "catalog")
	t.Run("failed", func(t *testing.T) {
		s, srv := newService(t, 1)
		s.Fail(true)
		_, err := Push(ctx, root, Options{Service: srv.URL, Token: s.Token, Name: "n", Wait: 10 * time.Second, Poll: time.Millisecond})
		if !errors.Is(err, ErrFailed) {
			t.Errorf("Push = %v, want ErrFailed", err)
		}
		// A failed pin of the same catalog is tried again.
		s.Fail(false)
		res, err := Push(ctx, root, Options{Service: srv.URL, Token: s.Token, Name: "n"})
		if err != nil || res.Unchanged || res.Replaced != "req-1" {
			t.Errorf("again after a failure = %+v, %v; want req-1 replaced", res, err)
		}
	})
	t.Run("wait runs out", func(t *testing.T) {
		s, srv := newService(t, 1<<30)
		res, err := Push(ctx, root, Options{Service: srv.URL, Token: s.Token, Name: "n", Wait: 50 * time.Millisecond, Poll: time.Millisecond})
		if !errors.Is(err, ErrNotPinned) || res == nil || res.RequestID != "req-1" || res.Status != "queued" {
			t.Errorf("Push = %+v, %v; want req-1 queued and ErrNotPinned", res, err)
		}
	})
	t.Run("bad token", func(t *testing.T) {
		_, srv := newService(t, 1)
		_, err := Push(ctx, root, Options{Service: srv.URL, Token: "wrong", Name: "n"})
		var se *ServiceError
		if !errors.As(err, &se) || se.Code != http.StatusUnauthorized || se.Reason != "UNAUTHORIZED" {
			t.Errorf("Push = %v, want the service's refusal", err)
		}
	})
	for name, o := range map[string]Options{
		"plain http":                 {Service: "http://pins.example/psa", Token: "t", Name: "n"},
		"plain http with a password": {Service: "http://me:hunter2@pins.example/psa", Token: "t", Name: "n"},
		"scheme with a password":     {Service: "ftp://me:hunter2@pins.example/psa", Token: "t", Name: "n"},
		"not a URL":                  {Service: "pins.example", Token: "t", Name: "n"},
		"no token":                   {Service: "https://pins.example", Name: "n"},
		"no name":                    {Service: "https://pins.example", Token: "t"},
		"21 origins":                 {Service: "https://pins.example", Token: "t", Name: "n", Origins: make([]multiaddr.Multiaddr, 21)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Push(ctx, root, o); err == nil {
				t.Errorf("Push accepted %+v", o)
			} else if strings.HasPrefix(name, "plain http") && !errors.Is(err, ErrInsecure) {
				t.Errorf("Push = %v, want ErrInsecure", err)
			} else if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Push = %v: the error shows the URL's password", err)
			}
		})
	}
}

// TestPushHostileService: a service that redirects (to plain http, or to
// another server on its host: the token would follow), or answers with
// more than any pin list holds, is refused, and the token goes nowhere
// but to the service's URL.
func TestPushHostileService(t *testing.T) {
	ctx := context.Background()
	root := testCID(t, "catalog")
	var leaked atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"count":0,"results":[]}`))
	}))
	defer elsewhere.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	if _, err := Push(ctx, root, Options{Service: redirect.URL, Token: "secret-token", Name: "n"}); err == nil {
		t.Errorf("Push through a redirect succeeded")
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("the token was sent to %d requests of a server the redirect named", n)
	}

	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"count":1,"results":[],"padding":"`))
		w.Write(bytes.Repeat([]byte("x"), 2*maxResponse))
		w.Write([]byte(`"}`))
	}))
	defer huge.Close()
	if _, err := Push(ctx, root, Options{Service: huge.URL, Token: "t", Name: "n"}); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("Push against a service answering %d bytes = %v, want ErrResponseTooLarge", 2*maxResponse, err)
	}
}

// TestPushServiceHangs: a service that never answers costs a push one
// request's Timeout, not forever (a daily job would hang with it).
func TestPushServiceHangs(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer srv.Close()
	defer close(stop)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := Push(ctx, testCID(t, "catalog"), Options{Service: srv.URL, Token: "t", Name: "n", Timeout: 50 * time.Millisecond})
	if err == nil || ctx.Err() != nil {
		t.Errorf("Push = %v, caller's context %v; want the request's own timeout to end it", err, ctx.Err())
	}
}

// TestPushOnePinPerName: a service holding several pins of the
// publisher's name (made by hand, or by a run that failed halfway) ends
// with one, of the newest catalog; pins of other names stay.
func TestPushOnePinPerName(t *testing.T) {
	s, srv := newService(t, 1)
	ctx := context.Background()
	o := Options{Service: srv.URL, Token: s.Token, Name: "samizdat PUB"}
	for _, p := range []struct{ name, catalog string }{
		{o.Name, "catalog 1"}, {o.Name, "catalog 2"}, {"someone else", "theirs"},
	} {
		body := `{"cid":"` + testCID(t, p.catalog).String() + `","name":"` + p.name + `"}`
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/pins", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusAccepted {
			t.Fatalf("adding %v: %v, %v", p, resp, err)
		}
		resp.Body.Close()
		time.Sleep(time.Millisecond) // distinct creation times, which newest compares
	}
	third := testCID(t, "catalog 3")
	res, err := Push(ctx, third, o)
	if err != nil || res.Replaced != "req-2" || !slices.Equal(res.Removed, []string{"req-1"}) {
		t.Errorf("Push = %+v, %v; want req-2 (the newest) replaced and req-1 removed", res, err)
	}
	pins := s.Pins()
	var ours []string
	for _, p := range pins {
		if p.Pin.Name == o.Name {
			ours = append(ours, p.Pin.CID)
		}
	}
	if !slices.Equal(ours, []string{third.String()}) || pins["req-3"].Pin.Name != "someone else" {
		t.Errorf("the service holds %v of our name (want the newest catalog alone), and %v", ours, pins)
	}
}

// TestPushKeepsNewerHead: the pin records the head's sequence number,
// and a repo whose head lags behind (a mirror not yet synced, a restored
// backup) does not replace the pin of a newer head's catalog, which
// links bundles the older one does not.
func TestPushKeepsNewerHead(t *testing.T) {
	s, srv := newService(t, 1)
	ctx := context.Background()
	o := Options{Service: srv.URL, Token: s.Token, Name: "samizdat PUB"}
	older, newer := testCID(t, "catalog 1"), testCID(t, "catalog 2")
	o.Seq = 2
	if _, err := Push(ctx, newer, o); err != nil {
		t.Fatal(err)
	}
	o.Seq = 1
	if _, err := Push(ctx, older, o); !errors.Is(err, ErrNewerPinned) {
		t.Errorf("Push of head 1's catalog over head 2's = %v, want ErrNewerPinned", err)
	}
	if pins := s.Pins(); len(pins) != 1 || pins["req-1"].Pin.CID != newer.String() {
		t.Errorf("the service holds %v, want head 2's catalog", pins)
	}
	o.Seq = 3
	if res, err := Push(ctx, older, o); err != nil || res.Replaced != "req-1" {
		t.Errorf("Push of head 3 = %+v, %v; want req-1 replaced", res, err)
	}
}

// TestPushBadAnswer: a pin request the service answers with is checked
// before it is used or printed: a request ID that would write escape
// sequences to the operator's terminal, or a status the API does not
// have, is refused.
func TestPushBadAnswer(t *testing.T) {
	for name, answer := range map[string]string{
		"escape in request ID": `{"requestid":"req-1\u001b]0;owned\u0007","status":"queued","created":"2026-12-03T00:00:00Z","pin":{"cid":"x"},"delegates":[]}`,
		"no request ID":        `{"requestid":"","status":"queued","created":"2026-12-03T00:00:00Z","pin":{"cid":"x"},"delegates":[]}`,
		"unknown status":       `{"requestid":"req-1","status":"pinned\u001b[2J","created":"2026-12-03T00:00:00Z","pin":{"cid":"x"},"delegates":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.Method == http.MethodGet {
					w.Write([]byte(`{"count":0,"results":[]}`))
					return
				}
				w.WriteHeader(http.StatusAccepted)
				w.Write([]byte(answer))
			}))
			defer srv.Close()
			res, err := Push(context.Background(), testCID(t, "catalog"), Options{Service: srv.URL, Token: "t", Name: "n"})
			if !errors.Is(err, ErrBadAnswer) {
				t.Errorf("Push = %+v, %v; want ErrBadAnswer", res, err)
			}
		})
	}
}

// FuzzPinRequest: whatever a service answers, a pin request that passes
// check has a known status and a request ID of printable ASCII that
// stays one path segment.
func FuzzPinRequest(f *testing.F) {
	f.Add([]byte(`{"requestid":"req-1","status":"pinned","created":"2026-12-03T00:00:00Z","pin":{"cid":"x","name":"n","meta":{"samizdat-seq":"3"}},"delegates":["/ip4/127.0.0.1/tcp/4001"]}`))
	f.Add([]byte(`{"requestid":"a/b?c","status":"queued"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st psaStatus
		if json.Unmarshal(data, &st) != nil || st.check() != nil {
			return
		}
		if !slices.Contains([]string{statusQueued, statusPinning, statusPinned, statusFailed}, st.Status) {
			t.Errorf("status %q passed", st.Status)
		}
		if strings.ContainsFunc(st.RequestID, func(r rune) bool { return r <= ' ' || r >= 0x7f }) || len(st.RequestID) > maxRequestID {
			t.Errorf("request ID %q passed", st.RequestID)
		}
		if seg := url.PathEscape(st.RequestID); strings.Contains(seg, "/") {
			t.Errorf("request ID %q escapes to %q, more than one path segment", st.RequestID, seg)
		}
	})
}
