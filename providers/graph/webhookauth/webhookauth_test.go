package webhookauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"ringside/providers/graph/graphtest"
)

const appID = "2891555a-92ff-42e6-80fa-6e1300c6b5c6"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func started(t *testing.T) (*Validator, *graphtest.Server, *clock) {
	t.Helper()
	srv := graphtest.Start(t, graphtest.Options{ClientID: appID})
	clk := &clock{t: time.Now()}
	// A short pace between refreshes for unknown key ids keeps the tests
	// quick; TestMadeUpKeyIDDoesNotLockOutARotatedKey runs with the default.
	v, err := New(Config{OpenIDConfigURL: srv.OpenIDConfig, Audience: appID, Now: clk.Now, UnknownKeyInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := v.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return v, srv, clk
}

func TestTokens(t *testing.T) {
	v, srv, clk := started(t)
	now := clk.Now()
	other, err := graphtest.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	with := func(change func(c jwt.MapClaims)) jwt.MapClaims {
		c := graphtest.Claims(appID, now)
		change(c)
		return c
	}
	sign := func(c jwt.MapClaims) string { return "Bearer " + srv.Signer.MustSign(c) }
	hs256, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, graphtest.Claims(appID, now)).SignedString([]byte("shared"))
	forged, _ := other.SignKID(graphtest.Claims(appID, now), srv.Signer.KID)
	// Signed with the published key, which names no algorithm (as the
	// platform's do), but not with RS256: only the pin refuses these.
	ps256, _ := srv.Signer.SignMethod(jwt.SigningMethodPS256, graphtest.Claims(appID, now))
	rs512, _ := srv.Signer.SignMethod(jwt.SigningMethodRS512, graphtest.Claims(appID, now))

	cases := []struct {
		name string
		auth string
		want error // nil: accepted
	}{
		{"valid", sign(graphtest.Claims(appID, now)), nil},
		{"valid graph issuer", sign(with(func(c jwt.MapClaims) { c["iss"] = graphtest.IssuerGraph })), nil},
		{"lower-case scheme", "bearer " + srv.Signer.MustSign(with(func(c jwt.MapClaims) { c["tid"] = "t2" })), nil},
		{"expired within skew", sign(with(func(c jwt.MapClaims) { c["exp"] = now.Add(-30 * time.Second).Unix() })), nil},
		{"expired", sign(with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })), jwt.ErrTokenExpired},
		{"not yet valid", sign(with(func(c jwt.MapClaims) { c["nbf"] = now.Add(10 * time.Minute).Unix() })), jwt.ErrTokenNotValidYet},
		{"issued within skew", sign(with(func(c jwt.MapClaims) { c["iat"] = now.Add(30 * time.Second).Unix() })), nil},
		{"issued in the future", sign(with(func(c jwt.MapClaims) { c["iat"] = now.Add(10 * time.Minute).Unix() })), jwt.ErrTokenUsedBeforeIssued},
		{"lives 24 h", sign(with(func(c jwt.MapClaims) { c["iat"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(23*time.Hour).Unix() })), nil},
		{"lives 25 h from iat", sign(with(func(c jwt.MapClaims) { c["exp"] = now.Add(24 * time.Hour).Unix() })), ErrLifetime},
		{"issued long ago", sign(with(func(c jwt.MapClaims) { c["iat"] = now.Add(-30 * time.Hour).Unix() })), ErrLifetime},
		{"lives 25 h from nbf", sign(with(func(c jwt.MapClaims) { delete(c, "iat"); c["exp"] = now.Add(24 * time.Hour).Unix() })), ErrLifetime},
		{"lives a week from now", sign(with(func(c jwt.MapClaims) {
			delete(c, "iat")
			delete(c, "nbf")
			c["exp"] = now.Add(7 * 24 * time.Hour).Unix()
		})), ErrLifetime},
		{"no iat or nbf, an hour", sign(with(func(c jwt.MapClaims) { delete(c, "iat"); delete(c, "nbf") })), nil},
		{"no expiry", sign(with(func(c jwt.MapClaims) { delete(c, "exp") })), jwt.ErrTokenRequiredClaimMissing},
		{"wrong audience", sign(with(func(c jwt.MapClaims) { c["aud"] = "someone-else" })), jwt.ErrTokenInvalidAudience},
		{"no audience", sign(with(func(c jwt.MapClaims) { delete(c, "aud") })), jwt.ErrTokenRequiredClaimMissing},
		{"wrong issuer", sign(with(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/x/" })), ErrIssuer},
		{"wrong signature", "Bearer " + forged, jwt.ErrTokenSignatureInvalid},
		{"HS256", "Bearer " + hs256, jwt.ErrTokenSignatureInvalid},
		{"PS256 with the published key", "Bearer " + ps256, jwt.ErrTokenSignatureInvalid},
		{"RS512 with the published key", "Bearer " + rs512, jwt.ErrTokenSignatureInvalid},
		{"garbage", "Bearer not.a.token", jwt.ErrTokenMalformed},
		{"none", "", ErrNoToken},
		{"empty bearer", "Bearer ", ErrNoToken},
		{"basic", "Basic dXNlcjpwYXNz", ErrNoToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tc.auth)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == nil && (c.TenantID == "" || c.Issuer == ""):
				t.Fatalf("claims not read: %+v", c)
			case tc.want != nil && err == nil:
				t.Fatal("accepted")
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if err != nil && Describe(err) == "" {
				t.Fatal("no words for the error")
			}
		})
	}
	if n := srv.Identity.JWKSFetches(); n != 1 {
		t.Fatalf("known key ids must not refresh the key set: %d fetches", n)
	}
}

func TestUnknownKeyIDRefreshesOnce(t *testing.T) {
	v, srv, clk := started(t)
	rotated, err := graphtest.NewSignerKID("rotated-key")
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := graphtest.NewSignerKID("stranger-key")
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Identity.JWKSFetches()

	// A key the platform has started to publish since we loaded the set:
	// one refresh finds it, and later tokens need none.
	srv.Identity.Publish(rotated)
	for i := range 3 {
		c := graphtest.Claims(appID, clk.Now())
		c["jti"] = fmt.Sprint(i) // not served from the cache
		if _, err := v.Verify(context.Background(), "Bearer "+rotated.MustSign(c)); err != nil {
			t.Fatalf("token %d signed with a newly published key: %v", i, err)
		}
	}
	if got := srv.Identity.JWKSFetches() - before; got != 1 {
		t.Fatalf("a new key id must cause exactly one refresh, got %d", got)
	}

	// A key nobody publishes: looked for once more, then refused.
	_, err = v.Verify(context.Background(), "Bearer "+stranger.MustSign(graphtest.Claims(appID, clk.Now())))
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "stranger-key") {
		t.Fatalf("%v", err)
	}
	if got := srv.Identity.JWKSFetches() - before; got != 2 {
		t.Fatalf("%d refreshes, want 2", got)
	}
}

