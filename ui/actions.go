package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"ringside/providers"
)

// actionSpec is one row of the action table: everything the console says and
// does about one action. The keys, the help, the pending marker, the status
// words, the details' "can now" and the one-shot commands all read it, so
// adding an action is one row here (plus the provider methods it calls).
type actionSpec struct {
	action providers.Action

	keys []string // what is typed; two rows may share a key (the one the call allows answers it)
	help string   // the help's words: "hang up"

	verb    string // the contract's name for it: "could not hangup Alice", "does not allow hangup now"
	noun    string // the act: "hang-up cancelled", "no answer, reject or hang-up"
	does    string // what its key does in a confirmation: "y or x hangs up"
	pending string // the row's marker while the request is in flight: "hanging up…"
	// marker is the row's marker where pending does not fit the state
	// column (13 cells, the glyph included): "transfer…"; "" means pending.
	marker    string
	done      string // a one-shot command's report: "hung up c1"
	doneTo    string // the status line's report before a name: "hung up on Alice"; "" means done
	doneAfter string // the status line's report after the name: "put Carol on hold"

	// prompt is the pane that asks something before the request is sent
	// (a reason, a yes); nil sends it at once.
	prompt func(m *Model) prompt
	// sendsOn: the request carries a target (actionArg.target, Arg.To),
	// which a one-shot command checks before sending and the target
	// picker keeps among the recent ones once it was sent; once accepted,
	// the row keeps its marker until the call ends or is given back.
	sendsOn bool

	// send makes the request. It runs in a command, never in Update.
	send func(ctx context.Context, p providers.Provider, id string, arg actionArg) error

	// states is the state rule of an action the contract does not define;
	// nil, as for every row below, means the contract's own rule
	// (providers.Action.AllowedIn), so that Call.Can and the console agree.
	states func(providers.State) bool
}

// actionArg is what a request carries besides its call: what its prompt
// asked for.
type actionArg struct {
	reason providers.RejectReason // reject: why
	target providers.Target       // an action that sends the call on: where to
}

// words is the argument as the status line adds it: " (busy)", " to Sales".
func (a actionArg) words() string {
	switch {
	case a.reason != "":
		return " (" + string(a.reason) + ")"
	case a.target != (providers.Target{}):
		return " to " + clean(a.target.String())
	}
	return ""
}

// actionTable is every action the console offers, in the order of the help.
var actionTable = []actionSpec{
	{
		action: providers.ActionAnswer, keys: []string{"a"}, help: "answer",
		verb: "answer", noun: "answer", pending: "answering…", done: "answered",
		send: func(ctx context.Context, p providers.Provider, id string, _ actionArg) error {
			return p.Answer(ctx, id)
		},
	},
	{
		action: providers.ActionReject, keys: []string{"r"}, help: "reject",
		verb: "reject", noun: "reject", pending: "rejecting…", done: "rejected",
		prompt: func(m *Model) prompt { return &m.picker },
		send: func(ctx context.Context, p providers.Provider, id string, arg actionArg) error {
			return p.Reject(ctx, id, arg.reason)
		},
	},
	{
		action: providers.ActionHangup, keys: []string{"x"}, help: "hang up",
		verb: "hangup", noun: "hang-up", does: "hangs up", pending: "hanging up…", done: "hung up", doneTo: "hung up on",
		prompt: func(m *Model) prompt { return &m.confirm },
		send: func(ctx context.Context, p providers.Provider, id string, _ actionArg) error {
			return p.Hangup(ctx, id)
		},
	},
	// t: a connected call is transferred, a ringing one redirected; the
	// call's state allows one of them at most, and that one takes the key.
	{
		action: providers.ActionTransfer, keys: []string{"t"}, help: "transfer",
		verb: "transfer", noun: "transfer", pending: "transferring…", marker: "transfer…", done: "transferred",
		prompt: func(m *Model) prompt { return &m.target }, sendsOn: true,
		send: func(ctx context.Context, p providers.Provider, id string, arg actionArg) error {
			return p.Transfer(ctx, id, arg.target)
		},
	},
	{
		action: providers.ActionRedirect, keys: []string{"t"}, help: "redirect",
		verb: "redirect", noun: "redirect", pending: "redirecting…", marker: "redirect…", done: "redirected",
		prompt: func(m *Model) prompt { return &m.target }, sendsOn: true,
		send: func(ctx context.Context, p providers.Provider, id string, arg actionArg) error {
			return p.Redirect(ctx, id, arg.target)
		},
	},
	// h: hold an active call, take a held one back.
	{
		action: providers.ActionHold, keys: []string{"h"}, help: "hold",
		verb: "hold", noun: "hold", pending: "holding…", done: "put on hold", doneTo: "put", doneAfter: " on hold",
		send: func(ctx context.Context, p providers.Provider, id string, _ actionArg) error {
			return p.Hold(ctx, id)
		},
	},
	{
		action: providers.ActionResume, keys: []string{"h"}, help: "resume",
		verb: "resume", noun: "resume", pending: "resuming…", done: "resumed",
		send: func(ctx context.Context, p providers.Provider, id string, _ actionArg) error {
			return p.Resume(ctx, id)
		},
	},
}

