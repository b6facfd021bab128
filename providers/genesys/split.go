package genesys

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// The fast reading of GWS messages. The tolerant decoder (wire.go) splits a
// message into raw fields with encoding/json, which scans the bytes once to
// check them and again to fill each struct, and once more for every nested
// object or list it splits further: a burst of call messages spent most of
// its time there. The splitters here read the same fields in one pass with
// jsontext (the tokenizer the bayeux client already parses with), and hand
// the same raw values to the same interpretation (optString, wire, …).
//
// They only answer for messages they read exactly as encoding/json does:
// whenever encoding/json could read a message differently than a plain
// match of names (a name that matches a field only when case is ignored,
// that is escaped or not ASCII, or a field named twice), or a value has a
// shape the tolerant decoder treats specially, a splitter says so and the
// tolerant decoder reads the message instead. FuzzSplitMatchesTolerant
// holds each splitter to the tolerant reading of the same bytes.

// splitOptions make jsontext accept what encoding/json accepts: duplicate
// names (the splitters refuse duplicates of the fields they read
// themselves) and strings that are not UTF-8.
var splitOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
}

// splitter is a decoder with the buffer it reads from, kept for reuse: a
// decoder weighs more than the small messages it reads.
type splitter struct {
	buf bytes.Buffer
	dec jsontext.Decoder
}

var splitters = sync.Pool{New: func() any { return new(splitter) }}

// split has read take the single JSON value d holds (white space around it
// allowed, as encoding/json allows it) and says whether read succeeded and
// nothing followed the value. Reading from a bytes.Buffer, jsontext parses d
// in place: the values read are slices of d, never copies.
func split(d []byte, read func(dec *jsontext.Decoder) bool) bool {
	s := splitters.Get().(*splitter)
	s.buf = *bytes.NewBuffer(d)
	s.dec.Reset(&s.buf, splitOptions...)
	ok := read(&s.dec) && len(trimJSONSpace(d[s.dec.InputOffset():])) == 0
	// Let go of d: a pooled splitter must not keep a response alive.
	s.buf = bytes.Buffer{}
	s.dec.Reset(&s.buf)
	splitters.Put(s)
	return ok
}

// trimJSONSpace drops JSON white space from the front of b.
func trimJSONSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// nameIrregular is what a nameSet's match returns for a name encoding/json
// might match differently than by its exact spelling.
const nameIrregular = -2

// nameSet is the names of a struct's fields that a splitter looks for
// (at most 64), indexed by length.
type nameSet struct {
	names []string
	byLen [32][]int // names' indexes, by the length of the name
}

func newNameSet(names []string) *nameSet {
	s := &nameSet{names: names}
	for i, n := range names {
		s.byLen[len(n)] = append(s.byLen[len(n)], i)
	}
	return s
}

// match finds an object member's name (quoted, as read) among the names:
// its index, -1 for a name encoding/json matches to none of them, or
// nameIrregular. encoding/json unescapes names and then also matches them
// to a field whatever their case (with Unicode's folding, so that "ſ" is an
// "s"); a name with an escape or a byte beyond ASCII is therefore
// irregular, and so is one that equals a field's name only when case is
// ignored.
func (s *nameSet) match(quoted jsontext.Value) int {
	name := quoted[1 : len(quoted)-1]
	var candidates []int
	if len(name) < len(s.byLen) {
		candidates = s.byLen[len(name)]
	}
	for _, i := range candidates {
		if string(name) == s.names[i] {
			return i
		}
	}
	// Not one of the names as spelled: encoding/json might still match it
	// to one.
	for _, c := range name {
		if c == '\\' || c >= utf8.RuneSelf {
			return nameIrregular
		}
	}
	for _, i := range candidates {
		if asciiEqualFold(name, s.names[i]) {
			return nameIrregular
		}
	}
	return -1
}

// asciiEqualFold says whether a and b, both ASCII and as long, are equal
// when case is ignored.
func asciiEqualFold(a []byte, b string) bool {
	for i := range len(a) {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z' {
			return false
		}
	}
	return true
}

// splitObject reads the object at dec member by member: for a member named
// names[i], field(i) reads its value (and says whether that went well);
// every other member is read over. It fails on a syntax error, an irregular
// name (see matchName) or one of names twice. At most 64 names.
func splitObject(dec *jsontext.Decoder, names *nameSet, field func(i int) bool) bool {
	if dec.PeekKind() != '{' {
		return false
	}
	if _, err := dec.ReadToken(); err != nil {
		return false
	}
	var seen uint64
	// A syntax error makes PeekKind report no kind; the next read
	// returns it.
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue()
		if err != nil {
			return false
		}
		switch i := names.match(name); {
		case i == nameIrregular:
			return false
		case i < 0:
			if _, err := dec.ReadValue(); err != nil {
				return false
			}
		case seen&(1<<i) != 0:
			return false
		default:
			seen |= 1 << i
			if !field(i) {
				return false
			}
		}
	}
	_, err := dec.ReadToken()
	return err == nil
}

