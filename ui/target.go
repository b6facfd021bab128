package ui

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"ringside/providers"
	"ringside/providers/directory"
	"ringside/theme"
)

// Sizes of the target picker.
const (
	targetRows     = 6   // entries shown at once; the list scrolls past them
	maxTargetItems = 200 // entries kept per keystroke: more is not a choice a person scrolls through
)

// targetPicker asks where a call goes: transfer (a connected call) or
// redirect (a ringing one). The panel lists the directory, filtered fuzzily
// as the agent types on the picker's line below it; with nothing typed the
// last targets used come first. A number typed as it is (or a Teams user
// id) is offered as it stands, first. Like the reason picker it remembers
// the call it was opened for, and sends nothing if that call no longer
// allows the action.
type targetPicker struct {
	paneBase
	dir    *directory.Directory
	recent directory.Recent
	input  textinput.Model

	// store keeps the recent targets between runs; nil when it is off or
	// could not be read (then it is never written over).
	store RecentStore
	log   *slog.Logger

	callID string // the call it is open for; "" when closed
	spec   *actionSpec
	items  []targetItem
	idx    int // the chosen entry
	top    int // the first entry shown

	up, down, send, cancel key.Binding
}

// targetItem is one entry of the list.
type targetItem struct {
	target  providers.Target
	matched []int  // byte offsets in target.Name the query matched
	tag     string // "recent", "as typed"
}

// RecentStore keeps the last targets used between runs
// (directory.RecentFile). Its methods do I/O and are called from commands
// only.
type RecentStore interface {
	// Load reads the targets kept, most recent first.
	Load() (directory.Recent, error)
	// Add puts t first and returns the list now kept, which may hold
	// targets that other programs sharing the store used meanwhile.
	Add(t providers.Target) (directory.Recent, error)
}

func newTargetPicker(cfg Config) targetPicker {
	p := targetPicker{
		dir:    cfg.Directory,
		recent: directory.NewRecent(cfg.RecentTargets),
		store:  cfg.Recent,
		log:    cfg.Log,
		input:  textinput.New(),
		up:     key.NewBinding(key.WithKeys("up", "ctrl+p"), key.WithHelp("↑/↓", "move")),
		down:   key.NewBinding(key.WithKeys("down", "ctrl+n")),
		send:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send")),
		cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
	if cfg.RecentTargets < 0 || cfg.ReadOnly {
		p.store = nil // nothing to offer, or nothing to send: nothing kept
	}
	p.input.Prompt = ""
	p.input.Placeholder = "name or number…"
	p.input.SetVirtualCursor(false)
	p.input.CharLimit = providers.MaxTargetName
	return p
}

func (p *targetPicker) setStyles(st *theme.Styles) { p.input.SetStyles(st.Input) }

func (p *targetPicker) open(*Model) bool  { return p.callID != "" }
func (p *targetPicker) modal(*Model) bool { return true }
func (p *targetPicker) line(*Model) bool  { return p.callID != "" }
func (p *targetPicker) sync(m *Model)     { p.input.SetWidth(filterRoom(m.width) - 1) }

func (p *targetPicker) close(*Model) {
	p.callID = ""
	p.input.Blur()
	p.input.SetValue("")
	p.items = nil
}

// used puts t at the head of the recent targets (a request for it was
// accepted), and returns the command that keeps it in the store.
func (p *targetPicker) used(t providers.Target) tea.Cmd {
	if t == (providers.Target{}) {
		return nil
	}
	p.recent = p.recent.With(t)
	if p.store == nil {
		return nil
	}
	store, log := p.store, p.log
	return func() tea.Msg {
		r, err := store.Add(t)
		logRecentError(log, "keep", err)
		return recentMsg{recent: r, err: err}
	}
}

// loadRecent returns the command that reads the targets kept by earlier
// runs, once, as the console starts.
func (p *targetPicker) loadRecent() tea.Cmd {
	if p.store == nil {
		return nil
	}
	store, log := p.store, p.log
	return func() tea.Msg {
		r, err := store.Load()
		logRecentError(log, "read", err)
		return recentMsg{recent: r, err: err, loaded: true}
	}
}

func logRecentError(log *slog.Logger, what string, err error) {
	if err != nil && log != nil {
		log.Warn("recent targets", "op", what, "err", err)
	}
}

// recentMsg is what the store holds after a Load or an Add.
type recentMsg struct {
	recent directory.Recent
	err    error
	loaded bool // the answer to the first read
}

// deliver takes the store's list. A store that failed is not used again
// this run (a file a person broke is never written over), and the status
// line says so once; the targets used are still offered first.
func (msg recentMsg) deliver(m *Model) tea.Cmd {
	p := &m.target
	if p.store == nil {
		return nil
	}
	if msg.err != nil {
		p.store = nil
		m.say(statusError, "recent targets not kept: "+msg.err.Error())
		return nil
	}
	r := msg.recent
	if msg.loaded {
		// Targets used before the first read came back stay first.
		mine := p.recent.List()
		for i := len(mine) - 1; i >= 0; i-- {
			r = r.With(mine[i])
		}
	}
	p.recent = r
	return nil
}

// ask opens the picker for action s on call id.
func (p *targetPicker) ask(m *Model, s *actionSpec, id string) tea.Cmd {
	p.callID, p.spec = id, s
	p.input.SetValue("")
	p.send.SetHelp("enter", s.verb)
	p.refresh()
	m.help.close(m)
	return p.input.Focus()
}

func (p *targetPicker) label(_ *Model, s *actionSpec) string { return s.help + "…" }
func (p *targetPicker) note(*Model, *actionSpec) string      { return "" }

func (p *targetPicker) helpKeys(*Model) []key.Binding {
	return []key.Binding{p.up, p.send, p.cancel}
}

// update: arrows move, enter sends, esc cancels; anything else edits the
// text, and the list follows it.
func (p *targetPicker) update(m *Model, msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, p.cancel):
			p.close(m)
			m.say(statusInfo, p.spec.noun+" cancelled")
			return nil
		case key.Matches(k, p.up):
			p.move(-1)
			return nil
		case key.Matches(k, p.down):
			p.move(1)
			return nil
		case key.Matches(k, p.send):
			return p.choose(m)
		}
	}
	before := p.input.Value()
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	if p.input.Value() != before {
		p.refresh()
	}
	return cmd
}

