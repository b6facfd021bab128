package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers"
)

// fakeProvider sends its events, then waits for ctx (or returns at once
// with stopAfter), and answers each action with errs[action].
type fakeProvider struct {
	name      string
	events    []providers.Event
	stopAfter bool
	errs      map[string]error
	mu        sync.Mutex
	got       []string
}

func (p *fakeProvider) Name() string { return p.name }
func (p *fakeProvider) Run(ctx context.Context, sink providers.Sink) error {
	for _, ev := range p.events {
		if !providers.Emit(ctx, sink, ev) {
			return nil
		}
	}
	if !p.stopAfter {
		<-ctx.Done()
	}
	return nil
}
func (p *fakeProvider) do(what string) error {
	p.mu.Lock()
	p.got = append(p.got, what)
	p.mu.Unlock()
	return p.errs[strings.Fields(what)[0]]
}
func (p *fakeProvider) Answer(_ context.Context, id string) error { return p.do("answer " + id) }
func (p *fakeProvider) Reject(_ context.Context, id string, r providers.RejectReason) error {
	return p.do("reject " + id + " " + string(r))
}
func (p *fakeProvider) Hangup(_ context.Context, id string) error { return p.do("hangup " + id) }
func (p *fakeProvider) Transfer(_ context.Context, id string, to providers.Target) error {
	return p.do("transfer " + id + " " + to.String())
}
func (p *fakeProvider) Redirect(_ context.Context, id string, to providers.Target) error {
	return p.do("redirect " + id + " " + to.String())
}
func (p *fakeProvider) Hold(_ context.Context, id string) error   { return p.do("hold " + id) }
func (p *fakeProvider) Resume(_ context.Context, id string) error { return p.do("resume " + id) }
func (p *fakeProvider) Address(t providers.Target) (string, error) {
	return t.String(), nil
}
func (p *fakeProvider) Offers() providers.Capabilities          { return providers.Caps(providers.Actions...) }
func (p *fakeProvider) RejectReasons() []providers.RejectReason { return providers.RejectReasons }

// The optional parts, to embed beside a *fakeProvider.
type agentPart_ struct{ p *fakeProvider }

func (a agentPart_) AgentChoices(context.Context) ([]providers.AgentChoice, error) {
	return []providers.AgentChoice{{State: providers.AgentReady}}, nil
}
func (a agentPart_) SetAgentState(_ context.Context, c providers.AgentChoice) error {
	return a.p.do("state " + string(c.State) + " " + c.Code)
}

type recheckPart_ struct{ p *fakeProvider }

func (r recheckPart_) Recheck(context.Context, []providers.Call) error { return r.p.do("recheck") }

type boardsPart_ struct{}

func (boardsPart_) Boards() []string { return []string{"front", "back"} }

type agentFake struct {
	*fakeProvider
	agentPart_
}

// recordingPath is a fresh recording's path in a test's directory.
func recordingPath(t *testing.T) string { return filepath.Join(t.TempDir(), "rec.jsonl") }

