package ui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ringside/providers"
	"ringside/providers/compact"
	"ringside/theme"
)

// seg is a piece of a line with its paint.
type seg struct {
	text string
	p    theme.Paint
}

// composeLine lays left segments from the left edge and right segments
// against the right edge of a line exactly w cells wide, cutting the left
// ones if they do not fit. Gaps are painted with fill.
func composeLine(b *strings.Builder, w int, fill theme.Paint, left, right []seg) {
	rw := 0
	for _, s := range right {
		rw += width(s.text)
	}
	if rw > w {
		right, rw = nil, 0
	}
	avail := w - rw
	if rw > 0 {
		avail-- // keep a space between the two sides
	}
	used := 0
	for _, s := range left {
		sw := width(s.text)
		if used+sw > avail {
			if room := avail - used; room > 0 {
				t := ansi.Truncate(s.text, room, "…")
				s.p.Write(b, t)
				used += width(t)
			}
			break
		}
		s.p.Write(b, s.text)
		used += sw
	}
	if pad := w - rw - used; pad > 0 {
		fill.Write(b, spaces(pad))
	}
	for _, s := range right {
		s.p.Write(b, s.text)
	}
}

// View draws the console. It reads the model and the row caches only; the
// clock it shows is the one read by the last Update.
func (m *Model) View() tea.View {
	var v tea.View
	v.AltScreen = !m.cfg.Inline
	v.WindowTitle = m.windowTitle()
	if m.width <= 0 || m.height <= 0 {
		return v
	}
	if m.width < 40 || m.height < 10 {
		v.Content = fit("ringside needs at least 40×10 (this is "+strconv.Itoa(m.width)+"×"+strconv.Itoa(m.height)+")", m.width)
		return v
	}
	// The next frame is about as long as the last: room for it and an
	// eighth more is one allocation, where a guess from the screen's size
	// is either too much or grown again.
	var b strings.Builder
	if m.frameLen > 0 {
		b.Grow(m.frameLen + m.frameLen/8)
	} else {
		b.Grow(m.width * (m.height + 1) * 4)
	}
	lines := 0
	nl := func() {
		b.WriteByte('\n')
		lines++
	}
	c := &m.styles.Chrome
	m.writeTitle(&b)
	nl()
	if m.link.height() > 0 {
		m.link.writeWarning(&b, c, m.width)
		nl()
	}
	m.writeTabs(&b)
	nl()
	m.writeTable(&b, nl)
	if panel := m.panelLines(); panel != "" {
		b.WriteString(panel)
		nl()
	}
	for _, p := range m.panes {
		if !p.line(m) {
			continue
		}
		if cur := p.drawLine(m, &b); cur != nil {
			cur.Position.Y = lines
			v.Cursor = cur
		}
		nl()
	}
	m.writeStatus(&b)
	nl()
	b.WriteString(m.help.shortLine(m))
	v.Content = b.String()
	m.frameLen = len(v.Content)
	v.ProgressBar = m.progressBar()
	return v
}

// writeTitle: program, provider and link, agent state, read-only; clock.
func (m *Model) writeTitle(b *strings.Builder) {
	c := &m.styles.Chrome
	left := []seg{{" ringside ", c.Title}, {" " + clean(m.providerName()) + " ", c.Provider}}
	if m.cfg.ReadOnly {
		left = append(left, seg{" READ-ONLY ", c.ReadOnly}, seg{" ", c.Bar})
	}
	if a := m.link.status.Agent; a != "" {
		left = append(left, seg{" agent: " + clean(a) + " ", c.Agent})
	}
	link := m.link.words(c)
	link.text = " " + link.text
	left = append(left, link)
	clock := m.link.clock(m.now, m.tick.armed)
	composeLine(b, m.width, c.Bar, left, []seg{{clock + " ", c.Clock}})
}