func (p *targetPicker) move(d int) {
	if len(p.items) == 0 {
		return
	}
	p.idx = min(max(p.idx+d, 0), len(p.items)-1)
	switch {
	case p.idx < p.top:
		p.top = p.idx
	case p.idx >= p.top+targetRows:
		p.top = p.idx - targetRows + 1
	}
}

// refresh lists the entries for the text typed so far.
func (p *targetPicker) refresh() {
	p.idx, p.top = 0, 0
	q := strings.TrimSpace(p.input.Value())
	if q == "" {
		p.items = p.unfiltered()
		return
	}
	var items []targetItem
	if _, named := p.dir.Lookup(q); !named {
		if t, err := providers.ParseTarget(q); err == nil {
			items = append(items, targetItem{target: t, tag: "as typed"})
		}
	}
	for _, mt := range p.dir.Search(q, maxTargetItems-len(items)) {
		items = append(items, targetItem{target: mt.Target, matched: mt.Matched})
	}
	p.items = items
}

// unfiltered is the list before anything is typed: the recent targets,
// then the directory in file order.
func (p *targetPicker) unfiltered() []targetItem {
	// A recent target named in the directory is offered as the directory
	// has it now: a colleague's number may have changed since it was used.
	var recent []providers.Target
	for _, r := range p.recent.List() {
		if e, ok := p.dir.Lookup(r.Name); ok {
			r = e
		}
		if !isRecent(recent, r) {
			recent = append(recent, r)
		}
	}
	items := make([]targetItem, 0, min(len(recent)+p.dir.Len(), maxTargetItems))
	for _, t := range recent {
		items = append(items, targetItem{target: t, tag: "recent"})
	}
	for _, mt := range p.dir.Search("", maxTargetItems) {
		if len(items) == maxTargetItems {
			break
		}
		if !isRecent(recent, mt.Target) {
			items = append(items, targetItem{target: mt.Target})
		}
	}
	return items
}

func isRecent(recent []providers.Target, t providers.Target) bool {
	for _, r := range recent {
		if r == t {
			return true
		}
	}
	return false
}

// choose sends the call to the chosen entry, or to what was typed when
// nothing is listed. A target the provider cannot reach keeps the picker
// open and says why; a call that no longer allows the action closes it and
// nothing is sent (submit says why).
func (p *targetPicker) choose(m *Model) tea.Cmd {
	var t providers.Target
	if p.idx < len(p.items) {
		t = p.items[p.idx].target
	} else {
		q := strings.TrimSpace(p.input.Value())
		if q == "" {
			m.say(statusError, "type a name from the directory or a number")
			return nil
		}
		var err error
		if t, err = p.dir.Resolve(q); err != nil {
			m.say(statusError, "nothing sent: "+err.Error())
			return nil
		}
	}
	if err := CheckTarget(m.cfg.Provider, t); err != nil {
		m.say(statusError, "nothing sent: "+err.Error())
		return nil
	}
	id, s := p.callID, p.spec
	p.close(m)
	return m.submit(s, id, actionArg{target: t})
}

// panel: the title and targetRows entries, in the border.
func (p *targetPicker) panel(*Model) int { return targetRows + 3 }

func (p *targetPicker) drawPanel(m *Model, h int) []string { return m.boxed(p.lines(m), h) }

