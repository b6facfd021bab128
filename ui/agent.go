package ui

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"ringside/providers"
)

// maxAgentChoices bounds the menu: a provider's list of reasons is the
// contact centre's, and no agent scrolls through more.
const maxAgentChoices = 100

// agentRows is how many choices the menu shows at once; it scrolls past them.
const agentRows = 9

// agentMenu is the agent-state menu: `s` opens it where the provider has an
// agent state of its own (providers.AgentControl). It lists the three
// states at once and, when the provider's list arrives (read in a command),
// its choices with their reasons; enter asks for the chosen one in a
// command. The header shows the state once the provider reports it.
type agentMenu struct {
	paneBase
	ctl providers.AgentControl // nil: the provider has no agent state

	shown   bool
	reading bool // the provider's list has not arrived yet
	gen     int  // which opening a reply belongs to
	choices []providers.AgentChoice
	problem string // why the list is the plain states: the provider's list could not be read
	idx     int
	top     int

	key, up, down, choose, pick, cancel key.Binding
}

func newAgentMenu(p providers.Provider, readOnly bool) agentMenu {
	a := agentMenu{
		key:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "agent state")),
		up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "move")),
		down:   key.NewBinding(key.WithKeys("down", "j")),
		choose: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "set")),
		pick:   key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1-9", "pick")),
		cancel: key.NewBinding(key.WithKeys("esc", "s"), key.WithHelp("esc", "close")),
	}
	a.ctl, _ = p.(providers.AgentControl)
	if a.ctl == nil || readOnly {
		// No key to press by mistake and none in the help, as for an
		// action the provider never offers.
		a.key.Unbind()
	}
	return a
}

func (a *agentMenu) open(*Model) bool  { return a.shown }
func (a *agentMenu) modal(*Model) bool { return true }
func (a *agentMenu) close(*Model)      { a.shown = false }

func (a *agentMenu) toggleKey() (*key.Binding, helpPlace) {
	return &a.key, helpPlace{col: colView, order: 5}
}

// toggle opens the menu with the plain states and asks the provider for
// its list.
func (a *agentMenu) toggle(m *Model) tea.Cmd {
	if a.ctl == nil || m.cfg.ReadOnly {
		return nil
	}
	a.shown, a.reading, a.problem = true, true, ""
	a.gen++
	a.choices = plainAgentChoices()
	a.idx, a.top = 0, 0
	m.help.close(m)
	ctl, parent, timeout, gen := a.ctl, m.ctx, m.cfg.ActionTimeout, a.gen
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		choices, err := ctl.AgentChoices(ctx)
		return agentChoicesMsg{gen: gen, choices: choices, err: err}
	}
}

// plainAgentChoices are the states without reasons.
func plainAgentChoices() []providers.AgentChoice {
	out := make([]providers.AgentChoice, len(providers.AgentStates))
	for i, s := range providers.AgentStates {
		out[i] = providers.AgentChoice{State: s}
	}
	return out
}

// agentChoicesMsg is the provider's list of choices.
type agentChoicesMsg struct {
	gen     int
	choices []providers.AgentChoice
	err     error
}

func (msg agentChoicesMsg) deliver(m *Model) tea.Cmd {
	a := &m.agent
	if !a.shown || msg.gen != a.gen {
		return nil // closed, or opened again since
	}
	a.reading = false
	if msg.err != nil {
		a.problem = "could not read the reasons: " + msg.err.Error()
		return nil
	}
	choices := sortedChoices(msg.choices)
	if len(choices) == 0 {
		return nil // nothing listed: the plain states stay
	}
	was := a.choices[a.idx]
	a.choices, a.idx, a.top = choices, 0, 0
	if i := slices.Index(choices, was); i >= 0 {
		a.move(i)
	}
	return nil
}

// sortedChoices is the provider's list in menu order (ready, not ready with
// its reasons, after-call work), bounded, the unknown states left out.
func sortedChoices(in []providers.AgentChoice) []providers.AgentChoice {
	out := make([]providers.AgentChoice, 0, min(len(in), maxAgentChoices))
	for _, c := range in {
		if len(out) == maxAgentChoices {
			break
		}
		if slices.Contains(providers.AgentStates, c.State) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(x, y providers.AgentChoice) int {
		return cmp.Compare(slices.Index(providers.AgentStates, x.State), slices.Index(providers.AgentStates, y.State))
	})
	return out
}

