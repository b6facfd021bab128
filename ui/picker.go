package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"ringside/providers"
)

// reasonPicker asks why a call is turned down, from the provider's reasons.
// It remembers the call it was opened for: if that call ends or stops
// ringing meanwhile, it says so and sends nothing.
type reasonPicker struct {
	paneBase
	reasons []providers.RejectReason
	letters map[string]int // reason by its first letter

	callID string // the call it is open for; "" when closed
	spec   *actionSpec
	idx    int

	up, down, choose, cancel key.Binding
}

func newReasonPicker(reasons []providers.RejectReason) reasonPicker {
	return reasonPicker{
		reasons: reasons,
		letters: reasonLetters(reasons),
		up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "move")),
		down:    key.NewBinding(key.WithKeys("down", "j")),
		choose:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// reasonLetters maps each reason's first letter to it, leaving out letters
// that two reasons share.
func reasonLetters(reasons []providers.RejectReason) map[string]int {
	seen := map[string]int{}
	for i, r := range reasons {
		if r == "" {
			continue
		}
		l := string(r[0])
		if _, dup := seen[l]; dup {
			seen[l] = -1
			continue
		}
		seen[l] = i
	}
	for l, i := range seen {
		if i < 0 {
			delete(seen, l)
		}
	}
	return seen
}

func (p *reasonPicker) open(*Model) bool  { return p.callID != "" }
func (p *reasonPicker) close(*Model)      { p.callID = "" }
func (p *reasonPicker) modal(*Model) bool { return true }

// ask opens the picker for the call, or sends at once for a provider whose
// reject takes no reason.
func (p *reasonPicker) ask(m *Model, s *actionSpec, id string) tea.Cmd {
	if len(p.reasons) == 0 {
		return m.submit(s, id, actionArg{reason: providers.ReasonNone})
	}
	p.callID, p.spec, p.idx = id, s, 0
	p.choose.SetHelp("enter", s.verb)
	m.help.close(m)
	return nil
}

func (p *reasonPicker) label(_ *Model, s *actionSpec) string {
	if len(p.reasons) == 0 {
		return s.help + " (no reason)"
	}
	return s.help + "…"
}

func (p *reasonPicker) note(m *Model, s *actionSpec) string {
	if len(p.reasons) > 0 {
		return ""
	}
	return m.providerName() + " " + s.verb + "s without a reason: " + s.keys[0] + " sends the " + s.verb + " at once"
}

// update: arrows and enter, or a reason's first letter; esc cancels.
func (p *reasonPicker) update(m *Model, msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(k, p.cancel):
		p.close(m)
		m.say(statusInfo, p.spec.noun+" cancelled")
	case key.Matches(k, p.up):
		p.idx = (p.idx + len(p.reasons) - 1) % len(p.reasons)
	case key.Matches(k, p.down):
		p.idx = (p.idx + 1) % len(p.reasons)
	case key.Matches(k, p.choose):
		return p.pick(m, p.idx)
	default:
		if i, ok := p.letters[strings.ToLower(k.String())]; ok {
			return p.pick(m, i)
		}
	}
	return nil
}

func (p *reasonPicker) pick(m *Model, i int) tea.Cmd {
	id := p.callID
	p.close(m)
	return m.submit(p.spec, id, actionArg{reason: p.reasons[i]})
}

func (p *reasonPicker) helpKeys(*Model) []key.Binding {
	letters := ""
	for _, r := range p.reasons {
		if j, ok := p.letters[string(r[0])]; ok && p.reasons[j] == r {
			if letters != "" {
				letters += "/"
			}
			letters += string(r[0])
		}
	}
	pick := key.NewBinding(key.WithKeys("_"), key.WithHelp(letters, "pick"))
	return []key.Binding{p.up, p.choose, pick, p.cancel}
}

func (p *reasonPicker) panel(*Model) int { return len(p.reasons) + 3 } // title, reasons, border

func (p *reasonPicker) drawPanel(m *Model, h int) []string { return m.boxed(p.lines(m), h) }

// lines: which call, whether it still rings, and the reasons.
func (p *reasonPicker) lines(m *Model) []string {
	s := &m.styles
	w := m.inner()
	r := m.store.get(p.callID)
	title := capital(p.spec.verb) + " " + m.whoFor(p.callID)
	note := ""
	noteStyle := s.Hint
	if ok, why := m.allowed(r, p.spec); !ok {
		note, noteStyle = strings.TrimPrefix(why, "is ")+" · nothing will be sent", s.StatusError
	} else if cd := r.countdown(m.now, 1); cd.deadline {
		note = formatLeft(cd.secs) + " left"
	}
	head := s.PanelTitle.Render(fit(title, min(width(clean(title)), w)))
	if note != "" && width(head)+3 < w {
		head += s.Hint.Render(" · ") + noteStyle.Render(fit(note, w-width(head)-3))
	}
	lines := []string{head}
	for i, reason := range p.reasons {
		label := string(reason)
		letter := "   "
		if j, ok := p.letters[string(label[0])]; ok && j == i {
			letter = "(" + string(label[0]) + ")"
		}
		text := fit(label, 10) + " " + letter + "  " + reason.Describe()
		if i == p.idx {
			lines = append(lines, s.OptionSelected.Render(fit("› "+text, w)))
		} else {
			lines = append(lines, s.Option.Render(fit("  "+text, w)))
		}
	}
	return lines
}

// capital is s with its first letter in upper case (ASCII words).
func capital(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
