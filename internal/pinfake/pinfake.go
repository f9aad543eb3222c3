// Package pinfake is a Pinning Service API server for tests, as the spec
// describes it (https://ipfs.github.io/pinning-services-api-spec/): pins
// listed by name and status, added, replaced (under a new request ID, the
// old one gone), removed and asked for by request ID, behind a bearer
// token. It pins nothing: a pin turns pinned (or failed) after a number
// of status requests.
package pinfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Delegate is the multiaddr every pin names as the service's delegate.
const Delegate = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWKd3gcThWkZzb8F5XkrbANMzWGteu6jTftoAmdGVvn77C"

// Pin is a pin as posted.
type Pin struct {
	CID     string            `json:"cid"`
	Name    string            `json:"name,omitempty"`
	Origins []string          `json:"origins,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`
}

// Status is a pin request.
type Status struct {
	RequestID string    `json:"requestid"`
	Status    string    `json:"status"`
	Created   time.Time `json:"created"`
	Pin       Pin       `json:"pin"`
	Delegates []string  `json:"delegates"`
}

// Service is the server; see New.
type Service struct {
	Token string
	// Pinner, if set before the service serves, is called on a goroutine
	// of its own for each pin added or replaced: the pin is "pinning"
	// until it returns, then "pinned", or "failed" if it returned an
	// error. Without one, pins settle after polls status requests.
	Pinner func(cid string, origins []string) error
	polls  int

	mu     sync.Mutex
	fail   bool
	next   int
	pins   map[string]*Status
	asked  map[string]int
	calls  []string // "METHOD path"
	posted []Pin
}

// New returns a service that takes token, whose pins settle after polls
// status requests.
func New(token string, polls int) *Service {
	return &Service{Token: token, polls: polls, pins: map[string]*Status{}, asked: map[string]int{}}
}

// Fail makes pins that settle from now on settle as failed (or not).
func (s *Service) Fail(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fail
}

// Calls returns the requests made since the last call, as "METHOD path".
func (s *Service) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.calls
	s.calls = nil
	return out
}

// Posted returns the pins added or replaced so far, in order.
func (s *Service) Posted() []Pin {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posted)
}

// Pins returns the pin requests the service holds, by request ID.
func (s *Service) Pins() map[string]Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Status)
	for id, p := range s.pins {
		out[id] = *p
	}
	return out
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, r.Method+" "+r.URL.Path)
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"reason":"UNAUTHORIZED","details":"bad token"}}`)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/pins/")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/pins":
		s.list(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/pins":
		s.add(w, r, "")
	case r.Method == http.MethodPost && s.pins[id] != nil:
		s.add(w, r, id)
	case r.Method == http.MethodDelete && s.pins[id] != nil:
		delete(s.pins, id)
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodGet && s.pins[id] != nil:
		p := s.pins[id]
		if s.asked[id]++; s.Pinner == nil && s.asked[id] >= s.polls && p.Status != "pinned" && p.Status != "failed" {
			p.Status = "pinned"
			if s.fail {
				p.Status = "failed"
			}
		}
		json.NewEncoder(w).Encode(p)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"reason":"NOT_FOUND"}}`)
	}
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	statuses := strings.Split(q.Get("status"), ",")
	out := []*Status{}
	for _, p := range s.pins {
		if (q.Get("name") == "" || p.Pin.Name == q.Get("name")) && slices.Contains(statuses, p.Status) {
			out = append(out, p)
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"count": len(out), "results": out})
}

// add adds a pin, or replaces the pin old.
func (s *Service) add(w http.ResponseWriter, r *http.Request, old string) {
	var p Pin
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.CID == "" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"reason":"BAD_REQUEST"}}`)
		return
	}
	s.posted = append(s.posted, p)
	delete(s.pins, old)
	s.next++
	st := &Status{RequestID: fmt.Sprintf("req-%d", s.next), Status: "queued", Created: time.Now().UTC(), Pin: p, Delegates: []string{Delegate}}
	s.pins[st.RequestID] = st
	if s.Pinner != nil {
		st.Status = "pinning"
		go s.pin(st.RequestID, p)
	}
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(st)
}

// pin runs the Pinner for the request id and records how it ended.
func (s *Service) pin(id string, p Pin) {
	err := s.Pinner(p.CID, p.Origins)
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.pins[id]; st != nil {
		st.Status = "pinned"
		if err != nil {
			st.Status = "failed"
		}
	}
}
