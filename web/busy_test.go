package web

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestPublicBusy: while as many expensive requests as a public reader's
// bound allows are under way, the next is refused at once, 503 with a
// Retry-After, not queued; requests of the other bound still go through,
// and once the first are done so do new ones. The private reader has no
// bound.
func TestPublicBusy(t *testing.T) {
	f := newFixture(t)
	article := articleHref(f.news.Root, idPlain)
	attachment := attachmentHref(f.news.Root, idMarkdown, "img/map.png")
	work := publicWorkPerCPU * runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		name   string
		public bool
		url    string
		n      int    // requests that hold their slot
		other  string // served meanwhile, under the other bound
		status int    // of the request past n
	}{
		{"article page", true, article, work, attachment, http.StatusServiceUnavailable},
		{"search", true, "/search?q=harbour", work, attachment, http.StatusServiceUnavailable},
		{"attachment", true, attachment, publicDownloads, article, http.StatusServiceUnavailable},
		{"private article page", false, article, work, attachment, http.StatusOK},
		{"private attachment", false, attachment, publicDownloads, article, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := f.server(t, tc.public, nil)
			// The first n requests to take a slot hold it until release.
			var calls atomic.Int64
			holding, release := make(chan struct{}), make(chan struct{})
			s.hold = func() {
				if calls.Add(1) <= int64(tc.n) {
					holding <- struct{}{}
					<-release
				}
			}
			codes := make(chan int, tc.n)
			for range tc.n {
				go func() { codes <- do(t, s, "GET", tc.url, nil).Code }()
			}
			for range tc.n {
				<-holding
			}

			w := do(t, s, "GET", tc.url, nil)
			if w.Code != tc.status {
				t.Errorf("GET %s with %d under way = %d, want %d", tc.url, tc.n, w.Code, tc.status)
			}
			if tc.status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") != fmt.Sprint(busyRetryAfter) {
				t.Errorf("Retry-After = %q, want %d", w.Header().Get("Retry-After"), busyRetryAfter)
			}
			if w := do(t, s, "GET", tc.other, nil); w.Code != http.StatusOK {
				t.Errorf("GET %s meanwhile = %d, want 200", tc.other, w.Code)
			}

			close(release)
			for range tc.n {
				if code := <-codes; code != http.StatusOK {
					t.Errorf("GET %s held = %d, want 200", tc.url, code)
				}
			}
			if w := do(t, s, "GET", tc.url, nil); w.Code != http.StatusOK {
				t.Errorf("GET %s once the others are done = %d, want 200", tc.url, w.Code)
			}
		})
	}
}

// TestDownloadStalled: a client that asks for a large attachment and
// stops reading is cut off once it has taken nothing for the stall time,
// and gives back its download slot.
func TestDownloadStalled(t *testing.T) {
	f := newFixture(t)
	root, _ := f.addBig(t)
	s := f.server(t, true, nil)
	s.downloads = make(chan struct{}, 1)
	s.stall = time.Millisecond
	ended := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(w, r)
		ended <- struct{}{}
	}))
	defer srv.Close()

	// More than the socket buffers hold, so the server's writes block.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", attachmentHref(root, idBigAttachment, bigName))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET = %v, %v; want 200", resp, err)
	}
	// Read no more. A guard, not a measure: the stall time is 1 ms.
	select {
	case <-ended:
	case <-time.After(time.Minute):
		t.Fatal("the download still holds its slot a minute after its client stopped reading")
	}
	c := srv.Client()
	resp, err = c.Get(srv.URL + attachmentHref(f.news.Root, idMarkdown, "img/map.png"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET another attachment after = %d, want 200: the slot was not given back", resp.StatusCode)
	}
}
