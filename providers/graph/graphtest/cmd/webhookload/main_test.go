package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers/graph/notification"
)

func TestLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8443/api/calls", "127.0.0.1:0", "http://[::1]:8443/x", "http://localhost:1/"} {
		if err := loopbackOnly("-x", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://example.com:80/api", "10.0.0.1:1", "http://192.168.1.2:8443/", "0.0.0.0:9444", "http://127.0.0.1/"} {
		if err := loopbackOnly("-x", bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// Each call is posted as the platform would, its three notifications in
// order on one connection, each decoding to that call: created, updated,
// deleted with the end's reason.
func TestPostsWholeCalls(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]notification.ChangeType{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer x" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "headers", http.StatusUnauthorized)
			return
		}
		ns, err := notification.Decode(body)
		if err != nil || len(ns) != 1 || ns[0].Kind != notification.KindCall {
			http.Error(w, "not a call notification", http.StatusBadRequest)
			return
		}
		mu.Lock()
		seen[ns[0].CallID] = append(seen[ns[0].CallID], ns[0].ChangeType)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	rep := post(context.Background(), config{url: srv.URL, auth: "Bearer x", calls: 50, first: 1000, conns: 4, timeout: time.Minute})
	if rep.Accepted != 150 || rep.Errors != 0 || rep.Notifications != 150 {
		t.Fatalf("report %+v", rep)
	}
	if rep.End < rep.Start || rep.PerSecond <= 0 {
		t.Errorf("times %+v", rep)
	}
	want := []notification.ChangeType{notification.Created, notification.Updated, notification.Deleted}
	for i := range uint64(50) {
		id := CallID(1000 + i)
		if got := seen[id]; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("call %s: %v", id, got)
		}
	}
	if len(seen) != 50 {
		t.Errorf("%d calls posted, want 50", len(seen))
	}
}

// Refusals are counted and the first one reported in words; a call whose
// notification is refused is not carried on.
func TestPostCountsRefusals(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "the token has expired", http.StatusUnauthorized)
	}))
	defer srv.Close()
	rep := post(context.Background(), config{url: srv.URL, calls: 10, conns: 2, timeout: time.Minute})
	if rep.Errors != 10 || rep.Accepted != 0 {
		t.Fatalf("report %+v: want one refusal per call, none accepted", rep)
	}
	if !strings.Contains(rep.FirstError, "HTTP 401: the token has expired") {
		t.Errorf("first error %q", rep.FirstError)
	}
}

// The run ends at its time bound with what was posted by then.
func TestPostStopsAtItsBound(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	rep := post(ctx, config{url: srv.URL, calls: 1000, conns: 2, timeout: time.Minute})
	if rep.Accepted != 0 || rep.Errors == 0 || rep.Errors > 2 {
		t.Fatalf("report %+v: want the two calls in flight refused by the bound, nothing more posted", rep)
	}
}

func TestParseRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{}, {"-url", "http://example.com:80/"}, {"-url", "http://127.0.0.1:1/", "-calls", "0"},
		{"-url", "http://127.0.0.1:1/", "-conns", "0"}, {"-url", "http://127.0.0.1:1/", "-timeout", "0s"},
		{"-url", "http://127.0.0.1:1/", "-auth-file", "/nonexistent/token"}, {"-serve-bare", "0.0.0.0:0"},
		{"-url", "http://127.0.0.1:1/", "extra"},
	} {
		if _, err := parse(args); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
