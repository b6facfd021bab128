package gwstest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Capability lists as GWS sends them in the documented samples.
var (
	// RingingQueueCapabilities: a call delivered through a queue, which
	// may be rejected back to it.
	RingingQueueCapabilities = []string{"Answer", "Reject", "AttachUserData", "UpdateUserData"}
	// RingingDirectCapabilities: a call dialled to the agent's DN, which
	// cannot be rejected.
	RingingDirectCapabilities = []string{"Answer", "AttachUserData", "UpdateUserData"}
	// EstablishedCapabilities is the list of the Answer sample.
	EstablishedCapabilities = []string{"SingleStepTransfer", "InitiateConference", "Hold", "SingleStepConference",
		"InitiateTransfer", "SendDtmf", "DeleteUserData", "AttachUserData", "DeleteUserDataPair", "Hangup", "UpdateUserData"}
	// HeldCapabilities: Hold is replaced by Retrieve, SendDtmf is gone.
	HeldCapabilities = []string{"SingleStepTransfer", "InitiateConference", "Retrieve", "SingleStepConference",
		"InitiateTransfer", "DeleteUserData", "AttachUserData", "DeleteUserDataPair", "Hangup", "UpdateUserData"}
)

// Call is a call as the fake GWS keeps it.
type Call struct {
	ID       string // generated (32 characters, like 8.5.2's ids) if empty
	ConnID   string // generated (16 hex digits) if empty
	State    string // Ringing if empty when the call is added
	CallType string // Inbound, Outbound, Internal, Consult
	ANI      string
	DNIS     string // the agent's DN if empty
	// Participants are the other parties' numbers.
	Participants []string
	// LegacyParticipants sends participants as plain strings, like GWS
	// builds before 8.5.2, instead of objects.
	LegacyParticipants bool
	Capabilities       []string
	// UserData is the call's attached data; values are text, numbers or,
	// for key-value lists such as Workspace's WWE_PARTY_<number>, maps.
	UserData map[string]any
	// Extensions are the T-Server extensions the call's notifications
	// carry in data.extensions (over the defaults WrapUpTime and
	// BusinessCall), e.g. NO_ANSWER_TIMEOUT and NO_ANSWER_ACTION.
	Extensions map[string]any
	Started    time.Time // for duration; the server's now if zero
}

func (c Call) clone() Call {
	c.Participants = slices.Clone(c.Participants)
	c.Capabilities = slices.Clone(c.Capabilities)
	c.UserData = maps.Clone(c.UserData)
	c.Extensions = maps.Clone(c.Extensions)
	return c
}

// QueueCall is a ringing inbound call from caller delivered through queue:
// it offers Answer and Reject.
func QueueCall(id, caller, queue string) Call {
	return Call{ID: id, State: "Ringing", CallType: "Inbound", ANI: caller, DNIS: queue,
		Capabilities: slices.Clone(RingingQueueCapabilities)}
}

// DirectCall is a ringing internal call dialled straight to the agent's DN:
// it offers Answer but not Reject.
func DirectCall(id, caller string) Call {
	return Call{ID: id, State: "Ringing", CallType: "Internal", Participants: []string{caller},
		Capabilities: slices.Clone(RingingDirectCapabilities)}
}

// ActiveCall is an established inbound call with caller.
func ActiveCall(id, caller string) Call {
	return Call{ID: id, State: "Established", CallType: "Inbound", ANI: caller, Participants: []string{caller},
		Capabilities: slices.Clone(EstablishedCapabilities)}
}

// Put adds c, or replaces the call with its id, without publishing anything
// (as if the notification were lost). It returns the call as stored.
func (s *Server) Put(c Call) Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putLocked(c).clone()
}

func (s *Server) putLocked(c Call) *Call {
	c = c.clone()
	if c.ID == "" {
		c.ID = callID()
	}
	if c.ConnID == "" {
		c.ConnID = connID()
	}
	if c.State == "" {
		c.State = "Ringing"
	}
	if c.DNIS == "" {
		c.DNIS = s.opts.PhoneNumber
	}
	if c.Started.IsZero() {
		c.Started = s.opts.Now()
	}
	if c.Capabilities == nil {
		c.Capabilities = []string{}
	}
	if _, known := s.calls[c.ID]; !known {
		s.order = append(s.order, c.ID)
	}
	s.calls[c.ID] = &c
	return &c
}

