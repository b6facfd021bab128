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
// its time there. The splitters here check the bytes once (jsontext, the
// tokenizer the bayeux client parses with) and then walk them once, handing
// the same raw values to the same interpretation (optString, wire, …). Data
// the bayeux client delivers has been checked already (it reads every
// message's data as one JSON value, with the same rules); it is not checked
// twice.
//
// They only answer for messages they read exactly as encoding/json does:
// whenever encoding/json could read a message differently than a plain
// match of names (a name that matches a field only when case is ignored,
// that is escaped or not ASCII, or a field named twice), or a value has a
// shape the tolerant decoder treats specially, a splitter says so and the
// tolerant decoder reads the message instead. FuzzSplitMatchesTolerant
// holds each splitter to the tolerant reading of the same bytes.

// checkOptions make jsontext accept what encoding/json accepts: duplicate
// names and strings that are not UTF-8.
var checkOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
}

// checker is a decoder with the buffer it reads from, kept for reuse: a
// decoder weighs more than the small messages it checks.
type checker struct {
	buf bytes.Buffer
	dec jsontext.Decoder
}

var checkers = sync.Pool{New: func() any { return new(checker) }}

// oneValue says whether d is a single JSON value, white space around it
// allowed, as encoding/json accepts it (nesting included: both allow
// 10,000 levels). Reading from a bytes.Buffer, jsontext checks d in place.
func oneValue(d []byte) bool {
	c := checkers.Get().(*checker)
	c.buf = *bytes.NewBuffer(d)
	c.dec.Reset(&c.buf, checkOptions...)
	_, err := c.dec.ReadValue()
	ok := err == nil && len(trimJSONSpace(d[c.dec.InputOffset():])) == 0
	// Let go of d: a pooled checker must not keep a response alive.
	c.buf = bytes.Buffer{}
	c.dec.Reset(&c.buf)
	checkers.Put(c)
	return ok
}

// split has read walk d, a single JSON value, and says whether read
// succeeded and nothing but white space followed the value. d is checked
// first unless checked says it has been.
func split(d []byte, checked bool, read func(w *walker) bool) bool {
	if !checked && !oneValue(d) {
		return false
	}
	w := walker{b: d}
	return read(&w) && w.kind() == 0
}

