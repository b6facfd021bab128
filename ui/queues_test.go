package ui

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"ringside/providers"
	"ringside/providers/stats"
	"ringside/theme"
)

// inQueue puts c in queue q.
func inQueue(c providers.Call, q string) providers.Call {
	c.Queue = q
	return c
}

// queuesScene is a morning on four queues, fixed in time (t0 is 12:00):
//
//   - Sales: three callers waiting (5 s, 12 s, 47 s: past the 20 s
//     threshold), two talking (answered in 8 s and 30 s), one handled (in
//     10 s) and one who gave up after 40 s. Service level 2 of 5: 40 %, under
//     the 80 % target.
//   - Support: one waiting 3 s, one on hold, four handled within 15 s: 100 %.
//   - Billing: one talking, one rejected, one answered and transferred.
//   - no queue (direct): one ringing, one misdial that hung up after 3 s.
//
// Arrivals are spread over the last 50 minutes, so the sparklines have a
// shape.
func queuesScene(hs *harness) {
	hs.status(providers.Status{Link: providers.LinkLive, Detail: "simulated, seed 7"})
	ago := func(d time.Duration) time.Time { return t0.Add(-d) }
	handled := func(c providers.Call, speed, talk time.Duration) providers.Call {
		c = answered(c, c.Arrived.Add(speed))
		return ended(c, c.Answered.Add(talk), providers.EndReason{Code: 200, Text: "hung up by the caller"}, providers.OutcomeHandled)
	}
	var calls []providers.Call
	add := func(q string, cs ...providers.Call) {
		for _, c := range cs {
			calls = append(calls, inQueue(c, q))
		}
	}
	add("Sales",
		ringing("s-wait1", "Ana Ribeiro", ago(5*time.Second)),
		ringing("s-wait2", "Ethan Brooks", ago(12*time.Second)),
		ringing("s-wait3", "Lena Fischer", ago(47*time.Second)),
		answered(ringing("s-talk1", "James Carter", ago(3*time.Minute)), ago(3*time.Minute-8*time.Second)),
		answered(ringing("s-talk2", "Pieter de Vries", ago(9*time.Minute)), ago(9*time.Minute-30*time.Second)),
		handled(ringing("s-done", "Marta Kowalska", ago(31*time.Minute)), 10*time.Second, 4*time.Minute),
		ended(ringing("s-gone", "Arjun Sharma", ago(22*time.Minute)), ago(22*time.Minute-40*time.Second),
			providers.EndReason{Code: 487, Text: "the caller hung up"}, providers.OutcomeMissed),
	)
	held := answered(ringing("p-held", "Olu Okafor", ago(14*time.Minute)), ago(14*time.Minute-6*time.Second))
	held = next(held, func(c *providers.Call) { c.State = providers.StateHeld })
	add("Support",
		ringing("p-wait", "Zoë Martin", ago(3*time.Second)),
		held,
		handled(ringing("p-done1", "Mikko Virtanen", ago(48*time.Minute)), 5*time.Second, 2*time.Minute),
		handled(ringing("p-done2", "Carol Díaz", ago(41*time.Minute)), 12*time.Second, 6*time.Minute),
		handled(ringing("p-done3", "Dan Wu", ago(40*time.Minute)), 15*time.Second, 3*time.Minute),
		handled(ringing("p-done4", "山田 太郎", ago(17*time.Minute)), 3*time.Second, 90*time.Second),
	)
	xfer := answered(ringing("b-xfer", "Fay Grant", ago(26*time.Minute)), ago(26*time.Minute-9*time.Second))
	xfer = ended(xfer, ago(24*time.Minute), providers.EndReason{Code: 0, Subcode: 7015, Text: "Transferred to Sales desk"}, providers.OutcomeTransferred)
	add("Billing",
		answered(ringing("b-talk", "Gus Grant", ago(6*time.Minute)), ago(6*time.Minute-14*time.Second)),
		ended(ringing("b-rej", "Hana Novak", ago(35*time.Minute)), ago(35*time.Minute-4*time.Second),
			providers.EndReason{Code: 486, Text: "Rejected from the console: busy"}, providers.OutcomeRejected),
		xfer,
	)
	add("",
		ringing("d-wait", "+44 20 7946 0018", ago(2*time.Second)),
		ended(ringing("d-misdial", "+33 6 39 98 71 89", ago(12*time.Minute)), ago(12*time.Minute-3*time.Second),
			providers.EndReason{Code: 487, Text: "the caller hung up"}, providers.OutcomeMissed),
	)
	hs.events(calls...)
}

