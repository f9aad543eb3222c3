// Package pinning asks an IPFS pinning service, through the Pinning
// Service API (https://ipfs.github.io/pinning-services-api-spec/), to keep
// a publisher's bundles: one pin per publisher, of its newest catalog,
// which links every bundle the publisher made (the catalog pages chain
// back to the first), so the service fetches and keeps them all. A newer
// catalog replaces the pin. The service fetches the blocks over IPFS
// (bitswap) from the origins it is given, such as the publisher's own
// samizdat node, or from whoever provides them.
package pinning

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multiaddr"
)

const (
	// DefaultPoll is how often Push asks for the status of its pin
	// while it waits.
	DefaultPoll = 5 * time.Second
	// maxOrigins bounds the origins sent with a pin: the API allows 20.
	maxOrigins = 20
	// maxListed bounds the pins of one name Push reads: there is one,
	// unless someone else made more.
	maxListed = 10
	// DefaultTimeout bounds each request to the service when
	// Options.Timeout is zero: a service that stops answering must not
	// hang a daily job.
	DefaultTimeout = time.Minute
	// maxResponse bounds an answer of the service: a list of maxListed
	// pins, each with at most 20 origins and delegates, is a few KB.
	maxResponse = 1 << 20
	// maxErrorText bounds the service's words quoted in an error.
	maxErrorText = 200
	// maxDelegates bounds the delegates Push reports.
	maxDelegates = 20
	// seqMeta is the key of the pin's meta that holds the sequence
	// number of the head whose catalog it pins (Options.Seq).
	seqMeta = "samizdat-seq"
)

// Sentinel errors of Push.
var (
	// ErrInsecure means the service's URL is plain http to a host other
	// than the loopback: the access token would cross the network in
	// clear.
	ErrInsecure = errors.New("pinning service must be https")
	// ErrFailed means the service gave up on the pin (its status is
	// "failed"): it could not fetch the blocks.
	ErrFailed = errors.New("pinning service failed to pin")
	// ErrNotPinned means the pin was still queued or pinning when Wait
	// ran out.
	ErrNotPinned = errors.New("not pinned yet")
	// ErrResponseTooLarge means an answer of the service was over
	// maxResponse bytes.
	ErrResponseTooLarge = errors.New("pinning service answer too large")
	// ErrNewerPinned means the pin of the name is of a newer head's
	// catalog than the one given (Options.Seq): it is kept.
	ErrNewerPinned = errors.New("pinning service holds a newer head's catalog")
)

// Options configures Push.
type Options struct {
	// Service is the API's base URL, e.g. https://api.pinata.cloud/psa.
	Service string
	// Token is the service's access token (sent as a bearer token).
	Token string
	// Name names the pin; one name, one pin. Required.
	Name string
	// Origins are multiaddrs (with /p2p/ID) of peers that hold the
	// blocks, such as the publisher's node, for the service to fetch
	// from. At most 20.
	Origins []multiaddr.Multiaddr
	// Wait, if not zero, is how long Push waits for the service to
	// report the pin pinned (or failed).
	Wait time.Duration
	// Poll is how often it asks meanwhile; zero means DefaultPoll.
	Poll time.Duration
	// Timeout bounds each request to the service; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Seq is the sequence number of the head whose catalog is pinned:
	// it goes with the pin, and a pin of a higher one is not replaced
	// (ErrNewerPinned), so that a repo whose head lags behind does not
	// take the newest bundles off the service. Zero: no such check.
	Seq uint64
}

// Result is what Push did.
type Result struct {
	// RequestID names the pin request at the service.
	RequestID string
	// Status is its last status: queued, pinning, pinned or failed.
	Status string
	// Replaced is the request ID of the pin of another catalog that
	// this one replaced; "" if none.
	Replaced string
	// Unchanged is true when the service already had the pin.
	Unchanged bool
	// Removed are the request IDs of other pins of the same name that
	// Push removed: one name, one pin.
	Removed []string
	// Delegates are the service's peers that fetch the blocks: a node
	// that holds them may connect to them, to be found at once.
	Delegates []multiaddr.Multiaddr
}

