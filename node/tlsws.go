package node

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	"github.com/samizdat/samizdat/internal/atomicfile"
)

// libp2p over TLS WebSocket (/tls/ws, also written /wss): the libp2p
// connection (multistream-select, Noise or TLS, yamux) runs inside
// WebSocket frames inside an outer TLS session, so what crosses the wire
// is a TLS handshake and encrypted records, as for any HTTPS site. The
// outer TLS only hides; it does not authenticate. Who the peer is, is
// settled inside, by libp2p's own handshake against the peer ID in the
// address (docs/protocol.md §3).

// Names of the self-signed certificate a node makes for its /tls/ws
// listeners when the operator gives none, in the repo directory.
const (
	tlsCertName = "tls-cert.pem"
	tlsKeyName  = "tls-key.pem"
)

// Dial ranking with /tls/ws addresses: the swarm dials a peer's /tls/ws
// addresses first and its other addresses (TCP, QUIC, plain WebSocket)
// only after this head start, or at once when every /tls/ws dial has
// failed. On a network that reads libp2p's clear-text negotiation, a
// reader that reaches the peer over /tls/ws then sends none.
const (
	tlsWSHeadStartPublic  = 2 * time.Second
	tlsWSHeadStartPrivate = 250 * time.Millisecond
)

// Bounds of the self-signed certificate.
const (
	selfSignedValidity = 10 * 365 * 24 * time.Hour
	// selfSignedBackdate is the most NotBefore lies in the past (a random
	// part of it), so certificates made the same day do not share it.
	selfSignedBackdate = 30 * 24 * time.Hour
	// maxPEMFile bounds a certificate or key file read.
	maxPEMFile = 1 << 20
)

// ErrBadTLSCert is returned by New for certificate or key files it cannot
// use: unreadable, not PEM, a key that does not match the certificate.
var ErrBadTLSCert = errors.New("unusable TLS certificate")

// IsTLSWS reports whether a is a libp2p address over TLS WebSocket:
// /tls/ws, /tls/sni/NAME/ws or /wss, directly (not a relay circuit whose
// first hop is one).
func IsTLSWS(a ma.Multiaddr) bool {
	tls, ws := false, false
	circuit := false
	for _, c := range a {
		switch c.Protocol().Code {
		case ma.P_TLS:
			tls = true
		case ma.P_WS:
			ws = ws || tls
		case ma.P_WSS:
			tls, ws = true, true
		case ma.P_CIRCUIT:
			circuit = true
		}
	}
	return tls && ws && !circuit
}

// TLSWSFirst returns addrs (multiaddrs in text form) with the /tls/ws
// ones first, each part in its own order. Text that is not a multiaddr
// counts as not /tls/ws.
func TLSWSFirst(addrs []string) []string {
	first := make([]string, 0, len(addrs))
	var rest []string
	for _, s := range addrs {
		if a, err := ma.NewMultiaddr(s); err == nil && IsTLSWS(a) {
			first = append(first, s)
		} else {
			rest = append(rest, s)
		}
	}
	return append(first, rest...)
}

// listensTLSWS reports whether any of the listen addresses is /tls/ws.
func listensTLSWS(listen []string) (bool, error) {
	for _, s := range listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return false, fmt.Errorf("listen address %q: %w", s, err)
		}
		if IsTLSWS(a) {
			return true, nil
		}
	}
	return false, nil
}

// dialRanker is the swarm's dial ranker: libp2p's default, except that a
// peer's /tls/ws addresses go first and the rest wait tlsWSHeadStart*
// behind them (see those). Without /tls/ws addresses it is the default.
func dialRanker(addrs []ma.Multiaddr) []network.AddrDelay {
	var first, rest []ma.Multiaddr
	public := false
	for _, a := range addrs {
		if IsTLSWS(a) {
			first = append(first, a)
			public = public || manet.IsPublicAddr(a)
		} else {
			rest = append(rest, a)
		}
	}
	if len(first) == 0 {
		return swarm.DefaultDialRanker(addrs)
	}
	out := swarm.DefaultDialRanker(first)
	if len(rest) == 0 {
		return out
	}
	after := tlsWSHeadStartPrivate
	if public {
		after = tlsWSHeadStartPublic
	}
	var last time.Duration
	for _, d := range out {
		last = max(last, d.Delay)
	}
	for _, d := range swarm.DefaultDialRanker(rest) {
		d.Delay += last + after
		out = append(out, d)
	}
	return out
}

// clientTLSConfig is the outer TLS of every /tls/ws dial. It checks no
// certificate: not its issuer, name or dates. The outer session hides
// the libp2p connection from the network; it is not what says who the
// peer is. That is libp2p's security handshake inside it, which fails
// unless the peer holds the key of the peer ID in the address, whatever
// certificate the outer session showed. Checking the outer certificate
// would refuse every node with a self-signed one (most, since a
// certificate a CA signs needs a domain name) and add nothing the peer ID
// does not already pin. SNI follows the address: gorilla/websocket names
// the host it dials, Go's TLS sends no SNI for an IP address, and libp2p
// sets the name for /dns*/…/tls/ws and /tls/sni/NAME/ws addresses. ALPN
// offers only http/1.1, as a browser opening a WebSocket does.
func clientTLSConfig() *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // see above: the peer ID inside authenticates
		MinVersion:         tls.VersionTLS12,
		NextProtos:         []string{"http/1.1"},
	}
}

