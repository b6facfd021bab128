package callapi

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
)

// callResource is the call of the "Get call" documentation's first example
// (see ../testdata/README.md).
func callResource(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/doc-get-call.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGetReadsTheCall(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	srv.API.PutCall(callID, callResource(t))
	got, err := c.Get(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, callResource(t))
	reqs := srv.API.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodGet || r.Path != "/v1.0/communications/calls/"+callID || r.Status != http.StatusOK || len(r.Body) != 0 {
		t.Fatalf("request %s %s %q → %d", r.Method, r.Path, r.Body, r.Status)
	}
	if !srv.Tokens.Valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
		t.Fatalf("authorization %q is not an app token the endpoint issued", r.Header.Get("Authorization"))
	}
}

func TestGetOfACallGraphNoLongerKnows(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	srv.API.PutCall(callID, callResource(t))
	srv.API.Gone(callID)
	body, err := c.Get(context.Background(), callID)
	var gone *GoneError
	if !errors.Is(err, providers.ErrNotFound) || !errors.As(err, &gone) || body != nil {
		t.Fatalf("a call Graph no longer knows: body %q, err %v", body, err)
	}
	if !strings.HasPrefix(err.Error(), "read "+callID+": the call no longer exists") {
		t.Fatalf("message: %v", err)
	}
}

func TestGetRetriesAsGraphAsks(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	srv.API.PutCall(callID, callResource(t))
	srv.API.Script(callID, graphtest.ActionGet, graphtest.Response{Status: http.StatusServiceUnavailable, RetryAfter: "2"})
	var waits []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	got, err := c.Get(context.Background(), callID)
	if err != nil || len(waits) != 1 || waits[0] != 2*time.Second {
		t.Fatalf("err %v after waits %v, want one wait of 2s", err, waits)
	}
	jsonEqual(t, got, callResource(t))

	srv.API.Script(callID, graphtest.ActionGet, graphtest.Response{Status: http.StatusForbidden})
	if _, err := c.Get(context.Background(), callID); err == nil || errors.Is(err, providers.ErrNotFound) ||
		!strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("a refusal is an error of its own, not a gone call: %v", err)
	}
}
