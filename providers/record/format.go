package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"ringside/providers"
	"ringside/providers/jsonstream"
	"ringside/providers/textsafe"
)

// Format is the version of the recording format this build writes and the
// newest it reads. A reader refuses a newer one rather than guess: a new
// line type or a changed meaning is a new format.
const Format = 1

// MaxLine bounds a line of a recording, newline included: a call is under
// 2 KiB, and the bound is the one a board's value has (64 KiB), so a
// recording never holds a line the console could not take from a board.
const MaxLine = 64 << 10

// Line types. "call" and "status" lines are exactly the lines of --json;
// "recording" is the header, "action" an action taken from this process.
const (
	TypeHeader = "recording"
	TypeCall   = "call"
	TypeStatus = "status"
	TypeAction = "action"
)

// Header is the first line of every recording.
type Header struct {
	Type     string    `json:"type"` // always TypeHeader
	Format   int       `json:"format"`
	Provider string    `json:"provider"`
	Ringside string    `json:"ringside"` // the version that wrote it
	Started  time.Time `json:"started"`  // offsets into the recording count from here
	// Redacted says names, numbers and ids were replaced by pseudonyms
	// (--record-redact).
	Redacted bool `json:"redacted,omitempty"`
}

// Results of an action line.
const (
	ResultOK    = "ok"
	ResultError = "error"
)

// ActionState is the action name of an agent-state change in an action
// line; the call actions go by providers.Action's names.
const ActionState = "state"

// Action is an action line: something this process asked the provider to
// do, and how it went.
type Action struct {
	Time   time.Time `json:"time"` // when the result came
	Type   string    `json:"type"` // always TypeAction
	Action string    `json:"action"`
	Call   string    `json:"call,omitempty"`
	Reason string    `json:"reason,omitempty"` // a reject's reason
	// Target is where a transfer or redirect went, as the status line
	// names it, and TargetKind what sort of target it is.
	Target     string `json:"target,omitempty"`
	TargetKind string `json:"target_kind,omitempty"`
	// State and Code are an agent-state change: the state and the
	// contact centre's reason code, if any.
	State  string `json:"state,omitempty"`
	Code   string `json:"code,omitempty"`
	Result string `json:"result"`
	// Error is the provider's words when Result is "error", and Kind
	// their sort (see ErrorKind).
	Error  string `json:"error,omitempty"`
	Kind   string `json:"kind,omitempty"`
	TookMS int64  `json:"took_ms"`
}

// Error kinds of an action line, from the contract's errors.
const (
	KindEnded      = "ended"
	KindNotFound   = "not-found"
	KindNotAllowed = "not-allowed"
	KindRefused    = "refused"
	KindBadTarget  = "bad-target"
	KindBadCallID  = "bad-call-id"
	KindTimeout    = "timeout"
	KindCanceled   = "canceled"
	KindOther      = "other"
)

// ErrorKind sorts an action's error by the contract's errors, the most
// precise first (an ended call is also not found).
func ErrorKind(err error) string {
	var refused *providers.RefusedError
	switch {
	case errors.Is(err, providers.ErrEnded):
		return KindEnded
	case errors.Is(err, providers.ErrNotFound):
		return KindNotFound
	case errors.Is(err, providers.ErrNotAllowed):
		return KindNotAllowed
	case errors.As(err, &refused):
		return KindRefused
	case errors.Is(err, providers.ErrBadTarget):
		return KindBadTarget
	case errors.Is(err, providers.ErrBadCallID):
		return KindBadCallID
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	}
	return KindOther
}

// Entry is one line of a recording after the header.
type Entry struct {
	Line int       // its line number, the header being line 1
	Time time.Time // when it happened, as recorded
	// Exactly one of Call, Status and Action is set. Text is as recorded:
	// clean it with providers.CallEvent or StatusEvent before showing it.
	Call     *providers.Call
	Status   *providers.Status
	Provider string // a status line's provider
	Action   *Action
}

// LineError is a line a reader could not take, with its number.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ErrCut is the error of a last line that stops short of its newline and
// is not a whole line: the recording was stopped while that line was being
// written. Everything before it is whole.
var ErrCut = errors.New("the last line is cut short (the recording stopped while writing it)")

// ErrNotRecording is wrapped by the error of a file whose first line is
// not a recording's header.
var ErrNotRecording = errors.New("not a ringside recording")

// envelope is what every line has: when, and what sort of line it is.
type envelope struct {
	Time json.RawMessage `json:"time"`
	Type *string         `json:"type"`
	Call json.RawMessage `json:"call"`
}