// readRaw reads the value at dec into *dst as encoding/json fills a
// RawMessage (null included), but as a slice of the input.
func readRaw(dec *jsontext.Decoder, dst *json.RawMessage) bool {
	v, err := dec.ReadValue()
	*dst = json.RawMessage(v)
	return err == nil
}

// jsonNames lists the JSON names of a struct's fields of type RawMessage,
// in their order, from their tags.
func jsonNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type != reflect.TypeFor[json.RawMessage]() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}

// The names the splitters look for: those of the structs the tolerant
// decoder fills, in the order of the slots methods below.
var (
	noteNames      = append(jsonNames(reflect.TypeFor[noteFields]()), "call")
	callNames      = jsonNames(reflect.TypeFor[rawCall]())
	partyNames     = jsonNames(reflect.TypeFor[partyFields]())
	extensionNames = jsonNames(reflect.TypeFor[extensionFields]())

	noteSet      = newNameSet(noteNames)
	callSet      = newNameSet(callNames)
	partySet     = newNameSet(partyNames)
	extensionSet = newNameSet(extensionNames)
)

// Indexes in noteNames of the call, read on its own, and of the
// extensions, whose fields are read in the same pass.
var (
	noteCall       = len(noteNames) - 1
	noteExtensions = slices.Index(noteNames, "extensions")
)

// The slots methods give the fields a split fills, as an array: a slice
// would be allocated for every message.

func (f *noteFields) slots() [11]*json.RawMessage {
	return [...]*json.RawMessage{&f.MessageType, &f.NotificationType, &f.PhoneNumber, &f.Devices, &f.Extensions,
		&f.ErrorCode, &f.ErrorMessage, &f.CallID, &f.CallURI, &f.DeviceID, &f.DeviceURI}
}

func (c *rawCall) slots() [10]*json.RawMessage {
	return [...]*json.RawMessage{&c.ID, &c.State, &c.CallType, &c.ANI, &c.DNIS, &c.Participants, &c.Capabilities,
		&c.Duration, &c.Extensions, &c.UserData}
}

func (p *partyFields) slots() [4]*json.RawMessage {
	return [...]*json.RawMessage{&p.PhoneNumber, &p.Digits, &p.Formatted, &p.E164}
}

func (e *extensionFields) slots() [2]*json.RawMessage {
	return [...]*json.RawMessage{&e.Timeout, &e.Action}
}

// splitNote reads a notification's fields as decodeNotification's tolerant
// split does, in one pass (see above), and its call, if it has one, into
// *call; ok is false when it cannot answer for the message. The raw fields
// are slices of d, except the call's attached data, which the call keeps
// (copied, so that it does not hold on to a whole response).
func splitNote(d []byte, call *rawCall) (env noteFields, hasCall, ok bool) {
	if len(d) == 0 || d[0] != '{' {
		return env, false, false
	}
	slots := env.slots()
	ok = split(d, func(dec *jsontext.Decoder) bool {
		return splitObject(dec, noteSet, func(i int) bool {
			if i == noteExtensions && dec.PeekKind() == '{' {
				start := dec.InputOffset()
				if !readExtensionFields(dec, &env.splitExtensions) {
					return false
				}
				env.extensionsRead = true
				*slots[i] = valueAt(d, start, dec.InputOffset())
				return true
			}
			if i != noteCall {
				return readRaw(dec, slots[i])
			}
			switch dec.PeekKind() {
			case 'n':
				_, err := dec.ReadToken()
				return err == nil
			case '{':
				hasCall = true
				return splitCallObject(dec, d, call)
			}
			// encoding/json fails on it; the tolerant decoder says why.
			return false
		})
	})
	if !ok {
		*call = rawCall{}
		return noteFields{}, false, false
	}
	return env, hasCall, true
}

// splitCall reads a call resource's fields as decodeCall's tolerant split
// does (see splitNote).
func splitCall(d []byte) (raw rawCall, ok bool) {
	if len(d) == 0 || d[0] != '{' {
		return rawCall{}, false
	}
	if !split(d, func(dec *jsontext.Decoder) bool { return splitCallObject(dec, d, &raw) }) {
		return rawCall{}, false
	}
	return raw, true
}

// callParts are the parts of a call that the one-pass split reads itself,
// in the same pass, instead of leaving them raw for wire to read again.
type callParts struct {
	read         uint8 // which of the parts below were read
	participants []wireParty
	capabilities []string
	extensions   extensionFields
}

// Bits of callParts.read.
const (
	readParticipants = 1 << iota
	readCapabilities
	readExtensions
)

