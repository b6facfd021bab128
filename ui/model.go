// Package ui is the call console: a live table of ringing and connected
// calls with a countdown for each answer window, the history of ended calls,
// and the keys to answer, reject with a reason and hang up.
//
// The model owns its table instead of using bubbles/table: calls are kept in
// an ID-keyed store with an ordered index, the selection is a call ID (so it
// never jumps to another call when rows move), only the rows on screen are
// drawn and each row's text is cached until something it shows changes.
// Provider events arrive in batches, one message per batch; a single tick
// runs only while some call is ringing (10 Hz) or connected (1 Hz).
package ui

import (
	"context"
	"log/slog"
	"time"

	tea "charm.land/bubbletea/v2"

	"ringside/providers"
	"ringside/providers/compact"
	"ringside/providers/directory"
	"ringside/providers/stats"
	"ringside/theme"
)

// Config is everything the console needs from the program around it.
//
// Typical wiring:
//
//	events := make(chan providers.Event, 4096)
//	ctx, cancel := context.WithCancel(context.Background())
//	go provider.Run(ctx, events)
//	m := ui.New(ui.Config{Provider: provider, Events: events, Context: ctx, Theme: name})
//	_, err := tea.NewProgram(m, opts...).Run()
//	cancel()
type Config struct {
	// Provider is the source of the calls. The console calls its action
	// methods (Answer, Reject, Hangup, Transfer, Redirect, Hold, Resume)
	// and, where it implements providers.AgentControl, AgentChoices and
	// SetAgentState from commands, never from Update; its Offers and
	// RejectReasons once, in New; and its Name. Required.
	Provider providers.Provider

	// Events is the channel the provider's Run writes to (its Sink). The
	// console drains everything queued into one message per read. Nil
	// means no events (tests that feed messages themselves).
	Events <-chan providers.Event

	// Context ends the console's background work: the goroutine waiting for
	// events and any request in flight. The console also ends it itself when
	// the user quits. Nil means context.Background().
	Context context.Context

	// Theme is the theme's name, NO_COLOR already applied (theme.Choose).
	// With theme.Auto the console asks the terminal for its background
	// colour at start and rebuilds its styles once when the answer comes.
	Theme theme.Name

	// Styles to draw with until then; nil means theme.New(Theme, true).
	Styles *theme.Styles

	// ReadOnly removes every action key (supervisors, wallboards, demos);
	// the header says so.
	ReadOnly bool

	// NoConfirm hangs up on `x` without asking first.
	NoConfirm bool

	// Now is the clock; nil means time.Now. Countdowns and durations are
	// computed from it, so tests and golden files pass a fixed one.
	Now func() time.Time

	// ActionTimeout bounds each answer, reject or hang-up request; the
	// status line says so when it runs out. Zero means
	// DefaultActionTimeout.
	ActionTimeout time.Duration

	// HistoryLimit is how many ended calls the history tab keeps (oldest
	// forgotten first); the counts in the header are never reduced. Zero
	// means 10,000.
	HistoryLimit int

	// MaxBatch bounds how many events one message carries. Zero means 16,384.
	MaxBatch int

	// Gather is how long the intake waits, after the queue runs dry, for
	// more events to carry in the same message. Zero means DefaultGather;
	// below zero, no wait.
	Gather time.Duration

	// Inline draws in the terminal's normal screen instead of the
	// alternate screen (which is restored on exit).
	Inline bool

	// Directory is where the target picker (t) finds the places a call is
	// transferred or redirected to; nil means none, and a number typed as
	// it is still goes.
	Directory *directory.Directory

	// RecentTargets is how many of the last targets used the target
	// picker offers first: zero means directory.DefaultRecent, below zero
	// none.
	RecentTargets int

	// Recent keeps them between runs: read once the console starts, added
	// to after each transfer or redirect accepted. Nil keeps them for this
	// run only.
	Recent RecentStore

	// SourceColumn, when not empty, is the title of a column that shows
	// where each call came from (Call.Provider), for a console fed by
	// several sources at once (several boards: "BOARD"). Empty leaves it
	// out, as a console of one source needs no such column.
	SourceColumn string

	// View is the view the console opens on: ViewLive ("" too),
	// ViewHistory or ViewQueues.
	View ViewName

	// Stats is what the Queues view's figures are over (window, service
	// level, target, since when). The console feeds one stats.Counter
	// from the same batches as its table.
	Stats stats.Config

	// Bell rings the terminal bell when a call starts ringing that this
	// console may act on; Notify asks the terminal for a desktop
	// notification naming it as well. Calls that start ringing within a
	// second of each other share one alert (alert.go).
	Bell   bool
	Notify Notify

	// Log gets one debug record per alert; nil logs nothing. It is
	// written from commands, never from Update.
	Log *slog.Logger
}

