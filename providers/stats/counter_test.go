package stats_test

import (
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/stats"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 30, 0, time.UTC)

// cfg is the defaults written out, so the tests read with their numbers.
var cfg = stats.Config{Window: time.Hour, Threshold: 20 * time.Second, Target: 0.8, Grace: 5 * time.Second}

// call is a life of one incoming call, each step a newer snapshot.
type call struct {
	c providers.Call
}

func ring(id, queue string, arrived time.Time) *call {
	return &call{providers.Call{ID: id, State: providers.StateRinging, Direction: providers.Incoming,
		Queue: queue, Arrived: arrived, AnswerBy: arrived.Add(time.Minute), Version: 1}}
}

func (k *call) next(f func(c *providers.Call)) providers.Call {
	f(&k.c)
	k.c.Version++
	return k.c
}

func (k *call) answer(at time.Time) providers.Call {
	return k.next(func(c *providers.Call) { c.State, c.Answered = providers.StateActive, at })
}

func (k *call) hold() providers.Call {
	return k.next(func(c *providers.Call) { c.State = providers.StateHeld })
}

func (k *call) end(at time.Time, o providers.Outcome) providers.Call {
	return k.next(func(c *providers.Call) { c.State, c.Ended, c.Outcome = providers.StateEnded, at, o })
}

func queueOf(t *testing.T, s stats.Snapshot, name string) stats.Queue {
	t.Helper()
	for _, q := range s.Queues {
		if q.Name == name {
			return q
		}
	}
	t.Fatalf("no queue %q in %v", name, names2(s.Queues))
	return stats.Queue{}
}

func TestShortAbandonIsLeftOutOfSL(t *testing.T) {
	c := stats.New(cfg)
	misdial := ring("a", "Sales", t0)
	c.Apply(misdial.c)
	c.Apply(misdial.end(t0.Add(5*time.Second), providers.OutcomeNone)) // exactly the grace: still short
	gaveUp := ring("b", "Sales", t0)
	c.Apply(gaveUp.c)
	c.Apply(gaveUp.end(t0.Add(5*time.Second+time.Millisecond), providers.OutcomeMissed))

	q := queueOf(t, c.Snapshot(t0.Add(time.Minute)), "Sales")
	if q.Offered != 2 || q.Abandoned != 2 || q.ShortAbandoned != 1 || q.SLCounted != 1 || q.WithinSL != 0 {
		t.Fatalf("offered %d abandoned %d short %d SL counted %d within %d; want 2 2 1 1 0",
			q.Offered, q.Abandoned, q.ShortAbandoned, q.SLCounted, q.WithinSL)
	}
	if !q.HasSL || q.SL != 0 || !q.SLBelowTarget {
		t.Fatalf("SL %v (has %v, alarm %v): the caller who waited past the grace is a miss", q.SL, q.HasSL, q.SLBelowTarget)
	}
}

func TestOnlyShortAbandonsMeanNoSL(t *testing.T) {
	c := stats.New(cfg)
	k := ring("a", "Sales", t0)
	c.Apply(k.c)
	c.Apply(k.end(t0.Add(2*time.Second), providers.OutcomeMissed))
	q := queueOf(t, c.Snapshot(t0.Add(time.Minute)), "Sales")
	if q.HasSL || q.SLCounted != 0 || q.SLBelowTarget {
		t.Fatalf("a misdial alone gives SL %v (has %v, counted %d, alarm %v); want none", q.SL, q.HasSL, q.SLCounted, q.SLBelowTarget)
	}
}

// TestAnsweredElsewhereIsAnswered: a call another agent answered first was
// served: answered when it left here, within the service level or not by
// that time, and in no AHT since its talk is not seen here.
func TestAnsweredElsewhereIsAnswered(t *testing.T) {
	c := stats.New(cfg)
	quick, slow := ring("q", "Sales", t0), ring("s", "Sales", t0)
	c.Apply(quick.c)
	c.Apply(slow.c)
	c.Apply(quick.end(t0.Add(6*time.Second), providers.OutcomeElsewhere))
	c.Apply(slow.end(t0.Add(30*time.Second), providers.OutcomeElsewhere))
	q := queueOf(t, c.Snapshot(t0.Add(time.Minute)), "Sales")
	if q.Offered != 2 || q.Answered != 2 || q.WithinSL != 1 || q.SLCounted != 2 || q.Abandoned != 0 ||
		!q.HasASA || q.ASA != 18*time.Second || q.HasAHT {
		t.Fatalf("answered elsewhere: %+v; want both answered (one within 20 s), ASA 18 s, no AHT", q)
	}
}

func TestRedirectedWhileRingingIsNeitherAnsweredNorAbandoned(t *testing.T) {
	c := stats.New(cfg)
	redirected := ring("r", "Support", t0)
	c.Apply(redirected.c)
	c.Apply(redirected.end(t0.Add(40*time.Second), providers.OutcomeTransferred)) // past the threshold, too
	q := queueOf(t, c.Snapshot(t0.Add(time.Minute)), "Support")
	if q.Offered != 1 || q.Transferred != 1 || q.Answered != 0 || q.Abandoned != 0 || q.Rejected != 0 || q.SLCounted != 0 || q.HasSL {
		t.Fatalf("redirected call: %+v; want offered and transferred only, out of SL", q)
	}

	// Answered, then transferred: answered, its speed counts, and transferred.
	transferred := ring("t", "Support", t0)
	c.Apply(transferred.c)
	c.Apply(transferred.answer(t0.Add(8 * time.Second)))
	c.Apply(transferred.end(t0.Add(98*time.Second), providers.OutcomeTransferred))
	q = queueOf(t, c.Snapshot(t0.Add(2*time.Minute)), "Support")
	if q.Answered != 1 || q.Transferred != 2 || q.WithinSL != 1 || q.SLCounted != 1 || q.ASA != 8*time.Second || q.AHT != 90*time.Second {
		t.Fatalf("answered then transferred: %+v; want answered 1, transferred 2, within 1 of 1, ASA 8s, AHT 1m30s", q)
	}
}

func TestRingingPastThresholdIsAMissEvenIfAnsweredLater(t *testing.T) {
	c := stats.New(cfg)
	k := ring("a", "Sales", t0)
	c.Apply(k.c)

	q := queueOf(t, c.Snapshot(t0.Add(20*time.Second)), "Sales") // waited exactly the threshold: not longer
	if q.SLCounted != 0 || q.HasSL || q.Waiting != 1 || q.LongestWait != 20*time.Second || q.WaitBeyondThreshold {
		t.Fatalf("at the threshold: %+v; want waiting, not yet in SL, no alarm", q)
	}
	q = queueOf(t, c.Snapshot(t0.Add(21*time.Second)), "Sales")
	if q.SLCounted != 1 || !q.HasSL || q.SL != 0 || !q.SLBelowTarget || !q.WaitBeyondThreshold || q.LongestWait != 21*time.Second {
		t.Fatalf("past the threshold: %+v; want a miss now (SL 0 of 1) and both alarms", q)
	}
	c.Apply(k.answer(t0.Add(30 * time.Second)))
	q = queueOf(t, c.Snapshot(t0.Add(31*time.Second)), "Sales")
	if q.SLCounted != 1 || q.WithinSL != 0 || q.Answered != 1 || q.ASA != 30*time.Second || q.Waiting != 0 || q.Talking != 1 || q.WaitBeyondThreshold {
		t.Fatalf("answered late: %+v; want still a miss (0 of 1), ASA 30s, talking", q)
	}
}

func TestAnsweredAtTheThresholdIsWithin(t *testing.T) {
	c := stats.New(cfg)
	k := ring("a", "Sales", t0)
	c.Apply(k.c)
	c.Apply(k.answer(t0.Add(20 * time.Second)))
	q := queueOf(t, c.Snapshot(t0.Add(time.Minute)), "Sales")
	if q.WithinSL != 1 || q.SL != 1 || q.SLBelowTarget {
		t.Fatalf("%+v: answered at exactly the threshold is within it", q)
	}
}

func TestSnapshotEarlierThanTheLastMovesCallsBackUnderTheThreshold(t *testing.T) {
	c := stats.New(cfg)
	c.Apply(ring("a", "Sales", t0).c)
	if q := queueOf(t, c.Snapshot(t0.Add(time.Minute)), "Sales"); q.SLCounted != 1 {
		t.Fatalf("a minute on: SL counted %d, want 1", q.SLCounted)
	}
	if q := queueOf(t, c.Snapshot(t0.Add(10*time.Second)), "Sales"); q.SLCounted != 0 {
		t.Fatalf("asked again for 10s after it arrived: SL counted %d, want 0", q.SLCounted)
	}
}

func TestCallBeforeSinceCountsOnlyNow(t *testing.T) {
	since := t0.Add(10 * time.Second)
	c := stats.New(stats.Config{Since: since})
	before := ring("old", "Sales", since.Add(-time.Nanosecond))
	c.Apply(before.c)
	at := ring("new", "Sales", since) // exactly at Since: in
	c.Apply(at.c)

	s := c.Snapshot(since.Add(30 * time.Second))
	q := queueOf(t, s, "Sales")
	if q.Waiting != 2 || q.LongestWait != 30*time.Second+time.Nanosecond || q.Offered != 1 || q.SLCounted != 1 {
		t.Fatalf("%+v: want both waiting, the longest from before Since, one offered (in SL, past the threshold)", q)
	}
	if !s.From.Equal(since) || !s.Since.Equal(since) {
		t.Fatalf("from %v since %v, want both %v", s.From, s.Since, since)
	}
	c.Apply(before.end(since.Add(40*time.Second), providers.OutcomeNone))
	q = queueOf(t, c.Snapshot(since.Add(41*time.Second)), "Sales")
	if q.Abandoned != 0 || q.Offered != 1 || q.Waiting != 1 {
		t.Fatalf("%+v: the call from before Since must stay out of the window's figures when it ends", q)
	}
}

func TestWindowEdgeDropOff(t *testing.T) {
	c := stats.New(cfg) // an hour: the minute of t0 (09:00) and the 59 after it
	k := ring("a", "Sales", t0)
	c.Apply(k.c)
	c.Apply(k.answer(t0.Add(70 * time.Second))) // in the next minute: still the bucket of 09:00
	c.Apply(k.end(t0.Add(3*time.Minute), providers.OutcomeNone))

	last := time.Date(2026, 3, 2, 9, 59, 59, 999_999_999, time.UTC)
	s := c.Snapshot(last)
	q := queueOf(t, s, "Sales")
	if q.Offered != 1 || q.Answered != 1 || q.Arrivals[0] != 1 || len(q.Arrivals) != 60 || q.ASA != 70*time.Second {
		t.Fatalf("at %v: %+v; want the call in the window's oldest minute", last, q)
	}
	if want := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC); !s.From.Equal(want) {
		t.Fatalf("from %v, want %v", s.From, want)
	}
	s = c.Snapshot(last.Add(time.Nanosecond))
	if len(s.Queues) != 0 || s.Total.Offered != 0 || s.Total.HasASA {
		t.Fatalf("at 10:00 the minute of 09:00 has dropped off, yet: %+v", s)
	}
	if s.Total.Arrivals == nil || len(s.Total.Arrivals) != 60 {
		t.Fatalf("total arrivals %v, want 60 minutes of zeros", s.Total.Arrivals)
	}
}

