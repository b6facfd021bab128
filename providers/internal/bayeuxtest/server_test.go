package bayeuxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// TestAdviceControls: the interval option is announced, Advise overwrites
// advice fields with values of any type, and IgnoreAskedTimeout makes the
// server hold a connect that asked for an immediate answer.
func TestAdviceControls(t *testing.T) {
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv := Start(t, kind, Options{Timeout: time.Minute, Interval: 1500 * time.Millisecond})
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			handshake := func(id string) map[string]any {
				t.Helper()
				hs := bayeuxPost(t, hc, srv.URL(), map[string]any{"id": id, "channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": []string{"long-polling"}})
				if hs[0]["successful"] != true {
					t.Fatalf("handshake: %v", hs)
				}
				return hs[0]
			}
			hs := handshake("1")
			if adv := hs["advice"].(map[string]any); adv["interval"] != 1500.0 || adv["timeout"] != 60000.0 {
				t.Fatalf("handshake advice %v, want interval 1500 and timeout 60000", adv)
			}
			if err := srv.Advise(map[string]any{"interval": "soon", "timeout": 1e300}); err != nil {
				t.Fatal(err)
			}
			hs = handshake("2")
			if adv := hs["advice"].(map[string]any); adv["interval"] != "soon" || adv["timeout"] != 1e300 {
				t.Fatalf("advice %v, want the fields Advise set", adv)
			}
			if err := srv.Advise(nil); err != nil {
				t.Fatal(err)
			}
			id, _ := handshake("3")["clientId"].(string)
			connect := func(msgID string, wait time.Duration) error {
				b, _ := json.Marshal([]map[string]any{{"id": msgID, "channel": "/meta/connect", "clientId": id, "connectionType": "long-polling", "advice": map[string]int{"timeout": 0}}})
				ctx, cancel := context.WithTimeout(context.Background(), wait)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL(), bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				_, err = io.ReadAll(resp.Body)
				return err
			}
			if err := connect("4", 10*time.Second); err != nil {
				t.Fatalf("a connect asking for timeout 0: %v", err)
			}
			if err := srv.IgnoreAskedTimeout(true); err != nil {
				t.Fatal(err)
			}
			// The server holds it for its own minute: a second is far
			// short of that.
			if err := connect("5", time.Second); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("a connect asking for timeout 0 from a stubborn server: %v, want it held", err)
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
