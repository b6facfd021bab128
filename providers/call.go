// Package providers is the contract between the call sources (demo, Microsoft
// Graph, Genesys) and the console. It speaks the user's language: calls with a
// state, parties, an answer deadline, what may be done to them now and why they
// ended. No wire type of any provider crosses this line.
//
// What the providers share but the console never sees lives in packages of
// its own beside this one: ledger (a provider's record of its calls) and
// jsonstream (the --json encoding), which import this package, and the
// rules for network text, HTTP and secrets (textsafe, httpguard, secretfile).
package providers

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"ringside/providers/textsafe"
)

// State is where a call is in its lifecycle, as the console shows it.
type State string

const (
	StateRinging    State = "ringing"    // offered to us; answer, reject or let it time out
	StateConnecting State = "connecting" // being set up (answered or dialled, media not yet up)
	StateActive     State = "active"     // talking
	StateHeld       State = "held"       // on hold
	StateEnding     State = "ending"     // tear-down under way
	StateEnded      State = "ended"      // gone; End says why
)

// States lists every state in lifecycle order.
var States = []State{StateRinging, StateConnecting, StateActive, StateHeld, StateEnding, StateEnded}

// Rank orders states along the lifecycle. A call never moves to a lower rank:
// late or reordered notifications (establishing after established, an update
// after the call was deleted) must not move it backwards. Active and held share
// a rank because a call moves between them both ways.
func (s State) Rank() int {
	switch s {
	case StateRinging:
		return 0
	case StateConnecting:
		return 1
	case StateActive, StateHeld:
		return 2
	case StateEnding:
		return 3
	case StateEnded:
		return 4
	}
	return -1
}

// Valid reports whether s is one of the defined states.
func (s State) Valid() bool { return s.Rank() >= 0 }

// Connected reports whether the call has been answered and not yet torn down.
func (s State) Connected() bool { return s == StateActive || s == StateHeld || s == StateConnecting }

// Live reports whether the call is still present (anything but ended).
func (s State) Live() bool { return s.Valid() && s != StateEnded }

// Direction says who placed the call.
type Direction string

const (
	Incoming Direction = "incoming"
	Outgoing Direction = "outgoing"
)

// PartyKind says what sort of endpoint a party is.
type PartyKind string

const (
	KindUser        PartyKind = "user"        // a Teams or directory user, an agent
	KindApplication PartyKind = "application" // a bot or application instance
	KindPhone       PartyKind = "phone"       // a PSTN number
	KindQueue       PartyKind = "queue"       // a call queue or routing point
	KindGuest       PartyKind = "guest"       // an anonymous or guest participant
	KindUnknown     PartyKind = ""            // the provider did not say
)

// Party is one end of a call.
type Party struct {
	Name string    // display name, may be empty
	ID   string    // phone number, user id or application id, may be empty
	Kind PartyKind // what sort of endpoint
}

// String is the party as a person reads it: the name, the number, or both.
// A party known only by a directory id (a GUID, as Teams sends for users
// without a display name) reads as a short label such as "Teams user ·3f9a2c":
// a bare GUID means nothing to a person and fills the column. The full id
// stays in ID for the details.
func (p Party) String() string {
	switch named := p.named(); {
	case named && p.ID != "" && p.Kind == KindPhone && p.Name != p.ID:
		return p.Name + " " + p.ID
	case named:
		return p.Name
	}
	raw := p.rawID()
	if raw == "" {
		return "unknown"
	}
	if hex, ok := guidHex(raw); ok && p.Kind != KindPhone {
		return labelWord(p.Kind) + " ·" + hex[:6]
	}
	return raw
}

// Labelled reports whether String shows a label made from the id (the
// party has no name and its id is a GUID): the full id should then be shown
// elsewhere, and a name is worth looking up.
func (p Party) Labelled() bool {
	if p.named() || p.Kind == KindPhone {
		return false
	}
	_, ok := guidHex(p.rawID())
	return ok
}

