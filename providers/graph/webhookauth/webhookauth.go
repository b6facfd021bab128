// Package webhookauth checks the bearer token that Microsoft's calling
// platform puts on every notification it posts to a bot's webhook.
//
// The token is an RS256 JWT signed with a key the platform publishes: the
// OpenID configuration document names a jwks_uri, whose key set is fetched,
// cached, refreshed every hour and refreshed again (at most once a minute)
// when a token names a key id the cache does not hold, which is how a key
// rotation shows up. A token is accepted when its signature verifies, its
// issuer is one of the platform's two, its audience is our app id, and it is
// inside its validity period give or take a small clock skew. A token that
// verified once is remembered until it expires, so a burst of notifications
// carrying the same token pays for one signature check, not one each.
package webhookauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"ringside/providers/httpguard"
)

// DefaultOpenIDConfig is the calling platform's OpenID configuration.
const DefaultOpenIDConfig = "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration"

// DefaultIssuers are the issuers Microsoft's calling samples accept.
var DefaultIssuers = []string{"https://api.botframework.com", "https://graph.microsoft.com"}

// Errors a caller can tell apart. Every error Verify returns wraps one of
// these or one of jwt's (jwt.ErrTokenExpired, jwt.ErrTokenInvalidAudience…).
var (
	ErrNoToken         = errors.New("no bearer token")
	ErrNotReady        = errors.New("the platform's signing keys are not loaded yet")
	ErrIssuer          = errors.New("issuer not accepted")
	ErrUnknownKey      = errors.New("signed with a key the platform does not publish")
	ErrBadOpenIDConfig = errors.New("bad OpenID configuration")
)

// Config says whose tokens to accept and where the keys are.
type Config struct {
	OpenIDConfigURL string   // DefaultOpenIDConfig when empty
	Audience        string   // our app (client) id; required
	Issuers         []string // DefaultIssuers when empty
	// Leeway is the clock skew allowed on exp and nbf (one minute when zero).
	Leeway time.Duration
	// RefreshInterval is how often the key set is fetched again (an hour
	// when zero); UnknownKeyInterval is the least time between refreshes
	// caused by unknown key ids (a minute when zero), so a stream of tokens
	// with made-up key ids cannot make us hammer the key server.
	RefreshInterval    time.Duration
	UnknownKeyInterval time.Duration
	// CacheSize bounds how many verified tokens are remembered (1024 when zero).
	CacheSize  int
	HTTPClient *http.Client // a client with a 10 s timeout when nil
	Now        func() time.Time
	Log        *slog.Logger
}

// Claims is what a verified token tells us.
type Claims struct {
	Issuer    string
	TenantID  string // the tid claim: the tenant the call belongs to
	ExpiresAt time.Time
}

// Validator verifies notification tokens. Start loads the keys; Verify is
// safe for concurrent use.
type Validator struct {
	cfg    Config
	parser *jwt.Parser

	keys atomic.Pointer[keyfunc.Keyfunc]
	// stopKeys ends the background refresh of the keys in use.
	stopMu   sync.Mutex
	stopKeys context.CancelFunc

	mu    sync.RWMutex
	cache map[string]Claims

	// A key id the key set has not yet been seen to hold sends the lookup
	// down the path that may fetch the set again; refreshTurn lets one
	// lookup at a time take it (see keyFor). knownKIDs are the key ids
	// lookups have found: published keys, a handful.
	refreshTurn chan struct{}
	kidsMu      sync.RWMutex
	knownKIDs   map[string]bool
}

