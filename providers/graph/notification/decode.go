// Package notification decodes the commsNotifications that Microsoft Graph
// posts to a calling bot's webhook. It accepts both shapes that occur on the
// wire (the old beta one with "resource": "/app/calls/{id}" and the current
// one with "resourceUrl": "/communications/calls/{id}" and @odata.type, or
// both fields at once) and the variations real traffic shows: resourceData as
// an object for a call but an array for a participant roster, resultInfo
// codes as strings or numbers, enum values in any letter case.
//
// Decoding is all or nothing: a body either decodes completely or Decode
// returns an error naming the first thing wrong, so a caller can refuse it
// without having acted on half of it. Resources the console does not show
// (participants, operations, content sharing) decode without error and are
// marked as such.
package notification

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"ringside/providers"
	"ringside/providers/textsafe"
)

// ChangeType says what happened to the resource.
type ChangeType string

const (
	Created ChangeType = "created"
	Updated ChangeType = "updated"
	Deleted ChangeType = "deleted"
)

// Kind is the sort of resource a notification is about.
type Kind uint8

const (
	KindOther           Kind = iota // anything that is not about a call (ignored by the console)
	KindCall                        // the call itself: /communications/calls/{id}
	KindParticipants                // the call's roster: /communications/calls/{id}/participants
	KindOperation                   // an operation on the call: …/operations/{opId}
	KindCallSubresource             // anything else under a call (content sharing, audio routing groups…)
)

// Notification is one entry of the value array.
type Notification struct {
	ChangeType ChangeType // lower case; unknown values are kept as sent, lowered
	Resource   string     // resourceUrl, or resource when resourceUrl is absent
	Kind       Kind
	CallID     string // the call the resource belongs to, exactly as the path spells it; empty for KindOther
	Call       *Call  // the call's data, for KindCall when resourceData was present
}

// Call is the part of a call resource the console shows. Fields absent from
// the notification are left zero (strings empty, slices and pointers nil), so
// a partial update ("state" only) can be merged into what is already known.
type Call struct {
	ID                  string
	State               string // lower case: incoming, establishing, established, hold, …
	Direction           string // lower case: incoming or outgoing
	Source              *Participant
	Targets             []Participant // nil when absent
	RequestedModalities []string      // nil when absent
	ResultInfo          *ResultInfo
	TerminationReason   string // beta free text, e.g. "AppInitiated"
	TenantID            string
	CallbackURI         string
	Routes              []Route          // callRoutes, in order; nil when absent
	Context             *IncomingContext // incomingContext; nil when absent
	// Meeting is set only when the call really joins a meeting: meetingInfo
	// names an organizer or a join id. chatInfo, and meetingInfo with only a
	// join token, come with 1:1 calls and recording invites as well, so they
	// say nothing about a meeting.
	Meeting *Meeting
}

// Route is one callRoute: the identity the caller dialled and the one the
// platform routed the call to.
type Route struct {
	Original    IdentitySet
	Final       IdentitySet
	RoutingType string // lower case: forwarded, lookup, selffork…
}

// IncomingContext says for whom and through whom an incoming call came.
type IncomingContext struct {
	SourceParticipantID string
	// ObservedParticipantID is set on policy-based (compliance) recording
	// invites: the participant whose call the bot is asked to record.
	ObservedParticipantID string
	OnBehalfOf            *IdentitySet
	Transferor            *IdentitySet
}

// Meeting is the meeting a call joins.
type Meeting struct {
	Organizer     *IdentitySet // nil when the meeting is known by its join id only
	JoinMeetingID string
}

// Participant is a participantInfo or invitationParticipantInfo.
type Participant struct {
	Identity   IdentitySet
	Region     string
	LanguageID string
}

// IdentitySet holds the identities Graph may put in an identitySet. Leaf
// @odata.type values vary between payloads, so identities are keyed by the
// property name only.
type IdentitySet struct {
	User                *Identity `json:"user"`
	Application         *Identity `json:"application"`
	ApplicationInstance *Identity `json:"applicationInstance"`
	Phone               *Identity `json:"phone"`
	Guest               *Identity `json:"guest"`
	Encrypted           *Identity `json:"encrypted"` // present when the app lacks the permissions to see who it is
	OnPremises          *Identity `json:"onPremises"`
	ACSUser             *Identity `json:"azureCommunicationServicesUser"`
}