// specOf is a's row of the table, or nil.
func specOf(a providers.Action) *actionSpec {
	for i := range actionTable {
		if actionTable[i].action == a {
			return &actionTable[i]
		}
	}
	return nil
}

// Arg is what a one-shot request carries besides its call: the reason of a
// reject, the target of a transfer or redirect.
type Arg struct {
	Reason providers.RejectReason
	To     providers.Target
}

// Perform sends action a on call id to p, as the console's key for it does.
// The one-shot commands use it. A target p cannot reach is refused here,
// before anything is sent, as the console's picker refuses it.
func Perform(ctx context.Context, p providers.Provider, a providers.Action, id string, arg Arg) error {
	s := specOf(a)
	if s == nil {
		return errors.New("ringside has no action " + a.String())
	}
	if s.sendsOn {
		if err := CheckTarget(p, arg.To); err != nil {
			return fmt.Errorf("%s %s: %w", s.verb, id, err)
		}
	}
	return s.send(ctx, p, id, actionArg{reason: arg.Reason, target: arg.To})
}

// DoneWord is how a one-shot command reports action a done: "answered",
// "hung up".
func DoneWord(a providers.Action) string {
	if s := specOf(a); s != nil {
		return s.done
	}
	return a.String() + " sent"
}

// allowedIn applies the action's state rule.
func (s *actionSpec) allowedIn(st providers.State) bool {
	if s.states != nil {
		return s.states(st)
	}
	return s.action.AllowedIn(st)
}

// can reports whether the call allows the action now: offered by the
// provider and in a state that allows it (Call.Can for contract actions).
func (s *actionSpec) can(c *providers.Call) bool {
	return c.Caps.Has(s.action) && s.allowedIn(c.State)
}

// doneWords is the status line's report before the caller's name.
func (s *actionSpec) doneWords() string {
	if s.doneTo != "" {
		return s.doneTo
	}
	return s.done
}

// rowMarker is what the row says while the request is in flight.
func (s *actionSpec) rowMarker() string {
	if s.marker != "" {
		return s.marker
	}
	return s.pending
}

// boundAction is a row as one console uses it: with its key binding, which
// updateKeys switches on and off for the selected call.
type boundAction struct {
	*actionSpec
	key     key.Binding
	offered bool // the provider can ever do it; otherwise the key is gone
}

