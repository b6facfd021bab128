package ui

import (
	"math"
	"strconv"
	"strings"
	"time"

	"ringside/providers/stats"
	"ringside/theme"
)

// Alarm marks: a glyph and a word beside the figure, so that no alarm is
// told by colour alone.
const (
	slLowGlyph    = "▼"
	slLowWord     = "low"
	longWaitGlyph = "⚠"
	longWaitWord  = "long"
)

// writeQueues draws the Queues view where the table goes: exactly
// 1+m.tableH lines (the table's titles line and its rows). From the top:
// the large totals on wide screens, the caption, the column titles, a row
// per queue, TOTAL.
func (m *Model) writeQueues(b *strings.Builder, nl func()) {
	v := &m.queues
	lay := &v.lay
	out := make([]string, 0, 1+m.tableH)
	if lay.board {
		out = append(out, m.bigTotals()...)
	}
	out = append(out, m.styles.Queues.Caption.Render(fit(m.queuesCaption(), m.width)), m.queuesTitles())
	shown := v.order[v.offset:min(v.offset+lay.rows, len(v.order))]
	if len(shown) == 0 {
		out = append(out, m.styles.Table.Empty.Render(fit("  No calls over the last "+shortDur(v.snap.Window)+": each queue gets a row with its first call.", m.width)))
	}
	spark := make([][]float64, len(shown))
	peak := 0.0
	for i, qi := range shown {
		spark[i] = sparkValues(v.snap.Queues[qi].Arrivals, lay)
		for _, x := range spark[i] {
			peak = max(peak, x)
		}
	}
	for i, qi := range shown {
		out = append(out, m.queueLine(&v.snap.Queues[qi], false, v.idx == v.offset+i, spark[i], peak))
	}
	totalSpark := sparkValues(v.snap.Total.Arrivals, lay)
	totalPeak := 0.0
	for _, x := range totalSpark {
		totalPeak = max(totalPeak, x) // its own scale: it is the sum of the others
	}
	out = append(out, m.queueLine(&v.snap.Total, true, v.idx == len(v.order), totalSpark, totalPeak))
	// Every line above is m.width cells already: measuring them again
	// would cost more than drawing them.
	for i := range 1 + m.tableH {
		if i < len(out) {
			b.WriteString(out[i])
		} else {
			b.WriteString(spaces(m.width))
		}
		nl()
	}
}

// queuesCaption says what the figures are over, in the longest form that
// fits: the window, the service level's threshold and target, and, while
// the console has not yet run a whole window, since when they count.
func (m *Model) queuesCaption() string {
	s := &m.queues.snap
	window, within, target := shortDur(s.Window), shortDur(s.Threshold), percentWords(s.Target)
	var tail string
	if !s.Since.IsZero() && s.Since.After(s.At.Add(-s.Window)) {
		tail += " · figures since " + s.Since.In(m.now.Location()).Format("15:04") + " (this console's start)"
	}
	if s.Forgotten > 0 {
		tail += " · " + strconv.Itoa(s.Forgotten) + " calls over the memory limit left out"
	}
	forms := []string{
		"over the last " + window + " · service level: answered within " + within + ", target " + target,
		"last " + window + " · SL: answered within " + within + ", target " + target,
		"last " + window + " · SL ≤" + within + ", target " + target,
		window + " · SL ≤" + within + " · " + target,
	}
	for _, f := range forms {
		if text := "  " + f + tail; width(text) <= m.width {
			return text
		}
	}
	return "  " + forms[len(forms)-1] + tail
}

// queuesTitles is the column titles, the sort column marked: ▲ for names
// (A→Z), ▼ for figures (largest first). A figure's mark takes the gap
// before its title when the title fills the column.
func (m *Model) queuesTitles() string {
	v := &m.queues
	lay := &v.lay
	sorted := v.sortedBy()
	var b strings.Builder
	b.WriteString(spaces(cursorWidth))
	for i, c := range lay.cols {
		gap := lay.gap
		if i == 0 {
			gap = 0
		}
		title, w := qcols[c].title, lay.w[c]
		switch {
		case c == qQueue && c == sorted:
			b.WriteString(spaces(gap) + fit(title+" ▲", w))
		case c == qQueue || c == qArrivals:
			b.WriteString(spaces(gap) + fit(title, w))
		case c == sorted:
			b.WriteString(fitRight("▼"+title, gap+w))
		default:
			b.WriteString(fitRight(title, gap+w))
		}
	}
	return m.styles.Table.ColumnHeader.Render(fit(b.String(), m.width))
}

// qkind is how a cell of the Queues view is painted.
type qkind uint8

const (
	qPlain qkind = iota
	qZero        // nothing to count: faint, so that the figures stand out
	qAlarm       // past its alarm, with its glyph and word
	qSpark
)

