package httpguard

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// target counts the requests that reach it and remembers whether any carried
// a credential.
type target struct {
	srv      *httptest.Server
	hits     atomic.Int32
	sawCreds atomic.Bool
}

func newTarget(t *testing.T, tls bool) *target {
	tg := &target{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.hits.Add(1)
		if r.Header.Get("Authorization") != "" {
			tg.sawCreds.Store(true)
		}
		w.Write([]byte("ok"))
	})
	if tls {
		tg.srv = httptest.NewTLSServer(h)
	} else {
		tg.srv = httptest.NewServer(h)
	}
	t.Cleanup(tg.srv.Close)
	return tg
}

func redirector(t *testing.T, tls bool, to func(r *http.Request) string) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, to(r), http.StatusTemporaryRedirect)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

func get(c *http.Client, u string) error {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.SetBasicAuth("agent", "not-a-real-password")
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

func TestDowngradeToHTTPIsRefused(t *testing.T) {
	plain := newTarget(t, false)
	from := redirector(t, true, func(*http.Request) string { return plain.srv.URL + "/api" })
	c := Client(from.Client())
	err := get(c, from.URL+"/api")
	if !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "clear text") {
		t.Fatalf("https → http: %v, want a refusal that says why", err)
	}
	if plain.hits.Load() != 0 {
		t.Fatal("the plain http server was reached")
	}
	if strings.Contains(err.Error(), "not-a-real-password") || strings.Contains(err.Error(), "agent") {
		t.Fatalf("the refusal names the credentials: %v", err)
	}
}

func TestOtherOriginIsRefused(t *testing.T) {
	other := newTarget(t, false)
	from := redirector(t, false, func(*http.Request) string { return other.srv.URL + "/steal" })
	err := get(Client(nil), from.URL)
	if !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "only to the server they are for") {
		t.Fatalf("another port: %v", err)
	}
	// The same port under another name is another origin too.
	u, _ := url.Parse(other.srv.URL)
	renamed := redirector(t, false, func(*http.Request) string { return "http://localhost:" + u.Port() + "/" })
	if err := get(Client(nil), renamed.URL); !errors.Is(err, ErrRedirect) {
		t.Fatalf("another host name: %v", err)
	}
	if other.hits.Load() != 0 {
		t.Fatal("the other origin was reached")
	}
	// Go's own policy would have followed, credentials and all: the test
	// shows what the guard prevents.
	if err := get(&http.Client{}, from.URL); err != nil || other.hits.Load() == 0 {
		t.Fatalf("the default client did not follow: %v", err)
	}
}

func TestSameOriginIsFollowed(t *testing.T) {
	var hops atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			hops.Add(1)
			http.Redirect(w, r, srv.URL+"/new", http.StatusMovedPermanently)
			return
		}
		if _, _, ok := r.BasicAuth(); !ok {
			t.Error("the credential did not follow a same-origin redirect")
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	if err := get(Client(nil), srv.URL+"/old"); err != nil || hops.Load() != 1 {
		t.Fatalf("same origin: %v (%d hops)", err, hops.Load())
	}
}

func TestRedirectLoopEnds(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL+r.URL.Path+"x", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	if err := get(Client(nil), srv.URL+"/"); !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "more than 5") {
		t.Fatalf("a loop: %v", err)
	}
}

func TestUpgradeToHTTPSOnTheSameHostIsFollowed(t *testing.T) {
	from, _ := url.Parse("http://gws.example.com/api")
	to, _ := url.Parse("https://gws.example.com/api")
	if err := CheckRedirect(&http.Request{URL: to}, []*http.Request{{URL: from}}); err != nil {
		t.Fatalf("http → https on the same host: %v", err)
	}
	evil, _ := url.Parse("https://evil.example.net/api")
	if err := CheckRedirect(&http.Request{URL: evil}, []*http.Request{{URL: from}}); !errors.Is(err, ErrRedirect) {
		t.Fatalf("http → https elsewhere: %v", err)
	}
}

func TestOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@GWS.example.com/api?x=1": "https://gws.example.com:443",
		"http://127.0.0.1:8080/":                  "http://127.0.0.1:8080",
		"http://[::1]/":                           "http://[::1]:80",
	} {
		u, _ := url.Parse(in)
		if got := Origin(u); got != want {
			t.Errorf("Origin(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.8.9.10": true, "::1": true,
		"0.0.0.0": false, "10.0.0.1": false, "gws.example.com": false, "localhost.example.com": false, "": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