// keyServer is the fake platform behind a server that notes when the key
// set is fetched.
type keyServer struct {
	*graphtest.Server
	openID string // the OpenID configuration on this server
	mu     sync.Mutex
	times  []time.Time
}

func startKeyServer(t *testing.T) *keyServer {
	t.Helper()
	ks := &keyServer{Server: graphtest.Start(t, graphtest.Options{ClientID: appID})}
	inner := ks.Fake.Handler()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == graphtest.JWKSPath {
			ks.mu.Lock()
			ks.times = append(ks.times, time.Now())
			ks.mu.Unlock()
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	ks.openID = front.URL + graphtest.OpenIDConfigPath
	return ks
}

func (ks *keyServer) fetches() []time.Time {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return slices.Clone(ks.times)
}

func startValidator(t *testing.T, cfg Config) *Validator {
	t.Helper()
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := v.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMadeUpKeyIDDoesNotLockOutARotatedKey: a request with a made-up key id
// spends a refresh of the key set; a token signed with a key Microsoft
// publishes right after is still accepted, on the next refresh, which comes
// no sooner than the interval allows. Default settings: the interval is a
// few seconds, not the minute or more that locked such a key out.
func TestMadeUpKeyIDDoesNotLockOutARotatedKey(t *testing.T) {
	ks := startKeyServer(t)
	v := startValidator(t, Config{OpenIDConfigURL: ks.openID, Audience: appID})
	made, err := graphtest.NewSignerKID("made-up-key")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := graphtest.NewSignerKID("rotated-key")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), "Bearer "+made.MustSign(graphtest.Claims(appID, time.Now()))); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("made-up key id: %v", err)
	}
	ks.Identity.Publish(rotated)
	if _, err := v.Verify(context.Background(), "Bearer "+rotated.MustSign(graphtest.Claims(appID, time.Now()))); err != nil {
		t.Fatalf("a key rotated in after a made-up key id was refused: %v", err)
	}
	times := ks.fetches()
	if len(times) != 3 { // Start, the made-up id, the rotated key
		t.Fatalf("%d key set fetches, want 3", len(times))
	}
	if gap := times[2].Sub(times[1]); gap < DefaultUnknownKeyInterval {
		t.Fatalf("refreshes for unknown key ids %s apart, want at least %s", gap, DefaultUnknownKeyInterval)
	}
}

