package genesys

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"ringside/providers"
)

// mapState translates a GWS call state. ok is false for states GWS may add
// that the console does not know.
func mapState(s string) (state providers.State, ok bool) {
	switch s {
	case gwsRinging:
		return providers.StateRinging, true
	case gwsDialing:
		return providers.StateConnecting, true
	case gwsEstablished:
		return providers.StateActive, true
	case gwsHeld:
		return providers.StateHeld, true
	case gwsReleased:
		return providers.StateEnded, true
	}
	return "", false
}

// capabilityActions is the console's action for each GWS capability (an
// operation GWS lists on the call as allowed now). GWS v2 has no redirect:
// a ringing call can only be answered or sent back to its queue.
var capabilityActions = []struct {
	op     string
	action providers.Action
}{
	{opAnswer, providers.ActionAnswer},
	{opReject, providers.ActionReject},
	{opHangup, providers.ActionHangup},
	{opSingleStepTransfer, providers.ActionTransfer},
	{opHold, providers.ActionHold},
	{opRetrieve, providers.ActionResume},
}

// capsOf maps the call's GWS capabilities to the console's actions, exactly:
// the console offers an action only when GWS lists its operation.
func capsOf(w *wireCall) providers.Capabilities {
	var caps providers.Capabilities
	for _, m := range capabilityActions {
		if w.has(m.op) {
			caps |= providers.Caps(m.action)
		}
	}
	return caps
}

// foldContext is what folding a GWS call into the console's call needs
// besides the call itself.
type foldContext struct {
	now    time.Time
	window time.Duration // answer window for ringing calls
	// phoneNumber is the agent's DN the message was for ("" for snapshots).
	phoneNumber string
	isAgentDN   func(string) bool
	agentName   string
	// nameKeys are the attached-data keys that may name the caller.
	nameKeys []nameKey
	// pending is the operation the console sent on this call and is
	// waiting to see the effect of ("" if none); it explains a release.
	// pendingTo is where a pending transfer sends the call.
	pending   string
	pendingTo string
	// gone is why the call is ended without a Released message ("" when
	// the call is in GWS's view).
	gone string
}

// Texts for calls that end, for supervisors reading why.
const (
	endRejected        = "rejected from the console; GWS sent it back to its queue"
	endHungUp          = "hung up from the console"
	endTransferred     = "Transferred to "
	endReleasedRinging = "released while ringing (caller hung up, or routed elsewhere)"
	endReleased        = "released"
	endAbsent          = "no longer listed by GWS after notifications were interrupted"
	endUnknownToGWS    = "GWS no longer knows the call"
)

// fold applies GWS's view w of a call to the console's call c (which is
// fresh when c.Version is 0). A message that would move the call back in its
// lifecycle is stale (reordered on the way) and changes nothing.
func fold(c *providers.Call, w *wireCall, fc foldContext) {
	fresh := c.Version == 0
	state, known := mapState(w.State)
	switch {
	case fc.gone != "":
		state = providers.StateEnded
	case !known && fresh:
		// GWS documents its state list as open; a live call in a state we
		// do not know is most likely connected.
		state = providers.StateActive
	case !known:
		state = c.State
	}
	if !fresh && state.Rank() < c.State.Rank() {
		return
	}

	if fresh {
		c.Arrived = fc.now
		if w.HasDuration && state != providers.StateEnded {
			c.Arrived = fc.now.Add(-w.Duration)
		}
		c.Modalities = []string{"audio"}
	}
	prev := c.State
	c.State = state
	if c.Direction == "" {
		c.Direction = direction(w, state)
	}
	foldParties(c, w, fc)
	if fc.gone == "" {
		c.Caps = capsOf(w)
	} else {
		c.Caps = 0
	}

	if r, said := ringOutOf(w); said {
		c.RingOut = r
	}

	switch state {
	case providers.StateRinging:
		switch {
		case w.NoAnswer > 0:
			// The switch's own ring timeout runs from when the call
			// started ringing; it replaces the window guessed before.
			c.AnswerBy = c.Arrived.Add(w.NoAnswer)
		case c.AnswerBy.IsZero():
			c.AnswerBy = c.Arrived.Add(fc.window)
		}
	default:
		c.AnswerBy = time.Time{}
	}
	if (state == providers.StateActive || state == providers.StateHeld) && c.Answered.IsZero() {
		c.Answered = fc.now
		if fresh {
			c.Answered = c.Arrived
		}
	}
	if state == providers.StateEnded && c.Ended.IsZero() {
		c.Ended = fc.now
		c.End, c.Outcome = endReason(prev, fresh, fc)
	}
}

