package ui

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"ringside/providers"
	"ringside/providers/textsafe"
	"ringside/theme"
)

// Every state has a glyph and a word, so that no state is told by colour
// alone (NO_COLOR, 16-colour terminals, colour-blind agents).
func stateGlyph(s providers.State) string {
	switch s {
	case providers.StateRinging:
		return "◉"
	case providers.StateConnecting:
		return "◌"
	case providers.StateActive:
		return "●"
	case providers.StateHeld:
		return "‖"
	case providers.StateEnding:
		return "◑"
	case providers.StateEnded:
		return "○"
	}
	return "?"
}

func stateWord(s providers.State) string {
	if s.Valid() {
		return string(s)
	}
	return "unknown"
}

func stateCell(t *theme.Table, s providers.State) theme.Cell {
	switch s {
	case providers.StateRinging:
		return t.Ringing
	case providers.StateConnecting:
		return t.Connecting
	case providers.StateActive:
		return t.Active
	case providers.StateHeld:
		return t.Held
	case providers.StateEnding:
		return t.Ending
	}
	return t.Ended
}

const (
	glyphPending  = "⋯"
	glyphTimedOut = "⊘"
	wordTimedOut  = "no answer"
)

func outcomeGlyph(o providers.Outcome) string {
	switch o {
	case providers.OutcomeHandled:
		return "✓"
	case providers.OutcomeRejected:
		return "✗"
	case providers.OutcomeMissed:
		return "↷"
	case providers.OutcomeTransferred:
		return "⇢"
	case providers.OutcomeElsewhere:
		return "⇉"
	}
	return "·"
}

func outcomeCell(t *theme.Table, o providers.Outcome) theme.Cell {
	switch o {
	case providers.OutcomeHandled:
		return t.Handled
	case providers.OutcomeRejected:
		return t.Rejected
	case providers.OutcomeMissed:
		return t.Missed
	case providers.OutcomeTransferred, providers.OutcomeElsewhere:
		return t.Transferred
	}
	return t.Muted
}

// shortModality names a modality in a few letters for the table.
func shortModality(m string) string {
	switch m {
	case "videoBasedScreenSharing":
		return "screen"
	case "unknown", "":
		return ""
	}
	return m
}

func modalitiesText(ms []string) string {
	switch len(ms) {
	case 0:
		return ""
	case 1:
		return shortModality(ms[0])
	}
	parts := make([]string, 0, len(ms))
	for _, m := range ms {
		if s := shortModality(m); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// glyphRecording marks a compliance-recording invite in the caller column.
const glyphRecording = "⏺"

// callerText is the caller column: the caller, or for a recording invite the
// participant being recorded (the invite is not a person calling), or for a
// meeting join that it is one.
func callerText(c *providers.Call) string {
	switch c.Route.Kind {
	case providers.CallRecording:
		who := c.Route.Observed
		if who.IsZero() {
			who = c.From
		}
		return glyphRecording + " rec: " + who.String()
	case providers.CallMeeting:
		who := c.From
		if who.IsZero() {
			who = c.Route.Organizer
		}
		if who.IsZero() {
			return "meeting"
		}
		return "meeting: " + who.String()
	}
	return c.From.String()
}

// kindText says what sort of call it is, for the details; "" for an
// ordinary call.
func kindText(r *providers.Route) string {
	switch r.Kind {
	case providers.CallRecording:
		s := "recording invite (policy-based recording)"
		if !r.Observed.IsZero() {
			s += " for " + r.Observed.String()
		}
		return s
	case providers.CallMeeting:
		s := "meeting join"
		if !r.Organizer.IsZero() {
			s += " · organised by " + r.Organizer.String()
		}
		return s
	}
	return string(r.Kind)
}

// calleeText is the callee, with the queue it came through when there is one.
func calleeText(c *providers.Call) string {
	switch {
	case c.Queue == "":
		return c.To.String()
	case c.To.IsZero() || c.To.Kind == providers.KindQueue || c.To.String() == c.Queue:
		return c.Queue
	}
	return c.Queue + " › " + c.To.String()
}

// formatDuration is m:ss below an hour and h:mm:ss above.
func formatDuration(d time.Duration) string {
	var buf [24]byte
	return string(appendDuration(buf[:0], d))
}

// appendDuration appends formatDuration(d) to b.
func appendDuration(b []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	h, m, sec := s/3600, s/60%60, s%60
	if h > 0 {
		b = strconv.AppendInt(b, h, 10)
		b = append(b, ':')
		b = append(b, byte('0'+m/10), byte('0'+m%10))
	} else {
		b = strconv.AppendInt(b, m, 10)
	}
	return append(b, ':', byte('0'+sec/10), byte('0'+sec%10))
}

// formatLeft is the time left to answer, as the countdown prints it.
func formatLeft(secs int64) string {
	var buf [24]byte
	return string(appendLeft(buf[:0], secs))
}

// appendLeft appends formatLeft(secs) to b.
func appendLeft(b []byte, secs int64) []byte {
	switch {
	case secs < 100:
		return append(strconv.AppendInt(b, secs, 10), 's')
	case secs < 100*60:
		return append(strconv.AppendInt(b, (secs+59)/60, 10), 'm')
	}
	return append(strconv.AppendInt(b, (secs+3599)/3600, 10), 'h')
}

// clean makes text from the network safe to draw (textsafe.Clean): escape
// sequences are removed, control characters become spaces, invisible format
// characters (bidi controls, zero-width characters) are dropped and broken
// UTF-8 becomes U+FFFD, so that a display name can neither move the cursor,
// nor break the layout, nor pass itself off as another.
func clean(s string) string { return textsafe.Clean(s) }

// fit cuts s to w cells (with an ellipsis when cut) and pads it to exactly w.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	s = clean(s)
	if isASCII(s) {
		if len(s) <= w {
			return s + spaces(w-len(s))
		}
		if w == 1 {
			return "…"
		}
		return s[:w-1] + "…"
	}
	if sw := ansi.StringWidth(s); sw <= w {
		return s + spaces(w-sw)
	}
	t := ansi.Truncate(s, w, "…")
	return t + spaces(w-ansi.StringWidth(t))
}

// fitRight is fit with the text against the right edge.
func fitRight(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return fit(s, w)
	}
	return spaces(w-sw) + s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

const blanks = "                                                                                                                                                                                                        "

func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}

// width is the display width of s (escape sequences count for nothing).
func width(s string) int {
	if isASCII(s) && !strings.Contains(s, "\x1b") {
		return len(s)
	}
	return ansi.StringWidth(s)
}
