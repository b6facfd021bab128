package ui

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ringside/providers"
	"ringside/theme"
)

// chrome is the theme's header, status and filter styles reduced to paints,
// derived once per theme (the styles themselves are built in theme).
type chrome struct {
	bar, title, provider, agent, readOnly, clock                          theme.Paint
	live, connecting, reconnecting, failed                                theme.Paint
	warning                                                               theme.Paint
	tabOn, tabOff, label, ringing, active, handled, rejected, missed      theme.Paint
	info, success, failure, confirm, filterPrompt, filterCount, hint, dim theme.Paint
}

func newChrome(s *theme.Styles) chrome {
	p := theme.PaintOf
	return chrome{
		bar: p(s.HeaderBar), title: p(s.Title), provider: p(s.Provider), agent: p(s.Agent),
		readOnly: p(s.ReadOnly), clock: p(s.Clock),
		live: p(s.LinkLive), connecting: p(s.LinkConnecting), reconnecting: p(s.LinkReconnecting),
		failed: p(s.LinkFailed), warning: p(s.WarningBanner),
		tabOn: p(s.TabActive), tabOff: p(s.TabInactive), label: p(s.CountLabel),
		ringing: p(s.CountRinging), active: p(s.CountActive), handled: p(s.CountHandled),
		rejected: p(s.CountRejected), missed: p(s.CountMissed),
		info: p(s.StatusInfo), success: p(s.StatusSuccess), failure: p(s.StatusError),
		confirm: p(s.Confirm), filterPrompt: p(s.FilterPrompt), filterCount: p(s.FilterCount),
		hint: p(s.Hint), dim: p(s.Label),
	}
}

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
	var b strings.Builder
	b.Grow(m.width * (m.height + 1) * 4)
	lines := 0
	nl := func() {
		b.WriteByte('\n')
		lines++
	}
	m.writeTitle(&b)
	nl()
	if m.link.Warning != "" {
		m.paint.warning.Write(&b, fit("⚠ "+clean(m.link.Warning), m.width))
		nl()
	}
	m.writeTabs(&b)
	nl()
	m.writeTable(&b, nl)
	if panel := m.panel(); panel != "" {
		b.WriteString(panel)
		nl()
	}
	if m.filterLineShown() {
		x := m.writeFilter(&b)
		if m.mode == modeFilter {
			if c := m.input.Cursor(); c != nil {
				c.Position.X += x
				c.Position.Y = lines
				v.Cursor = c
			}
		}
		nl()
	}
	m.writeStatus(&b)
	nl()
	b.WriteString(m.helpLine())
	v.Content = b.String()
	v.ProgressBar = m.progressBar()
	return v
}

func (m *Model) windowTitle() string {
	if n := m.store.n.ringing; n > 0 {
		return "ringside · " + strconv.Itoa(n) + " ringing"
	}
	return "ringside"
}

// writeTitle: program, provider and link, agent state, read-only; clock.
func (m *Model) writeTitle(b *strings.Builder) {
	c := &m.paint
	left := []seg{{" ringside ", c.title}, {" " + clean(m.providerName()) + " ", c.provider}}
	link, lp := "◌ starting…", c.connecting
	if m.linkKnown {
		detail := clean(m.link.Detail)
		switch m.link.Link {
		case providers.LinkLive:
			link, lp = "● live", c.live
		case providers.LinkConnecting:
			link, lp = "◌ connecting…", c.connecting
		case providers.LinkReconnecting:
			link, lp = "◌ reconnecting", c.reconnecting
		case providers.LinkFailed:
			link, lp = "✕ failed", c.failed
		default:
			link = "◌ " + clean(string(m.link.Link))
		}
		if detail != "" {
			link += ": " + detail
		}
	}
	if m.eventsClosed {
		link, lp = "✕ stopped", c.failed
	}
	if m.cfg.ReadOnly {
		left = append(left, seg{" READ-ONLY ", c.readOnly}, seg{" ", c.bar})
	}
	if m.link.Agent != "" {
		left = append(left, seg{" agent: " + clean(m.link.Agent) + " ", c.agent})
	}
	left = append(left, seg{" " + link, lp})
	clock := m.now.Format("15:04:05")
	if !m.idleSince.IsZero() && !m.tickArmed {
		// Nothing moves, so nothing ticks: say when it went quiet rather
		// than show a clock that has stopped.
		clock = "idle since " + m.idleSince.Format("15:04:05")
	}
	composeLine(b, m.width, c.bar, left, []seg{{clock + " ", c.clock}})
}