// ringOutOf is what the switch does to the agent if the call rings out,
// from NO_ANSWER_ACTION, and whether the message said: a message without
// extensions (a Released) leaves what an earlier one said. An action that
// is not one of T-Server's is none (the session logs it), and so is any
// action when the ring is not timed (NO_ANSWER_TIMEOUT 0): the switch never
// acts then.
func ringOutOf(w *wireCall) (providers.RingOut, bool) {
	if w.NoSupervision {
		return providers.RingOutNone, true
	}
	if w.NoAnswerAction == "" {
		return providers.RingOutNone, false
	}
	r, _ := noAnswerAction(w.NoAnswerAction)
	return r, true
}

// noAnswerAction reads one of T-Server's no-answer actions (none, notready,
// logout, in any case); known is false for any other word.
func noAnswerAction(action string) (r providers.RingOut, known bool) {
	switch strings.ToLower(action) {
	case "none":
		return providers.RingOutNone, true
	case "notready":
		return providers.RingOutNotReady, true
	case "logout":
		return providers.RingOutLogOut, true
	}
	return providers.RingOutNone, false
}

// endReason words why a call ended.
func endReason(prev providers.State, fresh bool, fc foldContext) (providers.EndReason, providers.Outcome) {
	switch {
	case fc.pending == opReject && (prev == providers.StateRinging || fresh):
		return providers.EndReason{Text: endRejected}, providers.OutcomeRejected
	case fc.pending == opHangup:
		return providers.EndReason{Text: endHungUp}, providers.OutcomeNone
	case fc.pending == opSingleStepTransfer:
		// Nothing on the wire says "transferred": the Released that
		// follows our SingleStepTransfer (or the call gone when it is
		// read again) is the transfer done.
		return providers.EndReason{Text: endTransferred + fc.pendingTo}, providers.OutcomeTransferred
	case fc.gone != "":
		return providers.EndReason{Text: fc.gone}, providers.OutcomeNone
	case prev == providers.StateRinging && !fresh:
		return providers.EndReason{Text: endReleasedRinging}, providers.OutcomeNone
	}
	return providers.EndReason{Text: endReleased}, providers.OutcomeNone
}

// direction says who placed the call, from GWS's call type and, for
// internal and consult calls, from the state it was first seen in.
func direction(w *wireCall, state providers.State) providers.Direction {
	switch w.CallType {
	case "Inbound":
		return providers.Incoming
	case "Outbound":
		return providers.Outgoing
	}
	if state == providers.StateConnecting {
		return providers.Outgoing
	}
	return providers.Incoming
}

// foldParties sets From, To and Queue. Later messages may carry fewer
// details (participants is often empty while ringing): known parties are
// kept rather than blanked.
func foldParties(c *providers.Call, w *wireCall, fc foldContext) {
	kind := providers.KindPhone
	if w.CallType == "Internal" || w.CallType == "Consult" {
		kind = providers.KindUser
	}
	var remote providers.Party
	for _, p := range w.Participants {
		if fc.isAgentDN(p.Number) || p.Number == fc.phoneNumber {
			continue
		}
		remote = providers.Party{Name: p.Formatted, ID: p.Number, Kind: kind}
		break
	}
	if c.Direction == providers.Incoming && w.ANI != "" && !fc.isAgentDN(w.ANI) {
		// ANI is the caller as the network presented it.
		if remote.ID != w.ANI {
			remote = providers.Party{ID: w.ANI, Kind: kind}
		}
	}
	if c.Direction == providers.Outgoing && remote.IsZero() && w.DNIS != "" {
		remote = providers.Party{ID: w.DNIS, Kind: kind}
	}
	// A formatted number is only a weak name: it never replaces a name
	// known before. A name a desktop attached to the call is a real one.
	weak := remote.Name != ""
	if name := nameFromUserData(w.UserData, fc.nameKeys, remote.ID); name != "" {
		remote.Name, weak = name, false
		if remote.Kind == "" {
			remote.Kind = kind
		}
	}
	us := providers.Party{Name: fc.agentName, ID: fc.phoneNumber, Kind: providers.KindUser}
	if us.ID == "" && us.Name == "" {
		us = providers.Party{}
	}

	if c.Direction == providers.Outgoing {
		setParty(&c.From, us, false)
		setParty(&c.To, remote, weak)
	} else {
		setParty(&c.From, remote, weak)
		setParty(&c.To, us, false)
	}
	switch {
	case c.Direction != providers.Incoming || w.DNIS == "":
	case fc.isAgentDN(w.DNIS) || w.DNIS == fc.phoneNumber:
		c.Queue = "" // dialled straight to us
	default:
		// The number dialled was not ours: the queue or routing point the
		// call came through.
		c.Queue = w.DNIS
	}
}

