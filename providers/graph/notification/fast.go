package notification

import (
	"encoding/binary"
	"slices"
	"sync"
	"unicode/utf8"
)

// decodeFast reads the common case in one pass over the body, by hand:
// notifications whose names, strings and shapes are the ordinary ones. It
// gives up (ok false) on anything else and leaves it to decodeCareful,
// which accepts everything this accepts with the same result
// (FuzzFastMatchesCareful holds it to that) and words the errors. The
// webhook decodes every body while the sender waits, and this pass costs a
// fraction of a reflective decoder's: no reflection, no buffering, and a
// string allocated only for a value the console keeps.
//
// It is never more lenient than the careful path, only less willing:
//   - the body must be valid JSON to the letter (RFC 8259 numbers, escapes
//     and literals, nothing after the top-level object); strings must be
//     valid UTF-8 without lone surrogates, where encoding/json would put
//     U+FFFD in their place;
//   - a member name is matched as encoding/json matches it, exactly or
//     without regard to ASCII case; a name with any other letter (which
//     Unicode case folding might match, as the Kelvin sign matches k) goes
//     to the careful path;
//   - a member this reads named twice in one object, a null where an object
//     or an array element is expected, a value of another type, and nesting
//     deeper than maxDepth go to the careful path;
//   - the parts read leniently (callRoutes, incomingContext, meetingInfo)
//     and resultInfo's codes are decoded by the very same UnmarshalJSON
//     methods the careful path runs, fed the same bytes.
func decodeFast(body []byte) (out []Notification, ok bool) {
	d := decoders.Get().(*fastDecoder)
	defer d.release()
	d.b, d.i, d.depth = body, 0, 0
	d.space()
	items, ok := d.envelope()
	if !ok {
		return nil, false
	}
	if d.space(); d.i != len(d.b) {
		return nil, false // something after the object
	}
	return items, true
}

// decoders keeps fastDecoders with their scratch space between bodies.
var decoders = sync.Pool{New: func() any { return new(fastDecoder) }}

// release returns d to the pool without the body it read. The wire form
// of its last call stays until the next item clears it: it holds only
// strings allocated for it, and clearing it twice would cost every body.
func (d *fastDecoder) release() {
	d.b = nil
	if cap(d.scratch) > 4<<10 {
		d.scratch = nil // do not keep a rare long string's buffer
	}
	decoders.Put(d)
}

// maxDepth bounds how deeply the fast path follows nested values it skips;
// deeper bodies are left to the careful path, which encoding/json bounds.
const maxDepth = 256

// fastDecoder reads b from i onwards. Its methods report false when they
// give up; the position is then of no further use.
type fastDecoder struct {
	b       []byte
	i       int
	depth   int
	scratch []byte // unescaped strings

	// The wire form of the call being read lives here, reused item after
	// item: wireCall.call copies what it keeps out of it (all but the
	// identities themselves and the modalities, which are allocated
	// afresh), so one pooled decoder spares a handful of allocations per
	// notification.
	call    wireCall
	source  wireParticipant
	result  wireResultInfo
	targets []wireParticipant
	sets    [4]IdentitySet
	nSets   int
	parts   [2]wireParticipant // the targets' first backing array
	mods    []string           // the modalities as read

	// The item's header as read.
	changeType, resourceURL, resource string

	// The item's strings are not allocated one by one: their bytes are
	// gathered in text and each destination noted in owed; own turns text
	// into one string and hands each destination its part. A call kept for
	// a while then holds one string object, not one per name and id, which
	// is less for the garbage collector to visit as well as fewer
	// allocations.
	text []byte
	owed []owedString
}

// owedString is a string of the item being read: where it goes, and its
// bytes in text.
type owedString struct {
	dst    *string
	off, n int
}