func onQueues(c *Config) { c.View = ViewQueues }

// queueOrder is the queues' names in the order the view lists them.
func queueOrder(hs *harness) []string {
	var names []string
	for i := range hs.m.queues.order {
		names = append(names, hs.m.queues.nameAt(i))
	}
	return names
}

// queueRow is the screen line of the row that starts with name (a queue or
// TOTAL), the cursor column cut off; "" when none does.
func queueRow(hs *harness, name string) string {
	for _, l := range lines(hs.screen()) {
		if len(l) > cursorWidth && strings.HasPrefix(strings.TrimPrefix(strings.TrimPrefix(l, "› "), "  "), name+" ") {
			return l
		}
	}
	return ""
}

// cellUnder is the text of queue name's cell in column c, as shown.
func cellUnder(t *testing.T, hs *harness, name string, c qcol) string {
	t.Helper()
	lay := &hs.m.queues.lay
	at := cursorWidth
	for i, col := range lay.cols {
		if i > 0 {
			at += lay.gap
		}
		if col == c {
			row := []rune(queueRow(hs, name))
			if len(row) < at+lay.w[c] {
				t.Fatalf("no %s row long enough: %q", name, string(row))
			}
			return strings.TrimSpace(string(row[at : at+lay.w[c]]))
		}
		at += lay.w[col]
	}
	t.Fatalf("column %s is not shown", qcols[c].title)
	return ""
}

// selectQueue moves the Queues view's selection to name.
func selectQueue(t *testing.T, hs *harness, name string) {
	t.Helper()
	hs.key("g")
	for i := 0; i < 50 && hs.m.queues.sel != name; i++ {
		hs.key("j")
	}
	if hs.m.queues.sel != name {
		t.Fatalf("could not select %q: rows %v", name, queueOrder(hs))
	}
	if l := queueRow(hs, name); !strings.HasPrefix(l, "› ") {
		t.Fatalf("%s is selected but its row is not marked: %q", name, l)
	}
}

func TestQueuesGolden(t *testing.T) {
	for _, th := range []theme.Name{theme.Dark, theme.Mono} {
		for _, sz := range [][2]int{{80, 24}, {120, 35}, {200, 50}} {
			t.Run(fmt.Sprintf("%s_%dx%d", th, sz[0], sz[1]), func(t *testing.T) {
				hs := newHarness(t, sz[0], sz[1], onQueues, func(c *Config) { c.Theme = th })
				queuesScene(hs)
				selectQueue(t, hs, "Sales")
				goldenView(t, hs.m)
			})
		}
	}
}

// tab goes Live → History → Queues → Live, shift+tab the other way, and the
// tab strip names the view shown and counts the queues.
func TestTabCyclesThroughTheViews(t *testing.T) {
	hs := newHarness(t, 120, 35)
	queuesScene(hs)
	strip := func() string { return lines(hs.screen())[1] }
	if !strings.Contains(strip(), "[Live 9]") || !strings.Contains(strip(), " Queues 4 ") {
		t.Fatalf("tab strip %q", strip())
	}
	for _, want := range []struct {
		t    tab
		mark string
	}{{tabHistory, "[History 9]"}, {tabQueues, "[Queues 4]"}, {tabLive, "[Live 9]"}} {
		hs.key("tab")
		if hs.m.tab != want.t || !strings.Contains(strip(), want.mark) {
			t.Fatalf("after tab: tab %d, strip %q; want %d with %s", hs.m.tab, strip(), want.t, want.mark)
		}
	}
	backTab := tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	for _, want := range []tab{tabQueues, tabHistory, tabLive} {
		hs.send(backTab)
		if hs.m.tab != want {
			t.Fatalf("after shift+tab: tab %d, want %d", hs.m.tab, want)
		}
	}
	// --view opens on the view named; anything else on Live.
	for view, want := range map[ViewName]string{ViewQueues: "[Queues 4]", ViewHistory: "[History 9]", ViewLive: "[Live 9]", "": "[Live 9]", "board": "[Live 9]"} {
		hs := newHarness(t, 120, 35, func(c *Config) { c.View = view })
		queuesScene(hs)
		if !strings.Contains(strip2(hs), want) {
			t.Errorf("View %q opens with the tab strip %q, want %s", view, strip2(hs), want)
		}
	}
}