// ViewName names one of the console's views, as --view takes it.
type ViewName string

const (
	ViewLive    ViewName = "live"    // ringing and connected calls
	ViewHistory ViewName = "history" // ended calls and why
	ViewQueues  ViewName = "queues"  // the figures of each queue
)

// Defaults.
const (
	DefaultActionTimeout = 15 * time.Second
	DefaultHistoryLimit  = 10000
	DefaultMaxBatch      = 16384
	// DefaultGather: events that trickle in (a provider's calls changing
	// one at a time, a hundred a second on a busy board) are gathered for a
	// thirtieth of a second into one message. Every message is a new frame
	// (Bubble Tea calls View after each Update), so without it a busy
	// board drew a frame per event, well beyond what the terminal shows.
	DefaultGather = time.Second / 30
)

type tab int

const (
	tabLive tab = iota
	tabHistory
	tabQueues
	tabCount
)

// tabOf is the tab a view name opens.
func tabOf(v ViewName) tab {
	switch v {
	case ViewHistory:
		return tabHistory
	case ViewQueues:
		return tabQueues
	}
	return tabLive
}

// selection is the selected call of a tab and the screen line it sits on, so
// that it stays put while rows are inserted or removed around it.
type selection struct {
	id   string
	line int
	idx  int     // its index at the last update
	key  sortKey // where it was listed then, to find its neighbour when it goes
}

// Model is the console. Create it with New; it implements tea.Model.
//
// It is one model over plain parts, each in a file of its own and driven by
// direct calls: the action table's keys (actions.go), the panes (pane.go:
// the reason picker, the target picker, the confirmation, the agent's
// menu, the full help, the details, the filter, the queue filter), the
// Queues view, the tick, the status line and the link.
type Model struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	clock  func() time.Time
	now    time.Time

	styles    theme.Styles
	bgSettled bool   // the background colour is known (or not needed)
	epoch     uint32 // bumped when every cached row and help line is stale
	frame     uint32 // numbers the tables drawn, so rows know which drew their line
	frameLen  int    // the length of the last frame's text, to size the next one
	tabsLine  string // the tabs line drawn last (writeTabs)
	tabsKey   tabsKey
	lined     []*row // the rows with a cached line (see trimLines)

	store         *store
	width, height int
	tab           tab
	sel           [tabCount]selection // the Queues tab keeps its own in queues
	offset        [tabCount]int
	tableH        int
	panel         panelSlot
	moved         movedSelection
	// sendingOn holds the calls whose transfer or redirect the provider
	// accepted and has not settled yet (a handful), so that a call given
	// back is told in the status line (see noteGivenBack).
	sendingOn map[string]*actionSpec

	keys    keyMap
	actions []boundAction // the action table's rows, with their keys
	panes   []pane        // in order of precedence

	picker  reasonPicker
	target  targetPicker
	confirm confirmation
	agent   agentMenu
	help    helpPane
	details detailsPane
	filter  filterPane
	byQueue queueFilterPane

	queues queuesView

	tick     ticker
	status   statusLine
	link     linkState
	alerts   alerter
	quitting bool
}