func (a *agentMenu) update(m *Model, msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(k, a.cancel):
		a.close(m)
	case key.Matches(k, a.up):
		a.move(a.idx - 1)
	case key.Matches(k, a.down):
		a.move(a.idx + 1)
	case key.Matches(k, a.choose):
		return a.set(m, a.idx)
	case key.Matches(k, a.pick):
		if i, err := strconv.Atoi(k.String()); err == nil && i <= len(a.choices) {
			return a.set(m, i-1)
		}
	}
	return nil
}

func (a *agentMenu) move(i int) {
	a.idx = min(max(i, 0), len(a.choices)-1)
	switch {
	case a.idx < a.top:
		a.top = a.idx
	case a.idx >= a.top+agentRows:
		a.top = a.idx - agentRows + 1
	}
}

// set closes the menu and asks the provider for choice i in a command.
func (a *agentMenu) set(m *Model, i int) tea.Cmd {
	choice := a.choices[i]
	a.close(m)
	words := AgentChoiceWords(choice)
	m.say(statusInfo, "asking for "+words+"…")
	ctl, parent, timeout := a.ctl, m.ctx, m.cfg.ActionTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		return agentResultMsg{choice: choice, err: ctl.SetAgentState(ctx, choice)}
	}
}

// agentResultMsg is the end of a request for an agent state.
type agentResultMsg struct {
	choice providers.AgentChoice
	err    error
}

func (msg agentResultMsg) deliver(m *Model) tea.Cmd {
	words := AgentChoiceWords(msg.choice)
	if msg.err != nil {
		if !m.quitting {
			m.say(statusError, "could not set the agent state to "+words+": "+msg.err.Error())
		}
		return nil
	}
	m.say(statusSuccess, "agent state set to "+words)
	return nil
}

func (a *agentMenu) helpKeys(*Model) []key.Binding {
	return []key.Binding{a.up, a.choose, a.pick, a.cancel}
}

func (a *agentMenu) panel(*Model) int { return min(len(a.choices), agentRows) + 3 }

func (a *agentMenu) drawPanel(m *Model, h int) []string { return m.boxed(a.lines(m), h) }

// lines: the state the header shows, how the list stands, and the choices.
func (a *agentMenu) lines(m *Model) []string {
	s := &m.styles
	w := m.inner()
	title := "Agent state"
	if now := m.link.status.Agent; now != "" {
		title += " · now " + clean(now)
	}
	head := s.PanelTitle.Render(fit(title, min(width(title), w)))
	note, noteStyle := "", s.Hint
	switch {
	case a.reading:
		note = "reading the reasons from " + m.providerName() + "…"
	case a.problem != "":
		note, noteStyle = a.problem, s.StatusError
	}
	if note != "" && width(head)+3 < w {
		head += s.Hint.Render(" · ") + noteStyle.Render(fit(note, w-width(head)-3))
	}
	out := []string{head}
	for i := a.top; i < len(a.choices) && i < a.top+agentRows; i++ {
		num := "   "
		if i < 9 {
			num = "(" + strconv.Itoa(i+1) + ")"
		}
		text := num + " " + AgentChoiceWords(a.choices[i])
		if i == a.idx {
			out = append(out, s.OptionSelected.Render(fit("› "+text, w)))
		} else {
			out = append(out, s.Option.Render(fit("  "+text, w)))
		}
	}
	return out
}

// AgentChoiceWords is a choice as the menu and the one-shot command say it:
// "Ready", "Not Ready · Out to Lunch", "After call work".
func AgentChoiceWords(c providers.AgentChoice) string {
	base := agentStateWords(c.State)
	label := strings.TrimSpace(clean(c.Label))
	switch {
	case c.Code == "" && label != "":
		return label
	case c.Code == "":
		return base
	case label == "":
		return base + " · " + clean(c.Code)
	case strings.HasPrefix(strings.ToLower(label), strings.ToLower(base)):
		return label // the provider's label names the state already
	}
	return base + " · " + label
}

func agentStateWords(s providers.AgentState) string {
	switch s {
	case providers.AgentReady:
		return "Ready"
	case providers.AgentNotReady:
		return "Not Ready"
	case providers.AgentAfterCallWork:
		return "After call work"
	}
	return clean(string(s))
}
