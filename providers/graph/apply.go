package graph

import (
	"slices"
	"time"

	"ringside/providers"
	"ringside/providers/graph/notification"
)

// mapState turns a Graph call state into the console's. ok is false for a
// state the console cannot place (absent, or a value Graph may add later such
// as unknownFutureValue): the call then keeps the state it had.
func mapState(s string) (providers.State, bool) {
	switch s {
	case "incoming", "ringing":
		return providers.StateRinging, true
	case "establishing", "redirecting", "transferring", "transferaccepted", "notifying":
		return providers.StateConnecting, true
	case "established":
		return providers.StateActive, true
	case "hold":
		return providers.StateHeld, true
	case "terminating":
		return providers.StateEnding, true
	case "terminated":
		return providers.StateEnded, true
	}
	return "", false
}

// EncryptedCaller is shown for a party whose identity Graph sends encrypted:
// it does that when the app holds none of the Calls.* application permissions.
const EncryptedCaller = "encrypted identity"

// party picks the identity a person recognises first: a user, a phone
// number, a guest, then an application.
func party(p *notification.Participant) providers.Party {
	if p == nil {
		return providers.Party{}
	}
	id := p.Identity
	pick := []struct {
		who  *notification.Identity
		kind providers.PartyKind
	}{
		{id.User, providers.KindUser},
		{id.Phone, providers.KindPhone},
		{id.Guest, providers.KindGuest},
		{id.ACSUser, providers.KindUser},
		{id.OnPremises, providers.KindUser},
		{id.ApplicationInstance, providers.KindApplication},
		{id.Application, providers.KindApplication},
	}
	for _, c := range pick {
		if c.who != nil && (c.who.DisplayName != "" || c.who.ID != "") {
			return providers.Party{Name: c.who.DisplayName, ID: c.who.ID, Kind: c.kind}
		}
	}
	if id.Encrypted != nil {
		// The encrypted blob means nothing to a person; say what it is.
		return providers.Party{Name: EncryptedCaller}
	}
	return providers.Party{}
}

// change is one call notification ready to apply to the ledger.
type change struct {
	n        notification.Notification
	at       time.Time              // when the notification arrived
	window   time.Duration          // the answer window
	caps     providers.Capabilities // what this provider can do to a live call
	rejected providers.RejectReason // our own reject of this call, if one was sent
}

// apply merges the notification into c, the ledger's current snapshot of the
// call (a bare one with Version 0 when the call is new). The ledger itself
// keeps the lifecycle from moving backwards and ended calls from coming back.
func (ch change) apply(c *providers.Call) {
	known := c.Version > 0
	data := ch.n.Call
	if !known {
		c.Arrived = ch.at
	}
	if data != nil {
		switch data.Direction {
		case "incoming":
			c.Direction = providers.Incoming
		case "outgoing":
			c.Direction = providers.Outgoing
		}
		if data.Source != nil {
			c.From = party(data.Source)
			if data.Source.Region != "" {
				c.Region = data.Source.Region
			}
		}
		if len(data.Targets) > 0 {
			c.To = party(&data.Targets[0])
		}
		if data.RequestedModalities != nil {
			c.Modalities = slices.Clone(data.RequestedModalities)
		}
	}

	state, ok := providers.State(""), false
	if data != nil {
		state, ok = mapState(data.State)
	}
	switch {
	case ch.n.ChangeType == notification.Deleted:
		state, ok = providers.StateEnded, true
	case !ok && !known && ch.n.ChangeType == notification.Created:
		state, ok = providers.StateRinging, true // a new call offered to the bot
	case !ok && !known:
		state, ok = providers.StateConnecting, true // we joined late: neutral, not "answer me"
	}
	if ok && (!known || state.Rank() >= c.State.Rank()) {
		c.State = state
	}

	switch c.State {
	case providers.StateRinging:
		if c.AnswerBy.IsZero() && c.Direction != providers.Outgoing {
			c.AnswerBy = c.Arrived.Add(ch.window)
		}
	case providers.StateActive, providers.StateHeld:
		if c.Answered.IsZero() {
			c.Answered = ch.at
		}
	case providers.StateEnded:
		c.Ended = ch.at
		c.End = endReason(data, ch.rejected)
		if ch.rejected != "" && c.Answered.IsZero() {
			c.Outcome = providers.OutcomeRejected
		}
	}

	c.Caps = ch.caps & capsIn(c.State, c.Direction)
}

// capsIn is what may be done to a call in state s: Caps says "allowed right
// now", so a connected call no longer offers answer and reject, and a call
// that is ending or gone offers nothing.
func capsIn(s providers.State, d providers.Direction) providers.Capabilities {
	switch s {
	case providers.StateRinging:
		if d == providers.Outgoing {
			return 0 // the far end is ringing; nothing to answer here
		}
		return providers.Caps(providers.ActionAnswer, providers.ActionReject)
	case providers.StateConnecting, providers.StateActive, providers.StateHeld:
		return providers.Caps(providers.ActionHangup)
	}
	return 0
}