// writeTabs: the tabs, the queue the lists are limited to, the visible
// rows, and the counts.
func (m *Model) writeTabs(b *strings.Builder) {
	total, off, rows := m.list(m.tab).Len(), m.offset[m.tab], m.tableH
	if m.tab == tabQueues {
		total, off, rows = len(m.queues.order), m.queues.offset, m.queues.lay.rows
	}
	k := tabsKey{n: m.store.n, queues: len(m.queues.snap.Queues), tab: m.tab, queue: m.store.query.queue,
		total: total, off: off, rows: rows, epoch: m.epoch}
	if k != m.tabsKey || m.tabsLine == "" {
		var line strings.Builder
		m.composeTabs(&line, total, off, rows)
		m.tabsKey, m.tabsLine = k, line.String()
	}
	b.WriteString(m.tabsLine)
}

// tabsKey is all the tabs line shows besides the styles and the width
// (Model.epoch covers those): while it holds, the line drawn last is drawn
// again, so that a frame does not build its tens of little strings anew.
type tabsKey struct {
	n                counts
	queues           int
	tab              tab
	queue            string
	total, off, rows int
	epoch            uint32
}

// composeTabs draws the tabs line: the tabs with their counts, the queue
// filtered on and the rows shown; the counts on the right, as wide as fit.
func (m *Model) composeTabs(b *strings.Builder, total, off, rows int) {
	c := &m.styles.Chrome
	n := &m.store.n
	tabs := [tabCount]struct {
		name  string
		count int
	}{{"Live", n.live}, {"History", n.ended}, {"Queues", len(m.queues.snap.Queues)}}
	var left []seg
	for i, t := range tabs {
		text, p := " "+t.name+" "+strconv.Itoa(t.count)+" ", c.TabOff
		if tab(i) == m.tab {
			text, p = "["+t.name+" "+strconv.Itoa(t.count)+"]", c.TabOn
		}
		left = append(left, seg{" ", c.Dim}, seg{text, p})
	}
	if q := m.store.query.queue; q != "" {
		left = append(left, seg{"  queue: ", c.Dim}, seg{fit(q, min(width(q), 24)), c.FilterPrompt})
	}
	scroll := []string{""}
	if total > rows {
		from, to, n := strconv.Itoa(off+1), strconv.Itoa(min(off+rows, total)), strconv.Itoa(total)
		// A shorter form for narrow screens rather than a cut "rows 1–19 o…".
		scroll = []string{"  rows " + from + "–" + to + " of " + n, "  " + from + "–" + to + "/" + n, ""}
	}
	lw := 0
	for _, s := range left {
		lw += width(s.text)
	}
	num := strconv.Itoa
	activeWord := " active · "
	if n.held > 0 {
		activeWord = " active (" + num(n.held) + " held) · "
	}
	// Transferred calls, and calls another agent answered first, are
	// counted once there is one: a console that never sees either keeps the
	// counts it always had.
	xfer := [4][]seg{}
	if n.transferred > 0 {
		x := num(n.transferred)
		xfer = [4][]seg{
			{{"⇢ " + x, c.Transferred}, {" transferred · ", c.Label}},
			{{x, c.Transferred}, {" transferred · ", c.Label}},
			{{" xfer ", c.Label}, {x, c.Transferred}},
			{{"⇢" + x, c.Transferred}, {" ", c.Label}},
		}
	}
	if n.elsewhere > 0 {
		x := num(n.elsewhere)
		xfer[0] = append(xfer[0], seg{"⇉ " + x, c.Transferred}, seg{" elsewhere · ", c.Label})
		xfer[1] = append(xfer[1], seg{x, c.Transferred}, seg{" elsewhere · ", c.Label})
		xfer[2] = append(xfer[2], seg{" else ", c.Label}, seg{x, c.Transferred})
		xfer[3] = append(xfer[3], seg{"⇉" + x, c.Transferred}, seg{" ", c.Label})
	}
	variants := [][]seg{
		slices.Concat([]seg{{"◉ " + num(n.ringing), c.Ringing}, {" ringing · ", c.Label}, {"● " + num(n.active), c.Active}, {activeWord, c.Label},
			{"✓ " + num(n.handled), c.Handled}, {" handled · ", c.Label}}, xfer[0], []seg{{"✗ " + num(n.rejected), c.Rejected}, {" rejected · ", c.Label},
			{"↷ " + num(n.missed), c.Missed}, {" missed ", c.Label}}),
		slices.Concat([]seg{{num(n.ringing), c.Ringing}, {" ringing · ", c.Label}, {num(n.active), c.Active}, {activeWord, c.Label},
			{num(n.handled), c.Handled}, {" handled · ", c.Label}}, xfer[1], []seg{{num(n.rejected), c.Rejected}, {" rejected · ", c.Label},
			{num(n.missed), c.Missed}, {" missed ", c.Label}}),
		slices.Concat([]seg{{"ring ", c.Label}, {num(n.ringing), c.Ringing}, {" act ", c.Label}, {num(n.active), c.Active},
			{" done ", c.Label}, {num(n.handled), c.Handled}}, xfer[2], []seg{{" rej ", c.Label}, {num(n.rejected), c.Rejected},
			{" miss ", c.Label}, {num(n.missed), c.Missed}, {" ", c.Label}}),
		// The glyphs alone, as the widest form shows them with their words.
		slices.Concat([]seg{{"◉" + num(n.ringing), c.Ringing}, {" ", c.Label}, {"●" + num(n.active), c.Active}, {" ", c.Label},
			{"✓" + num(n.handled), c.Handled}, {" ", c.Label}}, xfer[3], []seg{{"✗" + num(n.rejected), c.Rejected}, {" ", c.Label},
			{"↷" + num(n.missed), c.Missed}, {" ", c.Label}}),
	}
	right, sc := variants[len(variants)-1], scroll[len(scroll)-1]
pick:
	for _, s := range scroll {
		for _, v := range variants {
			w := width(s)
			for _, vs := range v {
				w += width(vs.text)
			}
			if lw+2+w <= m.width {
				right, sc = v, s
				break pick
			}
		}
	}
	if sc != "" {
		left = append(left, seg{sc, c.Dim})
	}
	composeLine(b, m.width, theme.Paint{}, left, right)
}

