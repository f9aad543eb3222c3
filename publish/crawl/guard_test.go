package crawl

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/samizdat/samizdat/bundle/ingest"
)

// TestInternalHostRefused: a compromised CMS links a feed item and an
// image to intranet.news.example, a name on the site that only the
// newsroom's DNS resolves, to its own network. A walk of the public
// site does not fetch them (nothing of the intranet goes into a bundle
// for the world); a walk whose input is on the intranet does.
func TestInternalHostRefused(t *testing.T) {
	s, o, public, hits := newIntranet(t, "")
	s.feed = strings.Replace(rssFeed("http://news.example", []string{"/news/es", "/hr/salaries", "/news/leak"}),
		"http://news.example/hr/salaries", "http://intranet.news.example/hr/salaries", 1)
	s.setPage("/news/leak", changingPage(`leak <img src="http://intranet.news.example/hr/badge.jpg" alt="badge">`))

	f := newFetcher(t, o)
	f.public = public
	arts, warns, err := walk(t, f, "http://news.example/feed.rss", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 2 || arts[0].ID != "story-1" || arts[1].ID != "story-3" || len(arts[1].Attachments) != 0 {
		t.Errorf("got %d articles, want story-1 and story-3 without the intranet's image", len(arts))
	}
	if len(warns) != 2 || !errors.Is(warns[0].Err, ErrPrivateAddress) || warns[0].Kind != ingest.Skipped ||
		!errors.Is(warns[1].Err, ErrPrivateAddress) || warns[1].Kind != ingest.Unattached {
		t.Errorf("warnings %v, want the intranet page skipped and its image unattached, for ErrPrivateAddress", warns)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the intranet answered %d requests of a walk of the public site", n)
	}

	f = newFetcher(t, o)
	f.public = public
	arts, warns, err = walk(t, f, "http://intranet.news.example/hr/salaries", ingest.Options{})
	if err != nil || len(arts) != 1 || len(warns) != 0 {
		t.Errorf("walk of the intranet itself = %d articles, warnings %v, %v; want its page: the publisher chose it", len(arts), warns, err)
	}
}

// TestInternalWalkLeavesNothing: a run whose inputs are an intranet page
// and then the public site, whose feed a compromised CMS links to that
// page. The public walk must not get the page from what the internal
// walk left behind: an idle connection to the intranet, or the cache
// (the intranet's answer fresh for ten minutes). It is refused as if the
// internal walk had not been, and the intranet sees none of its
// requests.
func TestInternalWalkLeavesNothing(t *testing.T) {
	for _, tt := range []struct {
		name  string
		cache bool
	}{
		{"idle connection", false},
		{"cache", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cacheControl := ""
			if tt.cache {
				cacheControl = "max-age=600"
			}
			s, o, public, hits := newIntranet(t, cacheControl)
			s.feed = strings.Replace(rssFeed("http://news.example", []string{"/news/es", "/hr/salaries"}),
				"http://news.example/hr/salaries", "http://intranet.news.example/hr/salaries", 1)
			if tt.cache {
				o.CacheDir = t.TempDir()
			}
			f := newFetcher(t, o)
			f.public = public
			arts, _, err := walk(t, f, "http://intranet.news.example/hr/salaries", ingest.Options{})
			if err != nil || len(arts) != 1 {
				t.Fatalf("walk of the intranet = %d articles, %v; want its page", len(arts), err)
			}
			before := hits.Load()
			arts, warns, err := walk(t, f, "http://news.example/feed.rss", ingest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range arts {
				if strings.Contains(string(a.Body), "salaries") {
					t.Errorf("article %s of the public walk holds the intranet's page", a.ID)
				}
			}
			if len(arts) != 1 || len(warns) != 1 || !errors.Is(warns[0].Err, ErrPrivateAddress) {
				t.Errorf("public walk = %d articles, warnings %v; want 1, and the intranet page refused for ErrPrivateAddress", len(arts), warns)
			}
			if n := hits.Load() - before; n != 0 {
				t.Errorf("the intranet answered %d requests of the public walk", n)
			}
		})
	}
}

// newIntranet returns a newsroom whose site is on the internet and, on
// 127.0.0.2, an intranet (intranet.news.example, a name only the
// newsroom's DNS resolves) whose pages are answered with cacheControl;
// the options dial both, public reports only the site's address public,
// and hits counts the intranet's requests.
func newIntranet(t *testing.T, cacheControl string) (*newsroom, Options, func(netip.Addr) bool, *atomic.Int64) {
	s := newNewsroom(t)
	ln, err := net.Listen("tcp", "127.0.0.2:0") // the newsroom's own network
	if err != nil {
		t.Fatal(err)
	}
	hits := new(atomic.Int64)
	intranet := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write(changingPage("salaries"))
	}))
	intranet.Listener = ln
	intranet.Start()
	t.Cleanup(intranet.Close)
	o := s.options()
	o.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		target := s.srv.Listener.Addr().String()
		if strings.HasPrefix(addr, "intranet.") {
			target = ln.Addr().String()
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", target)
	}
	public := func(a netip.Addr) bool { return a == netip.MustParseAddr("127.0.0.1") } // news.example is on the internet
	return s, o, public, hits
}

