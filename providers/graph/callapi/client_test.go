package callapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
	"ringside/providers/httpguard"
)

const callID = graphtest.SeedCallID

func newClient(t *testing.T, srv *graphtest.Server, change func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		APIBase: srv.APIBase, TokenURL: srv.TokenURL,
		ClientID: srv.Options.ClientID, ClientSecret: srv.Options.ClientSecret,
	}
	if change != nil {
		change(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func jsonEqual(t *testing.T, got, want []byte) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("request body %q: %v", got, err)
	}
	if err := json.Unmarshal(want, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("body %s, want %s", got, want)
	}
}

func TestRejectBusySendsTheSeedBody(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	if err := c.Reject(context.Background(), callID, providers.ReasonBusy, time.Now().Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	reqs := srv.API.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/v1.0/communications/calls/"+callID+"/reject" || r.Status != http.StatusAccepted {
		t.Fatalf("request %s %s → %d", r.Method, r.Path, r.Status)
	}
	if string(r.Body) != `{"reason":"busy"}` {
		t.Fatalf("body %q, want exactly {\"reason\":\"busy\"}", r.Body)
	}
	jsonEqual(t, r.Body, graphtest.RequestBody("seed001-reject-busy.json"))
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	if !srv.Tokens.Valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
		t.Fatalf("authorization %q is not a token the endpoint issued", r.Header.Get("Authorization"))
	}
	if r.Header.Get("client-request-id") == "" {
		t.Fatal("no client-request-id")
	}

	if err := c.Reject(context.Background(), callID, "NONE", time.Time{}); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, srv.API.Requests()[1].Body, graphtest.RequestBody("seed001-reject-none.json"))
	if err := c.Reject(context.Background(), callID, "later", time.Time{}); err == nil || !strings.Contains(err.Error(), "unknown reason") {
		t.Fatalf("bad reason: %v", err)
	}
	if n := len(srv.API.Requests()); n != 2 {
		t.Fatalf("a bad reason must not reach Graph: %d requests", n)
	}
}

func TestAnswerAndDelete(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, func(c *Config) { c.CallbackURL = "https://bot.contoso.com/api/calls" })
	if err := c.Answer(context.Background(), callID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(context.Background(), callID); err != nil {
		t.Fatal(err)
	}
	reqs := srv.API.Requests()
	if reqs[0].Method != http.MethodPost || reqs[0].Path != "/v1.0/communications/calls/"+callID+"/answer" {
		t.Fatalf("answer went to %s %s", reqs[0].Method, reqs[0].Path)
	}
	jsonEqual(t, reqs[0].Body, []byte(`{"callbackUri":"https://bot.contoso.com/api/calls","acceptedModalities":["audio"],
		"mediaConfig":{"@odata.type":"#microsoft.graph.serviceHostedMediaConfig"}}`))
	if reqs[1].Method != http.MethodDelete || reqs[1].Path != "/v1.0/communications/calls/"+callID || len(reqs[1].Body) != 0 || reqs[1].Status != http.StatusNoContent {
		t.Fatalf("hang up: %s %s body %q → %d", reqs[1].Method, reqs[1].Path, reqs[1].Body, reqs[1].Status)
	}
	if srv.Tokens.Grants() != 1 {
		t.Fatalf("the app token must be reused: %d grants", srv.Tokens.Grants())
	}

	plain := newClient(t, srv, nil)
	if err := plain.Answer(context.Background(), callID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, srv.API.Requests()[2].Body, []byte(`{"acceptedModalities":["audio"],
		"mediaConfig":{"@odata.type":"#microsoft.graph.serviceHostedMediaConfig"}}`))
}

func TestScopeFollowsTheAPIHost(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	srv.Tokens.Scope = srv.Base + "/.default"
	if err := newClient(t, srv, nil).Delete(context.Background(), callID); err != nil {
		t.Fatalf("derived scope: %v", err)
	}
	srv.Tokens.Scope = "https://graph.microsoft.us/.default"
	c := newClient(t, srv, func(c *Config) { c.Scope = "https://graph.microsoft.us/.default" })
	if err := c.Delete(context.Background(), callID); err != nil {
		t.Fatalf("explicit scope: %v", err)
	}
}