// writeTable draws the column titles and the visible rows, padding with
// blank lines so the frame keeps its height.
func (m *Model) writeTable(b *strings.Builder, nl func()) {
	if m.tab == tabQueues {
		m.writeQueues(b, nl)
		return
	}
	t := &m.styles.Table
	hist := m.tab == tabHistory
	var lay layout
	source := m.cfg.SourceColumn != ""
	if hist {
		lay = historyLayout(m.width, m.store.n.wideOutcome(), source)
	} else {
		lay = liveLayout(m.width, source)
	}
	b.WriteString(m.columnTitles(&lay, hist))
	nl()
	l := m.list(m.tab)
	drawn := 0
	if l.Len() == 0 {
		t.Empty.Write(b, fit("  "+m.emptyText(hist), m.width))
		nl()
		drawn++
	}
	selID := m.sel[m.tab].id
	m.frame++
	defer m.trimLines()
	l.Range(m.offset[m.tab], func(_ int, r *row) bool {
		if drawn >= m.tableH {
			return false
		}
		sel := r.call.ID() == selID
		if hist {
			b.WriteString(m.histLine(r, sel, &lay))
		} else {
			m.writeLiveLine(b, r, sel, &lay)
		}
		nl()
		drawn++
		return true
	})
	for ; drawn < m.tableH; drawn++ {
		b.WriteString(spaces(m.width))
		nl()
	}
}

func (m *Model) emptyText(hist bool) string {
	q := &m.store.query
	switch {
	case q.hasText() && q.queue != "":
		return "No calls of " + q.queue + " match “" + q.text + "” · esc clears the filter"
	case q.hasText():
		return "No calls match “" + q.text + "” · esc clears the filter"
	case q.queue != "" && hist:
		return "No ended calls of " + q.queue + " · esc shows every queue"
	case q.queue != "":
		return "No calls of " + q.queue + " right now · esc shows every queue"
	case hist:
		return "No ended calls yet."
	case m.link.stopped:
		return "No calls. The provider has stopped."
	}
	return "No calls right now. Waiting for " + m.providerName() + "…"
}

