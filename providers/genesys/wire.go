package genesys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ringside/providers"
)

// The CometD channels the console listens to.
const (
	channelCalls   = "/v2/me/calls"
	channelDevices = "/v2/me/devices"
)

// GWS call states (call.state). Anything else is tolerated: GWS documents the
// list as open ("and so on").
const (
	gwsDialing     = "Dialing"
	gwsRinging     = "Ringing"
	gwsEstablished = "Established"
	gwsHeld        = "Held"
	gwsReleased    = "Released"
)

// notificationError is the notificationType GWS uses when an operation it had
// accepted failed later in the switch.
const notificationError = "Error"

// wireCall is a GWS call resource, reduced to what the console uses. It is
// decoded tolerantly: GWS builds differ (participants as strings or objects,
// ids in two formats) and unknown fields are ignored.
type wireCall struct {
	ID           string
	State        string // "" when the message did not say
	CallType     string // Inbound, Outbound, Internal, Consult
	ANI          string
	DNIS         string
	Participants []wireParty
	Capabilities []string
	Duration     time.Duration
	HasDuration  bool
	// NoAnswer is the switch's own ring timeout for the call
	// (extensions.NO_ANSWER_TIMEOUT), zero when it sent none.
	NoAnswer time.Duration
	// NoAnswerAction is what the switch does to the agent when that
	// timeout passes (extensions.NO_ANSWER_ACTION: none, notready,
	// logout), as sent.
	NoAnswerAction string
	// NoAnswerProblem says why a NO_ANSWER_TIMEOUT that was sent is not
	// used ("" when it is used or none was sent).
	NoAnswerProblem string
	// NoSupervision: NO_ANSWER_TIMEOUT was sent as 0, the switch does not
	// time the ring, so its no-answer action never comes.
	NoSupervision bool
	// UserData is the call's attached data, still raw: the console only
	// looks into it for a caller's name.
	UserData json.RawMessage
}

// has reports whether GWS offers the operation on the call right now.
func (c *wireCall) has(op string) bool {
	for _, name := range c.Capabilities {
		if name == op {
			return true
		}
	}
	return false
}

// wireParty is one entry of call.participants.
type wireParty struct {
	Number    string // phoneNumber or digits
	Formatted string // formattedPhoneNumber, when it differs from Number
}

// wireDevice is one entry of a DeviceStateChangeMessage or device list.
type wireDevice struct {
	ID          string
	PhoneNumber string
	DND         bool
	UserState   string // Ready, NotReady, … ("" when absent)
	WorkMode    string // AfterCallWork, AuxWork, … ("" when absent)
	DisplayName string // the configured name of the state, e.g. "Lunch"
}

// callNote is a CallStateChangeMessage.
type callNote struct {
	Type        string // notificationType: StatusChange, AttachedDataChanged, Error, …
	PhoneNumber string // the agent's DN the event happened on
	Call        wireCall
}

// deviceNote is a DeviceStateChangeMessage.
type deviceNote struct {
	Devices []wireDevice
}

// errorNote is an ErrorMessage: GWS saying that something it had accepted
// failed (a request on a call, a device that went out of service).
type errorNote struct {
	Code    string // errorCode as GWS sent it ("" if none)
	Message string // errorMessage, cut to maxErrorText
	CallID  string // the call it is about, if it says
	Device  string // the device it is about (its id, else its number), if it says
}

// notification is one decoded CometD data message. At most one field is set;
// none is set for messages the console does not use.
type notification struct {
	Call   *callNote
	Device *deviceNote
	Error  *errorNote
}

// decodeNotification reads the data of a message delivered on channel. It
// never panics; anything that cannot be a GWS notification is an error that
// says what was wrong.
func decodeNotification(channel string, data []byte) (notification, error) {
	return decodeData(channel, data, false)
}

// decodeCheckedNotification is decodeNotification for data known to be one
// JSON value: the bayeux client checks every message's data so (as
// encoding/json would), and it is not checked twice.
func decodeCheckedNotification(channel string, data []byte) (notification, error) {
	return decodeData(channel, data, true)
}