// Indexes in callNames of the parts read in the same pass.
var (
	callParticipants = slices.Index(callNames, "participants")
	callCapabilities = slices.Index(callNames, "capabilities")
	callExtensions   = slices.Index(callNames, "extensions")
)

// splitCallObject reads the call object at dec, a decoder of d, into raw:
// its participants, capabilities and extensions as wire would read them,
// when they have the shape of a list, a list and an object, and every
// field raw, as encoding/json fills it.
func splitCallObject(dec *jsontext.Decoder, d []byte, raw *rawCall) bool {
	slots := raw.slots()
	parts := &raw.split
	ok := splitObject(dec, callSet, func(i int) bool {
		start := dec.InputOffset()
		switch kind := dec.PeekKind(); {
		case i == callParticipants && kind == '[':
			if !readPartyList(dec, &parts.participants) {
				return false
			}
			parts.read |= readParticipants
		case i == callCapabilities && kind == '[':
			if !readStringList(dec, &parts.capabilities) {
				return false
			}
			parts.read |= readCapabilities
		case i == callExtensions && kind == '{':
			if !readExtensionFields(dec, &parts.extensions) {
				return false
			}
			parts.read |= readExtensions
		default:
			return readRaw(dec, slots[i])
		}
		*slots[i] = valueAt(d, start, dec.InputOffset())
		return true
	})
	if !ok {
		return false
	}
	raw.UserData = bytes.Clone(raw.UserData)
	return true
}

// valueAt is the value of an object member read from d[start:end]: what
// follows the name, less the colon and white space around it.
func valueAt(d []byte, start, end int64) json.RawMessage {
	v := trimJSONSpace(d[start:end])
	if len(v) > 0 && v[0] == ':' {
		v = trimJSONSpace(v[1:])
	}
	return json.RawMessage(v)
}

// readPartyList reads the list of participants at dec as
// decodeParticipants does.
func readPartyList(dec *jsontext.Decoder, out *[]wireParty) bool {
	if _, err := dec.ReadToken(); err != nil { // [
		return false
	}
	for dec.PeekKind() != ']' {
		if dec.PeekKind() == '{' {
			var obj partyFields
			slots := obj.slots()
			if !splitObject(dec, partySet, func(i int) bool { return readRaw(dec, slots[i]) }) {
				return false
			}
			if p, ok := obj.party(); ok {
				*out = append(*out, p)
			}
			continue
		}
		item, err := dec.ReadValue()
		if err != nil {
			return false
		}
		if p, ok := textParty(json.RawMessage(item)); ok {
			*out = append(*out, p)
		}
	}
	_, err := dec.ReadToken() // ]
	return err == nil
}

// readStringList reads the list at dec as stringList does, when it is the
// common list: strings without escapes, none empty, all UTF-8. It fails on
// any other.
func readStringList(dec *jsontext.Decoder, out *[]string) bool {
	if _, err := dec.ReadToken(); err != nil { // [
		return false
	}
	*out = make([]string, 0, 4)
	for dec.PeekKind() != ']' {
		if dec.PeekKind() != '"' {
			return false
		}
		v, err := dec.ReadValue()
		if err != nil {
			return false
		}
		s, plain := plainString(v)
		if !plain || s == "" {
			return false
		}
		*out = append(*out, s)
	}
	_, err := dec.ReadToken() // ]
	return err == nil
}

// readExtensionFields reads the extensions object at dec as readExtensions
// does.
func readExtensionFields(dec *jsontext.Decoder, ext *extensionFields) bool {
	slots := ext.slots()
	return splitObject(dec, extensionSet, func(i int) bool { return readRaw(dec, slots[i]) })
}

// splitParticipants is decodeParticipants' reading in one pass: ok is false
// when the list is not one it answers for.
func splitParticipants(data json.RawMessage) (out []wireParty, ok bool) {
	if len(data) == 0 || data[0] != '[' {
		return nil, false
	}
	if !split(data, func(dec *jsontext.Decoder) bool { return readPartyList(dec, &out) }) {
		return nil, false
	}
	return out, true
}

// splitStringList is stringList's reading in one pass, for the common list
// (see readStringList); ok is false for any other.
func splitStringList(data json.RawMessage) (out []string, ok bool) {
	if len(data) == 0 || data[0] != '[' {
		return nil, false
	}
	if !split(data, func(dec *jsontext.Decoder) bool { return readStringList(dec, &out) }) {
		return nil, false
	}
	return out, true
}

// splitExtensions reads the extensions' fields the console uses as
// readExtensions' tolerant split does; ok is false when it cannot answer.
func splitExtensions(data json.RawMessage) (ext extensionFields, ok bool) {
	if len(data) == 0 || data[0] != '{' {
		return extensionFields{}, false
	}
	if !split(data, func(dec *jsontext.Decoder) bool { return readExtensionFields(dec, &ext) }) {
		return extensionFields{}, false
	}
	return ext, true
}