// addAction gives the console the action of row s: its key, and its place
// at the end of the action keys in the help. An action the provider never
// offers (Provider.Offers) has no key at all, as every action has none on a
// read-only console.
func (m *Model) addAction(s *actionSpec) {
	a := boundAction{actionSpec: s, offered: true}
	if m.cfg.Provider != nil {
		a.offered = m.cfg.Provider.Offers().Has(s.action)
	}
	label := s.help
	if s.prompt != nil {
		label = s.prompt(m).label(m, s)
	}
	a.key = key.NewBinding(key.WithKeys(s.keys...), key.WithHelp(s.keys[0], label))
	if m.cfg.ReadOnly || !a.offered {
		// Not merely disabled: nothing to press by mistake, nothing in
		// the help.
		a.key.Unbind()
	}
	m.actions = append(m.actions, a)
}

// spec is the console's row for action a, or nil.
func (m *Model) spec(a providers.Action) *actionSpec {
	for i := range m.actions {
		if m.actions[i].action == a {
			return m.actions[i].actionSpec
		}
	}
	return nil
}

// pendingWord is what a request for a in flight is called.
func (m *Model) pendingWord(a providers.Action) string {
	if s := m.spec(a); s != nil {
		return s.pending
	}
	return "working…"
}

// markerWord is what the row says while a request for a is in flight.
func (m *Model) markerWord(a providers.Action) string {
	if s := m.spec(a); s != nil {
		return s.rowMarker()
	}
	return "working…"
}

// onActionKey handles a key that may be an action's: an enabled binding acts
// on the selected call (asking first where the row says so); the key of an
// action that is switched off says why. It reports whether the key was one.
func (m *Model) onActionKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	for i := range m.actions {
		a := &m.actions[i]
		if !key.Matches(msg, a.key) {
			continue
		}
		if m.justMoved() {
			// The call under the cursor changed by itself a moment ago;
			// the key was most likely meant for the call that left.
			m.say(statusError, "the selection just moved to "+m.whoFor(m.sel[tabLive].id)+" · press again to act on it")
			m.moved = movedSelection{}
			return nil, true
		}
		r := m.selected()
		if r == nil {
			return nil, true
		}
		if a.prompt != nil {
			return a.prompt(m).ask(m, a.actionSpec, r.call.ID()), true
		}
		return m.submit(a.actionSpec, r.call.ID(), actionArg{}), true
	}
	if a := m.explainable(msg.String()); a != nil {
		m.explain(a)
		return nil, true
	}
	return nil, false
}

// explainable is the row whose reason a switched-off key gives. Of rows
// sharing the key (t: transfer and redirect), the one the selected call's
// state is for speaks, offered or not: a ringing call is told about
// redirect ("genesys cannot redirect"), not about transfer.
func (m *Model) explainable(typed string) *boundAction {
	var first, offered *boundAction
	r := m.selected()
	for i := range m.actions {
		a := &m.actions[i]
		if !slices.Contains(a.keys, typed) {
			continue
		}
		if r != nil && a.allowedIn(r.call.State()) {
			return a
		}
		if first == nil {
			first = a
		}
		if offered == nil && a.offered {
			offered = a
		}
	}
	if offered != nil {
		return offered
	}
	return first
}

// explain says why an action key that is switched off did nothing: the key
// is not in the help, but a person pressing it deserves a reason.
func (m *Model) explain(a *boundAction) {
	r := m.selected()
	switch {
	case m.cfg.ReadOnly:
		m.say(statusInfo, "read-only console: no "+m.actionNouns())
	case !a.offered:
		m.say(statusInfo, m.providerName()+" cannot "+a.verb)
	case m.tab == tabHistory:
		m.say(statusInfo, "ended calls cannot be acted on · tab goes back to live calls")
	case m.tab == tabQueues:
		m.say(statusInfo, "the queues view acts on no call · enter lists the selected queue's calls")
	case r == nil:
		m.say(statusInfo, "no call selected")
	default:
		if ok, why := m.allowed(r, a.actionSpec); !ok {
			m.say(statusInfo, m.whoFor(r.call.ID())+" "+why)
		}
	}
}