// TestUnknownKeyIDsShareOneRefresh: while a refresh for unknown key ids is
// due, every token naming one waits for that same refresh; after it, each
// key id is looked up again: the rotated key's tokens pass, the made-up
// ones are refused, and the key server saw one fetch for all of them.
func TestUnknownKeyIDsShareOneRefresh(t *testing.T) {
	ks := startKeyServer(t)
	v := startValidator(t, Config{OpenIDConfigURL: ks.openID, Audience: appID, UnknownKeyInterval: time.Second})
	made, err := graphtest.NewSignerKID("made-up-key")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := graphtest.NewSignerKID("rotated-key")
	if err != nil {
		t.Fatal(err)
	}
	// Spend a refresh, so the next one waits for the interval to pass and
	// every request below arrives while it is pending.
	if _, err := v.Verify(context.Background(), "Bearer "+made.MustSign(graphtest.Claims(appID, time.Now()))); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("made-up key id: %v", err)
	}
	ks.Identity.Publish(rotated)
	before := len(ks.fetches())

	type result struct {
		rotated bool
		err     error
	}
	results := make(chan result, 40)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range cap(results) {
		signer := made
		if i%4 == 0 {
			signer = rotated
		}
		c := graphtest.Claims(appID, time.Now())
		c["jti"] = fmt.Sprint(i)
		tok := "Bearer " + signer.MustSign(c)
		wg.Go(func() {
			<-start // all at once, well within the pending refresh's wait
			_, err := v.Verify(context.Background(), tok)
			results <- result{signer == rotated, err}
		})
	}
	close(start)
	wg.Wait()
	close(results)
	for r := range results {
		switch {
		case r.rotated && r.err != nil:
			t.Errorf("rotated key refused: %v", r.err)
		case !r.rotated && !errors.Is(r.err, ErrUnknownKey):
			t.Errorf("made-up key id: %v", r.err)
		}
	}
	if got := len(ks.fetches()) - before; got != 1 {
		t.Fatalf("%d key set fetches for %d concurrent unknown key ids, want 1", got, cap(results))
	}
}

// TestCachedTokenDiesWithItsKey: a verified token is remembered, but only
// while its key is published. Once a refresh of the key set (for an unknown
// key id, or the periodic one) no longer holds it, the token is refused.
func TestCachedTokenDiesWithItsKey(t *testing.T) {
	t.Run("refresh for an unknown key id", func(t *testing.T) {
		v, srv, clk := started(t)
		tok := "Bearer " + srv.Signer.MustSign(graphtest.Claims(appID, clk.Now()))
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		next, err := graphtest.NewSignerKID("next-key")
		if err != nil {
			t.Fatal(err)
		}
		srv.Identity.Publish(next)
		srv.Identity.Withdraw(srv.Signer.KID)
		if _, err := v.Verify(context.Background(), "Bearer "+next.MustSign(graphtest.Claims(appID, clk.Now()))); err != nil {
			t.Fatalf("the new key: %v", err)
		}
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("a token whose key was withdrawn: %v", err)
		}
	})
	t.Run("periodic refresh", func(t *testing.T) {
		ks := startKeyServer(t)
		v := startValidator(t, Config{OpenIDConfigURL: ks.openID, Audience: appID, RefreshInterval: 20 * time.Millisecond})
		tok := "Bearer " + ks.Signer.MustSign(graphtest.Claims(appID, time.Now()))
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		next, err := graphtest.NewSignerKID("next-key")
		if err != nil {
			t.Fatal(err)
		}
		ks.Identity.Publish(next)
		ks.Identity.Withdraw(ks.Signer.KID)
		deadline := time.Now().Add(5 * time.Second)
		for v.keys.Load().kids[ks.Signer.KID] {
			if time.Now().After(deadline) {
				t.Fatal("the key set was not refreshed")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("a token whose key was withdrawn: %v", err)
		}
	})
}

