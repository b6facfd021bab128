package relay

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/natsboard"
	"ringside/providers/natsboard/natsconn"
)

// console is a real console provider (natsboard) joined to a board that a
// relay of the test publishes, with everything it sent its console: what a
// person at that console would see.
type console struct {
	t      testing.TB
	p      *natsboard.Provider
	joined providers.Provider
	log    *syncBuffer

	mu       sync.Mutex
	calls    map[string]providers.Call // the latest snapshot of each call
	statuses []providers.Status
	changed  chan struct{}
}

// consoleSetup adjusts how a console connects.
type consoleSetup struct {
	user, password string
	// sink is the size of the channel between the provider and the test;
	// the console's own is the UI's.
	sink int
}

// startConsole joins boards on url and runs the console until the test
// ends.
func startConsole(t testing.TB, url string, s consoleSetup, boards ...string) *console {
	t.Helper()
	log := &syncBuffer{}
	cfg := natsboard.Config{Boards: boards, NATS: natsconn.Config{URL: url, User: s.user}}
	p, err := natsboard.New(cfg, providers.Options{
		Log: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Getenv: func(k string) string {
			if k == natsconn.PasswordEnv {
				return s.password
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	joined, err := p.Join(ctx)
	if err != nil {
		t.Fatalf("join %v: %v\nlog:\n%s", boards, err, log.String())
	}
	c := &console{t: t, p: p, joined: joined, log: log, calls: map[string]providers.Call{}, changed: make(chan struct{}, 1)}
	if s.sink <= 0 {
		s.sink = 4096
	}
	sink := make(chan providers.Event, s.sink)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx, sink) }()
	go c.collect(runCtx, sink)
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("console run: %v", err)
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
				if old, ok := c.calls[ev.Call.ID]; !ok || ev.Call.Version > old.Version {
					c.calls[ev.Call.ID] = *ev.Call
				}
			}
			if ev.Status != nil {
				c.statuses = append(c.statuses, *ev.Status)
			}
			c.mu.Unlock()
			select {
			case c.changed <- struct{}{}:
			default:
			}
		}
	}
}

// until waits until ok holds for the console's calls and its last status.
func (c *console) until(what string, ok func(calls map[string]providers.Call, st providers.Status) bool) {
	c.t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		done := ok(c.calls, c.lastStatus())
		c.mu.Unlock()
		if done {
			return
		}
		select {
		case <-c.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline.C:
			c.t.Fatalf("console: gave up waiting for %s\n%s", what, c.dump())
		}
	}
}

func (c *console) lastStatus() providers.Status {
	if len(c.statuses) == 0 {
		return providers.Status{}
	}
	return c.statuses[len(c.statuses)-1]
}

func (c *console) dump() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s strings.Builder
	for id, call := range c.calls {
		fmt.Fprintf(&s, "  %s %s v%d %q\n", id, call.State, call.Version, call.End.Text)
	}
	fmt.Fprintf(&s, "status: %+v\nlog:\n%s", c.lastStatus(), c.log.String())
	return s.String()
}

// waitCall waits until the console shows call id in a state ok accepts,
// and returns that snapshot.
func (c *console) waitCall(id, what string, ok func(providers.Call) bool) providers.Call {
	c.t.Helper()
	var got providers.Call
	c.until("call "+id+" "+what, func(calls map[string]providers.Call, _ providers.Status) bool {
		call, found := calls[id]
		if found && ok(call) {
			got = call
			return true
		}
		return false
	})
	return got
}

// waitStatus waits until the console's last status is one ok accepts.
func (c *console) waitStatus(what string, ok func(providers.Status) bool) providers.Status {
	c.t.Helper()
	var got providers.Status
	c.until("status "+what, func(_ map[string]providers.Call, st providers.Status) bool {
		got = st
		return ok(st)
	})
	return got
}

// inState is a check that a call is in st.
func inState(st providers.State) func(providers.Call) bool {
	return func(c providers.Call) bool { return c.State == st }
}
