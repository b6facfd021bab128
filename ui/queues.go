package ui

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"ringside/providers"
	"ringside/providers/stats"
)

// queuesView is the Queues tab, the supervisor's wallboard: one row per
// queue and a TOTAL row, with the figures of providers/stats. The console
// owns one stats.Counter and feeds it every call snapshot of every batch the
// table gets, so the figures and the table never disagree about what
// arrived. The figures are read (Snapshot) once per update at most, never
// per event, and drawing reads only that snapshot: a frame costs the same
// with a hundred calls or a hundred thousand.
type queuesView struct {
	counter *stats.Counter
	snap    stats.Snapshot
	taken   bool // snap has been read at least once
	dirty   bool // calls were applied since snap was read

	lay    queuesLayout
	sort   qcol   // the column asked for; the rows sort by it while it is shown
	order  []int  // indexes of snap.Queues, in the order shown
	sel    string // the selected row's queue name, totalRow, or "" before any row was there to select
	idx    int    // the selected row's place: where to find a neighbour when its queue goes
	offset int    // the first queue row on screen
}

// totalRow names the TOTAL row in the selection; no queue can be called
// that (a name from the network has no control characters).
const totalRow = "\x00total"

// queuesRefresh is how often, at most, the figures are read again for the
// header's count of queues while another view is shown and nothing arrives
// (a queue drops off when its last call leaves the window).
const queuesRefresh = time.Second

func newQueuesView(cfg stats.Config) queuesView {
	return queuesView{counter: stats.New(cfg), sort: qQueue}
}

// applyAll counts a batch of call snapshots, in order; rows[i] is the
// store's row for calls[i] (nil for none), which keeps the call's handle in
// the counter so that it is not looked up again by its id.
func (v *queuesView) applyAll(calls []*providers.Call, rows []*row) {
	if len(calls) == 0 {
		return
	}
	hs := make([]stats.Handle, len(calls))
	for i, r := range rows {
		if r != nil {
			hs[i] = r.stat
		}
	}
	v.counter.ApplyAll(hs, calls)
	for i, r := range rows {
		if r != nil {
			r.stat = hs[i]
		}
	}
	v.dirty = true
}

// settle reads the figures again when they may have changed: calls
// arrived, or, on the Queues view, the clock moved (the longest wait, the
// threshold crossed, the window sliding); on other views once a second for
// the header's count. Then it puts the rows in order and keeps the
// selection on its queue.
func (v *queuesView) settle(now time.Time, shown bool) {
	age := now.Sub(v.snap.At)
	if !v.taken || v.dirty || (shown && age != 0) || age >= queuesRefresh || age < 0 {
		v.snap = v.counter.Snapshot(now)
		v.taken, v.dirty = true, false
	}
	if shown {
		v.arrange()
	}
}

// wake is how soon the Queues view changes by itself with no call live: at
// the next minute, when its window slides on, as long as the window holds
// calls. Live calls tick sooner and need nothing from here.
func (v *queuesView) wake(now time.Time, shown bool) time.Duration {
	if !shown || v.snap.Total.Offered == 0 {
		return 0
	}
	return stats.Bucket - now.Sub(now.Truncate(stats.Bucket))
}

// rowCount is the rows that can be selected: the queues and TOTAL.
func (v *queuesView) rowCount() int { return len(v.order) + 1 }

// queueAt is the queue shown at row i, or nil for the TOTAL row.
func (v *queuesView) queueAt(i int) *stats.Queue {
	if i < 0 || i >= len(v.order) {
		return nil
	}
	return &v.snap.Queues[v.order[i]]
}

func (v *queuesView) nameAt(i int) string {
	if q := v.queueAt(i); q != nil {
		return q.Name
	}
	return totalRow
}

// sortedBy is the column the rows are sorted by: the one asked for while
// the screen shows it, else the queue's name.
func (v *queuesView) sortedBy() qcol {
	if v.lay.w[v.sort] > 0 && v.sort.sortable() {
		return v.sort
	}
	return qQueue
}

