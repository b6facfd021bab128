package replay

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/providers"
)

// --speed 4: each line plays a quarter of its recorded offset after the
// start, no sooner, and every time in a call moves by the same map, so a
// 15 s answer window lasts 3.75 s.
func TestSpeedScalesThePaceAndTheTimes(t *testing.T) {
	a := ringing("a", time.Second)
	path := newRec(t).
		status(0, providers.LinkLive, "127.0.0.1:8443").
		call(time.Second, a).
		call(9*time.Second, answered(a, 9*time.Second)).
		call(21*time.Second, ringing("b", 21*time.Second)).
		file()
	base := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := newFakeClock(base)
	pl := play(t, Config{File: path, Speed: 4}, providers.Options{Now: clock.Now})
	clock.settle(t, pl.done) // the replay has read its start
	due := map[string]time.Duration{"a ringing": 250 * time.Millisecond, "a active": 2250 * time.Millisecond, "b ringing": 5250 * time.Millisecond}

	// Just before and at each line's time.
	ms := time.Millisecond
	for _, at := range []time.Duration{0, 249 * ms, 250 * ms, 2249 * ms, 2250 * ms, 5249 * ms, 5250 * ms} {
		clock.set(base.Add(at))
		clock.settle(t, pl.done)
		got := calls(pl.drain())
		var want []string
		for _, c := range []string{"a ringing", "a active", "b ringing"} {
			if due[c] <= at {
				want = append(want, c)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("at %s of wall time: sent %v, want %v", at, got, want)
		}
	}
	if evs := pl.drain(); !finished(evs[len(evs)-1]) {
		pl.until("the end", finished)
	}
	evs := pl.got
	ring, talk := evs[1], evs[2]
	if !ring.Time.Equal(base.Add(250*time.Millisecond)) || !ring.Call.Arrived.Equal(ring.Time) {
		t.Errorf("ringing at %v, arrived %v; want both %v", ring.Time, ring.Call.Arrived, base.Add(250*time.Millisecond))
	}
	if w := ring.Call.AnswerBy.Sub(ring.Call.Arrived); w != 3750*time.Millisecond {
		t.Errorf("answer window %s, want 3.75s", w)
	}
	if !talk.Call.Answered.Equal(base.Add(2250*time.Millisecond)) || !talk.Call.Arrived.Equal(ring.Call.Arrived) {
		t.Errorf("answered %v arrived %v", talk.Call.Answered, talk.Call.Arrived)
	}
	if st := evs[0].Status; st == nil || st.Detail != "replay of rec.jsonl ×4 · read-only · 127.0.0.1:8443" {
		t.Errorf("status %+v", evs[0].Status)
	}
	<-pl.done
	if pl.err != nil {
		t.Fatalf("Run: %v", pl.err)
	}
}

// --from: the state at that moment is sent at once (last status, the
// ended calls, every live call's latest snapshot), then time runs on.
func TestFromSendsTheStateAtOnce(t *testing.T) {
	a, b, c := ringing("a", time.Second), ringing("b", 8*time.Second), ringing("c", 3*time.Second)
	path := newRec(t).
		status(0, providers.LinkConnecting, "starting").
		call(time.Second, a).
		call(3*time.Second, c).
		status(4*time.Second, providers.LinkLive, "up").
		call(5*time.Second, answered(a, 5*time.Second)).
		call(8*time.Second, b).
		call(9500*time.Millisecond, ended(c, 9500*time.Millisecond, 408)).
		call(12*time.Second, ringing("d", 12*time.Second)).
		call(14*time.Second, ended(answered(a, 5*time.Second), 14*time.Second, 200)).
		file()
	pl := play(t, Config{File: path, Speed: 1000, From: 10 * time.Second}, providers.Options{})
	pl.until("the end", finished)
	evs := pl.got
	if got, want := calls(evs), []string{"c ended", "a active", "b ringing", "d ringing", "a ended"}; !slices.Equal(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	if evs[0].Status == nil || !strings.HasSuffix(evs[0].Status.Detail, "· up") {
		t.Fatalf("the state does not start with the last status: %s", describe(evs))
	}
	base := evs[0].Time
	for _, ev := range evs[:4] {
		if !ev.Time.Equal(base) {
			t.Errorf("the state at --from is not sent at once: %v at %v", calls([]providers.Event{ev}), ev.Time)
		}
	}
	// a was answered 5 s before --from: 5 ms before at --speed 1000.
	if got := base.Sub(evs[2].Call.Answered); got != 5*time.Millisecond {
		t.Errorf("a answered %s before the start, want 5ms", got)
	}
	if !evs[4].Time.After(base) {
		t.Error("d, after --from, went at once")
	}
}

// --loop: each pass's calls have ids of their own, the calls a pass leaves
// live are ended before the next begins, and the status names the pass.
func TestLoopMakesEachPassNew(t *testing.T) {
	a := ringing("a", 100*time.Millisecond)
	path := newRec(t).
		status(0, providers.LinkLive, "").
		call(100*time.Millisecond, a).
		call(time.Second, ended(a, time.Second, 408)).
		call(1500*time.Millisecond, ringing("b", 1500*time.Millisecond)).
		file()
	pl := play(t, Config{File: path, Speed: 100, Loop: true}, providers.Options{})
	pl.until("the third pass", callIs("a_loop3", providers.StateRinging))

	var order []string
	ids := map[string]bool{}
	for _, ev := range pl.got {
		if ev.Call != nil {
			order = append(order, ev.Call.ID+" "+string(ev.Call.State))
			ids[ev.Call.ID] = true
			if err := providers.CheckCallID(ev.Call.ID); err != nil {
				t.Errorf("pass id refused: %v", err)
			}
		}
	}
	want := []string{"a ringing", "a ended", "b ringing", "b ended", "a_loop2 ringing", "a_loop2 ended", "b_loop2 ringing", "b_loop2 ended", "a_loop3 ringing"}
	if !slices.Equal(order, want) {
		t.Fatalf("sent %v, want %v", order, want)
	}
	if len(ids) != 5 {
		t.Errorf("ids %v: each pass must bring its own", ids)
	}
	var leftLive providers.Call
	var pass2 bool
	for _, ev := range pl.got {
		if ev.Call != nil && ev.Call.ID == "b" && ev.Call.State == providers.StateEnded {
			leftLive = *ev.Call
		}
		if ev.Status != nil && strings.Contains(ev.Status.Detail, "(pass 2)") {
			pass2 = true
		}
	}
	if !strings.Contains(leftLive.End.Text, "recording ends here") || leftLive.Version != 2 {
		t.Errorf("b at the end of the pass: %+v", leftLive)
	}
	if !pass2 {
		t.Errorf("no status names pass 2: %s", describe(pl.got))
	}
}

// --replay-act: a reject ends the call with the reason's code at once, and
// the recording's later events for it are skipped.
func TestReplayActRejectEndsTheCallAndSkipsItsRecording(t *testing.T) {
	r := ringing("r", 100*time.Millisecond)
	path := newRec(t).
		call(100*time.Millisecond, r).
		call(2*time.Second, answered(r, 2*time.Second)).
		call(5*time.Second, ended(answered(r, 2*time.Second), 5*time.Second, 200)).
		call(6*time.Second, ringing("x", 6*time.Second)).
		file()
	base := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := newFakeClock(base)
	pl := play(t, Config{File: path, Speed: 10, Act: true}, providers.Options{Now: clock.Now})
	clock.settle(t, pl.done) // the replay has read its start
	if pl.p.ReadOnly() || !pl.p.Offers().Has(providers.ActionReject) {
		t.Fatal("--replay-act offers no actions")
	}
	clock.set(base.Add(10 * time.Millisecond))
	pl.until("r ringing", callIs("r", providers.StateRinging))

	if err := pl.p.Reject(context.Background(), "r", providers.ReasonBusy); err != nil {
		t.Fatal(err)
	}
	end := pl.until("r rejected", callIs("r", providers.StateEnded)).Call
	if end.End.Code != 486 || end.Result() != providers.OutcomeRejected || end.Version != 2 || !end.Ended.Equal(base.Add(10*time.Millisecond)) {
		t.Fatalf("rejected call %+v", end)
	}
	if err := pl.p.Reject(context.Background(), "r", providers.ReasonBusy); !errors.Is(err, providers.ErrEnded) {
		t.Errorf("a second reject: %v, want ErrEnded", err)
	}

	clock.set(base.Add(time.Second))
	pl.until("x", callIs("x", providers.StateRinging))
	pl.until("the end", finished)
	if got, want := calls(pl.got), []string{"r ringing", "r ended", "x ringing"}; !slices.Equal(got, want) {
		t.Fatalf("sent %v, want %v: the recording's own events for r must be skipped", got, want)
	}
}

// --replay-act simulates every action as the demo does.
func TestReplayActSimulatesTheActions(t *testing.T) {
	rec := newRec(t)
	for _, id := range []string{"a", "h", "t", "d"} {
		rec.call(100*time.Millisecond, ringing(id, 100*time.Millisecond))
	}
	path := rec.call(time.Minute, ringing("late", time.Minute)).file()
	base := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := newFakeClock(base)
	pl := play(t, Config{File: path, Speed: 2, Act: true}, providers.Options{Now: clock.Now})
	clock.settle(t, pl.done) // the replay has read its start
	clock.set(base.Add(time.Second))
	pl.until("d ringing", callIs("d", providers.StateRinging))
	ctx := context.Background()

	for _, id := range []string{"a", "h", "t"} {
		if err := pl.p.Answer(ctx, id); err != nil {
			t.Fatal(err)
		}
		if c := pl.until(id+" connecting", callIs(id, providers.StateConnecting)).Call; !c.Answered.Equal(base.Add(time.Second)) {
			t.Errorf("%s answered at %v", id, c.Answered)
		}
	}
	if err := pl.p.Hangup(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	pl.until("a ending", callIs("a", providers.StateEnding))
	// Media comes up after 500 ms of the recording's time, 250 ms here; a
	// hang-up's tear-down takes 300 ms, 150 ms here.
	clock.set(base.Add(time.Second + 250*time.Millisecond))
	for _, id := range []string{"h", "t"} {
		pl.until(id+" active", callIs(id, providers.StateActive))
	}
	if c := pl.until("a ended", callIs("a", providers.StateEnded)).Call; c.End.Subcode != 7000 || c.Result() != providers.OutcomeHandled ||
		!c.Ended.Equal(base.Add(time.Second+250*time.Millisecond)) {
		t.Errorf("hung up: %+v", c)
	}
	for _, ev := range pl.got {
		if ev.Call != nil && ev.Call.ID == "a" && ev.Call.State == providers.StateActive {
			t.Error("a hung up while connecting still came up")
		}
	}

	if err := pl.p.Hold(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	pl.until("h held", callIs("h", providers.StateHeld))
	if err := pl.p.Resume(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	pl.until("h back", callIs("h", providers.StateActive))

	desk := providers.Target{Name: "Sales desk", Kind: providers.TargetQueue, Phone: "+14255550199"}
	if err := pl.p.Transfer(ctx, "t", desk); err != nil {
		t.Fatal(err)
	}
	c := pl.until("t transferred", callIs("t", providers.StateEnded)).Call
	if c.Result() != providers.OutcomeTransferred || c.End.Subcode != 7015 || c.End.Text != "Transferred to Sales desk" {
		t.Errorf("transferred: %+v", c)
	}
	if err := pl.p.Redirect(ctx, "d", desk); err != nil {
		t.Fatal(err)
	}
	if c := pl.until("d redirected", callIs("d", providers.StateEnded)).Call; c.Result() != providers.OutcomeTransferred {
		t.Errorf("redirected: %+v", c)
	}
	if err := pl.p.Answer(ctx, "nobody"); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("answer an unknown call: %v", err)
	}
	if err := pl.p.Answer(ctx, "../x"); !errors.Is(err, providers.ErrBadCallID) {
		t.Errorf("answer ../x: %v", err)
	}
}

// A replay without --replay-act is read-only, and says so.
func TestReplayIsReadOnly(t *testing.T) {
	path := newRec(t).status(0, providers.LinkLive, "").call(time.Millisecond, ringing("a", time.Millisecond)).file()
	pl := play(t, Config{File: path, Speed: 1000}, providers.Options{})
	pl.until("a", callIs("a", providers.StateRinging))
	if !pl.p.ReadOnly() || pl.p.Offers() != 0 {
		t.Fatal("a replay offers actions without --replay-act")
	}
	err := pl.p.Answer(context.Background(), "a")
	if !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), "--replay-act") {
		t.Fatalf("answer: %v", err)
	}
	if st := pl.got[0].Status; st == nil || st.Detail != "replay of rec.jsonl ×1000 · read-only" {
		t.Fatalf("status %+v", pl.got[0].Status)
	}
	if pl.p.Name() != "graph" {
		t.Errorf("name %q: the recorded provider's", pl.p.Name())
	}
}

// New refuses a file it cannot play, whole, before anything is shown,
// naming the line.
func TestNewRefusesWhatItCannotPlay(t *testing.T) {
	good := newRec(t).call(time.Second, ringing("a", time.Second))
	for name, tc := range map[string]struct {
		cfg  func() Config
		want []string
	}{
		"no file":  {func() Config { return Config{Speed: 1} }, []string{"--replay FILE"}},
		"speed 0":  {func() Config { return Config{File: good.file(), Speed: 0} }, []string{"--speed 0"}},
		"from < 0": {func() Config { return Config{File: good.file(), Speed: 1, From: -time.Second} }, []string{"negative"}},
		"past end": {func() Config { return Config{File: good.file(), Speed: 1, From: time.Minute} }, []string{"past the end", "lasts 1s"}},
		"missing":  {func() Config { return Config{File: t.TempDir() + "/nope.jsonl", Speed: 1} }, []string{"no such file"}},
		"a --json stream, no header": {func() Config {
			r := newRec(t).call(0, ringing("a", 0))
			r.lines = r.lines[1:]
			return Config{File: r.file(), Speed: 1}
		}, []string{"line 1", "not a ringside recording"}},
		"future format": {func() Config {
			r := newRec(t)
			r.lines[0] = strings.Replace(header, `"format":1`, `"format":2`, 1)
			return Config{File: r.file(), Speed: 1}
		}, []string{"format 2", "format 1"}},
		"a bad line in the middle": {func() Config {
			return Config{File: newRec(t).call(0, ringing("a", 0)).raw(`{"time":"2026-11-23T09:00:01Z","type":"call","call":{"id":"b","state":7}}`).call(2*time.Second, ringing("c", 0)).file(), Speed: 1}
		}, []string{"line 3", `"state"`}},
		"not a file": {func() Config {
			return Config{File: t.TempDir(), Speed: 1}
		}, []string{"not a regular file", "read once to check it and again to play it"}},
		"a line too long": {func() Config {
			return Config{File: newRec(t).raw(`{"time":"2026-11-23T09:00:01Z","type":"status","status":"live","detail":"` + strings.Repeat("x", 70000) + `"}`).file(), Speed: 1}
		}, []string{"line 2", "longer than 64 KiB"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.cfg(), providers.Options{})
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// A recording stopped in the middle of a line plays up to its last whole
// line, and the status says the rest was cut.
func TestCutRecordingPlaysUpToItsLastWholeLine(t *testing.T) {
	path := newRec(t).status(0, providers.LinkLive, "").
		call(time.Second, ringing("a", time.Second)).
		call(2*time.Second, ringing("b", 2*time.Second)).
		call(3*time.Second, ringing("c", 3*time.Second)).file()
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-40], 0o600)

	pl := play(t, Config{File: path, Speed: 1000}, providers.Options{})
	end := pl.until("the end", finished)
	if got := calls(pl.got); !slices.Equal(got, []string{"a ringing", "b ringing"}) {
		t.Fatalf("sent %v", got)
	}
	if !strings.Contains(end.Status.Warning, "last line (5) is cut short") || !strings.Contains(pl.got[0].Status.Warning, "replayed up to line 4") {
		t.Fatalf("warnings %q, %q", pl.got[0].Status.Warning, end.Status.Warning)
	}
}

// Live calls are bounded by --max-calls, as a ledger bounds them.
func TestMaxCallsBoundsTheLiveCalls(t *testing.T) {
	path := newRec(t).
		call(time.Millisecond, ringing("a", time.Millisecond)).
		call(2*time.Millisecond, ringing("b", 2*time.Millisecond)).
		call(3*time.Millisecond, ringing("c", 3*time.Millisecond)).file()
	pl := play(t, Config{File: path, Speed: 1}, providers.Options{MaxCalls: 2})
	pl.until("the end", finished)
	if got := calls(pl.got); !slices.Equal(got, []string{"a ringing", "b ringing", "a ended", "c ringing"}) {
		t.Fatalf("sent %v", got)
	}
	if c := pl.got[2].Call; !strings.Contains(c.End.Text, "more than 2 live calls") {
		t.Errorf("dropped: %+v", c.End)
	}
}