// New builds the console.
func New(cfg Config) *Model {
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ActionTimeout <= 0 {
		cfg.ActionTimeout = DefaultActionTimeout
	}
	if cfg.HistoryLimit <= 0 {
		cfg.HistoryLimit = DefaultHistoryLimit
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.Gather == 0 {
		cfg.Gather = DefaultGather
	}
	if cfg.Theme == "" {
		cfg.Theme = theme.Auto
	}
	var reasons []providers.RejectReason
	if cfg.Provider != nil {
		reasons = append(reasons, cfg.Provider.RejectReasons()...)
	}
	m := &Model{
		cfg:     cfg,
		clock:   cfg.Now,
		tick:    newTicker(),
		keys:    newKeyMap(),
		store:   newStore(cfg.HistoryLimit),
		picker:  newReasonPicker(reasons),
		target:  newTargetPicker(cfg),
		confirm: newConfirmation(),
		agent:   newAgentMenu(cfg.Provider, cfg.ReadOnly),
		help:    newHelpPane(),
		details: newDetailsPane(),
		filter:  newFilterPane(),
		queues:  newQueuesView(cfg.Stats),
		tab:     tabOf(cfg.View),
		alerts:  newAlerter(cfg.Bell, cfg.Notify, cfg.Log),
	}
	m.ctx, m.cancel = context.WithCancel(cfg.Context)
	m.now = m.clock()
	m.link.idleSince = m.now
	var st theme.Styles
	switch {
	case cfg.Styles != nil:
		st = *cfg.Styles
	default:
		var err error
		if st, err = theme.New(cfg.Theme, true); err != nil {
			st = theme.MustNew(theme.Dark, true)
		}
	}
	m.bgSettled = !cfg.Theme.NeedsBackground()

	m.keys.placeRoot()
	m.keys.placeQueues()
	// The panes, in order of precedence: the first open one that wants
	// the panel has it, and esc closes the first one it can.
	m.addPane(&m.picker)
	m.addPane(&m.target)
	m.addPane(&m.confirm)
	m.addPane(&m.agent)
	m.addPane(&m.help)
	m.addPane(&m.details)
	m.addPane(&m.filter)
	m.addPane(&m.byQueue)
	for i := range actionTable {
		m.addAction(&actionTable[i])
	}
	m.setStyles(st)
	m.updateKeys()
	return m
}

func (m *Model) setStyles(st theme.Styles) {
	m.styles = st
	for _, p := range m.panes {
		if s, ok := p.(styledPane); ok {
			s.setStyles(&m.styles)
		}
	}
	m.epoch++ // every cached row and help line is stale
}

// Styles returns the styles in use.
func (m *Model) Styles() theme.Styles { return m.styles }

// Init starts reading events and, for the auto theme, asks the terminal for
// its background colour.
func (m *Model) Init() tea.Cmd {
	var bg tea.Cmd
	if !m.bgSettled {
		bg = tea.RequestBackgroundColor
	}
	return tea.Batch(m.waitEvents(), bg, m.ensureTick(), m.target.loadRecent())
}

// eventsMsg is one batch of provider events: everything that was queued when
// the first of them arrived.
type eventsMsg struct {
	events []providers.Event
	closed bool // the channel was closed after these
}

// waitEvents returns the command that reads the next batch. It blocks for the
// first event, then takes whatever else is already queued, and what comes in
// within cfg.Gather of the queue running dry, so a burst of thousands of
// events, or a trickle of a hundred a second, becomes a handful of messages
// and renders. It returns when the console's context ends, so it never
// outlives the program.
func (m *Model) waitEvents() tea.Cmd {
	if m.cfg.Events == nil || m.link.stopped {
		return nil
	}
	ch, done, limit, gather := m.cfg.Events, m.ctx.Done(), m.cfg.MaxBatch, max(m.cfg.Gather, 0)
	return func() tea.Msg { return readBatch(ch, done, limit, gather) }
}

func readBatch(ch <-chan providers.Event, done <-chan struct{}, limit int, gather time.Duration) tea.Msg {
	var first providers.Event
	var ok bool
	select {
	case first, ok = <-ch:
	case <-done:
		return nil
	}
	if !ok {
		return eventsMsg{closed: true}
	}
	evs := make([]providers.Event, 1, min(limit, len(ch)+1))
	evs[0] = first
	var timeout <-chan time.Time // made when the queue first runs dry
	for len(evs) < limit {
		select {
		case ev, ok := <-ch:
			if !ok {
				return eventsMsg{events: evs, closed: true}
			}
			evs = append(evs, ev)
			continue
		default:
		}
		if gather <= 0 {
			break
		}
		if timeout == nil {
			t := time.NewTimer(gather)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case ev, ok := <-ch:
			if !ok {
				return eventsMsg{events: evs, closed: true}
			}
			evs = append(evs, ev)
		case <-timeout:
			return eventsMsg{events: evs}
		case <-done:
			return eventsMsg{events: evs}
		}
	}
	return eventsMsg{events: evs}
}

// ensureTick arms the one tick if something on screen moves with time and
// none is armed that fires soon enough (ticker.ensure).
func (m *Model) ensureTick() tea.Cmd {
	if m.quitting {
		return nil
	}
	return m.tick.ensure(m.now, m.store.n.ringing, m.store.n.active, m.queues.wake(m.now, m.tab == tabQueues))
}

// Update applies one message. It never blocks and never does I/O: provider
// requests are returned as commands.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.now = m.clock()
	// An alert whose second is over goes first, before this message can
	// add a call to it.
	alert := m.alertCmd()
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		if msg.Width != m.width || msg.Height != m.height {
			m.width, m.height = msg.Width, msg.Height
			m.epoch++
		}
	case tea.BackgroundColorMsg:
		if !m.bgSettled {
			m.bgSettled = true
			if st, err := theme.New(m.cfg.Theme, msg.IsDark()); err == nil {
				m.setStyles(st)
			}
		}
	case eventsMsg:
		m.applyEvents(msg.events)
		if msg.closed {
			m.link.stopped = true
			m.say(statusError, m.providerName()+" stopped sending events")
		} else {
			cmd = m.waitEvents()
		}
	case tickMsg:
		m.tick.fired(msg)
	case actionResultMsg:
		cmd = m.onResult(msg)
	case paneMsg:
		cmd = msg.deliver(m)
	case tea.KeyPressMsg:
		cmd = m.onKey(msg)
	case tea.PasteMsg:
		if p := m.modalPane(); p != nil {
			cmd = p.update(m, msg)
		}
	}
	m.afterUpdate()
	if m.quitting {
		return m, cmd
	}
	return m, tea.Batch(cmd, m.ensureTick(), alert)
}

