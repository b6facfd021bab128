package ui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"ringside/providers"
	"ringside/theme"
)

// recorder wraps a provider and records every request that reaches it.
type recorder struct {
	providers.Provider
	mu  sync.Mutex
	got []request
	hit chan struct{}
}

func newRecorder(p providers.Provider) *recorder {
	return &recorder{Provider: p, hit: make(chan struct{}, 16)}
}

func (r *recorder) note(q request) {
	r.mu.Lock()
	r.got = append(r.got, q)
	r.mu.Unlock()
	r.hit <- struct{}{}
}

func (r *recorder) Answer(ctx context.Context, id string) error {
	r.note(request{providers.ActionAnswer, id, ""})
	return r.Provider.Answer(ctx, id)
}

func (r *recorder) Reject(ctx context.Context, id string, reason providers.RejectReason) error {
	r.note(request{providers.ActionReject, id, reason})
	return r.Provider.Reject(ctx, id, reason)
}

func (r *recorder) Hangup(ctx context.Context, id string) error {
	r.note(request{providers.ActionHangup, id, ""})
	return r.Provider.Hangup(ctx, id)
}

func (r *recorder) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

// flowProvider is a small provider of the console's own tests: Run rings
// one call and Reject ends it with the reason's words and code, as a real
// provider reports a reject it sent. The end-to-end test with a real
// provider (the demo) lives beside main.go.
type flowProvider struct {
	call providers.Call
	mu   sync.Mutex
	sink providers.Sink
	ctx  context.Context
}

func newFlowProvider(at time.Time) *flowProvider {
	return &flowProvider{call: providers.Call{
		ID: "flow-1", State: providers.StateRinging, Direction: providers.Incoming,
		From:  providers.Party{Name: "Adele Vance", ID: "+14255550100", Kind: providers.KindPhone},
		To:    providers.Party{Name: "Sales", Kind: providers.KindQueue},
		Queue: "Sales", Modalities: []string{"audio"},
		Arrived: at, AnswerBy: at.Add(time.Minute),
		Caps: providers.Caps(providers.ActionAnswer, providers.ActionReject), Version: 1,
	}}
}

func (f *flowProvider) Name() string { return "flow" }

func (f *flowProvider) Run(ctx context.Context, sink providers.Sink) error {
	f.mu.Lock()
	f.sink, f.ctx = sink, ctx
	c := f.call
	f.mu.Unlock()
	providers.Emit(ctx, sink, providers.StatusEvent(c.Arrived, providers.Status{Link: providers.LinkLive}))
	providers.Emit(ctx, sink, providers.CallEvent(c.Arrived, c))
	<-ctx.Done()
	return nil
}

func (f *flowProvider) Reject(_ context.Context, id string, reason providers.RejectReason) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id != f.call.ID || f.call.State != providers.StateRinging || f.sink == nil {
		return fmt.Errorf("reject %s: %w", id, providers.ErrNotFound)
	}
	if reason != providers.ReasonBusy {
		return fmt.Errorf("reject %s: this fake only knows busy, not %q", id, reason)
	}
	c := &f.call
	c.State, c.Ended, c.Caps, c.Version = providers.StateEnded, c.Arrived.Add(time.Second), 0, c.Version+1
	c.End = providers.EndReason{Code: 486, Text: "Rejected from the console: busy"}
	c.Outcome = providers.OutcomeRejected
	providers.Emit(f.ctx, f.sink, providers.CallEvent(c.Ended, *c))
	return nil
}

func (f *flowProvider) Answer(_ context.Context, id string) error {
	return fmt.Errorf("answer %s: %w", id, providers.ErrNotAllowed)
}

func (f *flowProvider) Hangup(_ context.Context, id string) error {
	return fmt.Errorf("hang up %s: %w", id, providers.ErrNotAllowed)
}

func (f *flowProvider) Transfer(_ context.Context, id string, _ providers.Target) error {
	return fmt.Errorf("transfer %s: %w", id, providers.ErrNotAllowed)
}

func (f *flowProvider) Redirect(_ context.Context, id string, _ providers.Target) error {
	return fmt.Errorf("redirect %s: %w", id, providers.ErrNotAllowed)
}

