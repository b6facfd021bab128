package webhookauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

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
	v, err := New(Config{OpenIDConfigURL: srv.OpenIDConfig, Audience: appID, Now: clk.Now})
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
	// one refresh finds it.
	srv.Identity.Publish(rotated)
	if _, err := v.Verify(context.Background(), "Bearer "+rotated.MustSign(graphtest.Claims(appID, clk.Now()))); err != nil {
		t.Fatalf("token signed with a newly published key: %v", err)
	}
	if got := srv.Identity.JWKSFetches() - before; got != 1 {
		t.Fatalf("a new key id must cause exactly one refresh, got %d", got)
	}

	// A key nobody publishes: refused, and a second unknown key id within
	// the refresh interval does not fetch again.
	for i := range 3 {
		_, err := v.Verify(context.Background(), "Bearer "+stranger.MustSign(graphtest.Claims(appID, clk.Now())))
		if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "stranger-key") {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if got := srv.Identity.JWKSFetches() - before; got != 1 {
		t.Fatalf("unknown key ids refreshed the key set %d times in total, want 1 (rate limited)", got)
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
	// Take the keys away: a cached token needs none.
	keys := v.keys.Swap(nil)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("a verified token must be served from the cache: %v", err)
	}
	clk.Add(2 * time.Hour)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrNotReady) {
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
}
