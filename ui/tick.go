package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

const (
	ringingTick   = 100 * time.Millisecond // ≤ 10 Hz while something rings
	connectedTick = time.Second            // durations of connected calls
)

// tickMsg redraws countdowns and durations. gen tells the tick armed last
// from one it replaced.
type tickMsg struct{ gen uint32 }

// ticker is the console's one tick. It runs only while something on screen
// moves with time: 10 Hz while a call rings (its countdown, the Queues
// view's longest wait), 1 Hz while a call is connected (its duration), once
// a minute on the Queues view while its window holds calls, nothing
// otherwise. An idle console does no periodic work at all.
type ticker struct {
	after func(time.Duration, func(time.Time) tea.Msg) tea.Cmd // tea.Tick; tests replace it
	armed bool
	at    time.Time // when the armed tick fires
	gen   uint32    // numbers the ticks; only the last one armed counts
}

func newTicker() ticker { return ticker{after: tea.Tick} }

// ensure arms the tick that ringing and active calls need at now, unless one
// that fires soon enough is armed already. A call that starts ringing while
// the slow tick is armed gets a fast one at once; the slow one is then
// ignored when it fires. wake, when not 0, is how soon the view on screen
// changes by itself with nothing live (the Queues view's window sliding on
// at the next minute); live calls' ticks come sooner.
func (t *ticker) ensure(now time.Time, ringing, active int, wake time.Duration) tea.Cmd {
	var d time.Duration
	switch {
	case ringing > 0:
		d = ringingTick
	case active > 0:
		// Wake when the shown durations next change: at the next whole
		// second of the clock.
		d = connectedTick - time.Duration(now.Nanosecond())
	case wake > 0:
		d = wake
	default:
		return nil
	}
	if t.armed && !now.Add(d).Before(t.at) {
		return nil
	}
	t.gen++
	t.armed, t.at = true, now.Add(d)
	gen := t.gen
	return t.after(d, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

// fired notes that a tick arrived; a replaced one changes nothing.
func (t *ticker) fired(msg tickMsg) {
	if msg.gen == t.gen {
		t.armed = false
	}
}
