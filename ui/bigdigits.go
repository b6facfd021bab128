package ui

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The large digits of the Queues view's totals, read from across a room: a
// font of three by five pixels, each pixel two cells wide and one line
// high (a terminal cell is about twice as tall as it is wide, so the
// pixels come out square).
const (
	bigRows   = 5
	bigPixel  = "██"
	bigBlank  = "  "
	bigSpacer = "  " // between characters: one blank pixel
)

// bigGlyphs maps each character the totals use to its pixel rows ('#' on).
var bigGlyphs = map[rune][bigRows]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"},
	'1': {"##.", ".#.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"},
	'3': {"###", "..#", "###", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"},
	'5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"},
	'7': {"###", "..#", "..#", "..#", "..#"},
	'8': {"###", "#.#", "###", "#.#", "###"},
	'9': {"###", "#.#", "###", "..#", "###"},
	':': {".", "#", ".", "#", "."},
	'%': {"#.#", "..#", ".#.", "#..", "#.#"},
	'—': {"...", "...", "###", "...", "..."},
}

// bigText is s in the large font, bigRows lines of equal width. A
// character the font lacks is a blank of a digit's width.
func bigText(s string) [bigRows]string {
	var rows [bigRows]strings.Builder
	first := true
	for _, r := range s {
		g, ok := bigGlyphs[r]
		if !ok {
			g = [bigRows]string{"...", "...", "...", "...", "..."}
		}
		for i := range rows {
			if !first {
				rows[i].WriteString(bigSpacer)
			}
			for _, px := range g[i] {
				if px == '#' {
					rows[i].WriteString(bigPixel)
				} else {
					rows[i].WriteString(bigBlank)
				}
			}
		}
		first = false
	}
	var out [bigRows]string
	for i := range rows {
		out[i] = rows[i].String()
	}
	return out
}

// bigTotal is one of the large totals: its words, its figure, and whether
// it is past its alarm (then its words carry the alarm's glyph and word).
type bigTotal struct {
	label, figure string
	alarm         bool
}

// bigTotals draws the totals of waiting calls, the longest wait and the
// service level in large digits, side by side: boardLines lines, m.width
// cells each.
func (m *Model) bigTotals() []string {
	s := &m.queues.snap
	t := &s.Total
	wait := bigTotal{label: "LONGEST WAIT", figure: "0:00"}
	if t.Waiting > 0 {
		wait.figure = formatDuration(t.LongestWait)
	}
	if t.WaitBeyondThreshold {
		wait.alarm = true
		wait.label += "  " + longWaitGlyph + " " + longWaitWord + " (over " + shortDur(s.Threshold) + ")"
	}
	sl := bigTotal{label: "SERVICE LEVEL · target " + percentWords(s.Target), figure: "—"}
	if t.HasSL {
		sl.figure = slPercent(t)
	}
	if t.SLBelowTarget {
		sl.alarm = true
		sl.label = "SERVICE LEVEL  " + slLowGlyph + " " + slLowWord + " · target " + percentWords(s.Target)
	}
	totals := []bigTotal{{label: "WAITING", figure: strconv.Itoa(t.Waiting)}, wait, sl}

	qp := &m.styles.Queues
	lines := make([]strings.Builder, boardLines)
	used := 0
	for i, bt := range totals {
		// Three equal columns, the last taking what is left.
		w := m.width / len(totals)
		if i == len(totals)-1 {
			w = m.width - used
		}
		used += w
		label := qp.DigitsLabel
		digits := qp.Digits
		if bt.alarm {
			label, digits = qp.Alarm.Normal, qp.DigitsAlarm
		}
		label.Write(&lines[0], fit("  "+bt.label, w))
		big := bigText(bt.figure)
		for r := range bigRows {
			lines[1+r].WriteString("  ")
			digits.Write(&lines[1+r], bigFit(big[r], w-2))
		}
		lines[boardLines-1].WriteString(spaces(w))
	}
	out := make([]string, boardLines)
	for i := range lines {
		out[i] = lines[i].String()
	}
	return out
}

// bigFit pads (or cuts) a row of large digits to w cells. Every rune of it
// is one cell wide, so it is counted rather than measured.
func bigFit(row string, w int) string {
	n := utf8.RuneCountInString(row)
	if n <= w {
		return row + spaces(w-n)
	}
	return string([]rune(row)[:max(w, 0)])
}