// New checks cfg and returns a validator that is not ready until Start has
// loaded the keys.
func New(cfg Config) (*Validator, error) {
	if cfg.OpenIDConfigURL == "" {
		cfg.OpenIDConfigURL = DefaultOpenIDConfig
	}
	if err := checkURL(cfg.OpenIDConfigURL); err != nil {
		return nil, fmt.Errorf("OpenID configuration URL: %w", err)
	}
	cfg.Audience = strings.TrimSpace(cfg.Audience)
	if cfg.Audience == "" {
		return nil, errors.New("the app (client) id is needed to check that notifications are meant for this bot")
	}
	if len(cfg.Issuers) == 0 {
		cfg.Issuers = DefaultIssuers
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = time.Minute
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = time.Hour
	}
	if cfg.UnknownKeyInterval <= 0 {
		cfg.UnknownKeyInterval = time.Minute
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 1024
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	// The keys that decide which tokens pass come only from the origin
	// named: a redirect elsewhere could substitute keys of its own.
	cfg.HTTPClient = httpguard.Client(cfg.HTTPClient)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	v := &Validator{cfg: cfg, cache: make(map[string]Claims), refreshTurn: make(chan struct{}, 1), knownKIDs: make(map[string]bool)}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithAudience(cfg.Audience),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
		jwt.WithExpirationRequired(),
	)
	return v, nil
}

// Ready reports whether the keys are loaded.
func (v *Validator) Ready() bool { return v.keys.Load() != nil }

// Start fetches the OpenID configuration and the key set it names. The key
// set is then refreshed in the background until ctx ends or a later Start
// replaces it. It returns an error, and the validator keeps the keys it had
// (none at first), when either fetch fails; calling Start again retries.
func (v *Validator) Start(ctx context.Context) error {
	jwksURI, err := v.discover(ctx)
	if err != nil {
		return err
	}
	// The library starts the key set's refresher before its first fetch and
	// leaves it running when that fetch fails: its context must end then,
	// or every failed attempt would leave a refresher behind.
	keysCtx, stop := context.WithCancel(ctx)
	fail := false
	kf, err := keyfunc.NewDefaultOverrideCtx(keysCtx, []string{jwksURI}, keyfunc.Override{
		Client:                    v.cfg.HTTPClient,
		HTTPTimeout:               10 * time.Second,
		NoErrorReturnFirstHTTPReq: &fail,
		RefreshInterval:           v.cfg.RefreshInterval,
		RefreshUnknownKID:         rate.NewLimiter(rate.Every(v.cfg.UnknownKeyInterval), 1),
		// Bounds the wait for a refresh slot and the refresh itself; a
		// request that would wait longer is refused at once instead.
		RateLimitWaitMax: 10 * time.Second,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(_ context.Context, err error) {
				v.cfg.Log.Warn("graph: cannot refresh the platform's signing keys", "url", u, "err", err)
			}
		},
	})
	if err != nil {
		stop()
		return fmt.Errorf("load the platform's signing keys from %s: %w", jwksURI, err)
	}
	v.stopMu.Lock()
	if v.stopKeys != nil {
		v.stopKeys()
	}
	v.stopKeys = stop
	v.keys.Store(&kf)
	v.stopMu.Unlock()
	v.cfg.Log.Info("graph: platform signing keys loaded", "jwks_uri", jwksURI)
	return nil
}

func (v *Validator) discover(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.cfg.OpenIDConfigURL, nil)
	if err != nil {
		return "", fmt.Errorf("fetch OpenID configuration: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch OpenID configuration: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetch OpenID configuration %s: %w: HTTP %d", v.cfg.OpenIDConfigURL, ErrBadOpenIDConfig, resp.StatusCode)
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return "", fmt.Errorf("read OpenID configuration %s: %w: %v", v.cfg.OpenIDConfigURL, ErrBadOpenIDConfig, err)
	}
	if err := checkURL(doc.JWKSURI); err != nil {
		return "", fmt.Errorf("OpenID configuration %s: %w: jwks_uri %q: %v", v.cfg.OpenIDConfigURL, ErrBadOpenIDConfig, doc.JWKSURI, err)
	}
	return doc.JWKSURI, nil
}

