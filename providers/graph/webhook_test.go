package graph

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
)

func send(t *testing.T, method, url, contentType, auth string, body io.Reader, length int64) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if length != 0 {
		req.ContentLength = length
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestBadRequestsAreRefusedAndLoseNothing(t *testing.T) {
	h := newHarness(t, setup{})
	auth := "Bearer " + h.srv.Signer.MustSign(graphtest.Claims(h.srv.Options.ClientID, time.Now()))
	good := string(graphtest.Notification("seed000-incoming.json"))
	huge := `{"value":[],"pad":"` + strings.Repeat("x", MaxBody) + `"}`
	cases := []struct {
		name, method, path, ctype, body string
		chunked                         bool
		status                          int
		words                           string
	}{
		{"GET", "GET", "/api/calls", "", "", false, 405, "POST"},
		{"PUT", "PUT", "/api/calls", "application/json", good, false, 405, "POST"},
		{"other path", "POST", "/elsewhere", "application/json", good, false, 404, "/api/calls"},
		{"prefix lookalike", "POST", "/api/callsX", "application/json", good, false, 404, ""},
		{"text", "POST", "/api/calls", "text/plain", good, false, 415, "application/json"},
		{"no content type", "POST", "/api/calls", "", good, false, 415, "application/json"},
		{"form", "POST", "/api/calls", "application/x-www-form-urlencoded", good, false, 415, ""},
		{"too large", "POST", "/api/calls", "application/json", huge, false, 413, "1 MiB"},
		{"too large, chunked", "POST", "/api/calls", "application/json", huge, true, 413, "1 MiB"},
		{"bad JSON", "POST", "/api/calls", "application/json", `{"value":[`, false, 400, "not valid JSON"},
		{"not a notification", "POST", "/api/calls", "application/json", `{"hello":"world"}`, false, 400, `"value"`},
		{"wrong types", "POST", "/api/calls", "application/json", `{"value":[{"changeType":"created","resourceUrl":"/communications/calls/a","resourceData":{"state":7}}]}`, false, 400, "state"},
		{"empty", "POST", "/api/calls", "application/json", "", false, 400, "empty"},
		{"names in another spelling", "POST", "/api/calls", "application/json", `{"value":[{"change_type":"created","resourceUrl":"/communications/calls/a"}]}`, false, 400, `"changeType" is missing`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tc.body)
			length := int64(0)
			if tc.chunked {
				body = io.MultiReader(strings.NewReader(tc.body)) // hides the length
				length = -1
			}
			status, text, hdr := send(t, tc.method, "http://"+h.addr+tc.path, tc.ctype, auth, body, length)
			if status != tc.status || !strings.Contains(text, tc.words) {
				t.Fatalf("%d %q, want %d saying %q", status, text, tc.status, tc.words)
			}
			if status == 405 && hdr.Get("Allow") != "POST" {
				t.Fatalf("Allow %q", hdr.Get("Allow"))
			}
		})
	}
	h.quiet()
	// application/json with a charset, and a path below the callback path
	// (a per-call callbackUri), are fine.
	status, _, _ := send(t, "POST", "http://"+h.addr+"/api/calls/24701998", "application/json; charset=utf-8", auth, strings.NewReader(good), 0)
	if status != 202 {
		t.Fatalf("%d", status)
	}
	if c := h.call(); c.ID != graphtest.SeedCallIDOld {
		t.Fatalf("%+v", c)
	}
}

