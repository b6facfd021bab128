package ui

import (
	"cmp"
	"slices"

	"charm.land/bubbles/v2/key"
)

// keyMap is the root's own keys: moving in the table, the tabs, esc and
// quitting. The action keys come from the action table (m.actions), and each
// pane owns its keys; placed is every key the help lists besides the action
// keys, in order. Bindings that do nothing now are disabled, which hides them
// from the help and makes them do nothing.
type keyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	Tab, BackTab, Back, Quit, ForceQuit     key.Binding

	// The Queues view's: the sort column left and right, a queue's calls.
	SortLeft, SortRight, OpenQueue key.Binding

	placed []placedKey
}

// helpPlace is where the help lists a key: the full help's column and the
// order within it. The one-line help lists the keys of every column after
// the action keys, in the same order, leaving out those that are full only.
type helpPlace struct {
	col, order int
	fullOnly   bool
}

// The full help's columns; the action keys are the first.
const (
	colMove    = 1 // moving in the table
	colView    = 2 // what the table shows
	colProgram = 3 // help and quitting
)

type placedKey struct {
	b  *key.Binding
	at helpPlace
}

// place lists b in the help at at.
func (k *keyMap) place(b *key.Binding, at helpPlace) {
	k.placed = append(k.placed, placedKey{b, at})
	slices.SortStableFunc(k.placed, func(x, y placedKey) int {
		return cmp.Or(cmp.Compare(x.at.col, y.at.col), cmp.Compare(x.at.order, y.at.order))
	})
}

func newKeyMap() keyMap {
	k := keyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "ctrl+d"), key.WithHelp("pgdn", "page down")),

		Tab:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "history")),
		BackTab: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("⇧tab", "previous view")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Quit:    key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),

		// One entry in the help says both sort keys.
		SortLeft:  key.NewBinding(key.WithKeys("<"), key.WithHelp("</>", "sort column")),
		SortRight: key.NewBinding(key.WithKeys(">"), key.WithHelp(">", "sort column right")),
		OpenQueue: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "queue's calls")),

		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
	return k
}

// placeRoot lists the root's keys in the help. The panes' toggles go
// between them: details at 10 and filter at 30 of the view column, help at 10
// of the program column.
func (k *keyMap) placeRoot() {
	for i, b := range []*key.Binding{&k.Up, &k.Down, &k.Top, &k.Bottom, &k.PageUp, &k.PageDown} {
		k.place(b, helpPlace{col: colMove, order: i, fullOnly: true})
	}
	k.place(&k.Tab, helpPlace{col: colView, order: 20})
	k.place(&k.BackTab, helpPlace{col: colView, order: 21, fullOnly: true})
	k.place(&k.Back, helpPlace{col: colView, order: 40})
	k.place(&k.Quit, helpPlace{col: colProgram, order: 20})
	k.place(&k.ForceQuit, helpPlace{col: colProgram, order: 30, fullOnly: true})
}

// placeQueues lists the Queues view's keys in the help: a queue's calls
// where the details' enter goes, the sort keys after tab. They are enabled
// only on the Queues tab, so the help shows them only there.
func (k *keyMap) placeQueues() {
	k.place(&k.OpenQueue, helpPlace{col: colView, order: 11})
	k.place(&k.SortLeft, helpPlace{col: colView, order: 25})
}

// shortHelp is the one-line help: what can be done to the selected call
// first, then the rest.
func (m *Model) shortHelp() []key.Binding {
	bs := make([]key.Binding, 0, len(m.actions)+len(m.keys.placed))
	for i := range m.actions {
		bs = append(bs, m.actions[i].key)
	}
	for _, p := range m.keys.placed {
		if !p.at.fullOnly {
			bs = append(bs, *p.b)
		}
	}
	return bs
}

// fullHelp is the `?` help, in columns.
func (m *Model) fullHelp() [][]key.Binding {
	cols := [][]key.Binding{nil}
	for i := range m.actions {
		cols[0] = append(cols[0], m.actions[i].key)
	}
	for _, p := range m.keys.placed {
		for len(cols) <= p.at.col {
			cols = append(cols, nil)
		}
		cols[p.at.col] = append(cols[p.at.col], *p.b)
	}
	return cols
}