// keep sets *dst to the string b holds once the item is read (own): at once
// for a value Graph repeats everywhere, which needs no string of its own.
func (d *fastDecoder) keep(dst *string, b []byte) {
	if s, ok := interned(b); ok {
		*dst = s
		return
	}
	d.owed = append(d.owed, owedString{dst: dst, off: len(d.text), n: len(b)})
	d.text = append(d.text, b...)
}

// own makes the gathered bytes one string and hands each destination its
// part. It runs when the item is read, and before a list that holds
// destinations moves to a larger array.
func (d *fastDecoder) own() {
	if len(d.owed) == 0 {
		return
	}
	all := string(d.text)
	for _, o := range d.owed {
		*o.dst = all[o.off : o.off+o.n]
	}
	clear(d.owed)
	d.text, d.owed = d.text[:0], d.owed[:0]
}

// clearWire forgets the wire form of the last call read.
func (d *fastDecoder) clearWire() {
	d.call, d.source, d.result = wireCall{}, wireParticipant{}, wireResultInfo{}
	clear(d.parts[:])
	clear(d.targets)
	d.targets = d.parts[:0]
	clear(d.sets[:d.nSets])
	d.nSets = 0
	clear(d.mods)
	d.mods = d.mods[:0]
	d.changeType, d.resourceURL, d.resource = "", "", ""
	clear(d.owed)
	d.text, d.owed = d.text[:0], d.owed[:0]
}

// newSet returns a cleared identity set from the scratch space, or a new
// one when that is used up.
func (d *fastDecoder) newSet() *IdentitySet {
	if d.nSets == len(d.sets) {
		return new(IdentitySet)
	}
	d.nSets++
	return &d.sets[d.nSets-1]
}

// envelope reads the commsNotifications object: its "value" array, every
// other member skipped.
func (d *fastDecoder) envelope() ([]Notification, bool) {
	var out []Notification
	if !d.openObject() {
		return nil, false
	}
	var seen uint32
	for n := 0; ; n++ {
		f, end, ok := d.member(n, envelopeNames, &seen)
		switch {
		case !ok:
			return nil, false
		case end:
			return out, out != nil
		case f < 0:
			if !d.skip() {
				return nil, false
			}
			continue
		}
		if !d.openArray() {
			return nil, false
		}
		out = make([]Notification, 0, 1)
		for e := 0; ; e++ {
			end, ok := d.element(e)
			if !ok || (!end && len(out) == MaxItems) {
				return nil, false
			}
			if end {
				break
			}
			it, ok := d.item()
			if !ok {
				return nil, false
			}
			out = append(out, it)
		}
	}
}

var envelopeNames = names("value")

// itemNames are a commsNotification's members.
var itemNames = names("changeType", "resourceUrl", "resource", "resourceData")

// item reads one commsNotification.
func (d *fastDecoder) item() (Notification, bool) {
	var (
		data      bool // resourceData is an object, read into d.call
		dataOther bool // resourceData present, and neither an object nor null
		seen      uint32
	)
	d.clearWire()
	if !d.openObject() {
		return Notification{}, false
	}
	for n := 0; ; n++ {
		f, end, ok := d.member(n, itemNames, &seen)
		if !ok {
			return Notification{}, false
		}
		if end {
			break
		}
		switch f {
		case 0:
			ok = d.intoString(&d.changeType)
		case 1:
			ok = d.intoString(&d.resourceURL)
		case 2:
			ok = d.intoString(&d.resource)
		case 3:
			switch {
			case d.peek('{'):
				// Read as a call before the resource says whether it is
				// one: the members may come in any order.
				data, ok = true, d.readCall(&d.call)
			case d.null():
				ok = true
			default:
				dataOther, ok = true, d.skip()
			}
		default:
			ok = d.skip()
		}
		if !ok {
			return Notification{}, false
		}
	}
	d.own()
	// A null header field is taken for absent, as the careful path takes
	// its nil: intoString left it empty.
	n, err := header(&d.changeType, &d.resourceURL, &d.resource)
	if err != nil {
		return Notification{}, false
	}
	if n.Kind == KindCall {
		if dataOther {
			return Notification{}, false // the careful path words the error
		}
		if data {
			n.Call = d.call.call()
			if n.Call.RequestedModalities != nil {
				// call filtered d.mods in place: the call's own copy.
				n.Call.RequestedModalities = slices.Clone(n.Call.RequestedModalities)
			}
		}
	}
	return n, true
}

