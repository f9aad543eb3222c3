package node

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/samizdat/samizdat/bundle"
	"github.com/samizdat/samizdat/internal/dpiproxy"
)

const tlsWSLoopback = "/ip4/127.0.0.1/tcp/0/tls/ws"

// startIn starts a node on the repo in dir (opened here, closed at the
// end of the test or by the returned stop).
func startIn(t *testing.T, dir string, cfg Config) (*Node, func()) {
	t.Helper()
	repo, err := OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(context.Background(), repo, cfg)
	if err != nil {
		repo.Close()
		t.Fatal(err)
	}
	stop := func() { n.Close(); repo.Close() }
	t.Cleanup(stop)
	return n, stop
}

// tlsWSAddr returns the node's /tls/ws listen address.
func tlsWSAddr(t *testing.T, n *Node) ma.Multiaddr {
	t.Helper()
	for _, a := range n.Host.Addrs() {
		if IsTLSWS(a) {
			return a
		}
	}
	t.Fatalf("no /tls/ws address among %v", n.Host.Addrs())
	return nil
}

// servedCert makes a bare TLS handshake with the /tls/ws listener at a
// and returns the certificate it shows.
func servedCert(t *testing.T, a ma.Multiaddr) *x509.Certificate {
	t.Helper()
	port, _ := a.ValueForProtocol(ma.P_TCP)
	c, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", port), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

// certFile reads the first certificate of a PEM file.
func certFile(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(data)
	if blk == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// writePair writes a self-signed certificate for name, with its key, to
// certPath and keyPath.
func writePair(t *testing.T, name, certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTLSWSFetch: a reader fetches a bundle from a mirror that listens
// only on /tls/ws (its own self-signed certificate), and the connection
// is a /tls/ws one.
func TestTLSWSFetch(t *testing.T) {
	data := testBundle(t, 1, 40, nil)
	b := openBundle(t, data)
	mirror, _ := startIn(t, t.TempDir(), Config{Serve: true, Listen: []string{tlsWSLoopback}})
	reader, _ := startIn(t, t.TempDir(), Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := mirror.AddBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	addrs := mirror.Host.Addrs()
	if len(addrs) != 1 || !IsTLSWS(addrs[0]) {
		t.Fatalf("mirror listens on %v, want one /tls/ws address", addrs)
	}
	if err := reader.Connect(ctx, peer.AddrInfo{ID: mirror.Host.ID(), Addrs: addrs}); err != nil {
		t.Fatal(err)
	}
	conns := reader.Host.Network().ConnsToPeer(mirror.Host.ID())
	if len(conns) != 1 || !IsTLSWS(conns[0].RemoteMultiaddr()) {
		t.Fatalf("connections to the mirror: %v", conns)
	}
	var got bytes.Buffer
	if _, err := reader.FetchBundle(ctx, b.Root, bundle.OpenOptions{Publisher: b.Publisher}, &got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatal("the bundle fetched over /tls/ws differs from the publisher's file")
	}
	// The outer certificate, checked by nobody, does not make a peer: the
	// same address under another peer ID fails libp2p's handshake inside.
	other, _ := startIn(t, t.TempDir(), Config{})
	if err := other.Connect(ctx, peer.AddrInfo{ID: reader.Host.ID(), Addrs: addrs}); err == nil {
		t.Error("a /tls/ws dial expecting another peer ID succeeded")
	}
}

// TestTLSWSSNI: what the outer ClientHello says, seen from the wire: no
// SNI for an IP address, the name for /tls/sni/NAME/ws and for a /dns4
// address, ALPN http/1.1 only; and the dial works in each case, whatever
// name the self-signed certificate does not carry.
func TestTLSWSSNI(t *testing.T) {
	mirror, _ := startIn(t, t.TempDir(), Config{Serve: true, Listen: []string{tlsWSLoopback}})
	port, _ := tlsWSAddr(t, mirror).ValueForProtocol(ma.P_TCP)
	proxy, err := dpiproxy.Start(net.JoinHostPort("127.0.0.1", port), dpiproxy.Observe)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	p := proxy.PortString()
	tests := []struct{ addr, sni string }{
		{"/ip4/127.0.0.1/tcp/" + p + "/tls/ws", ""},
		{"/ip4/127.0.0.1/tcp/" + p + "/wss", ""},
		{"/ip4/127.0.0.1/tcp/" + p + "/tls/sni/mirror.example.org/ws", "mirror.example.org"},
		{"/dns4/localhost/tcp/" + p + "/tls/ws", "localhost"},
	}
	for i, tc := range tests {
		reader, stop := startIn(t, t.TempDir(), Config{})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := reader.Connect(ctx, peer.AddrInfo{ID: mirror.Host.ID(), Addrs: []ma.Multiaddr{ma.StringCast(tc.addr)}})
		cancel()
		stop()
		if err != nil {
			t.Errorf("%s: %v", tc.addr, err)
			continue
		}
		hellos := proxy.ClientHellos()
		if len(hellos) != i+1 {
			t.Fatalf("%s: %d ClientHellos seen, want %d", tc.addr, len(hellos), i+1)
		}
		if h := hellos[i]; h.SNI != tc.sni || !slices.Equal(h.ALPN, []string{"http/1.1"}) {
			t.Errorf("%s: ClientHello with SNI %q, ALPN %q; want %q, [http/1.1]", tc.addr, h.SNI, h.ALPN, tc.sni)
		}
	}
}

// TestSelfSignedCert: without an operator's certificate a node makes one
// on first start (ECDSA P-256, long-lived, naming neither samizdat nor
// libp2p, key mode 0600), serves it, and serves the same one after a
// restart; a repo with a key but no certificate (a crash between the
// two writes) gets a new pair; a pair that does not match is refused.
func TestSelfSignedCert(t *testing.T) {
	dir := t.TempDir()
	n, stop := startIn(t, dir, Config{Serve: true, Listen: []string{tlsWSLoopback}})
	certPath, keyPath := filepath.Join(dir, tlsCertName), filepath.Join(dir, tlsKeyName)
	st, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	cert := certFile(t, certPath)
	if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("certificate key %T, want ECDSA P-256", cert.PublicKey)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if life := cert.NotAfter.Sub(cert.NotBefore); life < 9*365*24*time.Hour {
		t.Errorf("valid for %v only", life)
	}
	if cert.NotBefore.After(time.Now()) || cert.NotAfter.Before(time.Now().Add(9*365*24*time.Hour)) {
		t.Errorf("validity %v to %v", cert.NotBefore, cert.NotAfter)
	}
	names := strings.ToLower(cert.Subject.String() + cert.Issuer.String() + strings.Join(cert.DNSNames, ","))
	for _, bad := range []string{"samizdat", "libp2p"} {
		if strings.Contains(names, bad) {
			t.Errorf("certificate names %q: %s", bad, names)
		}
	}
	if got := servedCert(t, tlsWSAddr(t, n)); !bytes.Equal(got.Raw, cert.Raw) {
		t.Error("the node serves another certificate than the one in its repo")
	}
	certBytes, _ := os.ReadFile(certPath)
	stop()

	n, stop = startIn(t, dir, Config{Serve: true, Listen: []string{tlsWSLoopback}})
	if got := servedCert(t, tlsWSAddr(t, n)); !bytes.Equal(got.Raw, cert.Raw) {
		t.Error("after a restart the node serves a new certificate")
	}
	if again, _ := os.ReadFile(certPath); !bytes.Equal(again, certBytes) {
		t.Error("the certificate file was rewritten on restart")
	}
	stop()

	// A crash after the key was written and before the certificate was.
	os.Remove(certPath)
	n, stop = startIn(t, dir, Config{Serve: true, Listen: []string{tlsWSLoopback}})
	fresh := certFile(t, certPath)
	if bytes.Equal(fresh.Raw, cert.Raw) {
		t.Error("a repo without its certificate kept the old one")
	}
	if got := servedCert(t, tlsWSAddr(t, n)); !bytes.Equal(got.Raw, fresh.Raw) {
		t.Error("the node does not serve its new certificate")
	}
	stop()

	// A pair that does not match (a key replaced by hand): refused.
	writePair(t, "other", filepath.Join(t.TempDir(), "c.pem"), keyPath)
	repo, err := OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	if _, err := New(context.Background(), repo, Config{Serve: true, Listen: []string{tlsWSLoopback}}); !errors.Is(err, ErrBadTLSCert) {
		t.Errorf("New with a mismatched pair = %v, want ErrBadTLSCert", err)
	}
}

// TestSelfSignedOnlyWhenListening: a node without a /tls/ws listener (a
// reader) makes no certificate.
func TestSelfSignedOnlyWhenListening(t *testing.T) {
	dir := t.TempDir()
	startIn(t, dir, Config{Serve: true, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if _, err := os.Stat(filepath.Join(dir, tlsCertName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a node without a /tls/ws listener made a certificate: %v", err)
	}
}

// TestOperatorCert: given the operator's files, the node serves that
// certificate, makes none of its own, and serves a renewed one written
// over the files without a restart.
func TestOperatorCert(t *testing.T) {
	dir, files := t.TempDir(), t.TempDir()
	certPath, keyPath := filepath.Join(files, "fullchain.pem"), filepath.Join(files, "privkey.pem")
	writePair(t, "mirror.example.org", certPath, keyPath)
	n, _ := startIn(t, dir, Config{Serve: true, Listen: []string{tlsWSLoopback}, TLSCert: certPath, TLSKey: keyPath})
	a := tlsWSAddr(t, n)
	if got := servedCert(t, a); got.Subject.CommonName != "mirror.example.org" {
		t.Errorf("served %q, want the operator's certificate", got.Subject.CommonName)
	}
	if _, err := os.Stat(filepath.Join(dir, tlsCertName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the node made its own certificate beside the operator's: %v", err)
	}
	// A renewal: both files replaced; the times moved on so the change
	// shows even on a file system with coarse timestamps.
	writePair(t, "renewed.example.org", certPath, keyPath)
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(certPath, later, later)
	os.Chtimes(keyPath, later, later)
	if got := servedCert(t, a); got.Subject.CommonName != "renewed.example.org" {
		t.Errorf("after a renewal served %q", got.Subject.CommonName)
	}
	// A broken renewal (a key that does not match) keeps the last good
	// pair in use.
	writePair(t, "broken.example.org", certPath, filepath.Join(t.TempDir(), "k.pem"))
	even := later.Add(2 * time.Second)
	os.Chtimes(certPath, even, even)
	if got := servedCert(t, a); got.Subject.CommonName != "renewed.example.org" {
		t.Errorf("after a broken renewal served %q, want the last good one", got.Subject.CommonName)
	}
	// And a reader still connects over it.
	reader, _ := startIn(t, t.TempDir(), Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := reader.Connect(ctx, peer.AddrInfo{ID: n.Host.ID(), Addrs: []ma.Multiaddr{a}}); err != nil {
		t.Errorf("dial with the operator's certificate: %v", err)
	}
}

// TestBadTLSCert: files New cannot use are refused at start, with an
// error that names the file, whether or not a /tls/ws address is
// listened on.
func TestBadTLSCert(t *testing.T) {
	files := t.TempDir()
	good, goodKey := filepath.Join(files, "cert.pem"), filepath.Join(files, "key.pem")
	writePair(t, "mirror.example.org", good, goodKey)
	otherKey := filepath.Join(files, "other-key.pem")
	writePair(t, "other", filepath.Join(files, "other.pem"), otherKey)
	junk := filepath.Join(files, "junk.pem")
	os.WriteFile(junk, []byte("not PEM at all\n"), 0o600)
	missing := filepath.Join(files, "missing.pem")
	tests := []struct {
		name, cert, key string
		listen          string
		names           string // the error mentions this
	}{
		{"certificate without key", good, "", tlsWSLoopback, "both"},
		{"key without certificate", "", goodKey, tlsWSLoopback, "both"},
		{"missing certificate", missing, goodKey, tlsWSLoopback, "missing.pem"},
		{"missing key", good, missing, tlsWSLoopback, "missing.pem"},
		{"not PEM", junk, goodKey, tlsWSLoopback, "junk.pem"},
		{"key of another certificate", good, otherKey, tlsWSLoopback, "other-key.pem"},
		{"bad files, no /tls/ws listener", junk, goodKey, "/ip4/127.0.0.1/tcp/0", "junk.pem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo, err := OpenRepo(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer repo.Close()
			n, err := New(context.Background(), repo, Config{Serve: true, Listen: []string{tc.listen}, TLSCert: tc.cert, TLSKey: tc.key})
			if err == nil {
				n.Close()
				t.Fatal("New accepted it")
			}
			if !errors.Is(err, ErrBadTLSCert) || !strings.Contains(err.Error(), tc.names) {
				t.Errorf("New = %v; want ErrBadTLSCert naming %q", err, tc.names)
			}
		})
	}
}

// TestDialRanker: a peer's /tls/ws addresses are dialled first, its
// others after the head start; without /tls/ws the order is libp2p's.
func TestDialRanker(t *testing.T) {
	addrs := func(ss ...string) []ma.Multiaddr {
		var out []ma.Multiaddr
		for _, s := range ss {
			out = append(out, ma.StringCast(s))
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		addrs []ma.Multiaddr
		head  time.Duration
	}{
		{"public", addrs("/ip4/1.2.3.4/udp/4001/quic-v1", "/ip4/1.2.3.4/tcp/4001", "/ip4/1.2.3.4/tcp/4002/ws", "/ip4/1.2.3.4/tcp/443/tls/ws", "/ip4/1.2.3.4/tcp/4443/tls/sni/m.example.org/ws"), tlsWSHeadStartPublic},
		{"private", addrs("/ip4/192.168.1.2/tcp/4001", "/ip4/192.168.1.2/udp/4001/quic-v1", "/ip4/192.168.1.2/tcp/4443/wss"), tlsWSHeadStartPrivate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ranked := dialRanker(slices.Clone(tc.addrs))
			if len(ranked) != len(tc.addrs) {
				t.Fatalf("%d ranked of %d", len(ranked), len(tc.addrs))
			}
			var lastTLSWS time.Duration
			firstOther := time.Duration(-1)
			for _, r := range ranked {
				if IsTLSWS(r.Addr) {
					lastTLSWS = max(lastTLSWS, r.Delay)
				} else if firstOther < 0 || r.Delay < firstOther {
					firstOther = r.Delay
				}
			}
			if !IsTLSWS(ranked[0].Addr) || ranked[0].Delay != 0 {
				t.Errorf("first dial %v after %v, want a /tls/ws one at once", ranked[0].Addr, ranked[0].Delay)
			}
			if firstOther < lastTLSWS+tc.head {
				t.Errorf("another transport after %v, before the /tls/ws ones (last at %v) had their %v", firstOther, lastTLSWS, tc.head)
			}
		})
	}
	plain := addrs("/ip4/1.2.3.4/udp/4001/quic-v1", "/ip4/1.2.3.4/tcp/4001")
	if got, want := dialRanker(slices.Clone(plain)), swarm.DefaultDialRanker(slices.Clone(plain)); !slices.EqualFunc(got, want, func(a, b network.AddrDelay) bool { return a.Addr.Equal(b.Addr) && a.Delay == b.Delay }) {
		t.Errorf("without /tls/ws: %v, want libp2p's %v", got, want)
	}
}

// TestIsTLSWS and TLSWSFirst.
func TestTLSWSFirst(t *testing.T) {
	for s, want := range map[string]bool{
		"/ip4/1.2.3.4/tcp/443/tls/ws":                          true,
		"/ip4/1.2.3.4/tcp/443/wss":                             true,
		"/dns4/m.example.org/tcp/443/tls/sni/m.example.org/ws": true,
		"/ip4/1.2.3.4/tcp/4002/ws":                             false,
		"/ip4/1.2.3.4/tcp/4001":                                false,
		"/ip4/1.2.3.4/tcp/443/tls/ws/p2p/12D3KooWGzLhRNf4sSaXnGZXhbNT2h3SxKMGtFJbjTkBAV8L4ytb/p2p-circuit": false,
	} {
		if got := IsTLSWS(ma.StringCast(s)); got != want {
			t.Errorf("IsTLSWS(%s) = %v", s, got)
		}
	}
	const id = "12D3KooWGzLhRNf4sSaXnGZXhbNT2h3SxKMGtFJbjTkBAV8L4ytb"
	in := []string{"/ip4/1.2.3.4/tcp/4001/p2p/" + id, "/ip4/1.2.3.4/tcp/443/tls/ws/p2p/" + id, "not an address", "/ip4/1.2.3.4/udp/4001/quic-v1", "/ip4/5.6.7.8/tcp/443/wss"}
	want := []string{"/ip4/1.2.3.4/tcp/443/tls/ws/p2p/" + id, "/ip4/5.6.7.8/tcp/443/wss", "/ip4/1.2.3.4/tcp/4001/p2p/" + id, "not an address", "/ip4/1.2.3.4/udp/4001/quic-v1"}
	if got := TLSWSFirst(in); !slices.Equal(got, want) {
		t.Errorf("TLSWSFirst = %q", got)
	}
}