func TestOnlyValidTokensAreProcessed(t *testing.T) {
	h := newHarness(t, setup{})
	aud := h.srv.Options.ClientID
	now := time.Now()
	claims := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := graphtest.Claims(aud, now)
		change(c)
		return c
	}
	stranger, err := graphtest.NewSignerKID("unpublished-key")
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := stranger.SignKID(graphtest.Claims(aud, now), h.srv.Signer.KID)
	unknownKID, _ := stranger.Sign(graphtest.Claims(aud, now))
	bad := []struct{ name, auth, words string }{
		{"expired", "Bearer " + h.srv.Signer.MustSign(claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })), "expired"},
		{"wrong audience", "Bearer " + h.srv.Signer.MustSign(claims(func(c jwt.MapClaims) { c["aud"] = "another-app" })), "another app"},
		{"wrong issuer", "Bearer " + h.srv.Signer.MustSign(claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), "issuer"},
		{"wrong signature", "Bearer " + forged, "signature"},
		{"issued in the future", "Bearer " + h.srv.Signer.MustSign(claims(func(c jwt.MapClaims) { c["iat"] = now.Add(10 * time.Minute).Unix() })), "issued in the future"},
		{"valid for days", "Bearer " + h.srv.Signer.MustSign(claims(func(c jwt.MapClaims) { c["exp"] = now.Add(72 * time.Hour).Unix() })), "longer than 24 h"},
		{"unknown key id", "Bearer " + unknownKID, "unpublished-key"},
		{"none", "", "no bearer token"},
	}
	fetches := h.srv.Identity.JWKSFetches()
	for i, tc := range bad {
		id := "bad-" + string(rune('a'+i))
		body := graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id)
		status, text, hdr := send(t, "POST", h.url(), "application/json", tc.auth, bytes.NewReader(body), 0)
		if status != 401 || !strings.Contains(text, tc.words) || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d %q", tc.name, status, text)
		}
		if strings.Contains(text, "eyJ") {
			t.Errorf("%s: the reply echoes the token", tc.name)
		}
	}
	if got := h.srv.Identity.JWKSFetches() - fetches; got != 1 {
		t.Fatalf("the unknown key id must trigger exactly one key refresh, got %d", got)
	}
	valid := "Bearer " + h.srv.Signer.MustSign(graphtest.Claims(aud, now))
	status, _, _ := send(t, "POST", h.url(), "application/json", valid,
		bytes.NewReader(graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), "good")), 0)
	if status != 202 {
		t.Fatalf("valid token: %d", status)
	}
	if c := h.call(); c.ID != "good" {
		t.Fatalf("the first call processed is %q: a refused notification got through", c.ID)
	}
	h.quiet()
}

func TestAuthRefusalComesBeforeTheBody(t *testing.T) {
	h := newHarness(t, setup{})
	// No token and a garbage body: the answer is about the token, and the
	// body is not looked at.
	status, text, _ := send(t, "POST", h.url(), "text/plain", "", strings.NewReader("garbage"), 0)
	if status != 401 || !strings.Contains(text, "token") {
		t.Fatalf("%d %q", status, text)
	}
}

func TestSkipAuthWarnsLoudly(t *testing.T) {
	h := newHarness(t, setup{config: func(c *Config) { c.SkipAuth = true; c.ClientID = ""; c.OpenIDConfig = "" }, secret: "-"})
	if h.p.auth != nil {
		t.Fatal("auth still on")
	}
	status, _, _ := send(t, "POST", h.url(), "application/json", "", bytes.NewReader(graphtest.Notification("seed000-incoming.json")), 0)
	if status != 202 {
		t.Fatalf("%d", status)
	}
	if c := h.call(); c.ID != graphtest.SeedCallIDOld {
		t.Fatalf("%+v", c)
	}
	if !h.logContains("INBOUND AUTH OFF") {
		t.Fatal("no warning in the log")
	}
}

func TestStatusEvents(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	events := make(chan providers.Event, 16)
	p, err := New(Config{Listen: "127.0.0.1:0", CallbackPath: "/api/calls", SkipAuth: true}, providers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = srv
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, events) }()
	first, second := <-events, <-events
	if first.Status == nil || first.Status.Link != providers.LinkConnecting || !strings.Contains(first.Status.Warning, "INBOUND AUTH OFF") {
		t.Fatalf("first %+v", first.Status)
	}
	if second.Status == nil || second.Status.Link != providers.LinkLive || second.Status.Detail != p.Addr() || p.Addr() == "" ||
		!strings.Contains(second.Status.Warning, "--graph-skip-auth") {
		t.Fatalf("second %+v (addr %q)", second.Status, p.Addr())
	}
	conn, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatalf("not listening on %s: %v", p.Addr(), err)
	}
	conn.Close()
	if err := p.Run(ctx, events); err == nil {
		t.Fatal("a second Run must be refused")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	if p.Addr() != "" {
		t.Fatal("address kept after Run")
	}
}

func TestCannotListen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p, err := New(Config{Listen: ln.Addr().String(), CallbackPath: "/api/calls", SkipAuth: true}, providers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan providers.Event, 16)
	err = p.Run(context.Background(), events)
	if err == nil || !strings.Contains(err.Error(), "cannot listen") {
		t.Fatalf("%v", err)
	}
	<-events // connecting
	ev := <-events
	if ev.Status == nil || ev.Status.Link != providers.LinkFailed || !strings.Contains(ev.Status.Detail, ln.Addr().String()) {
		t.Fatalf("%+v", ev.Status)
	}
}

