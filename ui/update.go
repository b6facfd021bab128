package ui

import (
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// onKey handles a key press: a modal pane takes every key; otherwise the
// root's keys, the action keys and the panes' toggles, in that order.
func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.keys.ForceQuit) {
		return m.quit()
	}
	if p := m.modalPane(); p != nil {
		return p.update(m, msg)
	}
	k := &m.keys
	if key.Matches(msg, k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown, k.Tab, k.BackTab) {
		m.moved = movedSelection{} // the user chose where the cursor is
	}
	if m.tab == tabQueues {
		if cmd, ok := m.onQueuesKey(msg); ok {
			return cmd
		}
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Up):
		m.move(m.sel[m.tab].idx-1, m.sel[m.tab].line-1)
	case key.Matches(msg, k.Down):
		m.move(m.sel[m.tab].idx+1, m.sel[m.tab].line+1)
	case key.Matches(msg, k.Top):
		m.move(0, 0)
	case key.Matches(msg, k.Bottom):
		m.move(m.list(m.tab).Len()-1, m.tableH-1)
	case key.Matches(msg, k.PageUp):
		m.move(m.sel[m.tab].idx-m.tableH, m.sel[m.tab].line)
	case key.Matches(msg, k.PageDown):
		m.move(m.sel[m.tab].idx+m.tableH, m.sel[m.tab].line)
	case key.Matches(msg, k.Tab):
		m.tab = (m.tab + 1) % tabCount
	case key.Matches(msg, k.BackTab):
		m.tab = (m.tab + tabCount - 1) % tabCount
	case key.Matches(msg, k.Back):
		if p, _ := m.backPane(); p != nil {
			p.close(m)
		}
	default:
		if cmd, ok := m.onActionKey(msg); ok {
			return cmd
		}
		for _, p := range m.panes {
			if b, _ := p.toggleKey(); b != nil && key.Matches(msg, *b) {
				return p.toggle(m)
			}
		}
	}
	return nil
}

// selectionGuard is how long action keys are held back after the selection
// moved by itself (its call ended), so that a key pressed for the call that
// just left does not land on its neighbour.
const selectionGuard = time.Second

// movedSelection records the last time the live selection moved by itself.
type movedSelection struct {
	at time.Time
	to string
}

func (m *Model) justMoved() bool {
	return m.tab == tabLive && m.moved.to != "" && m.moved.to == m.sel[tabLive].id &&
		m.now.Sub(m.moved.at) < selectionGuard
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.cancel() // the event reader and requests in flight stop now
	return tea.Quit
}

// updateKeys enables exactly the keys that make sense now, which is also
// what the help shows; each pane does the same for its own.
func (m *Model) updateKeys() {
	k := &m.keys
	r := m.selected()
	live := m.tab == tabLive
	for i := range m.actions {
		a := &m.actions[i]
		ok, _ := m.allowed(r, a.actionSpec)
		a.key.SetEnabled(live && ok)
	}
	n := m.list(m.tab).Len()
	if m.tab == tabQueues {
		n = m.queues.rowCount()
	}
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.Top, &k.Bottom, &k.PageUp, &k.PageDown} {
		b.SetEnabled(n > 1)
	}
	switch m.tab {
	case tabLive:
		k.Tab.SetHelp("tab", "history")
	case tabHistory:
		k.Tab.SetHelp("tab", "queues")
	default:
		k.Tab.SetHelp("tab", "live calls")
	}
	m.syncQueuesKeys()
	if _, label := m.backPane(); label != "" {
		k.Back.SetEnabled(true)
		k.Back.SetHelp("esc", label)
	} else {
		k.Back.SetEnabled(false)
	}
	for _, p := range m.panes {
		p.sync(m)
	}
}
