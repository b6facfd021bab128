package ui

import (
	"slices"
	"time"

	"ringside/providers/stats"
)

// qcol is a column of the Queues view, in the order they stand left to
// right.
type qcol int

const (
	qQueue qcol = iota
	qWaiting
	qLongest
	qTalking
	qHeld
	qOffered
	qAnswered
	qSL
	qAbandoned
	qRejected
	qTransferred
	qASA
	qAHT
	qArrivals
	qCount
)

// qcolSpec is one column: its title, its width and how long it stays on a
// narrowing screen.
type qcolSpec struct {
	title string
	// width is the column's cells: the widest value it shows (the alarms
	// with their glyph and word: "⚠ 12:47 long", "▼ 72% low"); for the
	// queue's name and the sparkline, the least they take.
	width int
	// rank orders the columns for narrow screens: they are taken in rank
	// order while they fit and the first that does not fit ends the row,
	// so the higher ranks go first.
	rank int
	// value is what the column sorts by, largest first; nil for the name
	// (A→Z) and for the sparkline, which is not sorted by.
	value func(q *stats.Queue) int64
}

// sortable reports whether < and > stop at the column: the name and every
// figure, not the sparkline.
func (c qcol) sortable() bool { return c == qQueue || qcols[c].value != nil }

// durationOr is d in nanoseconds when has, else -1: a figure with nothing
// to average sorts below every real one.
func durationOr(d time.Duration, has bool) int64 {
	if !has {
		return -1
	}
	return int64(d)
}

// qcols is every column. Narrow screens keep QUEUE, WAITING, LONGEST and
// SL % longest, and drop from the other end: TRANSFERRED, REJECTED, AHT,
// HELD, ASA, the sparkline, ABANDONED, ANSWERED, OFFERED, TALKING.
var qcols = [qCount]qcolSpec{
	qQueue:       {title: "QUEUE", width: 10, rank: 0},
	qWaiting:     {title: "WAITING", width: 7, rank: 1, value: func(q *stats.Queue) int64 { return int64(q.Waiting) }},
	qLongest:     {title: "LONGEST", width: 12, rank: 2, value: func(q *stats.Queue) int64 { return int64(q.LongestWait) }},
	qSL:          {title: "SL %", width: 9, rank: 3, value: func(q *stats.Queue) int64 { return slOrder(q) }},
	qTalking:     {title: "TALKING", width: 7, rank: 4, value: func(q *stats.Queue) int64 { return int64(q.Talking) }},
	qOffered:     {title: "OFFERED", width: 7, rank: 5, value: func(q *stats.Queue) int64 { return int64(q.Offered) }},
	qAnswered:    {title: "ANSWERED", width: 8, rank: 6, value: func(q *stats.Queue) int64 { return int64(q.Answered) }},
	qAbandoned:   {title: "ABANDONED", width: 9, rank: 7, value: func(q *stats.Queue) int64 { return int64(q.Abandoned) }},
	qArrivals:    {title: "ARRIVALS/MIN", width: 12, rank: 8},
	qASA:         {title: "ASA", width: 5, rank: 9, value: func(q *stats.Queue) int64 { return durationOr(q.ASA, q.HasASA) }},
	qHeld:        {title: "HELD", width: 4, rank: 10, value: func(q *stats.Queue) int64 { return int64(q.Held) }},
	qAHT:         {title: "AHT", width: 5, rank: 11, value: func(q *stats.Queue) int64 { return durationOr(q.AHT, q.HasAHT) }},
	qRejected:    {title: "REJECTED", width: 8, rank: 12, value: func(q *stats.Queue) int64 { return int64(q.Rejected) }},
	qTransferred: {title: "TRANSFERRED", width: 11, rank: 13, value: func(q *stats.Queue) int64 { return int64(q.Transferred) }},
}

// slOrder sorts service levels by the share answered in time; a queue with
// none to measure yet goes below every measured one.
func slOrder(q *stats.Queue) int64 {
	if !q.HasSL {
		return -1
	}
	return int64(q.WithinSL) * 1_000_000 / int64(q.SLCounted)
}

// coreRank is the last rank that may squeeze the queue's name down to its
// least; the columns after it are added only while names keep roomyQueue
// cells.
const (
	coreRank   = 7
	roomyQueue = 16
	maxQueue   = 28 // names are not given more than this, however wide the screen
)

// queuesLayout is the Queues view's columns at one screen size, and how its
// lines are shared out.
type queuesLayout struct {
	width, gap int
	w          [qCount]int // each column's cells; 0 when it is left out
	cols       []qcol      // the columns shown, left to right
	// The sparkline: each of its chars is group minutes, chars in all
	// (the window's minutes, grouped to fit).
	group, chars int

	board bool // the large totals stand above the rows
	rows  int  // queue rows that fit (the TOTAL row has a line of its own)
}

// Lines of the Queues view besides the queue rows, within the table's room:
// the caption, the column titles (the table's own first line) and TOTAL.
const (
	queuesChrome = 2 // the caption and the TOTAL row; the titles line is the table's first
	boardLines   = 7 // the large totals: their words, five rows of digits, a blank line
	boardWidth   = 160
	boardRows    = 3 // the large totals only when this many queue rows still fit
)

// queuesLayoutFor lays the columns out on a screen w cells wide, for a
// window of minutes, with tableH lines below the column titles.
func queuesLayoutFor(w, tableH, minutes int) queuesLayout {
	l := queuesLayout{width: w, gap: 1}
	if w >= 100 {
		l.gap = 2
	}
	byRank := make([]qcol, 0, qCount)
	for c := range qCount {
		byRank = append(byRank, c)
	}
	slices.SortFunc(byRank, func(a, b qcol) int { return qcols[a].rank - qcols[b].rank })
	budget := w - cursorWidth
	used := 0
	for _, c := range byRank {
		gap, reserve := 0, 0
		if used > 0 {
			gap = l.gap
		}
		if qcols[c].rank > coreRank {
			reserve = roomyQueue - qcols[qQueue].width
		}
		if used+gap+qcols[c].width+reserve > budget {
			break
		}
		l.w[c] = qcols[c].width
		used += gap + l.w[c]
	}
	extra := budget - used
	grow := func(c qcol, upto int) {
		if l.w[c] == 0 {
			return
		}
		add := min(extra, max(upto-l.w[c], 0))
		l.w[c] += add
		extra -= add
	}
	// Names first get room to be read, then the sparkline a char a minute,
	// then names again.
	grow(qQueue, roomyQueue+2)
	grow(qArrivals, minutes)
	grow(qQueue, maxQueue)
	for c := range qCount {
		if l.w[c] > 0 {
			l.cols = append(l.cols, c)
		}
	}
	if sw := l.w[qArrivals]; sw > 0 {
		l.group = (minutes + sw - 1) / sw
		l.chars = (minutes + l.group - 1) / l.group
	}
	l.board = w >= boardWidth && tableH-boardLines-queuesChrome >= boardRows
	l.rows = tableH - queuesChrome
	if l.board {
		l.rows -= boardLines
	}
	l.rows = max(l.rows, 1)
	return l
}

// relayout lays the view out for the screen and the table's room.
func (v *queuesView) relayout(w, tableH int) {
	minutes := int(v.counter.Config().Window / stats.Bucket)
	v.lay = queuesLayoutFor(w, tableH, minutes)
}