// trimJSONSpace drops JSON white space from the front of b.
func trimJSONSpace(b []byte) []byte {
	for len(b) > 0 && isJSONSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// walker walks JSON that is known to be valid: it finds where values
// begin and end and checks nothing else. On bytes that are not JSON it
// reads nonsense or fails, but it never reads beyond them.
type walker struct {
	b []byte
	i int // the offset of the next byte to read
}

// kind skips white space and returns the next byte (0 at the end): the
// kind of the value or the delimiter that follows.
func (w *walker) kind() byte {
	for w.i < len(w.b) && isJSONSpace(w.b[w.i]) {
		w.i++
	}
	if w.i < len(w.b) {
		return w.b[w.i]
	}
	return 0
}

// value returns the value at w, raw, and moves past it.
func (w *walker) value() ([]byte, bool) {
	w.kind()
	start := w.i
	if !w.skip() {
		return nil, false
	}
	return w.b[start:w.i], true
}

// skip moves past the value at w.
func (w *walker) skip() bool {
	if w.i >= len(w.b) {
		return false
	}
	switch w.b[w.i] {
	case '"':
		return w.skipString()
	case '{', '[':
		depth := 0
		for w.i < len(w.b) {
			switch w.b[w.i] {
			case '"':
				if !w.skipString() {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					w.i++
					return true
				}
			}
			w.i++
		}
		return false
	case ',', ':', '}', ']':
		return false
	}
	// A number or a literal: up to the next delimiter.
	start := w.i
	for w.i < len(w.b) {
		switch c := w.b[w.i]; {
		case c == ',' || c == '}' || c == ']' || c == ':' || isJSONSpace(c):
			return w.i > start
		}
		w.i++
	}
	return w.i > start
}

// skipString moves past the string at w: up to the first quote not
// escaped by a backslash.
func (w *walker) skipString() bool {
	i := w.i + 1
	for {
		j := bytes.IndexByte(w.b[i:], '"')
		if j < 0 {
			return false
		}
		i += j
		backslashes := 0
		for k := i - 1; k > w.i && w.b[k] == '\\'; k-- {
			backslashes++
		}
		i++
		if backslashes%2 == 0 {
			w.i = i
			return true
		}
	}
}

// members walks the object at w: member gets each member's name, quoted,
// with w at its value, which member must read.
func (w *walker) members(member func(name []byte) bool) bool {
	if w.kind() != '{' {
		return false
	}
	w.i++
	if w.kind() == '}' {
		w.i++
		return true
	}
	for {
		if w.kind() != '"' {
			return false
		}
		name, ok := w.value()
		if !ok || w.kind() != ':' {
			return false
		}
		w.i++
		w.kind()
		if !member(name) {
			return false
		}
		switch w.kind() {
		case ',':
			w.i++
		case '}':
			w.i++
			return true
		default:
			return false
		}
	}
}

// items walks the list at w: item is called with w at each item, which
// item must read.
func (w *walker) items(item func() bool) bool {
	if w.kind() != '[' {
		return false
	}
	w.i++
	if w.kind() == ']' {
		w.i++
		return true
	}
	for {
		if !item() {
			return false
		}
		switch w.kind() {
		case ',':
			w.i++
		case ']':
			w.i++
			return true
		default:
			return false
		}
	}
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
func (s *nameSet) match(quoted []byte) int {
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

// splitObject walks the object at w: for a member named names[i], field(i)
// reads its value (and says whether that went well); every other member is
// read over. It fails on an irregular name (see nameSet.match) or one of
// names twice. At most 64 names.
func splitObject(w *walker, names *nameSet, field func(i int) bool) bool {
	var seen uint64
	return w.members(func(name []byte) bool {
		switch i := names.match(name); {
		case i == nameIrregular:
			return false
		case i < 0:
			return w.skip()
		case seen&(1<<i) != 0:
			return false
		default:
			seen |= 1 << i
			return field(i)
		}
	})
}

// readRaw reads the value at w into *dst as encoding/json fills a
// RawMessage (null included), but as a slice of the input.
func readRaw(w *walker, dst *json.RawMessage) bool {
	v, ok := w.value()
	*dst = json.RawMessage(v)
	return ok
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
// *call; ok is false when it cannot answer for the message. checked says d
// is known to be one JSON value. The raw fields are slices of d, except the
// call's attached data, which the call keeps (copied, so that it does not
// hold on to a whole response).
func splitNote(d []byte, checked bool, call *rawCall) (env noteFields, hasCall, ok bool) {
	if len(d) == 0 || d[0] != '{' {
		return env, false, false
	}
	slots := env.slots()
	ok = split(d, checked, func(w *walker) bool {
		return splitObject(w, noteSet, func(i int) bool {
			if i == noteExtensions && w.kind() == '{' {
				start := w.i
				if !readExtensionFields(w, &env.splitExtensions) {
					return false
				}
				env.extensionsRead = true
				*slots[i] = d[start:w.i]
				return true
			}
			if i != noteCall {
				return readRaw(w, slots[i])
			}
			switch w.kind() {
			case 'n':
				return w.skip()
			case '{':
				hasCall = true
				return splitCallObject(w, call)
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
	if !split(d, false, func(w *walker) bool { return splitCallObject(w, &raw) }) {
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

// splitCallObject reads the call object at w into raw: its participants,
// capabilities and extensions as wire would read them, when they have the
// shape of a list, a list and an object, and every field raw, as
// encoding/json fills it.
func splitCallObject(w *walker, raw *rawCall) bool {
	slots := raw.slots()
	parts := &raw.split
	ok := splitObject(w, callSet, func(i int) bool {
		start := w.i
		switch kind := w.kind(); {
		case i == callParticipants && kind == '[':
			if !readPartyList(w, &parts.participants) {
				return false
			}
			parts.read |= readParticipants
		case i == callCapabilities && kind == '[':
			if !readStringList(w, &parts.capabilities) {
				return false
			}
			parts.read |= readCapabilities
		case i == callExtensions && kind == '{':
			if !readExtensionFields(w, &parts.extensions) {
				return false
			}
			parts.read |= readExtensions
		default:
			return readRaw(w, slots[i])
		}
		*slots[i] = w.b[start:w.i]
		return true
	})
	if !ok {
		return false
	}
	raw.UserData = bytes.Clone(raw.UserData)
	return true
}

// readPartyList reads the list of participants at w as decodeParticipants
// does.
func readPartyList(w *walker, out *[]wireParty) bool {
	return w.items(func() bool {
		if w.kind() == '{' {
			var obj partyFields
			slots := obj.slots()
			if !splitObject(w, partySet, func(i int) bool { return readRaw(w, slots[i]) }) {
				return false
			}
			if p, ok := obj.party(); ok {
				*out = append(*out, p)
			}
			return true
		}
		item, ok := w.value()
		if !ok {
			return false
		}
		if p, ok := textParty(json.RawMessage(item)); ok {
			*out = append(*out, p)
		}
		return true
	})
}

// readStringList reads the list at w as stringList does, when it is the
// common list: strings without escapes, none empty, all UTF-8. It fails on
// any other.
func readStringList(w *walker, out *[]string) bool {
	*out = make([]string, 0, 4)
	return w.items(func() bool {
		if w.kind() != '"' {
			return false
		}
		v, ok := w.value()
		if !ok {
			return false
		}
		s, plain := plainString(v)
		if !plain || s == "" {
			return false
		}
		*out = append(*out, s)
		return true
	})
}

// readExtensionFields reads the extensions object at w as readExtensions
// does.
func readExtensionFields(w *walker, ext *extensionFields) bool {
	slots := ext.slots()
	return splitObject(w, extensionSet, func(i int) bool { return readRaw(w, slots[i]) })
}

// splitParticipants is decodeParticipants' reading in one pass: ok is false
// when the list is not one it answers for.
func splitParticipants(data json.RawMessage) (out []wireParty, ok bool) {
	if len(data) == 0 || data[0] != '[' {
		return nil, false
	}
	if !split(data, false, func(w *walker) bool { return readPartyList(w, &out) }) {
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
	if !split(data, false, func(w *walker) bool { return readStringList(w, &out) }) {
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
	if !split(data, false, func(w *walker) bool { return readExtensionFields(w, &ext) }) {
		return extensionFields{}, false
	}
	return ext, true
}