// Ring adds c (Ringing unless it says otherwise) and publishes it, the way
// GWS announces a new call.
func (s *Server) Ring(c Call) (Call, error) {
	s.publishMu.Lock()
	defer s.publishMu.Unlock()
	s.mu.Lock()
	stored := s.putLocked(c).clone()
	s.mu.Unlock()
	return stored, s.publishCall(&stored, "StatusChange")
}

// Change applies f to call id and, if notify is set, publishes the result
// with notificationType (StatusChange if empty). A call f moves to Released
// is removed from the list, as GWS does.
func (s *Server) Change(id string, f func(*Call), notify bool, notificationType string) error {
	s.publishMu.Lock()
	defer s.publishMu.Unlock()
	s.mu.Lock()
	c, ok := s.calls[id]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("no call %q", id)
	}
	f(c)
	c.ID = id
	out := c.clone()
	if c.State == "Released" {
		s.removeLocked(id)
	}
	s.mu.Unlock()
	if !notify {
		return nil
	}
	if notificationType == "" {
		notificationType = "StatusChange"
	}
	return s.publishCall(&out, notificationType)
}

// Release ends call id (the far end hung up), publishing it if notify is set.
func (s *Server) Release(id string, notify bool) error {
	return s.Change(id, func(c *Call) {
		c.State = "Released"
		c.Capabilities = []string{}
	}, notify, "")
}

// Remove drops call id silently; it reports whether it existed.
func (s *Server) Remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.calls[id]
	s.removeLocked(id)
	return ok
}

func (s *Server) removeLocked(id string) {
	delete(s.calls, id)
	s.order = slices.DeleteFunc(s.order, func(x string) bool { return x == id })
}

// Call returns call id as stored.
func (s *Server) Call(id string) (Call, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[id]
	if !ok {
		return Call{}, false
	}
	return c.clone(), true
}

// Calls returns the calls in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.calls[id].clone())
	}
	return out
}

// SetAgentState sets the agent's state (Ready, NotReady, …) with its
// display name and do-not-disturb, and publishes a DeviceStateChangeMessage.
func (s *Server) SetAgentState(state, displayName string, dnd bool) error {
	s.mu.Lock()
	s.userState = agentState{state: state, displayName: displayName, dnd: dnd, id: systemStates[state].id}
	s.mu.Unlock()
	return s.publishDeviceErr()
}

// PublishRaw publishes data as is on channel, for tests of what a client
// does with malformed notifications.
func (s *Server) PublishRaw(channel string, data []byte) error {
	s.mu.Lock()
	hook := s.opts.Publish
	s.mu.Unlock()
	if hook == nil {
		return nil
	}
	return hook(channel, data)
}

// publishCall publishes c as a CallStateChangeMessage.
func (s *Server) publishCall(c *Call, notificationType string) error {
	s.mu.Lock()
	extensions := map[string]any{"WrapUpTime": 0, "BusinessCall": 0}
	maps.Copy(extensions, c.Extensions)
	data := map[string]any{
		"messageType":      "CallStateChangeMessage",
		"notificationType": notificationType,
		"phoneNumber":      s.opts.PhoneNumber,
		"extensions":       extensions,
		"call":             s.resourceLocked(c),
	}
	s.mu.Unlock()
	return s.publish(ChannelCalls, data)
}

// ErrorReport is what an ErrorMessage says: GWS's errorCode and
// errorMessage, and the call or the agent's device it is about.
type ErrorReport struct {
	Code    int    // errorCode (T-Server's error number); left out if 0
	Message string // errorMessage; left out if empty
	CallID  string // the call it is about: sent as data.call {id, uri}
	// Device says it is about the agent's device: sent as data.deviceUri.
	Device bool
}