func TestKeysUnavailable(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String() + "/v1/.well-known/OpenIdConfiguration"
	dead.Close()
	srv := graphtest.Start(t, graphtest.Options{})
	p, err := New(Config{Listen: "127.0.0.1:0", CallbackPath: "/api/calls", ClientID: srv.Options.ClientID, OpenIDConfig: deadURL},
		providers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	events, ctx := runUntilCleanup(t, p, 16)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Status != nil && ev.Status.Link == providers.LinkLive && strings.Contains(ev.Status.Warning, "signing keys") {
				poster := &graphtest.Poster{URL: "http://" + p.Addr() + "/api/calls", Signer: srv.Signer, Audience: srv.Options.ClientID}
				rep, err := poster.Post(ctx, graphtest.Notification("seed000-incoming.json"))
				if err != nil || rep.Status != 401 || !strings.Contains(rep.Body, "not loaded") {
					t.Fatalf("%v %+v", err, rep)
				}
				return
			}
		case <-deadline:
			t.Fatal("no warning about the missing keys")
		}
	}
}

// TestNotificationsWaitForTheKeysAtStart: a notification that arrives while
// the signing keys are first being loaded is processed once they are, not
// refused for want of them (Graph would not send it again).
func TestNotificationsWaitForTheKeysAtStart(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	asked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == graphtest.OpenIDConfigPath {
			once.Do(func() { close(asked) })
			<-release
		}
		srv.Fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close) // after the provider stops (cleanups run last first)
	p, err := New(Config{Listen: "127.0.0.1:0", CallbackPath: "/api/calls", ClientID: srv.Options.ClientID,
		OpenIDConfig: slow.URL + graphtest.OpenIDConfigPath}, providers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	events, ctx := runUntilCleanup(t, p, 16)
	<-asked // the keys are loading
	poster := &graphtest.Poster{URL: "http://" + p.Addr() + "/api/calls", Signer: srv.Signer, Audience: srv.Options.ClientID}
	replies := make(chan string, 1)
	go func() {
		rep, err := poster.Post(ctx, graphtest.Notification("seed000-incoming.json"))
		replies <- fmt.Sprint(rep.Status, " ", rep.Body, err)
	}()
	select {
	case rep := <-replies:
		close(release)
		t.Fatalf("answered before the keys were loaded: %s", rep)
	case <-time.After(100 * time.Millisecond): // time for the post to be refused, were it to be
	}
	close(release)
	if rep := <-replies; rep != "202 <nil>" {
		t.Fatalf("reply %q, want 202", rep)
	}
	for ev := range events {
		if ev.Call != nil {
			if ev.Call.ID != graphtest.SeedCallIDOld {
				t.Fatalf("%+v", ev.Call)
			}
			break
		}
	}
}

func TestShutdownWhileTheConsoleIsNotReading(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	p, err := New(Config{Listen: "127.0.0.1:0", CallbackPath: "/api/calls", SkipAuth: true}, providers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = srv
	p.queueSize = 1
	events := make(chan providers.Event, 2) // room for the two status events only
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, events) }()
	<-events
	<-events
	// Fill the sink and the queue; further posts wait for room.
	for range 6 {
		go func() {
			body := graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), graphtest.NewCallID())
			if resp, err := http.Post("http://"+p.Addr()+"/api/calls", "application/json", bytes.NewReader(body)); err == nil {
				resp.Body.Close()
			}
		}()
	}
	// Shut down once the sink is full: the worker is then stuck sending.
	for len(events) < cap(events) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(7 * time.Second):
		t.Fatal("Run hung on shutdown with a full sink")
	}
}