// Verify checks the value of an Authorization header.
func (v *Validator) Verify(ctx context.Context, authorization string) (Claims, error) {
	raw, ok := bearerToken(authorization)
	if !ok {
		return Claims{}, ErrNoToken
	}
	now := v.cfg.Now()
	v.mu.RLock()
	c, hit := v.cache[raw]
	v.mu.RUnlock()
	if hit && now.Before(c.ExpiresAt) {
		return c, nil
	}
	kf := v.keys.Load()
	if kf == nil {
		return Claims{}, ErrNotReady
	}
	var claims tokenClaims
	_, err := v.parser.ParseWithClaims(raw, &claims, v.keyFor(ctx, *kf))
	if err != nil {
		// keyfunc fails when the kid is not in the set, even after a refresh
		// (or when a refresh was not allowed so soon after the last one).
		if errors.Is(err, jwkset.ErrKeyNotFound) || errors.Is(err, keyfunc.ErrKeyfunc) {
			return Claims{}, fmt.Errorf("%w (kid %q)", ErrUnknownKey, kidOf(raw))
		}
		return Claims{}, err
	}
	if !slices.Contains(v.cfg.Issuers, claims.Issuer) {
		return Claims{}, fmt.Errorf("%w: %q", ErrIssuer, claims.Issuer)
	}
	c = Claims{Issuer: claims.Issuer, TenantID: claims.TenantID, ExpiresAt: claims.ExpiresAt.Time}
	v.remember(raw, c, now)
	return c, nil
}

// keyFor looks up the key a token names. A key id not seen before means a
// key rotation (or a made-up id): keyfunc then fetches the set again, at
// most once per UnknownKeyInterval, and refuses at once every other lookup
// that misses meanwhile, even one for the key being fetched. So such
// lookups take turns: those that arrive during the fetch wait for it and
// then find the new key, instead of a burst of notifications signed with
// it being refused with only the first let through.
func (v *Validator) keyFor(ctx context.Context, kf keyfunc.Keyfunc) jwt.Keyfunc {
	lookup := kf.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		kid, named := t.Header["kid"].(string)
		if !named {
			return lookup(t) // tried against every key; never fetches
		}
		v.kidsMu.RLock()
		known := v.knownKIDs[kid]
		v.kidsMu.RUnlock()
		if known {
			return lookup(t)
		}
		select {
		case v.refreshTurn <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { <-v.refreshTurn }()
		key, err := lookup(t)
		if err == nil {
			v.kidsMu.Lock()
			v.knownKIDs[kid] = true
			v.kidsMu.Unlock()
		}
		return key, err
	}
}

func (v *Validator) remember(raw string, c Claims, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.cache) >= v.cfg.CacheSize {
		for k, old := range v.cache {
			if !now.Before(old.ExpiresAt) {
				delete(v.cache, k)
			}
		}
		if len(v.cache) >= v.cfg.CacheSize {
			clear(v.cache) // all still valid: start over rather than grow
		}
	}
	v.cache[raw] = c
}

type tokenClaims struct {
	jwt.RegisteredClaims
	TenantID string `json:"tid"`
}

func bearerToken(h string) (string, bool) {
	h = strings.TrimSpace(h)
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	tok := strings.TrimSpace(h[len(prefix):])
	return tok, tok != ""
}

// kidOf reads the key id from a token's header for error messages.
func kidOf(raw string) string {
	tok, _, err := jwt.NewParser().ParseUnverified(raw, &jwt.RegisteredClaims{})
	if err != nil {
		return ""
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("want an absolute http(s) URL")
	}
	return nil
}

// Describe words a Verify error for a log line or a 401 reply, without
// echoing the token.
func Describe(err error) string {
	switch {
	case errors.Is(err, ErrNoToken):
		return "no bearer token in the Authorization header"
	case errors.Is(err, ErrNotReady):
		return "cannot check tokens yet: the platform's signing keys are not loaded"
	case errors.Is(err, ErrUnknownKey), errors.Is(err, ErrIssuer):
		return err.Error()
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "the token is malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "the token's signature does not verify"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "the token is meant for another app (audience)"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "the token lacks a required claim"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "the token cannot be verified"
	}
	return "the token is not valid"
}
