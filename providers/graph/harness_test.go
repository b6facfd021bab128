package graph

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
)

// syncBuffer is a log sink tests can read while the provider writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// harness runs a provider against the fakes of the Microsoft side.
type harness struct {
	t      *testing.T
	srv    *graphtest.Server
	p      *Provider
	events chan providers.Event
	poster *graphtest.Poster
	logs   *syncBuffer
	clock  *fakeClock
	done   chan error
	cancel context.CancelFunc
	addr   string
	seq    int
}

type setup struct {
	config  func(*Config)
	options func(*providers.Options)
	secret  string // "" means the fake's; "-" means none
	noRun   bool
	tune    func(*Provider) // changes the provider's internals before it runs
}

func newHarness(t *testing.T, s setup) *harness {
	t.Helper()
	srv := graphtest.Start(t, graphtest.Options{})
	h := &harness{t: t, srv: srv, logs: &syncBuffer{}, clock: &fakeClock{t: time.Now()},
		events: make(chan providers.Event, 4096), done: make(chan error, 1)}
	cfg := Config{
		Listen:       "127.0.0.1:0",
		CallbackPath: "/api/calls",
		ClientID:     srv.Options.ClientID,
		Tenant:       srv.Options.Tenant,
		APIBase:      srv.APIBase,
		TokenURL:     srv.Base + "/{tenant}/oauth2/v2.0/token",
		OpenIDConfig: srv.OpenIDConfig,
	}
	if s.config != nil {
		s.config(&cfg)
	}
	secret := srv.Options.ClientSecret
	switch s.secret {
	case "-":
		secret = ""
	case "":
	default:
		secret = s.secret
	}
	opts := providers.Options{
		Log: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now: h.clock.Now,
		Getenv: func(k string) string {
			if k == SecretEnv {
				return secret
			}
			return ""
		},
	}
	if s.options != nil {
		s.options(&opts)
	}
	p, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	if s.tune != nil {
		s.tune(p)
	}
	if s.noRun {
		return h
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- p.Run(ctx, h.events) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	st := h.waitStatus(func(s providers.Status) bool { return s.Link == providers.LinkLive })
	h.addr = st.Detail
	if p.auth != nil {
		deadline := time.Now().Add(5 * time.Second)
		for !p.auth.Ready() {
			if time.Now().After(deadline) {
				t.Fatal("signing keys never loaded")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	h.poster = &graphtest.Poster{URL: h.url(), Signer: srv.Signer, Audience: srv.Options.ClientID}
	return h
}

func (h *harness) url() string { return "http://" + h.addr + "/api/calls" }

// post delivers body with a valid token and expects 202.
func (h *harness) post(body []byte) {
	h.t.Helper()
	rep, err := h.poster.Post(context.Background(), body)
	if err != nil {
		h.t.Fatal(err)
	}
	if rep.Status != 202 {
		h.t.Fatalf("webhook answered %d %q, want 202", rep.Status, rep.Body)
	}
}

func (h *harness) next() providers.Event {
	h.t.Helper()
	select {
	case ev := <-h.events:
		return ev
	case <-time.After(5 * time.Second):
		h.t.Fatal("no event within 5 s")
	}
	return providers.Event{}
}

// call waits for the next call event (skipping status events).
func (h *harness) call() providers.Call {
	h.t.Helper()
	for {
		ev := h.next()
		if ev.Call != nil {
			return *ev.Call
		}
	}
}

// callWhere waits for a call event that satisfies ok.
func (h *harness) callWhere(ok func(providers.Call) bool) providers.Call {
	h.t.Helper()
	for {
		if c := h.call(); ok(c) {
			return c
		}
	}
}

func (h *harness) waitStatus(ok func(providers.Status) bool) providers.Status {
	h.t.Helper()
	for {
		ev := h.next()
		if ev.Status != nil && ok(*ev.Status) {
			return *ev.Status
		}
	}
}

// quiet proves that nothing before it produced an event: it posts a
// notification for a fresh call and expects that call's event to be next.
func (h *harness) quiet() {
	h.t.Helper()
	h.seq++
	id := graphtest.NewCallID()
	h.post(graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id))
	for {
		ev := h.next()
		if ev.Status != nil {
			continue
		}
		if ev.Call.ID != id {
			h.t.Fatalf("unexpected event before the marker: %+v", *ev.Call)
		}
		return
	}
}

func (h *harness) logContains(s string) bool { return strings.Contains(h.logs.String(), s) }
