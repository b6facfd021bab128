package graphtest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestTokenEndpointFollowsEntra(t *testing.T) {
	srv := Start(t, Options{Scope: "https://graph.microsoft.com/.default"})
	post := func(form url.Values) int {
		resp, err := http.PostForm(srv.TokenURL, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {srv.Options.ClientID},
		"client_secret": {srv.Options.ClientSecret}, "scope": {"https://graph.microsoft.com/.default"}}
	if s := post(good); s != 200 || srv.Tokens.Grants() != 1 {
		t.Fatalf("good request: %d", s)
	}
	bad := url.Values{}
	for k, v := range good {
		bad[k] = v
	}
	bad.Set("client_secret", "wrong")
	if s := post(bad); s != 401 {
		t.Fatalf("wrong secret: %d", s)
	}
	bad.Set("client_secret", srv.Options.ClientSecret)
	bad.Set("scope", "other")
	if s := post(bad); s != 400 || srv.Tokens.Denied() != 2 {
		t.Fatalf("wrong scope: %d", s)
	}
}

func TestAPIRefusesUnissuedTokens(t *testing.T) {
	srv := Start(t, Options{})
	req, _ := http.NewRequest(http.MethodDelete, srv.APIBase+"/communications/calls/x", nil)
	req.Header.Set("Authorization", "Bearer made-up")
	rep, err := Do(http.DefaultClient, req)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != 401 || !strings.Contains(rep.Body, "InvalidAuthenticationToken") || !strings.Contains(rep.Body, "request-id") {
		t.Fatalf("%+v", rep)
	}
	if r := srv.API.Requests(); len(r) != 1 || r[0].Status != 401 {
		t.Fatalf("%+v", r)
	}
	if _, err := srv.API.Wait(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
}

func TestParseCallPath(t *testing.T) {
	cases := []struct {
		method, path string
		id           string
		action       Action
		ok           bool
	}{
		{"POST", "/v1.0/communications/calls/a/reject", "a", ActionReject, true},
		{"POST", "/beta/communications/calls/a/microsoft.graph.answer", "a", ActionAnswer, true},
		{"DELETE", "/v1.0/communications/calls/a", "a", ActionDelete, true},
		{"GET", "/v1.0/communications/calls/a", "a", ActionGet, true},
		{"GET", "/v1.0/communications/calls/a/participants", "", "", false},
		{"POST", "/v1.0/communications/calls/a/redirect", "a", ActionRedirect, true},
		{"POST", "/beta/communications/calls/a/microsoft.graph.transfer", "a", ActionTransfer, true},
		{"POST", "/v1.0/communications/calls/a/keepAlive", "", "", false},
		{"GET", "/v1.0/communications/calls/a/transfer", "", "", false},
		{"POST", "/v1.0/app/calls/a/reject", "", "", false},
	}
	for _, tc := range cases {
		id, action, ok := ParseCallPath(tc.method, tc.path)
		if id != tc.id || action != tc.action || ok != tc.ok {
			t.Errorf("%s %s: %q %q %v", tc.method, tc.path, id, action, ok)
		}
	}
}

func TestWithCallIDReplacesBothSpellings(t *testing.T) {
	body := string(WithCallID([]byte(SeedCallIDOld+" "+SeedCallID), "n"))
	if body != "n n" {
		t.Fatalf("%q", body)
	}
	for _, name := range Notifications() {
		if len(Notification(name)) == 0 {
			t.Fatalf("%s is empty", name)
		}
	}
}