func strip2(hs *harness) string { return lines(hs.screen())[1] }

// < and > move the sort column across the columns shown; each sorts its
// own way (names A→Z, figures largest first, ties by name), the titles mark
// it, TOTAL stays last, and the selection stays on its queue.
func TestQueuesSortKeys(t *testing.T) {
	hs := newHarness(t, 120, 35, onQueues)
	queuesScene(hs)
	titles := func() string { return lines(hs.screen())[3] }
	if got := queueOrder(hs); !slices.Equal(got, []string{"Billing", "Sales", "Support", "direct"}) || !strings.Contains(titles(), "QUEUE ▲") {
		t.Fatalf("first order %v, titles %q", got, titles())
	}
	selectQueue(t, hs, "Support")
	for _, step := range []struct {
		key, mark string
		want      []string
	}{
		{">", "▼WAITING", []string{"Sales", "Support", "direct", "Billing"}},
		{">", "▼LONGEST", []string{"Sales", "Support", "direct", "Billing"}},
		{">", "▼TALKING", []string{"Sales", "Billing", "Support", "direct"}},
		{">", "▼HELD", []string{"Support", "Billing", "Sales", "direct"}},
		{">", "▼OFFERED", []string{"Sales", "Support", "Billing", "direct"}},
		{">", "▼ANSWERED", []string{"Support", "Sales", "Billing", "direct"}},
		{">", "▼SL %", []string{"Support", "Billing", "Sales", "direct"}},
		{">", "▼ABANDONED", []string{"Sales", "direct", "Billing", "Support"}},
		{">", "▼ASA", []string{"Sales", "Billing", "Support", "direct"}},
		{">", "▼ASA", []string{"Sales", "Billing", "Support", "direct"}}, // the last column shown sorts: it stays
		{"<", "▼ABANDONED", []string{"Sales", "direct", "Billing", "Support"}},
	} {
		hs.key(step.key)
		if got := queueOrder(hs); !slices.Equal(got, step.want) || !strings.Contains(titles(), step.mark) {
			t.Fatalf("%s to %s: rows %v, titles %q; want %v", step.key, step.mark, got, titles(), step.want)
		}
		if strings.Count(titles(), "▼")+strings.Count(titles(), "▲") != 1 {
			t.Fatalf("titles mark more than one column: %q", titles())
		}
		if hs.m.queues.sel != "Support" || !strings.HasPrefix(queueRow(hs, "Support"), "› ") {
			t.Fatalf("selection left Support for %q", hs.m.queues.sel)
		}
		// TOTAL is the line after the last queue row, whatever the order.
		ls := lines(hs.screen())
		last := slices.IndexFunc(ls, func(l string) bool { return strings.Contains(l, step.want[len(step.want)-1]+" ") })
		if last < 0 || !strings.HasPrefix(strings.TrimSpace(ls[last+1]), "TOTAL") {
			t.Fatalf("TOTAL is not last:\n%s", hs.screen())
		}
	}
	// A sort column the screen drops gives way to the name; it is back
	// when the screen is wide again.
	hs.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	if got := queueOrder(hs); !slices.Equal(got, []string{"Sales", "direct", "Billing", "Support"}) {
		t.Fatalf("ABANDONED is shown at 80 columns: rows %v", got)
	}
	for range 5 {
		hs.key(">")
	}
	if hs.m.queues.sortedBy() != qAbandoned {
		t.Fatalf("at 80 columns > stops at %d, want ABANDONED, the last column shown", hs.m.queues.sortedBy())
	}
	hs.send(tea.WindowSizeMsg{Width: 120, Height: 35})
	hs.key(">")
	hs.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	if got := queueOrder(hs); !slices.Equal(got, []string{"Billing", "Sales", "Support", "direct"}) || !strings.Contains(lines(hs.screen())[3], "QUEUE ▲") {
		t.Fatalf("sorted by ASA, which 80 columns do not show: rows %v, titles %q", got, lines(hs.screen())[3])
	}
	hs.send(tea.WindowSizeMsg{Width: 120, Height: 35})
	if hs.m.queues.sortedBy() != qASA {
		t.Fatalf("wide again, sorted by %d, want ASA", hs.m.queues.sortedBy())
	}
}

