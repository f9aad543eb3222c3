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
	"slices"
	"time"

	pinclient "github.com/ipfs/boxo/pinning/remote/client"
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
	// Delegates are the service's peers that fetch the blocks: a node
	// that holds them may connect to them, to be found at once.
	Delegates []multiaddr.Multiaddr
}

// Push asks the service to pin root under o.Name: it adds the pin, or,
// if a pin of that name is there for another CID, replaces it (a failed
// pin of the same CID is replaced too, to try again). With o.Wait, it
// then waits until the service reports the pin pinned (ErrFailed if it
// reports failed, ErrNotPinned if o.Wait runs out first).
func Push(ctx context.Context, root cid.Cid, o Options) (*Result, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	c := pinclient.NewClient(o.Service, o.Token)
	listed, _, err := c.LsBatchSync(ctx,
		pinclient.PinOpts.FilterName(o.Name),
		pinclient.PinOpts.FilterStatus(pinclient.StatusQueued, pinclient.StatusPinning, pinclient.StatusPinned, pinclient.StatusFailed),
		pinclient.PinOpts.Limit(maxListed))
	if err != nil {
		return nil, fmt.Errorf("listing pins named %q: %w", o.Name, err)
	}
	res := &Result{}
	var st pinclient.PinStatusGetter
	if old := newest(listed, o.Name); old != nil && old.GetPin().GetCid().Equals(root) && old.GetStatus() != pinclient.StatusFailed {
		st, res.Unchanged = old, true
	} else {
		opts := []pinclient.AddOption{pinclient.PinOpts.WithName(o.Name)}
		if len(o.Origins) > 0 {
			opts = append(opts, pinclient.PinOpts.WithOrigins(o.Origins...))
		}
		if old != nil {
			res.Replaced = old.GetRequestId()
			st, err = c.Replace(ctx, old.GetRequestId(), root, opts...)
		} else {
			st, err = c.Add(ctx, root, opts...)
		}
		if err != nil {
			return nil, fmt.Errorf("pinning %s: %w", root, err)
		}
	}
	res.RequestID, res.Delegates = st.GetRequestId(), st.GetDelegates()
	if o.Wait > 0 {
		st, err = wait(ctx, c, st, o)
	}
	res.Status = string(st.GetStatus())
	return res, err
}

// check refuses options Push cannot use.
func (o *Options) check() error {
	u, err := url.Parse(o.Service)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("pinning service URL %q: want an https URL", o.Service)
	}
	if u.Scheme == "http" {
		ip := net.ParseIP(u.Hostname())
		if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("%w: %s", ErrInsecure, o.Service)
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
// service matches names exactly by default; this checks it.
func newest(listed []pinclient.PinStatusGetter, name string) pinclient.PinStatusGetter {
	listed = slices.DeleteFunc(listed, func(p pinclient.PinStatusGetter) bool { return p.GetPin().GetName() != name })
	if len(listed) == 0 {
		return nil
	}
	return slices.MaxFunc(listed, func(a, b pinclient.PinStatusGetter) int { return a.GetCreated().Compare(b.GetCreated()) })
}

// wait asks for the status of st every o.Poll until it is pinned or
// failed, or o.Wait has passed.
func wait(ctx context.Context, c *pinclient.Client, st pinclient.PinStatusGetter, o Options) (pinclient.PinStatusGetter, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Wait)
	defer cancel()
	poll := o.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		switch st.GetStatus() {
		case pinclient.StatusPinned:
			return st, nil
		case pinclient.StatusFailed:
			return st, fmt.Errorf("%w %s (request %s)", ErrFailed, st.GetPin().GetCid(), st.GetRequestId())
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("%w: %s after %v (request %s)", ErrNotPinned, st.GetStatus(), o.Wait, st.GetRequestId())
		case <-t.C:
		}
		next, err := c.GetStatusByID(ctx, st.GetRequestId())
		if err != nil {
			if ctx.Err() != nil {
				continue // reported as not pinned, above
			}
			return st, fmt.Errorf("status of request %s: %w", st.GetRequestId(), err)
		}
		st = next
	}
}
