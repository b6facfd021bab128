package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers"
)

// fakeClock is a clock the test moves by hand; safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// guard bounds how long a test waits for something that must happen; it is
// a hang detector, not a timing assertion.
const guard = 10 * time.Second

func recv(t *testing.T, events <-chan providers.Event) providers.Event {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(guard):
		t.Fatal("no event from the provider")
	}
	return providers.Event{}
}

// start runs p until the test ends and returns its events and a stop
// function that cancels Run and waits for it to return.
func start(t *testing.T, p *Provider, buffer int) (<-chan providers.Event, func()) {
	t.Helper()
	events := make(chan providers.Event, buffer)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, events) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v after its context ended", err)
				}
			case <-time.After(guard):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return events, stop
}

func mustNew(t *testing.T, cfg Config, opts providers.Options) *Provider {
	t.Helper()
	p, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOneRingingCallRejectedBusy is the recipe the package documentation
// gives for end-to-end tests.
func TestOneRingingCallRejectedBusy(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := mustNew(t, Config{Rate: 0, Calls: 1, Seed: 1}, providers.Options{Now: clock.Now, AnswerWindow: time.Minute})
	events, stop := start(t, p, 16)

	if ev := recv(t, events); ev.Status == nil || ev.Status.Link != providers.LinkConnecting {
		t.Fatalf("first event %+v, want a connecting status", ev)
	}
	ev := recv(t, events)
	if ev.Call == nil {
		t.Fatalf("second event %+v, want the ringing call", ev)
	}
	ring := *ev.Call
	if ring.State != providers.StateRinging || !ring.AnswerBy.Equal(t0.Add(time.Minute)) ||
		!ring.Can(providers.ActionReject) || !ring.Can(providers.ActionAnswer) || ring.Provider != "demo" {
		t.Fatalf("ringing call %+v", ring)
	}
	ev = recv(t, events)
	if ev.Status == nil || ev.Status.Link != providers.LinkLive || ev.Status.Detail != "simulated calls, seed 1, no new calls" {
		t.Fatalf("third event %+v, want live with the seed", ev.Status)
	}

	clock.Set(t0.Add(20 * time.Second))
	if err := p.Reject(context.Background(), ring.ID, providers.ReasonBusy); err != nil {
		t.Fatal(err)
	}
	ev = recv(t, events)
	busy, _ := RejectEnd(providers.ReasonBusy)
	if ev.Call == nil || ev.Call.ID != ring.ID || ev.Call.State != providers.StateEnded || ev.Call.End != busy ||
		ev.Call.Result() != providers.OutcomeRejected || !ev.Call.Ended.Equal(t0.Add(20*time.Second)) {
		t.Fatalf("after reject(busy): %+v", ev.Call)
	}
	stop()
	select {
	case ev := <-events:
		t.Fatalf("an event after the call ended and Run stopped: %+v", ev)
	default:
	}
}

func TestRunTimesOutWithMovedClock(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := mustNew(t, Config{Calls: 1, Seed: 5}, providers.Options{Now: clock.Now, AnswerWindow: time.Minute})
	events, _ := start(t, p, 16)
	recv(t, events)
	ring := *recv(t, events).Call
	recv(t, events)
	clock.Set(t0.Add(2 * time.Minute)) // Run notices within recheck
	ev := recv(t, events)
	if ev.Call == nil || ev.Call.End != EndTimedOut || !ev.Call.Ended.Equal(ring.AnswerBy) || !ev.Time.Equal(ring.AnswerBy) {
		t.Fatalf("after the deadline: %+v", ev.Call)
	}
}

func TestRunTimesOutOnRealClock(t *testing.T) {
	p := mustNew(t, Config{Calls: 1}, providers.Options{AnswerWindow: 50 * time.Millisecond})
	events, _ := start(t, p, 16)
	recv(t, events)
	ring := *recv(t, events).Call
	recv(t, events)
	ev := recv(t, events)
	if ev.Call == nil || ev.Call.ID != ring.ID || ev.Call.End != EndTimedOut || !ev.Call.Ended.Equal(ring.AnswerBy) {
		t.Fatalf("after the deadline: %+v", ev.Call)
	}
}

// TestSleepFollowsTheClock: on the real clock Run sleeps until the next
// event, however far off (an idle console does no periodic work); with a
// test's clock, which no timer follows, it re-reads the clock every recheck.
func TestSleepFollowsTheClock(t *testing.T) {
	wall := mustNew(t, Config{Calls: 1, Seed: 1}, providers.Options{})
	own := mustNew(t, Config{Calls: 1, Seed: 1}, providers.Options{Now: (&fakeClock{now: t0}).Now})
	for _, tc := range []struct {
		p    *Provider
		wait time.Duration
		want time.Duration
	}{
		{wall, 40 * time.Minute, 40 * time.Minute},
		{wall, 3 * time.Millisecond, 3 * time.Millisecond},
		{wall, -time.Second, 0},
		{own, 40 * time.Minute, recheck},
		{own, 3 * time.Millisecond, 3 * time.Millisecond},
		{own, -time.Second, 0},
	} {
		if got := tc.p.nap(tc.wait); got != tc.want {
			t.Errorf("own clock %v, next event in %v: sleeps %v, want %v", tc.p.ownClock, tc.wait, got, tc.want)
		}
	}
}

func TestRunAnswerAndHangup(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := mustNew(t, Config{Calls: 1, Seed: 12}, providers.Options{Now: clock.Now})
	p.sim.calls.get(p.sim.snapshot()[0].ID).plan.mediaFails = false
	events, _ := start(t, p, 16)
	recv(t, events)
	id := recv(t, events).Call.ID
	recv(t, events)
	ctx := context.Background()

	clock.Set(t0.Add(2 * time.Second))
	if err := p.Answer(ctx, id); err != nil {
		t.Fatal(err)
	}
	if c := recv(t, events).Call; c.State != providers.StateConnecting {
		t.Fatalf("after answer: %+v", c)
	}
	clock.Set(t0.Add(4 * time.Second)) // media setup takes at most 1.5 s
	if c := recv(t, events).Call; c.State != providers.StateActive {
		t.Fatalf("after media setup: %+v", c)
	}
	if err := p.Hangup(ctx, id); err != nil {
		t.Fatal(err)
	}
	if c := recv(t, events).Call; c.State != providers.StateEnding {
		t.Fatalf("after hang-up: %+v", c)
	}
	clock.Set(t0.Add(5 * time.Second)) // tear-down takes at most 650 ms
	if c := recv(t, events).Call; c.State != providers.StateEnded || c.End != EndHungUp || c.Result() != providers.OutcomeHandled {
		t.Fatalf("after tear-down: %+v", c)
	}
}

func TestActionErrors(t *testing.T) {
	p := mustNew(t, Config{Calls: 400, Seed: 3}, providers.Options{Now: (&fakeClock{now: t0}).Now})
	ctx := context.Background()
	var direct, active string
	for _, c := range p.sim.snapshot() {
		switch {
		case c.State == providers.StateRinging && !c.Can(providers.ActionReject):
			direct = c.ID
		case c.State == providers.StateActive:
			active = c.ID
		}
	}
	cases := []struct {
		name string
		err  error
		want error
		says string
	}{
		{"answer unknown", p.Answer(ctx, "nope"), providers.ErrNotFound, "answer call nope"},
		{"reject unknown", p.Reject(ctx, "nope", providers.ReasonBusy), providers.ErrNotFound, "reject call nope"},
		{"hangup unknown", p.Hangup(ctx, "nope"), providers.ErrNotFound, "hang up call nope"},
		{"reject direct", p.Reject(ctx, direct, providers.ReasonBusy), providers.ErrNotAllowed, "cannot be rejected"},
		{"answer active", p.Answer(ctx, active), providers.ErrNotAllowed, "already answered"},
		{"reject active", p.Reject(ctx, active, providers.ReasonNone), providers.ErrNotAllowed, "hang it up instead"},
		{"hangup ringing", p.Hangup(ctx, direct), providers.ErrNotAllowed, "not been answered"},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) || !strings.Contains(c.err.Error(), c.says) {
			t.Errorf("%s: %v, want %v saying %q", c.name, c.err, c.want, c.says)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.Answer(canceled, direct); !errors.Is(err, context.Canceled) {
		t.Errorf("answer with an ended context: %v", err)
	}
	if c, _ := p.sim.ledger.Get(direct); c.State != providers.StateRinging {
		t.Errorf("a refused action changed the call: %+v", c)
	}
}

func TestRejectReasonSpelling(t *testing.T) {
	for _, tc := range []struct {
		reason providers.RejectReason
		want   providers.RejectReason
	}{{"Busy", providers.ReasonBusy}, {" FORBIDDEN ", providers.ReasonForbidden}, {"", providers.ReasonNone}} {
		p := mustNew(t, Config{Calls: 1, Seed: 2}, providers.Options{Now: (&fakeClock{now: t0}).Now})
		id := p.sim.snapshot()[0].ID
		if err := p.Reject(context.Background(), id, tc.reason); err != nil {
			t.Fatalf("%q: %v", tc.reason, err)
		}
		c, _ := p.sim.ledger.Get(id)
		if want, _ := RejectEnd(tc.want); c.End != want {
			t.Fatalf("%q ended as %v, want %v", tc.reason, c.End, want)
		}
	}
	p := mustNew(t, Config{Calls: 1, Seed: 2}, providers.Options{})
	if err := p.Reject(context.Background(), p.sim.snapshot()[0].ID, "maybe"); err == nil || errors.Is(err, providers.ErrNotAllowed) {
		t.Fatalf("an unknown reason: %v", err)
	}
	if got := p.RejectReasons(); !reflect.DeepEqual(got, providers.RejectReasons) {
		t.Fatalf("RejectReasons %v", got)
	}
	p.RejectReasons()[0] = "mangled"
	if p.RejectReasons()[0] != providers.ReasonNone {
		t.Fatal("RejectReasons must hand out a copy")
	}
}

func TestActionsBeforeRunShowInSnapshot(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := mustNew(t, Config{Calls: 1, Seed: 4}, providers.Options{Now: clock.Now})
	id := p.sim.snapshot()[0].ID
	if err := p.Answer(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if len(p.sim.out) != 0 {
		t.Fatal("changes made while Run is not going must not pile up")
	}
	events, _ := start(t, p, 16)
	recv(t, events)
	if c := recv(t, events).Call; c.ID != id || c.State != providers.StateConnecting || c.Version != 2 {
		t.Fatalf("snapshot after an answer before Run: %+v", c)
	}
}

func TestRunStopsPromptlyAndLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, tc := range []struct {
		name   string
		cfg    Config
		buffer int
	}{
		{"idle", Config{}, 8},
		{"busy", Config{Rate: 6000, Calls: 50}, 1024},
		{"blocked on a full sink", Config{Calls: 100}, 0},
	} {
		p := mustNew(t, tc.cfg, providers.Options{AnswerWindow: 200 * time.Millisecond})
		events := make(chan providers.Event, tc.buffer)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx, events) }()
		if tc.buffer > 0 {
			// Once live is sent, Run is in its loop.
			for ev := recv(t, events); ev.Status == nil || ev.Status.Link != providers.LinkLive; ev = recv(t, events) {
			}
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: Run returned %v", tc.name, err)
			}
		case <-time.After(guard):
			t.Fatalf("%s: Run did not stop", tc.name)
		}
	}
	deadline := time.Now().Add(guard)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Run stopped, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestOneRunAtATime(t *testing.T) {
	p := mustNew(t, Config{Calls: 2, Seed: 6}, providers.Options{})
	events, stop := start(t, p, 16)
	recv(t, events)
	err := p.Run(context.Background(), make(chan providers.Event, 1))
	if err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("a second Run: %v", err)
	}
	stop()
	// Once stopped, it may run again and starts with a fresh snapshot.
	events, _ = start(t, p, 16)
	if ev := recv(t, events); ev.Status == nil || ev.Status.Link != providers.LinkConnecting {
		t.Fatalf("restart: %+v", ev)
	}
	if ev := recv(t, events); ev.Call == nil {
		t.Fatalf("restart: %+v, want a call", ev)
	}
}