// The selection is a queue: it stays on it while new calls reorder the
// rows, and when its queue leaves the figures the row that takes its place
// is selected.
func TestQueuesSelectionFollowsItsQueue(t *testing.T) {
	hs := newHarness(t, 120, 35, onQueues)
	queuesScene(hs)
	hs.key(">") // by WAITING: Sales 3, Support 1, direct 1, Billing 0
	selectQueue(t, hs, "direct")
	hs.events(ringing("d-2", "A", t0), ringing("d-3", "B", t0), ringing("d-4", "C", t0))
	if got := queueOrder(hs); got[0] != "direct" || hs.m.queues.sel != "direct" || !strings.HasPrefix(queueRow(hs, "direct"), "› ") {
		t.Fatalf("rows %v, selected %q: want direct first and selected", got, hs.m.queues.sel)
	}

	// A queue whose only call is about to leave the window.
	hs = newHarness(t, 120, 35, onQueues)
	queuesScene(hs)
	// It arrived in the window's oldest minute (11:01 of 11:01 to 12:00).
	old := inQueue(ended(ringing("t-1", "Old", t0.Add(-58*time.Minute-30*time.Second)), t0.Add(-58*time.Minute),
		providers.EndReason{Text: "gone"}, providers.OutcomeMissed), "Temp")
	hs.events(old)
	selectQueue(t, hs, "Temp")
	at := slices.Index(queueOrder(hs), "Temp")
	hs.clk.advance(time.Minute)
	hs.send(tickMsg{gen: hs.m.tick.gen})
	if got := queueOrder(hs); slices.Contains(got, "Temp") {
		t.Fatalf("Temp still listed a window after its call: %v", got)
	}
	if want := queueOrder(hs)[at]; hs.m.queues.sel != want {
		t.Fatalf("selected %q after Temp left, want %q, the row in its place", hs.m.queues.sel, want)
	}
}