// afterUpdate brings derived state in line: layout, selection, keys.
func (m *Model) afterUpdate() {
	m.link.settle(m.now, m.store.n.live)
	m.relayout()
	m.normalize(tabLive)
	m.normalize(tabHistory)
	m.queues.settle(m.now, m.tab == tabQueues)
	m.updateKeys()
}

// applyEvents applies a batch and keeps the selection on its call; if that
// call left the tab, the neighbour is selected and the status line says why.
func (m *Model) applyEvents(evs []providers.Event) {
	before := m.store.get(m.sel[tabLive].id)
	calls := make([]*providers.Call, 0, len(evs))
	for i := range evs {
		ev := &evs[i]
		switch {
		case ev.Call != nil:
			calls = append(calls, ev.Call)
		case ev.Status != nil:
			m.link.set(*ev.Status)
		}
	}
	wasWide := m.store.n.wideOutcome()
	fresh := m.newlyRinging(evs)
	watch := m.ringingOut(calls)
	rows := m.store.applyAll(calls)
	m.queues.applyAll(calls, rows) // every snapshot, in order, as the table's
	m.noteRinging(fresh)
	m.noteGivenBack()
	rang := m.rangOut(watch)
	if !wasWide && m.store.n.wideOutcome() {
		m.epoch++ // the history's outcome column widens: every row is drawn again
	}
	if before == nil || m.inTab(before, tabLive) {
		m.sayRangOut(rang)
		return
	}
	m.relayout()
	m.normalize(tabLive)
	kind, why := statusInfo, "no longer matches the filter"
	switch {
	case rang.id == before.call.ID():
		// The selected call rang out: one line says both.
		kind, why, rang = statusError, rang.why, rangOutWords{}
	case before.isEnded():
		view := before.view()
		why = "ended: " + endWords(&view)
	}
	next := "nothing left to select"
	if r := m.store.get(m.sel[tabLive].id); r != nil {
		next = "selected " + clean(r.call.From().String())
		m.moved = movedSelection{at: m.now, to: r.call.ID()}
	}
	m.say(kind, clean(before.call.From().String())+" "+why+" · "+next)
	m.sayRangOut(rang)
}

