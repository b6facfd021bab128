package ui

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"ringside/providers"
	"ringside/providers/textsafe"
)

// Notify is how the console asks the terminal for a desktop notification
// when calls start ringing.
type Notify int

// The ways of asking. Terminals disagree on the sequence; see NotifyFor.
const (
	NotifyOff    Notify = iota
	NotifyOSC9          // ESC ] 9 ; text BEL (iTerm2's)
	NotifyOSC777        // ESC ] 777 ; notify ; title ; body BEL (rxvt-unicode's)
)

func (n Notify) String() string {
	switch n {
	case NotifyOSC9:
		return "osc9"
	case NotifyOSC777:
		return "osc777"
	}
	return "off"
}

// NotifyModes are the words --notify takes.
var NotifyModes = []string{"off", "auto", "osc9", "osc777"}

// NotifyFor turns a --notify word into the sequence to send. "auto" picks
// one from what the environment says the terminal is, and nothing for a
// terminal known to read neither or not known at all: an unknown OSC is
// dropped by most terminals, but not by all.
func NotifyFor(mode string, getenv func(string) string) (Notify, error) {
	switch mode {
	case "", "off":
		return NotifyOff, nil
	case "osc9":
		return NotifyOSC9, nil
	case "osc777":
		return NotifyOSC777, nil
	case "auto":
		return notifyForTerminal(getenv), nil
	}
	return NotifyOff, fmt.Errorf("--notify %q: want off, auto, osc9 or osc777", textsafe.Cut(textsafe.Line(mode), 40))
}

// notifyForTerminal is auto's choice. OSC 9 is iTerm2's; Windows Terminal
// (and ConEmu) read OSC 9 ; 4 and 9 ; 9 as progress and directory, so it
// gets OSC 777 there. Inside tmux or screen neither reaches the terminal
// unless passthrough is set up, so auto sends nothing; --notify osc9 or
// osc777 still does.
func notifyForTerminal(getenv func(string) string) Notify {
	term := strings.ToLower(getenv("TERM"))
	prog := strings.ToLower(getenv("TERM_PROGRAM"))
	switch {
	case getenv("TMUX") != "" || prog == "tmux" || strings.HasPrefix(term, "screen") || strings.HasPrefix(term, "tmux"):
		return NotifyOff
	case prog == "iterm.app", prog == "ghostty", strings.Contains(term, "ghostty"),
		strings.Contains(term, "kitty"), getenv("KITTY_WINDOW_ID") != "":
		return NotifyOSC9
	case prog == "wezterm", strings.HasPrefix(term, "foot"), strings.HasPrefix(term, "rxvt-unicode"),
		getenv("WT_SESSION") != "", getenv("KONSOLE_VERSION") != "":
		return NotifyOSC777
	}
	return NotifyOff
}

// alertWindow is the least time between two alerts: every call that starts
// ringing within it is named in one alert at its end.
const alertWindow = time.Second

// alertNames bounds what one gathering remembers: the calls it names and
// looks at again when the window closes. Beyond it calls are only counted.
const alertNames = 64

// Bounds of the text a notification carries, in characters.
const (
	alertTitleMax = 64
	alertBodyMax  = 200
	alertCallMax  = 80 // one caller and queue
	alertShown    = 3  // calls named in a coalesced alert
)

// alerter gathers the calls that start ringing and turns each second's worth
// into one alert: a bell and, where asked, a desktop notification.
type alerter struct {
	bell   bool
	notify Notify
	log    *slog.Logger

	open  bool      // a window is gathering
	start time.Time // when the first call of the window started ringing
	ids   []string  // the first alertNames of them, in order
	extra int       // how many more started ringing
}

func newAlerter(bell bool, notify Notify, log *slog.Logger) alerter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return alerter{bell: bell, notify: notify, log: log}
}

func (a *alerter) enabled() bool { return a.bell || a.notify != NotifyOff }

// add notes that call id started ringing at now.
func (a *alerter) add(id string, now time.Time) {
	if !a.open {
		a.open, a.start = true, now
	}
	if len(a.ids) < alertNames {
		a.ids = append(a.ids, id)
	} else {
		a.extra++
	}
}

// due closes the window once its second is over and returns the calls of
// it that still ring and can still be acted on (ringing(id) says), and how
// many more beyond those remembered. A window whose calls have all stopped
// ringing (answered elsewhere, given up) gives nothing.
func (a *alerter) due(now time.Time, ringing func(id string) *providers.Call) (calls []*providers.Call, extra int, ok bool) {
	if !a.open || now.Sub(a.start) < alertWindow {
		return nil, 0, false
	}
	for _, id := range a.ids {
		if c := ringing(id); c != nil {
			calls = append(calls, c)
		}
	}
	extra = a.extra
	a.open, a.ids, a.extra = false, a.ids[:0], 0
	return calls, extra, len(calls)+extra > 0
}

