package pinning

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The statuses of a pin request.
const (
	statusQueued  = "queued"
	statusPinning = "pinning"
	statusPinned  = "pinned"
	statusFailed  = "failed"
)

// psaPin is a pin as the API carries it.
type psaPin struct {
	CID     string            `json:"cid"`
	Name    string            `json:"name,omitempty"`
	Origins []string          `json:"origins,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`
}

// psaStatus is a pin request as the API reports it.
type psaStatus struct {
	RequestID string    `json:"requestid"`
	Status    string    `json:"status"`
	Created   time.Time `json:"created"`
	Pin       psaPin    `json:"pin"`
	Delegates []string  `json:"delegates"`
}

// psaResults is the answer to a listing.
type psaResults struct {
	Count   int         `json:"count"`
	Results []psaStatus `json:"results"`
}

// psaError is the body of an answer that is not 2xx.
type psaError struct {
	Error struct {
		Reason  string `json:"reason"`
		Details string `json:"details"`
	} `json:"error"`
}

// client speaks the Pinning Service API to one service. It is ours
// rather than boxo's generated one, which sends through
// http.DefaultClient: no timeout, redirects followed with the token
// (to plain http, or to another port of the host), and answers read
// whole, however large.
type client struct {
	base  string // the service's URL, without a trailing slash
	token string
	hc    *http.Client
}

func newClient(service, token string, timeout time.Duration) *client {
	return &client{
		base:  strings.TrimSuffix(service, "/"),
		token: token,
		hc: &http.Client{
			Timeout: timeout,
			// The API has no redirects; following one would carry the
			// token wherever it points.
			CheckRedirect: func(*http.Request, []*http.Request) error { return ErrRedirect },
		},
	}
}

// maxRequestID bounds a request ID: the API says at most 255 bytes.
const maxRequestID = 255

// ErrBadAnswer means the service answered with a pin request that is
// not one: an unknown status, or a request ID that is empty, too long,
// or not printable ASCII (it is printed on an operator's terminal, and
// put in request paths).
var ErrBadAnswer = errors.New("pinning service: malformed pin request")

// check refuses a pin request the API would not send.
func (st *psaStatus) check() error {
	switch st.Status {
	case statusQueued, statusPinning, statusPinned, statusFailed:
	default:
		return fmt.Errorf("%w: status %q", ErrBadAnswer, truncate(st.Status, maxErrorText))
	}
	if st.RequestID == "" || len(st.RequestID) > maxRequestID {
		return fmt.Errorf("%w: request ID of %d bytes", ErrBadAnswer, len(st.RequestID))
	}
	for _, c := range []byte(st.RequestID) {
		if c <= ' ' || c >= 0x7f {
			return fmt.Errorf("%w: request ID %q", ErrBadAnswer, st.RequestID)
		}
	}
	return nil
}

// list returns the pin requests named name (exactly), of any status, at
// most maxListed of them.
func (c *client) list(ctx context.Context, name string) ([]psaStatus, error) {
	q := url.Values{
		"name":   {name},
		"match":  {"exact"},
		"status": {strings.Join([]string{statusQueued, statusPinning, statusPinned, statusFailed}, ",")},
		"limit":  {strconv.Itoa(maxListed)},
	}
	var res psaResults
	if err := c.do(ctx, http.MethodGet, "/pins?"+q.Encode(), nil, &res); err != nil {
		return nil, err
	}
	for i := range res.Results {
		if err := res.Results[i].check(); err != nil {
			return nil, err
		}
	}
	return res.Results, nil
}

// add asks for a new pin; replace asks for one in place of the request
// id.
func (c *client) add(ctx context.Context, p psaPin) (*psaStatus, error) {
	return c.pinRequest(ctx, http.MethodPost, "/pins", p)
}

func (c *client) replace(ctx context.Context, id string, p psaPin) (*psaStatus, error) {
	return c.pinRequest(ctx, http.MethodPost, "/pins/"+url.PathEscape(id), p)
}

// remove asks the service to drop the pin request id.
func (c *client) remove(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/pins/"+url.PathEscape(id), nil, nil)
}

// status asks for the pin request id.
func (c *client) status(ctx context.Context, id string) (*psaStatus, error) {
	return c.pinRequest(ctx, http.MethodGet, "/pins/"+url.PathEscape(id), nil)
}

// pinRequest sends a request whose answer is one pin request, checked.
func (c *client) pinRequest(ctx context.Context, method, path string, in any) (*psaStatus, error) {
	var st psaStatus
	if err := c.do(ctx, method, path, in, &st); err != nil {
		return nil, err
	}
	if err := st.check(); err != nil {
		return nil, err
	}
	return &st, nil
}

// do sends one request with the token and decodes the answer, of at
// most maxResponse bytes, into out. An answer that is not 2xx is a
// *ServiceError.
func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	switch {
	case err != nil:
		return err
	case len(data) > maxResponse:
		return fmt.Errorf("%w: over %d bytes", ErrResponseTooLarge, maxResponse)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		se := &ServiceError{Code: resp.StatusCode}
		var pe psaError
		if json.Unmarshal(data, &pe) == nil {
			se.Reason, se.Details = pe.Error.Reason, pe.Error.Details
		}
		return se
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("pinning service answer: %w", err)
	}
	return nil
}

// ServiceError is an answer of the service that is not a success.
type ServiceError struct {
	Code    int    // the HTTP status
	Reason  string // the API's error reason, such as UNAUTHORIZED
	Details string
}

func (e *ServiceError) Error() string {
	msg := fmt.Sprintf("pinning service: http status %d", e.Code)
	if e.Reason != "" {
		msg += " " + strconv.Quote(truncate(e.Reason, maxErrorText))
	}
	if e.Details != "" {
		msg += ": " + strconv.Quote(truncate(e.Details, maxErrorText))
	}
	return msg
}

// truncate cuts s to at most n bytes: a service's words end up on an
// operator's terminal.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ErrRedirect means the service answered with a redirect, which is not
// followed: the access token would go along.
var ErrRedirect = errors.New("pinning service redirected; not followed")
