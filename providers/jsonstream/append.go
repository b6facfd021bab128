package jsonstream

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"ringside/providers"
)

// The stream is written by hand rather than through encoding/json's
// reflection: `ringside --json` encodes every change of every call, and on a
// busy webhook the reflective encoder cost as much as decoding the
// notification. The bytes are exactly what json.Marshal makes of the schema
// types (jsonEvent, jsonCall…): the same fields in the same order, left out
// under the same omitempty rules, strings escaped alike (HTML characters,
// U+2028 and U+2029, invalid UTF-8 as U+FFFD) and times in RFC 3339 with
// nanoseconds. TestAppendMatchesMarshal and FuzzAppendMatchesMarshal hold
// the two to that. What this writer does not cover by hand, a time outside
// the years 0 to 9999 that encoding/json refuses, goes through the schema
// types and encoding/json, error included.

// AppendEvent appends ev to dst as one line of the JSON stream, without the
// trailing newline. provider names the source for status events.
func AppendEvent(dst []byte, provider string, ev providers.Event) ([]byte, error) {
	start := len(dst)
	dst, ok := appendEvent(dst, provider, ev)
	if ok {
		return dst, nil
	}
	b, err := json.Marshal(toJSONEvent(provider, ev))
	if err != nil {
		return dst[:start], err
	}
	return append(dst[:start], b...), nil
}

// AppendCall appends c to dst as the stream's "call" object.
func AppendCall(dst []byte, c *providers.Call) ([]byte, error) {
	start := len(dst)
	dst, ok := appendCall(dst, c)
	if ok {
		return dst, nil
	}
	b, err := json.Marshal(toJSONCall(*c))
	if err != nil {
		return dst[:start], err
	}
	return append(dst[:start], b...), nil
}

// appendEvent writes jsonEvent's fields; ok is false when a time is one it
// leaves to encoding/json.
func appendEvent(dst []byte, provider string, ev providers.Event) ([]byte, bool) {
	var ok bool
	dst = append(dst, `{"time":`...)
	if dst, ok = appendTime(dst, ev.Time.UTC()); !ok {
		return dst, false
	}
	switch {
	case ev.Call != nil:
		dst = append(dst, `,"type":"call","call":`...)
		if dst, ok = appendCall(dst, ev.Call); !ok {
			return dst, false
		}
	case ev.Status != nil:
		st := ev.Status
		dst = append(dst, `,"type":"status"`...)
		dst = appendField(dst, "provider", provider)
		dst = appendField(dst, "status", string(st.Link))
		dst = appendField(dst, "detail", st.Detail)
		dst = appendField(dst, "warning", st.Warning)
		dst = appendField(dst, "agent", st.Agent)
	default:
		dst = append(dst, `,"type":"unknown"`...)
	}
	return append(dst, '}'), true
}

// appendCall writes jsonCall's fields, as toJSONCall fills them.
func appendCall(dst []byte, c *providers.Call) ([]byte, bool) {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, c.ID)
	dst = append(dst, `,"provider":`...)
	dst = appendString(dst, c.Provider)
	dst = append(dst, `,"state":`...)
	dst = appendString(dst, string(c.State))
	dst = appendField(dst, "direction", string(c.Direction))
	dst = append(dst, `,"from":`...)
	dst = appendParty(dst, c.From)
	dst = append(dst, `,"to":`...)
	dst = appendParty(dst, c.To)
	dst = appendField(dst, "queue", c.Queue)
	if !c.Route.IsZero() {
		dst = append(dst, `,"route":`...)
		dst = appendRoute(dst, &c.Route)
	}
	dst = append(dst, `,"modalities":[`...)
	for i, m := range c.Modalities {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, m)
	}
	dst = append(dst, ']')
	dst = appendField(dst, "region", c.Region)
	for _, t := range [...]struct {
		name string
		at   time.Time
	}{{"arrived", c.Arrived}, {"answer_by", c.AnswerBy}, {"answered", c.Answered}, {"ended", c.Ended}} {
		if t.at.IsZero() {
			continue
		}
		dst = appendName(dst, t.name)
		var ok bool
		if dst, ok = appendTime(dst, t.at.UTC()); !ok {
			return dst, false
		}
	}
	if !c.End.IsZero() {
		dst = appendEnd(dst, c.End)
	}
	dst = appendField(dst, "ring_out", c.RingOut.String())
	dst = append(dst, `,"capabilities":`...)
	dst = append(dst, capsJSON[c.Caps]...)
	dst = appendField(dst, "outcome", string(c.Result()))
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendUint(dst, c.Version, 10)
	return append(dst, '}'), true
}