func TestSecretNeverShows(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{ClientSecret: "the-right-secret"})
	var logs bytes.Buffer
	const wrong = "s3cr3t-VALUE-that-must-not-leak"
	c := newClient(t, srv, func(c *Config) {
		c.ClientSecret = wrong
		c.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	err := c.Reject(context.Background(), callID, providers.ReasonBusy, time.Time{})
	if err == nil {
		t.Fatal("a wrong secret must fail")
	}
	if !strings.Contains(err.Error(), "invalid_client") || !strings.Contains(err.Error(), "app token") {
		t.Fatalf("error does not say what failed: %v", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(logs.String(), wrong) {
		t.Fatalf("the secret leaked: %v / %s", err, logs.String())
	}
	if len(srv.API.Requests()) != 0 {
		t.Fatal("no API request may go out without a token")
	}
	// Even an error text that quotes the secret is scrubbed.
	if got := c.redact("x " + wrong + " y"); strings.Contains(got, wrong) {
		t.Fatalf("redact: %q", got)
	}
}

func TestNotFound(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	srv.API.Gone(callID)
	err := c.Reject(context.Background(), callID, providers.ReasonNone, time.Now().Add(10*time.Second))
	if !errors.Is(err, providers.ErrNotFound) {
		t.Fatalf("404 must wrap ErrNotFound: %v", err)
	}
	var ref *providers.RefusedError
	if !errors.As(err, &ref) || ref.Status != 404 || ref.Code != "8522" || ref.RequestID == "" {
		t.Fatalf("refusal: %+v", ref)
	}
	if !strings.Contains(err.Error(), "no longer exists") || !strings.Contains(err.Error(), ref.RequestID) {
		t.Fatalf("message: %v", err)
	}
	if n := len(srv.API.Requests()); n != 1 {
		t.Fatalf("404 must not be retried: %d requests", n)
	}

	// The calling service's "call not found" code means the same under any status.
	srv.API.Script("other", graphtest.ActionDelete, graphtest.Response{Status: 400, Code: "8522", Message: "Call not found."})
	if err := c.Delete(context.Background(), "other"); !errors.Is(err, providers.ErrNotFound) {
		t.Fatalf("8522: %v", err)
	}
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	srv.API.Script(callID, graphtest.ActionReject,
		graphtest.Response{Status: 429, RetryAfter: "0.05"},
		graphtest.Response{Status: 503, RetryAfter: "0.01"},
		graphtest.Response{Status: 504},
	)
	var waits []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	if err := c.Reject(context.Background(), callID, providers.ReasonBusy, time.Now().Add(15*time.Second)); err != nil {
		t.Fatal(err)
	}
	reqs := srv.API.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	if !reflect.DeepEqual(waits, []time.Duration{50 * time.Millisecond, 10 * time.Millisecond, 4 * time.Second}) {
		t.Fatalf("waits %v", waits)
	}
	for _, r := range reqs[1:] {
		if r.Header.Get("client-request-id") != reqs[0].Header.Get("client-request-id") || string(r.Body) != `{"reason":"busy"}` {
			t.Fatal("a retry must repeat the same request")
		}
	}
}

func TestRealSleepRetry(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	srv.API.Script(callID, graphtest.ActionDelete, graphtest.Response{Status: 429, RetryAfter: "0.02"})
	start := time.Now()
	if err := c.Delete(context.Background(), callID); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("the retry did not wait for Retry-After")
	}
}

func TestRejectIsNotRetriedPastTheDeadline(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	srv.API.Script(callID, graphtest.ActionReject, graphtest.Response{Status: 429, RetryAfter: "2.128"})
	c.sleep = func(context.Context, time.Duration) error { t.Fatal("must not wait"); return nil }
	err := c.Reject(context.Background(), callID, providers.ReasonBusy, time.Now().Add(time.Second))
	var ref *providers.RefusedError
	if !errors.As(err, &ref) || ref.Status != 429 || ref.Code != "TooManyRequests" {
		t.Fatalf("error %v", err)
	}
	if !strings.Contains(err.Error(), "answer deadline") || !strings.Contains(err.Error(), "2.128s") {
		t.Fatalf("message must say why it was not retried: %v", err)
	}
	if n := len(srv.API.Requests()); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestRejectIsNotRetriedWithANewTokenPastTheDeadline(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	srv.API.Script(callID, graphtest.ActionReject, graphtest.Response{Status: 401})
	err := c.Reject(context.Background(), callID, providers.ReasonBusy, time.Now().Add(-time.Millisecond))
	var ref *providers.RefusedError
	if !errors.As(err, &ref) || ref.Status != 401 || !strings.Contains(err.Error(), "answer deadline") {
		t.Fatalf("error %v", err)
	}
	if n := len(srv.API.Requests()); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestBudgetBoundsActionsWithoutDeadline(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, func(c *Config) { c.Budget = 500 * time.Millisecond })
	srv.API.Script(callID, graphtest.ActionReject, graphtest.Response{Status: 503, RetryAfter: "1"})
	err := c.Reject(context.Background(), callID, providers.ReasonBusy, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "retry budget") {
		t.Fatalf("error %v", err)
	}
	if n := len(srv.API.Requests()); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, func(c *Config) { c.MaxAttempts = 3 })
	c.sleep = func(context.Context, time.Duration) error { return nil }
	for range 5 {
		srv.API.Script(callID, graphtest.ActionDelete, graphtest.Response{Status: 429, RetryAfter: "0"})
	}
	err := c.Delete(context.Background(), callID)
	if err == nil || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("error %v", err)
	}
	if n := len(srv.API.Requests()); n != 3 {
		t.Fatalf("%d requests", n)
	}
}

func TestWaitEndsWithContext(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	srv.API.Script(callID, graphtest.ActionDelete, graphtest.Response{Status: 503, RetryAfter: "5"})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := c.Delete(ctx, callID)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v", err)
	}
}