// enter on a queue opens the Live view with that queue's calls only; the
// tab strip names it, the history follows it, new calls are sorted into it,
// and esc shows every call again. TOTAL lists every call.
func TestQueuesEnterListsTheQueuesCalls(t *testing.T) {
	hs := newHarness(t, 120, 35, onQueues)
	queuesScene(hs)
	listed := func() []string {
		var ids []string
		hs.m.list(hs.m.tab).Range(0, func(_ int, r *row) bool { ids = append(ids, r.call.ID()); return true })
		slices.Sort(ids)
		return ids
	}
	selectQueue(t, hs, "Sales")
	hs.key("enter")
	if hs.m.tab != tabLive {
		t.Fatalf("enter left the view on tab %d", hs.m.tab)
	}
	if got := listed(); !slices.Equal(got, []string{"s-talk1", "s-talk2", "s-wait1", "s-wait2", "s-wait3"}) {
		t.Fatalf("live rows %v, want the five live calls of Sales", got)
	}
	if !strings.Contains(strip2(hs), "queue: Sales") || !strings.Contains(hs.screen(), "live calls of Sales") {
		t.Fatalf("the queue is not named:\n%s", hs.screen())
	}
	if !strings.Contains(lastLine(hs), "esc all queues") {
		t.Errorf("help line %q does not say esc lifts the queue", lastLine(hs))
	}
	hs.events(inQueue(ringing("s-new", "New", t0), "Sales"), inQueue(ringing("p-new", "Other", t0), "Support"))
	if got := listed(); !slices.Contains(got, "s-new") || slices.Contains(got, "p-new") {
		t.Fatalf("new calls: rows %v, want s-new in and p-new out", got)
	}
	hs.key("tab")
	if got := listed(); !slices.Equal(got, []string{"s-done", "s-gone"}) {
		t.Fatalf("history rows %v, want the two ended calls of Sales", got)
	}
	hs.key("tab") // back on the Queues view
	hs.key("esc")
	hs.key("tab")
	if got := listed(); len(got) != 11 || strings.Contains(strip2(hs), "queue:") {
		t.Fatalf("after esc: %d rows %v, strip %q; want all 11 live calls", len(got), got, strip2(hs))
	}

	// Calls with no queue are the direct row's.
	hs.key("tab")
	hs.key("tab")
	selectQueue(t, hs, "direct")
	hs.key("enter")
	if got := listed(); !slices.Equal(got, []string{"d-wait"}) {
		t.Fatalf("direct: rows %v, want d-wait", got)
	}
	// With words in the filter too, both apply.
	hs.key("/")
	hs.typeText("nobody")
	hs.key("enter")
	if got := listed(); len(got) != 0 || !strings.Contains(hs.screen(), "No calls of direct match “nobody”") {
		t.Fatalf("rows %v:\n%s", got, hs.screen())
	}
	hs.key("esc") // the words go first
	if got := listed(); !slices.Equal(got, []string{"d-wait"}) {
		t.Fatalf("after esc, rows %v: want the queue still applied", got)
	}

	// Details left open on the Live view are not what esc closes here.
	hs.key("enter")
	hs.key("tab")
	hs.key("tab")
	if l := lastLine(hs); strings.Contains(l, "close details") || !strings.Contains(l, "esc all queues") {
		t.Errorf("help line on the Queues view with the details open behind it: %q", l)
	}

	// TOTAL: every call.
	hs.key("G")
	if hs.m.queues.sel != totalRow || !strings.HasPrefix(queueRow(hs, "TOTAL"), "› ") {
		t.Fatalf("G selected %q", hs.m.queues.sel)
	}
	hs.key("enter")
	if got := listed(); len(got) != 11 || strings.Contains(strip2(hs), "queue:") {
		t.Fatalf("TOTAL: %d rows, strip %q", len(got), strip2(hs))
	}
}

// The calls of queues past the first stats.MaxQueues names are counted
// together; enter on that row says there is no one queue to list.
func TestQueuesOverflowRowListsNothing(t *testing.T) {
	hs := newHarness(t, 120, 35, onQueues)
	var calls []providers.Call
	for i := range stats.MaxQueues + 1 {
		calls = append(calls, inQueue(ringing(fmt.Sprint("c", i), "Caller", t0), fmt.Sprintf("q%04d", i)))
	}
	hs.events(calls...)
	hs.key("g")
	if hs.m.queues.sel != stats.Overflow {
		t.Fatalf("first row %q, want %q", hs.m.queues.sel, stats.Overflow)
	}
	hs.key("enter")
	if hs.m.tab != tabQueues || hs.m.store.query.active() || !strings.Contains(hs.screen(), "no one queue to list") {
		t.Fatalf("enter on %s: tab %d, filter %+v:\n%s", stats.Overflow, hs.m.tab, hs.m.store.query, hs.screen())
	}
	if !strings.Contains(strip2(hs), "rows 1–") {
		t.Errorf("a thousand queues and no word of scrolling: %q", strip2(hs))
	}
}

// An alarm is a glyph and a word beside the figure in every theme, mono
// included: a service level under target, a longest wait past the
// threshold. Queues within both have neither.
func TestQueuesAlarmsHaveAGlyphAndAWord(t *testing.T) {
	for _, th := range []theme.Name{theme.Mono, theme.Dark, theme.Light} {
		hs := newHarness(t, 120, 35, onQueues, func(c *Config) { c.Theme = th })
		queuesScene(hs)
		for name, want := range map[string][]string{
			"Sales": {"⚠ 0:47 long", "▼ 40% low"},
			"TOTAL": {"⚠ 0:47 long", "▼ 69% low"},
		} {
			for _, w := range want {
				if !strings.Contains(queueRow(hs, name), w) {
					t.Errorf("%s: %s row %q lacks %q", th, name, queueRow(hs, name), w)
				}
			}
		}
		if sup := queueRow(hs, "Support"); !strings.Contains(sup, " 100% ") || strings.ContainsAny(sup, "⚠▼") {
			t.Errorf("%s: Support within both alarms: %q", th, sup)
		}
	}
	// On the large totals too.
	hs := newHarness(t, 200, 50, onQueues)
	queuesScene(hs)
	board := lines(hs.screen())[2]
	if !strings.Contains(board, "LONGEST WAIT  ⚠ long") || !strings.Contains(board, "SERVICE LEVEL  ▼ low") {
		t.Errorf("large totals' words %q", board)
	}
}