func TestOutcomeOfACallWhoseMinuteHasDroppedOffIsNotCounted(t *testing.T) {
	c := stats.New(stats.Config{Window: 2 * time.Minute})
	k := ring("a", "Sales", t0)
	c.Apply(k.c)
	c.Apply(k.answer(t0.Add(time.Second)))
	// Calls of later minutes arrive; the minute of t0 leaves the window.
	for i := range 5 {
		c.Apply(ring("x"+itoa(i), "Sales", t0.Add(time.Duration(i+1)*time.Minute)).c)
	}
	c.Apply(k.end(t0.Add(10*time.Minute), providers.OutcomeNone))
	q := queueOf(t, c.Snapshot(t0.Add(5*time.Minute)), "Sales")
	if q.Offered != 2 || q.Answered != 0 || q.HasAHT || q.Talking != 0 {
		t.Fatalf("%+v: want the two calls of the last two minutes, not the one answered long ago", q)
	}
}

func TestTotalIsComputedFromSummedParts(t *testing.T) {
	c := stats.New(cfg)
	// Sales: 1 of 1 within (5s). Support: 0 of 3 within (30s, 40s, rejected).
	k := ring("s1", "Sales", t0)
	c.Apply(k.c)
	c.Apply(k.answer(t0.Add(5 * time.Second)))
	c.Apply(k.end(t0.Add(65*time.Second), providers.OutcomeNone))
	for i, speed := range []time.Duration{30 * time.Second, 40 * time.Second} {
		k := ring("p"+itoa(i), "Support", t0)
		c.Apply(k.c)
		c.Apply(k.answer(t0.Add(speed)))
		c.Apply(k.hold())
	}
	rej := ring("p9", "Support", t0)
	c.Apply(rej.c)
	c.Apply(rej.end(t0.Add(3*time.Second), providers.OutcomeRejected))
	w := ring("w", "", t0.Add(10*time.Second)) // direct, still ringing
	c.Apply(w.c)

	s := c.Snapshot(t0.Add(90 * time.Second))
	if got := names2(s.Queues); strings.Join(got, ",") != "Sales,Support,direct" {
		t.Fatalf("queues %v, want Sales, Support, direct", got)
	}
	sales, support, direct := s.Queues[0], s.Queues[1], s.Queues[2]
	if sales.SL != 1 || support.SL != 0 || support.Rejected != 1 || support.Held != 2 || direct.SL != 0 || direct.Waiting != 1 {
		t.Fatalf("sales %+v\nsupport %+v\ndirect %+v", sales, support, direct)
	}
	tot := s.Total
	// Summed parts: within 1 of 5 counted (sales 1, support 3, direct 1
	// past the threshold), not the mean of 1, 0 and 0.
	if tot.WithinSL != 1 || tot.SLCounted != 5 || tot.SL != 0.2 || !tot.SLBelowTarget {
		t.Fatalf("total SL %v (%d of %d), want 0.2 (1 of 5)", tot.SL, tot.WithinSL, tot.SLCounted)
	}
	if tot.ASA != 25*time.Second || tot.AHT != time.Minute || tot.Answered != 3 || tot.Offered != 5 {
		t.Fatalf("total ASA %v AHT %v answered %d offered %d, want 25s, 1m, 3, 5", tot.ASA, tot.AHT, tot.Answered, tot.Offered)
	}
	if tot.LongestWait != 80*time.Second || tot.Waiting != 1 || tot.Talking != 0 || tot.Held != 2 || !tot.WaitBeyondThreshold {
		t.Fatalf("total now: %+v", tot)
	}
	if tot.Arrivals[57] != 5 || tot.Arrivals[59] != 0 { // 09:02 now: 09:00 is two minutes back
		t.Fatalf("total arrivals %v, want 5 in the minute two before now's", tot.Arrivals[55:])
	}
}

