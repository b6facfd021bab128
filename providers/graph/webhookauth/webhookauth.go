// Package webhookauth checks the bearer token that Microsoft's calling
// platform puts on every notification it posts to a bot's webhook.
//
// The token is an RS256 JWT signed with a key the platform publishes: the
// OpenID configuration document names a jwks_uri (https, unless it is on
// this machine), whose key set is fetched, kept, refreshed every hour and
// refreshed again when a token names a key id the set does not hold, which
// is how a key rotation shows up. Such refreshes are shared by every token
// that asks meanwhile and start at most every few seconds, so made-up key
// ids can neither hammer the key server nor keep a newly rotated key out.
//
// A token is accepted when its signature verifies, its issuer is one of the
// platform's two, its audience is our app id, it is inside its validity
// period give or take a small clock skew, it was not issued in the future,
// and it claims no more than 24 h of validity. A token that verified once is
// remembered until it expires, or until its key leaves the published set,
// so a burst of notifications carrying the same token pays for one
// signature check, not one each.
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

	"ringside/providers/httpguard"
)

// DefaultOpenIDConfig is the calling platform's OpenID configuration.
const DefaultOpenIDConfig = "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration"

// DefaultIssuers are the issuers Microsoft's calling samples accept.
var DefaultIssuers = []string{"https://api.botframework.com", "https://graph.microsoft.com"}

// MaxLifetime is the longest validity a token may claim: exp - iat, or
// exp - nbf without an iat (exp - now without either). The platform's
// tokens live about an hour; a token good for days is one nobody should
// be able to replay for that long.
const MaxLifetime = 24 * time.Hour

// DefaultUnknownKeyInterval is the least time between two refreshes of the
// key set caused by tokens naming a key id it does not hold.
const DefaultUnknownKeyInterval = 3 * time.Second

// Errors a caller can tell apart. Every error Verify returns wraps one of
// these or one of jwt's (jwt.ErrTokenExpired, jwt.ErrTokenInvalidAudience…).
var (
	ErrNoToken         = errors.New("no bearer token")
	ErrNotReady        = errors.New("the platform's signing keys are not loaded yet")
	ErrIssuer          = errors.New("issuer not accepted")
	ErrUnknownKey      = errors.New("signed with a key the platform does not publish")
	ErrBadOpenIDConfig = errors.New("bad OpenID configuration")
	ErrLifetime        = errors.New("the token claims a validity longer than 24 h")
)

// Config says whose tokens to accept and where the keys are.
type Config struct {
	OpenIDConfigURL string   // DefaultOpenIDConfig when empty
	Audience        string   // our app (client) id; required
	Issuers         []string // DefaultIssuers when empty
	// Leeway is the clock skew allowed on exp, nbf and iat (one minute
	// when zero).
	Leeway time.Duration
	// RefreshInterval is how often the key set is fetched again (an hour
	// when zero); UnknownKeyInterval is the least time between refreshes
	// caused by unknown key ids (DefaultUnknownKeyInterval when zero), so a
	// stream of tokens with made-up key ids cannot make us hammer the key
	// server.
	RefreshInterval    time.Duration
	UnknownKeyInterval time.Duration
	// CacheSize bounds how many verified tokens are remembered (1024 when zero).
	CacheSize  int
	HTTPClient *http.Client // a client with a 10 s timeout when nil
	// Now is the clock tokens are judged by; time.Now when nil. The pace of
	// key set refreshes follows the real clock.
	Now func() time.Time
	Log *slog.Logger
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

	keys atomic.Pointer[keySet] // nil until a Start succeeds
	// stopKeys ends the background refresh of the keys in use.
	stopMu   sync.Mutex
	stopKeys context.CancelFunc

	mu    sync.RWMutex
	cache map[string]cached
	// last is the token verified or found in the cache most recently. The
	// platform puts one token on every notification for about an hour, so
	// nearly every request is this one: it is compared, not hashed, and
	// read without the lock.
	last atomic.Pointer[lastToken]

	// The refresh for unknown key ids in progress, if any, and when the
	// last one started (see refreshFor).
	refreshMu   sync.Mutex
	flight      *flight
	lastUnknown time.Time
}

// cached is a verified token: its claims and the key id it was verified
// with, which must still be published for the token to pass again.
type cached struct {
	Claims
	kid string
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
		cfg.UnknownKeyInterval = DefaultUnknownKeyInterval
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
	v := &Validator{cfg: cfg, cache: make(map[string]cached)}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithAudience(cfg.Audience),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), // an iat later than now plus the leeway is refused
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
	srcCtx, stop := context.WithCancel(ctx)
	src := &source{ctx: srcCtx, uri: jwksURI}
	ks, err := v.fetchKeys(srcCtx, src)
	if err != nil {
		stop()
		return fmt.Errorf("load the platform's signing keys from %s: %w", jwksURI, err)
	}
	v.stopMu.Lock()
	if v.stopKeys != nil {
		v.stopKeys()
	}
	v.stopKeys = stop
	v.keys.Store(ks)
	v.stopMu.Unlock()
	go v.refreshEvery(src)
	v.cfg.Log.Info("graph: platform signing keys loaded", "jwks_uri", jwksURI, "keys", len(ks.kids))
	return nil
}

