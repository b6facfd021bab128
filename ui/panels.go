package ui

import (
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"ringside/providers"
)

const (
	detailHeight   = 12 // ten lines of fields and the border, plus detailIDLines and a routed call's route lines
	fullHelpHeight = 6  // the tallest column of the full help
)

// panel draws whatever is open below the table (reason picker, full help or
// call detail), exactly as many lines as relayout gave it.
func (m *Model) panel() string {
	h := m.panelH
	if h <= 0 {
		return ""
	}
	var lines []string
	switch {
	case m.mode == modePicker:
		lines = m.boxed(m.pickerLines(), h)
	case m.fullHelp:
		lines = m.fullHelpLines(h)
	case m.detail:
		lines = m.boxed(m.detailLines(), h)
	}
	return strings.Join(lines, "\n")
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

var reasonWords = map[providers.RejectReason]string{
	providers.ReasonNone:      "decline without giving a reason",
	providers.ReasonBusy:      "tell the caller we are busy",
	providers.ReasonForbidden: "refuse the call: the caller may not call here",
}

// pickerLines: which call, whether it still rings, and the reasons.
func (m *Model) pickerLines() []string {
	s := &m.styles
	w := m.inner()
	r := m.store.get(m.pickFor)
	title := "Reject " + m.whoFor(m.pickFor)
	note := ""
	noteStyle := s.Hint
	if ok, why := m.allowed(r, providers.ActionReject); !ok {
		note, noteStyle = strings.TrimPrefix(why, "is ")+" · nothing will be sent", s.StatusError
	} else if cd := countdownAt(&r.call, m.now, 1); cd.deadline {
		note = formatLeft(cd.secs) + " left"
	}
	head := s.PanelTitle.Render(fit(title, min(width(clean(title)), w)))
	if note != "" && width(head)+3 < w {
		head += s.Hint.Render(" · ") + noteStyle.Render(fit(note, w-width(head)-3))
	}
	lines := []string{head}
	for i, reason := range m.reasons {
		label := string(reason)
		letter := "   "
		if j, ok := m.letters[string(label[0])]; ok && j == i {
			letter = "(" + string(label[0]) + ")"
		}
		text := fit(label, 10) + " " + letter + "  " + reasonWords[reason]
		if i == m.pickIdx {
			lines = append(lines, s.OptionSelected.Render(fit("› "+text, w)))
		} else {
			lines = append(lines, s.Option.Render(fit("  "+text, w)))
		}
	}
	return lines
}

// detailLines: every field of the selected call.
func (m *Model) detailLines() []string {
	r := m.selected()
	if r == nil {
		return nil
	}
	s := &m.styles
	c := &r.call
	w := m.inner()
	half := (w - 2) / 2
	pair := func(l1, v1, l2, v2 string) string {
		if l2 == "" {
			return s.Label.Render(fit(l1, 10)) + s.Value.Render(fit(v1, w-10))
		}
		left := s.Label.Render(fit(l1, 10)) + s.Value.Render(fit(v1, half-10))
		return left + "  " + s.Label.Render(fit(l2, 10)) + s.Value.Render(fit(v2, w-half-2-10))
	}
	clock := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(m.now.Location()).Format("15:04:05")
	}
	state := stateGlyph(c.State) + " " + stateWord(c.State)
	switch {
	case r.busy(m.now):
		state += " · " + pendingWord(r.pendingAct)
	case c.State == providers.StateRinging && !c.AnswerBy.IsZero():
		if cd := countdownAt(c, m.now, 1); cd.expired() {
			state += " · " + wordTimedOut + " (window closed at " + clock(c.AnswerBy) + ")"
		} else {
			state += " · " + formatLeft(cd.secs) + " left to answer, until " + clock(c.AnswerBy)
		}
	case c.State.Live() && c.State != providers.StateRinging:
		state += " · " + formatDuration(callAge(c, m.now))
	}
	party := partyDetail
	or := func(s, alt string) string {
		if s == "" {
			return alt
		}
		return s
	}
	allowed := strings.Join(c.Caps.Names(), ", ")
	if allowed == "" {
		allowed = "nothing"
	}
	var can []string
	for _, a := range []providers.Action{providers.ActionAnswer, providers.ActionReject, providers.ActionHangup} {
		if c.Can(a) {
			can = append(can, a.String())
		}
	}
	now := "nothing"
	if len(can) > 0 {
		now = strings.Join(can, ", ")
	}
	end := "—"
	if !c.End.IsZero() {
		end = c.End.String()
	}
	outcome := or(string(c.Result()), "—")
	talk := "—"
	if !c.Answered.IsZero() {
		talk = formatDuration(c.Duration(m.now))
	}
	mods := strings.Join(c.Modalities, ", ")
	title := s.PanelTitle.Render(fit(clean(callerText(c))+" → "+clean(calleeText(c)), w))
	lines := []string{
		title,
		pair("state", state, "", ""),
		pair("from", party(c.From), "to", party(c.To)),
	}
	// A party shown by a label gets its full id on a line of its own: half
	// a line would cut a GUID, and the id is what an admin looks up.
	if c.From.Labelled() {
		lines = append(lines, pair("from id", fullID(c.From), "", ""))
	}
	if c.To.Labelled() {
		lines = append(lines, pair("to id", fullID(c.To), "", ""))
	}
	lines = append(lines, pair("queue", or(c.Queue, "—"), "direction", or(string(c.Direction), "—")))
	for _, l := range routeLines(&c.Route) {
		if len(l) == 2 {
			lines = append(lines, pair(l[0].label, l[0].value, l[1].label, l[1].value))
		} else {
			lines = append(lines, pair(l[0].label, l[0].value, "", ""))
		}
	}
	return append(lines,
		pair("media", or(mods, "—"), "region", or(c.Region, "—")),
		pair("arrived", clock(c.Arrived), "answer by", clock(c.AnswerBy)),
		pair("answered", clock(c.Answered)+" · talk "+talk, "ended", clock(c.Ended)),
		pair("end", end, "outcome", outcome),
		pair("offers", allowed, "can now", now),
		s.Hint.Render(fit("id "+c.ID+" · "+c.Provider+" · version "+strconv.FormatUint(c.Version, 10), w)),
	)
}