// arrange sorts the rows (names A→Z, figures largest first, ties by name)
// and keeps the selection on its queue wherever that went; when the queue
// is gone, the row now in its place is selected.
func (v *queuesView) arrange() {
	qs := v.snap.Queues
	v.order = v.order[:0]
	for i := range qs {
		v.order = append(v.order, i) // by name: the snapshot's order
	}
	if col := v.sortedBy(); col != qQueue {
		value := qcols[col].value
		slices.SortStableFunc(v.order, func(a, b int) int { return cmp.Compare(value(&qs[b]), value(&qs[a])) })
	}
	idx := -1
	if v.sel == totalRow {
		idx = len(v.order)
	}
	for i := 0; idx < 0 && i < len(v.order) && v.sel != ""; i++ {
		if qs[v.order[i]].Name == v.sel {
			idx = i
		}
	}
	if idx < 0 {
		idx = min(max(v.idx, 0), len(v.order))
		if v.sel != "" || len(v.order) > 0 {
			v.sel = v.nameAt(idx)
		}
	}
	v.idx = idx
	v.scroll()
}

// moveTo selects row i (clamped).
func (v *queuesView) moveTo(i int) {
	v.idx = min(max(i, 0), v.rowCount()-1)
	v.sel = v.nameAt(v.idx)
	v.scroll()
}

// scroll keeps the selected queue row on screen; the TOTAL row always is.
func (v *queuesView) scroll() {
	h := max(v.lay.rows, 1)
	if v.idx < len(v.order) {
		if v.idx < v.offset {
			v.offset = v.idx
		} else if v.idx >= v.offset+h {
			v.offset = v.idx - h + 1
		}
	}
	v.offset = min(max(v.offset, 0), max(len(v.order)-h, 0))
}

// shiftSort moves the sort column d places across the columns shown.
func (v *queuesView) shiftSort(d int) {
	var cols []qcol
	for _, c := range v.lay.cols {
		if c.sortable() {
			cols = append(cols, c)
		}
	}
	at := max(slices.Index(cols, v.sortedBy()), 0)
	v.sort = cols[min(max(at+d, 0), len(cols)-1)]
	v.arrange()
}

// onQueuesKey handles the Queues view's own keys: moving, sorting and
// enter. It reports whether the key was one of them; the rest (tab, esc,
// help, quit) are the root's.
func (m *Model) onQueuesKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k, v := &m.keys, &m.queues
	// Moving keys are the root's bindings, switched off when there is one
	// row; here they are taken as pressed either way, so that none falls
	// through to the call lists.
	pressed := func(b *key.Binding) bool { return slices.Contains(b.Keys(), msg.String()) }
	switch {
	case pressed(&k.Up):
		v.moveTo(v.idx - 1)
	case pressed(&k.Down):
		v.moveTo(v.idx + 1)
	case pressed(&k.Top):
		v.moveTo(0)
	case pressed(&k.Bottom):
		v.moveTo(v.rowCount() - 1)
	case pressed(&k.PageUp):
		v.moveTo(v.idx - v.lay.rows)
	case pressed(&k.PageDown):
		v.moveTo(v.idx + v.lay.rows)
	case key.Matches(msg, k.SortLeft):
		v.shiftSort(-1)
	case key.Matches(msg, k.SortRight):
		v.shiftSort(+1)
	case key.Matches(msg, k.OpenQueue):
		m.openQueue()
	default:
		return nil, false
	}
	return nil, true
}

// openQueue shows the live calls of the selected queue (of every queue from
// the TOTAL row). The limit stays on the live and history lists until esc.
func (m *Model) openQueue() {
	name := m.queues.nameAt(m.queues.idx)
	switch name {
	case totalRow:
		m.store.setQueue("")
		m.say(statusInfo, "live calls of every queue")
	case stats.Overflow:
		m.say(statusInfo, stats.Overflow+" counts every queue past the first "+strconv.Itoa(stats.MaxQueues)+
			": there is no one queue to list")
		return
	default:
		m.store.setQueue(name)
		m.say(statusInfo, "live calls of "+name+" · esc shows every queue")
	}
	m.tab = tabLive
	m.moved = movedSelection{}
}

// syncQueuesKeys switches the Queues view's keys on there and off elsewhere.
func (m *Model) syncQueuesKeys() {
	k := &m.keys
	on := m.tab == tabQueues
	k.SortLeft.SetEnabled(on)
	k.SortRight.SetEnabled(on)
	k.OpenQueue.SetEnabled(on)
	if m.queues.nameAt(m.queues.idx) == totalRow {
		k.OpenQueue.SetHelp("enter", "all calls")
	} else {
		k.OpenQueue.SetHelp("enter", "queue's calls")
	}
}