func (m *Model) columnTitles(lay *layout, hist bool) string {
	var b strings.Builder
	b.WriteString(spaces(lay.cursor))
	col := func(title string, w int, first, right bool) {
		if w <= 0 {
			return
		}
		if !first {
			b.WriteString(spaces(lay.gap))
		}
		if right {
			b.WriteString(fitRight(title, w))
		} else {
			b.WriteString(fit(title, w))
		}
	}
	if hist {
		col("ENDED", lay.ended, true, false)
		col("OUTCOME", lay.outcome, false, false)
		col(m.cfg.SourceColumn, lay.source, false, false)
		col("CALLER", lay.caller, false, false)
		col("CALLEE / QUEUE", lay.callee, false, false)
		col("TALK", lay.talk, false, true)
		col("WHY IT ENDED", lay.why, false, false)
	} else {
		col("STATE", lay.state, true, false)
		col(m.cfg.SourceColumn, lay.source, false, false)
		col("CALLER", lay.caller, false, false)
		col("CALLEE / QUEUE", lay.callee, false, false)
		col("TIMER", lay.timer, false, false)
		col("MEDIA", lay.media, false, false)
	}
	return m.styles.Table.ColumnHeader.Render(fit(b.String(), m.width))
}

// lineKey is what a cached row line depends on besides the row itself.
// A live row's timer cell is not part of the cached line: it changes every
// second, and is written into the frame as it is drawn (writeTimer).
type lineKey struct {
	ver     uint64
	epoch   uint32
	sel     bool
	pending bool
	expired bool // the countdown has run out (the state cell says so)
	act     providers.Action
}

// writeLiveLine writes a live row into the frame: the cells before the
// timer and after it from cache unless something they show changed, the
// timer as it is now. Nothing is allocated while the row's call, its
// selection and its pending action hold, so a frame whose only change is
// the clock costs the collector nothing but the frame's own text.
func (m *Model) writeLiveLine(b *strings.Builder, r *row, sel bool, lay *layout) {
	timing := r.timing()
	c := &timing
	var cd countdown
	if c.State == providers.StateRinging {
		cd = countdownAt(c, m.now, lay.bar)
	}
	busy := r.busy(m.now)
	k := lineKey{ver: c.Version, epoch: m.epoch, sel: sel, pending: busy, expired: cd.expired(), act: r.pendingAct()}
	head, ok := m.cachedLine(r, k)
	if !ok {
		head = m.keepLine(r, k, m.liveHead(r, busy, cd, sel, lay))
		r.aux.tail = m.liveTail(r, sel, lay)
	}
	b.WriteString(head)
	writeTimer(b, &m.styles.Table, c, cd, m.now, sel, lay)
	b.WriteString(r.aux.tail)
}

// liveHead is a live row's cells before its timer.
func (m *Model) liveHead(r *row, busy bool, cd countdown, sel bool, lay *layout) string {
	view := r.view()
	c := &view
	b, t := m.startLine(sel, lay)
	text := t.Text.Get(sel)
	// State: glyph and word, or what is being done, or that it rang out.
	switch {
	case busy:
		t.Pending.Get(sel).Write(b, fit(glyphPending+" "+m.markerWord(r.pendingAct()), lay.state))
	case cd.expired():
		t.TimedOut.Get(sel).Write(b, fit(glyphTimedOut+" "+wordTimedOut, lay.state))
	default:
		stateCell(t, c.State).Get(sel).Write(b, fit(stateGlyph(c.State)+" "+stateWord(c.State), lay.state))
	}
	gap := spaces(lay.gap)
	writeSource(b, t, c, sel, lay)
	text.Write(b, gap+fit(callerText(c), lay.caller))
	if lay.callee > 0 {
		text.Write(b, gap+fit(calleeText(c), lay.callee))
	}
	text.Write(b, gap)
	return b.String()
}