// TestSecureWalkStaysSecure: on a walk of an https feed, an item linked
// (or redirected) with http:// is fetched over https. Over http, anyone
// on the path (the censor the bundle is made to get around) could
// rewrite the article, and the publisher would sign the rewrite.
func TestSecureWalkStaysSecure(t *testing.T) {
	var plainHits atomic.Int64
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.Write(changingPage("tampered"))
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed.rss":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write([]byte(rssFeed("http://news.example", []string{"/news/a", "/news/moved"})))
		case "/news/moved":
			http.Redirect(w, r, "http://news.example/news/a", http.StatusMovedPermanently)
		case "/news/a":
			w.Header().Set("Content-Type", "text/html")
			w.Write(changingPage("genuine"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer secure.Close()
	var log bytes.Buffer
	o := Options{Rate: 1000, Logger: slog.New(slog.NewTextHandler(&log, nil)), DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		target := plain.Listener.Addr().String()
		if strings.HasSuffix(addr, ":443") {
			target = secure.Listener.Addr().String()
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", target)
	}}
	f := newFetcher(t, o)
	for _, c := range []*http.Client{f.publicClient, f.privateClient} {
		c.Transport.(*http.Transport).TLSClientConfig = secure.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
		c.Transport.(*http.Transport).TLSClientConfig.ServerName = "example.com" // in httptest's certificate
	}
	arts, warns, err := walk(t, f, "https://news.example/feed.rss", ingest.Options{})
	if err != nil || len(warns) != 0 || len(arts) != 2 {
		t.Fatalf("Walk = %d articles, warnings %v, %v; want 2", len(arts), warns, err)
	}
	for _, a := range arts {
		if !strings.Contains(string(a.Body), "genuine") {
			t.Errorf("%s: body is not the https page's", a.ID)
		}
	}
	if n := plainHits.Load(); n != 0 {
		t.Errorf("%d requests over plain http on a walk of an https feed", n)
	}
	if strings.Contains(log.String(), "plain http") {
		t.Errorf("an https input was warned of as plain http:\n%s", log.String())
	}
}

// TestPlainInputWarned: an http:// input is fetched in plain text end to
// end, so anyone on the path could rewrite what the publisher signs; the
// walk says so, once, in a warning that names the input.
func TestPlainInputWarned(t *testing.T) {
	s := newNewsroom(t)
	var log bytes.Buffer
	o := s.options()
	o.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFetcher(t, o)
	if _, _, err := walk(t, f, "http://news.example/feed.rss", ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(log.String(), "level=WARN msg=\"input fetched over plain http"); n != 1 || !strings.Contains(log.String(), "url=http://news.example/feed.rss") {
		t.Errorf("log has %d plain-http warnings, want one naming the input:\n%s", n, log.String())
	}

	// A feed behind basic auth: the warning (and every other line)
	// names it without its password, which logs must not keep.
	log.Reset()
	if _, _, err := walk(t, f, "http://desk:hunter2@news.example/feed.rss", ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "hunter2") || !strings.Contains(log.String(), "url=http://desk:xxxxx@news.example/feed.rss") {
		t.Errorf("the warning of an input with a password:\n%s", log.String())
	}
}

func TestIsPublic(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"93.184.215.14", true}, {"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true},
		{"127.0.0.1", false}, {"::1", false}, {"10.1.2.3", false}, {"172.16.0.1", false},
		{"192.168.1.1", false}, {"169.254.169.254", false}, {"fe80::1", false}, {"fd00::1", false},
		{"0.0.0.0", false}, {"::", false}, {"100.64.0.1", false}, {"100.127.255.254", false},
		{"100.128.0.1", true}, {"224.0.0.1", false},
		// NAT64: the IPv4 address it stands for decides.
		{"64:ff9b::a00:5", false}, {"64:ff9b::7f00:1", false}, {"64:ff9b::5db8:d70e", true}, {"64:ff9b:1::5db8:d70e", false},
	} {
		if got := isPublic(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("isPublic(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// remoteConn is a connection that says it is to addr.
type remoteConn struct {
	net.Conn
	addr string
}

func (c remoteConn) RemoteAddr() net.Addr {
	return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(c.addr))
}
func (c remoteConn) Close() error { return nil }

// TestInternalPinned: whether a site is internal is settled by the first
// connection to its input's host. A site whose DNS later answers with a
// private address (DNS rebinding) does not turn its walks internal, and
// other hosts of the site on private addresses stay refused.
func TestInternalPinned(t *testing.T) {
	f := newFetcher(t, Options{})
	answers := map[string][]string{
		"news.example:80":     {"93.184.215.14:80", "10.0.0.5:80"},
		"intranet.example:80": {"10.0.0.6:80"},
	}
	dial := f.guard(func(ctx context.Context, network, addr string) (net.Conn, error) {
		next := answers[addr][0]
		if len(answers[addr]) > 1 {
			answers[addr] = answers[addr][1:]
		}
		return remoteConn{addr: next}, nil
	}, true) // the input's host goes to the private pool (mayReachPrivate)
	u, _ := url.Parse("http://news.example/feed.rss")
	ctx := withInput(context.Background(), u)
	for i, want := range []bool{true, true} {
		if _, err := dial(ctx, "tcp", "news.example:80"); (err == nil) != want {
			t.Errorf("dial %d of the input's host = %v, want allowed: the publisher chose it", i+1, err)
		}
	}
	if _, err := dial(ctx, "tcp", "intranet.example:80"); !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("dial of another host on a private address = %v, want ErrPrivateAddress: the site was public when first reached", err)
	}
}

// TestPublicPoolRefusesPrivate: a request that may not reach a non-public
// address goes to the public pool, and its dial is judged later. If its
// walk's input settles as internal in between (another request of the
// walk dials the input first), the dial must still be refused: a
// connection to a non-public address left idle in the public pool would
// answer the next public walk that asks for the host.
func TestPublicPoolRefusesPrivate(t *testing.T) {
	f := newFetcher(t, Options{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return remoteConn{addr: "10.0.0.6:80"}, nil // cdn.news.example, as the newsroom's DNS answers
	}})
	u, _ := url.Parse("http://news.example/feed.rss")
	ctx := withInput(context.Background(), u)
	f.pin(ctx, "news.example", true) // settled while the request to cdn waited for its dial
	for _, tt := range []struct {
		name    string
		client  *http.Client
		private bool
	}{
		{"public pool", f.publicClient, false},
		{"private pool", f.privateClient, true},
	} {
		conn, err := tt.client.Transport.(*http.Transport).DialContext(ctx, "tcp", "cdn.news.example:80")
		if tt.private && (err != nil || !isPrivate(conn)) {
			t.Errorf("%s: dial = %v, %v; want a private connection: the walk is internal", tt.name, conn, err)
		}
		if !tt.private && !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("%s: dial = %v, %v; want ErrPrivateAddress", tt.name, conn, err)
		}
	}
}

// TestInternalWalkAfterPublic: a run whose inputs are the public site,
// whose feed links to the intranet, and then the intranet page itself.
// The public walk was refused the intranet's robots.txt; the internal
// walk must ask for it itself, not take the refusal as robots.txt's
// answer and lose its page.
func TestInternalWalkAfterPublic(t *testing.T) {
	s, o, public, _ := newIntranet(t, "")
	s.feed = strings.Replace(rssFeed("http://news.example", []string{"/news/es", "/hr/salaries"}),
		"http://news.example/hr/salaries", "http://intranet.news.example/hr/salaries", 1)
	f := newFetcher(t, o)
	f.public = public
	if _, warns, err := walk(t, f, "http://news.example/feed.rss", ingest.Options{}); err != nil || len(warns) != 1 || !errors.Is(warns[0].Err, ErrPrivateAddress) {
		t.Fatalf("public walk: warnings %v, %v; want the intranet page refused for ErrPrivateAddress", warns, err)
	}
	arts, warns, err := walk(t, f, "http://intranet.news.example/hr/salaries", ingest.Options{})
	if err != nil || len(arts) != 1 || len(warns) != 0 {
		t.Errorf("walk of the intranet after the public one = %d articles, warnings %v, %v; want its page", len(arts), warns, err)
	}
}
