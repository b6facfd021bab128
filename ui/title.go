package ui

import "strconv"

// windowTitle is the terminal's title (tab, taskbar): the live counts, so a
// console in a background tab still shows that something rings. It depends
// on the counts alone; Bubble Tea writes the title only when it changes, so
// a countdown redrawn ten times a second does not send it again.
func (m *Model) windowTitle() string {
	t := "ringside"
	if n := m.store.n.ringing; n > 0 {
		t += " · " + strconv.Itoa(n) + " ringing"
	}
	if n := m.store.n.active; n > 0 {
		t += " · " + strconv.Itoa(n) + " active"
	}
	return t
}