// callNames are wireCall's members.
var callNames = names("id", "state", "direction", "source", "targets", "requestedModalities", "resultInfo",
	"terminationReason", "tenantId", "callbackUri", "callRoutes", "incomingContext", "meetingInfo")

// readCall reads a call's resourceData into w.
func (d *fastDecoder) readCall(w *wireCall) bool {
	if !d.openObject() {
		return false
	}
	var seen uint32
	for n := 0; ; n++ {
		f, end, ok := d.member(n, callNames, &seen)
		if !ok || end {
			return ok
		}
		switch f {
		case 0:
			ok = d.intoString(&w.ID)
		case 1:
			ok = d.intoString(&w.State)
		case 2:
			ok = d.intoString(&w.Direction)
		case 3:
			if !d.null() {
				w.Source = &d.source
				ok = d.participant(w.Source)
			}
		case 4:
			ok = d.readTargets(w)
		case 5:
			ok = d.readModalities(w)
		case 6:
			if !d.null() {
				w.ResultInfo = &d.result
				ok = d.resultInfo(w.ResultInfo)
			}
		case 7:
			ok = d.intoString(&w.TerminationReason)
		case 8:
			ok = d.intoString(&w.TenantID)
		case 9:
			ok = d.intoString(&w.CallbackURI)
		case 10:
			raw, read := d.raw()
			ok = read && w.CallRoutes.UnmarshalJSON(raw) == nil
		case 11:
			raw, read := d.raw()
			ok = read && w.IncomingContext.UnmarshalJSON(raw) == nil
		case 12:
			raw, read := d.raw()
			ok = read && w.MeetingInfo.UnmarshalJSON(raw) == nil
		default:
			ok = d.skip()
		}
		if !ok {
			return false
		}
	}
}

func (d *fastDecoder) readTargets(w *wireCall) bool {
	if d.null() {
		return true
	}
	if !d.openArray() {
		return false
	}
	w.Targets = &d.targets
	for e := 0; ; e++ {
		end, ok := d.element(e)
		if !ok || end {
			return ok
		}
		if len(d.targets) == cap(d.targets) {
			d.own() // the strings owed to targets must not stay behind
		}
		d.targets = append(d.targets, wireParticipant{})
		if !d.participant(&d.targets[len(d.targets)-1]) {
			return false
		}
	}
}

func (d *fastDecoder) readModalities(w *wireCall) bool {
	if d.null() {
		return true
	}
	if !d.openArray() {
		return false
	}
	// The list is read into the decoder's own slice; the call gets a copy
	// of what wireCall.call keeps of it (item).
	if d.mods == nil {
		d.mods = make([]string, 0, 4) // an empty list is not an absent one
	}
	d.mods = d.mods[:0]
	w.RequestedModalities = &d.mods
	for e := 0; ; e++ {
		end, ok := d.element(e)
		if !ok || end {
			return ok
		}
		if !d.peek('"') {
			return false
		}
		s, ok := d.str()
		if !ok {
			return false
		}
		if len(d.mods) == cap(d.mods) {
			d.own() // the strings owed to modalities must not stay behind
		}
		d.mods = append(d.mods, "")
		d.keep(&d.mods[len(d.mods)-1], s)
	}
}

var participantNames = names("identity", "region", "languageId")

// participant reads a participantInfo; it must be an object.
func (d *fastDecoder) participant(p *wireParticipant) bool {
	if !d.openObject() {
		return false
	}
	var seen uint32
	for n := 0; ; n++ {
		f, end, ok := d.member(n, participantNames, &seen)
		if !ok || end {
			return ok
		}
		switch f {
		case 0:
			if !d.null() {
				p.Identity = d.newSet()
				ok = d.identitySet(p.Identity)
			}
		case 1:
			ok = d.intoString(&p.Region)
		case 2:
			ok = d.intoString(&p.LanguageID)
		default:
			ok = d.skip()
		}
		if !ok {
			return false
		}
	}
}