// PublishError publishes an ErrorMessage on channel, the way GWS reports a
// request that failed after it was accepted, or a device that failed.
func (s *Server) PublishError(channel string, e ErrorReport) error {
	s.mu.Lock()
	data := map[string]any{"messageType": "ErrorMessage", "phoneNumber": s.opts.PhoneNumber}
	if e.Code != 0 {
		data["errorCode"] = e.Code
	}
	if e.Message != "" {
		data["errorMessage"] = e.Message
	}
	if e.CallID != "" {
		data["call"] = map[string]any{"id": e.CallID, "uri": s.opts.BaseURL + "/api/v2/me/calls/" + url.PathEscape(e.CallID)}
	}
	if e.Device {
		data["deviceUri"] = s.opts.BaseURL + "/api/v2/devices/" + s.opts.DeviceID
	}
	s.mu.Unlock()
	return s.publish(channel, data)
}

// publishDevice publishes the agent's device state; errors are dropped
// (it runs after a reply was sent; nobody is left to tell).
func (s *Server) publishDevice() { _ = s.publishDeviceErr() }

func (s *Server) publishDeviceErr() error {
	s.mu.Lock()
	data := map[string]any{
		"messageType": "DeviceStateChangeMessage",
		"devices":     []any{s.deviceLocked()},
	}
	s.mu.Unlock()
	return s.publish(ChannelDevices, data)
}

// resourceLocked is the call resource as GWS 8.5.2 writes it (field set of
// the Reject sample's notification).
func (s *Server) resourceLocked(c *Call) map[string]any {
	var participants []any
	for _, p := range c.Participants {
		if c.LegacyParticipants {
			participants = append(participants, p)
			continue
		}
		participants = append(participants, map[string]any{
			"e164Number": "", "formattedPhoneNumber": p, "phoneNumber": p, "digits": p,
		})
	}
	if participants == nil {
		participants = []any{}
	}
	duration := 0
	if !c.Started.IsZero() {
		duration = max(int(s.opts.Now().Sub(c.Started)/time.Second), 0)
	}
	r := map[string]any{
		"id":                    c.ID,
		"state":                 c.State,
		"callUuid":              c.ID,
		"connId":                c.ConnID,
		"deviceUri":             s.opts.BaseURL + "/api/v2/devices/" + s.opts.DeviceID,
		"participants":          participants,
		"dnis":                  c.DNIS,
		"callType":              c.CallType,
		"capabilities":          c.Capabilities,
		"duration":              strconv.Itoa(duration),
		"mute":                  "Off",
		"supervisorListeningIn": false,
		"monitoredUserMuted":    false,
		"monitoring":            false,
		"uri":                   s.opts.BaseURL + "/api/v2/me/calls/" + url.PathEscape(c.ID),
		"path":                  "/calls/" + url.PathEscape(c.ID),
	}
	if c.ANI != "" {
		r["ani"] = c.ANI
	}
	if len(c.UserData) > 0 {
		r["userData"] = c.UserData
	}
	return r
}

func (s *Server) callListLocked() []any {
	out := make([]any, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.resourceLocked(s.calls[id]))
	}
	return out
}

// deviceLocked is the agent's device as a DeviceStateChangeMessage carries
// it.
func (s *Server) deviceLocked() map[string]any {
	dnd := "Off"
	if s.userState.dnd {
		dnd = "On"
	}
	return map[string]any{
		"id":               s.opts.DeviceID,
		"deviceState":      "Active",
		"phoneNumber":      s.opts.PhoneNumber,
		"e164Number":       s.opts.PhoneNumber,
		"telephonyNetwork": "Private",
		"doNotDisturb":     dnd,
		"userState":        s.userStateLocked(),
		"capabilities":     []string{"DoNotDisturbOn", "ForwardCallsOn"},
	}
}

// userStateLocked is the agent's user state as a device carries it:
// workMode and reason only when set, as in the samples.
func (s *Server) userStateLocked() map[string]any {
	u := s.userState
	out := map[string]any{"displayName": u.displayName, "state": u.state}
	if u.id != "" {
		out["id"] = u.id
	}
	if u.workMode != "" {
		out["workMode"] = u.workMode
	}
	if u.reason != "" {
		out["reason"] = u.reason
	}
	return out
}

// callID makes an id shaped like GWS 8.5.2's (32 upper-case characters).
func callID() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
	var b [32]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]%32]
	}
	return string(b[:])
}

// connID makes a T-Server ConnID (16 hex digits).
func connID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