// rawID is what identifies a party without a name: its id, or failing that
// whatever stands in the name field (a GUID some sources put there).
func (p Party) rawID() string {
	if p.ID != "" {
		return p.ID
	}
	return p.Name
}

// named reports whether the party has a name a person can read: a GUID in
// the name field (some sources repeat the id there) is not one.
func (p Party) named() bool {
	if p.Name == "" {
		return false
	}
	_, isGUID := guidHex(p.Name)
	return !isGUID
}

// labelWord says what sort of party a label stands for.
func labelWord(k PartyKind) string {
	switch k {
	case KindUser:
		return "Teams user"
	case KindGuest:
		return "Guest"
	case KindApplication:
		return "App"
	case KindQueue:
		return "Queue"
	}
	return "Unnamed"
}

// guidHex returns the 32 hex digits of id, lower case, when id is a GUID:
// 8-4-4-4-12 or 32 digits without dashes, optionally in braces or behind a
// Teams routing prefix such as "8:orgid:" or "28:".
func guidHex(id string) (string, bool) {
	id = stripMRIPrefix(id)
	if len(id) == 38 && id[0] == '{' && id[37] == '}' {
		id = id[1:37]
	}
	dashed := len(id) == 36
	if !dashed && len(id) != 32 {
		return "", false
	}
	var b [32]byte
	n := 0
	for i := 0; i < len(id); i++ {
		c := id[i]
		if dashed && (i == 8 || i == 13 || i == 18 || i == 23) {
			if c != '-' {
				return "", false
			}
			continue
		}
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			c += 'a' - 'A'
		default:
			return "", false
		}
		b[n] = c
		n++
	}
	return string(b[:]), true
}

// stripMRIPrefix drops a Teams routing prefix ("8:orgid:", "8:teamsvisitor:",
// "28:"): digits, a colon, and optionally a lower-case word and a colon.
func stripMRIPrefix(id string) string {
	i := 0
	for i < len(id) && i < 3 && id[i] >= '0' && id[i] <= '9' {
		i++
	}
	if i == 0 || i >= len(id) || id[i] != ':' {
		return id
	}
	rest := id[i+1:]
	j := 0
	for j < len(rest) && j < 20 && rest[j] >= 'a' && rest[j] <= 'z' {
		j++
	}
	if j > 0 && j < len(rest) && rest[j] == ':' {
		return rest[j+1:]
	}
	return rest
}

// IsZero reports whether nothing is known about the party.
func (p Party) IsZero() bool { return p == Party{} }

// EndReason says why a call ended. Code and Subcode follow the Graph
// resultInfo numbering where the provider has codes (0 when it has none); Text
// is always words a person can read.
type EndReason struct {
	Code    int
	Subcode int
	Text    string
}

// IsZero reports whether no end reason is known.
func (e EndReason) IsZero() bool { return e == EndReason{} }

// String is the reason in words, with the codes when there are any. A
// subcode is shown even when the code is 0: Graph ends a transferred call
// with code 0 and subcode 7015, and the subcode is what tells such ends apart.
func (e EndReason) String() string {
	var codes string
	switch {
	case e.Subcode != 0:
		codes = strconv.Itoa(e.Code) + "/" + strconv.Itoa(e.Subcode)
	case e.Code != 0:
		codes = strconv.Itoa(e.Code)
	}
	switch {
	case e.Text != "" && codes != "":
		return e.Text + " (" + codes + ")"
	case e.Text != "":
		return e.Text
	case codes != "":
		return "code " + codes
	}
	return ""
}

// CallKind says what sort of call is being offered, where that changes how
// it is shown and how long it may ring.
type CallKind string

const (
	CallOrdinary  CallKind = ""          // a person (or a number) calling
	CallRecording CallKind = "recording" // a compliance-recording invite: a policy asks us to record someone's call
	CallMeeting   CallKind = "meeting"   // joining a scheduled or ad-hoc meeting
)