// writeTabs: the two tabs, the visible rows, and the counts.
func (m *Model) writeTabs(b *strings.Builder) {
	c := &m.paint
	n := &m.store.n
	liveP, histP := c.tabOn, c.tabOff
	liveT, histT := "[Live "+strconv.Itoa(n.live)+"]", " History "+strconv.Itoa(n.ended)+" "
	if m.tab == tabHistory {
		liveP, histP = c.tabOff, c.tabOn
		liveT, histT = " Live "+strconv.Itoa(n.live)+" ", "[History "+strconv.Itoa(n.ended)+"]"
	}
	left := []seg{{" ", c.dim}, {liveT, liveP}, {" ", c.dim}, {histT, histP}}
	scroll := []string{""}
	if l := m.list(m.tab); l.Len() > m.tableH {
		off := m.offset[m.tab]
		from, to, n := strconv.Itoa(off+1), strconv.Itoa(min(off+m.tableH, l.Len())), strconv.Itoa(l.Len())
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
	variants := [][]seg{
		{{"◉ " + num(n.ringing), c.ringing}, {" ringing · ", c.label}, {"● " + num(n.active), c.active}, {activeWord, c.label},
			{"✓ " + num(n.handled), c.handled}, {" handled · ", c.label}, {"✗ " + num(n.rejected), c.rejected}, {" rejected · ", c.label},
			{"↷ " + num(n.missed), c.missed}, {" missed ", c.label}},
		{{num(n.ringing), c.ringing}, {" ringing · ", c.label}, {num(n.active), c.active}, {activeWord, c.label},
			{num(n.handled), c.handled}, {" handled · ", c.label}, {num(n.rejected), c.rejected}, {" rejected · ", c.label},
			{num(n.missed), c.missed}, {" missed ", c.label}},
		{{"ring ", c.label}, {num(n.ringing), c.ringing}, {" act ", c.label}, {num(n.active), c.active},
			{" done ", c.label}, {num(n.handled), c.handled}, {" rej ", c.label}, {num(n.rejected), c.rejected},
			{" miss ", c.label}, {num(n.missed), c.missed}, {" ", c.label}},
		// The glyphs alone, as the widest form shows them with their words.
		{{"◉" + num(n.ringing), c.ringing}, {" ", c.label}, {"●" + num(n.active), c.active}, {" ", c.label},
			{"✓" + num(n.handled), c.handled}, {" ", c.label}, {"✗" + num(n.rejected), c.rejected}, {" ", c.label},
			{"↷" + num(n.missed), c.missed}, {" ", c.label}},
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
		left = append(left, seg{sc, c.dim})
	}
	composeLine(b, m.width, theme.Paint{}, left, right)
}

// writeTable draws the column titles and the visible rows, padding with
// blank lines so the frame keeps its height.
func (m *Model) writeTable(b *strings.Builder, nl func()) {
	t := &m.styles.Table
	hist := m.tab == tabHistory
	var lay layout
	if hist {
		lay = historyLayout(m.width)
	} else {
		lay = liveLayout(m.width)
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
	l.Range(m.offset[m.tab], func(_ int, r *row) bool {
		if drawn >= m.tableH {
			return false
		}
		sel := r.call.ID == selID
		if hist {
			b.WriteString(m.histLine(r, sel, &lay))
		} else {
			b.WriteString(m.liveLine(r, sel, &lay))
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
	switch {
	case m.store.query.active():
		return "No calls match “" + m.store.query.text + "” · esc clears the filter"
	case hist:
		return "No ended calls yet."
	case m.eventsClosed:
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
		col("CALLER", lay.caller, false, false)
		col("CALLEE / QUEUE", lay.callee, false, false)
		col("TALK", lay.talk, false, true)
		col("WHY IT ENDED", lay.why, false, false)
	} else {
		col("STATE", lay.state, true, false)
		col("CALLER", lay.caller, false, false)
		col("CALLEE / QUEUE", lay.callee, false, false)
		col("TIMER", lay.timer, false, false)
		col("MEDIA", lay.media, false, false)
	}
	return m.styles.Table.ColumnHeader.Render(fit(b.String(), m.width))
}

// lineKey is what a cached row line depends on besides the row itself.
type lineKey struct {
	ver     uint64
	epoch   uint32
	sel     bool
	pending bool
	act     providers.Action
	dyn     int64 // the countdown's look, or the shown duration in seconds
}

// liveLine is a live row, from cache unless something it shows changed.
func (m *Model) liveLine(r *row, sel bool, lay *layout) string {
	c := &r.call
	var cd countdown
	var dyn int64
	switch {
	case c.State == providers.StateRinging:
		cd = countdownAt(c, m.now, lay.bar)
		dyn = cd.key()
	case c.State.Live():
		dyn = int64(callAge(c, m.now) / time.Second)
	}
	busy := r.busy(m.now)
	k := lineKey{ver: c.Version, epoch: m.epoch, sel: sel, pending: busy, act: r.pendingAct, dyn: dyn}
	if r.line != "" && r.lineKey == k {
		return r.line
	}
	b, t := m.startLine(sel, lay)
	text := t.Text.Get(sel)
	// State: glyph and word, or what is being done, or that it rang out.
	switch {
	case busy:
		t.Pending.Get(sel).Write(b, fit(glyphPending+" "+pendingWord(r.pendingAct), lay.state))
	case cd.expired():
		t.TimedOut.Get(sel).Write(b, fit(glyphTimedOut+" "+wordTimedOut, lay.state))
	default:
		stateCell(t, c.State).Get(sel).Write(b, fit(stateGlyph(c.State)+" "+stateWord(c.State), lay.state))
	}
	gap := spaces(lay.gap)
	text.Write(b, gap+fit(callerText(c), lay.caller))
	if lay.callee > 0 {
		text.Write(b, gap+fit(calleeText(c), lay.callee))
	}
	text.Write(b, gap)
	switch {
	case c.State == providers.StateRinging && cd.deadline:
		writeBar(b, t, cd, lay.bar, sel)
		levelCell(t, cd.level).Get(sel).Write(b, fitRight(formatLeft(cd.secs), lay.timer-lay.bar))
	case c.State == providers.StateRinging:
		t.Muted.Get(sel).Write(b, fitRight("no limit", lay.timer))
	default:
		t.Duration.Get(sel).Write(b, fitRight(formatDuration(callAge(c, m.now)), lay.timer))
	}
	if lay.media > 0 {
		t.Muted.Get(sel).Write(b, gap+fit(modalitiesText(c.Modalities), lay.media))
	}
	r.line, r.lineKey = b.String(), k
	return r.line
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
	c := &r.call
	k := lineKey{ver: c.Version, epoch: m.epoch, sel: sel}
	if r.line != "" && r.lineKey == k {
		return r.line
	}
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
	r.line, r.lineKey = b.String(), k
	return r.line
}

// writeFilter draws the filter line and returns the column where typing goes.
func (m *Model) writeFilter(b *strings.Builder) int {
	c := &m.paint
	l := m.list(m.tab)
	total := m.store.n.live
	if m.tab == tabHistory {
		total = m.store.hist.Len()
	}
	count := " " + strconv.Itoa(l.Len()) + " of " + strconv.Itoa(total)
	if m.mode == modeFilter {
		count += " · enter keeps · esc clears "
	} else {
		count += " · / edits · esc clears "
	}
	prompt := " / "
	c.filterPrompt.Write(b, prompt)
	room := filterRoom(m.width)
	if m.mode == modeFilter {
		field := m.input.View()
		b.WriteString(field)
		if pad := room - width(field); pad > 0 {
			b.WriteString(spaces(pad))
		}
	} else {
		c.info.Write(b, fit(m.store.query.text, room))
	}
	c.filterCount.Write(b, fit(count, m.width-width(prompt)-room))
	return width(prompt)
}

// filterRoom is the width of the filter text on a screen w wide; the rest of
// the line is the prompt and the match count.
func filterRoom(w int) int { return max(w-3-40, 8) }

// writeStatus draws the status line: the hang-up question while it is open,
// otherwise the last thing that happened.
func (m *Model) writeStatus(b *strings.Builder) {
	c := &m.paint
	if m.mode == modeConfirm {
		q := " Hang up " + m.whoFor(m.pickFor) + "? y or x hangs up · any other key cancels "
		if ok, why := m.allowed(m.store.get(m.pickFor), providers.ActionHangup); !ok {
			// The call changed while the question was open: say so
			// rather than ask about something that cannot happen.
			q = " " + m.whoFor(m.pickFor) + " " + why + " · nothing will be sent · any key closes "
		}
		c.confirm.Write(b, fit(q, m.width))
		return
	}
	if m.status.text == "" {
		b.WriteString(spaces(m.width))
		return
	}
	p := c.info
	switch m.status.kind {
	case statusSuccess:
		p = c.success
	case statusError:
		p = c.failure
	}
	stamp := " " + m.status.at.Format("15:04:05") + " "
	c.dim.Write(b, stamp)
	p.Write(b, fit(clean(m.status.text), m.width-width(stamp)))
}

// whoFor names the call id with its caller and what it is doing.
func (m *Model) whoFor(id string) string {
	r := m.store.get(id)
	if r == nil {
		return "the call"
	}
	c := &r.call
	s := clean(c.From.String())
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
		c := &r.call
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
