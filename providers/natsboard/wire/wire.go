// Package wire is the board as it lies in NATS: the bucket a relay keeps it
// in, the keys and their values, the subjects actions travel on, and the
// words of a reply. The relay writes it and the console reads it; other
// tools read it with the standard nats CLI, so everything here is plain
// JSON under names a person can type.
//
// One board is one JetStream key-value bucket, "ringside-<board>":
//
//	calls.<id>   a call, the same JSON object as a "call" line of --json
//	             ('.' in an id is written '=', which no id contains)
//	status       the relay's provider status, a "status" line of --json
//	board        what the board offers (Meta)
//	relay        the lease of the relay that owns the board (Lease); it
//	             expires LeaseTTL after that relay stops renewing it
//
// Actions are NATS requests to "ringside.<board>.act.<action>", served by
// the owning relay as a NATS micro service. A request is a Request; a
// reply is {"ok":true} (with the agent's choices for agent-choices) or a
// micro error whose code says the kind (see the Code constants) and whose
// description is the provider's own words.
package wire

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"ringside/providers"
	"ringside/providers/textsafe"
)

// Keys of a board's bucket other than the calls.
const (
	KeyLease  = "relay"
	KeyMeta   = "board"
	KeyStatus = "status"
	// CallPrefix starts every call's key; CallsPattern watches them all.
	CallPrefix   = "calls."
	CallsPattern = "calls.*"
)

// Timing of the lease. The relay renews it every RenewEvery, and each
// renewal is a write every console sees, so it is also the heartbeat that
// tells a console its watch is alive. A relay that dies is known to be gone
// LeaseTTL later (whole seconds: NATS keeps message TTLs in seconds).
const (
	LeaseTTL   = 5 * time.Second
	RenewEvery = time.Second
)

// Limits of what is stored and sent.
const (
	// MaxValue bounds a value in the bucket: a call is under 2 KiB.
	MaxValue = 64 << 10
	// MaxRequest bounds an action request and a reply.
	MaxRequest = 8 << 10
	// DefaultHistory is how long an ended call stays on the board.
	DefaultHistory = 24 * time.Hour
	// DefaultHistoryMax is how many ended calls the board keeps at most.
	DefaultHistoryMax = 5000
)

// ServiceName and ServiceVersion name the relay's NATS micro service
// ($SRV.PING.ringside-relay finds every relay).
const (
	ServiceName    = "ringside-relay"
	ServiceVersion = "1.0.0"
)

// Action endpoints beyond the call actions (whose names are the actions'
// own: answer, reject, hangup, transfer, redirect, hold, resume).
const (
	EndpointAgentChoices = "agent-choices"
	EndpointAgentState   = "agent-state"
)

// DeadlineHeader carries how many milliseconds the console still waits for
// the reply, so the relay never acts after the console has given up.
const DeadlineHeader = "Ringside-Deadline-Ms"

var boardName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// CheckBoard says whether name can name a board: letters, digits, '-' and
// '_', at most 64 (a bucket name and one subject token at once).
func CheckBoard(name string) error {
	if !boardName.MatchString(name) {
		return fmt.Errorf("board name %q: use 1 to 64 letters, digits, '-' or '_'", textsafe.Cut(name, 70))
	}
	return nil
}

// Bucket is the key-value bucket of a board.
func Bucket(board string) string { return "ringside-" + board }

// ActionGroup is the subject prefix of a board's actions.
func ActionGroup(board string) string { return "ringside." + board + ".act" }

// ActionSubject is the subject of one action on a board.
func ActionSubject(board, endpoint string) string { return ActionGroup(board) + "." + endpoint }

// ProbeSubject is published to (never served) by a console to learn, from
// NATS's permission check, whether its user may send actions at all.
func ProbeSubject(board string) string { return ActionSubject(board, "probe") }

// CallKey is the key of the call with id; the id must pass
// providers.CheckCallID. A KV key may hold '.', but not at either end or
// twice in a row, so '.' is written '=' (never in an id).
func CallKey(id string) string { return CallPrefix + strings.ReplaceAll(id, ".", "=") }

