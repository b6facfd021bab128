package callapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
)

const docCallback = "https://bot.contoso.com/api/calls/24701998-1a73-4d42-8085-bf46ed0ae039"

// docBody is a stored documentation body with the listed top-level (or
// transferTarget) keys removed, for comparing with what ringside sends.
func docBody(t *testing.T, name string, dropTop []string, dropTarget []string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(graphtest.RequestBody(name), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range dropTop {
		delete(m, k)
	}
	if tt, ok := m["transferTarget"].(map[string]any); ok {
		for _, k := range dropTarget {
			delete(tt, k)
		}
	}
	b, _ := json.Marshal(m)
	return b
}

// checkSent asserts the one request of an action: method, path, JSON
// body, content type and an app token the token endpoint issued.
func checkSent(t *testing.T, srv *graphtest.Server, r graphtest.Request, action string, want []byte) {
	t.Helper()
	if r.Method != http.MethodPost || r.Path != "/v1.0/communications/calls/"+callID+"/"+action || r.Status != http.StatusAccepted {
		t.Fatalf("request %s %s → %d", r.Method, r.Path, r.Status)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); !ok || !srv.Tokens.Valid(tok) {
		t.Fatalf("authorization %q is not a bearer token the endpoint issued", r.Header.Get("Authorization"))
	}
	jsonEqual(t, r.Body, want)
}

func TestRedirectSendsTheDocumentedBodies(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, func(c *Config) { c.CallbackURL = docCallback })
	deadline := time.Now().Add(10 * time.Second)
	cases := []struct {
		to   providers.Target
		want []byte
	}{
		{providers.Target{Name: "+12345678901", Kind: providers.TargetPhone, Phone: "+12345678901"},
			graphtest.RequestBody("doc-redirect-phone.json")},
		{providers.Target{Name: "test bot 2", Kind: providers.TargetApplication, GraphID: "22bfd41f-550e-477d-8789-f6f7bd2a5e8b"},
			graphtest.RequestBody("doc-redirect-application.json")},
		// A Teams user, with the tenant (agent-controls: always send it).
		{providers.Target{Name: "Heidi Steen", Kind: providers.TargetUser, GraphID: "550fae72-d251-43ec-868c-373732c2704f",
			GraphTenantID: "632899f8-2ea1-4604-8413-27bd2892079f", GenesysNumber: "5002"},
			[]byte(`{"targets":[{"@odata.type":"#microsoft.graph.invitationParticipantInfo",
			  "identity":{"@odata.type":"#microsoft.graph.identitySet",
			   "user":{"@odata.type":"#microsoft.graph.identity","id":"550fae72-d251-43ec-868c-373732c2704f",
			           "displayName":"Heidi Steen","tenantId":"632899f8-2ea1-4604-8413-27bd2892079f"}}}],
			  "callbackUri":"` + docCallback + `"}`)},
		// A queue's resource account is an application instance; a typed id
		// is not repeated as a display name.
		{providers.Target{Name: "7629bdce-046c-4903-86b4-a8f718277e1a", Kind: providers.TargetQueue, GraphID: "7629bdce-046c-4903-86b4-a8f718277e1a"},
			[]byte(`{"targets":[{"@odata.type":"#microsoft.graph.invitationParticipantInfo",
			  "identity":{"@odata.type":"#microsoft.graph.identitySet",
			   "applicationInstance":{"@odata.type":"#microsoft.graph.identity","id":"7629bdce-046c-4903-86b4-a8f718277e1a"}}}],
			  "callbackUri":"` + docCallback + `"}`)},
	}
	for i, tc := range cases {
		if err := c.Redirect(context.Background(), callID, tc.to, deadline); err != nil {
			t.Fatalf("%s: %v", tc.to.Name, err)
		}
		reqs := srv.API.Requests()
		if len(reqs) != i+1 {
			t.Fatalf("%d requests after %d redirects", len(reqs), i+1)
		}
		checkSent(t, srv, reqs[i], "redirect", tc.want)
	}

	// Without a callback URL, Graph uses the bot's registered webhook.
	plain := newClient(t, srv, nil)
	if err := plain.Redirect(context.Background(), callID, cases[0].to, deadline); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, srv.API.Requests()[len(cases)].Body, docBody(t, "doc-redirect-phone.json", []string{"callbackUri"}, nil))
}