// Push asks the service to pin root under o.Name: it adds the pin, or,
// if a pin of that name is there for another CID, replaces it (a failed
// pin of the same CID is replaced too, to try again). With o.Wait, it
// then waits until the service reports the pin pinned (ErrFailed if it
// reports failed, ErrNotPinned if o.Wait runs out first). Redirects are
// not followed (ErrRedirect), each request takes at most o.Timeout, and
// each answer at most 1 MiB (ErrResponseTooLarge).
func Push(ctx context.Context, root cid.Cid, o Options) (*Result, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := newClient(o.Service, o.Token, timeout)
	listed, err := c.list(ctx, o.Name)
	if err != nil {
		return nil, fmt.Errorf("listing pins named %q: %w", o.Name, err)
	}
	res := &Result{}
	old := newest(listed, o.Name)
	st := old
	if old != nil && sameCID(old.Pin.CID, root) && old.Status != statusFailed {
		res.Unchanged = true
	} else {
		if seq := pinnedSeq(old); o.Seq != 0 && seq > o.Seq {
			return nil, fmt.Errorf("%w: head %d, request %q pins head %d", ErrNewerPinned, o.Seq, old.RequestID, seq)
		}
		pin := psaPin{CID: root.String(), Name: o.Name}
		if o.Seq != 0 {
			pin.Meta = map[string]string{seqMeta: strconv.FormatUint(o.Seq, 10)}
		}
		for _, a := range o.Origins {
			pin.Origins = append(pin.Origins, a.String())
		}
		if old != nil {
			res.Replaced = old.RequestID
			st, err = c.replace(ctx, old.RequestID, pin)
		} else {
			st, err = c.add(ctx, pin)
		}
		if err != nil {
			return nil, fmt.Errorf("pinning %s: %w", root, err)
		}
	}
	res.RequestID, res.Delegates = st.RequestID, delegates(st.Delegates)
	if err := removeOthers(ctx, c, listed, old, res); err != nil {
		res.Status = st.Status
		return res, err
	}
	if o.Wait > 0 {
		st, err = wait(ctx, c, st, o)
	}
	res.Status = st.Status
	return res, err
}

// removeOthers removes the pins named as old is, other than old (kept,
// or replaced already): someone, or a run that failed halfway, made more
// than one, and each keeps a catalog the service is paid to hold.
func removeOthers(ctx context.Context, c *client, listed []psaStatus, old *psaStatus, res *Result) error {
	if old == nil {
		return nil
	}
	for _, p := range listed {
		if p.Pin.Name != old.Pin.Name || p.RequestID == old.RequestID || p.RequestID == res.RequestID {
			continue
		}
		if err := c.remove(ctx, p.RequestID); err != nil {
			return fmt.Errorf("removing request %q, another pin named %q: %w", p.RequestID, old.Pin.Name, err)
		}
		res.Removed = append(res.Removed, p.RequestID)
	}
	return nil
}

// pinnedSeq returns the head sequence number a pin says its catalog is
// of, or 0.
func pinnedSeq(p *psaStatus) uint64 {
	if p == nil {
		return 0
	}
	seq, _ := strconv.ParseUint(p.Pin.Meta[seqMeta], 10, 64)
	return seq
}

// sameCID reports whether s, a CID as the service wrote it (in any
// multibase), is root.
func sameCID(s string, root cid.Cid) bool {
	c, err := cid.Decode(s)
	return err == nil && c.Equals(root)
}

// delegates returns the first maxDelegates of the service's delegates
// that are multiaddrs.
func delegates(list []string) []multiaddr.Multiaddr {
	var out []multiaddr.Multiaddr
	for _, s := range list {
		if a, err := multiaddr.NewMultiaddr(s); err == nil && len(out) < maxDelegates {
			out = append(out, a)
		}
	}
	return out
}

// check refuses options Push cannot use.
func (o *Options) check() error {
	u, err := url.Parse(o.Service)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		if err != nil {
			return errors.New("pinning service URL: not a URL") // it may hold a password
		}
		return fmt.Errorf("pinning service URL %q: want an https URL", u.Redacted())
	}
	if u.Scheme == "http" {
		ip := net.ParseIP(u.Hostname())
		if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("%w: %s", ErrInsecure, u.Redacted())
		}
	}
	switch {
	case o.Token == "":
		return errors.New("pinning service: no access token")
	case o.Name == "":
		return errors.New("pinning service: no pin name")
	case len(o.Origins) > maxOrigins:
		return fmt.Errorf("pinning service: %d origins, at most %d", len(o.Origins), maxOrigins)
	}
	return nil
}

// newest returns the newest pin named name among listed, or nil. A
// service matches names exactly when asked to; this checks it.
func newest(listed []psaStatus, name string) *psaStatus {
	var out *psaStatus
	for i := range listed {
		if p := &listed[i]; p.Pin.Name == name && (out == nil || p.Created.After(out.Created)) {
			out = p
		}
	}
	return out
}

// wait asks for the status of st every o.Poll until it is pinned or
// failed, or o.Wait has passed.
func wait(ctx context.Context, c *client, st *psaStatus, o Options) (*psaStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Wait)
	defer cancel()
	poll := o.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		switch st.Status {
		case statusPinned:
			return st, nil
		case statusFailed:
			return st, fmt.Errorf("%w (request %q)", ErrFailed, st.RequestID)
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("%w: %q after %v (request %q)", ErrNotPinned, st.Status, o.Wait, st.RequestID)
		case <-t.C:
		}
		next, err := c.status(ctx, st.RequestID)
		if err != nil {
			if ctx.Err() != nil {
				continue // reported as not pinned, above
			}
			return st, fmt.Errorf("status of request %q: %w", st.RequestID, err)
		}
		st = next
	}
}
