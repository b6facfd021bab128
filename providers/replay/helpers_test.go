package replay

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/jsonstream"
)

// t0 is when the test recordings started.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

const header = `{"type":"recording","format":1,"provider":"graph","ringside":"test","started":"2026-11-23T09:00:00Z"}`

// rec builds a recording's lines.
type rec struct {
	t     *testing.T
	lines []string
}

func newRec(t *testing.T) *rec { return &rec{t: t, lines: []string{header}} }

func (r *rec) event(at time.Duration, ev providers.Event) *rec {
	ev.Time = t0.Add(at)
	b, err := jsonstream.MarshalEvent("graph", ev)
	if err != nil {
		r.t.Fatal(err)
	}
	r.lines = append(r.lines, string(b))
	return r
}

func (r *rec) call(at time.Duration, c providers.Call) *rec {
	return r.event(at, providers.CallEvent(t0.Add(at), c))
}

func (r *rec) status(at time.Duration, link providers.Link, detail string) *rec {
	return r.event(at, providers.StatusEvent(t0.Add(at), providers.Status{Link: link, Detail: detail}))
}

func (r *rec) raw(line string) *rec {
	r.lines = append(r.lines, line)
	return r
}

// file writes the recording and returns its path.
func (r *rec) file() string {
	path := filepath.Join(r.t.TempDir(), "rec.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(r.lines, "\n")+"\n"), 0o600); err != nil {
		r.t.Fatal(err)
	}
	return path
}

// ringing is call id ringing from at, with Teams' 15 s to answer.
func ringing(id string, at time.Duration) providers.Call {
	return providers.Call{ID: id, Provider: "graph", State: providers.StateRinging, Direction: providers.Incoming,
		From: providers.Party{Name: "Caller " + id, ID: "+14255550100", Kind: providers.KindPhone}, Queue: "Sales",
		Arrived: t0.Add(at), AnswerBy: t0.Add(at + 15*time.Second),
		Caps: providers.Caps(providers.ActionAnswer, providers.ActionReject, providers.ActionRedirect), Version: 1}
}

func answered(c providers.Call, at time.Duration) providers.Call {
	c.State, c.Answered, c.AnswerBy, c.Version = providers.StateActive, t0.Add(at), time.Time{}, c.Version+1
	c.Caps = providers.Caps(providers.ActionHangup, providers.ActionTransfer)
	return c
}

func ended(c providers.Call, at time.Duration, code int) providers.Call {
	c.State, c.Ended, c.AnswerBy, c.Caps, c.Version = providers.StateEnded, t0.Add(at), time.Time{}, 0, c.Version+1
	c.End = providers.EndReason{Code: code, Text: "ended in the recording"}
	return c
}

// fakeClock is a clock the test moves; it counts reads, so a test can wait
// until the provider has looked at it since it was moved.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	reads int
	read  chan struct{}
}

func newFakeClock(at time.Time) *fakeClock { return &fakeClock{now: at, read: make(chan struct{}, 1)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	select {
	case c.read <- struct{}{}:
	default:
	}
	return c.now
}

func (c *fakeClock) set(at time.Time) {
	c.mu.Lock()
	c.now = at
	c.mu.Unlock()
}

func (c *fakeClock) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// settle waits until the provider has read the clock twice since now (or
// stopped): every decision made on an earlier reading has been acted on,
// its events sent, before the second read.
func (c *fakeClock) settle(t *testing.T, stopped <-chan struct{}) {
	t.Helper()
	from := c.count()
	deadline := time.After(10 * time.Second)
	for c.count() < from+2 {
		select {
		case <-c.read:
		case <-stopped:
			return
		case <-deadline:
			t.Fatal("the replay stopped reading the clock")
		}
	}
}

// player runs a replay for a test and collects what it sends.
type player struct {
	t      *testing.T
	p      *Provider
	sink   chan providers.Event
	done   chan struct{} // closed when Run has returned, err then set
	err    error
	cancel context.CancelFunc
	got    []providers.Event
}

func play(t *testing.T, cfg Config, opts providers.Options) *player {
	t.Helper()
	p, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pl := &player{t: t, p: p, sink: make(chan providers.Event, 10000), done: make(chan struct{}), cancel: cancel}
	go func() {
		pl.err = p.Run(ctx, pl.sink)
		close(pl.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-pl.done:
		case <-time.After(10 * time.Second):
			t.Error("the replay did not stop")
		}
	})
	return pl
}

// drain takes what has been sent so far.
func (pl *player) drain() []providers.Event {
	for {
		select {
		case ev := <-pl.sink:
			pl.got = append(pl.got, ev)
		default:
			return pl.got
		}
	}
}

// until takes events until one satisfies ok, and returns that one.
func (pl *player) until(what string, ok func(providers.Event) bool) providers.Event {
	pl.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-pl.sink:
			pl.got = append(pl.got, ev)
			if ok(ev) {
				return ev
			}
		case <-deadline:
			pl.t.Fatalf("%s: not sent; got %s", what, describe(pl.got))
		}
	}
}

// finished reports whether ev is the status that ends a replay.
func finished(ev providers.Event) bool {
	return ev.Status != nil && strings.Contains(ev.Status.Detail, "the recording ends here")
}

func callIs(id string, s providers.State) func(providers.Event) bool {
	return func(ev providers.Event) bool { return ev.Call != nil && ev.Call.ID == id && ev.Call.State == s }
}

// calls is the call events of evs, as "id state" words.
func calls(evs []providers.Event) []string {
	var out []string
	for _, ev := range evs {
		if ev.Call != nil {
			out = append(out, ev.Call.ID+" "+string(ev.Call.State))
		}
	}
	return out
}

func describe(evs []providers.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		switch {
		case ev.Call != nil:
			b.WriteString("\n  call " + ev.Call.ID + " " + string(ev.Call.State))
		case ev.Status != nil:
			b.WriteString("\n  status " + string(ev.Status.Link) + " " + ev.Status.Detail)
		}
	}
	return b.String()
}