func TestNoWaitPastTheContextsDeadline(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, func(c *Config) { c.Budget = time.Hour })
	srv.API.Script(callID, graphtest.ActionDelete, graphtest.Response{Status: 503, RetryAfter: "30"})
	c.sleep = func(context.Context, time.Duration) error { t.Fatal("must not wait"); return nil }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Delete(ctx, callID)
	var ref *providers.RefusedError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &ref) || ref.Status != 503 || !strings.Contains(err.Error(), "not retried") {
		t.Fatalf("error %v", err)
	}
	if n := len(srv.API.Requests()); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestErrorsInGraphsWords(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	cases := []struct {
		resp                 graphtest.Response
		status               int
		code, message, words string
	}{
		{graphtest.Response{Status: 500}, 500, "generalException", "An unexpected error occurred.", "generalException"},
		{graphtest.Response{Status: 403, LowerInner: true}, 403, "7504", "Insufficient enterprise tenant permissions, cannot access this API.", "Calls.*"},
		{graphtest.Response{Status: 400, Code: "BadRequest", Message: "The request is invalid."}, 400, "BadRequest", "The request is invalid.", "BadRequest"},
		// A proxy's page gives its text, not its markup.
		{graphtest.Response{Status: 502, RawBody: "<html>\nBad gateway</html>"}, 502, "", "Bad gateway", "HTTP 502"},
		{graphtest.Response{Status: 502, RawBody: "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"}, 502, "", "502 Bad Gateway", "HTTP 502"},
		// Letters whose lower case has another length neither cut the
		// title short nor bring the program down.
		{graphtest.Response{Status: 502, RawBody: "<html><head><TITLE>İİİ ẞẞẞ gesperrt</TITLE></head></html>"}, 502, "", "İİİ ẞẞẞ gesperrt", "HTTP 502"},
		{graphtest.Response{Status: 502, RawBody: "<html><body>ẞẞẞẞẞẞẞẞ Wartung<"}, 502, "", "ẞẞẞẞẞẞẞẞ Wartung", "HTTP 502"},
		// A hostile message is shown without its escape sequences.
		{graphtest.Response{Status: 400, Code: "BadRequest", Message: "bad\x1b]52;c;aGk=\x07 request\u202e"}, 400, "BadRequest", "bad\x1b]52;c;aGk=\x07 request\u202e", "BadRequest bad request ["},
	}
	for _, tc := range cases {
		srv.API.Script(callID, graphtest.ActionAnswer, tc.resp)
		err := c.Answer(context.Background(), callID, time.Time{})
		var ref *providers.RefusedError
		if !errors.As(err, &ref) {
			t.Fatalf("%d: %v is not a refusal", tc.status, err)
		}
		if ref.Status != tc.status || ref.Code != tc.code || ref.Message != tc.message || ref.RequestID == "" {
			t.Errorf("%d: %+v", tc.status, ref)
		}
		if !strings.Contains(err.Error(), tc.words) || !strings.HasPrefix(err.Error(), "answer "+callID+": ") {
			t.Errorf("%d: message %q", tc.status, err)
		}
		if errors.Is(err, providers.ErrNotFound) {
			t.Errorf("%d: not a not-found", tc.status)
		}
	}
	if n := len(srv.API.Requests()); n != len(cases) {
		t.Fatalf("errors other than 429/503/504 must not be retried: %d requests", n)
	}
}

