package mirror

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSyncHTTPDrip: a server that sends the newest bundle's file, its own
// true bytes, one every 200 ms (each well within the stall timeout that
// cuts a server that sends nothing) is cut off once it falls below the
// rate a libp2p source must keep (node.MinRate), and the bundle comes
// from the next URL. Before, it held the fetch until the caller's
// deadline (a follow's sync; none at all for samizdat get), and the
// next URL was never asked.
func TestSyncHTTPDrip(t *testing.T) {
	f := newHTTPFixture(t)
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	dripped := make(chan struct{}, 1)
	drip := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/ipfs/"+f.roots[2]) {
			f.static.ServeHTTP(w, r)
			return
		}
		select {
		case dripped <- struct{}{}:
		default:
		}
		file := f.files[2]
		w.Header().Set("Content-Length", strconv.Itoa(len(file)))
		w.Write(file[:64]) // the CAR header: it is the bundle's
		w.(http.Flusher).Flush()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for _, c := range file[64:] {
			select {
			case <-tick.C:
			case <-stop:
				return
			case <-r.Context().Done():
				return
			}
			w.Write([]byte{c})
			w.(http.Flusher).Flush()
		}
	}))
	reader := start(t, false)
	t0 := time.Now()
	res, err := syncHTTP(t, reader, f.publisher, time.Second, drip, serve(t, f.static))
	if err != nil {
		t.Fatalf("SyncHTTP(dripping, good) after %v = %v", time.Since(t0).Round(time.Millisecond), err)
	}
	select {
	case <-dripped:
	default:
		t.Fatal("the dripping server was never asked for the bundle: the test proves nothing")
	}
	f.checkGot(t, reader, res)
	t.Logf("SyncHTTP past a server dripping a %d-byte bundle at 5 bytes a second: %v", len(f.files[2]), time.Since(t0).Round(time.Millisecond))
}
