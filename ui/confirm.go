package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// confirmation asks, in the status line, whether to go ahead with an action
// (hang-up): y or the action's own key again goes ahead, any other key
// cancels. Like the picker, it remembers its call and sends nothing if the
// call changed meanwhile.
type confirmation struct {
	paneBase
	callID string // the call it asks about; "" when closed
	spec   *actionSpec
	yes    key.Binding
	other  key.Binding
}

func newConfirmation() confirmation {
	return confirmation{other: key.NewBinding(key.WithKeys("_"), key.WithHelp("other", "cancel"))}
}

func (c *confirmation) open(*Model) bool  { return c.callID != "" }
func (c *confirmation) close(*Model)      { c.callID = "" }
func (c *confirmation) modal(*Model) bool { return true }

// ask opens the question, or sends at once when the console was started
// without confirmations.
func (c *confirmation) ask(m *Model, s *actionSpec, id string) tea.Cmd {
	if m.cfg.NoConfirm {
		return m.submit(s, id, actionArg{})
	}
	c.callID, c.spec = id, s
	c.yes = key.NewBinding(key.WithKeys(append([]string{"y", "Y"}, s.keys...)...), key.WithHelp("y/"+s.keys[0], s.help))
	return nil
}

func (c *confirmation) label(_ *Model, s *actionSpec) string { return s.help }
func (c *confirmation) note(*Model, *actionSpec) string      { return "" }

// update: any key answers; only yes goes ahead.
func (c *confirmation) update(m *Model, msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	id := c.callID
	c.close(m)
	if key.Matches(k, c.yes) {
		return m.submit(c.spec, id, actionArg{})
	}
	m.say(statusInfo, c.spec.noun+" cancelled")
	return nil
}

func (c *confirmation) helpKeys(*Model) []key.Binding { return []key.Binding{c.yes, c.other} }

// drawStatus asks the question in the status line.
func (c *confirmation) drawStatus(m *Model, b *strings.Builder) bool {
	if c.callID == "" {
		return false
	}
	s := c.spec
	q := " " + capital(s.help) + " " + m.whoFor(c.callID) + "? y or " + s.keys[0] + " " + s.does + " · any other key cancels "
	if ok, why := m.allowed(m.store.get(c.callID), s); !ok {
		// The call changed while the question was open: say so rather
		// than ask about something that cannot happen.
		q = " " + m.whoFor(c.callID) + " " + why + " · nothing will be sent · any key closes "
	}
	m.styles.Chrome.Confirm.Write(b, fit(q, m.width))
	return true
}
