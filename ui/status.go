package ui

import (
	"strings"
	"time"

	"ringside/theme"
)

type statusKind int

const (
	statusInfo statusKind = iota
	statusSuccess
	statusError
)

// statusLine is the line above the help: the last thing that happened, with
// the time it happened. A pane may ask something there instead (drawStatus).
type statusLine struct {
	text string
	kind statusKind
	at   time.Time
}

func (s *statusLine) say(kind statusKind, text string, now time.Time) {
	*s = statusLine{text: text, kind: kind, at: now}
}

// write draws the line, w cells wide.
func (s *statusLine) write(b *strings.Builder, c *theme.Chrome, w int) {
	if s.text == "" {
		b.WriteString(spaces(w))
		return
	}
	p := c.Info
	switch s.kind {
	case statusSuccess:
		p = c.Success
	case statusError:
		p = c.Failure
	}
	stamp := " " + s.at.Format("15:04:05") + " "
	c.Dim.Write(b, stamp)
	p.Write(b, fit(clean(s.text), w-width(stamp)))
}