// decodeHeader reads the first line of a recording.
func decodeHeader(line []byte) (Header, error) {
	var env envelope
	if err := json.Unmarshal(line, &env); err != nil {
		return Header{}, fmt.Errorf("%w: the first line is not JSON (%s)", ErrNotRecording, describe(err))
	}
	switch {
	case env.Type == nil:
		return Header{}, fmt.Errorf("%w: the first line has no type; a recording starts with {\"type\":%q,…} (make one with --record)", ErrNotRecording, TypeHeader)
	case *env.Type == TypeCall || *env.Type == TypeStatus:
		return Header{}, fmt.Errorf("%w: the first line is a %s line of --json, not a recording's header (make one with --record)", ErrNotRecording, *env.Type)
	case *env.Type != TypeHeader:
		return Header{}, fmt.Errorf("%w: the first line is of type %q, not %q", ErrNotRecording, cut(*env.Type), TypeHeader)
	}
	var h Header
	if err := json.Unmarshal(line, &h); err != nil {
		return Header{}, fmt.Errorf("header: %s", describe(err))
	}
	switch {
	case h.Format > Format:
		return Header{}, fmt.Errorf("recording format %d is newer than this ringside reads (format %d): replay it with a newer ringside", h.Format, Format)
	case h.Format < 1:
		return Header{}, fmt.Errorf("header: format %d is not a recording format (this ringside reads format %d)", h.Format, Format)
	case strings.TrimSpace(h.Provider) == "":
		return Header{}, errors.New("header: no provider")
	case h.Started.IsZero():
		return Header{}, errors.New("header: no start time (\"started\")")
	}
	h.Provider = textsafe.Cut(textsafe.Line(h.Provider), 40)
	h.Ringside = textsafe.Cut(textsafe.Line(h.Ringside), 80)
	return h, nil
}

// decodeEntry reads one line after the header. Call and status lines are
// read by jsonstream's decoders, as a board's values are.
func decodeEntry(line []byte) (Entry, error) {
	var env envelope
	if err := json.Unmarshal(line, &env); err != nil {
		return Entry{}, errors.New(describe(err))
	}
	switch {
	case env.Type == nil:
		return Entry{}, errors.New("no type")
	case *env.Type == TypeHeader:
		return Entry{}, errors.New("a second header: two recordings joined into one file?")
	}
	at, err := lineTime(env.Time)
	if err != nil {
		return Entry{}, fmt.Errorf("a %s line %w", cut(*env.Type), err)
	}
	e := Entry{Time: at}
	switch *env.Type {
	case TypeCall:
		if len(env.Call) == 0 || string(env.Call) == "null" {
			return Entry{}, errors.New("a call line with no call")
		}
		c, err := jsonstream.UnmarshalCall(env.Call)
		if err != nil {
			return Entry{}, err
		}
		e.Call = &c
	case TypeStatus:
		provider, _, st, err := jsonstream.UnmarshalStatus(line)
		if err != nil {
			return Entry{}, err
		}
		e.Status, e.Provider = &st, provider
	case TypeAction:
		a, err := decodeAction(line)
		if err != nil {
			return Entry{}, err
		}
		e.Action = &a
	default:
		return Entry{}, fmt.Errorf("unknown line type %q (format %d has %s, %s and %s lines)", cut(*env.Type), Format, TypeCall, TypeStatus, TypeAction)
	}
	return e, nil
}

// lineTime reads a line's "time": an RFC 3339 time in a string.
func lineTime(raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, errors.New("with no time")
	}
	var at time.Time
	if err := json.Unmarshal(raw, &at); err != nil || at.IsZero() {
		return time.Time{}, errors.New(`whose field "time" is not an RFC 3339 time in a string`)
	}
	return at, nil
}

// decodeAction reads an action line and checks what it names.
func decodeAction(line []byte) (Action, error) {
	var a Action
	if err := json.Unmarshal(line, &a); err != nil {
		return Action{}, fmt.Errorf("action: %s", describe(err))
	}
	if _, ok := providers.ParseAction(a.Action); !ok && a.Action != ActionState {
		return Action{}, fmt.Errorf("action: unknown action %q", cut(a.Action))
	}
	if a.Call != "" {
		if err := providers.CheckCallID(a.Call); err != nil {
			return Action{}, fmt.Errorf("action %s: %w", a.Action, err)
		}
	}
	if a.Result != ResultOK && a.Result != ResultError {
		return Action{}, fmt.Errorf("action %s: result %q, want %q or %q", a.Action, cut(a.Result), ResultOK, ResultError)
	}
	return a, nil
}

// describe says what was wrong with a line without quoting much of it.
func describe(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("field %q is a JSON %s, want %s", cut(typeErr.Field), typeErr.Value, typeErr.Type)
	}
	return "not valid JSON: " + textsafe.Cut(textsafe.Line(err.Error()), 120)
}

// cut bounds a piece of a file's text quoted in an error.
func cut(s string) string { return textsafe.Cut(textsafe.Line(s), 40) }