// sayRangOut tells the status line of a call that rang out, if there is one.
func (m *Model) sayRangOut(rang rangOutWords) {
	if rang.id != "" {
		m.say(statusError, rang.who+" "+rang.why)
	}
}

// ringOutWatch is a ringing call a batch ends whose ringing out the switch
// acts on: its deadline to answer, as the call had it while it rang.
type ringOutWatch struct {
	id       string
	answerBy int64 // nanoseconds since 1970; 0 for none
}

// ringingOut lists the calls of a batch that end a call still ringing
// before it, the switch acting on the agent if it rings out. It is read
// before the batch is applied: the ended snapshot no longer has the
// deadline it rang to.
func (m *Model) ringingOut(calls []*providers.Call) []ringOutWatch {
	var out []ringOutWatch
	for _, c := range calls {
		if c.State != providers.StateEnded || c.RingOut.Done() == "" {
			continue
		}
		if r := m.store.get(c.ID); r != nil && !r.isEnded() && r.call.State() == providers.StateRinging {
			out = append(out, ringOutWatch{id: c.ID, answerBy: r.call.Nanos(compact.AnswerBy)})
		}
	}
	return out
}

// rangOutWords is a call that rang out and what the switch did about it.
type rangOutWords struct {
	id, who, why string // why: "rang out: the switch set you Not Ready"
}

// ringOutSlack is how far before its deadline a call may end and still be
// taken to have rung out: the switch times the ring from when it began,
// the console from when it heard of it.
const ringOutSlack = 2 * time.Second

// rangOut is the last of the watched calls that ended unanswered at its
// deadline, and so rang out and had the switch act on the agent (whose
// state in the header changes with no other word). One that ended well
// before its deadline was given up by the caller: the switch does nothing
// then, and nothing is said.
func (m *Model) rangOut(watch []ringOutWatch) rangOutWords {
	var out rangOutWords
	for _, w := range watch {
		r := m.store.get(w.id)
		if r == nil || !r.isEnded() || r.call.Result() != providers.OutcomeMissed || r.call.HasTime(compact.Answered) {
			continue
		}
		if end := r.call.Nanos(compact.Ended); w.answerBy != 0 && end != 0 && end < w.answerBy-int64(ringOutSlack) {
			continue
		}
		out = rangOutWords{id: w.id, who: clean(r.call.From().String()), why: "rang out: the switch " + r.call.RingOut().Done()}
	}
	return out
}

// noteGivenBack says so when a call whose transfer or redirect the provider
// accepted comes back instead of leaving (Graph gives a call back
// established after a failed transfer): the status line said "transferred"
// when the provider accepted it. A call that ended, or that the provider has
// not settled within sendOnSettle, is let go without a word.
func (m *Model) noteGivenBack() {
	for id, s := range m.sendingOn {
		r := m.store.get(id)
		switch {
		case r == nil || r.isEnded():
		case r.busy(m.now):
			continue
		case r.allows(s.action):
			m.say(statusError, clean(r.call.From().String())+" is back: the "+s.noun+" did not go through")
		}
		delete(m.sendingOn, id)
	}
}

