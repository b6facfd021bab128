package ui

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"ringside/providers"
	"ringside/theme"
)

// This file adds a pane the console does not have, a board of live calls by
// queue, as a pane is added: one type and one registration. It gets its key
// in both helps, the panel below the table when open, esc to close it, and
// the layout makes room for it.

type boardPane struct {
	paneBase
	shown  bool
	key    key.Binding
	styles theme.Styles // a copy of the console's, given at registration and on every change of theme
}

func (b *boardPane) setStyles(st *theme.Styles) { b.styles = *st }

func newBoardPane() *boardPane {
	return &boardPane{key: key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "board"))}
}

func (b *boardPane) open(*Model) bool { return b.shown }
func (b *boardPane) close(*Model)     { b.shown = false }

func (b *boardPane) toggleKey() (*key.Binding, helpPlace) {
	return &b.key, helpPlace{col: colView, order: 35} // after the filter
}

func (b *boardPane) toggle(m *Model) tea.Cmd {
	b.shown = !b.shown
	if b.shown {
		m.help.close(m)
	}
	return nil
}

func (b *boardPane) backLabel(*Model) string {
	if b.shown {
		return "close board"
	}
	return ""
}

func (b *boardPane) sync(*Model) {
	if b.shown {
		b.key.SetHelp("b", "hide board")
	} else {
		b.key.SetHelp("b", "board")
	}
}

// counts is the live calls by queue, in name order.
func (b *boardPane) counts(m *Model) []string {
	n := map[string]int{}
	m.store.live.Range(0, func(_ int, r *row) bool {
		n[r.call.Queue()]++
		return true
	})
	var out []string
	for q, k := range n {
		if q == "" {
			q = "no queue"
		}
		out = append(out, q+" "+strconv.Itoa(k))
	}
	slices.Sort(out)
	return out
}

func (b *boardPane) panel(m *Model) int { return len(b.counts(m)) + 3 }

func (b *boardPane) drawPanel(m *Model, h int) []string {
	return m.boxed(append([]string{b.styles.PanelTitle.Render("Calls by queue")}, b.counts(m)...), h)
}

func TestSeamAddedPane(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.m.addPane(newBoardPane()) // the registration
	scene(hs)
	tableRows := hs.m.tableH

	if l := lastLine(hs); !strings.Contains(l, "/ filter • b board • esc") && !strings.Contains(l, "/ filter • b board • ?") {
		t.Fatalf("help line does not list the pane's key after the filter: %q", l)
	}
	hs.key("b")
	scr := hs.screen()
	for _, want := range []string{"Calls by queue", "Sales 1", "Support 1", "no queue 2"} {
		if !strings.Contains(scr, want) {
			t.Errorf("board lacks %q:\n%s", want, scr)
		}
	}
	if hs.m.tableH != tableRows-6 {
		t.Errorf("table has %d rows with the board open, want %d", hs.m.tableH, tableRows-6)
	}
	checkFrame(t, hs.m.View().Content, 100, 30)
	if l := lastLine(hs); !strings.Contains(l, "b hide board") || !strings.Contains(l, "esc close board") {
		t.Errorf("help line with the board open: %q", l)
	}

	// The full help takes the panel and lists the key; closing it brings
	// the board back.
	hs.key("?")
	if scr := hs.screen(); strings.Contains(scr, "Calls by queue") || !strings.Contains(scr, "b hide board") {
		t.Errorf("full help:\n%s", scr)
	}
	hs.key("?")
	if !strings.Contains(hs.screen(), "Calls by queue") {
		t.Errorf("board gone after the help closed:\n%s", hs.screen())
	}

	// Moving still works with the board open, and it follows the calls.
	hs.key("j")
	hs.events(ringing("c-new", "Nia", t0.Add(-1*time.Second)))
	if !strings.Contains(hs.screen(), "no queue 3") {
		t.Errorf("board did not follow a new call:\n%s", hs.screen())
	}

	hs.key("esc")
	if strings.Contains(hs.screen(), "Calls by queue") || hs.m.tableH != tableRows {
		t.Errorf("esc did not close the board (table %d rows):\n%s", hs.m.tableH, hs.screen())
	}

	// A modal pane registered earlier takes the keys first: inside the
	// reason picker, b picks "busy" rather than opening the board.
	hs.key("g")
	hs.key("r")
	hs.key("b")
	if hs.m.modalPane() != nil || strings.Contains(hs.screen(), "Calls by queue") {
		t.Errorf("b inside the picker opened the board:\n%s", hs.screen())
	}
	if got := hs.p.requests(); len(got) != 1 || got[0].Reason != providers.ReasonBusy {
		t.Errorf("requests %v, want one reject with busy", got)
	}
}

func lastLine(hs *harness) string {
	ls := lines(hs.screen())
	return ls[len(ls)-1]
}

// A pane with styles of its own has the console's from its registration
// on, and follows the theme when the terminal's background settles it.
func TestSeamAddedPaneFollowsTheTheme(t *testing.T) {
	m := New(Config{Provider: newFake(), Theme: theme.Auto, Now: func() time.Time { return t0 }})
	b := newBoardPane()
	m.addPane(b)
	if b.styles.Name == "" || b.styles.Name != m.Styles().Name {
		t.Fatalf("the pane has styles %q at registration, the console %q", b.styles.Name, m.Styles().Name)
	}
	m.Update(tea.BackgroundColorMsg{Color: lightGrey})
	if m.Styles().Name != theme.Light || b.styles.Name != theme.Light {
		t.Errorf("after a light background: console %q, pane %q", m.Styles().Name, b.styles.Name)
	}
}