func (f *flowProvider) Hold(_ context.Context, id string) error {
	return fmt.Errorf("hold %s: %w", id, providers.ErrNotAllowed)
}

func (f *flowProvider) Resume(_ context.Context, id string) error {
	return fmt.Errorf("resume %s: %w", id, providers.ErrNotAllowed)
}

func (f *flowProvider) Address(t providers.Target) (string, error) { return t.String(), nil }

func (f *flowProvider) Offers() providers.Capabilities {
	return providers.Caps(providers.ActionAnswer, providers.ActionReject, providers.ActionHangup)
}

func (f *flowProvider) RejectReasons() []providers.RejectReason { return providers.RejectReasons }

// End to end through a real program: the provider rings one call, the user
// presses r then b, the provider receives reject(busy), and the call ends
// with the busy reason, which the status line and the history show.
func TestFlowRejectBusy(t *testing.T) {
	clk := &clock{t: t0}
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clk.t }
	p := newFlowProvider(t0)
	rec := newRecorder(p)
	events := make(chan providers.Event, 4096)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- p.Run(ctx, events) }()
	defer func() {
		cancel()
		select {
		case <-ran:
		case <-time.After(5 * time.Second):
			t.Error("the provider did not stop")
		}
	}()

	m := New(Config{Provider: rec, Events: events, Context: ctx, Theme: theme.Mono, Now: now})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII)))

	out := &screenLog{r: tm.Output()}
	out.waitFor(t, "◉ ringing", "reject…")
	tm.Type("r")
	out.waitFor(t, "(b)  tell the caller we are busy")
	tm.Type("b")

	select {
	case <-rec.hit:
	case <-time.After(5 * time.Second):
		t.Fatal("no request reached the provider")
	}
	got := rec.requests()
	if len(got) != 1 || got[0].Action != providers.ActionReject || got[0].Reason != providers.ReasonBusy {
		t.Fatalf("provider received %v, want one reject(busy)", got)
	}
	id := got[0].ID

	// The call leaves the live tab; the status line says why.
	out.waitFor(t, "Rejected from the console: busy (486)")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyTab})
	out.waitFor(t, "✗ rejected")
	tm.Type("q")

	fm, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if !ok {
		t.Fatal("final model is not the console")
	}
	r := fm.store.get(id)
	switch {
	case r == nil:
		t.Fatalf("call %s unknown at the end", id)
	case !r.isEnded() || r.call.State() != providers.StateEnded:
		t.Fatalf("call %s is %s, want ended", id, r.call.State())
	case r.view().End.Code != 486 || !strings.Contains(r.view().End.Text, "busy"):
		t.Fatalf("call %s ended with %v, want the busy reason", id, r.view().End)
	case r.view().Result() != providers.OutcomeRejected:
		t.Fatalf("outcome %q, want rejected", r.view().Result())
	case fm.store.hist.Len() != 1 || fm.store.live.Len() != 0:
		t.Fatalf("live %d, history %d; want 0 and 1", fm.store.live.Len(), fm.store.hist.Len())
	}
	// The history row says how and why it ended.
	var line string
	for _, l := range strings.Split(ansi.Strip(fm.View().Content), "\n") {
		if strings.Contains(l, "✗ rejected") {
			line = l
		}
	}
	if !strings.Contains(line, "Rejected from the console: busy (486)") {
		t.Errorf("history row %q does not give the busy reason", line)
	}
	if fm.ctx.Err() == nil {
		t.Error("quitting did not stop the console's background work")
	}
}

// screenLog accumulates a program's output for waiting on text.
type screenLog struct {
	r   io.Reader
	buf bytes.Buffer
}

// waitFor waits until every one of want has appeared in the output since the
// start (the renderer may draw the pieces of a screen in separate writes).
func (s *screenLog) waitFor(t *testing.T, want ...string) {
	t.Helper()
	prev := s.buf.Len()
	teatest.WaitFor(t, s.r, func(b []byte) bool {
		// b is everything read during this wait.
		s.buf.Truncate(prev)
		s.buf.Write(b)
		for _, w := range want {
			if !bytes.Contains(s.buf.Bytes(), []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}