// endWords says why a call ended, as briefly as the provider allows.
func endWords(c *providers.Call) string {
	if s := c.End.String(); s != "" {
		return s
	}
	if o := c.Result(); o != providers.OutcomeNone {
		return string(o)
	}
	return "no reason given"
}

// inTab reports whether r is listed on tab t as it is filtered now.
func (m *Model) inTab(r *row, t tab) bool {
	if r == nil || r.isEnded() != (t == tabHistory) {
		return false
	}
	if m.store.get(r.call.ID()) != r {
		return false // forgotten (history limit)
	}
	return !m.store.query.active() || r.isInView()
}

func (m *Model) list(t tab) *orderedList { return m.store.list(t == tabHistory) }

// selected is the selected call of the current tab, or nil (the Queues
// tab selects a queue, not a call).
func (m *Model) selected() *row {
	if m.tab == tabQueues {
		return nil
	}
	r := m.store.get(m.sel[m.tab].id)
	if !m.inTab(r, m.tab) {
		return nil
	}
	return r
}

// normalize keeps tab t's selection on a listed call and on screen. The
// selected call keeps its screen line when rows come and go above it.
func (m *Model) normalize(t tab) {
	l := m.list(t)
	s := &m.sel[t]
	n := l.Len()
	if n == 0 {
		s.id, s.idx, s.line, s.key, m.offset[t] = "", 0, 0, sortKey{}, 0
		return
	}
	idx := -1
	switch r := m.store.get(s.id); {
	case t == tabHistory && m.tab != tabHistory && s.idx == 0:
		// Out of sight, a cursor on the newest ended call stays on the
		// newest, so the tab opens at the top rather than wherever the
		// first call to end has sunk to. Nothing can be done to an
		// ended call, and nobody is looking: no finger to move under.
		idx = 0
		s.id = l.At(0).call.ID()
	case m.inTab(r, t):
		idx = l.Index(r, keyOf(r))
	}
	if idx < 0 {
		// The selected call left: take the one that now follows the
		// place it had, or the last one. Found by its key, not its old
		// index, so that rows leaving above it in the same batch (or a
		// new filter) do not make the choice skip ahead.
		idx = min(l.Search(s.key), n-1)
		s.id = l.At(idx).call.ID()
	}
	h := max(m.tableH, 1)
	line := min(max(s.line, 0), h-1, idx)
	off := min(max(idx-line, 0), max(n-h, 0))
	s.idx, s.line, s.key, m.offset[t] = idx, idx-off, keyOf(l.At(idx)), off
}

// move moves tab t's selection to index idx, with the selection at line.
func (m *Model) move(idx, line int) {
	l := m.list(m.tab)
	n := l.Len()
	if n == 0 {
		return
	}
	idx = min(max(idx, 0), n-1)
	s := &m.sel[m.tab]
	s.id, s.idx, s.line = l.At(idx).call.ID(), idx, line
	m.normalize(m.tab)
}

func (m *Model) say(kind statusKind, text string) { m.status.say(kind, text, m.now) }

func (m *Model) providerName() string {
	if m.cfg.Provider == nil {
		return "provider"
	}
	return m.cfg.Provider.Name()
}

// relayout works out how many table rows fit around the header, the panel
// and the bottom lines.
func (m *Model) relayout() {
	top := 3 + m.link.height()
	bottom := 2 // status and help
	for _, p := range m.panes {
		if p.line(m) {
			bottom++
		}
	}
	avail := m.height - top - bottom
	m.panel = m.layoutPanel(avail)
	m.tableH = max(avail-m.panel.h, 1)
	m.queues.relayout(m.width, m.tableH)
}
