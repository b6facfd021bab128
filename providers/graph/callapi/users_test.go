package callapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
)

const userID = "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f"

func TestUserDisplayName(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	srv.Users.Add(userID, "Adele Vance")
	c := newClient(t, srv, nil)
	name, err := c.UserDisplayName(context.Background(), strings.ToUpper(userID))
	if err != nil {
		t.Fatal(err)
	}
	if name != "Adele Vance" {
		t.Fatalf("name %q, want Adele Vance", name)
	}
	reqs := srv.Users.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d lookups, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/v1.0/users/"+strings.ToUpper(userID) || r.Select != "displayName" || r.Status != http.StatusOK {
		t.Fatalf("lookup %s $select=%q → %d", r.Path, r.Select, r.Status)
	}
	if !srv.Tokens.Valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
		t.Fatalf("authorization %q is not a token the endpoint issued", r.Header.Get("Authorization"))
	}
}

func TestUserDisplayNameRefusals(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	ctx := context.Background()

	// Unknown in the tenant: Graph's 404 in its own words.
	_, err := c.UserDisplayName(ctx, userID)
	var refused *providers.RefusedError
	if !errors.As(err, &refused) || refused.Status != http.StatusNotFound || refused.Code != "Request_ResourceNotFound" {
		t.Fatalf("unknown user: %v, want Graph's 404 refusal", err)
	}
	if IsForbidden(err) {
		t.Fatal("a 404 reads as forbidden")
	}

	// No User.Read.All: 403, said so, and told apart from other refusals.
	srv.Users.Script(userID, graphtest.Response{Status: http.StatusForbidden, Code: "Authorization_RequestDenied",
		Message: "Insufficient privileges to complete the operation."})
	_, err = c.UserDisplayName(ctx, userID)
	if !IsForbidden(err) || !strings.Contains(err.Error(), "User.Read.All") ||
		!strings.Contains(err.Error(), "Insufficient privileges") {
		t.Fatalf("forbidden: %v, want a 403 that names User.Read.All and keeps Graph's words", err)
	}

	// A user without a display name: no name, no error.
	const nameless = "0b7e3c55-6a1d-4f0e-8c2b-9d4a5e6f7a8b"
	srv.Users.Add(nameless, "")
	if name, err := c.UserDisplayName(ctx, nameless); err != nil || name != "" {
		t.Fatalf("nameless user: %q, %v", name, err)
	}
}

func TestUserDisplayNameRenewsARevokedTokenOnce(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	srv.Users.Add(userID, "Adele Vance")
	c := newClient(t, srv, nil)
	srv.Users.Script(userID, graphtest.Response{Status: http.StatusUnauthorized})
	name, err := c.UserDisplayName(context.Background(), userID)
	if err != nil || name != "Adele Vance" {
		t.Fatalf("after a 401: %q, %v", name, err)
	}
	if n := len(srv.Users.Requests()); n != 2 {
		t.Fatalf("%d lookups, want the refused one and one retry", n)
	}
	srv.Users.Script(userID, graphtest.Response{Status: http.StatusUnauthorized}, graphtest.Response{Status: http.StatusUnauthorized})
	if _, err := c.UserDisplayName(context.Background(), userID); err == nil {
		t.Fatal("two 401s in a row: no error")
	}
	if n := len(srv.Users.Requests()); n != 4 {
		t.Fatalf("%d lookups, want no more than one retry", n)
	}
}

// Only a GUID reaches the path: anything else is refused before any request.
func TestUserDisplayNameRefusesIDsThatAreNotGUIDs(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	c := newClient(t, srv, nil)
	for _, id := range []string{"", ".", "..", "../../me", userID + "/manager", "adele@contoso.com",
		"3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5", "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5%", "3f9a2c17?0b4e-4d6a-9c3e-5a1b2c3d4e5f"} {
		if _, err := c.UserDisplayName(context.Background(), id); err == nil || !strings.Contains(err.Error(), "not a directory id") {
			t.Errorf("id %q: %v, want a refusal", id, err)
		}
	}
	if n := len(srv.Users.Requests()) + len(srv.API.Requests()); n != 0 {
		t.Fatalf("%d requests sent for ids that are not GUIDs", n)
	}
}