// TestStalledConsoleGets503: when nobody reads the sink, the worker blocks
// on it and the queue fills. A notification that cannot be queued within the
// wait is answered 503 with Retry-After, counted and logged; it is not
// lost, for once the console reads again the same notification posted again
// arrives, and nothing of it arrived before.
func TestStalledConsoleGets503(t *testing.T) {
	h := newHarness(t, setup{noRun: true})
	h.p.queueSize = 1
	h.p.queueWait = 50 * time.Millisecond
	sink := make(chan providers.Event, 2) // room for the two status events at start, and nobody reads
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.p.Run(ctx, sink) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	for len(sink) < cap(sink) || !h.p.auth.Ready() {
		time.Sleep(5 * time.Millisecond)
	}
	url := "http://" + h.p.Addr() + "/api/calls"
	auth := "Bearer " + h.srv.Signer.MustSign(graphtest.Claims(h.srv.Options.ClientID, time.Now()))
	// The client's timeout only keeps a webhook that holds the request
	// forever from hanging the test.
	client := &http.Client{Timeout: 30 * time.Second}
	post := func(id string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("POST", url, bytes.NewReader(graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("post %s: %v", id, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}

	// The worker takes one notification and blocks on the full sink; the
	// queue holds one more; the next cannot be queued.
	var accepted []string
	var refused string
	for refused == "" {
		if len(accepted) == 10 {
			t.Fatal("ten notifications queued with nobody reading the sink")
		}
		id := graphtest.NewCallID()
		switch status, text, hdr := post(id); status {
		case 202:
			accepted = append(accepted, id)
		case 503:
			if ra := hdr.Get("Retry-After"); ra != strconv.Itoa(RetryAfter) || RetryAfter < 1 || RetryAfter > 10 {
				t.Fatalf("Retry-After %q, want a few seconds", ra)
			}
			if !strings.Contains(text, "console is behind") {
				t.Fatalf("503 %q", text)
			}
			refused = id
		default:
			t.Fatalf("%d %q", status, text)
		}
	}
	if n := h.p.turnedAway.Load(); n != 1 {
		t.Fatalf("%d notifications counted as turned away, want 1", n)
	}
	if !h.logContains("the console is not taking events") || !h.logContains("turned_away=1") {
		t.Fatalf("not logged:\n%s", h.logs.String())
	}

	// The console reads again: what was accepted arrives, what was turned
	// away does not, until Graph sends it again.
	calls := make(chan string, 64)
	go func() {
		for {
			select {
			case ev := <-sink:
				if ev.Call != nil {
					calls <- ev.Call.ID
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	next := func() string {
		t.Helper()
		select {
		case id := <-calls:
			return id
		case <-time.After(5 * time.Second):
			t.Fatal("no call event within 5 s")
		}
		return ""
	}
	marker := graphtest.NewCallID()
	if status, text, _ := post(marker); status != 202 {
		t.Fatalf("after the console caught up: %d %q", status, text)
	}
	var seen []string
	for id := next(); id != marker; id = next() {
		if id == refused {
			t.Fatal("a notification answered 503 was processed")
		}
		seen = append(seen, id)
	}
	if fmt.Sprint(seen) != fmt.Sprint(accepted) {
		t.Fatalf("calls %v, want the accepted ones %v", seen, accepted)
	}
	if status, text, _ := post(refused); status != 202 {
		t.Fatalf("sent again: %d %q", status, text)
	}
	if id := next(); id != refused {
		t.Fatalf("call %s, want the one sent again (%s)", id, refused)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	h := newHarness(t, setup{config: func(c *Config) { c.TLSCert, c.TLSKey = certFile, keyFile }})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	h.poster = &graphtest.Poster{URL: "https://" + h.addr + "/api/calls", Signer: h.srv.Signer, Audience: h.srv.Options.ClientID, Client: client}
	h.post(graphtest.Notification("seed000-incoming.json"))
	if c := h.call(); c.ID != graphtest.SeedCallIDOld {
		t.Fatalf("%+v", c)
	}
	// Plain HTTP to the TLS port is refused.
	if resp, err := http.Post("http://"+h.addr+"/api/calls", "application/json", strings.NewReader("{}")); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 202 {
			t.Fatal("plain HTTP accepted on the TLS port")
		}
	}
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir)
	base := Config{
		Listen: "127.0.0.1:8443", CallbackPath: "/api/calls", ClientID: "app", Tenant: "t",
		APIBase: "https://graph.microsoft.com/v1.0", TokenURL: DefaultTokenURL, OpenIDConfig: "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration",
	}
	secret := func(k string) string {
		if k == SecretEnv {
			return "top-secret-value"
		}
		return ""
	}
	cases := []struct {
		name   string
		change func(*Config)
		words  string
	}{
		{"listen", func(c *Config) { c.Listen = "8443" }, "--graph-listen"},
		{"callback path", func(c *Config) { c.CallbackPath = "api/calls" }, "--graph-callback-path"},
		{"cert without key", func(c *Config) { c.TLSCert = certFile }, "both"},
		{"unreadable cert", func(c *Config) { c.TLSCert, c.TLSKey = dir+"/none.pem", keyFile }, "TLS"},
		{"no client id", func(c *Config) { c.ClientID = "" }, "--graph-client-id"},
		{"http API base", func(c *Config) { c.APIBase = "http://graph.example.com/v1.0" }, "--graph-api-base"},
		{"relative openid", func(c *Config) { c.OpenIDConfig = "/x" }, "--graph-openid-config"},
		{"http callback", func(c *Config) { c.CallbackURL = "http://bot.example.com/api/calls" }, "only calls https"},
		{"no tenant", func(c *Config) { c.Tenant = "" }, "--graph-tenant"},
		{"missing secret file", func(c *Config) { c.ClientSecretFile = dir + "/nope" }, "--graph-client-secret-file"},
	}
	for _, tc := range cases {
		cfg := base
		tc.change(&cfg)
		_, err := New(cfg, providers.Options{Getenv: secret})
		if err == nil || !strings.Contains(err.Error(), tc.words) {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if strings.Contains(err.Error(), "top-secret-value") {
			t.Errorf("%s: the secret leaked into %v", tc.name, err)
		}
	}
	// Several mistakes are reported together.
	cfg := base
	cfg.Listen, cfg.ClientID = "", ""
	_, err := New(cfg, providers.Options{Getenv: secret})
	if err == nil || !strings.Contains(err.Error(), "--graph-listen") || !strings.Contains(err.Error(), "--graph-client-id") {
		t.Fatalf("%v", err)
	}
	// Loopback http is fine everywhere (local fakes, a tunnel's local end).
	cfg = base
	cfg.APIBase, cfg.TokenURL, cfg.CallbackURL = "http://127.0.0.1:9444/v1.0", "http://localhost:9444/{tenant}/oauth2/v2.0/token", "http://127.0.0.1:8443/api/calls"
	if _, err := New(cfg, providers.Options{Getenv: secret}); err != nil {
		t.Fatal(err)
	}
	// Without a secret the provider still starts, read-only.
	p, err := New(base, providers.Options{})
	if err != nil || p.ActionsOff() == "" {
		t.Fatalf("%v %q", err, p.ActionsOff())
	}
	if err := p.Answer(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "cannot act on calls") {
		t.Fatalf("%v", err)
	}
}

// TestSkipAuthRefusals: inbound authentication is off only when asked for
// on the command line and only while the webhook listens on loopback.
func TestSkipAuthRefusals(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, listen := range []string{"127.0.0.1:0", "127.8.9.10:8443", "[::1]:8443", "localhost:8443", "LOCALHOST:8443"} {
		if _, err := New(Config{Listen: listen, CallbackPath: "/api/calls", SkipAuth: true}, providers.Options{Getenv: noEnv}); err != nil {
			t.Errorf("%s: %v", listen, err)
		}
	}
	for _, listen := range []string{":8443", "0.0.0.0:8443", "[::]:8443", "10.1.2.3:8443", "[fe80::1%eth0]:8443", "localhost.example.com:8443"} {
		_, err := New(Config{Listen: listen, CallbackPath: "/api/calls", SkipAuth: true}, providers.Options{Getenv: noEnv})
		if err == nil || !strings.Contains(err.Error(), "--graph-skip-auth needs --graph-listen on a loopback address") || !strings.Contains(err.Error(), listen) {
			t.Errorf("%s: %v", listen, err)
		}
	}
	// The variable is refused whatever it says and whatever else is given,
	// so that nobody believes it took effect.
	for _, value := range []string{"1", "true", "false", "yes"} {
		env := func(k string) string {
			if k == SkipAuthEnv {
				return value
			}
			return ""
		}
		for _, skip := range []bool{false, true} {
			_, err := New(Config{Listen: "127.0.0.1:0", CallbackPath: "/api/calls", ClientID: "app", SkipAuth: skip}, providers.Options{Getenv: env})
			if err == nil || !strings.Contains(err.Error(), SkipAuthEnv+" is set") {
				t.Errorf("%s=%s with --graph-skip-auth=%v: %v", SkipAuthEnv, value, skip, err)
			}
		}
	}
}

// TestRunLeavesNoGoroutines: after Run returns, the server, the worker, the
// key loader and the key refresher are all gone.
func TestRunLeavesNoGoroutines(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	client := &http.Client{Transport: &http.Transport{}}
	time.Sleep(50 * time.Millisecond)
	before := runtime.NumGoroutine()

	p, err := New(Config{Listen: "127.0.0.1:0", CallbackPath: "/api/calls", ClientID: srv.Options.ClientID,
		OpenIDConfig: srv.OpenIDConfig}, providers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan providers.Event, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, events) }()
	for p.Addr() == "" || !p.auth.Ready() {
		time.Sleep(5 * time.Millisecond)
	}
	poster := &graphtest.Poster{URL: "http://" + p.Addr() + "/api/calls", Signer: srv.Signer, Audience: srv.Options.ClientID, Client: client}
	if rep, err := poster.Post(ctx, graphtest.Notification("seed000-incoming.json")); err != nil || rep.Status != 202 {
		t.Fatalf("%v %+v", err, rep)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	client.CloseIdleConnections()
	srv.HTTP.CloseClientConnections()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runUntilCleanup runs p in the background until the test ends, then stops it
// and fails the test if Run returned an error. It returns the events p sends
// (buffered as asked) and a context that ends when p is stopped.
func runUntilCleanup(t *testing.T, p *Provider, buffer int) (<-chan providers.Event, context.Context) {
	t.Helper()
	events := make(chan providers.Event, buffer)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, events) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return events, ctx
}

// TestSlowClientIsCutOff: a client that stops halfway through its headers,
// or through a body whose length it announced, holds its connection only
// until the read timeout; a body of known length is read without
// http.MaxBytesReader, so the timeout is what bounds it. Nothing it sent is
// filed.
func TestSlowClientIsCutOff(t *testing.T) {
	h := newHarness(t, setup{tune: func(p *Provider) { p.readTimeout = 200 * time.Millisecond }})
	auth := "Bearer " + h.srv.Signer.MustSign(graphtest.Claims(h.srv.Options.ClientID, time.Now()))
	body := string(graphtest.Notification("seed000-incoming.json"))
	head := "POST /api/calls HTTP/1.1\r\nHost: " + h.addr + "\r\nContent-Type: application/json\r\nAuthorization: " + auth +
		"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	for name, sent := range map[string]string{
		"headers": head[:len(head)/2],
		"body":    head + body[:len(body)/2],
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", h.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, sent); err != nil {
				t.Fatal(err)
			}
			// The deadline only keeps a webhook that never lets go from
			// hanging the test; the webhook's own is far shorter.
			_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			answer, err := io.ReadAll(conn) // until the webhook closes the connection
			if err != nil {
				t.Fatalf("the connection was not closed: %v (read %q)", err, answer)
			}
			if len(answer) > 0 && !bytes.HasPrefix(answer, []byte("HTTP/1.1 400 ")) {
				t.Fatalf("answered %q", answer)
			}
		})
	}
	h.quiet()
}

// A body is given room on the client's word only up to pooledBody: a
// request that claims the largest body and sends ten bytes costs ten bytes'
// worth, not a megabyte, and a known length beyond pooledBody is read whole
// as its bytes come.
func TestBodyRoomFollowsTheBytesSent(t *testing.T) {
	read := func(body string, length int64) ([]byte, error) {
		r := httptest.NewRequest("POST", "/api/calls", strings.NewReader(body))
		r.ContentLength = length
		return readBody(nil, httptest.NewRecorder(), r)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 20 {
		// (net/http's own body would end in an error here; this one just ends)
		_, _ = read("0123456789", MaxBody)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Fatalf("20 requests claiming %d bytes and sending 10 allocated %d bytes", MaxBody, grew)
	}
	big := strings.Repeat("x", 3*pooledBody)
	if got, err := read(big, int64(len(big))); err != nil || string(got) != big {
		t.Fatalf("a body of %d bytes, length known: %d bytes read, %v", len(big), len(got), err)
	}
	if got, err := read("{}", 2); err != nil || string(got) != "{}" {
		t.Fatalf("a small body: %q, %v", got, err)
	}
}

// With authentication off, the address bound decides, not the name given:
// "localhost" pointed elsewhere by a hosts file is refused once bound.
func TestSkipAuthChecksTheAddressBound(t *testing.T) {
	for _, tc := range []struct {
		skip bool
		addr net.Addr
		ok   bool
	}{
		{true, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8443}, true},
		{true, &net.TCPAddr{IP: net.IPv6loopback, Port: 8443}, true},
		{true, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 8443}, false},
		{true, &net.TCPAddr{IP: net.IPv4zero, Port: 8443}, false},
		{false, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 8443}, true},
	} {
		err := boundForSkipAuth(tc.skip, tc.addr)
		if (err == nil) != tc.ok {
			t.Errorf("skip %v, bound to %v: %v", tc.skip, tc.addr, err)
		}
		if err != nil && !strings.Contains(err.Error(), "bound to "+tc.addr.String()) {
			t.Errorf("the refusal does not name the address: %v", err)
		}
	}
}