// appendEnd writes jsonEnd: the code when it or the subcode is not 0, the
// subcode and the text when they are not empty.
func appendEnd(dst []byte, e providers.EndReason) []byte {
	dst = append(dst, `,"end":{`...)
	open := len(dst)
	if e.Code != 0 || e.Subcode != 0 {
		dst = append(dst, `,"code":`...)
		dst = strconv.AppendInt(dst, int64(e.Code), 10)
	}
	if e.Subcode != 0 {
		dst = append(dst, `,"subcode":`...)
		dst = strconv.AppendInt(dst, int64(e.Subcode), 10)
	}
	dst = appendField(dst, "text", e.Text)
	return closeObject(dst, open)
}

// appendParty writes jsonParty: its fields when not empty, the label when
// the party shows as one.
func appendParty(dst []byte, p providers.Party) []byte {
	dst = append(dst, '{')
	open := len(dst)
	dst = appendField(dst, "name", p.Name)
	dst = appendField(dst, "id", p.ID)
	dst = appendField(dst, "kind", string(p.Kind))
	if p.Labelled() {
		dst = appendField(dst, "label", p.String())
	}
	return closeObject(dst, open)
}

// appendRoute writes jsonRoute: the kind and the parties that are known.
func appendRoute(dst []byte, r *providers.Route) []byte {
	dst = append(dst, '{')
	open := len(dst)
	dst = appendField(dst, "kind", string(r.Kind))
	for _, p := range [...]struct {
		name  string
		party *providers.Party
	}{
		{"dialled", &r.Dialled}, {"routed_to", &r.RoutedTo}, {"on_behalf_of", &r.OnBehalfOf},
		{"transferor", &r.Transferor}, {"observed", &r.Observed}, {"organizer", &r.Organizer},
	} {
		if p.party.IsZero() {
			continue
		}
		dst = appendName(dst, p.name)
		dst = appendParty(dst, *p.party)
	}
	dst = appendField(dst, "source_participant", r.SourceParticipant)
	return closeObject(dst, open)
}

// closeObject ends an object opened at open whose members were each written
// with a comma in front: the first one's goes.
func closeObject(dst []byte, open int) []byte {
	if len(dst) > open {
		dst = append(dst[:open], dst[open+1:]...)
	}
	return append(dst, '}')
}

// appendName writes ,"name": before a member's value.
func appendName(dst []byte, name string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

// appendField writes ,"name":"value" unless value is empty (omitempty).
func appendField(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	return appendString(appendName(dst, name), value)
}

// appendTime writes t as time.Time's MarshalJSON does, and reports false
// for the years it refuses.
func appendTime(dst []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return dst, false
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), true
}

// capsJSON is the capabilities array for each set, as Names lists it.
var capsJSON = func() (all [256]string) {
	for c := range all {
		names := providers.Capabilities(c).Names()
		b := []byte{'['}
		for i, n := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, n)
		}
		all[c] = string(append(b, ']'))
	}
	return all
}()

const hexDigits = "0123456789abcdef"

const (
	ones8  = 0x0101010101010101
	highs8 = 0x8080808080808080
)

// safe8 reports whether the eight bytes of x are all written as they are:
// ASCII, none a control character, a quote, a backslash, <, > or &.
// (v - ones8) &^ v has a high bit set exactly when some byte of v is zero.
func safe8(x uint64) bool {
	zero := func(v uint64) uint64 { return (v - ones8) &^ v }
	control := (x - ones8*0x20) &^ x
	return (x|control|zero(x^ones8*'"')|zero(x^ones8*'\\')|zero(x^ones8*'<')|zero(x^ones8*'>')|zero(x^ones8*'&'))&highs8 == 0
}

// appendString writes s as a JSON string the way encoding/json does by
// default: ", \ and the control characters escaped (\b \f \n \r \t by
// name, the rest as \u00XX), <, > and & as \u003c \u003e \u0026 so the
// stream is safe to embed in HTML, U+2028 and U+2029 escaped for
// JavaScript, and each byte of invalid UTF-8 as \ufffd.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	done := 0 // s[:done] is written
	for i := 0; i < len(s); {
		// Ids and names are plain ASCII: eight bytes at a time while they
		// need no escape.
		for i+8 <= len(s) && safe8(uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
			uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[done:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[done:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[done:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		done = i
	}
	dst = append(dst, s[done:]...)
	return append(dst, '"')
}