// TestConcurrentActions runs a busy simulation while several goroutines act
// on whatever calls they see; -race checks the locking, the checker that no
// call ever goes backwards.
func TestConcurrentActions(t *testing.T) {
	const w = 300 * time.Millisecond
	p := mustNew(t, Config{Rate: 3000, Calls: 200, Seed: 99}, providers.Options{AnswerWindow: w})
	events, stop := start(t, p, 256)
	ids := make(chan string, 1024)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for {
				select {
				case <-ctx.Done():
					return
				case id := <-ids:
					var err error
					// Transfers and redirects wait for their outcome: a
					// short deadline keeps the goroutine acting.
					short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
					switch r.IntN(9) {
					case 0:
						err = p.Answer(ctx, id)
					case 1:
						err = p.Reject(ctx, id, providers.RejectReasons[r.IntN(3)])
					case 2:
						err = p.Transfer(short, id, []providers.Target{anaSilva, salesDesk}[r.IntN(2)])
					case 3:
						err = p.Redirect(short, id, salesDesk)
					case 4:
						err = p.Hold(ctx, id)
					case 5:
						err = p.Resume(ctx, id)
					case 6:
						var choices []providers.AgentChoice
						// It fails only once the test is over (ctx ended).
						if choices, err = p.AgentChoices(ctx); err == nil {
							err = p.SetAgentState(ctx, choices[r.IntN(len(choices))])
						}
					default:
						err = p.Hangup(ctx, id)
					}
					cancelShort()
					if err != nil && !errors.Is(err, providers.ErrNotAllowed) && !errors.Is(err, providers.ErrEnded) &&
						!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) &&
						!errors.Is(err, errNoAnswer) && !errors.Is(err, errCalledOff) {
						t.Errorf("unexpected error: %v", err)
					}
				}
			}
		}()
	}
	last := map[string]providers.Call{}
	counts := map[providers.State]int{}
	for deadline := time.Now().Add(700 * time.Millisecond); time.Now().Before(deadline); {
		ev := recv(t, events)
		if ev.Call == nil {
			continue
		}
		c := *ev.Call
		if prev, ok := last[c.ID]; ok && (c.Version <= prev.Version || c.State.Rank() < prev.State.Rank() || prev.State == providers.StateEnded) {
			t.Fatalf("%s went from %s v%d to %s v%d", c.ID, prev.State, prev.Version, c.State, c.Version)
		}
		last[c.ID] = c
		counts[c.State]++
		select {
		case ids <- c.ID:
		default:
		}
	}
	cancel()
	wg.Wait()
	stop()
	if counts[providers.StateEnded] == 0 || counts[providers.StateConnecting] == 0 || counts[providers.StateEnding] == 0 {
		t.Fatalf("actions should have answered, rejected and hung up calls: %v", counts)
	}
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		says string
	}{
		{Config{Rate: -1}, "--demo-rate -1 is negative"},
		{Config{Rate: MaxRate + 1}, "--demo-rate"},
		{Config{Rate: math.NaN()}, "--demo-rate must be a number"},
		{Config{Rate: math.Inf(1)}, "--demo-rate must be a number"},
		{Config{Calls: -3}, "--demo-calls -3 is negative"},
		{Config{Calls: MaxCalls + 1}, "--demo-calls"},
	} {
		if _, err := New(tc.cfg, providers.Options{}); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%+v: %v, want an error saying %q", tc.cfg, err, tc.says)
		}
	}
	for _, cfg := range []Config{{}, DefaultConfig(), {Rate: MaxRate, Calls: 10, Seed: -5}} {
		if _, err := New(cfg, providers.Options{}); err != nil {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}

func TestConfigTagsMatchDefaults(t *testing.T) {
	typ := reflect.TypeOf(Config{})
	want := map[string]string{
		"demo-rate":  fmt.Sprint(DefaultRate),
		"demo-seed":  "0",
		"demo-calls": fmt.Sprint(DefaultCalls),
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name := f.Tag.Get("name")
		def, ok := want[name]
		if !ok {
			t.Fatalf("field %s has flag name %q, not a demo- flag", f.Name, name)
		}
		if got := f.Tag.Get("default"); got != def {
			t.Errorf("--%s default %q, want %q", name, got, def)
		}
		if f.Tag.Get("help") == "" {
			t.Errorf("--%s has no help", name)
		}
		delete(want, name)
	}
	if len(want) != 0 {
		t.Errorf("flags missing: %v", want)
	}
}

func TestSeedZeroPicksAReproducibleSeed(t *testing.T) {
	opts := providers.Options{Now: (&fakeClock{now: t0}).Now}
	p := mustNew(t, Config{Rate: 10, Calls: 30}, opts)
	if p.Seed() <= 0 {
		t.Fatalf("seed %d", p.Seed())
	}
	if want := fmt.Sprintf("simulated calls, seed %d, 10/min", p.Seed()); p.Detail() != want {
		t.Fatalf("detail %q, want %q", p.Detail(), want)
	}
	again := mustNew(t, Config{Rate: 10, Calls: 30, Seed: p.Seed()}, opts)
	if !reflect.DeepEqual(p.sim.snapshot(), again.sim.snapshot()) {
		t.Fatal("the seed shown does not repeat the run")
	}
	if other := mustNew(t, Config{Rate: 10, Calls: 30}, opts); other.Seed() == p.Seed() {
		t.Fatal("two unseeded runs drew the same seed")
	}
	if d := mustNew(t, Config{Rate: 2.5, Seed: 3}, opts).Detail(); d != "simulated calls, seed 3, 2.5/min" {
		t.Fatalf("detail %q", d)
	}
}

// waitFor returns the first event from events that match accepts, skipping
// the others.
func waitFor(t *testing.T, events <-chan providers.Event, match func(providers.Event) bool) providers.Event {
	t.Helper()
	for {
		if ev := recv(t, events); match(ev) {
			return ev
		}
	}
}

// callIs matches an event for call id that ok accepts.
func callIs(id string, ok func(providers.Call) bool) func(providers.Event) bool {
	return func(ev providers.Event) bool { return ev.Call != nil && ev.Call.ID == id && ok(*ev.Call) }
}

func isLive(ev providers.Event) bool { return ev.Status != nil && ev.Status.Link == providers.LinkLive }

// moving matches a call on its way elsewhere: ringing with nothing to do,
// or connected with only a hang-up.
func moving(c providers.Call) bool {
	return c.Caps == 0 && c.State == providers.StateRinging || c.Caps == providers.Caps(providers.ActionHangup) && c.State != providers.StateConnecting
}

// connectedCall is a call of p in state whose script has nothing due in
// the next minute; with unanswered, one whose transfer to anaSilva a twin
// of p (the same seed and clock) finds unanswered, or answered without.
func connectedCall(t *testing.T, p, twin *Provider, state providers.State, unanswered bool) string {
	t.Helper()
	for _, call := range p.sim.snapshot() {
		c := twin.sim.calls.get(call.ID)
		if c.state() != state || !c.pending().at.After(t0.Add(time.Minute)) {
			continue
		}
		if _, err := twin.sim.transfer(t0, c.id, anaSilva); err != nil {
			t.Fatal(err)
		}
		if (c.pending().kind == evTransferFailed) == unanswered {
			return c.id
		}
	}
	t.Fatalf("no %s call whose transfer goes unanswered=%v", state, unanswered)
	return ""
}

// TestRunTransfer: while Run plays the simulation, Transfer returns once
// the target has the call (or did not answer), and the row's pending
// state is the call's own: connected, taking only a hang-up.
func TestRunTransfer(t *testing.T) {
	for _, unanswered := range []bool{false, true} {
		clock := &fakeClock{now: t0}
		cfg, opts := Config{Calls: 400, Seed: 21}, providers.Options{Now: clock.Now}
		p := mustNew(t, cfg, opts)
		id := connectedCall(t, p, mustNew(t, cfg, opts), providers.StateActive, unanswered)
		events, _ := start(t, p, 1024)
		waitFor(t, events, isLive)

		res := make(chan error, 1)
		go func() { res <- p.Transfer(context.Background(), id, anaSilva) }()
		waitFor(t, events, callIs(id, moving))
		select {
		case err := <-res:
			t.Fatalf("unanswered %v: Transfer returned %v while the target still rang (the clock stood still)", unanswered, err)
		default:
		}
		clock.Set(t0.Add(TransferNoAnswer))
		ev := waitFor(t, events, callIs(id, func(providers.Call) bool { return true }))
		var err error
		select {
		case err = <-res:
		case <-time.After(guard):
			t.Fatalf("unanswered %v: Transfer did not return", unanswered)
		}
		c := *ev.Call
		if !unanswered {
			if err != nil || c.State != providers.StateEnded || c.End != TransferEnd(anaSilva) || c.Result() != providers.OutcomeTransferred {
				t.Fatalf("transfer: %v, call %+v", err, c)
			}
			continue
		}
		words := "transfer call " + id + ": no answer from Ana Silva within 10s (500/7700, the transfer failed); the call is still yours, active"
		if err == nil || err.Error() != words || !errors.Is(err, errNoAnswer) || errors.Is(err, providers.ErrNotAllowed) {
			t.Fatalf("unanswered transfer: %v, want %q", err, words)
		}
		if c.State != providers.StateActive || c.Caps != activeCaps || !ev.Time.Equal(t0.Add(TransferNoAnswer)) {
			t.Fatalf("after an unanswered transfer: %+v", c)
		}
	}
}

func TestRunRedirect(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := mustNew(t, Config{Calls: 1, Seed: 1}, providers.Options{Now: clock.Now, AnswerWindow: time.Minute})
	events, _ := start(t, p, 16)
	recv(t, events)
	id := recv(t, events).Call.ID
	recv(t, events)
	res := make(chan error, 1)
	go func() { res <- p.Redirect(context.Background(), id, salesDesk) }()
	if c := recv(t, events).Call; c == nil || c.ID != id || !moving(*c) {
		t.Fatalf("redirecting: %+v", c)
	}
	clock.Set(t0.Add(time.Second))
	c := recv(t, events).Call
	if c == nil || c.State != providers.StateEnded || c.End.String() != "Redirected to Sales desk" || c.Result() != providers.OutcomeTransferred {
		t.Fatalf("after the redirect: %+v", c)
	}
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(guard):
		t.Fatal("Redirect did not return")
	}
}