// decodeData reads a notification; checked says data is one JSON value.
func decodeData(channel string, data []byte, checked bool) (notification, error) {
	// One pass over the bytes for the common case (split.go); anything
	// unusual takes the tolerant path, which can say what is wrong.
	var split rawCall
	env, hasCall, ok := splitNote(bytes.TrimSpace(data), checked, &split)
	var call *rawCall
	if hasCall {
		call = &split
	}
	if !ok {
		var err error
		if env, call, err = splitNoteTolerant(channel, data); err != nil {
			return notification{}, err
		}
	}
	kind, _ := optString(env.MessageType)
	if kind == "" {
		// Tolerate a missing messageType: the channel and the payload say
		// what it is.
		switch {
		case channel == channelCalls && call != nil:
			kind = "CallStateChangeMessage"
		case channel == channelDevices && !isNull(env.Devices):
			kind = "DeviceStateChangeMessage"
		}
	}
	switch kind {
	case "CallStateChangeMessage":
		if call == nil {
			return notification{}, fmt.Errorf("CallStateChangeMessage on %s has no call", channel)
		}
		wc, err := call.wire()
		if err != nil {
			return notification{}, fmt.Errorf("CallStateChangeMessage on %s: %w", channel, err)
		}
		// The extensions of the event (data.extensions) are the switch's
		// word on this very message; they win over any on the call.
		switch {
		case env.extensionsRead:
			wc.applyExtensions(&env.splitExtensions)
		case !isNull(env.Extensions):
			wc.readExtensions(env.Extensions)
		}
		note := &callNote{Call: wc}
		note.Type, _ = optString(env.NotificationType)
		note.PhoneNumber, _ = optString(env.PhoneNumber)
		return notification{Call: note}, nil
	case "DeviceStateChangeMessage":
		devices, err := decodeDevices(env.Devices)
		if err != nil {
			return notification{}, fmt.Errorf("DeviceStateChangeMessage on %s: %w", channel, err)
		}
		return notification{Device: &deviceNote{Devices: devices}}, nil
	case "ErrorMessage":
		return notification{Error: env.errorNote(call)}, nil
	}
	return notification{}, nil
}

// splitNoteTolerant splits a notification into its raw fields with
// encoding/json; a call that cannot even be split carries why in its err.
func splitNoteTolerant(channel string, data []byte) (noteFields, *rawCall, error) {
	var env struct {
		noteFields
		Call json.RawMessage `json:"call"`
	}
	// One pass over the bytes when the call is an object or null; else
	// the slower path, which can say what is wrong.
	var fast struct {
		noteFields
		Call *rawCall `json:"call"`
	}
	if d := bytes.TrimSpace(data); len(d) > 0 && d[0] == '{' && json.Unmarshal(d, &fast) == nil {
		return fast.noteFields, fast.Call, nil
	}
	if err := decodeObject(data, &env); err != nil {
		return noteFields{}, nil, fmt.Errorf("message on %s: %w", channel, err)
	}
	var call *rawCall
	if !isNull(env.Call) {
		call = new(rawCall)
		if err := decodeObject(env.Call, call); err != nil {
			call.err = fmt.Errorf("call: %w", err)
		}
	}
	return env.noteFields, call, nil
}

// noteFields are the fields of a CometD message's data from GWS, less the
// call, which is decoded on its own.
type noteFields struct {
	MessageType      json.RawMessage `json:"messageType"`
	NotificationType json.RawMessage `json:"notificationType"`
	PhoneNumber      json.RawMessage `json:"phoneNumber"`
	Devices          json.RawMessage `json:"devices"`
	Extensions       json.RawMessage `json:"extensions"`
	// ErrorMessage fields. GWS names its error notifications' fields
	// errorCode and errorMessage (the code may be a number or a string);
	// what they concern is named by a call, a call or device URI, or a
	// phone number.
	ErrorCode    json.RawMessage `json:"errorCode"`
	ErrorMessage json.RawMessage `json:"errorMessage"`
	CallID       json.RawMessage `json:"callId"`
	CallURI      json.RawMessage `json:"callUri"`
	DeviceID     json.RawMessage `json:"deviceId"`
	DeviceURI    json.RawMessage `json:"deviceUri"`

	// The extensions' fields the console uses, when the one-pass split
	// read them itself (split.go).
	splitExtensions extensionFields
	extensionsRead  bool
}

