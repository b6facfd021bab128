package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"ringside/providers"
)

// onKey handles a key press in the current mode.
func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.keys.ForceQuit) {
		return m.quit()
	}
	switch m.mode {
	case modePicker:
		return m.onPickerKey(msg)
	case modeConfirm:
		return m.onConfirmKey(msg)
	case modeFilter:
		return m.onFilterKey(msg)
	}
	k := &m.keys
	if key.Matches(msg, k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown, k.Tab) {
		m.moved = movedSelection{} // the user chose where the cursor is
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Up):
		m.move(m.sel[m.tab].idx-1, m.sel[m.tab].line-1)
	case key.Matches(msg, k.Down):
		m.move(m.sel[m.tab].idx+1, m.sel[m.tab].line+1)
	case key.Matches(msg, k.Top):
		m.move(0, 0)
	case key.Matches(msg, k.Bottom):
		m.move(m.list(m.tab).Len()-1, m.tableH-1)
	case key.Matches(msg, k.PageUp):
		m.move(m.sel[m.tab].idx-m.tableH, m.sel[m.tab].line)
	case key.Matches(msg, k.PageDown):
		m.move(m.sel[m.tab].idx+m.tableH, m.sel[m.tab].line)
	case key.Matches(msg, k.Answer, k.Reject, k.Hangup) && m.justMoved():
		// The call under the cursor changed by itself a moment ago; the
		// key was most likely meant for the call that left.
		m.say(statusError, "the selection just moved to "+m.whoFor(m.sel[tabLive].id)+" · press again to act on it")
		m.moved = movedSelection{}
	case key.Matches(msg, k.Answer):
		if r := m.selected(); r != nil {
			return m.submit(providers.ActionAnswer, r.call.ID, "")
		}
	case key.Matches(msg, k.Reject):
		if r := m.selected(); r != nil {
			if len(m.reasons) == 0 {
				// This provider's reject takes no reason: no picker.
				return m.submit(providers.ActionReject, r.call.ID, providers.ReasonNone)
			}
			m.mode, m.pickFor, m.pickIdx = modePicker, r.call.ID, 0
			m.fullHelp = false
		}
	case key.Matches(msg, k.Hangup):
		if r := m.selected(); r != nil {
			if m.cfg.NoConfirm {
				return m.submit(providers.ActionHangup, r.call.ID, "")
			}
			m.mode, m.pickFor = modeConfirm, r.call.ID
		}
	case key.Matches(msg, k.Detail):
		m.detail = !m.detail
		if m.detail {
			m.fullHelp = false
		}
	case key.Matches(msg, k.Tab):
		m.tab = 1 - m.tab
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		m.input.SetValue(m.store.query.text)
		m.input.CursorEnd()
		return m.input.Focus()
	case key.Matches(msg, k.Help):
		m.fullHelp = !m.fullHelp
	case key.Matches(msg, k.Back):
		switch {
		case m.fullHelp:
			m.fullHelp = false
		case m.detail:
			m.detail = false
		case m.store.query.active():
			m.store.setFilter("")
			m.input.SetValue("")
		}
	default:
		if a, ok := actionKeys[msg.String()]; ok {
			m.explain(a)
		}
	}
	return nil
}

// actionKeys are the action keys as typed, to explain why one did nothing.
var actionKeys = map[string]providers.Action{
	"a": providers.ActionAnswer, "r": providers.ActionReject, "x": providers.ActionHangup,
}

// explain says why an action key that is switched off did nothing: the key
// is not in the help, but a person pressing it deserves a reason.
func (m *Model) explain(a providers.Action) {
	r := m.selected()
	switch {
	case m.cfg.ReadOnly:
		m.say(statusInfo, "read-only console: no answer, reject or hang-up")
	case m.tab == tabHistory:
		m.say(statusInfo, "ended calls cannot be acted on · tab goes back to live calls")
	case r == nil:
		m.say(statusInfo, "no call selected")
	default:
		if ok, why := m.allowed(r, a); !ok {
			m.say(statusInfo, m.whoFor(r.call.ID)+" "+why)
		}
	}
}