func TestRejectedIsAMiss(t *testing.T) {
	c := stats.New(cfg)
	k := ring("a", "Sales", t0)
	c.Apply(k.c)
	c.Apply(k.end(t0.Add(2*time.Second), providers.OutcomeRejected)) // within the grace: still a miss
	q := queueOf(t, c.Snapshot(t0.Add(time.Minute)), "Sales")
	if q.Rejected != 1 || q.Abandoned != 0 || q.SLCounted != 1 || q.SL != 0 {
		t.Fatalf("%+v: a rejected call is a miss for the service level", q)
	}
}

func TestVersionsDecideAndNoCallCountsTwice(t *testing.T) {
	c := stats.New(cfg)
	k := ring("a", "Sales", t0)
	ringing := k.c
	answered := k.answer(t0.Add(3 * time.Second))
	ended := k.end(t0.Add(time.Minute), providers.OutcomeNone)
	for _, snap := range []providers.Call{ended, ringing, answered, ended, ringing} {
		c.Apply(snap)
	}
	q := queueOf(t, c.Snapshot(t0.Add(2*time.Minute)), "Sales")
	if q.Offered != 1 || q.Answered != 1 || q.Waiting != 0 || q.Talking != 0 || q.AHT != 57*time.Second {
		t.Fatalf("%+v: the ended snapshot came first and must stand", q)
	}
	same := ended
	same.Queue = "Support" // the same version saying otherwise: ignored
	c.Apply(same)
	if s := c.Snapshot(t0.Add(2 * time.Minute)); len(s.Queues) != 1 || s.Queues[0].Name != "Sales" {
		t.Fatalf("a snapshot of the same version was applied: %v", names2(s.Queues))
	}
}

