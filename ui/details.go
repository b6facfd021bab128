package ui

import (
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"ringside/providers"
)

// detailsPane shows every field of the selected call below the table; enter
// opens and closes it. It stays open while the selection moves.
type detailsPane struct {
	paneBase
	shown bool
	key   key.Binding
}

func newDetailsPane() detailsPane {
	return detailsPane{key: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details"))}
}

func (d *detailsPane) open(*Model) bool { return d.shown }
func (d *detailsPane) close(*Model)     { d.shown = false }

func (d *detailsPane) toggleKey() (*key.Binding, helpPlace) {
	return &d.key, helpPlace{col: colView, order: 10}
}

func (d *detailsPane) toggle(m *Model) tea.Cmd {
	d.shown = !d.shown
	if d.shown {
		m.help.close(m)
	}
	return nil
}

// backLabel: nothing on the Queues view, where no call's details show.
func (d *detailsPane) backLabel(m *Model) string {
	if d.shown && m.tab != tabQueues {
		return "close details"
	}
	return ""
}

func (d *detailsPane) sync(m *Model) {
	d.key.SetEnabled(m.selected() != nil || d.shown)
	if d.shown {
		d.key.SetHelp("enter", "hide details")
	} else {
		d.key.SetHelp("enter", "details")
	}
}

// panel is as tall as the selected call's fields, in their border;
// nothing without one. It counts the lines drawn, so an optional line (a
// full id, the route, the ring-out) sizes the panel with no count of its
// own to keep in step.
func (d *detailsPane) panel(m *Model) int {
	if lines := d.lines(m); len(lines) > 0 {
		return len(lines) + 2
	}
	return 0
}

func (d *detailsPane) drawPanel(m *Model, h int) []string { return m.boxed(d.lines(m), h) }

// lines: every field of the selected call.
func (d *detailsPane) lines(m *Model) []string {
	r := m.selected()
	if r == nil {
		return nil
	}
	s := &m.styles
	view := r.view()
	c := &view
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
		state += " · " + m.pendingWord(r.pendingAct())
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
	for i := range m.actions {
		if s := m.actions[i].actionSpec; s.can(c) {
			can = append(can, s.verb)
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
	// What the switch does to the agent if the call rings out, while it
	// rings: the header's state would change without a word otherwise.
	if r := ringOutDetail(c); r != "" {
		lines = append(lines, pair("ring out", r, "", ""))
	}
	lines = append(lines, pair("queue", or(c.Queue, "—"), "direction", or(string(c.Direction), "—")))
	for _, l := range routeLines(c) {
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

// ringOutDetail is what the details say a ringing call's ringing out does
// to the agent ("unanswered: the switch sets you Not Ready"); "" when the
// call does not ring or the switch does nothing.
func ringOutDetail(c *providers.Call) string {
	if e := c.RingOut.Effect(); e != "" && c.State == providers.StateRinging {
		return "unanswered: the switch " + e
	}
	return ""
}

// fullID is the id a labelled party's label was made from (some sources
// put the GUID in the name field and leave the id empty).
func fullID(p providers.Party) string {
	if p.ID != "" {
		return p.ID
	}
	return p.Name
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
// provider knows: an ordinary call without routing shows none of them. A
// party shown by a label takes a line of its own with its full id, as the
// caller does: the label alone names nobody an admin can look up.
func routeFields(c *providers.Call) []detailField {
	r := &c.Route
	var fs []detailField
	if k := kindText(r); k != "" {
		fs = append(fs, detailField{"kind", k, true})
	}
	// The observed participant and the organizer are named in the kind
	// line; only their full id is left to show, unless the caller's line
	// shows it already.
	for _, f := range []struct {
		label string
		p     providers.Party
	}{{"observed", r.Observed}, {"organizer", r.Organizer}} {
		if f.p.Labelled() && !(c.From.Labelled() && strings.EqualFold(fullID(c.From), fullID(f.p))) {
			fs = append(fs, detailField{f.label, f.p.String() + " · " + fullID(f.p), true})
		}
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
		labelled := f.p.Labelled()
		if labelled {
			v += " · " + fullID(f.p)
		}
		if f.label == "transfer" {
			v = "by " + v
		}
		fs = append(fs, detailField{label: f.label, value: v, wide: labelled})
	}
	if r.SourceParticipant != "" {
		// A participant id: what Graph's logs and participant lists
		// name the caller's leg by.
		fs = append(fs, detailField{"source", "participant " + r.SourceParticipant, true})
	}
	return fs
}

// routeLines lays the route's fields out as the details show them: two to a
// line, a wide one alone.
func routeLines(c *providers.Call) [][]detailField {
	var lines [][]detailField
	fs := routeFields(c)
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