// queueLine is one row: a queue's, or TOTAL's. spark is its sparkline's
// values and peak the value drawn full height.
func (m *Model) queueLine(q *stats.Queue, total, sel bool, spark []float64, peak float64) string {
	lay := &m.queues.lay
	t, qp := &m.styles.Table, &m.styles.Queues
	plain := t.Text.Get(sel)
	if total {
		plain = qp.Total.Get(sel)
	}
	var b strings.Builder
	b.Grow(m.width * 3)
	if sel {
		t.Cursor.Selected.Write(&b, "› ")
	} else {
		plain.Write(&b, spaces(cursorWidth))
	}
	used := cursorWidth
	for i, c := range lay.cols {
		if i > 0 {
			plain.Write(&b, spaces(lay.gap))
			used += lay.gap
		}
		w := lay.w[c]
		text, kind := queueCell(q, c, total, spark, peak)
		var p theme.Paint
		switch kind {
		case qZero:
			p = t.Muted.Get(sel)
		case qAlarm:
			p = qp.Alarm.Get(sel)
		case qSpark:
			p = qp.Spark.Get(sel)
		default:
			p = plain
		}
		switch {
		case c == qQueue:
			p.Write(&b, fit(text, w))
		case kind == qSpark:
			// A char a cell: no need to measure it.
			p.Write(&b, spaces(w-len(spark))+text)
		default:
			p.Write(&b, padLeft(text, w))
		}
		used += w
	}
	if pad := m.width - used; pad > 0 {
		plain.Write(&b, spaces(pad))
	}
	return b.String()
}

// queueCell is one figure's text and how to paint it.
func queueCell(q *stats.Queue, c qcol, total bool, spark []float64, peak float64) (string, qkind) {
	count := func(n int) (string, qkind) {
		if n == 0 {
			return "0", qZero
		}
		return strconv.Itoa(n), qPlain
	}
	mean := func(d time.Duration, has bool) (string, qkind) {
		if !has {
			return "—", qZero
		}
		return formatWait(d), qPlain
	}
	switch c {
	case qQueue:
		if total {
			return "TOTAL", qPlain
		}
		return q.Name, qPlain
	case qWaiting:
		return count(q.Waiting)
	case qLongest:
		switch {
		case q.Waiting == 0:
			return "—", qZero
		case q.WaitBeyondThreshold:
			return longWaitGlyph + " " + formatWait(q.LongestWait) + " " + longWaitWord, qAlarm
		}
		return formatWait(q.LongestWait), qPlain
	case qTalking:
		return count(q.Talking)
	case qHeld:
		return count(q.Held)
	case qOffered:
		return count(q.Offered)
	case qAnswered:
		return count(q.Answered)
	case qSL:
		if !q.HasSL {
			return "—", qZero
		}
		if q.SLBelowTarget {
			return slLowGlyph + " " + slPercent(q) + " " + slLowWord, qAlarm
		}
		return slPercent(q), qPlain
	case qAbandoned:
		return count(q.Abandoned)
	case qRejected:
		return count(q.Rejected)
	case qTransferred:
		return count(q.Transferred)
	case qASA:
		return mean(q.ASA, q.HasASA)
	case qAHT:
		return mean(q.AHT, q.HasAHT)
	case qArrivals:
		return sparkText(spark, peak), qSpark
	}
	return "", qPlain
}

// padLeft puts s against the right edge of w cells, or cuts it to them.
func padLeft(s string, w int) string {
	if sw := width(s); sw <= w {
		return spaces(w-sw) + s
	}
	return fit(s, w)
}

// slPercent is the service level in whole percent, rounded down from the
// counts themselves: a level just under the target never reads as the
// target.
func slPercent(q *stats.Queue) string {
	if q.SLCounted <= 0 {
		return "—"
	}
	return strconv.Itoa(q.WithinSL*100/q.SLCounted) + "%"
}

// formatWait is a wait or an average in at most five cells: m:ss below an
// hour, then 1h02m, then whole hours.
func formatWait(d time.Duration) string {
	if d < time.Hour {
		return formatDuration(d)
	}
	h, min := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	if h >= 10 {
		return strconv.FormatInt(h, 10) + "h"
	}
	return strconv.FormatInt(h, 10) + "h" + string([]byte{byte('0' + min/10), byte('0' + min%10)}) + "m"
}

// shortDur writes a duration without the zero units Duration.String adds:
// "1h", "20s", "1m30s".
func shortDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// percentWords writes a share as a percentage with at most one decimal:
// "80%", "92.5%".
func percentWords(share float64) string {
	return strconv.FormatFloat(math.Round(share*1000)/10, 'f', -1, 64) + "%"
}

// sparkBlocks draws a sparkline from the lowest to the full block.
var sparkBlocks = []string{"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"}

// sparkValues is arrivals (per minute, oldest first) as the sparkline's
// chars: each the mean per minute over its group of minutes, the newest
// group last.
func sparkValues(arrivals []int, lay *queuesLayout) []float64 {
	if lay.chars == 0 {
		return nil
	}
	out := make([]float64, lay.chars)
	n := len(arrivals)
	for j := range out {
		hi := n - (lay.chars-1-j)*lay.group
		lo := max(hi-lay.group, 0)
		if hi <= lo {
			continue
		}
		sum := 0
		for _, a := range arrivals[lo:hi] {
			sum += a
		}
		out[j] = float64(sum) / float64(hi-lo)
	}
	return out
}

// sparkText draws values against peak: nothing for a minute without calls,
// at least the lowest block for one with any.
func sparkText(values []float64, peak float64) string {
	var b strings.Builder
	for _, x := range values {
		if x <= 0 || peak <= 0 {
			b.WriteByte(' ')
			continue
		}
		level := min(max(int(math.Ceil(x/peak*float64(len(sparkBlocks)))), 1), len(sparkBlocks))
		b.WriteString(sparkBlocks[level-1])
	}
	return b.String()
}