func TestACallThatChangesQueueMovesWithIt(t *testing.T) {
	c := stats.New(cfg)
	k := ring("a", "Sales", t0)
	c.Apply(k.c)
	c.Apply(k.next(func(c *providers.Call) { c.Queue = "Support" }))
	s := c.Snapshot(t0.Add(30 * time.Second))
	if len(s.Queues) != 1 || s.Queues[0].Name != "Support" || s.Queues[0].Waiting != 1 || s.Queues[0].SLCounted != 1 {
		t.Fatalf("%+v: the call rings in Support now", s.Queues)
	}
}

func TestOnlyIncomingCallsCount(t *testing.T) {
	c := stats.New(cfg)
	out := ring("o", "Sales", t0)
	out.c.Direction = providers.Outgoing
	c.Apply(out.c)
	c.Apply(out.answer(t0.Add(time.Second)))
	unsaid := ring("u", "Sales", t0)
	unsaid.c.Direction = ""
	c.Apply(unsaid.c)
	if s := c.Snapshot(t0.Add(time.Minute)); len(s.Queues) != 0 || s.Total.Talking != 0 || c.Remembered() != 0 {
		t.Fatalf("outgoing and undirected calls counted: %+v (remembered %d)", s, c.Remembered())
	}
}

func TestUnknownArrivalCountsNowOnly(t *testing.T) {
	c := stats.New(cfg)
	k := ring("a", "Sales", time.Time{})
	c.Apply(k.c)
	q := queueOf(t, c.Snapshot(t0), "Sales")
	if q.Waiting != 1 || q.LongestWait != 0 || q.Offered != 0 || q.WaitBeyondThreshold {
		t.Fatalf("%+v: want waiting, no wait measured, nothing offered", q)
	}
}

