package graphtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Fake is the whole fake Microsoft side on one handler: the calls API under
// /v1.0 and /beta, directory users, the token endpoint, and the calling platform's OpenID
// configuration and JWKS.
type Fake struct {
	API      *API
	Users    *Users // the directory: GET …/users/{id}
	Tokens   *TokenEndpoint
	Identity *IdentityProvider
	Signer   *Signer // the key notifications are signed with
}

// Options configure a Fake.
type Options struct {
	Tenant       string // default "contoso-tenant"
	ClientID     string // default "2891555a-92ff-42e6-80fa-6e1300c6b5c6"
	ClientSecret string // default "not-a-real-secret"
	Scope        string // expected scope; empty accepts any
}

// Defaults fills unset options.
func (o Options) Defaults() Options {
	if o.Tenant == "" {
		o.Tenant = "contoso-tenant"
	}
	if o.ClientID == "" {
		o.ClientID = "2891555a-92ff-42e6-80fa-6e1300c6b5c6"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "not-a-real-secret"
	}
	return o
}

// NewFake builds the fakes with a freshly generated signing key.
func NewFake(o Options) (*Fake, error) {
	o = o.Defaults()
	signer, err := NewSigner()
	if err != nil {
		return nil, err
	}
	tokens := &TokenEndpoint{Tenant: o.Tenant, ClientID: o.ClientID, ClientSecret: o.ClientSecret, Scope: o.Scope}
	return &Fake{
		API:      &API{Tokens: tokens},
		Users:    &Users{Tokens: tokens},
		Tokens:   tokens,
		Identity: NewIdentityProvider(signer),
		Signer:   signer,
	}, nil
}

// Handler routes requests to the right fake.
func (f *Fake) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(OpenIDConfigPath, f.Identity.ServeConfig)
	mux.HandleFunc(JWKSPath, f.Identity.ServeJWKS)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
			f.Tokens.ServeHTTP(w, r)
			return
		}
		if IsUserPath(r.URL.Path) {
			f.Users.ServeHTTP(w, r)
			return
		}
		f.API.ServeHTTP(w, r)
	}))
	return mux
}

// URLs are where a Fake served at base answers.
type URLs struct {
	Base         string // scheme://host:port
	APIBase      string // Base + "/v1.0"
	TokenURL     string // Base + "/{tenant}/oauth2/v2.0/token"
	OpenIDConfig string // Base + OpenIDConfigPath
}

// URLsFor returns the URLs of a fake served at base for tenant.
func URLsFor(base, tenant string) URLs {
	base = strings.TrimRight(base, "/")
	return URLs{
		Base: base, APIBase: base + "/v1.0", TokenURL: base + TokenPath(tenant),
		OpenIDConfig: base + OpenIDConfigPath,
	}
}

// Server is a Fake running on an httptest server on loopback.
type Server struct {
	*Fake
	URLs
	HTTP    *httptest.Server
	Options Options
}

// Start runs a Fake on 127.0.0.1 for the duration of the test.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	o = o.Defaults()
	f, err := NewFake(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.Handler())
	t.Cleanup(srv.Close)
	return &Server{Fake: f, URLs: URLsFor(srv.URL, o.Tenant), HTTP: srv, Options: o}
}