func (v *Validator) discover(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
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
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDocument)).Decode(&doc); err != nil {
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
	ks := v.keys.Load()
	if ks == nil {
		return Claims{}, ErrNotReady
	}
	if l := v.last.Load(); l != nil && l.raw == raw && now.Before(l.ExpiresAt) && ks.kids[l.kid] {
		return l.Claims, nil
	}
	v.mu.RLock()
	c, hit := v.cache[raw]
	v.mu.RUnlock()
	if hit && now.Before(c.ExpiresAt) && ks.kids[c.kid] {
		v.last.Store(&lastToken{raw: raw, cached: c})
		return c.Claims, nil
	}
	var claims tokenClaims
	tok, err := v.parser.ParseWithClaims(raw, &claims, v.keyFor(ctx))
	if err != nil {
		// keyfunc fails when the key cannot serve this token (a key id
		// not in the set, an algorithm the key does not allow).
		if errors.Is(err, ErrUnknownKey) || errors.Is(err, jwkset.ErrKeyNotFound) || errors.Is(err, keyfunc.ErrKeyfunc) {
			return Claims{}, fmt.Errorf("%w (kid %q)", ErrUnknownKey, kidOf(raw))
		}
		return Claims{}, err
	}
	if !slices.Contains(v.cfg.Issuers, claims.Issuer) {
		return Claims{}, fmt.Errorf("%w: %q", ErrIssuer, claims.Issuer)
	}
	if err := checkLifetime(claims, now); err != nil {
		return Claims{}, err
	}
	c = cached{Claims: Claims{Issuer: claims.Issuer, TenantID: claims.TenantID, ExpiresAt: claims.ExpiresAt.Time}}
	// A token without a key id was tried against every key; which one
	// verified it is not known, so it could not be dropped with its key:
	// it is checked afresh each time. The platform's tokens name theirs.
	if kid, named := tok.Header["kid"].(string); named {
		c.kid = kid
		v.remember(raw, c, now)
	}
	return c.Claims, nil
}

// keyFor looks up the key a token names in the key set in use. A key id the
// set does not hold means a key rotation, or a made-up id: the set is
// fetched again (see refreshFor) and the key id looked up once more in what
// that brought.
func (v *Validator) keyFor(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		ks := v.keys.Load()
		if ks == nil {
			return nil, ErrNotReady
		}
		kid, named := t.Header["kid"].(string)
		if named && !ks.kids[kid] {
			if err := v.refreshFor(ctx, ks); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrUnknownKey, err)
			}
			if ks = v.keys.Load(); !ks.kids[kid] {
				return nil, ErrUnknownKey
			}
		}
		// Without a key id, keyfunc offers every key in the set.
		return ks.keys.KeyfuncCtx(ctx)(t)
	}
}

// checkLifetime refuses a token that claims more than MaxLifetime of
// validity, measured from iat, else from nbf, else from now.
func checkLifetime(c tokenClaims, now time.Time) error {
	from, what := now, "now"
	switch {
	case c.IssuedAt != nil:
		from, what = c.IssuedAt.Time, "iat"
	case c.NotBefore != nil:
		from, what = c.NotBefore.Time, "nbf"
	}
	if life := c.ExpiresAt.Sub(from); life > MaxLifetime {
		return fmt.Errorf("%w: exp is %s after %s", ErrLifetime, life.Round(time.Minute), what)
	}
	return nil
}

func (v *Validator) remember(raw string, c cached, now time.Time) {
	v.last.Store(&lastToken{raw: raw, cached: c})
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

// lastToken is a verified token with what it told.
type lastToken struct {
	raw string
	cached
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

// checkURL accepts an absolute https URL, or plain http to this machine
// (a local fake): the keys that decide which notifications are believed
// must not travel where anyone on the path could swap them.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("want an absolute https URL")
	}
	if u.Scheme == "http" && !httpguard.IsLoopbackHost(u.Hostname()) {
		return errors.New("want https (plain http only to this machine)")
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
	case errors.Is(err, ErrUnknownKey), errors.Is(err, ErrIssuer), errors.Is(err, ErrLifetime):
		return err.Error()
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "the token is malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "the token's signature does not verify"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token is issued in the future (iat)"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
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