func TestMemoryIsBoundedLiveCalls(t *testing.T) {
	c := stats.New(stats.Config{MaxCalls: 3})
	var calls []*call
	for i := range 5 {
		k := ring("c"+itoa(i), "Sales", t0.Add(time.Duration(i)*time.Second))
		calls = append(calls, k)
		c.Apply(k.c)
	}
	s := c.Snapshot(t0.Add(10 * time.Second))
	if c.Remembered() != 3 || s.Forgotten != 2 || s.Total.Offered != 3 || s.Total.Waiting != 3 || s.Total.LongestWait != 8*time.Second {
		t.Fatalf("remembered %d forgotten %d offered %d waiting %d longest %v; want 3 2 3 3 8s (the two oldest forgotten, out of every figure)",
			c.Remembered(), s.Forgotten, s.Total.Offered, s.Total.Waiting, s.Total.LongestWait)
	}
	// A later snapshot of a forgotten call counts it afresh, once.
	c.Apply(calls[0].answer(t0.Add(11 * time.Second)))
	s = c.Snapshot(t0.Add(12 * time.Second))
	if s.Total.Offered != 3 || s.Total.Answered != 1 || s.Forgotten != 3 {
		t.Fatalf("offered %d answered %d forgotten %d; want 3 1 3", s.Total.Offered, s.Total.Answered, s.Forgotten)
	}
}

func TestMemoryIsBoundedEndedCallsGoFirstAndKeepTheirFigures(t *testing.T) {
	c := stats.New(stats.Config{MaxCalls: 3})
	live := ring("live", "Sales", t0) // remembered longest, but live
	c.Apply(live.c)
	for i := range 4 {
		k := ring("e"+itoa(i), "Sales", t0.Add(time.Second))
		c.Apply(k.c)
		c.Apply(k.end(t0.Add(30*time.Second), providers.OutcomeMissed))
	}
	s := c.Snapshot(t0.Add(40 * time.Second))
	if c.Remembered() != 3 || s.Forgotten != 2 || s.Total.Offered != 5 || s.Total.Abandoned != 4 || s.Total.Waiting != 1 {
		t.Fatalf("remembered %d forgotten %d offered %d abandoned %d waiting %d; want 3 2 5 4 1 (ended calls forgotten, their figures kept)",
			c.Remembered(), s.Forgotten, s.Total.Offered, s.Total.Abandoned, s.Total.Waiting)
	}
}

