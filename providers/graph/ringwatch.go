package graph

import "time"

// ringWatch tracks when each ringing call should have stopped ringing, with
// one timer armed for the earliest. It belongs to the worker goroutine. An
// idle console has no ringing calls and so no timer.
type ringWatch struct {
	pending map[string]time.Time
	timer   *time.Timer
	target  time.Time // when the timer fires; zero when it is not armed
}

func newRingWatch() *ringWatch { return &ringWatch{pending: make(map[string]time.Time)} }

// watch expects call id to stop ringing by at.
func (r *ringWatch) watch(id string, at, now time.Time) {
	r.pending[id] = at
	if r.target.IsZero() || at.Before(r.target) {
		r.arm(at, now)
	}
}

// forget drops id; the timer is left as it is and re-armed when it fires.
func (r *ringWatch) forget(id string) { delete(r.pending, id) }

// fired is the timer's channel, or nil (never ready) when nothing is armed.
func (r *ringWatch) fired() <-chan time.Time {
	if r.target.IsZero() {
		return nil
	}
	return r.timer.C
}

// due removes and returns the calls whose time has come, and arms the timer
// for the next one.
func (r *ringWatch) due(now time.Time) []string {
	var ids []string
	var next time.Time
	for id, at := range r.pending {
		if !at.After(now) {
			ids = append(ids, id)
			delete(r.pending, id)
		} else if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	r.target = time.Time{}
	if !next.IsZero() {
		r.arm(next, now)
	}
	return ids
}

func (r *ringWatch) arm(at, now time.Time) {
	d := max(at.Sub(now), 0)
	if r.timer == nil {
		r.timer = time.NewTimer(d)
	} else {
		r.timer.Reset(d)
	}
	r.target = at
}

func (r *ringWatch) stop() {
	if r.timer != nil {
		r.timer.Stop()
	}
}
