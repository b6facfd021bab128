package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"ringside/theme"
)

const fullHelpHeight = 6 // the tallest column of the full help

// helpPane is the `?` help below the table, and the one-line help at the
// bottom of every frame: the keys that work now.
type helpPane struct {
	paneBase
	full  bool
	model help.Model
	key   key.Binding
	cache helpCache
}

func newHelpPane() helpPane {
	return helpPane{
		model: help.New(),
		key:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
	}
}

func (h *helpPane) setStyles(st *theme.Styles) { h.model.Styles = st.Help }

func (h *helpPane) open(*Model) bool { return h.full }
func (h *helpPane) close(*Model)     { h.full = false }
func (h *helpPane) panel(*Model) int { return fullHelpHeight + 1 }

func (h *helpPane) toggleKey() (*key.Binding, helpPlace) {
	return &h.key, helpPlace{col: colProgram, order: 10}
}

func (h *helpPane) toggle(*Model) tea.Cmd {
	h.full = !h.full
	return nil
}

func (h *helpPane) backLabel(*Model) string {
	if h.full {
		return "close help"
	}
	return ""
}

func (h *helpPane) sync(*Model) {
	if h.full {
		h.key.SetHelp("?", "close help")
	} else {
		h.key.SetHelp("?", "help")
	}
}

// drawPanel is the full help, as tall as the panel allows, with the notes
// of the actions' prompts (a reject that takes no reason) below it.
func (h *helpPane) drawPanel(m *Model, height int) []string {
	k := h.signature(m, true)
	if h.cache.fullKey != k {
		h.model.SetWidth(m.width - 2)
		lines := strings.Split(h.model.FullHelpView(m.fullHelp()), "\n")
		for i, l := range lines {
			lines[i] = ansi.Truncate(" "+l, m.width, "")
		}
		for i := range m.actions {
			a := &m.actions[i]
			if a.prompt == nil || len(a.key.Keys()) == 0 {
				continue // no prompt, or no key: read-only, or never offered
			}
			if n := a.prompt(m).note(m, a.actionSpec); n != "" {
				lines = append(lines, m.styles.Hint.Render(" "+n))
			}
		}
		h.cache.full, h.cache.fullKey = lines, k
	}
	return fitLines(h.cache.full, height, m.width)
}

// shortLine is the one-line help: the keys that work now, or those of the
// modal pane.
func (h *helpPane) shortLine(m *Model) string {
	k := h.signature(m, false)
	if h.cache.shortKey == k && h.cache.short != "" {
		return h.cache.short
	}
	h.model.SetWidth(m.width - 1)
	var line string
	if p := m.modalPane(); p != nil {
		line = h.model.ShortHelpView(p.helpKeys(m))
	} else {
		line = h.model.ShortHelpView(m.shortHelp())
	}
	line = " " + line
	// bubbles/help can overshoot its width by one item when even its
	// ellipsis no longer fits, so the line is cut here as well.
	if w := width(line); w < m.width {
		line += spaces(m.width - w)
	} else if w > m.width {
		line = ansi.Truncate(line, m.width, "")
	}
	h.cache.short, h.cache.shortKey = line, k
	return line
}

// helpCache keeps the rendered help lines: the short bar is on every frame,
// and bubbles/help renders it with several styles per key.
type helpCache struct {
	shortKey, fullKey helpSig
	short             string
	full              []string
}

// helpSig is what the help's lines depend on: the keys shown (each one's
// state and words, hashed), the modal pane, the size and the styles.
type helpSig struct {
	keys  uint64
	modal int // index of the modal pane, -1 for none
	width int
	epoch uint32
	full  bool
}

func (h *helpPane) signature(m *Model, full bool) helpSig {
	s := helpSig{modal: -1, width: m.width, epoch: m.epoch, full: full}
	hs := newKeyHash()
	for i, p := range m.panes {
		if p.open(m) && p.modal(m) {
			s.modal = i
			for _, b := range p.helpKeys(m) {
				hs.add(&b)
			}
			break
		}
	}
	for i := range m.actions {
		hs.add(&m.actions[i].key)
	}
	for _, p := range m.keys.placed {
		hs.add(p.b)
	}
	s.keys = uint64(hs)
	return s
}

// keyHash is FNV-1a over bindings: whether each is on, and its help words.
type keyHash uint64

func newKeyHash() keyHash { return 14695981039346656037 }

func (h *keyHash) add(b *key.Binding) {
	on := byte('0')
	if b.Enabled() {
		on = '1'
	}
	h.byte(on)
	hp := b.Help()
	h.str(hp.Key)
	h.byte(0)
	h.str(hp.Desc)
	h.byte(0)
}

func (h *keyHash) str(s string) {
	for i := 0; i < len(s); i++ {
		h.byte(s[i])
	}
}

func (h *keyHash) byte(c byte) { *h = (*h ^ keyHash(c)) * 1099511628211 }
