package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"ringside/theme"
)

// pane is a part of the console that opens over the table's bottom lines:
// the reason picker, the target picker, the hang-up question, the agent's
// menu, the full help, the details, the filter, the queue filter. Each is a plain struct in a file of its own, holding its own state
// and keys. The root model keeps them in m.panes, in order of precedence,
// and consults that list wherever it lays out, draws or routes a key; it
// never needs to know which pane is which.
//
// A new pane is one type that embeds paneBase (which answers "nothing" for
// every part of the screen and every key) and one m.addPane line in New. A
// pane that opens a panel closes the full help (m.help.close), which always
// gives way to what was asked for.
type pane interface {
	// open reports whether the pane shows.
	open(m *Model) bool
	// close shuts the pane without acting on anything; esc does this to
	// the first open pane with a backLabel.
	close(m *Model)
	// modal reports whether the open pane takes every message (update)
	// and the help line (helpKeys): a question is asked or text typed.
	modal(m *Model) bool

	// panel is how many lines the pane wants below the table now, 0 for
	// none. The first open pane that wants some has the panel, fitted to
	// the room, and draws exactly h lines of m.width cells in it.
	panel(m *Model) int
	drawPanel(m *Model, h int) []string
	// line reports whether the pane has a line of its own between the
	// panel and the status line; drawLine draws it (m.width cells) and
	// returns the terminal cursor to show on it, or nil.
	line(m *Model) bool
	drawLine(m *Model, b *strings.Builder) *tea.Cursor
	// drawStatus draws the status line instead of the last message, and
	// reports whether it did.
	drawStatus(m *Model, b *strings.Builder) bool

	// update takes a message while the pane is modal: keys and pastes.
	update(m *Model, msg tea.Msg) tea.Cmd
	// helpKeys is the help line while the pane is modal.
	helpKeys(m *Model) []key.Binding
	// toggleKey is the key that opens and closes the pane from the table,
	// and where the help lists it; nil for a pane opened otherwise.
	toggleKey() (*key.Binding, helpPlace)
	// toggle is that key pressed.
	toggle(m *Model) tea.Cmd
	// backLabel says what esc does to the pane now ("close help"), ""
	// when it does nothing.
	backLabel(m *Model) string
	// sync brings the pane's keys and size in line with the model, after
	// every update.
	sync(m *Model)
}

// paneBase is a pane that draws nothing and takes no key; panes embed it and
// implement what they need.
type paneBase struct{}

func (paneBase) modal(*Model) bool                             { return false }
func (paneBase) panel(*Model) int                              { return 0 }
func (paneBase) drawPanel(*Model, int) []string                { return nil }
func (paneBase) line(*Model) bool                              { return false }
func (paneBase) drawLine(*Model, *strings.Builder) *tea.Cursor { return nil }
func (paneBase) drawStatus(*Model, *strings.Builder) bool      { return false }
func (paneBase) update(*Model, tea.Msg) tea.Cmd                { return nil }
func (paneBase) helpKeys(*Model) []key.Binding                 { return nil }
func (paneBase) toggleKey() (*key.Binding, helpPlace)          { return nil, helpPlace{} }
func (paneBase) toggle(*Model) tea.Cmd                         { return nil }
func (paneBase) backLabel(*Model) string                       { return "" }
func (paneBase) sync(*Model)                                   {}

// prompt is a pane that asks something before an action is sent: a reason,
// a yes. An action's row names its prompt.
type prompt interface {
	pane
	// ask opens the prompt for action s on call id, or returns the request
	// at once when there is nothing to ask.
	ask(m *Model, s *actionSpec, id string) tea.Cmd
	// label is the action's help words with what the prompt will ask:
	// "reject…".
	label(m *Model, s *actionSpec) string
	// note is a line for the full help on how the action behaves with
	// this provider, "" for none.
	note(m *Model, s *actionSpec) string
}

// paneMsg is the result of a pane's command (the agent menu's list, a
// request it sent): Update hands it back to the pane that asked, through
// the message itself, without knowing which pane that is.
type paneMsg interface {
	deliver(m *Model) tea.Cmd
}

// styledPane is a pane holding a component that keeps styles of its own (a
// text input, the help): it is given the theme's when it is registered and
// again whenever the theme changes.
type styledPane interface {
	pane
	setStyles(st *theme.Styles)
}

// addPane registers p after the panes already there: it takes precedence
// over none of them. Its toggle key joins the help.
func (m *Model) addPane(p pane) {
	m.panes = append(m.panes, p)
	if b, at := p.toggleKey(); b != nil {
		m.keys.place(b, at)
	}
	if s, ok := p.(styledPane); ok {
		s.setStyles(&m.styles)
	}
}

// modalPane is the open pane that takes every key, or nil.
func (m *Model) modalPane() pane {
	for _, p := range m.panes {
		if p.open(m) && p.modal(m) {
			return p
		}
	}
	return nil
}

// backPane is the pane esc closes now, with what the help calls that.
func (m *Model) backPane() (pane, string) {
	for _, p := range m.panes {
		if l := p.backLabel(m); l != "" && p.open(m) {
			return p, l
		}
	}
	return nil, ""
}

// panelSlot is the panel below the table: its height and the pane drawing it.
type panelSlot struct {
	h  int
	by pane
}

// layoutPanel gives the panel to the first open pane that wants lines, with
// avail lines for the table and the panel together. The table keeps at least
// three rows when it can.
func (m *Model) layoutPanel(avail int) panelSlot {
	for _, p := range m.panes {
		if !p.open(m) {
			continue
		}
		if want := p.panel(m); want > 0 {
			return panelSlot{h: max(min(want, avail-3), 0), by: p}
		}
	}
	return panelSlot{}
}

// panelLines draws the panel, exactly as many lines as relayout gave it.
func (m *Model) panelLines() string {
	if m.panel.h <= 0 || m.panel.by == nil {
		return ""
	}
	return strings.Join(m.panel.by.drawPanel(m, m.panel.h), "\n")
}

// boxed puts content lines in the panel border, cut to h lines in all.
func (m *Model) boxed(content []string, h int) []string {
	if h < 3 {
		return fitLines(content, h, m.width)
	}
	if len(content) > h-2 {
		content = content[:h-2]
	}
	box := m.styles.Panel.Render(strings.Join(content, "\n"))
	return fitLines(strings.Split(box, "\n"), h, m.width)
}

// fitLines pads or cuts lines to exactly h lines of w cells.
func fitLines(lines []string, h, w int) []string {
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			if lw := width(lines[i]); lw < w {
				out[i] = lines[i] + spaces(w-lw)
			} else {
				out[i] = lines[i]
			}
		} else {
			out[i] = spaces(w)
		}
	}
	return out
}

// inner is the text width inside a panel (border and padding on each side).
func (m *Model) inner() int { return m.width - 4 }