// Bounds of what an ErrorMessage may put in front of a person.
const (
	maxErrorText = 300 // bytes of errorMessage kept
	maxErrorCode = 32  // bytes of errorCode kept
	maxErrorRef  = 128 // bytes of a call or device reference kept
)

// errorNote reads an ErrorMessage. Every field is optional: whatever GWS
// sent is kept (cut to its bound), whatever it did not is left empty.
func (env *noteFields) errorNote(call *rawCall) *errorNote {
	e := &errorNote{}
	code, _ := optText(env.ErrorCode)
	e.Code = cut(strings.TrimSpace(code), maxErrorCode)
	msg, _ := optString(env.ErrorMessage)
	e.Message = cut(strings.TrimSpace(msg), maxErrorText)
	if call != nil && call.err == nil {
		e.CallID, _ = optString(call.ID)
	}
	if e.CallID == "" {
		e.CallID, _ = optString(env.CallID)
	}
	if e.CallID == "" {
		uri, _ := optString(env.CallURI)
		e.CallID = lastSegment(uri)
	}
	e.CallID = cut(strings.TrimSpace(e.CallID), maxErrorRef)
	e.Device, _ = optString(env.DeviceID)
	if e.Device == "" {
		uri, _ := optString(env.DeviceURI)
		e.Device = lastSegment(uri)
	}
	if e.Device == "" && e.CallID == "" {
		e.Device, _ = optText(env.PhoneNumber)
	}
	e.Device = cut(strings.TrimSpace(e.Device), maxErrorRef)
	return e
}

// refusal is the error as the server's own refusal, for an action that
// was waiting on the call.
func (e *errorNote) refusal() error {
	r := &providers.RefusedError{Message: e.Message}
	if e.Code != "" {
		r.Code = "errorCode " + e.Code
	}
	if r.Message == "" && r.Code == "" {
		r.Message = "no reason given"
	}
	return r
}

// lastSegment is the last path segment of a resource URI
// (…/api/v2/devices/{id} → id), or "" if there is none.
func lastSegment(uri string) string {
	uri = strings.TrimRight(uri, "/")
	i := strings.LastIndexByte(uri, '/')
	if i < 0 || i == len(uri)-1 {
		return ""
	}
	return uri[i+1:]
}

// cut bounds s to at most n bytes, on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// rawCall is a call resource with every field still raw, so that a field of
// an unexpected type never fails the whole call.
type rawCall struct {
	ID           json.RawMessage `json:"id"`
	State        json.RawMessage `json:"state"`
	CallType     json.RawMessage `json:"callType"`
	ANI          json.RawMessage `json:"ani"`
	DNIS         json.RawMessage `json:"dnis"`
	Participants json.RawMessage `json:"participants"`
	Capabilities json.RawMessage `json:"capabilities"`
	Duration     json.RawMessage `json:"duration"`
	Extensions   json.RawMessage `json:"extensions"`
	UserData     json.RawMessage `json:"userData"`
	err          error           // why the call could not even be split into fields
	split        callParts       // what the one-pass split read itself (split.go)
}

// decodeCall reads one call resource. The id is required; every other field
// is optional and a field of the wrong type is treated as absent, except
// state, whose wrong type is reported because guessing it could show a call
// in the wrong state. When the id was readable the failed result still
// carries it.
func decodeCall(data []byte) (wireCall, error) {
	raw, ok := splitCall(bytes.TrimSpace(data))
	if !ok {
		if err := decodeObject(data, &raw); err != nil {
			return wireCall{}, fmt.Errorf("call: %w", err)
		}
	}
	return raw.wire()
}

