package bayeux

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"ringside/providers/httpguard"
)

// Header hooks put credentials on every request (GWS: Basic auth), so a
// handshake redirected to another origin is refused, not followed, and the
// client says why while it keeps trying.
func TestRedirectElsewhereIsRefused(t *testing.T) {
	var stolen atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		w.Write([]byte(`[{"channel":"/meta/handshake","successful":true,"clientId":"x","version":"1.0","supportedConnectionTypes":["long-polling"]}]`))
	}))
	t.Cleanup(thief.Close)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)

	w := startClient(t, nil, Config{
		URL:    redirect.URL + "/api/v2/notifications",
		Header: func(h http.Header) { h.Set("Authorization", "Basic bm90OnJlYWw=") },
	})
	ev := w.until(10*time.Second, "a refused handshake", func(ev Event) bool { return ev.Kind == KindState && ev.Err != nil })
	if !errors.Is(ev.Err, httpguard.ErrRedirect) {
		t.Fatalf("state %s with %v, want a redirect refusal", ev.State, ev.Err)
	}
	if ev.State == Stopped {
		t.Fatalf("a redirect stopped the client: %v", ev.Err)
	}
	if n := stolen.Load(); n != 0 {
		t.Fatalf("%d requests reached the other origin", n)
	}
}