// Route says how a call reached us: what the caller dialled, where the
// platform routed it, for whom and through whom, and what sort of call it is.
// Every field is optional; a zero Route means the provider said nothing.
type Route struct {
	Kind       CallKind
	Dialled    Party // what the caller dialled: a number, a resource account, a user
	RoutedTo   Party // where the platform routed the call in the end
	OnBehalfOf Party // the user or account the call is for (delegation, a queue)
	Transferor Party // who transferred the call here
	Observed   Party // a recording invite: the participant whose call is recorded
	Organizer  Party // a meeting: who organised it
	// SourceParticipant is the participant id of the caller's leg on the
	// call (Graph's incomingContext.sourceParticipantId): what Graph's
	// participant lists and a recording invite's observed participant
	// refer to.
	SourceParticipant string
}

// IsZero reports whether nothing is known about the route.
func (r Route) IsZero() bool { return r == Route{} }

// Call is a full snapshot of one call. Providers send a fresh snapshot on
// every change; the console replaces what it had when Version is newer.
type Call struct {
	ID        string
	Provider  string
	State     State
	Direction Direction
	From      Party // the caller
	To        Party // the callee: us, an agent, a bot
	Queue     string
	// Queue is the queue, DNIS or routing point the call came through, if any.

	Route Route // how the call reached us, and what sort of call it is

	Modalities []string // audio, video, data, videoBasedScreenSharing…
	Region     string   // media region of the caller, if known

	Arrived  time.Time // when the call was first seen
	AnswerBy time.Time // deadline to answer a ringing call; zero if none
	Answered time.Time // when it was answered; zero if never
	Ended    time.Time // when it ended; zero while live

	End  EndReason    // why it ended (only for ended calls)
	Caps Capabilities // which actions are allowed right now
	// RingOut is what the switch does to the agent when this call rings
	// until its ring timeout unanswered (set Not Ready, log out), so the
	// console can say so before and after. Only a provider whose platform
	// says it sets it (Genesys); it stays on the call once it has ended.
	RingOut RingOut

	// Outcome classifies an ended call for counts and history. Providers set
	// it when they know (a reject they sent); Result derives it otherwise.
	Outcome Outcome

	// Version grows with every change the provider makes to this call, so a
	// late or duplicated snapshot never overwrites a newer one.
	Version uint64
}

// RingOut is what the switch does to the agent when a ringing call is left
// unanswered until its ring timeout: T-Server's no-answer action. It is a
// byte so that it costs a call nothing (it sits in Caps' padding).
type RingOut uint8

const (
	RingOutNone     RingOut = iota // nothing: the agent stays as they were
	RingOutNotReady                // the switch sets the agent Not Ready
	RingOutLogOut                  // the switch logs the agent out
)

// ringOutWords are each value's words: in the stream, what the switch
// does and what it did, as the agent reads them; "" for none.
var ringOutWords = [...]struct{ name, effect, done string }{
	{},
	{"not_ready", "sets you Not Ready", "set you Not Ready"},
	{"log_out", "logs you out", "logged you out"},
}

// words is r's words, none's for a value this build does not know.
func (r RingOut) words() (w struct{ name, effect, done string }) {
	if int(r) < len(ringOutWords) {
		w = ringOutWords[r]
	}
	return w
}

// String is the value's word in the JSON stream ("not_ready", "log_out"),
// "" for none and for a value this build does not know.
func (r RingOut) String() string { return r.words().name }

// Effect says what the switch does, as the agent reads it: "sets you Not
// Ready", "logs you out"; "" for none.
func (r RingOut) Effect() string { return r.words().effect }

// Done says what the switch did, once the call has rung out: "set you Not
// Ready", "logged you out"; "" for none.
func (r RingOut) Done() string { return r.words().done }

// ParseRingOut reads a value by its word in the stream; "" is none, and a
// word it does not know is none and not ok.
func ParseRingOut(s string) (RingOut, bool) {
	for r, w := range ringOutWords {
		if w.name == s {
			return RingOut(r), true
		}
	}
	return RingOutNone, false
}

