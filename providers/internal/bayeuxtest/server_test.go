package bayeuxtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// bayeuxPost sends raw Bayeux messages, the way any client would.
func bayeuxPost(t *testing.T, hc *http.Client, url string, msgs ...map[string]any) []map[string]any {
	t.Helper()
	b, _ := json.Marshal(msgs)
	resp, err := hc.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, body)
	}
	var out []map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return out
}

// TestControl drives each server through its control endpoint with a bare
// HTTP client: publish reaches a subscriber, forget makes the session
// unknown, restart keeps the port, stats count what happened.
func TestControl(t *testing.T) {
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv := Start(t, kind, Options{Timeout: 2 * time.Second})
			if !strings.HasSuffix(srv.URL(), DefaultMount) || srv.Kind() != kind {
				t.Fatalf("URL %q, kind %q", srv.URL(), srv.Kind())
			}
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			hs := bayeuxPost(t, hc, srv.URL(), map[string]any{"id": "1", "channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": []string{"long-polling"}})
			id, _ := hs[0]["clientId"].(string)
			if id == "" {
				t.Fatalf("handshake: %v", hs)
			}
			bayeuxPost(t, hc, srv.URL(), map[string]any{"id": "2", "channel": "/meta/subscribe", "clientId": id, "subscription": "/v2/me/calls"})
			if err := srv.Publish("/v2/me/calls", map[string]int{"n": 1}, json.RawMessage(`{"n":2}`)); err != nil {
				t.Fatal(err)
			}
			got := bayeuxPost(t, hc, srv.URL(), map[string]any{"id": "3", "channel": "/meta/connect", "clientId": id, "connectionType": "long-polling", "advice": map[string]int{"timeout": 0}})
			var ns []float64
			for _, m := range got {
				if d, ok := m["data"].(map[string]any); ok {
					ns = append(ns, d["n"].(float64))
				}
			}
			if len(ns) != 2 || ns[0] != 1 || ns[1] != 2 {
				t.Fatalf("connect brought %v, want the two messages in order", got)
			}
			st, err := srv.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.Sessions < 1 || st.Subscribers["/v2/me/calls"] != 1 || st.Handshakes != 1 || st.Connects != 1 {
				t.Fatalf("stats %+v", st)
			}
			if n, err := srv.ForgetSessions(); err != nil || n != 1 {
				t.Fatalf("forgot %d (%v), want 1", n, err)
			}
			got = bayeuxPost(t, hc, srv.URL(), map[string]any{"id": "4", "channel": "/meta/connect", "clientId": id, "connectionType": "long-polling"})
			if got[0]["successful"] != false {
				t.Fatalf("connect on a forgotten session: %v", got)
			}
			if err := srv.Restart(100 * time.Millisecond); err != nil {
				t.Fatal(err)
			}
			hs = bayeuxPost(t, hc, srv.URL(), map[string]any{"id": "5", "channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": []string{"long-polling"}})
			if hs[0]["successful"] != true {
				t.Fatalf("handshake after restart: %v", hs)
			}
			if st, _ := srv.Stats(); st.Restarts != 1 || st.Handshakes != 2 {
				t.Fatalf("stats after restart %+v", st)
			}
			if err := srv.Refuse("none", "403::go_away"); err != nil {
				t.Fatal(err)
			}
			hs = bayeuxPost(t, hc, srv.URL(), map[string]any{"id": "6", "channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": []string{"long-polling"}})
			if hs[0]["error"] != "403::go_away" || hs[0]["advice"].(map[string]any)["reconnect"] != "none" {
				t.Fatalf("refused handshake: %v", hs)
			}
			if err := srv.StopRefusing(); err != nil {
				t.Fatal(err)
			}
			if err := srv.Publish("/meta/connect", 1); err == nil {
				t.Fatal("publishing on a meta channel was accepted")
			}
			if _, err := srv.Burst("/v2/me/calls", 0); err == nil {
				t.Fatal("a burst of 0 was accepted")
			}
			start := time.Now()
			if err := srv.Stop(); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("Stop took %s; the server should exit as soon as its stdin closes", d)
			}
			if err := srv.Publish("/v2/me/calls", 1); err == nil {
				t.Fatal("Publish after Stop succeeded")
			}
		})
	}
}

// TestBadKind: an unknown kind is refused with a clear error.
func TestBadKind(t *testing.T) {
	if _, err := Run("jetty", Options{}); err == nil || !strings.Contains(err.Error(), "unknown server kind") {
		t.Fatalf("Run(jetty) = %v", err)
	}
}

// TestProxy: a handshake and a subscription through the proxy reach the
// server, and its session cookie comes back through it.
func TestProxy(t *testing.T) {
	srv := Start(t, CometD, Options{Timeout: 2 * time.Second})
	mux := http.NewServeMux()
	mux.Handle(DefaultMount, srv.Proxy())
	front := httptest.NewServer(mux)
	defer front.Close()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	hs := bayeuxPost(t, hc, front.URL+DefaultMount, map[string]any{"id": "1", "channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": []string{"long-polling"}})
	id, _ := hs[0]["clientId"].(string)
	sub := bayeuxPost(t, hc, front.URL+DefaultMount, map[string]any{"id": "2", "channel": "/meta/subscribe", "clientId": id, "subscription": "/v2/me/calls"})
	if sub[0]["successful"] != true {
		t.Fatalf("subscribe through the proxy (cookie lost?): %v", sub)
	}
}
