package graphtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/MicahParks/jwkset"
)

// Paths of the fake calling platform's metadata, as on api.aps.skype.com.
const (
	OpenIDConfigPath = "/v1/.well-known/OpenIdConfiguration"
	JWKSPath         = "/v1/keys"
)

// IdentityProvider serves the calling platform's OpenID configuration and the
// JWKS it points to. Keys can be published and withdrawn while it runs, to
// act out a key rotation; it counts how often each document was fetched.
type IdentityProvider struct {
	mu      sync.Mutex
	signers []*Signer

	configFetches atomic.Int64
	jwksFetches   atomic.Int64
}

// NewIdentityProvider publishes the given signers.
func NewIdentityProvider(signers ...*Signer) *IdentityProvider {
	return &IdentityProvider{signers: signers}
}

// Publish adds a key to the JWKS (a rotation announces the new key first).
func (p *IdentityProvider) Publish(s *Signer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signers = append(p.signers, s)
}

// Withdraw removes the key with kid from the JWKS.
func (p *IdentityProvider) Withdraw(kid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signers = slices.DeleteFunc(p.signers, func(s *Signer) bool { return s.KID == kid })
}

// ConfigFetches is how many times the OpenID configuration was served.
func (p *IdentityProvider) ConfigFetches() int64 { return p.configFetches.Load() }

// JWKSFetches is how many times the key set was served.
func (p *IdentityProvider) JWKSFetches() int64 { return p.jwksFetches.Load() }

// ServeConfig answers GET OpenIDConfigPath. The jwks_uri points at the same
// host the request came to, as the real document points at its own host.
func (p *IdentityProvider) ServeConfig(w http.ResponseWriter, r *http.Request) {
	if !getOnly(w, r) {
		return
	}
	p.configFetches.Add(1)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	doc := map[string]any{
		"issuer":                                IssuerBotFramework,
		"authorization_endpoint":                "https://invalid.example/authorize",
		"jwks_uri":                              scheme + "://" + r.Host + JWKSPath,
		"id_token_signing_alg_values_supported": []string{"RSA256"},
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
	}
	writeJSON(w, http.StatusOK, doc)
}

// ServeJWKS answers GET JWKSPath with the public keys currently published.
func (p *IdentityProvider) ServeJWKS(w http.ResponseWriter, r *http.Request) {
	if !getOnly(w, r) {
		return
	}
	p.jwksFetches.Add(1)
	p.mu.Lock()
	set := jwkset.JWKSMarshal{Keys: make([]jwkset.JWKMarshal, 0, len(p.signers))}
	for _, s := range p.signers {
		set.Keys = append(set.Keys, s.jwk.Marshal())
	}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, set)
}

// getOnly answers 405 to anything but GET and reports whether r is a GET.
func getOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet {
		return true
	}
	w.Header().Set("Allow", http.MethodGet)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
