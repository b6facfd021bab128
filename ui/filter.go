package ui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"ringside/theme"
)

// filterPane is the filter line: `/` opens it for typing, the table follows
// every keystroke, enter keeps the filter and esc clears it. The query
// itself lives in the store, which filters the rows.
type filterPane struct {
	paneBase
	input   textinput.Model
	editing bool

	key, keep, clear, move key.Binding
}

func newFilterPane() filterPane {
	f := filterPane{
		input: textinput.New(),
		key:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		keep:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
		clear: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear")),
		move:  key.NewBinding(key.WithKeys("_"), key.WithHelp("↑/↓", "select")),
	}
	f.input.Prompt = ""
	f.input.Placeholder = "caller, number, queue, state…"
	f.input.SetVirtualCursor(false)
	f.input.CharLimit = 200
	return f
}

func (f *filterPane) setStyles(st *theme.Styles) { f.input.SetStyles(st.Input) }

// open: the line shows while typing, and while a filter is kept. (A queue
// chosen on the Queues view limits the lists too; the header says that one.)
func (f *filterPane) open(m *Model) bool { return f.editing || m.store.query.hasText() }
func (f *filterPane) modal(*Model) bool  { return f.editing }
func (f *filterPane) line(m *Model) bool { return f.open(m) }

// sync sizes the field; on the Queues view, which lists no calls, there is
// nothing to filter and / is off.
func (f *filterPane) sync(m *Model) {
	f.input.SetWidth(filterRoom(m.width) - 1)
	f.key.SetEnabled(m.tab != tabQueues)
}
func (f *filterPane) helpKeys(*Model) []key.Binding {
	return []key.Binding{f.keep, f.clear, f.move}
}

// close stops typing and clears the filter.
func (f *filterPane) close(m *Model) {
	f.editing = false
	f.input.Blur()
	f.input.SetValue("")
	m.store.setFilter("")
}

func (f *filterPane) toggleKey() (*key.Binding, helpPlace) {
	return &f.key, helpPlace{col: colView, order: 30}
}

// toggle starts typing, from the filter kept so far.
func (f *filterPane) toggle(m *Model) tea.Cmd {
	f.editing = true
	f.input.SetValue(m.store.query.text)
	f.input.CursorEnd()
	return f.input.Focus()
}

func (f *filterPane) backLabel(m *Model) string {
	if m.store.query.hasText() {
		return "clear filter"
	}
	return ""
}

// update edits the filter; up and down still move the selection.
func (f *filterPane) update(m *Model, msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, f.clear):
			f.close(m)
			return nil
		case key.Matches(k, f.keep):
			f.editing = false
			f.input.Blur()
			return nil
		case k.String() == "up":
			m.move(m.sel[m.tab].idx-1, m.sel[m.tab].line-1)
			return nil
		case k.String() == "down":
			m.move(m.sel[m.tab].idx+1, m.sel[m.tab].line+1)
			return nil
		}
	}
	var cmd tea.Cmd
	f.input, cmd = f.input.Update(msg)
	m.store.setFilter(f.input.Value())
	return cmd
}

// drawLine draws the filter line and returns the cursor while typing.
func (f *filterPane) drawLine(m *Model, b *strings.Builder) *tea.Cursor {
	c := &m.styles.Chrome
	l := m.list(m.tab)
	total := m.store.n.live
	if m.tab == tabHistory {
		total = m.store.hist.Len()
	}
	count := " " + strconv.Itoa(l.Len()) + " of " + strconv.Itoa(total)
	if f.editing {
		count += " · enter keeps · esc clears "
	} else {
		count += " · / edits · esc clears "
	}
	prompt := " / "
	c.FilterPrompt.Write(b, prompt)
	room := filterRoom(m.width)
	if f.editing {
		field := f.input.View()
		b.WriteString(field)
		if pad := room - width(field); pad > 0 {
			b.WriteString(spaces(pad))
		}
	} else {
		c.Info.Write(b, fit(m.store.query.text, room))
	}
	c.FilterCount.Write(b, fit(count, m.width-width(prompt)-room))
	if !f.editing {
		return nil
	}
	cur := f.input.Cursor()
	if cur != nil {
		cur.Position.X += width(prompt)
	}
	return cur
}

// filterRoom is the width of the filter text on a screen w wide; the rest of
// the line is the prompt and the match count.
func filterRoom(w int) int { return max(w-3-40, 8) }