func TestRevokedTokenIsRenewedOnce(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	if err := c.Delete(context.Background(), callID); err != nil {
		t.Fatal(err)
	}
	srv.Tokens.Revoke()
	if err := c.Delete(context.Background(), callID); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if srv.Tokens.Grants() != 2 {
		t.Fatalf("grants %d, want 2", srv.Tokens.Grants())
	}
}

// TestTokenFetchEndsWithContext: a token endpoint that does not answer holds
// an action up only as long as the action's context allows, not for the
// HTTP client's whole timeout.
func TestTokenFetchEndsWithContext(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stuck.Close()
	defer close(release)
	c := newClient(t, srv, func(c *Config) {
		c.TokenURL = stuck.URL + "/token"
		c.HTTPClient = &http.Client{Timeout: time.Hour}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Delete(ctx, callID) }()
	<-arrived
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "app token") {
			t.Fatalf("error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the action kept waiting for the token after its context ended")
	}
	if n := len(srv.API.Requests()); n != 0 {
		t.Fatalf("%d requests reached Graph without a token", n)
	}
}

func TestUnreachableGraph(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, func(c *Config) { c.APIBase = "http://127.0.0.1:1/v1.0" })
	err := c.Delete(context.Background(), callID)
	if err == nil || !strings.Contains(err.Error(), "cannot reach Graph") {
		t.Fatalf("error %v", err)
	}
}

