package genesys

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/genesys/gwstest"
)

// testWait bounds every wait in the tests.
const testWait = 10 * time.Second

const (
	testUser     = "ksippo"
	testPassword = "s3cret-pass"
)

// fakeFeed is a notification feed driven by the test: it reports a resync
// and a live link when it starts, then whatever the test sends.
type fakeFeed struct {
	mu      sync.Mutex
	out     chan<- notice
	ctx     context.Context
	started chan struct{}
	stop    chan error
	runs    int
}

func newFakeFeed() *fakeFeed {
	return &fakeFeed{started: make(chan struct{}), stop: make(chan error, 1)}
}

func (f *fakeFeed) run(ctx context.Context, out chan<- notice) error {
	f.mu.Lock()
	f.out, f.ctx = out, ctx
	f.runs++
	first := f.runs == 1
	f.mu.Unlock()
	if first {
		close(f.started)
	}
	f.send(notice{kind: noticeResync, detail: "subscribed"})
	f.send(notice{kind: noticeLink, link: providers.LinkLive})
	select {
	case <-ctx.Done():
		return nil
	case err := <-f.stop:
		return err
	}
}

// send hands n to the provider, unless the feed is not running.
func (f *fakeFeed) send(n notice) bool {
	f.mu.Lock()
	out, ctx := f.out, f.ctx
	f.mu.Unlock()
	if out == nil {
		return false
	}
	select {
	case out <- n:
		return true
	case <-ctx.Done():
		return false
	}
}

