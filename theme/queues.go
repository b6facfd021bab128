package theme

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Queues holds the paints of the Queues view. An alarm is never told by
// colour alone: the console writes a glyph and a word beside the figure, so
// mono loses nothing but colour there.
type Queues struct {
	Alarm Cell // a figure past its alarm: service level under target, a wait beyond the threshold
	Total Cell // the TOTAL row
	Spark Cell // the arrivals sparkline

	Caption     Paint // the line that says what the figures are over
	Digits      Paint // the large totals on wide screens
	DigitsAlarm Paint // a large total past its alarm
	DigitsLabel Paint // the words above the large totals
}

// queues builds the Queues view's paints. Mono's palette has no colours,
// so there they are bold and faint only.
func queues(p Palette, mono bool) Queues {
	st := lipgloss.NewStyle
	fg := func(base lipgloss.Style, c color.Color) lipgloss.Style {
		if c == nil {
			return base
		}
		return base.Foreground(c)
	}
	cell := func(base lipgloss.Style) Cell {
		return Cell{Normal: PaintOf(base), Selected: PaintOf(selected(base, p, mono))}
	}
	muted := fg(st(), p.Muted)
	if mono {
		muted = st().Faint(true)
	}
	digits := fg(st().Bold(true), p.Text)
	if mono {
		digits = st() // bold is the alarm's there, beside its glyph and word
	}
	return Queues{
		Alarm:       cell(fg(st().Bold(true), p.Danger)),
		Total:       cell(fg(st().Bold(true), p.Text)),
		Spark:       cell(fg(st(), p.Accent)),
		Caption:     PaintOf(muted),
		Digits:      PaintOf(digits),
		DigitsAlarm: PaintOf(fg(st().Bold(true), p.Danger)),
		DigitsLabel: PaintOf(muted.Bold(true)),
	}
}