// selectionGuard is how long action keys are held back after the selection
// moved by itself (its call ended), so that a key pressed for the call that
// just left does not land on its neighbour.
const selectionGuard = time.Second

// movedSelection records the last time the live selection moved by itself.
type movedSelection struct {
	at time.Time
	to string
}

func (m *Model) justMoved() bool {
	return m.tab == tabLive && m.moved.to != "" && m.moved.to == m.sel[tabLive].id &&
		m.now.Sub(m.moved.at) < selectionGuard
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.cancel() // the event reader and requests in flight stop now
	return tea.Quit
}

// onPickerKey: arrows and enter, or a reason's first letter; esc cancels.
func (m *Model) onPickerKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.PickCancel):
		m.mode = modeNormal
		m.say(statusInfo, "reject cancelled")
	case key.Matches(msg, k.PickUp):
		m.pickIdx = (m.pickIdx + len(m.reasons) - 1) % len(m.reasons)
	case key.Matches(msg, k.PickDown):
		m.pickIdx = (m.pickIdx + 1) % len(m.reasons)
	case key.Matches(msg, k.PickChoose):
		return m.pick(m.pickIdx)
	default:
		if i, ok := m.letters[strings.ToLower(msg.String())]; ok {
			return m.pick(i)
		}
	}
	return nil
}

func (m *Model) pick(i int) tea.Cmd {
	m.mode = modeNormal
	return m.submit(providers.ActionReject, m.pickFor, m.reasons[i])
}

// onConfirmKey: y or x hangs up, any other key cancels.
func (m *Model) onConfirmKey(msg tea.KeyPressMsg) tea.Cmd {
	m.mode = modeNormal
	if key.Matches(msg, m.keys.ConfirmYes) {
		return m.submit(providers.ActionHangup, m.pickFor, "")
	}
	m.say(statusInfo, "hang-up cancelled")
	return nil
}

// onFilterKey edits the filter; the table follows every keystroke.
func (m *Model) onFilterKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.FilterClear):
		m.mode = modeNormal
		m.input.Blur()
		m.input.SetValue("")
		m.store.setFilter("")
		return nil
	case key.Matches(msg, m.keys.FilterKeep):
		m.mode = modeNormal
		m.input.Blur()
		return nil
	case msg.String() == "up":
		m.move(m.sel[m.tab].idx-1, m.sel[m.tab].line-1)
		return nil
	case msg.String() == "down":
		m.move(m.sel[m.tab].idx+1, m.sel[m.tab].line+1)
		return nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	m.store.setFilter(m.input.Value())
	return cmd
}

// allowed reports whether action a may be requested for r now, and if not,
// why, in words that follow the caller's name ("has ended (busy)").
func (m *Model) allowed(r *row, a providers.Action) (bool, string) {
	if r == nil {
		return false, "is gone"
	}
	c := &r.call
	ringAction := a == providers.ActionAnswer || a == providers.ActionReject
	switch {
	case m.cfg.ReadOnly:
		return false, "cannot be acted on: this console is read-only"
	case r.busy(m.now):
		return false, "already has a request in flight (" + pendingWord(r.pendingAct) + ")"
	case c.State == providers.StateEnded:
		return false, "has ended (" + endWords(c) + ")"
	case ringAction && c.State != providers.StateRinging:
		return false, "is no longer ringing (now " + stateWord(c.State) + ")"
	case ringAction && countdownAt(c, m.now, 1).expired():
		return false, "is no longer ringing: the answer window has closed"
	case !c.Can(a):
		return false, "does not allow " + a.String() + " now"
	}
	return true, ""
}