// TestJWKSURIMustBeHTTPS: the key set decides which notifications are
// believed, so the OpenID configuration may only point at it over https,
// or over plain http on this machine. A refused jwks_uri is never fetched.
func TestJWKSURIMustBeHTTPS(t *testing.T) {
	fake := graphtest.Start(t, graphtest.Options{ClientID: appID})
	_, port, _ := net.SplitHostPort(fake.HTTP.Listener.Addr().String())
	var jwksURI atomic.Value
	config := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"jwks_uri":%q}`, jwksURI.Load())
	}))
	t.Cleanup(config.Close)
	// Dials anywhere but loopback are refused and counted: nothing leaves
	// this machine, and the test sees whether a fetch was tried.
	var away atomic.Int64
	client := &http.Client{Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				if host != "localhost" {
					away.Add(1)
					return nil, fmt.Errorf("test refuses to dial %s", addr)
				}
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	t.Cleanup(client.CloseIdleConnections)
	for _, tc := range []struct {
		uri string
		ok  bool
	}{
		{"http://keys.example.com" + graphtest.JWKSPath, false},
		{"http://10.0.0.7:" + port + graphtest.JWKSPath, false},
		{"ftp://keys.example.com/keys", false},
		{graphtest.JWKSPath, false},
		{"http://127.0.0.1:" + port + graphtest.JWKSPath, true},
		{"http://localhost:" + port + graphtest.JWKSPath, true},
	} {
		jwksURI.Store(tc.uri)
		v, err := New(Config{OpenIDConfigURL: config.URL, Audience: appID, HTTPClient: client})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		err = v.Start(ctx)
		cancel()
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.uri, err)
		case !tc.ok && (!errors.Is(err, ErrBadOpenIDConfig) || !strings.Contains(err.Error(), "https")):
			t.Errorf("%s: %v", tc.uri, err)
		}
	}
	if n := away.Load(); n != 0 {
		t.Fatalf("%d fetches were tried away from this machine", n)
	}

	// https anywhere is fine: here a TLS fake on loopback.
	tlsFake, err := graphtest.NewFake(graphtest.Options{ClientID: appID})
	if err != nil {
		t.Fatal(err)
	}
	tlsSrv := httptest.NewTLSServer(tlsFake.Handler())
	t.Cleanup(tlsSrv.Close)
	v := startValidator(t, Config{OpenIDConfigURL: tlsSrv.URL + graphtest.OpenIDConfigPath, Audience: appID, HTTPClient: tlsSrv.Client()})
	if _, err := v.Verify(context.Background(), "Bearer "+tlsFake.Signer.MustSign(graphtest.Claims(appID, time.Now()))); err != nil {
		t.Fatal(err)
	}
}

// TestKeyRotationDuringABurst: notifications signed with a newly published
// key arrive together; the one key set fetch they cause serves them all.
func TestKeyRotationDuringABurst(t *testing.T) {
	v, srv, clk := started(t)
	rotated, err := graphtest.NewSignerKID("rotated-key")
	if err != nil {
		t.Fatal(err)
	}
	srv.Identity.Publish(rotated)
	before := srv.Identity.JWKSFetches()
	start := make(chan struct{})
	errs := make(chan error, 20)
	var wg sync.WaitGroup
	for i := range cap(errs) {
		c := graphtest.Claims(appID, clk.Now())
		c["jti"] = fmt.Sprint(i) // a token each, so none is served from the cache
		tok := "Bearer " + rotated.MustSign(c)
		wg.Go(func() {
			<-start
			_, err := v.Verify(context.Background(), tok)
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("refused during the key set fetch: %v", err)
		}
	}
	if got := srv.Identity.JWKSFetches() - before; got != 1 {
		t.Fatalf("%d key set fetches, want 1", got)
	}
}

func TestVerifiedTokenIsCachedUntilExpiry(t *testing.T) {
	v, srv, clk := started(t)
	tok := "Bearer " + srv.Signer.MustSign(graphtest.Claims(appID, clk.Now()))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	// Take the keys' material away but keep their ids: a cached token
	// needs only its key id to be published still.
	keys := v.keys.Load()
	empty, err := keyfunc.New(keyfunc.Options{Storage: jwkset.NewMemoryStorage()})
	if err != nil {
		t.Fatal(err)
	}
	v.keys.Store(&keySet{src: keys.src, keys: empty, kids: keys.kids})
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("a verified token must be served from the cache: %v", err)
	}
	clk.Add(2 * time.Hour)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("an expired cache entry must be checked again, got %v", err)
	}
	v.keys.Store(keys)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Fatalf("after expiry the token must be refused, got %v", err)
	}
}

func TestCacheIsBounded(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{ClientID: appID})
	v, err := New(Config{OpenIDConfigURL: srv.OpenIDConfig, Audience: appID, CacheSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := v.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		c := graphtest.Claims(appID, time.Now())
		c["jti"] = fmt.Sprint(i)
		if _, err := v.Verify(ctx, "Bearer "+srv.Signer.MustSign(c)); err != nil {
			t.Fatal(err)
		}
		v.mu.RLock()
		n := len(v.cache)
		v.mu.RUnlock()
		if n > 4 {
			t.Fatalf("cache holds %d tokens, bound is 4", n)
		}
	}
}

func TestNotReadyBeforeStart(t *testing.T) {
	v, err := New(Config{Audience: appID})
	if err != nil {
		t.Fatal(err)
	}
	if v.Ready() {
		t.Fatal("ready without keys")
	}
	if _, err := v.Verify(context.Background(), "Bearer x.y.z"); !errors.Is(err, ErrNotReady) {
		t.Fatalf("got %v", err)
	}
}

func TestStartFailures(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/html", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>")) })
	mux.HandleFunc("/nojwks", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"issuer":"x"}`)) })
	mux.HandleFunc("/deadjwks", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"jwks_uri":"http://` + r.Host + `/missing"}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, path := range []string{"/missing", "/html", "/nojwks", "/deadjwks"} {
		v, err := New(Config{OpenIDConfigURL: srv.URL + path, Audience: appID})
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Start(context.Background()); err == nil || v.Ready() {
			t.Errorf("%s: started (err %v)", path, err)
		}
	}
}