// CallID reads the id back from a call's key; ok is false for a key that is
// not a call's or holds an id no provider could have sent.
func CallID(key string) (id string, ok bool) {
	rest, found := strings.CutPrefix(key, CallPrefix)
	if !found {
		return "", false
	}
	id = strings.ReplaceAll(rest, "=", ".")
	if providers.CheckCallID(id) != nil {
		return "", false
	}
	return id, true
}

// Meta is what a board offers, written by its relay when it starts.
type Meta struct {
	Board         string   `json:"board"`
	Provider      string   `json:"provider"`
	Offers        []string `json:"offers"`
	RejectReasons []string `json:"reject_reasons"`
	AgentControl  bool     `json:"agent_control,omitempty"`
	// History is how long ended calls stay (a Go duration, "24h0m0s"),
	// HistoryMax how many at most.
	History    string `json:"history"`
	HistoryMax int    `json:"history_max"`
}

// Check says what is wrong with a Meta read from the bucket.
func (m Meta) Check() error {
	if err := CheckBoard(m.Board); err != nil {
		return err
	}
	if m.Provider == "" || len(m.Provider) > 32 {
		return errors.New("board record without a provider name")
	}
	if len(m.Offers) > 2*len(providers.Actions) || len(m.RejectReasons) > 16 {
		return errors.New("board record lists more actions or reasons than there are")
	}
	return nil
}

// Capabilities are the actions Offers names that this build knows.
func (m Meta) Capabilities() providers.Capabilities {
	var c providers.Capabilities
	for _, name := range m.Offers {
		if a, ok := providers.ParseAction(name); ok {
			c |= providers.Caps(a)
		}
	}
	return c
}

// Reasons are the reject reasons Meta lists that this build knows.
func (m Meta) Reasons() []providers.RejectReason {
	out := []providers.RejectReason{}
	for _, r := range m.RejectReasons {
		if reason, ok := providers.ParseRejectReason(r); ok {
			out = append(out, reason)
		}
	}
	return out
}

// Lease says which relay owns a board.
type Lease struct {
	// Relay is unique to one run of one relay.
	Relay string    `json:"relay"`
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

// NewLease describes this process as the owner of a board.
func NewLease(relayID string, now time.Time) Lease {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown host"
	}
	return Lease{Relay: relayID, Host: host, PID: os.Getpid(), Since: now.UTC()}
}

// String says who holds the lease, in words (cleaned: it came from NATS).
func (l Lease) String() string {
	return fmt.Sprintf("the relay on %s (pid %d, since %s)", textsafe.Line(textsafe.Cut(l.Host, 64)), l.PID,
		l.Since.Local().Format("2006-01-02 15:04:05"))
}

// Request is the body of an action request.
type Request struct {
	ID     string  `json:"id,omitempty"`
	Reason string  `json:"reason,omitempty"`
	Target *Target `json:"target,omitempty"`
	Choice *Choice `json:"choice,omitempty"`
}

// Target is a providers.Target on the wire.
type Target struct {
	Name          string `json:"name,omitempty"`
	Kind          string `json:"kind,omitempty"`
	GraphID       string `json:"graph_id,omitempty"`
	GraphTenantID string `json:"graph_tenant_id,omitempty"`
	Phone         string `json:"phone,omitempty"`
	GenesysNumber string `json:"genesys_number,omitempty"`
}

// TargetOf puts t on the wire.
func TargetOf(t providers.Target) *Target {
	return &Target{Name: t.Name, Kind: string(t.Kind), GraphID: t.GraphID, GraphTenantID: t.GraphTenantID,
		Phone: t.Phone, GenesysNumber: t.GenesysNumber}
}

// Target reads t back and checks it as every target is checked.
func (t *Target) Target() (providers.Target, error) {
	if t == nil {
		return providers.Target{}, fmt.Errorf("%w: no target given", providers.ErrBadTarget)
	}
	out := providers.Target{Name: t.Name, Kind: providers.TargetKind(t.Kind), GraphID: t.GraphID,
		GraphTenantID: t.GraphTenantID, Phone: t.Phone, GenesysNumber: t.GenesysNumber}
	if out == (providers.Target{}) {
		return out, fmt.Errorf("%w: no target given", providers.ErrBadTarget)
	}
	if err := out.Validate(); err != nil {
		return providers.Target{}, err
	}
	return out, nil
}