// submit re-checks the call at the moment of action (it may have ended,
// timed out or been answered elsewhere since the picker or the question
// opened) and only then returns the request as a command.
func (m *Model) submit(a providers.Action, id string, reason providers.RejectReason) tea.Cmd {
	r := m.store.get(id)
	if ok, why := m.allowed(r, a); !ok {
		m.say(statusError, m.whoFor(id)+" "+why+" · nothing sent")
		return nil
	}
	if m.cfg.Provider == nil {
		m.say(statusError, "no provider to send "+a.String()+" to")
		return nil
	}
	r.pending, r.pendingAct, r.pendingVer = true, a, r.call.Version
	who := clean(r.call.From.String())
	m.say(statusInfo, pendingWord(a)+" "+who+reasonSuffix(a, reason))
	p, parent, timeout := m.cfg.Provider, m.ctx, m.cfg.ActionTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		var err error
		switch a {
		case providers.ActionAnswer:
			err = p.Answer(ctx, id)
		case providers.ActionReject:
			err = p.Reject(ctx, id, reason)
		case providers.ActionHangup:
			err = p.Hangup(ctx, id)
		}
		if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			err = errTimeout{timeout: timeout, err: err}
		}
		return actionResultMsg{id: id, action: a, reason: reason, who: who, err: err}
	}
}

func reasonSuffix(a providers.Action, reason providers.RejectReason) string {
	if a != providers.ActionReject || reason == "" {
		return ""
	}
	return " (" + string(reason) + ")"
}

// actionResultMsg is the end of a request: what was asked and how it went.
type actionResultMsg struct {
	id     string
	action providers.Action
	reason providers.RejectReason
	who    string
	err    error
}

func (m *Model) onResult(msg actionResultMsg) {
	r := m.store.get(msg.id)
	if r != nil && r.pending && r.pendingAct == msg.action {
		r.pending = false
		if msg.err == nil {
			// Done, but the provider's new snapshot may come a moment
			// after the reply: keep the marker until it does, so the
			// row never flashes back to what it was. If it came first,
			// the version has moved on already and the marker goes now.
			r.awaitVer, r.awaitUntil = r.pendingVer, m.now.Add(awaitSnapshot)
		}
	}
	if msg.err != nil {
		if m.quitting {
			return
		}
		m.say(statusError, "could not "+msg.action.String()+" "+msg.who+": "+msg.err.Error())
		return
	}
	var done string
	switch msg.action {
	case providers.ActionAnswer:
		done = "answered "
	case providers.ActionReject:
		done = "rejected "
	case providers.ActionHangup:
		done = "hung up on "
	}
	m.say(statusSuccess, done+msg.who+reasonSuffix(msg.action, msg.reason))
}

// errTimeout words a request that ran out of time.
type errTimeout struct {
	timeout time.Duration
	err     error
}

func (e errTimeout) Error() string {
	return "no reply from the provider within " + e.timeout.String()
}

func (e errTimeout) Unwrap() error { return e.err }

// updateKeys enables exactly the keys that make sense now, which is also
// what the help shows.
func (m *Model) updateKeys() {
	k := &m.keys
	r := m.selected()
	live := m.tab == tabLive
	can := func(a providers.Action) bool {
		ok, _ := m.allowed(r, a)
		return live && ok
	}
	k.Answer.SetEnabled(can(providers.ActionAnswer))
	k.Reject.SetEnabled(can(providers.ActionReject))
	k.Hangup.SetEnabled(can(providers.ActionHangup))
	if !m.cfg.ReadOnly {
		if len(m.reasons) == 0 {
			k.Reject.SetHelp("r", "reject (no reason)")
		} else {
			k.Reject.SetHelp("r", "reject…")
		}
	}
	n := m.list(m.tab).Len()
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.Top, &k.Bottom, &k.PageUp, &k.PageDown} {
		b.SetEnabled(n > 1)
	}
	k.Detail.SetEnabled(r != nil || m.detail)
	if m.detail {
		k.Detail.SetHelp("enter", "hide details")
	} else {
		k.Detail.SetHelp("enter", "details")
	}
	if live {
		k.Tab.SetHelp("tab", "history")
	} else {
		k.Tab.SetHelp("tab", "live calls")
	}
	switch {
	case m.fullHelp:
		k.Back.SetEnabled(true)
		k.Back.SetHelp("esc", "close help")
	case m.detail:
		k.Back.SetEnabled(true)
		k.Back.SetHelp("esc", "close details")
	case m.store.query.active():
		k.Back.SetEnabled(true)
		k.Back.SetHelp("esc", "clear filter")
	default:
		k.Back.SetEnabled(false)
	}
	if m.fullHelp {
		k.Help.SetHelp("?", "close help")
	} else {
		k.Help.SetHelp("?", "help")
	}
}