// liveTail is a live row's cells after its timer: its media.
func (m *Model) liveTail(r *row, sel bool, lay *layout) string {
	if lay.media <= 0 {
		return ""
	}
	view := r.view()
	var b strings.Builder
	m.styles.Table.Muted.Get(sel).Write(&b, spaces(lay.gap)+fit(modalitiesText(view.Modalities), lay.media))
	return b.String()
}

// writeTimer writes a live row's timer cell: the countdown's bar and the
// seconds left to answer, or how long the call has been talking. It is
// drawn every frame and allocates nothing.
func writeTimer(b *strings.Builder, t *theme.Table, c *providers.Call, cd countdown, now time.Time, sel bool, lay *layout) {
	var buf [24]byte
	switch {
	case c.State == providers.StateRinging && cd.deadline:
		writeBar(b, t, cd, lay.bar, sel)
		writeRight(b, levelCell(t, cd.level).Get(sel), appendLeft(buf[:0], cd.secs), lay.timer-lay.bar)
	case c.State == providers.StateRinging:
		writeRight(b, t.Muted.Get(sel), append(buf[:0], "no limit"...), lay.timer)
	default:
		writeRight(b, t.Duration.Get(sel), appendDuration(buf[:0], callAge(c, now)), lay.timer)
	}
}

// writeRight writes p.Write(b, fitRight(string(s), w)) for ASCII s without
// making either string.
func writeRight(b *strings.Builder, p theme.Paint, s []byte, w int) {
	if w <= 0 || len(s) > w {
		p.Write(b, fitRight(string(s), w)) // a cell too narrow: rare, and fit cuts it
		return
	}
	b.WriteString(p.Open)
	b.WriteString(spaces(w - len(s)))
	b.Write(s)
	b.WriteString(p.Close)
}

// cachedLine is r's line if it was drawn for k; it is marked as drawn in
// this frame.
func (m *Model) cachedLine(r *row, k lineKey) (string, bool) {
	if a := r.aux; a != nil && a.line != "" && a.lineKey == k {
		a.shown = m.frame
		return a.line, true
	}
	return "", false
}

// keepLine caches line, drawn for k, as r's until it changes or r is off
// the screen (trimLines).
func (m *Model) keepLine(r *row, k lineKey, line string) string {
	a := r.more()
	a.line, a.lineKey, a.shown = line, k, m.frame
	if !a.kept {
		a.kept = true
		m.lined = append(m.lined, r)
	}
	return line
}

// trimLines lets go of the lines of rows the frame just drawn did not
// show, so that cached text is bounded by the screen, not by the calls
// scrolled past.
func (m *Model) trimLines() {
	keep := m.lined[:0]
	for _, r := range m.lined {
		if a := r.aux; a.shown == m.frame {
			keep = append(keep, r)
			continue
		}
		a := r.aux
		a.line, a.tail, a.lineKey, a.kept = "", "", lineKey{}, false
		r.tidy()
	}
	clear(m.lined[len(keep):])
	m.lined = keep
}

// countdown is the row's countdown at now, on a bar barWidth cells wide.
func (r *row) countdown(now time.Time, barWidth int) countdown {
	timing := r.timing()
	return countdownAt(&timing, now, barWidth)
}

// timing is the row's call with only its state, version and times: what a
// countdown, a duration and a cached line's key are worked out from,
// without unpacking the rest.
func (r *row) timing() providers.Call {
	c := &r.call
	return providers.Call{
		State: c.State(), Version: c.Version(),
		Arrived: c.Time(compact.Arrived), AnswerBy: c.Time(compact.AnswerBy),
		Answered: c.Time(compact.Answered), Ended: c.Time(compact.Ended),
	}
}

// writeSource is the source column's cell, where the layout has one.
func writeSource(b *strings.Builder, t *theme.Table, c *providers.Call, sel bool, lay *layout) {
	if lay.source > 0 {
		t.Muted.Get(sel).Write(b, spaces(lay.gap)+fit(c.Provider, lay.source))
	}
}