// wire reads the fields of a call (see decodeCall).
func (raw *rawCall) wire() (wireCall, error) {
	if raw.err != nil {
		return wireCall{}, raw.err
	}
	var c wireCall
	id, ok := optString(raw.ID)
	switch {
	case !ok:
		return wireCall{}, errors.New("call id is not a string")
	case strings.TrimSpace(id) == "":
		return wireCall{}, errors.New("call has no id")
	}
	if err := providers.CheckCallID(id); err != nil {
		return wireCall{}, fmt.Errorf("call id: %w", err)
	}
	c.ID = id
	if c.State, ok = optString(raw.State); !ok {
		return wireCall{ID: c.ID}, fmt.Errorf("call %s: state is not a string", c.ID)
	}
	c.CallType, _ = optString(raw.CallType)
	c.ANI, _ = optText(raw.ANI)
	c.DNIS, _ = optText(raw.DNIS)
	if raw.split.read&readParticipants != 0 {
		c.Participants = raw.split.participants
	} else {
		c.Participants = decodeParticipants(raw.Participants)
	}
	if raw.split.read&readCapabilities != 0 {
		c.Capabilities = raw.split.capabilities
	} else {
		c.Capabilities = stringList(raw.Capabilities)
	}
	c.Duration, c.HasDuration = decodeDuration(raw.Duration)
	if !isNull(raw.Extensions) {
		if raw.split.read&readExtensions != 0 {
			c.applyExtensions(&raw.split.extensions)
		} else {
			c.readExtensions(raw.Extensions)
		}
	}
	if d := bytes.TrimSpace(raw.UserData); len(d) > 0 && d[0] == '{' && len(d) <= maxUserData {
		c.UserData = raw.UserData
	}
	return c, nil
}

// maxUserData bounds the attached data the console looks into for a name;
// larger attached data is not searched.
const maxUserData = 64 << 10

// Bounds of the switch's ring timeout. T-Server documents its no-answer
// timeout as 0–600 s, 0 meaning no supervision; anything else is not a ring
// timeout the console can trust, and the answer window applies instead.
const (
	maxNoAnswer     = 600 * time.Second
	maxNoAnswerText = 32 // bytes of a refused value quoted back
)

// readExtensions reads the T-Server extensions the console uses: the
// switch's ring timeout (NO_ANSWER_TIMEOUT, seconds, sent as a number or a
// string) and what it does when it passes (NO_ANSWER_ACTION). Extensions
// that are not an object, and values of other types, are ignored; a timeout
// that is not a usable number of seconds is ignored and NoAnswerProblem
// says why.
func (c *wireCall) readExtensions(data json.RawMessage) {
	ext, ok := splitExtensions(data)
	if !ok && decodeObject(data, &ext) != nil {
		return
	}
	c.applyExtensions(&ext)
}

// extensionFields are the extensions the console uses, still raw.
type extensionFields struct {
	Timeout json.RawMessage `json:"NO_ANSWER_TIMEOUT"`
	Action  json.RawMessage `json:"NO_ANSWER_ACTION"`
}

// applyExtensions reads the extensions' fields into c (see
// readExtensions).
func (c *wireCall) applyExtensions(ext *extensionFields) {
	if action, ok := optText(ext.Action); ok {
		c.NoAnswerAction = cut(strings.TrimSpace(action), maxNoAnswerText)
	}
	if isNull(ext.Timeout) {
		return
	}
	c.NoAnswer, c.NoAnswerProblem = decodeNoAnswer(ext.Timeout)
	c.NoSupervision = c.NoAnswer == 0 && c.NoAnswerProblem == ""
}