// Identity is one leaf identity. It doubles as its own wire form (hence the
// tags): one allocation less per identity on the webhook's hot path.
type Identity struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// ResultInfo is why a call ended or an operation failed.
type ResultInfo struct {
	Code    int
	Subcode int
	Message string
}

// MaxItems bounds how many notifications one body may carry. Graph sends a
// handful; a body with more is not a notification we should spend time on.
const MaxItems = 1000

// Decode reads a commsNotifications body.
func Decode(body []byte) ([]Notification, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("the body is empty")
	}
	if body[0] != '{' {
		return nil, errors.New("the body is not a JSON object")
	}
	if out, ok := decodeFast(body); ok {
		return out, nil
	}
	return decodeCareful(body)
}

// decodeCareful reads any body, one notification at a time, and names the
// first thing wrong.
func decodeCareful(body []byte) ([]Notification, error) {
	var env struct {
		Value *[]json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, jsonError("the body", err)
	}
	if env.Value == nil {
		if id, ok := legacyCall(body); ok {
			return nil, &LegacyError{CallID: id}
		}
		return nil, errors.New(`the body has no "value" array of notifications`)
	}
	items := *env.Value
	if len(items) > MaxItems {
		return nil, fmt.Errorf("the body carries %d notifications, more than the %d accepted", len(items), MaxItems)
	}
	out := make([]Notification, 0, len(items))
	for i, raw := range items {
		n, err := decodeItem(raw)
		if err != nil {
			return nil, fmt.Errorf("value[%d]: %w", i, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// LegacyError is what Decode returns for an incoming call in the calling
// platform's older, pre-Graph format (the "conversation" of the Skype bot
// calling protocol): no "value" array, but the call's "id" with its
// "participants" or its "callState". Microsoft's protocol determination rule
// asks a bot to answer such a body 204 No Content, after which the platform
// sends the same call again in the Graph format. The body is not otherwise
// read.
type LegacyError struct {
	CallID string // the legacy call id, cut to MaxLegacyID bytes
}

// MaxLegacyID bounds the call id a LegacyError carries into logs.
const MaxLegacyID = 128

func (e *LegacyError) Error() string {
	return "call " + strconv.Quote(e.CallID) + " arrived in the legacy (pre-Graph) format"
}

// legacyCall reports whether body, which has no "value" array, is a legacy
// incoming call, and returns its id. The shape must be unmistakable: a
// non-empty string id, and participants as an array or a non-empty string
// callState. Anything else stays an ordinary bad request.
func legacyCall(body []byte) (string, bool) {
	var probe struct {
		ID           json.RawMessage `json:"id"`
		Participants json.RawMessage `json:"participants"`
		CallState    json.RawMessage `json:"callState"`
	}
	if json.Unmarshal(body, &probe) != nil {
		return "", false
	}
	id, ok := nonEmptyString(probe.ID)
	if !ok {
		return "", false
	}
	_, hasState := nonEmptyString(probe.CallState)
	hasParticipants := len(probe.Participants) > 0 && probe.Participants[0] == '['
	if !hasState && !hasParticipants {
		return "", false
	}
	if len(id) > MaxLegacyID {
		id = strings.ToValidUTF8(id[:MaxLegacyID], "")
	}
	return id, true
}

// nonEmptyString reads raw as a JSON string with something in it.
func nonEmptyString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	s = strings.TrimSpace(s)
	return s, s != ""
}

// header reads what every notification must carry: the change and the
// resource it is about.
func header(changeType, resourceURL, resource *string) (Notification, error) {
	if changeType == nil || strings.TrimSpace(*changeType) == "" {
		return Notification{}, errors.New(`"changeType" is missing`)
	}
	n := Notification{ChangeType: ChangeType(strings.ToLower(strings.TrimSpace(*changeType)))}
	switch {
	case resourceURL != nil && strings.TrimSpace(*resourceURL) != "":
		n.Resource = strings.TrimSpace(*resourceURL)
	case resource != nil && strings.TrimSpace(*resource) != "":
		n.Resource = strings.TrimSpace(*resource)
	default:
		return Notification{}, errors.New(`neither "resourceUrl" nor "resource" names the resource`)
	}
	n.Kind, n.CallID = ParseResource(n.Resource)
	if n.Kind != KindOther {
		// The id goes into REST paths and onto the screen as it is.
		if err := providers.CheckCallID(n.CallID); err != nil {
			return Notification{}, fmt.Errorf("resource %q: %w", textsafe.Cut(textsafe.Clean(n.Resource), 80), err)
		}
	}
	return n, nil
}

type wireItem struct {
	ChangeType   *string         `json:"changeType"`
	ResourceURL  *string         `json:"resourceUrl"`
	Resource     *string         `json:"resource"`
	ResourceData json.RawMessage `json:"resourceData"`
}

func decodeItem(raw json.RawMessage) (Notification, error) {
	if !isObject(raw) {
		return Notification{}, errors.New("a notification must be a JSON object")
	}
	var w wireItem
	if err := json.Unmarshal(raw, &w); err != nil {
		return Notification{}, jsonError("the notification", err)
	}
	n, err := header(w.ChangeType, w.ResourceURL, w.Resource)
	if err != nil {
		return Notification{}, err
	}

	data := bytes.TrimSpace(w.ResourceData)
	if n.Kind != KindCall || len(data) == 0 || string(data) == "null" {
		// Rosters (arrays), operations and the rest are accepted as they
		// come: the console does not show them, so their shape is not ours
		// to police beyond being valid JSON, which Unmarshal checked.
		return n, nil
	}
	if !isObject(data) {
		return Notification{}, errors.New(`"resourceData" of a call must be a JSON object`)
	}
	var w2 wireCall
	if err := json.Unmarshal(data, &w2); err != nil {
		return Notification{}, fmt.Errorf("resourceData: %w", jsonError("the call", err))
	}
	n.Call = w2.call()
	return n, nil
}

// ParseResource finds the call a resource path belongs to. It understands
// /communications/calls/{id}[/…], the deprecated /app/calls/{id}[/…] and
// /applications/{appId}/calls/{id}[/…], with or without a leading slash or a
// scheme and host in front.
func ParseResource(resource string) (Kind, string) {
	path := resource
	if i := strings.Index(path, "://"); i >= 0 {
		path = path[i+3:]
		if j := strings.IndexByte(path, '/'); j >= 0 {
			path = path[j:]
		} else {
			return KindOther, ""
		}
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	// The segments are walked one by one rather than split into a slice:
	// this runs for every notification. seen counts the segments before
	// seg; before1 and before2 are the last two of them.
	var before1, before2 string
	rest, more := strings.Trim(path, "/"), true
	for seen := 0; more; seen++ {
		var seg string
		seg, rest, more = strings.Cut(rest, "/")
		if more && strings.EqualFold(seg, "calls") && seen > 0 && isCallsParent(before1, before2, seen) {
			id, after, sub := strings.Cut(rest, "/")
			if id != "" {
				if !sub {
					return KindCall, id
				}
				next, _, _ := strings.Cut(after, "/")
				switch {
				case strings.EqualFold(next, "participants"):
					return KindParticipants, id
				case strings.EqualFold(next, "operations"):
					return KindOperation, id
				default:
					return KindCallSubresource, id
				}
			}
		}
		before2, before1 = before1, seg
	}
	return KindOther, ""
}

// isCallsParent reports whether parent, the segment before "calls", is one
// under which Graph keeps calls: communications, app, or
// applications/{appId} (grandparent is the segment before parent; seen
// counts the segments up to and including parent).
func isCallsParent(parent, grandparent string, seen int) bool {
	switch strings.ToLower(parent) {
	case "communications", "app":
		return true
	}
	return seen >= 2 && strings.EqualFold(grandparent, "applications")
}

type wireCall struct {
	ID                  string             `json:"id"`
	State               string             `json:"state"`
	Direction           string             `json:"direction"`
	Source              *wireParticipant   `json:"source"`
	Targets             *[]wireParticipant `json:"targets"`
	RequestedModalities *[]string          `json:"requestedModalities"`
	ResultInfo          *wireResultInfo    `json:"resultInfo"`
	TerminationReason   string             `json:"terminationReason"`
	TenantID            string             `json:"tenantId"`
	CallbackURI         string             `json:"callbackUri"`
	// The call's context is read leniently: it only adds to what the
	// console shows, so a part of an unexpected shape is left out rather
	// than costing the notification, and the call still rings.
	CallRoutes      lenient[[]wireRoute]         `json:"callRoutes"`
	IncomingContext lenient[wireIncomingContext] `json:"incomingContext"`
	MeetingInfo     lenient[wireMeetingInfo]     `json:"meetingInfo"`
}

type wireRoute struct {
	Original    *IdentitySet `json:"original"`
	Final       *IdentitySet `json:"final"`
	RoutingType string       `json:"routingType"`
}

type wireIncomingContext struct {
	SourceParticipantID   string       `json:"sourceParticipantId"`
	ObservedParticipantID string       `json:"observedParticipantId"`
	OnBehalfOf            *IdentitySet `json:"onBehalfOf"`
	Transferor            *IdentitySet `json:"transferor"`
}

// wireMeetingInfo covers the meetingInfo types that identify a meeting:
// organizerMeetingInfo (organizer) and joinMeetingIdMeetingInfo
// (joinMeetingId). tokenMeetingInfo carries only a token.
type wireMeetingInfo struct {
	Organizer     *IdentitySet `json:"organizer"`
	JoinMeetingID string       `json:"joinMeetingId"`
}

type wireParticipant struct {
	Identity   *IdentitySet `json:"identity"`
	Region     string       `json:"region"`
	LanguageID string       `json:"languageId"`
}

// lenient holds an optional part of a call that decodes only if it has the
// expected shape; null or any other shape leaves it unset. Both decoding
// paths check the body's syntax before a field's UnmarshalJSON runs, and both
// run this same code, so they agree on what is kept.
type lenient[T any] struct {
	v  T
	ok bool
}

func (l *lenient[T]) UnmarshalJSON(b []byte) error {
	var v T
	if string(bytes.TrimSpace(b)) != "null" && json.Unmarshal(b, &v) == nil {
		l.v, l.ok = v, true
	}
	return nil
}

type wireResultInfo struct {
	Code    flexInt `json:"code"`
	Subcode flexInt `json:"subcode"`
	Message string  `json:"message"`
}

// flexInt is an Int32 that Graph sends as a number in real traffic and as a
// string in its documentation ("code": "200"). Anything that is not a whole
// number reads as 0, so an odd code never costs the rest of the notification.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	switch {
	case string(t) == "null":
		*f = 0
		return nil
	case len(t) > 0 && t[0] == '"':
		// b is valid JSON here (both decoding paths check it first), so a
		// string without escapes is its bytes between the quotes. Invalid
		// UTF-8, which Unmarshal would turn into U+FFFD, is no number
		// either way.
		inner := t[1 : len(t)-1]
		if bytes.IndexByte(inner, '\\') < 0 {
			f.parse(string(bytes.TrimSpace(inner)))
			return nil
		}
		var str string
		if err := json.Unmarshal(t, &str); err != nil {
			return err
		}
		f.parse(strings.TrimSpace(str))
		return nil
	case len(t) > 0 && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9')):
		f.parse(string(t))
		return nil
	}
	return fmt.Errorf("want a number or a numeric string, got %.20s", t)
}

// parse reads s as a whole number within an Int32, or 0.
func (f *flexInt) parse(s string) {
	*f = 0
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			*f = flexInt(v)
		}
		return
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v == math.Trunc(v) && math.Abs(v) <= math.MaxInt32 {
		*f = flexInt(v)
	}
}

// call turns the wire form into the decoder's.
func (w *wireCall) call() *Call {
	c := &Call{
		ID:                strings.TrimSpace(w.ID),
		State:             strings.ToLower(strings.TrimSpace(w.State)),
		Direction:         strings.ToLower(strings.TrimSpace(w.Direction)),
		TerminationReason: strings.TrimSpace(w.TerminationReason),
		TenantID:          strings.TrimSpace(w.TenantID),
		CallbackURI:       strings.TrimSpace(w.CallbackURI),
		Routes:            w.routes(),
		Context:           w.context(),
		Meeting:           w.meeting(),
	}
	if w.Source != nil {
		p := w.Source.participant()
		c.Source = &p
	}
	if w.Targets != nil {
		c.Targets = make([]Participant, 0, len(*w.Targets))
		for _, t := range *w.Targets {
			c.Targets = append(c.Targets, t.participant())
		}
	}
	if w.RequestedModalities != nil {
		// Filtered in place: the wire slice is not used again.
		mods := (*w.RequestedModalities)[:0]
		for _, m := range *w.RequestedModalities {
			if m = strings.TrimSpace(m); m != "" {
				mods = append(mods, m)
			}
		}
		c.RequestedModalities = mods
	}
	if w.ResultInfo != nil {
		c.ResultInfo = &ResultInfo{
			Code:    int(w.ResultInfo.Code),
			Subcode: int(w.ResultInfo.Subcode),
			Message: strings.TrimSpace(w.ResultInfo.Message),
		}
	}
	return c
}

func (w *wireCall) routes() []Route {
	if !w.CallRoutes.ok || w.CallRoutes.v == nil {
		return nil
	}
	out := make([]Route, 0, len(w.CallRoutes.v))
	for _, r := range w.CallRoutes.v {
		out = append(out, Route{
			Original:    deref(tidy(r.Original)),
			Final:       deref(tidy(r.Final)),
			RoutingType: strings.ToLower(strings.TrimSpace(r.RoutingType)),
		})
	}
	return out
}

func (w *wireCall) context() *IncomingContext {
	if !w.IncomingContext.ok {
		return nil
	}
	ic := &w.IncomingContext.v
	return &IncomingContext{
		SourceParticipantID:   strings.TrimSpace(ic.SourceParticipantID),
		ObservedParticipantID: strings.TrimSpace(ic.ObservedParticipantID),
		OnBehalfOf:            tidy(ic.OnBehalfOf),
		Transferor:            tidy(ic.Transferor),
	}
}

// meeting is the meeting the call joins, or nil when meetingInfo names
// neither an organizer nor a join id.
func (w *wireCall) meeting() *Meeting {
	if !w.MeetingInfo.ok {
		return nil
	}
	mi := &w.MeetingInfo.v
	m := &Meeting{Organizer: tidy(mi.Organizer), JoinMeetingID: strings.TrimSpace(mi.JoinMeetingID)}
	if m.Organizer != nil && !m.Organizer.known() {
		m.Organizer = nil
	}
	if m.Organizer == nil && m.JoinMeetingID == "" {
		return nil
	}
	return m
}

// participant tidies the decoded identities in place and keeps them: the
// wire form is not used again.
func (w wireParticipant) participant() Participant {
	p := Participant{Region: strings.TrimSpace(w.Region), LanguageID: strings.TrimSpace(w.LanguageID)}
	if w.Identity != nil {
		p.Identity = *tidy(w.Identity)
	}
	return p
}

// tidy trims the identities of set in place and returns it.
func tidy(set *IdentitySet) *IdentitySet {
	if set == nil {
		return nil
	}
	for _, id := range set.leaves() {
		if id != nil {
			id.ID, id.DisplayName = strings.TrimSpace(id.ID), strings.TrimSpace(id.DisplayName)
		}
	}
	return set
}

func deref(set *IdentitySet) IdentitySet {
	if set == nil {
		return IdentitySet{}
	}
	return *set
}

func (s *IdentitySet) leaves() [8]*Identity {
	return [8]*Identity{s.User, s.Application, s.ApplicationInstance, s.Phone, s.Guest, s.Encrypted, s.OnPremises, s.ACSUser}
}

// known reports whether any identity in the set has an id or a name.
func (s *IdentitySet) known() bool {
	for _, id := range s.leaves() {
		if id != nil && (id.ID != "" || id.DisplayName != "") {
			return true
		}
	}
	return false
}

func isObject(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

// jsonError words a decoding error for a person reading a 400 reply or a log.
func jsonError(what string, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("%s is not valid JSON: %v (at byte %d)", what, syn, syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "a value"
		} else {
			field = strconv.Quote(field)
		}
		return fmt.Errorf("%s has the wrong type for %s: want %s, got JSON %s", what, field, typ.Type, typ.Value)
	}
	return fmt.Errorf("%s cannot be read: %v", what, err)
}