// startLine begins a table line with the selection cursor, or blanks in its
// place, and returns it with the table's paints.
func (m *Model) startLine(sel bool, lay *layout) (*strings.Builder, *theme.Table) {
	b := new(strings.Builder)
	b.Grow(lay.width * 3)
	t := &m.styles.Table
	if sel {
		t.Cursor.Selected.Write(b, "› ")
	} else {
		t.Text.Normal.Write(b, spaces(lay.cursor))
	}
	return b, t
}

// callAge is how long a connected call has been talking, or for one not yet
// answered (connecting), how long since it arrived.
func callAge(c *providers.Call, now time.Time) time.Duration {
	if c.Answered.IsZero() && !c.Arrived.IsZero() {
		since := *c // read only: shares nothing it changes
		since.Answered = c.Arrived
		return since.Duration(now)
	}
	return c.Duration(now)
}

// histLine is an ended row: when, how, who, how long, why.
func (m *Model) histLine(r *row, sel bool, lay *layout) string {
	k := lineKey{ver: r.call.Version(), epoch: m.epoch, sel: sel}
	if line, ok := m.cachedLine(r, k); ok {
		return line
	}
	view := r.view()
	c := &view
	b, t := m.startLine(sel, lay)
	text := t.Text.Get(sel)
	muted := t.Muted.Get(sel)
	gap := spaces(lay.gap)
	ended := "—"
	if !c.Ended.IsZero() {
		ended = c.Ended.In(m.now.Location()).Format("15:04:05")
	}
	muted.Write(b, fit(ended, lay.ended))
	o := c.Result()
	outcomeCell(t, o).Get(sel).Write(b, gap+fit(outcomeGlyph(o)+" "+string(o), lay.outcome))
	writeSource(b, t, c, sel, lay)
	text.Write(b, gap+fit(callerText(c), lay.caller))
	if lay.callee > 0 {
		text.Write(b, gap+fit(calleeText(c), lay.callee))
	}
	talk := "—"
	if !c.Answered.IsZero() {
		talk = formatDuration(c.Duration(c.Ended))
	}
	t.Duration.Get(sel).Write(b, gap+fitRight(talk, lay.talk))
	muted.Write(b, gap+fit(endWords(c), lay.why))
	return m.keepLine(r, k, b.String())
}

// writeStatus draws the status line: what a pane asks there while it is
// open, otherwise the last thing that happened.
func (m *Model) writeStatus(b *strings.Builder) {
	for _, p := range m.panes {
		if p.open(m) && p.drawStatus(m, b) {
			return
		}
	}
	m.status.write(b, &m.styles.Chrome, m.width)
}

// whoFor names the call id with its caller and what it is doing.
func (m *Model) whoFor(id string) string {
	r := m.store.get(id)
	if r == nil {
		return "the call"
	}
	timing := r.timing()
	c := &timing
	s := clean(r.call.From().String())
	if c.State.Live() && c.State != providers.StateRinging {
		s += " (" + stateWord(c.State) + " " + formatDuration(callAge(c, m.now)) + ")"
	}
	return s
}

// progressBar mirrors the most urgent countdown in the terminal's own
// progress indicator (tab or taskbar), where the terminal has one.
func (m *Model) progressBar() *tea.ProgressBar {
	var bar *tea.ProgressBar
	checked := 0
	m.store.live.Range(0, func(_ int, r *row) bool {
		timing := r.timing()
		c := &timing
		if c.State != providers.StateRinging || checked > 32 {
			return false
		}
		checked++
		cd := countdownAt(c, m.now, 10)
		if !cd.deadline || cd.expired() {
			return true
		}
		state := tea.ProgressBarDefault
		switch cd.level {
		case levelAmber:
			state = tea.ProgressBarWarning
		case levelRed:
			state = tea.ProgressBarError
		}
		bar = tea.NewProgressBar(state, cd.eighths*100/80)
		return false
	})
	return bar
}