// The large totals stand above the rows from 160 columns, when there is
// room for them, and show the TOTAL row's waiting, longest wait and
// service level.
func TestQueuesLargeTotalsOnWideScreens(t *testing.T) {
	for _, tt := range []struct {
		w, h  int
		shown bool
	}{{160, 40, true}, {200, 50, true}, {159, 40, false}, {120, 35, false}, {200, 14, false}} {
		hs := newHarness(t, tt.w, tt.h, onQueues)
		queuesScene(hs)
		scr := hs.screen()
		if got := strings.Contains(scr, "LONGEST WAIT"); got != tt.shown {
			t.Errorf("%d×%d: large totals shown %v, want %v:\n%s", tt.w, tt.h, got, tt.shown, scr)
			continue
		}
		checkFrame(t, hs.m.View().Content, tt.w, tt.h)
		if !tt.shown {
			continue
		}
		ls := lines(scr)
		third := tt.w / 3
		for i, figure := range []string{"5", "0:47", "69%"} {
			big := bigText(figure)
			for r := range bigRows {
				cell := []rune(ls[3+r])
				got := strings.TrimRight(string(cell[i*third+2:min(len(cell), i*third+2+len([]rune(big[r])))]), " ")
				if got != strings.TrimRight(big[r], " ") {
					t.Fatalf("%d×%d: total %d, digit row %d is %q, want %q (%s)", tt.w, tt.h, i, r, got, big[r], figure)
				}
			}
		}
	}
}

// While the console has not run a whole window, the view says since when
// its figures count; calls that arrived before are in the figures of now
// only.
func TestQueuesFiguresSince(t *testing.T) {
	for _, tt := range []struct {
		since   time.Time
		says    bool
		offered string
	}{
		{t0.Add(-10 * time.Minute), true, "5"},
		{time.Time{}, false, "7"},
		{t0.Add(-2 * time.Hour), false, "7"},
	} {
		for _, w := range []int{80, 120} {
			hs := newHarness(t, w, 30, onQueues, func(c *Config) { c.Stats.Since = tt.since })
			queuesScene(hs)
			caption := lines(hs.screen())[2]
			if got := strings.Contains(caption, "figures since 11:50 (this console's start)"); got != tt.says {
				t.Errorf("since %v at %d columns: caption %q", tt.since, w, caption)
			}
			if got := hs.m.queues.snap.Queues[1].Offered; fmt.Sprint(got) != tt.offered {
				t.Errorf("since %v: Sales offered %d, want %s", tt.since, got, tt.offered)
			}
			if got := cellUnder(t, hs, "Sales", qOffered); got != tt.offered {
				t.Errorf("since %v: Sales row %q shows offered %s, want %s", tt.since, queueRow(hs, "Sales"), got, tt.offered)
			}
		}
	}
}

