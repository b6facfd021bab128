package natsboard

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/natsboard/boardtest"
	"ringside/providers/natsboard/natsconn"
)

// t0 is when the calls of the tests arrived.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// ringing is a ringing call the relay of the tests would write.
func ringing(id string, caps ...providers.Action) providers.Call {
	if caps == nil {
		caps = []providers.Action{providers.ActionAnswer, providers.ActionReject, providers.ActionRedirect}
	}
	return providers.Call{ID: id, Provider: "demo", State: providers.StateRinging, Direction: providers.Incoming,
		From: providers.Party{Name: "Caller " + id, Kind: providers.KindUser}, Queue: "Support",
		Arrived: t0, AnswerBy: t0.Add(15 * time.Second), Caps: providers.Caps(caps...), Version: 1}
}

// active is c answered.
func active(c providers.Call) providers.Call {
	c.State, c.Answered, c.Caps = providers.StateActive, t0.Add(2*time.Second),
		providers.Caps(providers.ActionHangup, providers.ActionTransfer, providers.ActionHold)
	c.Version++
	return c
}

// ended is c ended.
func ended(c providers.Call, why string) providers.Call {
	c.State, c.Ended, c.Caps, c.End = providers.StateEnded, t0.Add(time.Minute), 0, providers.EndReason{Text: why}
	c.Version++
	return c
}

// logBuffer collects the provider's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// console is a provider joined to boards and running, with what it sent.
type console struct {
	t      *testing.T
	p      *Provider
	joined providers.Provider
	log    *logBuffer
	stop   context.CancelFunc
	done   chan error

	mu       sync.Mutex
	calls    map[string]providers.Call // the latest snapshot of each call
	events   []providers.Call          // every call event, in order
	statuses []providers.Status
}

// setup adjusts a console before it joins.
type setup struct {
	user, password string
	maxCalls       int
	tune           func(*Provider)
}

// newProvider builds a provider for boards on srv.
func newProvider(t *testing.T, url string, s setup, boards ...string) (*Provider, *logBuffer) {
	t.Helper()
	log := &logBuffer{}
	cfg := Config{Boards: boards, NATS: natsconn.Config{URL: url, User: s.user}}
	opts := providers.Options{
		Log:      slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MaxCalls: s.maxCalls,
		Getenv: func(k string) string {
			if k == natsconn.PasswordEnv {
				return s.password
			}
			return ""
		},
	}
	p, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.tune != nil {
		s.tune(p)
	}
	return p, log
}

// join joins boards on srv and runs the provider until the test ends.
func join(t *testing.T, url string, s setup, boards ...string) *console {
	t.Helper()
	p, log := newProvider(t, url, s, boards...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	joined, err := p.Join(ctx)
	if err != nil {
		t.Fatalf("join: %v\nlog: %s", err, log.String())
	}
	c := &console{t: t, p: p, joined: joined, log: log, done: make(chan error, 1), calls: map[string]providers.Call{}}
	runCtx, stop := context.WithCancel(context.Background())
	c.stop = stop
	sink := make(chan providers.Event, 4096)
	go func() { c.done <- p.Run(runCtx, sink) }()
	go c.collect(runCtx, sink)
	t.Cleanup(func() {
		stop()
		if err := <-c.done; err != nil {
			t.Errorf("run: %v", err)
		}
		p.Close()
	})
	return c
}

func (c *console) collect(ctx context.Context, sink <-chan providers.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sink:
			c.mu.Lock()
			if ev.Call != nil {
				c.events = append(c.events, *ev.Call)
				if old, ok := c.calls[ev.Call.ID]; !ok || ev.Call.Version > old.Version {
					c.calls[ev.Call.ID] = *ev.Call
				}
			}
			if ev.Status != nil {
				c.statuses = append(c.statuses, *ev.Status)
			}
			c.mu.Unlock()
		}
	}
}

// waitFor waits until ok holds for what the console has, failing with what
// after 20 s.
func (c *console) waitFor(what string, ok func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.mu.Lock()
		done := ok()
		c.mu.Unlock()
		if done {
			return
		}
		if time.Now().After(deadline) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.t.Fatalf("%s\ncalls: %+v\nstatuses: %+v\nlog: %s", what, c.calls, c.statuses, c.log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// call is the latest snapshot of id (under c.mu).
func (c *console) call(id string) (providers.Call, bool) {
	got, ok := c.calls[id]
	return got, ok
}

// waitCall waits until the call id is in state st.
func (c *console) waitCall(id string, st providers.State) providers.Call {
	c.t.Helper()
	var got providers.Call
	c.waitFor("call "+id+" "+string(st), func() bool {
		var ok bool
		got, ok = c.call(id)
		return ok && got.State == st
	})
	return got
}

// status is the last status sent (under c.mu).
func (c *console) status() providers.Status {
	if len(c.statuses) == 0 {
		return providers.Status{}
	}
	return c.statuses[len(c.statuses)-1]
}

// waitStatus waits until the last status satisfies ok.
func (c *console) waitStatus(what string, ok func(providers.Status) bool) providers.Status {
	c.t.Helper()
	var got providers.Status
	c.waitFor(what, func() bool {
		got = c.status()
		return ok(got)
	})
	return got
}

// live is a status that is the relay's live one.
func live(s providers.Status) bool { return s.Link == providers.LinkLive }

// eventCount is how many call events have arrived.
func (c *console) eventCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// eventsSince are the call events after the first n.
func (c *console) eventsSince(n int) []providers.Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]providers.Call(nil), c.events[n:]...)
}

// logged waits until the log holds every one of words.
func (c *console) logged(words ...string) {
	c.t.Helper()
	c.waitFor("log lines with "+strings.Join(words, ", "), func() bool {
		l := c.log.String()
		for _, w := range words {
			if !strings.Contains(l, w) {
				return false
			}
		}
		return true
	})
}

// publish starts a board with a relay's lease, a live status and calls.
func publish(t *testing.T, srv *boardtest.Server, name string, calls ...providers.Call) *boardtest.Board {
	t.Helper()
	b := boardtest.Publish(t, srv.Connect("", ""), boardtest.Meta(name, "demo", providers.Actions...))
	b.TakeLease()
	b.Status(providers.Status{Link: providers.LinkLive, Detail: "simulated, seed 7"})
	for _, c := range calls {
		b.Call(c)
	}
	return b
}