// Clone returns a copy that shares no memory with c.
func (c Call) Clone() Call {
	c.Modalities = slices.Clone(c.Modalities)
	return c
}

// cleanText cleans every piece of text of c a person reads with
// textsafe.Line, in place: every event of every call comes through here,
// and a Call is several hundred bytes to copy. The id is left alone:
// providers accept only ids of a safe alphabet (CheckCallID), and the
// console must act on the id the server uses.
func (c *Call) cleanText() {
	c.From.cleanText()
	c.To.cleanText()
	r := &c.Route
	for _, p := range [...]*Party{&r.Dialled, &r.RoutedTo, &r.OnBehalfOf, &r.Transferor, &r.Observed, &r.Organizer} {
		p.cleanText()
	}
	r.SourceParticipant = textsafe.Line(r.SourceParticipant)
	c.Queue, c.Region, c.End.Text = textsafe.Line(c.Queue), textsafe.Line(c.Region), textsafe.Line(c.End.Text)
	for i, m := range c.Modalities {
		c.Modalities[i] = textsafe.Line(m)
	}
}

func (p *Party) cleanText() {
	p.Name, p.ID = textsafe.Line(p.Name), textsafe.Line(p.ID)
}

// Can reports whether action a is allowed on the call now: the provider must
// offer it and the call's state must allow it. CheckAction says why not.
func (c Call) Can(a Action) bool { return c.Caps.Has(a) && a.AllowedIn(c.State) }

// Remaining is the time left to answer at now; zero when there is no deadline
// or it has passed.
func (c Call) Remaining(now time.Time) time.Duration {
	if c.AnswerBy.IsZero() {
		return 0
	}
	return max(c.AnswerBy.Sub(now), 0)
}

// Duration is how long the call has been connected at now (or was, if ended).
func (c Call) Duration(now time.Time) time.Duration {
	if c.Answered.IsZero() {
		return 0
	}
	end := now
	if !c.Ended.IsZero() {
		end = c.Ended
	}
	return max(end.Sub(c.Answered), 0)
}

// Outcome is how a call ended, as a supervisor counts it.
type Outcome string

const (
	OutcomeNone     Outcome = ""         // still live, or not yet classified
	OutcomeHandled  Outcome = "handled"  // answered, then ended
	OutcomeRejected Outcome = "rejected" // turned down from the console or by our side
	OutcomeMissed   Outcome = "missed"   // rang out, or the caller gave up
	// OutcomeElsewhere: another agent or device answered it first, so the
	// caller was served, though not from here. Providers set it only when
	// they know; an unanswered end they cannot tell apart stays missed.
	OutcomeElsewhere Outcome = "elsewhere"
	// OutcomeTransferred: sent on from here, a ringing call redirected or a
	// connected one transferred; End.Text says where to.
	OutcomeTransferred Outcome = "transferred"
)

// Result is the call's outcome: the provider's if it set one, otherwise
// derived (answered → handled, ended unanswered → missed); none while live.
func (c Call) Result() Outcome { return ResultOf(&c) }

// ResultOf is c.Result() read through a pointer, without copying the call
// for the method's receiver: for paths that take many calls.
func ResultOf(c *Call) Outcome {
	switch {
	case c.State != StateEnded:
		return OutcomeNone
	case c.Outcome != OutcomeNone:
		return c.Outcome
	case !c.Answered.IsZero():
		return OutcomeHandled
	}
	return OutcomeMissed
}

// Action is something the console can do to a call.
type Action uint8

const (
	ActionAnswer Action = iota
	ActionReject
	ActionHangup
	ActionTransfer // a connected call, blind, to a Target
	ActionRedirect // a ringing call, before it is answered, to a Target
	ActionHold     // an active call
	ActionResume   // a held call

	lastAction = ActionResume
)

// Actions lists every action in a fixed order.
var Actions = []Action{ActionAnswer, ActionReject, ActionHangup, ActionTransfer, ActionRedirect, ActionHold, ActionResume}

