package jsonstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"ringside/providers"
)

// The decoders read what MarshalCall and MarshalEvent write, so another
// ringside (a console on a board a relay publishes) can take a call back
// from the stream's schema. They are as strict as the schema and no
// stricter: a field they do not know is skipped (a newer writer may add
// one), a known field of the wrong type is an error, and every list is
// bounded, so what a stranger sends costs at most MaxObject bytes to read.

// MaxObject is the largest call or event object the decoders accept.
const MaxObject = 64 << 10

// maxModalities bounds a call's modalities: Graph names five.
const maxModalities = 16

// UnmarshalCall decodes a "call" object, as MarshalCall writes it. The
// outcome it carries becomes Call.Outcome; the label of a party is derived
// again from its id, never read. Text is returned as sent: clean it with
// providers.CallEvent before showing it.
func UnmarshalCall(b []byte) (providers.Call, error) {
	if len(b) > MaxObject {
		return providers.Call{}, fmt.Errorf("call object of %d bytes, over the %d allowed", len(b), MaxObject)
	}
	var j jsonCall
	if err := strictDecode(b, &j); err != nil {
		return providers.Call{}, fmt.Errorf("call object: %w", err)
	}
	return fromJSONCall(&j)
}

// UnmarshalStatus decodes a status line, as MarshalEvent writes it: the
// provider it names, the status and when it was sent.
func UnmarshalStatus(b []byte) (provider string, at time.Time, st providers.Status, err error) {
	if len(b) > MaxObject {
		return "", time.Time{}, st, fmt.Errorf("status of %d bytes, over the %d allowed", len(b), MaxObject)
	}
	var j jsonEvent
	if err := strictDecode(b, &j); err != nil {
		return "", time.Time{}, st, fmt.Errorf("status: %w", err)
	}
	if j.Type != "status" {
		return "", time.Time{}, st, fmt.Errorf("status: type %q, want \"status\"", cut(j.Type))
	}
	switch j.Status {
	case providers.LinkConnecting, providers.LinkLive, providers.LinkReconnecting, providers.LinkFailed:
	default:
		return "", time.Time{}, st, fmt.Errorf("status: unknown link %q", cut(string(j.Status)))
	}
	st = providers.Status{Link: j.Status, Detail: j.Detail, Warning: j.Warning, Agent: j.Agent}
	return j.Provider, j.Time, st, nil
}

// strictDecode decodes one JSON object and nothing after it.
func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return describe(err)
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	return nil
}

// describe says what was wrong with a JSON text without quoting it.
func describe(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Errorf("field %q is a JSON %s, want %s", cut(typeErr.Field), typeErr.Value, typeErr.Type)
	}
	return fmt.Errorf("not valid JSON: %w", err)
}

func fromJSONCall(j *jsonCall) (providers.Call, error) {
	if err := providers.CheckCallID(j.ID); err != nil {
		return providers.Call{}, fmt.Errorf("call object: %w", err)
	}
	if !j.State.Valid() {
		return providers.Call{}, fmt.Errorf("call %s: unknown state %q", j.ID, cut(string(j.State)))
	}
	if len(j.Modalities) > maxModalities {
		return providers.Call{}, fmt.Errorf("call %s: %d modalities, at most %d", j.ID, len(j.Modalities), maxModalities)
	}
	if len(j.Capabilities) > 2*len(providers.Actions) {
		return providers.Call{}, fmt.Errorf("call %s: %d capabilities, at most %d", j.ID, len(j.Capabilities), 2*len(providers.Actions))
	}
	c := providers.Call{
		ID:        j.ID,
		Provider:  j.Provider,
		State:     j.State,
		Direction: known(j.Direction, providers.Incoming, providers.Outgoing),
		From:      fromJSONParty(&j.From),
		To:        fromJSONParty(&j.To),
		Queue:     j.Queue,
		Region:    j.Region,
		Arrived:   timeOf(j.Arrived),
		AnswerBy:  timeOf(j.AnswerBy),
		Answered:  timeOf(j.Answered),
		Ended:     timeOf(j.Ended),
		Outcome: known(j.Outcome, providers.OutcomeHandled, providers.OutcomeRejected,
			providers.OutcomeMissed, providers.OutcomeTransferred, providers.OutcomeElsewhere),
		Version: j.Version,
	}
	if len(j.Modalities) > 0 {
		c.Modalities = j.Modalities
	}
	if j.Route != nil {
		c.Route = fromJSONRoute(j.Route)
	}
	if j.End != nil {
		c.End = providers.EndReason{Subcode: j.End.Subcode, Text: j.End.Text}
		if j.End.Code != nil {
			c.End.Code = *j.End.Code
		}
	}
	// A word this build does not know is none: the call is kept.
	c.RingOut, _ = providers.ParseRingOut(j.RingOut)
	for _, name := range j.Capabilities {
		// An action this build does not know is one it cannot send.
		if a, ok := providers.ParseAction(name); ok {
			c.Caps |= providers.Caps(a)
		}
	}
	return c, nil
}

func fromJSONParty(p *jsonParty) providers.Party {
	if p == nil {
		return providers.Party{}
	}
	return providers.Party{Name: p.Name, ID: p.ID, Kind: known(p.Kind, providers.KindUser,
		providers.KindApplication, providers.KindPhone, providers.KindQueue, providers.KindGuest)}
}

func fromJSONRoute(r *jsonRoute) providers.Route {
	return providers.Route{
		Kind: known(r.Kind, providers.CallRecording, providers.CallMeeting), Dialled: fromJSONParty(r.Dialled), RoutedTo: fromJSONParty(r.RoutedTo),
		OnBehalfOf: fromJSONParty(r.OnBehalfOf), Transferor: fromJSONParty(r.Transferor),
		Observed: fromJSONParty(r.Observed), Organizer: fromJSONParty(r.Organizer),
		SourceParticipant: r.SourceParticipant,
	}
}

// known is v if it is one of the values this build knows, else the zero
// value ("not said"): a newer writer's word is dropped rather than shown
// unchecked, and the call is kept.
func known[T ~string](v T, values ...T) T {
	if slices.Contains(values, v) {
		return v
	}
	var zero T
	return zero
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// cut bounds a piece of a stranger's text quoted in an error.
func cut(s string) string {
	const most = 40
	if len(s) > most {
		return s[:most] + "…"
	}
	return s
}
