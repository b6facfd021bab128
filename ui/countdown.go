package ui

import (
	"strings"
	"time"

	"ringside/providers"
	"ringside/theme"
)

// Urgency levels of a countdown.
const (
	levelGreen = iota
	levelAmber
	levelRed
)

// countdown is a ringing call's answer window as drawn at one instant. It is
// computed from the provider's deadline and the clock, never counted down by
// ticks, so a late or skipped tick cannot make it drift.
type countdown struct {
	deadline bool  // the call has an answer deadline
	secs     int64 // whole seconds left, rounded up (15 … 1, then 0)
	eighths  int   // filled eighths of the bar
	level    int   // levelGreen, levelAmber or levelRed
}

func (c countdown) expired() bool { return c.deadline && c.secs == 0 }

// answerWindow is the length of the call's answer window: from arrival to the
// deadline, or the default when the provider did not say when it arrived.
func answerWindow(c *providers.Call) time.Duration {
	if !c.Arrived.IsZero() && c.AnswerBy.After(c.Arrived) {
		return c.AnswerBy.Sub(c.Arrived)
	}
	return providers.DefaultAnswerWindow
}

func countdownAt(c *providers.Call, now time.Time, barWidth int) countdown {
	if c.AnswerBy.IsZero() {
		return countdown{}
	}
	left := c.Remaining(now)
	window := answerWindow(c)
	cd := countdown{deadline: true, secs: int64((left + time.Second - 1) / time.Second)}
	if left > window {
		left = window
	}
	cells := int64(barWidth) * 8
	cd.eighths = int((int64(left)*cells + int64(window) - 1) / int64(window))
	switch {
	case left*2 > window:
		cd.level = levelGreen
	case left*4 > window:
		cd.level = levelAmber
	default:
		cd.level = levelRed
	}
	return cd
}

// Filled, partial (1/8 … 7/8) and empty bar cells.
const (
	barFull  = "████████████████████████████████████████"
	barEmpty = "░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░"
	barMax   = len(barFull) / len("█")
)

var barPartial = [8]string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

func levelCell(t *theme.Table, level int) theme.Cell {
	switch level {
	case levelGreen:
		return t.BarGreen
	case levelAmber:
		return t.BarAmber
	}
	return t.BarRed
}

// writeBar draws the bar, exactly barWidth cells wide.
func writeBar(b *strings.Builder, t *theme.Table, cd countdown, barWidth int, sel bool) {
	barWidth = min(barWidth, barMax)
	full := min(cd.eighths/8, barWidth)
	part := cd.eighths % 8
	if full == barWidth {
		part = 0
	}
	used := full
	if part > 0 {
		used++
	}
	fill := levelCell(t, cd.level).Get(sel)
	if used > 0 {
		b.WriteString(fill.Open)
		b.WriteString(barFull[:full*len("█")])
		b.WriteString(barPartial[part])
		b.WriteString(fill.Close)
	}
	if rest := barWidth - used; rest > 0 {
		t.BarEmpty.Get(sel).Write(b, barEmpty[:rest*len("░")])
	}
}
