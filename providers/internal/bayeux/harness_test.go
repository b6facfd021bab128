package bayeux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"ringside/providers/internal/bayeuxtest"
)

// calls is the channel GWS call notifications arrive on.
const calls = "/v2/me/calls"

// setup is one server kind with one transport.
type setup struct {
	kind      bayeuxtest.Kind
	transport Transport
}

func (s setup) String() string {
	if s.transport == "" {
		return string(s.kind) + "/negotiated"
	}
	return string(s.kind) + "/" + string(s.transport)
}

// setups are the combinations every behaviour is proven on: both servers,
// both faye transports.
var setups = []setup{
	{bayeuxtest.CometD, LongPolling},
	{bayeuxtest.Faye, LongPolling},
	{bayeuxtest.Faye, WebSocket},
}

// forEach runs f against every setup, in parallel, then checks that the
// clients (closed by then) and servers left no goroutine behind.
func forEach(t *testing.T, f func(t *testing.T, st setup)) {
	before := goleak.IgnoreCurrent()
	t.Run("each", func(t *testing.T) {
		for _, st := range setups {
			t.Run(st.String(), func(t *testing.T) {
				t.Parallel()
				f(t, st)
			})
		}
	})
	if err := goleak.Find(before); err != nil {
		t.Errorf("goroutines left after Close: %v", err)
	}
}

// testLogger logs to the test when BAYEUX_TEST_LOG is set.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("BAYEUX_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// watcher reads a client's events in the test goroutine.
type watcher struct {
	t      testing.TB
	c      *Client
	events <-chan Event
	seen   []Event // every event read, in order
}

// startClient starts a client on srv with cfg (URL, Channels and Log filled
// in if empty) and closes it when the test ends.
func startClient(t testing.TB, srv *bayeuxtest.Server, cfg Config) *watcher {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = srv.URL()
	}
	if cfg.Channels == nil {
		cfg.Channels = []string{calls}
	}
	if cfg.Log == nil {
		cfg.Log = testLogger(t)
	}
	if cfg.MaxNetworkDelay == 0 {
		cfg.MaxNetworkDelay = 3 * time.Second
	}
	c, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	w := &watcher{t: t, c: c, events: c.Events()}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Close(ctx)
		// Close drops what was not received; the channel is closed,
		// possibly after events already in its buffer.
		for range c.Events() {
		}
	})
	return w
}

// next returns the next event, failing the test after d.
func (w *watcher) next(d time.Duration) Event {
	w.t.Helper()
	select {
	case ev, ok := <-w.events:
		if !ok {
			w.t.Fatalf("event stream closed; events so far: %s", w.history())
		}
		w.seen = append(w.seen, ev)
		return ev
	case <-time.After(d):
		w.t.Fatalf("no event within %s; events so far: %s", d, w.history())
	}
	return Event{}
}

// until reads events until one satisfies f, failing after d.
func (w *watcher) until(d time.Duration, what string, f func(Event) bool) Event {
	w.t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			w.t.Fatalf("no %s within %s; events so far: %s", what, d, w.history())
		}
		select {
		case ev, ok := <-w.events:
			if !ok {
				w.t.Fatalf("event stream closed before %s; events so far: %s", what, w.history())
			}
			w.seen = append(w.seen, ev)
			if f(ev) {
				return ev
			}
		case <-time.After(left):
			w.t.Fatalf("no %s within %s; events so far: %s", what, d, w.history())
		}
	}
}

// within reads events until one satisfies f and returns it, or reports
// false after d without failing the test.
func (w *watcher) within(d time.Duration, f func(Event) bool) (Event, bool) {
	w.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-w.events:
			if !ok {
				w.t.Fatalf("event stream closed; events so far: %s", w.history())
			}
			w.seen = append(w.seen, ev)
			if f(ev) {
				return ev, true
			}
		case <-timer.C:
			return Event{}, false
		}
	}
}

// ready waits for a session's resync (subscriptions in place) and the Live
// state that comes right after it, and returns the Live event.
func (w *watcher) ready() Event {
	w.t.Helper()
	re := w.until(20*time.Second, "resync", isResync)
	live := w.next(5 * time.Second)
	if !isLive(live) || live.ClientID != re.ClientID {
		w.t.Fatalf("after the resync %s came %s, want the session going live", re, live)
	}
	return live
}

// history describes the events read so far (the last ones, at most).
func (w *watcher) history() string {
	var b strings.Builder
	start := max(0, len(w.seen)-20)
	if start > 0 {
		fmt.Fprintf(&b, "(%d earlier) ", start)
	}
	for _, ev := range w.seen[start:] {
		b.WriteString("[" + ev.String() + "] ")
	}
	return b.String()
}

// seqOf reads the seq field of a burst message.
func seqOf(t testing.TB, data json.RawMessage) int {
	t.Helper()
	var d struct {
		Seq *int `json:"seq"`
	}
	if err := json.Unmarshal(data, &d); err != nil || d.Seq == nil {
		t.Fatalf("message without seq: %s", data)
	}
	return *d.Seq
}

// isMessage, isLive, isResync, isReconnecting match events.
func isMessage(ev Event) bool { return ev.Kind == KindMessage }
func isLive(ev Event) bool    { return ev.Kind == KindState && ev.State == Live }
func isResync(ev Event) bool  { return ev.Kind == KindResync }
func isReconnecting(ev Event) bool {
	return ev.Kind == KindState && ev.State == Reconnecting
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
