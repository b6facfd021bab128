package ui

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/stats"
)

// rowsWith counts the store's rows for which has holds.
func rowsWith(s *store, has func(r *row) bool) int {
	n := 0
	for _, r := range s.rows {
		if has(r) {
			n++
		}
	}
	return n
}

// Cached lines are kept only for the rows the last frame drew: paging
// through a thousand calls leaves a screenful of them, not a thousand.
func TestLinesKeptOnlyForRowsOnScreen(t *testing.T) {
	hs := newHarness(t, 120, 30)
	calls := make([]providers.Call, 1000)
	for i := range calls {
		calls[i] = answered(ringing("c"+strconv.Itoa(i), "Caller "+strconv.Itoa(i), t0.Add(-time.Hour)), t0.Add(-time.Duration(i)*time.Second))
	}
	hs.events(calls...)
	lined := func(r *row) bool { return r.aux != nil && r.aux.line != "" }
	for range 40 {
		hs.screen()
		hs.key("pgdown")
	}
	hs.screen()
	if n := rowsWith(hs.m.store, lined); n == 0 || n > hs.m.tableH {
		t.Fatalf("%d rows keep a drawn line after paging through %d calls; want at most the %d on screen", n, len(calls), hs.m.tableH)
	}
	if len(hs.m.lined) != rowsWith(hs.m.store, lined) {
		t.Fatalf("%d rows listed as keeping a line, %d keep one", len(hs.m.lined), rowsWith(hs.m.store, lined))
	}
	// What is on screen still comes from the cache: drawing again changes nothing.
	before := hs.screen()
	if again := hs.screen(); again != before {
		t.Fatal("the screen changed when drawn twice")
	}
}

// The filter's text is built for every row while a filter is set and let go
// of when it is cleared; rows with nothing else aside hold nothing aside.
func TestSearchTextLetGoWhenTheFilterIsCleared(t *testing.T) {
	hs := newHarness(t, 120, 30)
	calls := make([]providers.Call, 500)
	for i := range calls {
		calls[i] = ringing("c"+strconv.Itoa(i), "Caller "+strconv.Itoa(i), t0.Add(-time.Second))
	}
	hs.events(calls...)
	searched := func(r *row) bool { return r.aux != nil && r.aux.searchOK }
	hs.key("/")
	hs.typeText("caller 4")
	if n := rowsWith(hs.m.store, searched); n != len(calls) {
		t.Fatalf("%d rows have search text while filtering, want all %d", n, len(calls))
	}
	hs.key("esc")
	hs.key("esc")
	if hs.m.store.query.active() {
		t.Fatal("the filter is still set")
	}
	if n := rowsWith(hs.m.store, searched); n != 0 {
		t.Fatalf("%d rows keep search text with no filter set", n)
	}
	hs.screen()
	if n := rowsWith(hs.m.store, func(r *row) bool { return r.aux != nil }); n > hs.m.tableH {
		t.Fatalf("%d rows hold something aside; want at most the %d drawn", n, hs.m.tableH)
	}
}

// The Queues view's counter, fed through the handles the rows keep, has the
// figures of a counter fed every snapshot by Apply: with batches big and
// small, duplicates, stale versions, calls the history lets go of and come
// back under the same id, and calls the counter forgets (a small MaxCalls)
// while the table still shows them.
func TestQueueFiguresThroughRowHandles(t *testing.T) {
	hs := newHarness(t, 120, 30, func(c *Config) { c.HistoryLimit, c.Stats.MaxCalls = 50, 40 })
	plain := stats.New(hs.m.queues.counter.Config())
	rng := rand.New(rand.NewPCG(4, 4))
	cur := map[string]providers.Call{}
	queues := []string{"", "Sales", "Support"}
	at := t0
	for batch := range 60 {
		size := 1 + rng.IntN(10)
		if batch%7 == 0 {
			size = 300 + rng.IntN(300) // merged in bulk
		}
		var evs []providers.Event
		for range size {
			id := "c" + strconv.Itoa(rng.IntN(400))
			at = at.Add(time.Duration(rng.IntN(500)) * time.Millisecond)
			c, ok := cur[id]
			switch {
			case !ok || c.State == providers.StateEnded:
				c = ringing(id, "Caller "+id, at)
				c.Queue = queues[rng.IntN(len(queues))]
				if ok {
					c.Version = cur[id].Version + 1 // the same id again, after its end
				}
			case c.State == providers.StateRinging && rng.IntN(2) == 0:
				c = answered(c, at)
			default:
				c = ended(c, at, providers.EndReason{Text: "bye"}, "")
			}
			cur[id] = c
			send := c
			if rng.IntN(10) == 0 && send.Version > 1 {
				send.Version-- // a stale snapshot
			}
			evs = append(evs, providers.Event{Time: at, Call: &send})
			if rng.IntN(10) == 0 {
				evs = append(evs, providers.Event{Time: at, Call: &send}) // and a duplicate
			}
		}
		for _, ev := range evs {
			plain.Apply(*ev.Call)
		}
		hs.clk.set(at)
		hs.send(eventsMsg{events: evs})
		now := at.Add(time.Second)
		if d := diffSnapshots(hs.m.queues.counter.Snapshot(now), plain.Snapshot(now)); d != "" {
			t.Fatalf("batch %d: the console's figures differ from Apply's: %s", batch, d)
		}
	}
}

// diffSnapshots names the first figure two snapshots disagree on.
func diffSnapshots(got, want stats.Snapshot) string {
	if len(got.Queues) != len(want.Queues) {
		return "queues " + strconv.Itoa(len(got.Queues)) + " against " + strconv.Itoa(len(want.Queues))
	}
	for i := range got.Queues {
		g, w := got.Queues[i], want.Queues[i]
		if g.Name != w.Name || g.Waiting != w.Waiting || g.Talking != w.Talking || g.Held != w.Held ||
			g.Offered != w.Offered || g.Answered != w.Answered || g.Abandoned != w.Abandoned ||
			g.LongestWait != w.LongestWait || g.ASA != w.ASA || g.AHT != w.AHT || g.SL != w.SL {
			return "queue " + g.Name
		}
	}
	if got.Forgotten != want.Forgotten {
		return "forgotten"
	}
	return ""
}
