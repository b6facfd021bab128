package providers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"ringside/providers/textsafe"
)

// Link is the state of a provider's connection to its source of calls.
type Link string

const (
	LinkConnecting   Link = "connecting"   // first connection under way
	LinkLive         Link = "live"         // events are flowing
	LinkReconnecting Link = "reconnecting" // lost; trying again (Detail says why)
	LinkFailed       Link = "failed"       // given up (Detail says why); Run returns
)

// Status is a provider's connection status. Providers send the whole status
// each time it changes.
type Status struct {
	Link   Link
	Detail string // why it is reconnecting or failed, or where it listens
	// Warning is a standing caution the header must always show, e.g. that
	// inbound authentication is switched off.
	Warning string
	// Agent is the agent's own state where the provider has one
	// ("Ready", "Not Ready · DND"); empty otherwise.
	Agent string
}

// Event is one thing a provider reports: a call changed (Call is a full
// snapshot) or its connection status changed (Status).
type Event struct {
	Time   time.Time
	Call   *Call
	Status *Status
}

// CallEvent wraps a snapshot of c as an event at t. Its text is cleaned on the
// way (see cleanText), so no name a server sent reaches a screen, a log or the
// JSON stream with escape sequences or invisible characters in it.
func CallEvent(t time.Time, c Call) Event {
	// c is this event's own copy: cloned and cleaned where it stands.
	c.Modalities = slices.Clone(c.Modalities)
	c.cleanText()
	return Event{Time: t, Call: &c}
}

// StatusEvent wraps s as an event at t, its text cleaned as CallEvent's is:
// details and warnings often quote what a server said.
func StatusEvent(t time.Time, s Status) Event {
	s.Detail, s.Warning, s.Agent = textsafe.Line(s.Detail), textsafe.Line(s.Warning), textsafe.Line(s.Agent)
	return Event{Time: t, Status: &s}
}

// Sink is where a provider sends its events. It is a bounded channel: a
// provider blocks when the console falls behind, and the console drains
// everything queued in one go.
type Sink = chan<- Event

// Emit sends ev to sink unless ctx ends first; it reports whether ev was sent.
func Emit(ctx context.Context, sink Sink, ev Event) bool {
	select {
	case sink <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// Provider is a source of calls that can also act on them.
//
// Run feeds events to sink until ctx ends (then returns nil) or the provider
// gives up (then it sends a LinkFailed status and returns the error). The
// action methods may be called from any goroutine while Run is going, and
// return errors that say what happened in words; they wrap ErrNotFound,
// ErrEnded, ErrNotAllowed or a *RefusedError where one of those is the
// cause. Before sending an action for a call it knows, a provider checks it
// with CheckAction, so that every provider refuses the same things with the
// same errors.
type Provider interface {
	Name() string
	Run(ctx context.Context, sink Sink) error
	Answer(ctx context.Context, id string) error
	Reject(ctx context.Context, id string, reason RejectReason) error
	Hangup(ctx context.Context, id string) error
	// Transfer hands a connected call (active or held) to target, blind:
	// the call leaves us once the target has it. Redirect sends a ringing
	// call to target before it is answered. Hold and Resume put an active
	// call on hold and take it back. Each checks the call first
	// (CheckAction), so a provider without the action refuses it in words.
	Transfer(ctx context.Context, id string, to Target) error
	Redirect(ctx context.Context, id string, to Target) error
	Hold(ctx context.Context, id string) error
	Resume(ctx context.Context, id string) error
	// Address is what the provider would send a transfer or redirect to
	// for t (an identity or a number), or why it cannot reach t: Teams
	// invites a directory id or an E.164 number, GWS dials a number of its
	// switch. The console asks before it sends anything.
	Address(t Target) (string, error)
	// Offers is every action the provider may ever offer on a call (the
	// console hides the keys of the others): Graph has no hold, GWS no
	// redirect.
	Offers() Capabilities
	// RejectReasons lists the reasons Reject accepts, in picker order. An
	// empty list means the provider's reject takes no reason (Genesys), so
	// the console skips the picker; Reject then ignores its reason.
	RejectReasons() []RejectReason
}

// Rechecker is implemented by providers that can find out what became of
// calls an earlier run reported live (a relay that restarts hands over the
// live calls of its board). Recheck is called while Run is going, after Run
// has reported LinkLive. For each call the provider does not already know,
// it asks its source and reports the answer through Run's sink as a
// CallEvent: the call's current snapshot if it is still live, or the given
// call ended (State ended, Ended set, End.Text saying it ended while nobody
// was watching; see EndedUnwatched) if the source no longer has it. Calls it
// already knows are left alone. Either snapshot has a Version above the given
// call's, so that it replaces what the earlier run sent. It returns when every
// call has been reported or ctx ends; an error (a *RecheckError where single
// calls failed) says which calls could not be checked and why (they are left
// as they were, so the caller can try again).
type Rechecker interface {
	Recheck(ctx context.Context, calls []Call) error
}

var (
	// ErrNotFound: the call does not exist (any more) at the provider.
	// ErrEnded (action.go) is the case of a call known to have ended.
	ErrNotFound = errors.New("call not found")
	// ErrNotAllowed: the action is not allowed in the call's current state.
	ErrNotAllowed = errors.New("not allowed in the call's current state")
)

// RefusedError is a refusal from the provider's server, in its own words.
type RefusedError struct {
	Status    int    // HTTP status, if the refusal came over HTTP
	Code      string // the server's error code, if any
	Message   string // the server's message
	RequestID string // the server's request id, for support
}

// Error says what the server said, cleaned (textsafe.Line): its words reach
// stderr, the status line and the log.
func (e *RefusedError) Error() string {
	code, message, requestID := textsafe.Line(e.Code), textsafe.Line(e.Message), textsafe.Line(e.RequestID)
	msg := "refused by the server"
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if code != "" {
		msg += ": " + code
		if message != "" {
			msg += " " + message
		}
	} else if message != "" {
		msg += ": " + message
	}
	if requestID != "" {
		msg += " [request-id " + requestID + "]"
	}
	return msg
}

// AgentState is what an agent tells the contact centre about themselves:
// ready for calls, not ready (with a reason where the centre has them), or
// wrapping up after a call.
type AgentState string

const (
	AgentReady         AgentState = "ready"
	AgentNotReady      AgentState = "not-ready"
	AgentAfterCallWork AgentState = "after-call-work"
)

// AgentStates lists the states in the order menus show them.
var AgentStates = []AgentState{AgentReady, AgentNotReady, AgentAfterCallWork}

// ParseAgentState reads a state as the command line spells it
// (ready, not-ready, after-call-work), without regard to case.
func ParseAgentState(s string) (AgentState, bool) {
	a := AgentState(strings.ToLower(strings.TrimSpace(s)))
	return a, slices.Contains(AgentStates, a)
}

// AgentChoice is one entry of the agent-state menu: a state and, for not
// ready, an optional reason the contact centre defines (Code is what is
// sent, Label what the agent reads).
type AgentChoice struct {
	State AgentState
	Code  string
	Label string
}

// AgentControl is implemented by providers where the agent has a state of
// their own (Genesys; the demo simulates one). The result of a change
// arrives as a Status with the new Agent text, as any change of it does.
type AgentControl interface {
	// AgentChoices lists what the agent may choose now, reasons included.
	AgentChoices(ctx context.Context) ([]AgentChoice, error)
	// SetAgentState asks for choice; an unknown reason code is refused.
	SetAgentState(ctx context.Context, choice AgentChoice) error
}
