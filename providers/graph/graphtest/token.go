package graphtest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// TokenEndpoint is a fake Entra token endpoint for the client-credentials
// grant, served at /{tenant}/oauth2/v2.0/token. It checks the form fields the
// way Entra does and answers with Entra's success and error shapes.
type TokenEndpoint struct {
	Tenant       string
	ClientID     string
	ClientSecret string
	// Scope is the scope it expects, e.g. "https://graph.microsoft.com/.default";
	// empty accepts any.
	Scope string
	// Lifetime of issued tokens in seconds; 3599 like Entra when zero.
	Lifetime int

	mu     sync.Mutex
	issued map[string]bool
	grants atomic.Int64
	denied atomic.Int64
}

// TokenPath is where the endpoint listens for tenant.
func TokenPath(tenant string) string { return "/" + tenant + "/oauth2/v2.0/token" }

// Grants is how many tokens were issued.
func (t *TokenEndpoint) Grants() int64 { return t.grants.Load() }

// Denied is how many token requests were refused.
func (t *TokenEndpoint) Denied() int64 { return t.denied.Load() }

// Valid reports whether tok is an access token this endpoint issued.
func (t *TokenEndpoint) Valid(tok string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.issued[tok]
}

// Revoke forgets every issued token, so the API refuses them with 401.
func (t *TokenEndpoint) Revoke() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.issued = nil
}

func (t *TokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		t.refuse(w, http.StatusMethodNotAllowed, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.")
		return
	}
	if r.URL.Path != TokenPath(t.Tenant) {
		t.refuse(w, http.StatusBadRequest, "invalid_tenant", "AADSTS90002: Tenant not found.")
		return
	}
	if err := r.ParseForm(); err != nil {
		t.refuse(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body must be a form.")
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	switch {
	case r.PostForm.Get("grant_type") != "client_credentials":
		t.refuse(w, http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
	case id != t.ClientID:
		t.refuse(w, http.StatusBadRequest, "unauthorized_client", "AADSTS700016: Application not found in the directory.")
	case secret == "" || secret != t.ClientSecret:
		t.refuse(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
	case t.Scope != "" && r.PostForm.Get("scope") != t.Scope:
		t.refuse(w, http.StatusBadRequest, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid.")
	default:
		var raw [16]byte
		_, _ = rand.Read(raw[:])
		tok := "fake-graph-token-" + hex.EncodeToString(raw[:])
		t.mu.Lock()
		if t.issued == nil {
			t.issued = map[string]bool{}
		}
		t.issued[tok] = true
		t.mu.Unlock()
		t.grants.Add(1)
		life := t.Lifetime
		if life == 0 {
			life = 3599
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"token_type": "Bearer", "expires_in": life, "ext_expires_in": life, "access_token": tok,
		})
	}
}

func (t *TokenEndpoint) refuse(w http.ResponseWriter, status int, code, desc string) {
	t.denied.Add(1)
	writeJSON(w, status, map[string]any{
		"error": code, "error_description": desc, "error_codes": []int{}, "trace_id": newRequestID(),
	})
}

// bearer extracts the token from an Authorization header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