func TestTransferSendsTheDocumentedBodies(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, func(c *Config) { c.CallbackURL = docCallback })
	heidi := providers.Target{Name: "Heidi Steen", Kind: providers.TargetUser, GraphID: "550fae72-d251-43ec-868c-373732c2704f"}
	if err := c.Transfer(context.Background(), callID, heidi); err != nil {
		t.Fatal(err)
	}
	// Example 2's target without replacesCallId is a blind transfer.
	checkSent(t, srv, srv.API.Requests()[0], "transfer", docBody(t, "doc-transfer-consultative-user.json", nil, []string{"replacesCallId"}))

	phone := providers.Target{Name: "Desk", Kind: providers.TargetPhone, Phone: "+12345678901", GenesysNumber: "5002"}
	if err := c.Transfer(context.Background(), callID, phone); err != nil {
		t.Fatal(err)
	}
	r := srv.API.Requests()[1]
	checkSent(t, srv, r, "transfer", []byte(`{"transferTarget":{"@odata.type":"#microsoft.graph.invitationParticipantInfo",
	  "endpointType":"default","identity":{"@odata.type":"#microsoft.graph.identitySet",
	   "phone":{"@odata.type":"#microsoft.graph.identity","id":"+12345678901"}}}}`))
	// The phone identity is Example 3's, to the letter.
	var got, doc struct {
		TransferTarget struct {
			Identity struct {
				Phone json.RawMessage `json:"phone"`
			} `json:"identity"`
		} `json:"transferTarget"`
	}
	_ = json.Unmarshal(r.Body, &got)
	_ = json.Unmarshal(graphtest.RequestBody("doc-transfer-phone.json"), &doc)
	jsonEqual(t, got.TransferTarget.Identity.Phone, doc.TransferTarget.Identity.Phone)
}

func TestRedirectKeepsToTheAnswerWindow(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	to := providers.Target{Name: "Desk", Kind: providers.TargetPhone, Phone: "+12345678901"}

	// Past the deadline nothing is sent.
	err := c.Redirect(context.Background(), callID, to, time.Now().Add(-time.Millisecond))
	if !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "answer window has closed") {
		t.Fatalf("late redirect: %v", err)
	}
	if n := len(srv.API.Requests()); n != 0 {
		t.Fatalf("a late redirect reached Graph: %d requests", n)
	}

	// Throttled: retried after Retry-After with the same request.
	srv.API.Script(callID, graphtest.ActionRedirect, graphtest.Response{Status: 429, RetryAfter: "0.05"}, graphtest.Response{Status: 503})
	var waits []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	if err := c.Redirect(context.Background(), callID, to, time.Now().Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	reqs := srv.API.Requests()
	if len(reqs) != 3 || !reflect.DeepEqual(waits, []time.Duration{50 * time.Millisecond, 2 * time.Second}) {
		t.Fatalf("%d requests, waits %v", len(reqs), waits)
	}
	for _, r := range reqs[1:] {
		if !reflect.DeepEqual(r.Body, reqs[0].Body) || r.Header.Get("client-request-id") != reqs[0].Header.Get("client-request-id") {
			t.Fatal("a retry must repeat the same request")
		}
	}

	// A retry that would land after the deadline is not made.
	srv.API.Script(callID, graphtest.ActionRedirect, graphtest.Response{Status: 429, RetryAfter: "2.128"})
	c.sleep = func(context.Context, time.Duration) error { t.Fatal("must not wait"); return nil }
	err = c.Redirect(context.Background(), callID, to, time.Now().Add(time.Second))
	var ref *providers.RefusedError
	if !errors.As(err, &ref) || ref.Status != 429 || !strings.Contains(err.Error(), "answer deadline") {
		t.Fatalf("error %v", err)
	}
	if n := len(srv.API.Requests()); n != 4 {
		t.Fatalf("%d requests", n)
	}
}