// actionNouns lists what the console can do: "answer, reject or hang-up".
func (m *Model) actionNouns() string {
	var b strings.Builder
	for i := range m.actions {
		switch {
		case i == 0:
		case i == len(m.actions)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(m.actions[i].noun)
	}
	return b.String()
}

// allowed reports whether action s may be requested for r now, and if not,
// why, in words that follow the caller's name ("has ended (busy)").
func (m *Model) allowed(r *row, s *actionSpec) (bool, string) {
	if r == nil {
		return false, "is gone"
	}
	view := r.view()
	c := &view
	// An action on a ringing call is bounded by its answer window too.
	forRinging := s.allowedIn(providers.StateRinging)
	switch {
	case m.cfg.ReadOnly:
		return false, "cannot be acted on: this console is read-only"
	case r.busy(m.now):
		return false, "already has a request in flight (" + m.pendingWord(r.pendingAct()) + ")"
	case c.State == providers.StateEnded:
		return false, "has ended (" + endWords(c) + ")"
	case forRinging && c.State != providers.StateRinging && !s.allowedIn(c.State):
		return false, "is no longer ringing (now " + stateWord(c.State) + ")"
	case forRinging && c.State == providers.StateRinging && countdownAt(c, m.now, 1).expired():
		return false, "is no longer ringing: the answer window has closed"
	case !s.can(c):
		return false, "does not allow " + s.verb + " now"
	}
	return true, ""
}

// submit re-checks the call at the moment of action (it may have ended,
// timed out or been answered elsewhere since a prompt opened) and only then
// returns the request as a command.
func (m *Model) submit(s *actionSpec, id string, arg actionArg) tea.Cmd {
	r := m.store.get(id)
	if ok, why := m.allowed(r, s); !ok {
		m.say(statusError, m.whoFor(id)+" "+why+" · nothing sent")
		return nil
	}
	if m.cfg.Provider == nil {
		m.say(statusError, "no provider to send "+s.verb+" to")
		return nil
	}
	a := r.more()
	a.pending, a.pendingAct, a.pendingVer = true, s.action, r.call.Version()
	who := clean(r.call.From().String())
	m.say(statusInfo, s.pending+" "+who+arg.words())
	p, parent, timeout := m.cfg.Provider, m.ctx, m.cfg.ActionTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		err := s.send(ctx, p, id, arg)
		if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			err = errTimeout{timeout: timeout, err: err}
		}
		return actionResultMsg{id: id, spec: s, arg: arg, who: who, err: err}
	}
}

// actionResultMsg is the end of a request: what was asked and how it went.
type actionResultMsg struct {
	id   string
	spec *actionSpec
	arg  actionArg
	who  string
	err  error
}

func (m *Model) onResult(msg actionResultMsg) tea.Cmd {
	s := msg.spec
	r := m.store.get(msg.id)
	if r != nil && r.aux != nil && r.aux.pending && r.aux.pendingAct == s.action {
		a := r.aux
		a.pending = false
		if msg.err == nil {
			// Done, but the provider's new snapshot may come a moment
			// after the reply: keep the marker until it does, so the
			// row never flashes back to what it was. If it came first,
			// the version has moved on already and the marker goes now.
			a.awaitVer, a.awaitUntil, a.sentOn = a.pendingVer, m.now.Add(awaitSnapshot), false
			if s.sendsOn {
				a.awaitUntil, a.sentOn = m.now.Add(sendOnSettle), true
				if m.sendingOn == nil {
					m.sendingOn = make(map[string]*actionSpec)
				}
				m.sendingOn[msg.id] = s
			}
		}
	}
	if msg.err != nil {
		if m.quitting {
			return nil
		}
		m.say(statusError, "could not "+s.verb+" "+msg.who+": "+msg.err.Error())
		return nil
	}
	var keep tea.Cmd
	if s.sendsOn {
		keep = m.target.used(msg.arg.target)
	}
	m.say(statusSuccess, s.doneWords()+" "+msg.who+s.doneAfter+msg.arg.words())
	return keep
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
