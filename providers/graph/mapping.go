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
	return partyOf(&p.Identity)
}

// partyOf is party for a bare identity set (routes, incoming context).
func partyOf(id *notification.IdentitySet) providers.Party {
	if id == nil {
		return providers.Party{}
	}
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
	n      notification.Notification
	at     time.Time              // when the notification arrived
	window time.Duration          // the answer window
	caps   providers.Capabilities // what this provider can do to a live call
	asked  asked                  // what we asked Graph to do to this call
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
		applyRoute(c, data)
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
		if c.Direction != providers.Outgoing {
			// A deadline only ever moves earlier: a recording invite
			// recognised late gets its shorter window, nothing gets longer.
			if by := c.Arrived.Add(answerWindow(c.Route.Kind, ch.window)); c.AnswerBy.IsZero() || by.Before(c.AnswerBy) {
				c.AnswerBy = by
			}
		}
	case providers.StateActive, providers.StateHeld:
		if c.Answered.IsZero() {
			c.Answered = ch.at
		}
	case providers.StateEnded:
		c.Ended = ch.at
		c.End, c.Outcome = endOf(data, ch.asked, !c.Answered.IsZero())
	}

	c.Caps = ch.caps & capsIn(c.State, c.Direction)
	// While our transfer is under way Graph keeps the call established
	// (its transferring state ranks below it): no second transfer until
	// Graph ends the call or gives it back with a failure.
	if ch.asked.transfer != "" && transferFailure(ch.n, ch.asked) == nil {
		c.Caps &^= providers.Caps(providers.ActionTransfer)
	}
}

// RecordingWindow is how long Graph lets a bot answer a policy-based
// (compliance) recording invite, against 15 s for other calls.
const RecordingWindow = 5 * time.Second

// answerWindow is how long a call of kind may ring: the configured window,
// but never longer than Graph allows a recording invite.
func answerWindow(kind providers.CallKind, window time.Duration) time.Duration {
	if kind == providers.CallRecording {
		return min(window, RecordingWindow)
	}
	return window
}

// applyRoute merges what the notification says about how the call reached
// us: callRoutes (dialled → routed to), incomingContext (on behalf of,
// transferred by, observed by a recording policy) and a meeting join. A
// partial update that says nothing of these leaves them as they were, and a
// call once known as a recording invite or a meeting stays one.
func applyRoute(c *providers.Call, data *notification.Call) {
	r := &c.Route
	if n := len(data.Routes); n > 0 {
		// A call forwarded several times has a chain of routes: the caller
		// dialled the first one's original, and the last one's final is
		// where the call ended up.
		if p := partyOf(&data.Routes[0].Original); !p.IsZero() {
			r.Dialled = p
		}
		if p := partyOf(&data.Routes[n-1].Final); !p.IsZero() {
			r.RoutedTo = p
		}
	}
	if ic := data.Context; ic != nil {
		if p := partyOf(ic.OnBehalfOf); !p.IsZero() {
			r.OnBehalfOf = p
		}
		if p := partyOf(ic.Transferor); !p.IsZero() {
			r.Transferor = p
		}
		if ic.SourceParticipantID != "" {
			r.SourceParticipant = ic.SourceParticipantID
		}
		if ic.ObservedParticipantID != "" {
			// The invite comes from the observed participant's leg: Graph
			// names that participant as the source (the samples rely on
			// observed and source being the same participant).
			r.Kind = providers.CallRecording
			if p := party(data.Source); !p.IsZero() {
				r.Observed = p
			}
		}
	}
	if m := data.Meeting; m != nil && r.Kind != providers.CallRecording {
		r.Kind = providers.CallMeeting
		if p := partyOf(m.Organizer); !p.IsZero() {
			r.Organizer = p
		}
	}
	if q := routeQueue(r); q != "" {
		c.Queue = q
	}
}

// routeQueue is what the queue column shows for a routed call: the number or
// identity the caller dialled, else the one the call is on behalf of (a
// delegate's boss, a call queue's resource account).
func routeQueue(r *providers.Route) string {
	switch {
	case !r.Dialled.IsZero():
		return r.Dialled.String()
	case !r.OnBehalfOf.IsZero():
		return r.OnBehalfOf.String()
	}
	return ""
}

// capsIn is what may be done to a call in state s: Caps says "allowed right
// now", so a connected call no longer offers answer, reject and redirect,
// one still being set up cannot be transferred yet, and a call that is
// ending or gone offers nothing. Graph redirects only a call that is still
// incoming, and transfers only one that is established (or held).
func capsIn(s providers.State, d providers.Direction) providers.Capabilities {
	switch s {
	case providers.StateRinging:
		if d == providers.Outgoing {
			return 0 // the far end is ringing; nothing to answer here
		}
		return providers.Caps(providers.ActionAnswer, providers.ActionReject, providers.ActionRedirect)
	case providers.StateConnecting:
		return providers.Caps(providers.ActionHangup)
	case providers.StateActive, providers.StateHeld:
		return providers.Caps(providers.ActionHangup, providers.ActionTransfer)
	}
	return 0
}
