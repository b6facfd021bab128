package ui

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

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

// fullText is every piece of text the console shows for c, in lower case,
// as one string: what the filter matches, built the plain way.
func fullText(c *providers.Call) string {
	parts := []string{stateWord(c.State), c.From.String(), c.From.ID, string(c.From.Kind), c.To.String(), c.To.ID,
		string(c.To.Kind), c.Queue, c.Region, string(c.Direction), c.ID, c.End.String(), string(c.Result())}
	if c.Route.Kind != providers.CallOrdinary {
		parts = append(parts, callerText(c), string(c.Route.Kind))
	}
	for _, p := range []providers.Party{c.Route.Dialled, c.Route.RoutedTo, c.Route.OnBehalfOf,
		c.Route.Transferor, c.Route.Observed, c.Route.Organizer} {
		if !p.IsZero() {
			parts = append(parts, p.String(), p.ID)
		}
	}
	for _, m := range c.Modalities {
		parts = append(parts, m, shortModality(m))
	}
	if c.State == providers.StateRinging && !c.AnswerBy.IsZero() {
		parts = append(parts, "no answer timed out")
	}
	return strings.ToLower(strings.Join(parts, "\x1f"))
}

// The filter matches a word wherever the console shows it, the state's
// words included, as a call changes state, and keeps the text it built
// while only the state changes.
func TestFilterMatchesEveryWordShownAsStatesChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	s := newStore(0)
	words := []string{"ringing", "active", "held", "ended", "handled", "missed", "rejected", "answer", "timed", "busy", "486",
		"sales", "caller", "+44", "audio", "video", "screen", "hung", "c1", "user", "phone", "incoming", "meeting", "rec"}
	var calls []providers.Call
	for i := range 60 {
		c := ringing("c"+strconv.Itoa(i), "Caller "+strconv.Itoa(i), t0)
		c.Queue = []string{"", "Sales", "Support"}[i%3]
		if i%4 == 0 {
			c.From = providers.Party{Name: "Desk", ID: "+44 20 7946 000" + strconv.Itoa(i%10), Kind: providers.KindPhone}
		}
		if i%5 == 0 {
			c.Route.Kind = providers.CallMeeting
			c.Route.Organizer = providers.Party{Name: "Organiser " + strconv.Itoa(i)}
		}
		if i%3 == 0 {
			c.Modalities = []string{"audio", "videoBasedScreenSharing"}
		}
		if i%7 == 0 {
			c.AnswerBy = time.Time{}
		}
		calls = append(calls, c)
		s.apply(&c)
	}
	for step := range 400 {
		q := parseQuery(words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))][:2])
		if rng.IntN(3) == 0 {
			q = parseQuery(words[rng.IntN(len(words))])
		}
		s.requery(q, false)
		for _, c := range calls {
			r := s.get(c.ID)
			view := r.view()
			text := fullText(&view)
			want := true
			for _, term := range q.terms {
				want = want && strings.Contains(text, term)
			}
			if got := q.match(r); got != want {
				t.Fatalf("step %d: %q on %s (%s): match %v, want %v", step, q.text, c.ID, view.State, got, want)
			}
		}
		// Change a call: its state most times, its words now and then.
		i := rng.IntN(len(calls))
		c := calls[i]
		if c.State == providers.StateEnded {
			continue
		}
		r := s.get(c.ID)
		kept := r.searchText()
		stateOnly := true
		switch rng.IntN(5) {
		case 0:
			c = answered(c, t0.Add(time.Duration(step)*time.Second))
		case 1:
			c = next(c, func(c *providers.Call) { c.State = providers.StateHeld })
		case 2:
			c = ended(c, t0.Add(time.Duration(step)*time.Second), providers.EndReason{Code: 486, Text: "Hung up: busy"}, providers.Outcome([]string{"", "rejected", "missed"}[rng.IntN(3)]))
		case 3:
			c = next(c, func(c *providers.Call) { c.From.Name += " Jr" })
			stateOnly = false
		default:
			c = next(c, func(c *providers.Call) { c.Caps = 0 })
		}
		calls[i] = c
		s.apply(&c)
		if stateOnly && unsafe.StringData(r.searchText()) != unsafe.StringData(kept) {
			t.Fatalf("step %d: a change of state alone built %s's text again", step, c.ID)
		}
	}
}

// appendLower writes what strings.ToLower does, ASCII or not.
func TestAppendLower(t *testing.T) {
	for _, s := range []string{"", "Ana RIBEIRO", "山田 Taro", "ÀÉÎ Őz", "İstanbul", "ǅ", "abc\x1fDEF", "Zoë ÉCOLE", "\xff\xfeA",
		"\xed\xa0\x80Z", "\xe5\xb1 +1 555", "A\xe5", "\uFFFDÄ", "ΣΑΣ", "KELVIN \u212a", "\xf4\x90\x80\x80X", "Ⅻ ⓐⒷ"} {
		if got := string(appendLower([]byte("x"), s)); got != "x"+strings.ToLower(s) {
			t.Errorf("appendLower(%q) = %q, want %q", s, got[1:], strings.ToLower(s))
		}
	}
}
