package genesys

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"ringside/providers"
	"ringside/providers/genesys/gwstest"
	"ringside/providers/httpguard"
)

// rawGWS serves handler and returns a REST client for it, with its logs.
func rawGWS(t *testing.T, password string, handler http.HandlerFunc) (*restClient, *bytes.Buffer) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	s, err := Config{URL: srv.URL, User: testUser}.resolve(env(map[string]string{PasswordEnv: password}))
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	return newRESTClient(s, slog.New(slog.NewTextHandler(&syncWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))), logs
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestRESTRefusals(t *testing.T) {
	tests := []struct {
		name     string
		password string
		handler  http.HandlerFunc
		check    func(t *testing.T, err error)
	}{
		{
			name: "401 says whose credentials and what to check", password: "pw",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(401)
				w.Write([]byte(`{"statusCode":20,"statusMessage":"Access denied"}`))
			},
			check: func(t *testing.T, err error) {
				var auth *AuthError
				if !errors.As(err, &auth) || !strings.Contains(err.Error(), `"ksippo"`) || !strings.Contains(err.Error(), "check --genesys-user") {
					t.Errorf("%v", err)
				}
			},
		},
		{
			name: "no password given: the hint says how to give one", password: "",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) },
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), PasswordEnv) {
					t.Errorf("%v", err)
				}
			},
		},
		{
			name: "statusCode 20 with HTTP 200 is an authentication failure too", password: "pw",
			handler: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"statusCode":20}`)) },
			check: func(t *testing.T, err error) {
				var auth *AuthError
				if !errors.As(err, &auth) {
					t.Errorf("%v", err)
				}
			},
		},
		{
			name: "a reply that is not JSON", password: "pw",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Write([]byte("<html>Welcome to nginx</html>"))
			},
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "not JSON") || !strings.Contains(err.Error(), "nginx") {
					t.Errorf("%v", err)
				}
			},
		},
		{
			name: "JSON without statusCode", password: "pw",
			handler: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"hello":"world"}`)) },
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "no statusCode") {
					t.Errorf("%v", err)
				}
			},
		},
		{
			name: "a reply too large to be GWS", password: "pw",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(`{"statusCode":0,"x":"`))
				w.Write(bytes.Repeat([]byte("x"), maxResponse))
				w.Write([]byte(`"}`))
			},
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "larger than") {
					t.Errorf("%v", err)
				}
			},
		},
		{
			name: "a server error page", password: "pw",
			handler: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "Service Unavailable", 503) },
			check: func(t *testing.T, err error) {
				var refused *providers.RefusedError
				if !errors.As(err, &refused) || refused.Status != 503 {
					t.Errorf("%v", err)
				}
			},
		},
		{
			name: "an unknown statusCode", password: "pw",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(`{"statusCode":99,"statusMessage":"Odd"}`))
			},
			check: func(t *testing.T, err error) {
				var st *StatusError
				if !errors.As(err, &st) || !strings.HasSuffix(err.Error(), "refused by GWS (GWS statusCode 99: Odd)") {
					t.Errorf("%v", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := rawGWS(t, tt.password, tt.handler)
			err := c.me(context.Background(), nil)
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err)
		})
	}
}

func TestStatusTable(t *testing.T) {
	for code, want := range map[int]string{
		1: "a required parameter is missing", 2: "not allowed in the call's current state", 3: "the operation is forbidden",
		4: "internal error", 5: "lacks the permission", 6: "call not found", 7: "only partly done", 8: "password must be changed",
		9: "not complete", 10: "out of range", 11: "read-only", 12: "unable to retrieve", 13: "unable to create",
		14: "unable to delete", 15: "unable to update", 16: "unable to assign", 17: "unable to unassign",
		18: "already exists", 19: "already in use", 20: "not authenticated",
	} {
		err := &StatusError{Code: code, Message: "m"}
		if !strings.HasPrefix(err.Error(), want) && !strings.Contains(err.Error(), want) {
			t.Errorf("statusCode %d: %q, want %q", code, err, want)
		}
		if errors.Is(err, providers.ErrNotAllowed) != (code == 2) || errors.Is(err, providers.ErrNotFound) != (code == 6) {
			t.Errorf("statusCode %d wraps the wrong sentinel", code)
		}
		var refused *providers.RefusedError
		if !errors.As(err, &refused) || refused.Message != "m" {
			t.Errorf("statusCode %d: no RefusedError", code)
		}
	}
}