func startRecording(t *testing.T, p providers.Provider, red *Redactor) (providers.Provider, *Writer, string) {
	t.Helper()
	path := recordingPath(t)
	w, err := Create(path, Header{Provider: p.Name(), Ringside: "test", Started: t0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return Wrap(p, w, red, providers.Options{}), w, path
}

// readFile reads a closed recording back.
func readFile(t *testing.T, path string) (Header, []Entry) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, es, err := readAll(t, string(b))
	if err != nil {
		t.Fatalf("the recording does not read back: %v", err)
	}
	return h, es
}

// runAll runs p to its end (a provider that stops by itself) and returns
// what it passed on.
func runAll(t *testing.T, p providers.Provider, room int) []providers.Event {
	t.Helper()
	sink := make(chan providers.Event, room)
	if err := p.Run(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	close(sink)
	var got []providers.Event
	for ev := range sink {
		got = append(got, ev)
	}
	return got
}

func TestWrapPassesEventsOnAndRecordsThem(t *testing.T) {
	ring := providers.Call{ID: "c1", Provider: "demo", State: providers.StateRinging, Arrived: t0, Version: 1,
		From:    providers.Party{Name: "Ana Lima", ID: "+14255550100", Kind: providers.KindPhone},
		RingOut: providers.RingOutNotReady}
	talk := ring
	talk.State, talk.Answered, talk.Version = providers.StateActive, t0.Add(2*time.Second), 2
	inner := &fakeProvider{name: "demo", stopAfter: true, events: []providers.Event{
		providers.StatusEvent(t0, providers.Status{Link: providers.LinkLive, Detail: "simulated", Agent: "Ready"}),
		providers.CallEvent(t0.Add(time.Second), ring),
		providers.CallEvent(t0.Add(2*time.Second), talk),
	}}
	p, w, path := startRecording(t, inner, nil)
	got := runAll(t, p, 10)
	if len(got) != 3 || got[0].Status.Detail != "simulated" || got[1].Call.State != providers.StateRinging || got[2].Call.State != providers.StateActive {
		t.Fatalf("events passed on changed: %+v", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	h, es := readFile(t, path)
	if h.Provider != "demo" || h.Format != Format || h.Redacted {
		t.Errorf("header %+v", h)
	}
	if len(es) != 3 || es[0].Status.Agent != "Ready" || es[1].Call.From.Name != "Ana Lima" || es[2].Call.State != providers.StateActive {
		t.Fatalf("recorded %+v", es)
	}
	if es[1].Call.RingOut != providers.RingOutNotReady {
		t.Errorf("what the switch does if the call rings out is lost: %d", es[1].Call.RingOut)
	}
	if !es[2].Time.Equal(t0.Add(2*time.Second)) || !es[2].Call.Answered.Equal(talk.Answered) {
		t.Errorf("times changed: %v %v", es[2].Time, es[2].Call.Answered)
	}
}

func TestWrapRecordsActionsAndTheirResults(t *testing.T) {
	inner := &fakeProvider{name: "graph", errs: map[string]error{
		"reject":   fmt.Errorf("reject c2: %w", providers.ErrEnded),
		"hangup":   fmt.Errorf("hangup c3: %w", &providers.RefusedError{Status: 403, Code: "Forbidden", Message: "no"}),
		"transfer": fmt.Errorf("transfer c4: %w", context.DeadlineExceeded),
		"hold":     fmt.Errorf("hold c5: %w", providers.ErrNotAllowed),
		"resume":   fmt.Errorf("resume c6: %w", providers.ErrNotFound),
		"redirect": fmt.Errorf("redirect c7: %w", providers.ErrBadTarget),
	}}
	p, w, path := startRecording(t, agentFake{inner, agentPart_{inner}}, nil)
	ctx := context.Background()
	sales := providers.Target{Name: "Sales desk", Kind: providers.TargetQueue, Phone: "+14255550199"}
	results := []error{
		p.Answer(ctx, "c1"),
		p.Reject(ctx, "c2", providers.ReasonBusy),
		p.Hangup(ctx, "c3"),
		p.Transfer(ctx, "c4", sales),
		p.Hold(ctx, "c5"),
		p.Resume(ctx, "c6"),
		p.Redirect(ctx, "c7", sales),
		p.(providers.AgentControl).SetAgentState(ctx, providers.AgentChoice{State: providers.AgentNotReady, Code: "lunch"}),
	}
	// The provider's answers come back unchanged.
	var refused *providers.RefusedError
	if !errors.As(results[2], &refused) || refused.Status != 403 {
		t.Errorf("hangup: %v, want the server's refusal", results[2])
	}
	results[2] = nil
	for i, want := range []error{nil, providers.ErrEnded, nil, context.DeadlineExceeded, providers.ErrNotAllowed, providers.ErrNotFound, providers.ErrBadTarget, nil} {
		if (want == nil) != (results[i] == nil) || want != nil && !errors.Is(results[i], want) {
			t.Errorf("result %d: %v, want %v", i, results[i], want)
		}
	}
	w.Close()
	_, es := readFile(t, path)
	want := []struct{ action, call, result, kind, words string }{
		{"answer", "c1", "ok", "", ""},
		{"reject", "c2", "error", KindEnded, "already ended"},
		{"hangup", "c3", "error", KindRefused, "HTTP 403"},
		{"transfer", "c4", "error", KindTimeout, "deadline"},
		{"hold", "c5", "error", KindNotAllowed, "not allowed"},
		{"resume", "c6", "error", KindNotFound, "not found"},
		{"redirect", "c7", "error", KindBadTarget, "not a valid target"},
		{"state", "", "ok", "", ""},
	}
	if len(es) != len(want) {
		t.Fatalf("%d lines, want %d", len(es), len(want))
	}
	for i, w := range want {
		a := es[i].Action
		if a == nil || a.Action != w.action || a.Call != w.call || a.Result != w.result || a.Kind != w.kind || !strings.Contains(a.Error, w.words) {
			t.Errorf("line %d: %+v, want %+v", i+2, a, w)
		}
	}
	if es[1].Action.Reason != "busy" || es[3].Action.Target != "Sales desk" || es[3].Action.TargetKind != "queue" {
		t.Errorf("reason or target: %+v %+v", es[1].Action, es[3].Action)
	}
	if st := es[7].Action; st.State != "not-ready" || st.Code != "lunch" {
		t.Errorf("agent state line: %+v", st)
	}
}

// The wrapper answers the console's, the relay's and main's type
// assertions as the provider it wraps does, no more and no less.
func TestWrapHasExactlyTheOptionalInterfacesOfItsProvider(t *testing.T) {
	type (
		withAgent struct {
			*fakeProvider
			agentPart_
		}
		withRecheck struct {
			*fakeProvider
			recheckPart_
		}
		withBoards struct {
			*fakeProvider
			boardsPart_
		}
		withAgentRecheck struct {
			*fakeProvider
			agentPart_
			recheckPart_
		}
		withAgentBoards struct {
			*fakeProvider
			agentPart_
			boardsPart_
		}
		withRecheckBoards struct {
			*fakeProvider
			recheckPart_
			boardsPart_
		}
		withAll struct {
			*fakeProvider
			agentPart_
			recheckPart_
			boardsPart_
		}
	)
	b := &fakeProvider{name: "x"}
	a, r := agentPart_{b}, recheckPart_{b}
	for name, p := range map[string]providers.Provider{
		"plain":                  b,
		"agent":                  withAgent{b, a},
		"recheck":                withRecheck{b, r},
		"boards":                 withBoards{b, boardsPart_{}},
		"agent, recheck":         withAgentRecheck{b, a, r},
		"agent, boards":          withAgentBoards{b, a, boardsPart_{}},
		"recheck, boards":        withRecheckBoards{b, r, boardsPart_{}},
		"agent, recheck, boards": withAll{b, a, r, boardsPart_{}},
	} {
		t.Run(name, func(t *testing.T) {
			w, err := newWriter(nopCloser{io.Discard}, "x", Header{Provider: "x", Started: t0}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			wrapped := Wrap(p, w, nil, providers.Options{})
			_, innerAgent := p.(providers.AgentControl)
			_, innerRecheck := p.(providers.Rechecker)
			_, innerBoards := p.(boarded)
			_, agent := wrapped.(providers.AgentControl)
			_, recheck := wrapped.(providers.Rechecker)
			_, boards := wrapped.(boarded)
			if agent != innerAgent || recheck != innerRecheck || boards != innerBoards {
				t.Fatalf("wrapped: agent %v recheck %v boards %v; provider: %v %v %v", agent, recheck, boards, innerAgent, innerRecheck, innerBoards)
			}
			if recheck {
				wrapped.(providers.Rechecker).Recheck(context.Background(), nil)
			}
			if boards && len(wrapped.(boarded).Boards()) != 2 {
				t.Error("Boards not passed through")
			}
			if recheck && !strings.Contains(strings.Join(b.got, ","), "recheck") {
				t.Error("Recheck not passed through")
			}
		})
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// stuckDisk takes the header, then blocks every write until released:
// a disk that cannot keep up at all.
type stuckDisk struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
	writes  int
}

func (d *stuckDisk) Write(b []byte) (int, error) {
	d.mu.Lock()
	first := d.writes == 0
	d.writes++
	d.mu.Unlock()
	if !first {
		<-d.release
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.buf.Write(b)
}
func (d *stuckDisk) Close() error { return nil }

// A disk that stops neither blocks the provider nor the console: every
// event still reaches the console at once, the lines that find no room are
// counted, the console's status says so, and what was written is whole.
func TestWrapNeverWaitsForTheDisk(t *testing.T) {
	const n = queueLines + 3000
	events := []providers.Event{providers.StatusEvent(t0, providers.Status{Link: providers.LinkLive, Detail: "here"})}
	for i := range n {
		events = append(events, providers.CallEvent(t0, providers.Call{ID: fmt.Sprintf("c%d", i), State: providers.StateRinging, Version: 1}))
	}
	inner := &fakeProvider{name: "demo", events: events, stopAfter: true}
	disk := &stuckDisk{release: make(chan struct{})}
	w, err := newWriter(disk, "stuck.jsonl", Header{Provider: "demo", Started: t0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := runAll(t, Wrap(inner, w, nil, providers.Options{}), n+10)

	lost := w.Lost()
	if lost == 0 {
		t.Fatal("no line lost with the disk stuck")
	}
	calls, warned := 0, false
	for _, ev := range got {
		switch {
		case ev.Call != nil:
			calls++
		case ev.Status != nil && strings.Contains(ev.Status.Warning, "line(s) lost") && strings.Contains(ev.Status.Warning, "stuck.jsonl"):
			warned = true
		}
	}
	if calls != n || !warned {
		t.Fatalf("the console got %d of %d calls, warned %v", calls, n, warned)
	}

	close(disk.release)
	err = w.Close()
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d line(s) were not recorded", w.Lost())) {
		t.Fatalf("Close: %v", err)
	}
	_, es, rerr := readAll(t, disk.buf.String())
	if rerr != nil {
		t.Fatalf("what was written does not read back: %v", rerr)
	}
	if uint64(len(es))+w.Lost() != uint64(n+1) {
		t.Fatalf("%d written + %d lost != %d events", len(es), w.Lost(), n+1)
	}
}

// writeLog keeps each Write as it came.
type writeLog struct{ writes [][]byte }

func (l *writeLog) Write(b []byte) (int, error) {
	l.writes = append(l.writes, bytes.Clone(b))
	return len(b), nil
}
func (l *writeLog) Close() error { return nil }

// Every write to the file ends at the end of a line: a recording stopped
// between two writes ends with a whole line.
func TestWriterWritesWholeLines(t *testing.T) {
	disk := &writeLog{}
	w, err := newWriter(disk, "x", Header{Provider: "demo", Started: t0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	for i := range 400 {
		size := 10 + (i*7919)%(MaxLine-200)
		line := fmt.Appendf(nil, `{"time":"2026-11-23T09:00:00Z","type":"status","status":"live","detail":"%s"}`, strings.Repeat("x", size))
		if len(line)+1 > MaxLine {
			continue
		}
		want.Write(line)
		want.WriteByte('\n')
		if !w.Put(line) {
			t.Fatalf("line %d dropped", i)
		}
		if i%50 == 0 {
			// Let the queue run dry now and then, so bursts of every size
			// are flushed.
			for w.queued.Load() > 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	for i, b := range disk.writes {
		if len(b) == 0 || b[len(b)-1] != '\n' {
			t.Fatalf("write %d of %d ends mid-line", i, len(disk.writes))
		}
		got.Write(b)
	}
	_, body, _ := bytes.Cut(got.Bytes(), []byte("\n"))
	if !bytes.Equal(body, want.Bytes()) {
		t.Fatal("the lines written are not the lines put, in order")
	}
}

func TestCreateRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.jsonl")
	os.WriteFile(existing, []byte("keep me"), 0o600)
	if _, err := Create(existing, Header{Provider: "demo", Started: t0}, nil); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("Create over a file: %v", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Fatal("the file was changed")
	}
	link := filepath.Join(dir, "link.jsonl")
	os.Symlink(filepath.Join(dir, "target"), link)
	if _, err := Create(link, Header{Provider: "demo", Started: t0}, nil); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Create through a link: %v", err)
	}
	path := filepath.Join(dir, "new.jsonl")
	w, err := Create(path, Header{Provider: "demo", Started: t0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600: a recording names callers", info.Mode().Perm())
	}
}