func TestEndedCallsAreForgottenAWindowAfterTheyEnd(t *testing.T) {
	c := stats.New(stats.Config{Window: 5 * time.Minute})
	for i := range 1000 {
		k := ring("c"+itoa(i), "Sales", t0)
		c.Apply(k.c)
		c.Apply(k.end(t0.Add(time.Second), providers.OutcomeNone))
	}
	live := ring("live", "Sales", t0)
	c.Apply(live.c)
	if c.Remembered() != 1001 {
		t.Fatalf("remembered %d, want all 1001 while they are in the window", c.Remembered())
	}
	c.Snapshot(t0.Add(5 * time.Minute)) // they ended in the minute of t0, a window ago
	if c.Remembered() != 1 {
		t.Fatalf("remembered %d a window later, want only the live call", c.Remembered())
	}
	if q := queueOf(t, c.Snapshot(t0.Add(5*time.Minute)), "Sales"); q.Waiting != 1 || q.Offered != 0 {
		t.Fatalf("%+v", q)
	}
}

func TestQueuesAreBounded(t *testing.T) {
	c := stats.New(cfg)
	for i := range stats.MaxQueues + 10 {
		c.Apply(ring("c"+itoa(i), "q"+itoa(i), t0).c)
	}
	long := strings.Repeat("é", 10_000)
	c.Apply(ring("long", long, t0).c)
	s := c.Snapshot(t0.Add(time.Second))
	if len(s.Queues) != stats.MaxQueues+1 || s.Total.Waiting != stats.MaxQueues+11 {
		t.Fatalf("%d queues, %d waiting; want %d queues and every call", len(s.Queues), s.Total.Waiting, stats.MaxQueues+1)
	}
	if q := queueOf(t, s, stats.Overflow); q.Waiting != 11 {
		t.Fatalf("overflow holds %d calls, want 11", q.Waiting)
	}
}

func TestLongQueueNamesAreCut(t *testing.T) {
	c := stats.New(cfg)
	long := strings.Repeat("é", 10_000)
	c.Apply(ring("a", long, t0).c)
	c.Apply(ring("b", long+"x", t0).c)
	s := c.Snapshot(t0.Add(time.Second))
	if len(s.Queues) != 1 || len([]rune(s.Queues[0].Name)) > 128 || s.Queues[0].Waiting != 2 {
		t.Fatalf("%d queues, the first named %d characters", len(s.Queues), len([]rune(s.Queues[0].Name)))
	}
}

// TestMadeUpTimesNeverPanic: times from far outside any real call (year 1,
// year 9999, an end before the answer) give figures, never a panic or a
// negative duration.
func TestMadeUpTimesNeverPanic(t *testing.T) {
	c := stats.New(cfg)
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	ancient := time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)
	for i, at := range []time.Time{ancient, far, t0} {
		k := ring("c"+itoa(i), "Sales", t0)
		c.Apply(k.c)
		c.Apply(k.answer(at))
		c.Apply(k.end(at.Add(-time.Hour), providers.OutcomeNone))
	}
	for i := range 3 {
		c.Apply(ring("f"+itoa(i), "Sales", far).c)
		c.Apply(ring("a"+itoa(i), "Sales", ancient).c)
	}
	for _, now := range []time.Time{t0, far, ancient, {}} {
		s := c.Snapshot(now)
		for _, q := range append(s.Queues, s.Total) {
			if q.ASA < 0 || q.AHT < 0 || q.LongestWait < 0 || q.SL < 0 || q.SL > 1 {
				t.Fatalf("at %v: %+v", now, q)
			}
		}
	}
	s := c.Snapshot(t0.Add(time.Minute))
	if q := queueOf(t, s, "Sales"); q.Answered != 3 || q.ASA <= 0 || q.AHT != 0 {
		t.Fatalf("%+v: want three answered, an ASA above 0 (one answered in 9999), AHT 0 (ends before answers)", q)
	}
}

// TestAFarFutureArrivalHoldsNoBucket: a made-up arrival years ahead takes a
// bucket's place; the next snapshot gives it back, so the real minute that
// shares the place is counted.
func TestAFarFutureArrivalHoldsNoBucket(t *testing.T) {
	c := stats.New(stats.Config{Window: 10 * time.Minute}) // 12 places: 10 minutes and the slack
	// 12 × 100 000 minutes ahead: the same place as t0's minute.
	c.Apply(ring("bogus", "Sales", t0.Add(1_200_000*time.Minute)).c)
	c.Snapshot(t0)
	c.Apply(ring("real", "Sales", t0).c)
	if q := queueOf(t, c.Snapshot(t0.Add(time.Second)), "Sales"); q.Offered != 1 || q.Waiting != 2 {
		t.Fatalf("%+v: the real call must be offered, both waiting", q)
	}
}