func TestCSRFUsesTheAdvertisedHeaderAndRetriesOnce(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	posts := 0
	c, logs := rawGWS(t, "pw", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != gwstest.BasicAuth(testUser, "pw") || r.Header.Get("Origin") == "" {
			t.Errorf("%s %s without Basic auth or Origin", r.Method, r.URL)
		}
		seen = append(seen, r.Method+" "+r.Header.Get("X-Gws-Csrf"))
		if r.Method == "GET" {
			w.Header().Set("X-CSRF-HEADER", "X-Gws-Csrf")
			w.Header().Set("X-CSRF-TOKEN", "tok-secret-1")
			w.Write([]byte(`{"statusCode":0,"user":{}}`))
			return
		}
		posts++
		w.WriteHeader(403)
		w.Write([]byte("Missing or invalid Csrf token"))
	})
	err := c.operate(context.Background(), "C1", opHangup)
	var refused *providers.RefusedError
	if !errors.As(err, &refused) || refused.Status != 403 || !strings.Contains(err.Error(), "Missing or invalid Csrf token") {
		t.Fatalf("a 403 after the retry: %v", err)
	}
	if posts != 2 {
		t.Errorf("exactly one retry expected: %d POSTs", posts)
	}
	// The token is fetched before the first POST and again after the 403;
	// GETs carry no token.
	want := []string{"GET ", "POST tok-secret-1", "GET ", "POST tok-secret-1"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("requests %q, want %q", seen, want)
	}
	if strings.Contains(logs.String(), "tok-secret") || strings.Contains(logs.String(), "pw") {
		t.Errorf("secrets in the log: %s", logs)
	}
}

func TestUnreachableGWS(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s, _ := Config{URL: "http://" + addr, User: "u"}.resolve(env(nil))
	c := newRESTClient(s, slog.New(slog.NewTextHandler(discard{}, nil)))
	err = c.operate(context.Background(), "X", opAnswer)
	if err == nil || !strings.Contains(err.Error(), "unreachable") || !strings.Contains(err.Error(), addr) {
		t.Fatalf("%v", err)
	}
}

func TestCallReads(t *testing.T) {
	c, _ := rawGWS(t, "pw", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v2/me/calls/GONE":
			w.WriteHeader(404)
			w.Write([]byte("Not Found"))
		case r.URL.Path == "/api/v2/me/calls/GONE6":
			w.Write([]byte(`{"statusCode":6,"statusMessage":"no such call"}`))
		case r.URL.Path == "/api/v2/me/calls/OTHER":
			w.Write([]byte(`{"statusCode":0,"call":{"id":"SOMEONE","state":"Ringing"}}`))
		case strings.HasPrefix(r.URL.Path, "/api/v2/me/calls/") && !strings.Contains(r.URL.Path, "GONE") && !strings.HasSuffix(r.URL.Path, "OTHER"):
			t.Errorf("an unsafe id reached GWS: %s", r.URL.EscapedPath())
		case r.URL.Path == "/api/v2/me/calls":
			w.Write([]byte(`{"statusCode":0,"calls":[{"id":"ok","state":"Ringing"},{"id":"bad","state":[1]},{"state":"Ringing"},"junk"]}`))
		default:
			w.Write([]byte(`{"statusCode":0}`))
		}
	})
	ctx := context.Background()
	for _, id := range []string{"GONE", "GONE6"} {
		if _, err := c.call(ctx, id); !errors.Is(err, providers.ErrNotFound) {
			t.Errorf("%s: %v", id, err)
		}
	}
	if _, err := c.call(ctx, "OTHER"); err == nil || !strings.Contains(err.Error(), "SOMEONE") {
		t.Errorf("a reply about another call: %v", err)
	}
	// Ids outside the safe alphabet never reach a URL: ".." would survive
	// escaping and move the request to another resource.
	for _, id := range []string{"a/b", "..", ".", "a%2Fb", "x\x1b[2J"} {
		if _, err := c.call(ctx, id); !errors.Is(err, providers.ErrBadCallID) {
			t.Errorf("read of call %q: %v, want ErrBadCallID", id, err)
		}
		if err := c.operate(ctx, id, opAnswer); !errors.Is(err, providers.ErrBadCallID) {
			t.Errorf("answer of call %q: %v, want ErrBadCallID", id, err)
		}
	}
	snap, err := c.calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Calls) != 1 || snap.Calls[0].ID != "ok" || len(snap.Unreadable) != 1 || snap.Unreadable[0] != "bad" || len(snap.Problems) != 3 {
		t.Errorf("snapshot: %+v", snap)
	}
}

func TestCallListShapes(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{`{"statusCode":0,"uris":["http://x/api/v2/me/calls/1"]}`, "only call URIs"},
		{`{"statusCode":0,"calls":{"id":"x"}}`, "not an array"},
		{`{"statusCode":0}`, ""},
	} {
		c, _ := rawGWS(t, "pw", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(tt.body)) })
		snap, err := c.calls(context.Background())
		switch {
		case tt.want == "" && (err != nil || len(snap.Calls) != 0):
			t.Errorf("%s: %+v %v", tt.body, snap, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v", tt.body, err)
		}
	}
}

// Basic auth is on every request; a redirect may not carry it to another
// origin.
func TestRedirectsElsewhereAreRefused(t *testing.T) {
	var stolen atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		w.Write([]byte(`{"statusCode":0}`))
	}))
	t.Cleanup(thief.Close)
	c, _ := rawGWS(t, "pw", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	err := c.operate(context.Background(), "X", opAnswer)
	if !errors.Is(err, httpguard.ErrRedirect) || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("%v, want a refusal that says why", err)
	}
	if stolen.Load() != 0 {
		t.Fatal("the password reached another origin")
	}
}