var identityNames = names("user", "application", "applicationInstance", "phone", "guest", "encrypted",
	"onPremises", "azureCommunicationServicesUser")

// identitySet reads an identitySet; it must be an object.
func (d *fastDecoder) identitySet(s *IdentitySet) bool {
	if !d.openObject() {
		return false
	}
	slots := [...]**Identity{&s.User, &s.Application, &s.ApplicationInstance, &s.Phone, &s.Guest, &s.Encrypted,
		&s.OnPremises, &s.ACSUser}
	var seen uint32
	for n := 0; ; n++ {
		f, end, ok := d.member(n, identityNames, &seen)
		if !ok || end {
			return ok
		}
		switch {
		case f < 0:
			ok = d.skip()
		case d.null():
		default:
			id := new(Identity)
			*slots[f] = id
			ok = d.identity(id)
		}
		if !ok {
			return false
		}
	}
}

var leafNames = names("id", "displayName")

// identity reads one identity; it must be an object.
func (d *fastDecoder) identity(id *Identity) bool {
	if !d.openObject() {
		return false
	}
	var seen uint32
	for n := 0; ; n++ {
		f, end, ok := d.member(n, leafNames, &seen)
		if !ok || end {
			return ok
		}
		switch f {
		case 0:
			ok = d.intoString(&id.ID)
		case 1:
			ok = d.intoString(&id.DisplayName)
		default:
			ok = d.skip()
		}
		if !ok {
			return false
		}
	}
}

var resultNames = names("code", "subcode", "message")

// resultInfo reads a resultInfo; it must be an object. Its codes go
// through flexInt.UnmarshalJSON, as on the careful path.
func (d *fastDecoder) resultInfo(r *wireResultInfo) bool {
	if !d.openObject() {
		return false
	}
	var seen uint32
	for n := 0; ; n++ {
		f, end, ok := d.member(n, resultNames, &seen)
		if !ok || end {
			return ok
		}
		switch f {
		case 0, 1:
			code := &r.Code
			if f == 1 {
				code = &r.Subcode
			}
			raw, read := d.raw()
			ok = read && code.UnmarshalJSON(raw) == nil
		case 2:
			ok = d.intoString(&r.Message)
		default:
			ok = d.skip()
		}
		if !ok {
			return false
		}
	}
}

// nameSet is an object's member names, in the order of their indices.
type nameSet []string

func names(list ...string) nameSet { return list }

// member moves to the next member of the object opened last, n members
// having been read, and leaves the position at its value. f is the index
// of its name in set, matched as encoding/json matches a field (exactly or
// without regard to ASCII case), or -1 for a member to skip (every member
// when set is nil: the object is being skipped). end reports
// the end of the object (consumed). ok is false when the fast path gives
// up: bad syntax, a name that is not ASCII (Unicode folding might match it
// to a name, as it matches the Kelvin sign to k), a name given twice.
func (d *fastDecoder) member(n int, set nameSet, seen *uint32) (f int, end, ok bool) {
	d.space()
	if d.peek('}') {
		d.i++
		d.depth--
		return -1, true, true
	}
	if n > 0 {
		if !d.peek(',') {
			return -1, false, false
		}
		d.i++
		d.space()
	}
	if !d.peek('"') {
		return -1, false, false
	}
	key, ok := d.str()
	if !ok {
		return -1, false, false
	}
	d.space()
	if !d.peek(':') {
		return -1, false, false
	}
	d.i++
	d.space()
	if set == nil {
		return -1, false, true // a member of a value being skipped
	}
	f = -1
	for i, name := range set {
		if nameIs(key, name) {
			f = i
			break
		}
	}
	if f < 0 {
		// Unknown, and skipped, unless Unicode folding might make it one
		// of the names.
		for _, c := range key {
			if c >= utf8.RuneSelf {
				return -1, false, false
			}
		}
		return -1, false, true
	}
	if *seen&(1<<f) != 0 {
		return -1, false, false
	}
	*seen |= 1 << f
	return f, false, true
}