var actionNames = [...]string{"answer", "reject", "hangup", "transfer", "redirect", "hold", "resume"}

// AllowedIn reports whether a call in state s allows action a at all,
// whatever the provider offers: answer and reject only while it rings, hang
// up only once it is connected. A new action adds its states here.
func (a Action) AllowedIn(s State) bool {
	switch a {
	case ActionAnswer, ActionReject, ActionRedirect:
		return s == StateRinging
	case ActionHangup:
		return s.Connected()
	case ActionTransfer:
		return s == StateActive || s == StateHeld
	case ActionHold:
		return s == StateActive
	case ActionResume:
		return s == StateHeld
	}
	return false
}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "action(" + strconv.Itoa(int(a)) + ")"
}

// ParseAction reads an action by its name ("answer", "transfer"…).
func ParseAction(name string) (Action, bool) {
	for a, n := range actionNames {
		if n == name {
			return Action(a), true
		}
	}
	return 0, false
}

// Capabilities is the set of actions a provider offers on a call right now.
type Capabilities uint8

// Caps builds a capability set.
func Caps(actions ...Action) Capabilities {
	var c Capabilities
	for _, a := range actions {
		c |= 1 << a
	}
	return c
}

// Has reports whether a is in the set.
func (c Capabilities) Has(a Action) bool { return c&(1<<a) != 0 }

// Names lists the actions in the set, in a fixed order.
func (c Capabilities) Names() []string {
	names := []string{}
	for a := ActionAnswer; a <= lastAction; a++ {
		if c.Has(a) {
			names = append(names, a.String())
		}
	}
	return names
}

// RejectReason is why we turn a ringing call down, as Graph's reject takes it.
type RejectReason string

const (
	ReasonNone      RejectReason = "none"
	ReasonBusy      RejectReason = "busy"
	ReasonForbidden RejectReason = "forbidden"
)

// RejectReasons lists the reasons in the order the picker shows them.
var RejectReasons = []RejectReason{ReasonNone, ReasonBusy, ReasonForbidden}

// Describe says what turning a call down with r tells the caller, for the
// reason picker; "" for a reason it does not know.
func (r RejectReason) Describe() string {
	switch r {
	case ReasonNone:
		return "decline without giving a reason"
	case ReasonBusy:
		return "tell the caller we are busy"
	case ReasonForbidden:
		return "refuse the call: the caller may not call here"
	}
	return ""
}

// ParseRejectReason reads a reason without regard to case.
func ParseRejectReason(s string) (RejectReason, bool) {
	r := RejectReason(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(RejectReasons, r) {
		return r, true
	}
	return "", false
}

// MaxCallIDLen is the longest call id accepted. Graph's are 36 characters,
// GWS's 32; the margin is for providers to come.
const MaxCallIDLen = 128

// ErrBadCallID is wrapped by CheckCallID's errors.
var ErrBadCallID = errors.New("not a valid call id")

// CheckCallID accepts only ids that are safe to put in a URL path, a log and
// a terminal as they are: 1 to MaxCallIDLen letters and digits (ASCII), with
// '-', '_' and '.' between them. Providers check every id they decode and
// every id they are asked to act on, so that "..", "a/b" or an id carrying
// escape sequences never reaches a request (".." survives url.PathEscape and
// would turn …/calls/../answer into …/answer) nor the screen.
func CheckCallID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: it is empty", ErrBadCallID)
	case len(id) > MaxCallIDLen:
		return fmt.Errorf("%w: it is longer than %d characters", ErrBadCallID, MaxCallIDLen)
	}
	alnum := false
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			alnum = true
		case c == '-' || c == '_' || c == '.':
		default:
			return fmt.Errorf("%w: %q has a character other than letters, digits, '-', '_' and '.'", ErrBadCallID, textsafe.Cut(textsafe.Clean(id), 40))
		}
	}
	if !alnum {
		return fmt.Errorf("%w: %q has no letter or digit", ErrBadCallID, id)
	}
	return nil
}