// TestFailedStartsLeaveNothingRunning: the provider retries Start while the
// platform's keys cannot be fetched, for as long as that lasts; no attempt
// may leave a goroutine (a key refresher) behind.
func TestFailedStartsLeaveNothingRunning(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/config", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"jwks_uri":"http://` + r.Host + `/missing"}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	v, err := New(Config{OpenIDConfigURL: srv.URL + "/config", Audience: appID})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := v.Start(ctx); err == nil { // warms up the HTTP client's connection
		t.Fatal("started")
	}
	before := runtime.NumGoroutine()
	for range 5 {
		if err := v.Start(ctx); err == nil {
			t.Fatal("started")
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after five failed starts:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("no audience accepted")
	}
	if _, err := New(Config{Audience: appID, OpenIDConfigURL: "ftp://x/y"}); err == nil {
		t.Error("ftp URL accepted")
	}
	if _, err := New(Config{Audience: appID, OpenIDConfigURL: "/relative"}); err == nil {
		t.Error("relative URL accepted")
	}
	if _, err := New(Config{Audience: appID, OpenIDConfigURL: "http://api.example.com/v1/.well-known/OpenIdConfiguration"}); err == nil {
		t.Error("plain http to another machine accepted")
	}
}

// The keys decide which tokens pass: neither the OpenID configuration nor the
// key set is taken from another origin a redirect points at.
func TestKeysAreNotFetchedAcrossARedirect(t *testing.T) {
	var fetched atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		_, _ = w.Write([]byte(`{"jwks_uri":"http://` + r.Host + `/keys","keys":[]}`))
	}))
	defer other.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/config", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/config", http.StatusFound)
	})
	mux.HandleFunc("/config-keys-elsewhere", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"jwks_uri":"http://` + r.Host + `/keys"}`))
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/keys", http.StatusTemporaryRedirect)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, path := range []string{"/config", "/config-keys-elsewhere"} {
		v, err := New(Config{OpenIDConfigURL: srv.URL + path, Audience: appID})
		if err != nil {
			t.Fatal(err)
		}
		err = v.Start(context.Background())
		if err == nil || v.Ready() || !strings.Contains(err.Error(), "redirect refused") {
			t.Errorf("%s: %v, want a refused redirect", path, err)
		}
	}
	if n := fetched.Load(); n != 0 {
		t.Fatalf("%d fetches reached the other origin", n)
	}
}