func TestTransferRetriesWithinTheBudget(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	to := providers.Target{Name: "Heidi", Kind: providers.TargetUser, GraphID: "550fae72-d251-43ec-868c-373732c2704f"}
	srv.API.Script(callID, graphtest.ActionTransfer,
		graphtest.Response{Status: 401}, // a revoked token: fetched again, once
		graphtest.Response{Status: 504},
	)
	var waits []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	if err := c.Transfer(context.Background(), callID, to); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.API.Requests()); n != 3 || srv.Tokens.Grants() != 2 || len(waits) != 1 {
		t.Fatalf("%d requests, %d grants, waits %v", n, srv.Tokens.Grants(), waits)
	}

	budget := newClient(t, srv, func(c *Config) { c.Budget = 500 * time.Millisecond })
	srv.API.Script(callID, graphtest.ActionTransfer, graphtest.Response{Status: 503, RetryAfter: "1"})
	if err := budget.Transfer(context.Background(), callID, to); err == nil || !strings.Contains(err.Error(), "retry budget") {
		t.Fatalf("past the budget: %v", err)
	}
}

func TestTransferRefusalsInGraphsWords(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	to := providers.Target{Name: "Other bot", Kind: providers.TargetApplication, GraphID: "22bfd41f-550e-477d-8789-f6f7bd2a5e8b"}
	srv.API.Script(callID, graphtest.ActionTransfer, graphtest.Response{Status: 403, Code: "7505", Message: "Request authorization tenant mismatch."})
	err := c.Transfer(context.Background(), callID, to)
	var ref *providers.RefusedError
	if !errors.As(err, &ref) || ref.Code != "7505" || !strings.Contains(err.Error(), "transfer "+callID) ||
		!strings.Contains(err.Error(), "tenant mismatch") || ref.RequestID == "" {
		t.Fatalf("error %v", err)
	}
	if n := len(srv.API.Requests()); n != 1 {
		t.Fatalf("a refusal is not retried: %d requests", n)
	}
	srv.API.Gone(callID)
	if err := c.Transfer(context.Background(), callID, to); !errors.Is(err, providers.ErrNotFound) {
		t.Fatalf("a call that ended: %v", err)
	}
}

func TestTargetsTeamsCannotReachAreNotSent(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	cases := []struct {
		to   providers.Target
		says string
	}{
		{providers.Target{Name: "Agent 5003", Kind: providers.TargetUser, GenesysNumber: "5003"}, "no Teams id and no E.164 number"},
		{providers.Target{Name: "Ana", Kind: providers.TargetUser, GraphID: "not-a-guid"}, "not a GUID"},
		{providers.Target{Name: "Desk", Kind: providers.TargetPhone, Phone: "5002"}, "must start with +"},
		{providers.Target{}, "name is empty"},
	}
	for _, tc := range cases {
		for _, err := range []error{
			c.Redirect(context.Background(), callID, tc.to, time.Now().Add(10*time.Second)),
			c.Transfer(context.Background(), callID, tc.to),
		} {
			if !errors.Is(err, providers.ErrBadTarget) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%+v: %v, want an ErrBadTarget saying %q", tc.to, err, tc.says)
			}
		}
	}
	desk := providers.Target{Name: "Desk", Kind: providers.TargetPhone, Phone: "+12345678901"}
	if err := c.Transfer(context.Background(), "..", desk); !errors.Is(err, providers.ErrBadCallID) {
		t.Fatalf("bad id: %v", err)
	}
	if n := len(srv.API.Requests()); n != 0 {
		t.Fatalf("%d requests reached Graph", n)
	}
}