// settle waits until the provider's loop has taken every notice sent so
// far. The loop handles one notice at a time, so once none waits, the last
// one is handled before anything else the loop hears (a call list read, for
// one).
func (f *fakeFeed) settle(t *testing.T) {
	deadline := time.Now().Add(testWait)
	for {
		f.mu.Lock()
		out := f.out
		f.mu.Unlock()
		if len(out) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("the provider did not take the %d notices waiting for it within %s", len(out), testWait)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// publish is the fake GWS's notification hook.
func (f *fakeFeed) publish(channel string, data []byte) error {
	if !f.send(notice{kind: noticeMessage, channel: channel, data: json.RawMessage(data)}) {
		return fmt.Errorf("no notification session")
	}
	return nil
}

// harness is a provider running against the fake GWS.
type harness struct {
	t    *testing.T
	gws  *gwstest.Server
	srv  *httptest.Server
	p    *Provider
	feed *fakeFeed

	mu     sync.Mutex
	events []providers.Event
	calls  map[string]providers.Call
	status providers.Status
	change chan struct{}

	runErr chan error
	cancel context.CancelFunc
}

type harnessOption func(*gwstest.Options, *Config)

// newGWS starts the fake GWS alone.
func newGWS(t *testing.T, opts gwstest.Options) (*gwstest.Server, *httptest.Server) {
	t.Helper()
	if opts.User == "" {
		opts.User, opts.Password = testUser, testPassword
	}
	if opts.FirstName == "" {
		opts.FirstName, opts.LastName = "Kristi", "Sippola"
	}
	gws := gwstest.New(opts)
	srv := httptest.NewServer(gws)
	t.Cleanup(srv.Close)
	gws.SetBaseURL(srv.URL)
	return gws, srv
}

// newTestProvider builds a provider for the fake GWS at srv.
func newTestProvider(t *testing.T, srvURL string, cfg Config) *Provider {
	t.Helper()
	cfg.URL = srvURL
	if cfg.User == "" {
		cfg.User = testUser
	}
	p, err := New(cfg, providers.Options{
		Log:    testLogger(t),
		Getenv: func(k string) string { return map[string]string{PasswordEnv: testPassword}[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	p.confirmWait = 2 * time.Second
	p.pollEvery = 20 * time.Millisecond
	p.retryMin, p.retryMax = 20*time.Millisecond, 100*time.Millisecond
	return p
}

// testLogger writes the provider's logs to the test log when -v is given.
func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.NewTextHandler(discard{}, nil))
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// startHarness runs a provider with a fake feed against a fake GWS that
// holds the given calls, and waits until it is live.
func startHarness(t *testing.T, cfg Config, calls ...gwstest.Call) *harness {
	t.Helper()
	return startHarnessWith(t, cfg, nil, calls...)
}

// startHarnessWith is startHarness with a chance to adjust the provider
// before it runs.
func startHarnessWith(t *testing.T, cfg Config, adjust func(*Provider), calls ...gwstest.Call) *harness {
	t.Helper()
	gws, srv := newGWS(t, gwstest.Options{})
	for _, c := range calls {
		gws.Put(c)
	}
	h := newHarness(t, gws, srv)
	h.feed = newFakeFeed()
	gws.SetPublish(h.feed.publish)
	h.p = newTestProvider(t, srv.URL, cfg)
	h.p.newFeed = func() feed { return h.feed }
	if adjust != nil {
		adjust(h.p)
	}
	h.run()
	h.waitStatus("live", func(s providers.Status) bool { return s.Link == providers.LinkLive })
	return h
}

// newHarness is a harness for the fake GWS at srv; the caller sets p (and
// feed) and calls run.
func newHarness(t *testing.T, gws *gwstest.Server, srv *httptest.Server) *harness {
	return &harness{t: t, gws: gws, srv: srv, calls: make(map[string]providers.Call), change: make(chan struct{}, 1)}
}

// run starts Run and collects its events.
func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.runErr = make(chan error, 1)
	sink := make(chan providers.Event, 16)
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for ev := range sink {
			h.record(ev)
		}
	}()
	go func() {
		err := h.p.Run(ctx, sink)
		close(sink)
		<-collected
		h.runErr <- err
	}()
	h.t.Cleanup(func() {
		cancel()
		select {
		case <-h.runErr:
		case <-time.After(testWait):
			h.t.Error("Run did not return after its context ended")
		}
	})
}

// stop ends Run and returns its error.
func (h *harness) stop() error {
	h.cancel()
	select {
	case err := <-h.runErr:
		h.runErr <- err // for the cleanup
		return err
	case <-time.After(testWait):
		h.t.Fatal("Run did not return after its context ended")
		return nil
	}
}

// ended waits for Run to return by itself and returns its error.
func (h *harness) ended() error {
	h.t.Helper()
	select {
	case err := <-h.runErr:
		h.runErr <- err // for the cleanup
		return err
	case <-time.After(testWait):
		h.t.Fatal("Run did not return by itself")
		return nil
	}
}

func (h *harness) record(ev providers.Event) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	switch {
	case ev.Call != nil:
		if prev, ok := h.calls[ev.Call.ID]; ok && prev.Version >= ev.Call.Version {
			h.t.Errorf("call %s: version %d after %d", ev.Call.ID, ev.Call.Version, prev.Version)
		}
		h.calls[ev.Call.ID] = *ev.Call
	case ev.Status != nil:
		h.status = *ev.Status
	}
	h.mu.Unlock()
	select {
	case h.change <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds over what has been received.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.NewTimer(testWait)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		ok := cond()
		h.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-h.change:
		case <-deadline.C:
			h.mu.Lock()
			defer h.mu.Unlock()
			h.t.Fatalf("timed out waiting for %s; calls %s; status %+v", what, h.describeLocked(), h.status)
		}
	}
}

func (h *harness) describeLocked() string {
	var parts []string
	for id, c := range h.calls {
		parts = append(parts, fmt.Sprintf("%s=%s/v%d/%v", id, c.State, c.Version, c.Caps.Names()))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// waitCall waits for call id to satisfy cond and returns it.
func (h *harness) waitCall(id, what string, cond func(providers.Call) bool) providers.Call {
	h.t.Helper()
	var got providers.Call
	h.waitFor("call "+id+" "+what, func() bool {
		c, ok := h.calls[id]
		got = c
		return ok && cond(c)
	})
	return got
}

// waitState waits for call id to reach state.
func (h *harness) waitState(id string, state providers.State) providers.Call {
	h.t.Helper()
	return h.waitCall(id, "to be "+string(state), func(c providers.Call) bool { return c.State == state })
}

func (h *harness) waitStatus(what string, cond func(providers.Status) bool) providers.Status {
	h.t.Helper()
	var got providers.Status
	h.waitFor("status "+what, func() bool { got = h.status; return cond(h.status) })
	return got
}

// call returns the last snapshot of call id received.
func (h *harness) call(id string) (providers.Call, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.calls[id]
	return c, ok
}

// posts returns the POST requests to path the fake GWS received.
func posts(gws *gwstest.Server, path string) []gwstest.Request {
	var out []gwstest.Request
	for _, r := range gws.Requests() {
		if r.Method == "POST" && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// resyncUntilLive makes the provider read the lists afresh and returns the
// status it reports once it is live again after going down for the read.
func (h *harness) resyncUntilLive() providers.Status {
	h.t.Helper()
	h.mu.Lock()
	mark := len(h.events)
	h.mu.Unlock()
	h.resync()
	var st providers.Status
	h.waitFor("live again after reading the lists", func() bool {
		down := false
		for _, ev := range h.events[mark:] {
			switch {
			case ev.Status == nil:
			case ev.Status.Link != providers.LinkLive:
				down = true
			case down:
				st = *ev.Status
				return true
			}
		}
		return false
	})
	return st
}
