package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"ringside/providers"
)

// GWS operation names used by the console.
const (
	opAnswer = "Answer"
	opReject = "Reject"
	opHangup = "Hangup"
)

// operation is the body of every GWS voice and session operation.
type operation struct {
	OperationName string   `json:"operationName"`
	Channels      []string `json:"channels,omitempty"`
	Place         string   `json:"place,omitempty"`
}

// callPath is the REST path of the call id. It refuses an id outside the
// safe alphabet (providers.CheckCallID): ".." would pass url.PathEscape and
// send the request to another resource.
func callPath(id string) (string, error) {
	if err := providers.CheckCallID(id); err != nil {
		return "", err
	}
	return "/api/v2/me/calls/" + url.PathEscape(id), nil
}

// operate asks GWS to perform op on the call. Success only means GWS
// accepted the request; the outcome arrives as a state message.
func (c *restClient) operate(ctx context.Context, id, op string) error {
	path, err := callPath(id)
	if err != nil {
		return err
	}
	return c.post(ctx, path, operation{OperationName: op}, nil)
}

// call re-reads one call. A call GWS no longer knows is an error wrapping
// providers.ErrNotFound.
func (c *restClient) call(ctx context.Context, id string) (wireCall, error) {
	var out struct {
		Call  json.RawMessage   `json:"call"`
		Calls []json.RawMessage `json:"calls"`
	}
	path, err := callPath(id)
	if err != nil {
		return wireCall{}, err
	}
	err = c.get(ctx, path+"?fields=*", &out)
	var refused *providers.RefusedError
	if errors.As(err, &refused) && refused.Status == http.StatusNotFound && !errors.Is(err, providers.ErrNotFound) {
		err = fmt.Errorf("%w (HTTP 404)", providers.ErrNotFound)
	}
	if err != nil {
		return wireCall{}, err
	}
	raw := out.Call
	if isNull(raw) && len(out.Calls) == 1 {
		raw = out.Calls[0]
	}
	if isNull(raw) {
		return wireCall{}, errors.New("GWS answered without the call")
	}
	wc, err := decodeCall(raw)
	if err != nil {
		return wireCall{}, err
	}
	if wc.ID != id {
		return wireCall{}, fmt.Errorf("GWS answered with call %q instead", wc.ID)
	}
	return wc, nil
}

// snapshot is GWS's list of the agent's calls at one moment.
type snapshot struct {
	Calls []wireCall
	// Unreadable are the ids of listed calls that could not be decoded; they
	// exist, so they must not be ended for being absent.
	Unreadable []string
	Problems   []error
}

// calls lists the agent's calls with all their fields.
func (c *restClient) calls(ctx context.Context) (snapshot, error) {
	var out struct {
		Calls json.RawMessage `json:"calls"`
		URIs  json.RawMessage `json:"uris"`
	}
	if err := c.get(ctx, "/api/v2/me/calls?fields=*", &out); err != nil {
		return snapshot{}, fmt.Errorf("reading the call list: %w", err)
	}
	if isNull(out.Calls) {
		if !isNull(out.URIs) {
			return snapshot{}, errors.New("reading the call list: GWS sent only call URIs (fields=* ignored)")
		}
		return snapshot{}, nil // GWS omits an empty list
	}
	var items []json.RawMessage
	if err := json.Unmarshal(out.Calls, &items); err != nil {
		return snapshot{}, errors.New("reading the call list: calls is not an array")
	}
	var snap snapshot
	for _, item := range items {
		wc, err := decodeCall(item)
		switch {
		case err == nil:
			snap.Calls = append(snap.Calls, wc)
		case wc.ID != "":
			snap.Unreadable = append(snap.Unreadable, wc.ID)
			snap.Problems = append(snap.Problems, err)
		default:
			snap.Problems = append(snap.Problems, err)
		}
	}
	return snap, nil
}

// devices lists the agent's devices with their state.
func (c *restClient) devices(ctx context.Context) ([]wireDevice, error) {
	var out struct {
		Devices json.RawMessage `json:"devices"`
	}
	if err := c.get(ctx, "/api/v2/me/devices?fields=*", &out); err != nil {
		return nil, fmt.Errorf("reading the agent's devices: %w", err)
	}
	if isNull(out.Devices) {
		return nil, nil
	}
	devices, err := decodeDevices(out.Devices)
	if err != nil {
		return nil, fmt.Errorf("reading the agent's devices: %w", err)
	}
	return devices, nil
}

// startSession logs the agent in to the voice channel.
func (c *restClient) startSession(ctx context.Context, place string) error {
	err := c.post(ctx, "/api/v2/me", operation{OperationName: "StartContactCenterSession", Channels: []string{"voice"}, Place: place}, nil)
	if err != nil {
		where := "the default place"
		if place != "" {
			where = fmt.Sprintf("place %q", place)
		}
		return fmt.Errorf("agent login at %s: %w", where, err)
	}
	return nil
}

// endSession logs the agent out. GWS also ends the HTTP session: nothing
// after it works until the next login.
func (c *restClient) endSession(ctx context.Context) error {
	if err := c.post(ctx, "/api/v2/me", operation{OperationName: "EndContactCenterSession"}, nil); err != nil {
		return fmt.Errorf("agent logout: %w", err)
	}
	return nil
}