// TestRunTransferOutlivesItsContext: the console stops waiting when its
// request times out, and says so; the transfer goes on.
func TestRunTransferOutlivesItsContext(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := mustNew(t, Config{Calls: 400, Seed: 21}, providers.Options{Now: clock.Now})
	id := findCall(t, p.sim, providers.StateHeld, t0, nil) // before Run, which owns the simulation
	events, _ := start(t, p, 1024)
	waitFor(t, events, isLive)
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- p.Transfer(ctx, id, salesDesk) }()
	waitFor(t, events, callIs(id, moving))
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "it goes on") {
			t.Fatalf("Transfer after its context ended: %v", err)
		}
	case <-time.After(guard):
		t.Fatal("Transfer did not return when its context ended")
	}
	clock.Set(t0.Add(time.Minute))
	ev := waitFor(t, events, callIs(id, func(c providers.Call) bool { return c.State == providers.StateEnded }))
	if ev.Call.End != TransferEnd(salesDesk) {
		t.Fatalf("the transfer should have gone on: %+v", ev.Call)
	}
}

func TestRunHoldAndResume(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := mustNew(t, Config{Calls: 400, Seed: 21}, providers.Options{Now: clock.Now})
	id := findCall(t, p.sim, providers.StateActive, t0.Add(time.Minute), nil)
	events, _ := start(t, p, 1024)
	waitFor(t, events, isLive)
	ctx := context.Background()
	if err := p.Hold(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, events, callIs(id, func(c providers.Call) bool { return c.State == providers.StateHeld && c.Can(providers.ActionResume) }))
	if err := p.Hold(ctx, id); !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "hold call "+id+": the call is already on hold") {
		t.Fatalf("hold twice: %v", err)
	}
	if err := p.Resume(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, events, callIs(id, func(c providers.Call) bool { return c.State == providers.StateActive && c.Can(providers.ActionHold) }))
}