func TestCallIDs(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	// ".." and "." survive url.PathEscape: …/calls/../answer would act on
	// another resource. Only the safe alphabet reaches a URL.
	for _, bad := range []string{"", "  ", "a b", "a\nb", strings.Repeat("x", 300), "..", ".", "a/../b", "a%2Fb", "a?b", "x\x1b]0;t\x07"} {
		for name, act := range map[string]func() error{
			"answer": func() error { return c.Answer(context.Background(), bad, time.Time{}) },
			"reject": func() error { return c.Reject(context.Background(), bad, providers.ReasonBusy, time.Time{}) },
			"delete": func() error { return c.Delete(context.Background(), bad) },
		} {
			if err := act(); !errors.Is(err, providers.ErrBadCallID) {
				t.Errorf("%s of id %q: %v, want ErrBadCallID", name, bad, err)
			}
		}
	}
	if n := len(srv.API.Requests()); n != 0 {
		t.Fatalf("bad ids reached Graph: %d", n)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2.128", 2128 * time.Millisecond, true},
		{" 3 ", 3 * time.Second, true},
		{"0", 0, true},
		{"1e9", 24 * time.Hour, true},
		{"", 0, false},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"soon", 0, false},
		{"Sun, 01 Mar 2026 12:00:05 GMT", 5 * time.Second, true},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},
	}
	for _, tc := range cases {
		got, ok := ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	good := Config{TokenURL: "https://login.microsoftonline.com/t/oauth2/v2.0/token", ClientID: "id", ClientSecret: "s"}
	cases := map[string]func(*Config){
		"api base":     func(c *Config) { c.APIBase = "graph.microsoft.com" },
		"token url":    func(c *Config) { c.TokenURL = "" },
		"client id":    func(c *Config) { c.ClientID = " " },
		"secret":       func(c *Config) { c.ClientSecret = "" },
		"callback url": func(c *Config) { c.CallbackURL = "/api/calls" },
	}
	for name, change := range cases {
		cfg := good
		change(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.Scope != "https://graph.microsoft.com/.default" || c.base != DefaultAPIBase {
		t.Fatalf("defaults: scope %q base %q", c.cfg.Scope, c.base)
	}
}

// The app token and the client secret never follow a redirect to another
// origin: Go's own policy would forward them.
func TestRedirectsElsewhereAreRefused(t *testing.T) {
	var stolen atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(thief.Close)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)
	srv := graphtest.Start(t, graphtest.Options{})

	api := newClient(t, srv, func(c *Config) { c.APIBase = redirect.URL + "/v1.0" })
	if err := api.Delete(context.Background(), callID); !errors.Is(err, httpguard.ErrRedirect) {
		t.Errorf("API redirect: %v, want a refusal", err)
	}
	token := newClient(t, srv, func(c *Config) { c.TokenURL = redirect.URL + "/token" })
	if err := token.Delete(context.Background(), callID); err == nil || !strings.Contains(err.Error(), "redirect refused") {
		t.Errorf("token endpoint redirect: %v, want a refusal", err)
	}
	if n := stolen.Load(); n != 0 {
		t.Fatalf("%d requests reached the other origin", n)
	}
}

// TestRejectChecksTheReasonOnceAndSaysSoBeforeSending: the reason is read
// here (any case, empty as none), OnReject hears the checked reason before
// the request leaves, and an unknown reason reaches neither OnReject nor
// Graph.
func TestRejectChecksTheReasonOnceAndSaysSoBeforeSending(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	type heard struct {
		id       string
		reason   providers.RejectReason
		requests int
	}
	var got []heard
	c := newClient(t, srv, func(c *Config) {
		c.OnReject = func(id string, r providers.RejectReason) {
			got = append(got, heard{id, r, len(srv.API.Requests())})
		}
	})
	for _, r := range []providers.RejectReason{"Busy", ""} {
		if err := c.Reject(context.Background(), callID, r, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	want := []heard{{callID, providers.ReasonBusy, 0}, {callID, providers.ReasonNone, 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("OnReject heard %+v, want %+v (each before its request)", got, want)
	}
	reqs := srv.API.Requests()
	if len(reqs) != 2 || string(reqs[0].Body) != `{"reason":"busy"}` || string(reqs[1].Body) != `{"reason":"none"}` {
		t.Fatalf("requests %+v", reqs)
	}
	if err := c.Reject(context.Background(), callID, "later", time.Time{}); err == nil || !strings.Contains(err.Error(), "unknown reason") {
		t.Fatalf("bad reason: %v", err)
	}
	if len(got) != 2 || len(srv.API.Requests()) != 2 {
		t.Fatalf("an unknown reason went on: heard %d, %d requests", len(got), len(srv.API.Requests()))
	}
}
