package node

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/blockstore"
	"github.com/ipfs/boxo/exchange/offline"
	"github.com/ipfs/boxo/gateway"
	"github.com/ipfs/boxo/ipns"
	"github.com/ipfs/boxo/namesys"
	"github.com/ipfs/go-cid"
	ci "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/routing"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/samizdat/samizdat/bundle"
)

// ErrNotServing is returned by Gateway on a node that does not serve
// (a reader): a reader does not reveal what it holds.
var ErrNotServing = errors.New("this node does not serve")

// GatewayConfig configures Gateway. The zero value works.
type GatewayConfig struct {
	// Timeout bounds the wait for a response's first byte and each pause
	// while writing it; 0 is 30 seconds. A whole request is bounded to an
	// hour (boxo's default), long enough for a large bundle on a slow link.
	Timeout time.Duration
	// Metrics receives the gateway's Prometheus metrics; nil keeps them
	// in a registry of the handler's own (never the global one).
	Metrics prometheus.Registerer
}

// HeadPath is where a gateway, and a static copy, serve each held head in
// its wire form: HeadPath + publisher ID.
const HeadPath = "/samizdat/heads/"

// HeadMediaType is the media type of a head in its wire form.
const HeadMediaType = "application/vnd.samizdat.head"

// Gateway returns an IPFS trustless HTTP gateway over the node's store,
// to mount at /ipfs/, /ipns/ and HeadPath: raw blocks (?format=raw), CARs
// (?format=car), for each publisher it holds a head of, that head's IPNS
// record under the name it is valid for (?format=ipns-record: the
// publisher's, or a delegated head's key's), and the head in its wire
// form at HeadPath + publisher ID. It answers from the repo only: a request never
// makes the node fetch anything from the network, and content it lacks
// is a 404. It serves no deserialized content (no HTML, no files).
// Only nodes that serve have one (ErrNotServing).
func (n *Node) Gateway(cfg GatewayConfig) (http.Handler, error) {
	if !n.serves {
		return nil, ErrNotServing
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = gatewayTimeout
	}
	if cfg.Metrics == nil {
		cfg.Metrics = prometheus.NewRegistry()
	}
	bs := n.repo.Blockstore()
	// Offline: the block service never asks bitswap or anyone else.
	bsvc := blockservice.New(bs, offline.Exchange(bs))
	vs := headStore{n.repo.heads}
	// A name system that resolves only the stored heads: no DNSLink
	// lookups, no DHT.
	ns, err := namesys.NewNameSystem(vs, namesys.WithDNSResolver(noDNS{}))
	if err != nil {
		return nil, err
	}
	backend, err := gateway.NewBlocksBackend(bsvc,
		gateway.WithValueStore(vs), gateway.WithNameSystem(ns), gateway.WithPrometheusRegistry(cfg.Metrics))
	if err != nil {
		return nil, err
	}
	h := gateway.NewHandler(gateway.Config{
		DeserializedResponses: false,
		NoDNSLink:             true,
		DisableHTMLErrors:     true,
		RetrievalTimeout:      cfg.Timeout,
		MetricsRegistry:       cfg.Metrics,
	}, backend)
	mux := http.NewServeMux()
	mux.Handle("/ipfs/", heldOnly(bs, h))
	mux.Handle("/ipns/", h)
	mux.HandleFunc("GET "+HeadPath, vs.serveHead)
	return mux, nil
}

// heldOnly answers 404 at once for an /ipfs/ root the store lacks. The
// gateway would otherwise start a CAR response (200) before finding the
// root missing, and a client could not tell an empty CAR from a truncated
// one.
func heldOnly(bs blockstore.Blockstore, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/ipfs/"), "/")
		if c, err := cid.Decode(first); err == nil {
			if ok, err := bs.Has(r.Context(), c); err == nil && !ok {
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

var errNoDNS = errors.New("dnslink is not supported")

// noDNS answers every DNS lookup with an error: the gateway never resolves
// DNSLink names.
type noDNS struct{}

func (noDNS) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) { return nil, errNoDNS }
func (noDNS) LookupTXT(context.Context, string) ([]string, error)        { return nil, errNoDNS }

// headStore is a read-only routing.ValueStore of the stored heads, so the
// gateway answers /ipns/NAME with exactly the head the node holds.
type headStore struct{ hs *Heads }

var errReadOnly = errors.New("read-only")

func (s headStore) PutValue(context.Context, string, []byte, ...routing.Option) error {
	return errReadOnly
}

func (s headStore) GetValue(ctx context.Context, key string, _ ...routing.Option) ([]byte, error) {
	name, err := ipns.NameFromRoutingKey([]byte(key))
	if err != nil {
		return nil, gateway.NewErrorStatusCode(err, http.StatusBadRequest)
	}
	pub, err := name.Peer().ExtractPublicKey()
	if err != nil || pub.Type() != ci.Ed25519 {
		return nil, gateway.NewErrorStatusCode(routing.ErrNotFound, http.StatusNotFound)
	}
	if h := s.recordFor(name); h != nil {
		return h.Record(), nil
	}
	return nil, gateway.NewErrorStatusCode(routing.ErrNotFound, http.StatusNotFound)
}

// recordFor returns the held head whose IPNS record is valid for name:
// a root-signed head under its publisher's name, a delegated one under
// its head key's.
func (s headStore) recordFor(name ipns.Name) *Head {
	if h, err := s.hs.Get(peer.ID(name.Peer()).String()); err == nil && h != nil && h.IPNSName().Equal(name) {
		return h
	}
	for _, id := range s.hs.List() {
		if h, err := s.hs.Get(id); err == nil && h != nil && h.Authority != nil && h.IPNSName().Equal(name) {
			return h
		}
	}
	return nil
}

// serveHead answers /samizdat/heads/<publisher ID> with the held head in
// its wire form (docs/protocol.md, HTTP layout): what a samizdat reader
// needs of a delegated head, the publisher document included.
func (s headStore) serveHead(w http.ResponseWriter, r *http.Request) {
	id, err := bundle.NormalizePublisherID(strings.TrimPrefix(r.URL.Path, HeadPath))
	if err != nil {
		http.Error(w, "bad publisher ID", http.StatusBadRequest)
		return
	}
	h, err := s.hs.Get(id)
	if err != nil || h == nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", HeadMediaType)
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Write(h.Bytes())
}

func (s headStore) SearchValue(ctx context.Context, key string, opts ...routing.Option) (<-chan []byte, error) {
	v, err := s.GetValue(ctx, key, opts...)
	if err != nil {
		return nil, err
	}
	ch := make(chan []byte, 1)
	ch <- v
	close(ch)
	return ch, nil
}