// LONGEST moves with the clock, with no new event: the one tick redraws it,
// and a call waiting past the threshold turns the alarms on by itself.
func TestQueuesLongestTicks(t *testing.T) {
	hs := newHarness(t, 120, 35, onQueues)
	hs.events(inQueue(ringing("c1", "Alice", t0.Add(-5700*time.Millisecond)), "Sales"))
	longest := func() string { return cellUnder(t, hs, "Sales", qLongest) }
	if got := longest(); got != "0:05" || !hs.m.tick.armed {
		t.Fatalf("longest %q, tick armed %v", got, hs.m.tick.armed)
	}
	// Each tick reads the figures again, however close together.
	hs.clk.advance(400 * time.Millisecond)
	hs.send(tickMsg{gen: hs.m.tick.gen})
	if got := longest(); got != "0:06" {
		t.Fatalf("0.4 s later the longest wait reads %q, want 0:06", got)
	}
	hs.clk.advance(2 * time.Second)
	hs.send(tickMsg{gen: hs.m.tick.gen})
	if got := longest(); got != "0:08" {
		t.Fatalf("2 s later the longest wait reads %q, want 0:08", got)
	}
	hs.clk.advance(13 * time.Second)
	hs.send(tickMsg{gen: hs.m.tick.gen})
	row := queueRow(hs, "Sales")
	if !strings.Contains(row, "⚠ 0:21 long") || !strings.Contains(row, "▼ 0% low") {
		t.Fatalf("past the 20 s threshold, no event since: %q", row)
	}
}

// With nothing live, the Queues view still moves once a minute while its
// window holds calls (the window slides on); the other views, and a Queues
// view with nothing in its window, do no periodic work.
func TestQueuesWindowSlidesOnceAMinute(t *testing.T) {
	var asked []time.Duration
	hs := newHarness(t, 120, 35)
	hs.m.tick.after = func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		asked = append(asked, d)
		return nil
	}
	hs.clk.advance(20 * time.Second)
	hs.events(inQueue(ended(ringing("c1", "Alice", t0.Add(-59*time.Minute)), t0.Add(-59*time.Minute+10*time.Second),
		providers.EndReason{Text: "gone"}, providers.OutcomeMissed), "Sales"))
	if len(asked) != 0 {
		t.Fatalf("the live view asked for ticks %v with nothing live", asked)
	}
	hs.key("tab")
	hs.key("tab")
	if !slices.Equal(asked, []time.Duration{40 * time.Second}) {
		t.Fatalf("the Queues view asked for ticks %v, want one at the next minute (40s)", asked)
	}
	if !strings.Contains(strip2(hs), "[Queues 1]") {
		t.Fatalf("strip %q", strip2(hs))
	}
	hs.clk.advance(40 * time.Second)
	hs.send(tickMsg{gen: hs.m.tick.gen})
	if !strings.Contains(strip2(hs), "[Queues 0]") || !strings.Contains(hs.screen(), "No calls over the last 1h") {
		t.Fatalf("the call did not leave the window:\n%s", hs.screen())
	}
	if len(asked) != 1 || hs.m.tick.armed {
		t.Fatalf("ticks %v with an empty window", asked)
	}
}

// The Queues view fills the frame at every size, with the help open too.
func TestQueuesFillTheFrameAtEverySize(t *testing.T) {
	for _, sz := range [][2]int{{40, 10}, {60, 20}, {80, 24}, {95, 12}, {100, 30}, {120, 35}, {159, 40}, {160, 40}, {200, 50}, {240, 60}} {
		for _, keys := range [][]string{nil, {"?"}, {">", ">", ">"}} {
			hs := newHarness(t, sz[0], sz[1], onQueues)
			queuesScene(hs)
			for _, k := range keys {
				hs.key(k)
			}
			checkFrame(t, hs.m.View().Content, sz[0], sz[1])
		}
	}
}

// The help lists the Queues view's keys there, and only there; action keys
// do nothing on it and say why.
func TestQueuesKeysAndHelp(t *testing.T) {
	hs := newHarness(t, 120, 35, onQueues)
	queuesScene(hs)
	if l := lastLine(hs); !strings.Contains(l, "enter queue's calls") || !strings.Contains(l, "</> sort column") ||
		!strings.Contains(l, "tab live calls") || strings.Contains(l, "a answer") || strings.Contains(l, "/ filter") {
		t.Fatalf("help line on the Queues view: %q", l)
	}
	hs.key("?")
	if scr := hs.screen(); !strings.Contains(scr, "</>   sort column") && !strings.Contains(scr, "</>  sort column") {
		t.Errorf("full help lacks the sort keys:\n%s", scr)
	}
	hs.key("?")
	liveSel := hs.m.sel[tabLive].id
	hs.key("a")
	if got := hs.p.requests(); len(got) != 0 || !strings.Contains(hs.screen(), "the queues view acts on no call") {
		t.Fatalf("a on the Queues view: requests %v:\n%s", got, hs.screen())
	}
	hs.key("j")
	hs.key("/")
	if hs.m.sel[tabLive].id != liveSel || hs.m.filter.editing {
		t.Fatalf("keys on the Queues view reached the live list: selection %q (was %q), filter typing %v",
			hs.m.sel[tabLive].id, liveSel, hs.m.filter.editing)
	}
	hs.key("tab")
	if l := lastLine(hs); strings.Contains(l, "sort column") || strings.Contains(l, "queue's calls") {
		t.Errorf("help line on the Live view lists the Queues view's keys: %q", l)
	}
}