// fullID is the id a labelled party's label was made from (some sources
// put the GUID in the name field and leave the id empty).
func fullID(p providers.Party) string {
	if p.ID != "" {
		return p.ID
	}
	return p.Name
}

// detailIDLines is how many lines detailLines adds for full party ids.
func detailIDLines(c *providers.Call) int {
	n := 0
	for _, p := range []providers.Party{c.From, c.To} {
		if p.Labelled() {
			n++
		}
	}
	return n
}

// partyDetail is a party with everything known about it.
func partyDetail(p providers.Party) string {
	if p.Labelled() {
		return p.String() // the full id has a line of its own
	}
	parts := []string{}
	if p.Name != "" {
		parts = append(parts, p.Name)
	}
	if p.ID != "" && p.ID != p.Name {
		parts = append(parts, p.ID)
	}
	if p.Kind != providers.KindUnknown {
		parts = append(parts, string(p.Kind))
	}
	if len(parts) == 0 {
		return "unknown"
	}
	return strings.Join(parts, " · ")
}

// detailField is one labelled value of the details; a wide one takes a
// line of its own.
type detailField struct {
	label, value string
	wide         bool
}

// routeFields are the details about how the call reached us, only those the
// provider knows: an ordinary call without routing shows none of them.
func routeFields(r *providers.Route) []detailField {
	var fs []detailField
	if k := kindText(r); k != "" {
		fs = append(fs, detailField{"kind", k, true})
	}
	for _, f := range []struct {
		label string
		p     providers.Party
	}{
		{"dialled", r.Dialled}, {"routed to", r.RoutedTo}, {"on behalf", r.OnBehalfOf}, {"transfer", r.Transferor},
	} {
		if f.p.IsZero() {
			continue
		}
		v := partyDetail(f.p)
		if f.label == "transfer" {
			v = "by " + v
		}
		fs = append(fs, detailField{label: f.label, value: v})
	}
	return fs
}