func TestControlsOfferedAndChecked(t *testing.T) {
	p := mustNew(t, Config{Calls: 400, Seed: 21}, providers.Options{Now: (&fakeClock{now: t0}).Now})
	if got, want := p.Offers(), providers.Caps(providers.Actions...); got != want || len(got.Names()) != len(providers.Actions) {
		t.Fatalf("Offers %v, want every action", got.Names())
	}
	ctx := context.Background()
	active := findCall(t, p.sim, providers.StateActive, t0, nil)
	ringing := findRinging(t, p.sim, false)
	if err := p.Transfer(ctx, active, badPhone); !errors.Is(err, providers.ErrBadTarget) || !strings.HasPrefix(err.Error(), "transfer call "+active+": not a valid target") {
		t.Fatalf("transfer to a bad number: %v", err)
	}
	if err := p.Redirect(ctx, ringing, providers.Target{Name: "Sales", Kind: "room", Phone: "+442079460000"}); !errors.Is(err, providers.ErrBadTarget) {
		t.Fatalf("redirect to a bad kind: %v", err)
	}
	if err := p.Redirect(ctx, "nope", salesDesk); !errors.Is(err, providers.ErrNotFound) {
		t.Fatalf("redirect an unknown call: %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	for name, err := range map[string]error{
		"transfer": p.Transfer(canceled, active, salesDesk),
		"redirect": p.Redirect(canceled, ringing, salesDesk),
		"hold":     p.Hold(canceled, active),
		"resume":   p.Resume(canceled, active),
	} {
		if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), name+" call ") {
			t.Errorf("%s with an ended context: %v", name, err)
		}
	}
	if evs := p.sim.out; len(evs) != 0 {
		t.Fatalf("refused actions changed %d calls", len(evs))
	}
	// With no Run going, nothing plays the transfer out: Transfer returns
	// once it is under way, and the next Run starts with it so.
	if err := p.Transfer(ctx, active, salesDesk); err != nil {
		t.Fatal(err)
	}
	if c, _ := p.sim.ledger.Get(active); !moving(c) {
		t.Fatalf("after a transfer without Run: %+v", c)
	}
}

