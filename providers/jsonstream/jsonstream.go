// Package jsonstream is the encoding of `ringside --json`: one object per
// line for each event a provider sends, a call's full snapshot or a status.
// The types here are the stream's schema: field names are snake_case, times
// RFC 3339 in UTC, and absent times and reasons are left out. The schema is a
// promise to the scripts that read the stream, so it lives apart from the
// contract's Go types: a field added to providers.Call reaches the stream only
// when it is added here. Call has no JSON form of its own; MarshalCall is it.
package jsonstream

import (
	"time"

	"ringside/providers"
)

type jsonParty struct {
	Name string              `json:"name,omitempty"`
	ID   string              `json:"id,omitempty"`
	Kind providers.PartyKind `json:"kind,omitempty"`
	// Label is what a person reads for a party known only by a GUID
	// ("Teams user ·3f9a2c"), so a consumer that shows name-or-id never
	// shows a bare GUID. Absent when the party has a name or a readable id.
	Label string `json:"label,omitempty"`
}

func toJSONParty(p providers.Party) jsonParty {
	j := jsonParty{Name: p.Name, ID: p.ID, Kind: p.Kind}
	if p.Labelled() {
		j.Label = p.String()
	}
	return j
}

// jsonEnd has Code as a pointer: a code of 0 is written when a subcode
// goes with it (0/7015, a completed transfer) and left out when neither is
// known.
type jsonEnd struct {
	Code    *int   `json:"code,omitempty"`
	Subcode int    `json:"subcode,omitempty"`
	Text    string `json:"text,omitempty"`
}

func toJSONEnd(e providers.EndReason) *jsonEnd {
	j := &jsonEnd{Subcode: e.Subcode, Text: e.Text}
	if e.Code != 0 || e.Subcode != 0 {
		code := e.Code
		j.Code = &code
	}
	return j
}

// jsonRoute leaves out every party that is not known.
type jsonRoute struct {
	Kind       providers.CallKind `json:"kind,omitempty"`
	Dialled    *jsonParty         `json:"dialled,omitempty"`
	RoutedTo   *jsonParty         `json:"routed_to,omitempty"`
	OnBehalfOf *jsonParty         `json:"on_behalf_of,omitempty"`
	Transferor *jsonParty         `json:"transferor,omitempty"`
	Observed   *jsonParty         `json:"observed,omitempty"`
	Organizer  *jsonParty         `json:"organizer,omitempty"`
	// SourceParticipant is the caller's participant id on the call.
	SourceParticipant string `json:"source_participant,omitempty"`
}

func toJSONRoute(r providers.Route) *jsonRoute {
	if r.IsZero() {
		return nil
	}
	party := func(p providers.Party) *jsonParty {
		if p.IsZero() {
			return nil
		}
		j := toJSONParty(p)
		return &j
	}
	return &jsonRoute{
		Kind: r.Kind, Dialled: party(r.Dialled), RoutedTo: party(r.RoutedTo), OnBehalfOf: party(r.OnBehalfOf),
		Transferor: party(r.Transferor), Observed: party(r.Observed), Organizer: party(r.Organizer),
		SourceParticipant: r.SourceParticipant,
	}
}

type jsonCall struct {
	ID         string              `json:"id"`
	Provider   string              `json:"provider"`
	State      providers.State     `json:"state"`
	Direction  providers.Direction `json:"direction,omitempty"`
	From       jsonParty           `json:"from"`
	To         jsonParty           `json:"to"`
	Queue      string              `json:"queue,omitempty"`
	Route      *jsonRoute          `json:"route,omitempty"`
	Modalities []string            `json:"modalities"`
	Region     string              `json:"region,omitempty"`
	Arrived    *time.Time          `json:"arrived,omitempty"`
	AnswerBy   *time.Time          `json:"answer_by,omitempty"`
	Answered   *time.Time          `json:"answered,omitempty"`
	Ended      *time.Time          `json:"ended,omitempty"`
	End        *jsonEnd            `json:"end,omitempty"`
	// RingOut is what the switch does to the agent if the call rings
	// out: "not_ready" or "log_out"; absent for nothing.
	RingOut      string            `json:"ring_out,omitempty"`
	Capabilities []string          `json:"capabilities"`
	Outcome      providers.Outcome `json:"outcome,omitempty"`
	Version      uint64            `json:"version"`
}

type jsonEvent struct {
	Time     time.Time      `json:"time"`
	Type     string         `json:"type"`
	Call     *jsonCall      `json:"call,omitempty"`
	Provider string         `json:"provider,omitempty"`
	Status   providers.Link `json:"status,omitempty"`
	Detail   string         `json:"detail,omitempty"`
	Warning  string         `json:"warning,omitempty"`
	Agent    string         `json:"agent,omitempty"`
}

func utc(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// MarshalCall encodes c as the stream's "call" object.
func MarshalCall(c providers.Call) ([]byte, error) { return AppendCall(nil, &c) }

func toJSONCall(c providers.Call) *jsonCall {
	j := &jsonCall{
		ID:           c.ID,
		Provider:     c.Provider,
		State:        c.State,
		Direction:    c.Direction,
		From:         toJSONParty(c.From),
		To:           toJSONParty(c.To),
		Queue:        c.Queue,
		Route:        toJSONRoute(c.Route),
		Modalities:   c.Modalities,
		Region:       c.Region,
		Arrived:      utc(c.Arrived),
		AnswerBy:     utc(c.AnswerBy),
		Answered:     utc(c.Answered),
		Ended:        utc(c.Ended),
		RingOut:      c.RingOut.String(),
		Capabilities: c.Caps.Names(),
		Outcome:      c.Result(),
		Version:      c.Version,
	}
	if j.Modalities == nil {
		j.Modalities = []string{}
	}
	if !c.End.IsZero() {
		j.End = toJSONEnd(c.End)
	}
	return j
}

// MarshalEvent encodes ev as one line of the JSON stream (no trailing
// newline). provider names the source for status events. AppendEvent does
// the same into a buffer of the caller's.
func MarshalEvent(provider string, ev providers.Event) ([]byte, error) {
	return AppendEvent(nil, provider, ev)
}

// toJSONEvent is ev in the schema's types: what AppendEvent writes, for
// encoding/json to write where AppendEvent leaves it to it.
func toJSONEvent(provider string, ev providers.Event) jsonEvent {
	j := jsonEvent{Time: ev.Time.UTC()}
	switch {
	case ev.Call != nil:
		j.Type = "call"
		j.Call = toJSONCall(*ev.Call)
	case ev.Status != nil:
		j.Type = "status"
		j.Provider = provider
		j.Status = ev.Status.Link
		j.Detail = ev.Status.Detail
		j.Warning = ev.Status.Warning
		j.Agent = ev.Status.Agent
	default:
		j.Type = "unknown"
	}
	return j
}
