package control

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestPeerUID(t *testing.T) {
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	uid, err := peerUID(sc)
	if err != nil || uid != uint32(os.Geteuid()) {
		t.Errorf("peerUID() = %d, %v, want %d", uid, err, os.Geteuid())
	}
}

// TestPeerRejected connects as a user the server does not serve: it gets
// no answer. Not root, the test makes the server believe it runs as another
// user; root (served always) connects as nobody for a moment instead.
func TestPeerRejected(t *testing.T) {
	dir := t.TempDir()
	s, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, SocketName)
	dial := func() (net.Conn, error) { return net.Dial("unix", sock) }
	if os.Geteuid() != 0 {
		s.uid = uint32(os.Geteuid()) + 1
	} else {
		// Let nobody reach and connect to the socket, so that only the
		// peer check is left to refuse it.
		for _, p := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(p, 0o711); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(sock, 0o666); err != nil {
			t.Fatal(err)
		}
		const nobody = 65534
		dial = func() (net.Conn, error) {
			// The kernel records the peer's credentials at connect.
			if err := syscall.Setresuid(-1, nobody, -1); err != nil {
				t.Skipf("cannot become nobody: %v", err)
			}
			defer func() {
				if err := syscall.Setresuid(-1, 0, -1); err != nil {
					panic(err) // the rest of the tests would run as nobody
				}
			}()
			return net.Dial("unix", sock)
		}
	}
	start(t, s, func(_ context.Context, req Request) Response { return Response{Message: "served"} })

	c, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	json.NewEncoder(c).Encode(Request{Op: "status"}) // the server may have closed already
	var resp Response
	if err := json.NewDecoder(c).Decode(&resp); err == nil {
		t.Errorf("rejected peer read %+v, want no answer", resp)
	}
}