// Choice is a providers.AgentChoice on the wire.
type Choice struct {
	State string `json:"state"`
	Code  string `json:"code,omitempty"`
	Label string `json:"label,omitempty"`
}

// Reply is the body of a successful reply.
type Reply struct {
	OK      bool     `json:"ok"`
	Choices []Choice `json:"choices,omitempty"`
}

// Codes of an error reply (the Nats-Service-Error-Code header), one per
// kind of failure the contract knows.
const (
	CodeBadRequest = "400" // the request could not be read, or asked nothing valid
	CodeNotOwner   = "403" // the relay does not hold this board (any more)
	CodeNotFound   = "404" // providers.ErrNotFound
	CodeNotAllowed = "409" // providers.ErrNotAllowed
	CodeEnded      = "410" // providers.ErrEnded
	CodeBadTarget  = "422" // providers.ErrBadTarget
	CodeRefused    = "502" // a *providers.RefusedError; the body holds it
	CodeTimeout    = "504" // the provider did not answer in time
	CodeFailed     = "500" // anything else
)

// Refusal is a *providers.RefusedError on the wire: the body of a 502, or
// of another error reply whose kind a server's refusal said.
type Refusal struct {
	Status    int    `json:"status,omitempty"`
	Code      string `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// Classify is the code for err, and the refusal it carries if any. A
// server's refusal travels with the code of its kind too (Graph's "call
// not found" is a 404 from its server): the console then matches both, as
// the provider's own error does.
func Classify(err error) (code string, refusal *Refusal) {
	var refused *providers.RefusedError
	if errors.As(err, &refused) {
		refusal = &Refusal{Status: refused.Status, Code: refused.Code, Message: refused.Message, RequestID: refused.RequestID}
	}
	switch {
	case errors.Is(err, providers.ErrEnded):
		return CodeEnded, refusal
	case errors.Is(err, providers.ErrNotFound):
		return CodeNotFound, refusal
	case errors.Is(err, providers.ErrNotAllowed):
		return CodeNotAllowed, refusal
	case errors.Is(err, providers.ErrBadTarget):
		return CodeBadTarget, refusal
	case refusal != nil:
		return CodeRefused, refusal
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout, nil
	}
	return CodeFailed, nil
}

// MaxWords bounds the words of an error reply.
const MaxWords = 1024

// RelayError is an action's failure as the relay reported it: it reads as
// the provider's own words, and matches the contract's error of its kind
// (errors.Is(err, providers.ErrEnded), errors.As(err, **RefusedError)…),
// so a console on a board says and decides what a direct console would.
type RelayError struct {
	Code  string
	Words string
	kinds []error
}

func (e *RelayError) Error() string   { return e.Words }
func (e *RelayError) Unwrap() []error { return e.kinds }

// ErrorFrom rebuilds the error of an error reply. Its words are cleaned and
// bounded: they came over the network.
func ErrorFrom(code, words string, refusal *Refusal) *RelayError {
	e := &RelayError{Code: code, Words: textsafe.Line(textsafe.Cut(words, MaxWords))}
	switch code {
	case CodeEnded:
		e.kinds = append(e.kinds, providers.ErrEnded)
	case CodeNotFound:
		e.kinds = append(e.kinds, providers.ErrNotFound)
	case CodeNotAllowed:
		e.kinds = append(e.kinds, providers.ErrNotAllowed)
	case CodeBadTarget:
		e.kinds = append(e.kinds, providers.ErrBadTarget)
	case CodeTimeout:
		e.kinds = append(e.kinds, context.DeadlineExceeded)
	case CodeRefused:
		if refusal == nil {
			refusal = &Refusal{}
		}
	}
	if refusal != nil {
		e.kinds = append(e.kinds, &providers.RefusedError{Status: refusal.Status, Code: refusal.Code, Message: refusal.Message, RequestID: refusal.RequestID})
	}
	if e.Words == "" {
		e.Words = "the relay refused the action (code " + textsafe.Line(textsafe.Cut(code, 8)) + ")"
	}
	return e
}