// nameIs reports whether key is name but for the case of ASCII letters.
func nameIs(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i := range len(key) {
		a, b := key[i], name[i]
		if a != b && (a|0x20 != b|0x20 || a|0x20 < 'a' || a|0x20 > 'z') {
			return false
		}
	}
	return true
}

// element moves to the next element of the array opened last, n elements
// having been read; end reports the end of the array (consumed).
func (d *fastDecoder) element(n int) (end, ok bool) {
	d.space()
	if d.peek(']') {
		d.i++
		d.depth--
		return true, true
	}
	if n > 0 {
		if !d.peek(',') {
			return false, false
		}
		d.i++
		d.space()
	}
	return false, true
}

// openObject consumes the brace of the object at the position.
func (d *fastDecoder) openObject() bool { return d.open('{') }

// openArray consumes the bracket of the array at the position.
func (d *fastDecoder) openArray() bool { return d.open('[') }

func (d *fastDecoder) open(c byte) bool {
	if !d.peek(c) || d.depth == maxDepth {
		return false
	}
	d.depth++
	d.i++
	return true
}

// The parts of JSON.

// space skips JSON whitespace, eight spaces at a time where it can: Graph's
// documented bodies are indented.
func (d *fastDecoder) space() {
	b, i := d.b, d.i
	for i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:]) == spaces8 {
		i += 8
	}
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	d.i = i
}

const (
	spaces8 = 0x2020202020202020
	ones8   = 0x0101010101010101
	highs8  = 0x8080808080808080
)

// plain8 reports whether the eight bytes of x may all stand in a string as
// they are: none is a quote, a backslash, a control character or part of
// a multi-byte character. (v - ones8) &^ v & highs8 is not zero exactly when
// some byte of v is zero.
func plain8(x uint64) bool {
	quote, backslash := x^(ones8*'"'), x^(ones8*'\\')
	control := (x - ones8*0x20) &^ x
	return (x|control|((quote-ones8)&^quote)|((backslash-ones8)&^backslash))&highs8 == 0
}

// peek reports whether the next value starts with c.
func (d *fastDecoder) peek(c byte) bool { return d.i < len(d.b) && d.b[d.i] == c }

// null consumes a null, if that is what comes next.
func (d *fastDecoder) null() bool {
	if d.i+4 <= len(d.b) && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// skip reads any value, checking it, and keeps nothing of it.
func (d *fastDecoder) skip() bool {
	if d.i >= len(d.b) {
		return false
	}
	switch c := d.b[d.i]; {
	case c == '{':
		if !d.openObject() {
			return false
		}
		for n := 0; ; n++ {
			_, end, ok := d.member(n, nil, nil)
			if !ok || end {
				return ok
			}
			if !d.skip() {
				return false
			}
		}
	case c == '[':
		if !d.openArray() {
			return false
		}
		for n := 0; ; n++ {
			end, ok := d.element(n)
			if !ok || end {
				return ok
			}
			if !d.skip() {
				return false
			}
		}
	case c == '"':
		_, ok := d.str()
		return ok
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if d.i+len(lit) <= len(d.b) && string(d.b[d.i:d.i+len(lit)]) == lit {
			d.i += len(lit)
			return true
		}
	}
	return false
}

// raw reads any value and returns its bytes.
func (d *fastDecoder) raw() ([]byte, bool) {
	start := d.i
	ok := d.skip()
	return d.b[start:d.i], ok
}

// number reads a number as RFC 8259 writes one:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *fastDecoder) number() bool {
	if d.peek('-') {
		d.i++
	}
	switch {
	case d.peek('0'):
		d.i++
	case d.i < len(d.b) && d.b[d.i] >= '1' && d.b[d.i] <= '9':
		d.digits()
	default:
		return false
	}
	if d.peek('.') {
		d.i++
		if !d.digits() {
			return false
		}
	}
	if d.peek('e') || d.peek('E') {
		d.i++
		if d.peek('+') || d.peek('-') {
			d.i++
		}
		if !d.digits() {
			return false
		}
	}
	return true
}