// droppedAhead is a counter where the call early rang in Sales at ahead, 30
// minutes on, and a snapshot at t0 then emptied the bucket of ahead's minute
// as too far ahead (and moved the latest minute back).
func droppedAhead() (c *stats.Counter, early *call, ahead time.Time) {
	c = stats.New(stats.Config{Window: 10 * time.Minute}) // 12 places: 10 minutes and the slack
	ahead = t0.Add(30 * time.Minute)
	early = ring("early", "Sales", ahead)
	c.Apply(early.c)
	c.Snapshot(t0)
	return c, early, ahead
}

// A snapshot that changes nothing the figures count, of a call whose
// bucket a Snapshot emptied as too far ahead, counts the call afresh, as any
// snapshot of it does.
func TestAnUnchangedCallWhoseBucketWasDroppedCountsAgain(t *testing.T) {
	c, early, ahead := droppedAhead()
	c.Apply(ring("other", "Support", ahead).c) // moves the latest minute on again
	c.Apply(early.next(func(c *providers.Call) { c.Caps = providers.Caps(providers.ActionAnswer) }))
	if q := queueOf(t, c.Snapshot(ahead.Add(time.Second)), "Sales"); q.Offered != 1 || q.Waiting != 1 {
		t.Fatalf("%+v: the call must be offered and waiting", q)
	}
}

// A call counted in a bucket that a Snapshot emptied as too far ahead is
// not taken back from the bucket another call opens later for that minute:
// the bucket no longer holds it.
func TestACallDroppedAsAheadIsNotTakenFromTheNextBucket(t *testing.T) {
	c, early, ahead := droppedAhead()
	c.Apply(ring("late", "Sales", ahead).c)                              // opens the bucket again, with only this call in it
	c.Apply(early.next(func(c *providers.Call) { c.Queue = "Support" })) // the early call moves
	s := c.Snapshot(ahead.Add(time.Second))
	if q := queueOf(t, s, "Sales"); q.Offered != 1 || q.Waiting != 1 {
		t.Fatalf("%+v: Sales must have the late call offered and waiting", q)
	}
	if q := queueOf(t, s, "Support"); q.Offered != 1 || q.Waiting != 1 {
		t.Fatalf("%+v: Support must have the early call offered and waiting", q)
	}
}

func TestConfigCheck(t *testing.T) {
	good := stats.Config{Window: time.Hour, Threshold: 20 * time.Second, Target: 0.8}
	if err := good.Check(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	for name, tc := range map[string]struct {
		cfg  stats.Config
		want string
	}{
		"window of seconds":  {stats.Config{Window: 90 * time.Second, Threshold: 20 * time.Second, Target: 0.8}, "whole minutes"},
		"window too short":   {stats.Config{Window: 30 * time.Second, Threshold: 20 * time.Second, Target: 0.8}, "want 1m to 24h"},
		"window too long":    {stats.Config{Window: 25 * time.Hour, Threshold: 20 * time.Second, Target: 0.8}, "want 1m to 24h"},
		"no threshold":       {stats.Config{Window: time.Hour, Target: 0.8}, "--service-level 0s"},
		"threshold too long": {stats.Config{Window: time.Minute, Threshold: time.Minute, Target: 0.8}, "less than the window"},
		"target above 100%":  {stats.Config{Window: time.Hour, Threshold: 20 * time.Second, Target: 1.5}, "--service-level-target"},
		"target zero":        {stats.Config{Window: time.Hour, Threshold: 20 * time.Second}, "--service-level-target"},
	} {
		if err := tc.cfg.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %q", name, err, tc.want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]float64{"80%": 0.8, "0.8": 0.8, " 92.5 % ": 0.925, "100%": 1, "1": 1, "0.05": 0.05} {
		if got, err := stats.ParseTarget(in); err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"80":   "write a percentage with its sign (80%) or a fraction (0.8)",
		"abc":  "not a service-level target",
		"":     "not a service-level target",
		"0":    "out of range",
		"120%": "out of range",
		"-5%":  "out of range",
		"NaN":  "not a service-level target",
		"%":    "not a service-level target",
	} {
		if _, err := stats.ParseTarget(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTarget(%q): %v, want an error saying %q", in, err, want)
		}
	}
}
