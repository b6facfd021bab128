package ui

import (
	"charm.land/bubbles/v2/key"
)

// keyMap is every key the console knows, in one place. Bindings that the
// selected call does not allow are disabled, which hides them from the help
// and makes them do nothing.
type keyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	Answer, Reject, Hangup                  key.Binding
	Detail, Tab, Filter, Help, Back, Quit   key.Binding
	ForceQuit                               key.Binding

	// The reason picker.
	PickUp, PickDown, PickChoose, PickCancel key.Binding
	// The hang-up confirmation.
	ConfirmYes key.Binding
	// The filter input.
	FilterKeep, FilterClear key.Binding
}

func newKeyMap(readOnly bool) keyMap {
	k := keyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "ctrl+d"), key.WithHelp("pgdn", "page down")),

		Answer: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "answer")),
		Reject: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reject…")),
		Hangup: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "hang up")),

		Detail: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Tab:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "history")),
		Filter: key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Help:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Quit:   key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),

		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),

		PickUp:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "move")),
		PickDown:   key.NewBinding(key.WithKeys("down", "j")),
		PickChoose: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "reject")),
		PickCancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),

		ConfirmYes: key.NewBinding(key.WithKeys("y", "Y", "x"), key.WithHelp("y/x", "hang up")),

		FilterKeep:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
		FilterClear: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear")),
	}
	if readOnly {
		// Read-only consoles have no action keys at all, not merely disabled
		// ones: nothing to press by mistake, nothing in the help.
		k.Answer.Unbind()
		k.Reject.Unbind()
		k.Hangup.Unbind()
	}
	return k
}

// ShortHelp is the one-line help: what can be done to the selected call first.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Answer, k.Reject, k.Hangup, k.Detail, k.Tab, k.Filter, k.Back, k.Help, k.Quit}
}

// FullHelp is the `?` help, in columns.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Answer, k.Reject, k.Hangup},
		{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
		{k.Detail, k.Tab, k.Filter, k.Back},
		{k.Help, k.Quit, k.ForceQuit},
	}
}

// enabledMask summarises which bindings are on, for the help line cache.
func (k keyMap) enabledMask() uint32 {
	var m uint32
	for i, b := range []key.Binding{k.Answer, k.Reject, k.Hangup, k.Up, k.Down, k.Top, k.Bottom,
		k.PageUp, k.PageDown, k.Detail, k.Tab, k.Filter, k.Back, k.Help, k.Quit} {
		if b.Enabled() {
			m |= 1 << i
		}
	}
	return m
}