// routeLines lays the route's fields out as the details show them: two to a
// line, a wide one alone. panelHeight sizes the details from it.
func routeLines(r *providers.Route) [][]detailField {
	var lines [][]detailField
	fs := routeFields(r)
	for len(fs) > 0 {
		n := 1
		if len(fs) > 1 && !fs[0].wide && !fs[1].wide {
			n = 2
		}
		lines = append(lines, fs[:n])
		fs = fs[n:]
	}
	return lines
}

// fullHelpLines is the `?` help, as tall as the panel allows.
func (m *Model) fullHelpLines(h int) []string {
	k := m.helpKey(true)
	if m.helpCache.fullKey != k {
		m.help.SetWidth(m.width - 2)
		lines := strings.Split(m.help.FullHelpView(m.keys.FullHelp()), "\n")
		for i, l := range lines {
			lines[i] = ansi.Truncate(" "+l, m.width, "")
		}
		if len(m.reasons) == 0 && !m.cfg.ReadOnly {
			lines = append(lines, m.styles.Hint.Render(" "+m.providerName()+" rejects without a reason: r sends the reject at once"))
		}
		m.helpCache.full, m.helpCache.fullKey = lines, k
	}
	return fitLines(m.helpCache.full, h, m.width)
}

// helpCache keeps the rendered help lines: the short bar is on every frame,
// and bubbles/help renders it with several styles per key.
type helpCache struct {
	shortKey, fullKey helpKey
	short             string
	full              []string
}

type helpKey struct {
	mode   mode
	mask   uint32
	width  int
	epoch  uint32
	full   bool
	labels string
}

func (m *Model) helpKey(full bool) helpKey {
	k := &m.keys
	return helpKey{mode: m.mode, mask: k.enabledMask(), width: m.width, epoch: m.epoch, full: full,
		labels: k.Tab.Help().Desc + k.Detail.Help().Desc + k.Back.Help().Desc + k.Help.Help().Desc}
}

// helpLine is the short help bar: the keys that work now.
func (m *Model) helpLine() string {
	k := m.helpKey(false)
	if m.helpCache.shortKey == k && m.helpCache.short != "" {
		return m.helpCache.short
	}
	m.help.SetWidth(m.width - 1)
	var line string
	switch m.mode {
	case modePicker:
		letters := ""
		for _, r := range m.reasons {
			if j, ok := m.letters[string(r[0])]; ok && m.reasons[j] == r {
				if letters != "" {
					letters += "/"
				}
				letters += string(r[0])
			}
		}
		pick := key.NewBinding(key.WithKeys("_"), key.WithHelp(letters, "pick"))
		line = m.help.ShortHelpView([]key.Binding{m.keys.PickUp, m.keys.PickChoose, pick, m.keys.PickCancel})
	case modeConfirm:
		other := key.NewBinding(key.WithKeys("_"), key.WithHelp("other", "cancel"))
		line = m.help.ShortHelpView([]key.Binding{m.keys.ConfirmYes, other})
	case modeFilter:
		move := key.NewBinding(key.WithKeys("_"), key.WithHelp("↑/↓", "select"))
		line = m.help.ShortHelpView([]key.Binding{m.keys.FilterKeep, m.keys.FilterClear, move})
	default:
		line = m.help.ShortHelpView(m.keys.ShortHelp())
	}
	line = " " + line
	// bubbles/help can overshoot its width by one item when even its
	// ellipsis no longer fits, so the line is cut here as well.
	if w := width(line); w < m.width {
		line += spaces(m.width - w)
	} else if w > m.width {
		line = ansi.Truncate(line, m.width, "")
	}
	m.helpCache.short, m.helpCache.shortKey = line, k
	return line
}