// The calls under way go out a chunk at a time, each read as it is then: a
// call answered while the first chunk is on its way goes out connecting, and
// the console, taking the newest version of each call, ends up with every
// call as the simulation has it.
func TestRunSendsCallsUnderWayAsTheyAreThen(t *testing.T) {
	clock := &fakeClock{now: t0}
	n := 3100 // more than three chunks
	p := mustNew(t, Config{Calls: n, Seed: 5, Rate: 0}, providers.Options{Now: clock.Now})
	snap := p.sim.snapshot()
	victim := ""
	for i := len(snap) - 1; i >= 0 && victim == ""; i-- {
		if snap[i].Can(providers.ActionAnswer) {
			victim = snap[i].ID
		}
	}
	if victim == "" {
		t.Fatal("no ringing call in the last chunk")
	}
	events, _ := start(t, p, 1)
	if ev := recv(t, events); ev.Status == nil || ev.Status.Link != providers.LinkConnecting {
		t.Fatalf("first event %+v, want the connecting status", ev)
	}
	latest := map[string]providers.Call{}
	first := map[string]providers.Call{}
	take := func(c *providers.Call) {
		if _, seen := first[c.ID]; !seen {
			first[c.ID] = *c
		}
		if old, ok := latest[c.ID]; !ok || c.Version > old.Version {
			latest[c.ID] = *c
		}
	}
	take(recv(t, events).Call)
	if err := p.Answer(context.Background(), victim); err != nil {
		t.Fatal(err)
	}
	for {
		ev := recv(t, events)
		if ev.Status != nil && ev.Status.Link == providers.LinkLive {
			break
		}
		take(ev.Call)
	}
	// The answer's own event follows the live status.
	take(recv(t, events).Call)
	if len(first) != n {
		t.Fatalf("%d calls under way sent, want %d", len(first), n)
	}
	if c := first[victim]; c.State != providers.StateConnecting {
		t.Fatalf("the call answered while the calls went out was first sent %s, want connecting", c.State)
	}
	for _, want := range p.sim.snapshot() {
		if got := latest[want.ID]; !reflect.DeepEqual(got, want) {
			t.Fatalf("call %s ends up\n%+v\nwant\n%+v", want.ID, got, want)
		}
	}
}