// decodeNoAnswer reads NO_ANSWER_TIMEOUT: seconds, as a number or a string.
// Zero (no supervision) is no timeout and no problem.
func decodeNoAnswer(data json.RawMessage) (time.Duration, string) {
	text, ok := optText(data)
	shown := cut(strings.TrimSpace(text), maxNoAnswerText)
	if !ok {
		return 0, "NO_ANSWER_TIMEOUT is not a number of seconds"
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	switch {
	case err != nil || math.IsNaN(secs) || math.IsInf(secs, 0):
		return 0, fmt.Sprintf("NO_ANSWER_TIMEOUT %q is not a number of seconds", shown)
	case secs < 0:
		return 0, fmt.Sprintf("NO_ANSWER_TIMEOUT %s is negative", shown)
	case secs == 0:
		return 0, ""
	case secs > maxNoAnswer.Seconds():
		return 0, fmt.Sprintf("NO_ANSWER_TIMEOUT %s s is more than the %d s T-Server allows", shown, int(maxNoAnswer.Seconds()))
	}
	return time.Duration(secs * float64(time.Second)), ""
}

// decodeParticipants accepts both encodings GWS builds use: plain numbers
// (["5000"]) and objects ({phoneNumber, digits, formattedPhoneNumber}).
// Entries of any other shape are skipped.
func decodeParticipants(data json.RawMessage) []wireParty {
	if out, ok := splitParticipants(data); ok {
		return out
	}
	return participantsTolerant(data)
}

// participantsTolerant is decodeParticipants with encoding/json, for any
// list.
func participantsTolerant(data json.RawMessage) []wireParty {
	var items []json.RawMessage
	if isNull(data) || json.Unmarshal(data, &items) != nil {
		return nil
	}
	var out []wireParty
	for _, item := range items {
		if p, ok := textParty(item); ok {
			out = append(out, p)
			continue
		}
		var obj partyFields
		if decodeObject(item, &obj) != nil {
			continue
		}
		if p, ok := obj.party(); ok {
			out = append(out, p)
		}
	}
	return out
}

// textParty reads a participant given as a number alone (a string or a
// number); ok is false for an entry that is not one.
func textParty(item json.RawMessage) (wireParty, bool) {
	if s, ok := optText(item); ok && s != "" {
		return wireParty{Number: s}, true
	}
	return wireParty{}, false
}

// partyFields are a participant object's fields, still raw.
type partyFields struct {
	PhoneNumber json.RawMessage `json:"phoneNumber"`
	Digits      json.RawMessage `json:"digits"`
	Formatted   json.RawMessage `json:"formattedPhoneNumber"`
	E164        json.RawMessage `json:"e164Number"`
}

// party reads a participant object; ok is false when it names no number.
func (obj *partyFields) party() (wireParty, bool) {
	p := wireParty{}
	for _, f := range []json.RawMessage{obj.PhoneNumber, obj.Digits, obj.E164} {
		if s, _ := optText(f); s != "" {
			p.Number = s
			break
		}
	}
	// A formatted number shows as the party's name: bound it like one.
	if s, _ := optText(obj.Formatted); s != "" && s != p.Number {
		p.Formatted = cleanName(s)
	}
	if p.Number == "" && p.Formatted != "" {
		p.Number, p.Formatted = p.Formatted, ""
	}
	return p, p.Number != ""
}

// decodeDuration reads call.duration: seconds, sent as a string ("22") by GWS
// and tolerated as a number.
func decodeDuration(data json.RawMessage) (time.Duration, bool) {
	s, ok := optText(data)
	if !ok || s == "" {
		return 0, false
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(secs) || secs < 0 || secs > maxCallAge.Seconds() {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}

// maxCallAge bounds a plausible call duration; larger values are ignored
// rather than trusted to date a call.
const maxCallAge = 7 * 24 * time.Hour

// decodeDevices reads a devices array. A non-array is an error; entries that
// are not objects are skipped.
func decodeDevices(data json.RawMessage) ([]wireDevice, error) {
	if isNull(data) {
		return nil, errors.New("no devices")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, errors.New("devices is not an array")
	}
	out := make([]wireDevice, 0, len(items))
	for _, item := range items {
		var raw struct {
			ID          json.RawMessage `json:"id"`
			PhoneNumber json.RawMessage `json:"phoneNumber"`
			DND         json.RawMessage `json:"doNotDisturb"`
			UserState   json.RawMessage `json:"userState"`
		}
		if decodeObject(item, &raw) != nil {
			continue
		}
		var d wireDevice
		d.ID, _ = optString(raw.ID)
		d.PhoneNumber, _ = optText(raw.PhoneNumber)
		if s, ok := optString(raw.DND); ok {
			d.DND = strings.EqualFold(s, "On")
		} else {
			var b bool
			if json.Unmarshal(raw.DND, &b) == nil {
				d.DND = b
			}
		}
		var us struct {
			State       json.RawMessage `json:"state"`
			WorkMode    json.RawMessage `json:"workMode"`
			DisplayName json.RawMessage `json:"displayName"`
		}
		if decodeObject(raw.UserState, &us) == nil {
			d.UserState, _ = optString(us.State)
			d.WorkMode, _ = optString(us.WorkMode)
			d.DisplayName, _ = optString(us.DisplayName)
		}
		out = append(out, d)
	}
	return out, nil
}

// decodeObject unmarshals data, which must be a JSON object, into v.
func decodeObject(data []byte, v any) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return errors.New("empty")
	}
	if data[0] != '{' {
		if !json.Valid(data) {
			return errors.New("not JSON")
		}
		return fmt.Errorf("expected a JSON object, got %s", describeJSON(data))
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	return nil
}

// describeJSON names the kind of a valid JSON value that is not an object.
func describeJSON(data []byte) string {
	switch data[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// isNull reports whether a raw field is absent or JSON null.
func isNull(data json.RawMessage) bool {
	// Most fields start with a byte that is neither white space nor the
	// n of null: no need to trim them.
	if len(data) > 0 && data[0] != 'n' && data[0] > ' ' && data[0] < utf8.RuneSelf {
		return false
	}
	d := bytes.TrimSpace(data)
	return len(d) == 0 || bytes.Equal(d, []byte("null"))
}

// optString reads an optional string field: ("", true) when absent or null,
// (s, true) for a string, ("", false) for any other type.
func optString(data json.RawMessage) (string, bool) {
	if isNull(data) {
		return "", true
	}
	if s, ok := plainString(data); ok {
		return s, true
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return "", false
	}
	return s, true
}

// plainString reads a plain JSON string, as GWS writes ids, states and
// numbers: quoted, without escapes, UTF-8. ok is false for anything else,
// which encoding/json must read.
func plainString(data []byte) (string, bool) {
	if n := len(data); n >= 2 && data[0] == '"' && data[n-1] == '"' && bytes.IndexByte(data[1:n-1], '\\') < 0 &&
		bytes.IndexByte(data[1:n-1], '"') < 0 && utf8.Valid(data[1:n-1]) && !hasControl(data[1:n-1]) {
		return string(data[1 : n-1]), true
	}
	return "", false
}

// hasControl reports whether b holds a byte JSON forbids unescaped in a
// string.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// optText is optString that also accepts a number, written as GWS would
// write it as a string (phone numbers and durations sometimes lose their
// quotes in hand-written integrations).
func optText(data json.RawMessage) (string, bool) {
	if s, ok := optString(data); ok {
		return s, true
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return "", false
	}
	return n.String(), true
}

// stringList reads an optional array of strings, skipping entries of other
// types.
func stringList(data json.RawMessage) []string {
	if isNull(data) {
		return nil
	}
	if out, ok := splitStringList(data); ok {
		return out
	}
	return stringListTolerant(data)
}

// stringListTolerant is stringList with encoding/json, for any list.
func stringListTolerant(data json.RawMessage) []string {
	if isNull(data) {
		return nil
	}
	var plain []string
	if json.Unmarshal(data, &plain) == nil && !slices.Contains(plain, "") {
		return plain
	}
	var items []json.RawMessage
	if json.Unmarshal(data, &items) != nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		var s string
		if json.Unmarshal(item, &s) == nil && s != "" {
			out = append(out, s)
		}
	}
	return out
}
