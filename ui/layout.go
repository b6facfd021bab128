package ui

// layout is the width of each column at a given screen width. A zero width
// means the column is left out: narrow screens drop the least important
// columns rather than wrap.
type layout struct {
	width  int
	gap    int
	cursor int

	// Both tabs: where the call came from (Config.SourceColumn).
	source int

	// Live tab.
	state, caller, callee, timer, bar, media int

	// History tab.
	ended, outcome, talk, why int
}

const (
	cursorWidth  = 2  // "› "
	stateWidth   = 13 // "⋯ hanging up…"
	endedWidth   = 8  // "15:04:05"
	outcomeWidth = 10 // "✗ rejected"
	// wideOutcome is the outcome column once a call was transferred or
	// answered elsewhere: the word is not cut, since the outcome is never
	// told by colour alone.
	wideOutcome = 13 // "⇢ transferred"
	talkWidth   = 7  // "1:02:03"
	// sourceWidth is the source column's (a board name is cut beyond it);
	// it is left out below sourceFrom columns, where the parties need the room.
	sourceWidth = 12
	sourceFrom  = 80
)

func liveLayout(w int, source bool) layout {
	l := layout{width: w, gap: 1, cursor: cursorWidth, state: stateWidth}
	if w >= 100 {
		l.gap = 2
	}
	switch {
	case w >= 110:
		l.bar = 10
	case w >= 90:
		l.bar = 8
	default:
		l.bar = 6
	}
	l.timer = l.bar + 4 // bar, space, "15s"
	if w >= 96 {
		l.media = 13
	}
	cols := 4 // state, caller, callee, timer
	if l.media > 0 {
		cols++
	}
	if source && w >= sourceFrom {
		l.source = sourceWidth
		cols++
	}
	fixed := l.cursor + l.state + l.source + l.timer + l.media + l.gap*(cols-1)
	flex := w - fixed
	if flex < 30 {
		// Too narrow for both parties: the caller matters most.
		fixed -= l.gap
		l.caller = max(w-fixed, 4)
		return l
	}
	l.caller = (flex + 1) / 2
	l.callee = flex - l.caller
	return l
}

// historyLayout is the history's columns; wide widens the outcome column
// for the longest outcome words; source adds the source column.
func historyLayout(w int, wide, source bool) layout {
	l := layout{width: w, gap: 1, cursor: cursorWidth, ended: endedWidth, outcome: outcomeWidth, talk: talkWidth}
	if wide && w >= 50 {
		// Below 50 columns the caller and the reason need the cells more;
		// the word is cut there, its glyph still says it.
		l.outcome = wideOutcome
	}
	if w >= 100 {
		l.gap = 2
	}
	cols := 6 // ended, outcome, caller, callee, talk, why
	if source && w >= sourceFrom {
		l.source = sourceWidth
		cols++
	}
	fixed := l.cursor + l.ended + l.outcome + l.source + l.talk + l.gap*(cols-1)
	flex := w - fixed
	// Why a call ended matters more here than whom it was for: the callee
	// goes first when space is short.
	if flex < 76 {
		flex += l.gap
		l.caller = max(flex*2/5, 4)
		l.why = max(flex-l.caller, 4)
		return l
	}
	l.caller = flex * 3 / 10
	l.callee = flex / 5
	l.why = flex - l.caller - l.callee
	return l
}