// serverTLSConfig is the outer TLS of the node's /tls/ws listeners: the
// operator's certificate and key (PEM files, read again when they change,
// so a renewal needs no restart) or, with neither, the self-signed one the
// node keeps in its repo, made on first use.
func serverTLSConfig(repoDir string, cfg Config, log *slog.Logger) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case cfg.TLSCert == "" && cfg.TLSKey == "":
		cert, err := loadOrCreateSelfSigned(repoDir)
		if err != nil {
			return nil, err
		}
		conf.Certificates = []tls.Certificate{cert}
	case cfg.TLSCert == "" || cfg.TLSKey == "":
		return nil, fmt.Errorf("%w: a TLS certificate needs both its certificate and its key file", ErrBadTLSCert)
	default:
		r, err := newCertReloader(cfg.TLSCert, cfg.TLSKey, log)
		if err != nil {
			return nil, err
		}
		conf.GetCertificate = r.get
	}
	return conf, nil
}

// loadKeyPair reads a PEM certificate chain and its private key, and
// checks that they match and that the certificate parses.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := readSmall(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: %v", ErrBadTLSCert, err)
	}
	keyPEM, err := readSmall(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: %v", ErrBadTLSCert, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// X509KeyPair's errors name neither file.
		return tls.Certificate{}, fmt.Errorf("%w: %s and %s: %v", ErrBadTLSCert, certFile, keyFile, err)
	}
	return cert, nil
}

// readSmall reads a file of at most maxPEMFile bytes.
func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPEMFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxPEMFile)
	}
	return data, nil
}

// loadOrCreateSelfSigned returns the repo's self-signed certificate,
// making it first if the repo has none. The key is written first (mode
// 0600), the certificate second, each atomically; a certificate file is
// what says the pair is complete, so a crash between the two makes a new
// pair at the next start. A pair that is there but unusable is an error,
// not something to replace silently.
func loadOrCreateSelfSigned(dir string) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, tlsCertName), filepath.Join(dir, tlsKeyName)
	if _, err := os.Stat(certPath); err == nil {
		if st, err := os.Stat(keyPath); err == nil && st.Mode().Perm()&0o077 != 0 {
			return tls.Certificate{}, fmt.Errorf("%w: %s is readable by others (mode %v)", ErrBadTLSCert, keyPath, st.Mode().Perm())
		}
		return loadKeyPair(certPath, keyPath)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return tls.Certificate{}, err
	}
	certPEM, keyPEM, err := selfSignedCert(time.Now())
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := atomicfile.WriteBytes(keyPath, 0o600, keyPEM); err != nil {
		return tls.Certificate{}, err
	}
	if err := atomicfile.WriteBytes(certPath, 0o644, certPEM); err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// selfSignedCert makes an ECDSA P-256 key and a self-signed certificate
// for it, shaped like what `openssl req -x509 -subj /CN=localhost` makes:
// a CA certificate for CN=localhost with subject and authority key
// identifiers, a random serial of up to 20 bytes, no other extension and
// no subject alternative name. That is a common kind of self-signed
// certificate, and it names neither samizdat nor libp2p; it does not
// pass for a certificate a CA signed (docs/design.md). Its validity
// starts at a random time up to selfSignedBackdate before now and lasts
// selfSignedValidity.
func selfSignedCert(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159))
	if err != nil {
		return nil, nil, err
	}
	back, err := rand.Int(rand.Reader, big.NewInt(int64(selfSignedBackdate/time.Second)))
	if err != nil {
		return nil, nil, err
	}
	notBefore := now.Add(-time.Duration(back.Int64()) * time.Second).UTC().Truncate(time.Second)
	// OpenSSL's subjectKeyIdentifier=hash: the SHA-1 of the public key's
	// bits; its v3_ca also writes the authority key identifier, which Go
	// leaves out of a self-signed certificate unless given.
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(pubDER, &spki); err != nil {
		return nil, nil, err
	}
	ski := sha1.Sum(spki.PublicKey.Bytes)
	tmpl := &x509.Certificate{
		SubjectKeyId:          ski[:],
		AuthorityKeyId:        ski[:],
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost"},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(selfSignedValidity),
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// certReloader serves the operator's certificate, read again whenever
// either file's modification time or size changes (a renewal by certbot
// or an ACME client): at most two stat calls a handshake. A pair that
// does not load (the certificate renewed and the key not yet) leaves the
// last good one in use, and is tried again at the next handshake.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu    sync.Mutex
	cert  *tls.Certificate
	stamp [2]fileStamp // of the files the cert was read from
}

// fileStamp is what tells that a file changed.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) (fileStamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{st.ModTime(), st.Size()}, nil
}

func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	if err := r.reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// reload reads the pair if either file changed since it was last read.
func (r *certReloader) reload() error {
	cs, err := stampOf(r.certFile)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadTLSCert, err)
	}
	ks, err := stampOf(r.keyFile)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadTLSCert, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cert != nil && r.stamp == [2]fileStamp{cs, ks} {
		return nil
	}
	cert, err := loadKeyPair(r.certFile, r.keyFile)
	if err != nil {
		return err
	}
	if cert.Leaf != nil && time.Now().After(cert.Leaf.NotAfter) {
		r.log.Warn("the TLS certificate has expired", "not_after", cert.Leaf.NotAfter)
	}
	r.cert, r.stamp = &cert, [2]fileStamp{cs, ks}
	return nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if err := r.reload(); err != nil {
		r.log.Warn("cannot read the TLS certificate again; keeping the last one", "err", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cert, nil
}