// newlyRinging is, of a batch about to be applied, the calls it has
// ringing that were not ringing before it, in the order they came. Nil when
// no alert can come of them: then nothing is looked up at all.
func (m *Model) newlyRinging(evs []providers.Event) []string {
	if !m.alerts.enabled() || m.cfg.ReadOnly {
		return nil
	}
	var ids []string
	var seen map[string]bool
	for i := range evs {
		c := evs[i].Call
		if c == nil || c.State != providers.StateRinging || seen[c.ID] {
			continue
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		seen[c.ID] = true
		if r := m.store.get(c.ID); r == nil || r.call.State() != providers.StateRinging {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// noteRinging is applyEvents' hook once the batch is applied: each call
// newlyRinging named that rings now and that this console may act on
// starts (or joins) an alert.
func (m *Model) noteRinging(ids []string) {
	for _, id := range ids {
		if r := m.store.get(id); r != nil && r.call.State() == providers.StateRinging && m.actionable(r) {
			m.alerts.add(id, m.now)
		}
	}
}

// actionable reports whether the console offers an action on r now: a
// call that rings on a read-only console, or one only another console may
// pick up, rings nothing here.
func (m *Model) actionable(r *row) bool {
	for i := range m.actions {
		a := &m.actions[i]
		if !a.offered {
			continue
		}
		if ok, _ := m.allowed(r, a.actionSpec); ok {
			return true
		}
	}
	return false
}

// alertCmd is the alert whose window has closed, as a command: its bytes
// go to the terminal through Bubble Tea (tea.RawMsg), and it is logged from
// the command's goroutine, so Update does no I/O. Nil when nothing is due.
//
// It needs no timer of its own: while a call of the window rings, the
// countdown's tick runs Update ten times a second, so the window closes on
// time by the console's clock; once none rings there is nothing to say, and
// the window is closed empty at the next Update, before that Update's calls
// could join it.
func (m *Model) alertCmd() tea.Cmd {
	calls, extra, ok := m.alerts.due(m.now, func(id string) *providers.Call {
		if r := m.store.get(id); r != nil && r.call.State() == providers.StateRinging && m.actionable(r) {
			c := r.call.Call()
			return &c
		}
		return nil
	})
	if !ok {
		return nil
	}
	n := len(calls) + extra
	title, body := alertWords(calls, extra)
	seq := alertSequence(m.alerts.bell, m.alerts.notify, title, body)
	log, notify, bell := m.alerts.log, m.alerts.notify, m.alerts.bell
	return func() tea.Msg {
		log.Debug("alert", "calls", n, "bell", bell, "notify", notify.String(), "title", title, "body", body)
		return tea.RawMsg{Msg: seq}
	}
}

// alertWords says which calls ring: the caller and queue of one, or how
// many and the first few of several.
func alertWords(calls []*providers.Call, extra int) (title, body string) {
	n := len(calls) + extra
	names := make([]string, 0, alertShown)
	for _, c := range calls {
		if len(names) == alertShown {
			break
		}
		names = append(names, callWords(c))
	}
	if n == 1 && len(names) == 1 {
		return "Call ringing", names[0]
	}
	title = strconv.Itoa(n) + " calls ringing"
	body = strings.Join(names, ", ")
	if more := n - len(names); more > 0 {
		if body != "" {
			body += ", "
		}
		body += "+" + strconv.Itoa(more) + " more"
	}
	return title, body
}

// callWords is a call as a notification names it: who calls, and through
// which queue or to whom.
func callWords(c *providers.Call) string {
	who := textsafe.Line(callerText(c))
	if who == "" {
		who = "Unknown caller"
	}
	if to := textsafe.Line(calleeText(c)); to != "" {
		who += " · " + to
	}
	return textsafe.Cut(who, alertCallMax)
}

// alertSequence is what the terminal is sent: BEL, then the notification.
// Every piece of text passes notifyText, so no name can end the sequence
// early or start one of its own.
func alertSequence(bell bool, notify Notify, title, body string) string {
	var b strings.Builder
	if bell {
		b.WriteByte('\a')
	}
	switch notify {
	case NotifyOSC9:
		// "ringside: " first: text that began with digits and a
		// semicolon would be a ConEmu command (9;4 is a progress bar).
		b.WriteString("\x1b]9;")
		b.WriteString(notifyText("ringside: "+title+": "+body, alertTitleMax+alertBodyMax, false))
		b.WriteByte('\a')
	case NotifyOSC777:
		// Title and body are split at semicolons by the terminal, so
		// neither may carry one.
		b.WriteString("\x1b]777;notify;")
		b.WriteString(notifyText("ringside: "+title, alertTitleMax, true))
		b.WriteByte(';')
		b.WriteString(notifyText(body, alertBodyMax, true))
		b.WriteByte('\a')
	}
	return b.String()
}

// notifyText makes s safe inside an OSC string: cleaned as all network text
// is (escape sequences gone, controls turned to spaces), then, should
// anything have slipped through, every C0 and C1 control and DEL dropped,
// semicolons turned to commas where the sequence splits on them, and the
// result cut to most characters.
func notifyText(s string, most int, noSemicolon bool) string {
	s = textsafe.Line(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			continue
		case r == ';' && noSemicolon:
			r = ','
		}
		b.WriteRune(r)
	}
	return textsafe.Cut(b.String(), most)
}