// digits reads one or more decimal digits.
func (d *fastDecoder) digits() bool {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

// intoString reads a string into *s (once the item is read: keep); null
// leaves *s as it is, as encoding/json does.
func (d *fastDecoder) intoString(s *string) bool {
	if d.null() {
		return true
	}
	if !d.peek('"') {
		return false
	}
	b, ok := d.str()
	if ok {
		d.keep(s, b)
	}
	return ok
}

// str reads a string at the position (a quote) and returns its value:
// the body's own bytes when it has no escapes, else the unescaped value in
// the decoder's scratch space, valid until the next call.
func (d *fastDecoder) str() ([]byte, bool) {
	b, start := d.b, d.i+1
	i := start
	for i+8 <= len(b) && plain8(binary.LittleEndian.Uint64(b[i:])) {
		i += 8
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			d.i = i + 1
			return b[start:i], true
		case c == '\\':
			d.i = i
			return d.escaped(start)
		case c < 0x20:
			return nil, false
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false
			}
			i += size
		}
	}
	return nil, false
}

// plain marks the bytes a string may hold as they are: ASCII but for the
// quote, the backslash and the control characters.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escaped finishes a string that began at start and has an escape at the
// position.
func (d *fastDecoder) escaped(start int) ([]byte, bool) {
	out := append(d.scratch[:0], d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			d.scratch = out
			return out, true
		case c == '\\':
			if d.i+1 >= len(d.b) {
				return nil, false
			}
			e := d.b[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return nil, false
				}
				if r >= 0xd800 && r < 0xdc00 {
					// A high surrogate must be followed by a low one.
					if d.i+2 > len(d.b) || d.b[d.i] != '\\' || d.b[d.i+1] != 'u' {
						return nil, false
					}
					d.i += 2
					lo, ok := d.hex4()
					if !ok || lo < 0xdc00 || lo >= 0xe000 {
						return nil, false
					}
					r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
				} else if r >= 0xdc00 && r < 0xe000 {
					return nil, false
				}
				out = utf8.AppendRune(out, r)
			default:
				return nil, false
			}
		case c < 0x20:
			return nil, false
		case c < utf8.RuneSelf:
			out = append(out, c)
			d.i++
		default:
			r, size := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false
			}
			out = append(out, d.b[d.i:d.i+size]...)
			d.i += size
		}
	}
	return nil, false
}

// hex4 reads the four hex digits of a \u escape.
func (d *fastDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}

// interned returns the value b holds when it is one Graph repeats in
// every notification (change types, states, directions, modalities): a
// string of the program's, which costs nothing to keep.
func interned(b []byte) (string, bool) {
	switch string(b) {
	case "created":
		return "created", true
	case "updated":
		return "updated", true
	case "deleted":
		return "deleted", true
	case "incoming":
		return "incoming", true
	case "outgoing":
		return "outgoing", true
	case "establishing":
		return "establishing", true
	case "established":
		return "established", true
	case "terminating":
		return "terminating", true
	case "terminated":
		return "terminated", true
	case "notifying":
		return "notifying", true
	case "hold":
		return "hold", true
	case "transferring":
		return "transferring", true
	case "transferAccepted":
		return "transferAccepted", true
	case "redirecting":
		return "redirecting", true
	case "audio":
		return "audio", true
	case "video":
		return "video", true
	case "data":
		return "data", true
	case "videoBasedScreenSharing":
		return "videoBasedScreenSharing", true
	case "":
		return "", true
	}
	return "", false
}
