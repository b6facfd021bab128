package ui

import (
	"strings"
	"time"

	"ringside/providers"
	"ringside/theme"
)

// linkState is the provider's connection as the header shows it: the link,
// the agent's state, a standing warning, whether the provider stopped
// sending events, and since when nothing has been live.
type linkState struct {
	status    providers.Status
	known     bool // a status has arrived
	stopped   bool // the events channel was closed
	idleSince time.Time
}

func (l *linkState) set(s providers.Status) { l.status, l.known = s, true }

// settle notes whether anything is live at now, for the idle clock.
func (l *linkState) settle(now time.Time, live int) {
	if live > 0 {
		l.idleSince = time.Time{}
	} else if l.idleSince.IsZero() {
		l.idleSince = now
	}
}

// height is the lines the link takes below the title: the warning banner.
func (l *linkState) height() int {
	if l.status.Warning != "" {
		return 1
	}
	return 0
}

// writeWarning draws the warning banner, w cells wide.
func (l *linkState) writeWarning(b *strings.Builder, c *theme.Chrome, w int) {
	c.Warning.Write(b, fit("⚠ "+clean(l.status.Warning), w))
}

// words is the link in the header, with its paint.
func (l *linkState) words(c *theme.Chrome) seg {
	if l.stopped {
		return seg{"✕ stopped", c.Failed}
	}
	if !l.known {
		return seg{"◌ starting…", c.Connecting}
	}
	link, p := "◌ "+clean(string(l.status.Link)), c.Connecting
	switch l.status.Link {
	case providers.LinkLive:
		link, p = "● live", c.Live
	case providers.LinkConnecting:
		link, p = "◌ connecting…", c.Connecting
	case providers.LinkReconnecting:
		link, p = "◌ reconnecting", c.Reconnecting
	case providers.LinkFailed:
		link, p = "✕ failed", c.Failed
	}
	if detail := clean(l.status.Detail); detail != "" {
		link += ": " + detail
	}
	return seg{link, p}
}

// clock is the header's clock, or when it went quiet: nothing moves, so
// nothing ticks, and a stopped clock would mislead.
func (l *linkState) clock(now time.Time, ticking bool) string {
	if !l.idleSince.IsZero() && !ticking {
		return "idle since " + l.idleSince.Format("15:04:05")
	}
	return now.Format("15:04:05")
}