// setParty replaces *dst with p unless p knows nothing; a party keeps its
// name when the new view only has the number, or only a weak name (a
// formatted number) for it.
func setParty(dst *providers.Party, p providers.Party, weakName bool) {
	if p.IsZero() {
		return
	}
	if p.ID != "" && p.ID == dst.ID && (p.Name == "" || weakName && dst.Name != "") {
		p.Name = dst.Name
	}
	if p.ID == "" && dst.ID != "" {
		p.ID = dst.ID
	}
	*dst = p
}

// Bounds of a name taken from attached data.
const maxNameRunes = 64

// nameFromUserData finds the caller's name in the call's attached data: the
// value of the first key of keys (with number filled in) that reads as a
// name. A value reads as a name when it is text, or an object with a
// first and last name or a display, full or user name (the way Workspace
// records a party under WWE_PARTY_<number>). Names are cut to maxNameRunes.
func nameFromUserData(userData []byte, keys []nameKey, number string) string {
	if len(keys) == 0 || len(userData) == 0 {
		return ""
	}
	var data map[string]json.RawMessage
	if json.Unmarshal(userData, &data) != nil {
		return ""
	}
	for _, k := range keys {
		key := k.key(number)
		if key == "" {
			continue
		}
		if name := nameValue(data[key]); name != "" {
			return name
		}
	}
	return ""
}

// nameValue reads one attached-data value as a person's name ("" if it is
// none).
func nameValue(v json.RawMessage) string {
	if s, ok := optString(v); ok {
		return cleanName(s)
	}
	var obj map[string]json.RawMessage
	if decodeObject(v, &obj) != nil {
		return ""
	}
	keys := slices.Sorted(maps.Keys(obj)) // the same answer every time
	field := func(names ...string) string {
		for _, n := range names {
			for _, k := range keys {
				if !strings.EqualFold(k, n) {
					continue
				}
				if s, ok := optString(obj[k]); ok && strings.TrimSpace(s) != "" {
					return s
				}
			}
		}
		return ""
	}
	if full := strings.TrimSpace(field("firstname", "first_name") + " " + field("lastname", "last_name")); full != "" {
		return cleanName(full)
	}
	return cleanName(field("displayname", "display_name", "fullname", "name", "username"))
}

// cleanName folds runs of white space (line breaks included) into single
// spaces and cuts the name to maxNameRunes.
func cleanName(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxNameRunes {
		return s
	}
	runes := []rune(s)
	return strings.TrimSpace(string(runes[:maxNameRunes-1])) + "…"
}

// agentLabel is the agent's state for the header, from their devices:
// "Ready", "Not Ready (Lunch)", "Not Ready · DND". Devices that disagree are
// listed one after another.
func agentLabel(devices []wireDevice) string {
	var labels []string
	dnd := false
	for _, d := range devices {
		dnd = dnd || d.DND
		if d.UserState == "" {
			continue
		}
		label := words(d.UserState)
		detail := ""
		switch {
		case d.DisplayName != "" && !sameWords(d.DisplayName, label):
			detail = d.DisplayName
		case d.WorkMode != "" && d.WorkMode != "Unknown":
			detail = words(d.WorkMode)
		}
		if detail != "" {
			label += " (" + detail + ")"
		}
		if !slices.Contains(labels, label) {
			labels = append(labels, label)
		}
	}
	out := strings.Join(labels, ", ")
	if dnd {
		if out != "" {
			out += " · "
		}
		out += "DND"
	}
	return out
}

// words splits GWS's CamelCase names for a person: NotReady → Not Ready.
func words(s string) string {
	var b strings.Builder
	runes := []rune(s)
	for i, r := range runes {
		if i > 0 && unicode.IsUpper(r) && unicode.IsLower(runes[i-1]) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func sameWords(a, b string) bool {
	squash := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }
	return squash(a) == squash(b)
}