// A read-only console (a supervisor's) has the Queues view, enter included.
func TestQueuesOnAReadOnlyConsole(t *testing.T) {
	hs := newHarness(t, 120, 35, onQueues, func(c *Config) { c.ReadOnly = true })
	queuesScene(hs)
	if queueRow(hs, "Sales") == "" {
		t.Fatalf("no Sales row:\n%s", hs.screen())
	}
	selectQueue(t, hs, "Support")
	hs.key("enter")
	if hs.m.tab != tabLive || hs.m.list(tabLive).Len() != 2 {
		t.Fatalf("enter on a read-only console: tab %d, %d rows", hs.m.tab, hs.m.list(tabLive).Len())
	}
}

// The queue limit and the filter's words together give exactly the rows a
// full scan finds, whichever way the query changed (narrowed from the rows
// shown, or from every row) and while calls change queue, state and end.
func TestStoreQueueFilterMatchesFullScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	queues := []string{"", "Sales", "Support", "Billing", "direct"}
	names := []string{"alice", "alina", "bob", "carol"}
	s := newStore(0)
	calls := make([]providers.Call, 3000)
	for i := range calls {
		calls[i] = inQueue(ringing(fmt.Sprint(i), names[i%len(names)], t0.Add(time.Duration(i)*time.Millisecond)), queues[i%len(queues)])
		s.apply(&calls[i])
	}
	check := func(step string) {
		t.Helper()
		for _, l := range []struct{ all, filtered *orderedList }{{&s.live, &s.fLive}, {&s.hist, &s.fHist}} {
			var want []string
			l.all.Range(0, func(_ int, r *row) bool {
				if s.query.match(r) {
					want = append(want, r.call.ID())
				}
				return true
			})
			if got := ids(l.filtered); s.query.active() && !slices.Equal(got, want) {
				t.Fatalf("%s (query %q in %q): %d rows, a full scan finds %d", step, s.query.text, s.query.queue, len(got), len(want))
			}
		}
	}
	for i := range 300 {
		switch rng.IntN(4) {
		case 0:
			q := []string{"", "Sales", "Support", stats.Direct}[rng.IntN(4)]
			s.setQueue(q)
			check("queue " + q)
		case 1:
			text := []string{"", "a", "al", "ali", "alin", "bob", "ringing", "active"}[rng.IntN(8)]
			s.setFilter(text)
			check("filter " + text)
		default:
			k := rng.IntN(len(calls))
			c := &calls[k]
			if c.State == providers.StateEnded {
				continue
			}
			switch rng.IntN(3) {
			case 0:
				*c = next(*c, func(c *providers.Call) { c.Queue = queues[rng.IntN(len(queues))] })
			case 1:
				*c = answered(*c, t0)
			default:
				*c = ended(*c, t0.Add(time.Duration(i)*time.Second), providers.EndReason{Text: "done"}, providers.OutcomeHandled)
			}
			s.apply(c)
			check(fmt.Sprint("change ", i))
		}
	}
	// "direct" is the calls with no queue, and those of a queue so named.
	s.setFilter("")
	s.setQueue(stats.Direct)
	s.fLive.Range(0, func(_ int, r *row) bool {
		if r.call.Queue() != "" && r.call.Queue() != stats.Direct {
			t.Fatalf("queue %q listed under %s", r.call.Queue(), stats.Direct)
		}
		return true
	})
}