// lines: which call, whether it still allows the action, and the entries.
func (p *targetPicker) lines(m *Model) []string {
	s := &m.styles
	w := m.inner()
	title := capital(p.spec.verb) + " " + m.whoFor(p.callID) + " to"
	note, noteStyle := p.countNote(), s.Hint
	if ok, why := m.allowed(m.store.get(p.callID), p.spec); !ok {
		note, noteStyle = strings.TrimPrefix(why, "is ")+" · nothing will be sent", s.StatusError
	}
	head := s.PanelTitle.Render(fit(title, min(width(clean(title)), w)))
	if note != "" && width(head)+3 < w {
		head += s.Hint.Render(" · ") + noteStyle.Render(fit(note, w-width(head)-3))
	}
	out := []string{head}
	if len(p.items) == 0 {
		out = append(out, s.Hint.Render(fit(p.emptyWords(), w)))
	}
	for i := p.top; i < len(p.items) && i < p.top+targetRows; i++ {
		out = append(out, p.itemLine(m, &p.items[i], i == p.idx, w))
	}
	// The box keeps its height while the list shrinks and grows under
	// the agent's typing, so the table does not jump with every key.
	for len(out) < 1+targetRows {
		out = append(out, "")
	}
	return out
}

// countNote says how much the directory holds or how much matched.
func (p *targetPicker) countNote() string {
	n := p.dir.Len()
	switch {
	case n == 0:
		return "no directory: type a number"
	case strings.TrimSpace(p.input.Value()) == "":
		return strconv.Itoa(n) + " in the directory"
	}
	return strconv.Itoa(len(p.items)) + " of " + strconv.Itoa(n)
}

func (p *targetPicker) emptyWords() string {
	q := strings.TrimSpace(p.input.Value())
	switch {
	case q == "" && p.dir.Len() == 0:
		return "Type a number (+44 20 7946 0000, 5002) or a Teams user id."
	case q == "":
		return "The directory is empty."
	case p.dir.Len() == 0:
		return "“" + q + "” is not a number (+44 20 7946 0000, 5002) or a Teams user id"
	}
	return "No name matches “" + q + "”, and it is not a number (+44 20 7946 0000, 5002)"
}

// itemLine is one entry: its name (the matched characters marked), kind,
// the address this provider would use, and its tag.
func (p *targetPicker) itemLine(m *Model, it *targetItem, selected bool, w int) string {
	s := &m.styles
	base, hi := s.Option, s.Match
	cursor := "  "
	if selected {
		base, hi, cursor = s.OptionSelected, s.MatchSelected, "› "
	}
	const kindW = 12
	nameW := max(min(30, w/3), 8)
	tag := it.tag
	if err := CheckTarget(m.cfg.Provider, it.target); err != nil {
		tag = "cannot reach"
	}
	tagW := 13
	addrW := max(w-2-nameW-1-kindW-1-tagW, 0)
	var b strings.Builder
	b.WriteString(base.Render(cursor))
	b.WriteString(marked(it.target.Name, it.matched, nameW, base, hi))
	rest := " " + fit(string(it.target.Kind), kindW) + " " + fit(addressFor(m.cfg.Provider, it.target), addrW) + fitRight(tag, tagW)
	b.WriteString(base.Render(fit(rest, w-2-nameW)))
	return b.String()
}

// marked is name cut to w cells with the bytes at matched drawn in hi.
func marked(name string, matched []int, w int, base, hi lipgloss.Style) string {
	plain := fit(name, w)
	if len(matched) == 0 {
		return base.Render(plain)
	}
	// Offsets hold for the part of name that fit kept as it was.
	kept := 0
	for kept < len(plain) && kept < len(name) && plain[kept] == name[kept] {
		kept++
	}
	set := make(map[int]bool, len(matched))
	for _, i := range matched {
		set[i] = true
	}
	var b strings.Builder
	run, runHi := strings.Builder{}, false
	flush := func() {
		if run.Len() == 0 {
			return
		}
		if runHi {
			b.WriteString(hi.Render(run.String()))
		} else {
			b.WriteString(base.Render(run.String()))
		}
		run.Reset()
	}
	for i, r := range plain {
		h := i < kept && set[i]
		if h != runHi {
			flush()
			runHi = h
		}
		run.WriteRune(r)
	}
	flush()
	return b.String()
}

// drawLine is where the agent types: the prompt, the text, and what enter
// and esc do.
func (p *targetPicker) drawLine(m *Model, b *strings.Builder) *tea.Cursor {
	c := &m.styles.Chrome
	prompt := " " + p.spec.verb + " to › "
	c.FilterPrompt.Write(b, prompt)
	room := filterRoom(m.width)
	field := p.input.View()
	b.WriteString(field)
	if pad := room - width(field); pad > 0 {
		b.WriteString(spaces(pad))
	}
	c.FilterCount.Write(b, fit(" enter sends · esc cancels ", max(m.width-width(prompt)-room, 0)))
	cur := p.input.Cursor()
	if cur != nil {
		cur.Position.X += width(prompt)
	}
	return cur
}

// addressFor is what p would dial or invite for t, as the picker shows it
// ("" when p cannot reach t).
func addressFor(p providers.Provider, t providers.Target) string {
	if p == nil {
		return ""
	}
	a, _ := p.Address(t)
	return a
}

// CheckTarget says whether p can send a call to t, before anything is
// sent, in the provider's words (Provider.Address).
func CheckTarget(p providers.Provider, t providers.Target) error {
	if t == (providers.Target{}) {
		return errors.New("no target given")
	}
	if p == nil {
		return nil
	}
	_, err := p.Address(t)
	return err
}
