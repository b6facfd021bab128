package main

import (
	"bytes"
	"context"
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
	"ringside/providers/demo"
)

// TestConsoleRejectBusyWithDemo is the console end to end, wired as main
// wires it: the demo provider rings one call, the user presses r then b, the
// provider receives reject(busy), the call ends with the busy reason, which
// the status line and the history show, and quitting stops the provider.
func TestConsoleRejectBusyWithDemo(t *testing.T) {
	// The demo's clock stands still, so nothing rings out or hangs up on
	// its own while the test types; the console's own clock runs.
	frozen := time.Now()
	p, err := demo.New(demo.Config{Rate: 0, Calls: 1, Seed: 1},
		providers.Options{Now: func() time.Time { return frozen }, AnswerWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	rec := &rejectLog{Provider: p, hit: make(chan struct{}, 16)}

	te := newTestEnv(nil)
	e := te.env()
	var final tea.Model
	var id string
	e.runConsole = func(m tea.Model, opts ...tea.ProgramOption) error {
		opts = append(opts, tea.WithColorProfile(colorprofile.ASCII))
		tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30), teatest.WithProgramOptions(opts...))
		out := &screen{r: tm.Output()}
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
		if len(got) != 1 || got[0].reason != providers.ReasonBusy {
			t.Fatalf("provider received %+v, want one reject(busy)", got)
		}
		id = got[0].id

		// The call leaves the live tab; the status line says why: the
		// call's end, or the reject's result when it arrives after the end
		// (the two race, and a frame shows only the later one).
		out.waitForAny(t, "Rejected from the console: busy (486)", "(busy)")
		tm.Send(tea.KeyPressMsg{Code: tea.KeyTab})
		out.waitFor(t, "✗ rejected")
		tm.Type("q")
		final = tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
		return nil
	}
	// Exit 0 also says the demo's Run returned once the console ended: a
	// provider that does not stop within the grace is an error.
	if code := console(e, consoleCmd{Theme: "mono", ActionTimeout: 15 * time.Second}, figuresFlags{}, rec, consoleTargets{keep: 5}, discardLog()); code != exitOK {
		t.Fatalf("exit %d: %s", code, te.stderr.String())
	}
	if final == nil {
		t.Fatal("the console never ran")
	}

	screenText := ansi.Strip(final.View().Content)
	// The history row says how and why it ended.
	var line string
	for _, l := range strings.Split(screenText, "\n") {
		if strings.Contains(l, "✗ rejected") {
			line = l
		}
	}
	if !strings.Contains(line, "Rejected from the console: busy (486)") {
		t.Errorf("history row %q does not give the busy reason", line)
	}
	if !strings.Contains(screenText, "Live 0") || !strings.Contains(screenText, "History 1") {
		t.Errorf("want no live call and one in the history:\n%s", screenText)
	}
	// The provider's last word on the call: ended, rejected, busy.
	end, ok := demo.RejectEnd(providers.ReasonBusy)
	if !ok || end.Code != 486 || !strings.Contains(end.Text, "busy") {
		t.Fatalf("the demo's busy end is %+v", end)
	}
	if rec.lastEnd(id) != end {
		t.Errorf("call %s ended with %+v, want %+v", id, rec.lastEnd(id), end)
	}
}

// rejectLog wraps a provider, records each reject that reaches it, and
// remembers the last end reason each call was reported with.
type rejectLog struct {
	providers.Provider
	hit chan struct{}

	mu   sync.Mutex
	got  []rejectRequest
	ends map[string]providers.EndReason
}

type rejectRequest struct {
	id     string
	reason providers.RejectReason
}

func (r *rejectLog) Reject(ctx context.Context, id string, reason providers.RejectReason) error {
	r.mu.Lock()
	r.got = append(r.got, rejectRequest{id, reason})
	r.mu.Unlock()
	r.hit <- struct{}{}
	return r.Provider.Reject(ctx, id, reason)
}

// Run passes the provider's events on, noting the calls that ended.
func (r *rejectLog) Run(ctx context.Context, sink providers.Sink) error {
	in := make(chan providers.Event, cap(sink))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range in {
			if ev.Call != nil && ev.Call.State == providers.StateEnded {
				r.mu.Lock()
				if r.ends == nil {
					r.ends = map[string]providers.EndReason{}
				}
				r.ends[ev.Call.ID] = ev.Call.End
				r.mu.Unlock()
			}
			if !providers.Emit(ctx, sink, ev) {
				return
			}
		}
	}()
	err := r.Provider.Run(ctx, in)
	close(in)
	<-done
	return err
}

func (r *rejectLog) requests() []rejectRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rejectRequest(nil), r.got...)
}

func (r *rejectLog) lastEnd(id string) providers.EndReason {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ends[id]
}

// screen accumulates a program's output for waiting on text.
type screen struct {
	r   io.Reader
	buf bytes.Buffer
}

// waitFor waits until every one of want has appeared in the output since the
// start (the renderer may draw the pieces of a screen in separate writes).
func (s *screen) waitFor(t *testing.T, want ...string) {
	t.Helper()
	prev := s.buf.Len()
	teatest.WaitFor(t, s.r, func(b []byte) bool {
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

// waitForAny waits until the output holds one of want.
func (s *screen) waitForAny(t *testing.T, want ...string) {
	t.Helper()
	prev := s.buf.Len()
	teatest.WaitFor(t, s.r, func(b []byte) bool {
		s.buf.Truncate(prev)
		s.buf.Write(b)
		for _, w := range want {
			if bytes.Contains(s.buf.Bytes(), []byte(w)) {
				return true
			}
		}
		return false
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// TestConsoleGivesUpOnAStuckProvider: the console stops its provider as the
// JSON stream does, with the same grace and the same words when the
// provider does not stop in time.
func TestConsoleGivesUpOnAStuckProvider(t *testing.T) {
	te := newTestEnv(nil)
	e := te.env()
	e.stopGrace = 50 * time.Millisecond
	e.runConsole = func(tea.Model, ...tea.ProgramOption) error { return nil }
	p := &stuckProvider{release: make(chan struct{})}
	defer close(p.release)
	if code := console(e, consoleCmd{Theme: "mono"}, figuresFlags{}, p, consoleTargets{keep: 5}, discardLog()); code != exitFailed {
		t.Fatalf("exit %d, want %d", code, exitFailed)
	}
	if !strings.Contains(te.stderr.String(), "stuck: did not stop within 50ms") {
		t.Errorf("stderr %q", te.stderr.String())
	}
}
