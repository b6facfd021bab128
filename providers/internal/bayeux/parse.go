package bayeux

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// The response decoder. A burst answer is megabytes of JSON whose bulk is
// the messages' data, which the client only hands on: encoding/json would
// scan every data byte at least twice and copy it. This decoder reads the
// envelope fields, checks the data is JSON in one pass and hands it on as a
// slice of the body, never copied. What it accepts and what it makes of it
// follows encoding/json (the fuzz target holds it to that), except that
// field names match exactly, as Bayeux spells them.

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

// errSyntax is how the body stops being JSON.
type errSyntax struct {
	off int
	msg string
}

func (e *errSyntax) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.off) }

// parser walks one body.
type parser struct {
	b []byte
	i int
}

func (p *parser) fail(msg string) error { return &errSyntax{off: p.i, msg: msg} }

func (p *parser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek is the next byte that is not white space, 0 at the end (a NUL
// byte, never valid JSON, reads the same).
func (p *parser) peek() byte {
	p.space()
	if p.i >= len(p.b) {
		return 0
	}
	return p.b[p.i]
}

// skip checks the value at the cursor and moves past it.
func (p *parser) skip(depth int) error {
	switch c := p.peek(); {
	case c == '{':
		return p.skipObject(depth + 1)
	case c == '[':
		return p.skipArray(depth + 1)
	case c == '"':
		_, _, _, err := p.scanString()
		return err
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 0:
		return p.fail("unexpected end of JSON")
	}
	return p.fail(fmt.Sprintf("invalid character %q looking for a value", p.b[p.i]))
}

func (p *parser) skipObject(depth int) error {
	if depth > maxDepth {
		return p.fail("nested too deeply")
	}
	p.i++ // {
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		if p.peek() != '"' {
			return p.fail("object key is not a string")
		}
		if _, _, _, err := p.scanString(); err != nil {
			return err
		}
		if p.peek() != ':' {
			return p.fail("missing : after object key")
		}
		p.i++
		if err := p.skip(depth); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return p.fail("missing , or } in object")
		}
	}
}

func (p *parser) skipArray(depth int) error {
	if depth > maxDepth {
		return p.fail("nested too deeply")
	}
	p.i++ // [
	if p.peek() == ']' {
		p.i++
		return nil
	}
	for {
		if err := p.skip(depth); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return nil
		default:
			return p.fail("missing , or ] in array")
		}
	}
}

func (p *parser) literal(word string) error {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return p.fail("invalid literal")
	}
	p.i += len(word)
	return nil
}

func digit(c byte) bool { return c >= '0' && c <= '9' }

// number checks a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() error {
	b := p.b
	if p.i < len(b) && b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(b) && b[p.i] == '0':
		p.i++
	case p.i < len(b) && b[p.i] >= '1' && b[p.i] <= '9':
		for p.i < len(b) && digit(b[p.i]) {
			p.i++
		}
	default:
		return p.fail("invalid number")
	}
	if p.i < len(b) && b[p.i] == '.' {
		p.i++
		if p.i >= len(b) || !digit(b[p.i]) {
			return p.fail("invalid number")
		}
		for p.i < len(b) && digit(b[p.i]) {
			p.i++
		}
	}
	if p.i < len(b) && (b[p.i] == 'e' || b[p.i] == 'E') {
		p.i++
		if p.i < len(b) && (b[p.i] == '+' || b[p.i] == '-') {
			p.i++
		}
		if p.i >= len(b) || !digit(b[p.i]) {
			return p.fail("invalid number")
		}
		for p.i < len(b) && digit(b[p.i]) {
			p.i++
		}
	}
	return nil
}

func hex(c byte) bool { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

// scanString checks the string at the cursor and moves past it. It returns
// the span of its contents and whether they need decoding (escapes, or
// bytes that are not UTF-8).
func (p *parser) scanString() (start, end int, plain bool, err error) {
	b := p.b
	p.i++ // "
	start = p.i
	plain = true
	for p.i < len(b) {
		c := b[p.i]
		switch {
		case c == '"':
			end = p.i
			p.i++
			return start, end, plain, nil
		case c == '\\':
			plain = false
			if p.i+1 >= len(b) {
				return 0, 0, false, p.fail("unexpected end of JSON in string")
			}
			switch b[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if p.i+5 >= len(b) || !hex(b[p.i+2]) || !hex(b[p.i+3]) || !hex(b[p.i+4]) || !hex(b[p.i+5]) {
					return 0, 0, false, p.fail("invalid \\u escape in string")
				}
				p.i += 6
			default:
				return 0, 0, false, p.fail("invalid escape in string")
			}
		case c < 0x20:
			return 0, 0, false, p.fail("control character in string")
		case c >= utf8.RuneSelf:
			plain = false
			p.i++
		default:
			p.i++
		}
	}
	return 0, 0, false, p.fail("unexpected end of JSON in string")
}

// typeError is a field whose JSON is valid but of the wrong kind; the
// message is then skipped, as encoding/json would refuse it.
type typeError struct{ field, want string }

func (e *typeError) Error() string { return fmt.Sprintf("field %q: want %s", e.field, e.want) }

// stringField reads a string field (null leaves it as it was).
func (p *parser) stringField(name string, dst *string) (error, error) {
	switch p.peek() {
	case '"':
		start, end, plain, err := p.scanString()
		if err != nil {
			return err, nil
		}
		if plain {
			*dst = string(p.b[start:end])
			return nil, nil
		}
		// Escapes or non-ASCII: let encoding/json decode it exactly.
		var s string
		if err := json.Unmarshal(p.b[start-1:end+1], &s); err != nil {
			return p.fail(err.Error()), nil
		}
		*dst = s
		return nil, nil
	case 'n':
		return p.literal("null"), nil
	}
	if err := p.skip(1); err != nil {
		return err, nil
	}
	return nil, &typeError{field: name, want: "a string"}
}

// rawField reads any value and returns its span (null included, as
// encoding/json fills a RawMessage).
func (p *parser) rawField() ([]byte, error) {
	p.space()
	start := p.i
	if err := p.skip(1); err != nil {
		return nil, err
	}
	return p.b[start:p.i:p.i], nil
}

// message reads the object at the cursor into m. A syntax error ends the
// body; a type error only this message.
func (p *parser) message(m *message) (syntax, typ error) {
	p.i++ // {
	if p.peek() == '}' {
		p.i++
		return nil, nil
	}
	for {
		if p.peek() != '"' {
			return p.fail("object key is not a string"), nil
		}
		ks, ke, plain, err := p.scanString()
		if err != nil {
			return err, nil
		}
		key := p.b[ks:ke]
		if !plain {
			var k string
			if err := json.Unmarshal(p.b[ks-1:ke+1], &k); err != nil {
				return p.fail(err.Error()), nil
			}
			key = []byte(k)
		}
		if p.peek() != ':' {
			return p.fail("missing : after object key"), nil
		}
		p.i++
		var te error
		switch string(key) {
		case "channel":
			err, te = p.stringField("channel", &m.Channel)
		case "clientId":
			err, te = p.stringField("clientId", &m.ClientID)
		case "error":
			err, te = p.stringField("error", &m.Error)
		case "version":
			err, te = p.stringField("version", &m.Version)
		case "minimumVersion":
			err, te = p.stringField("minimumVersion", &m.MinimumVersion)
		case "connectionType":
			err, te = p.stringField("connectionType", &m.ConnectionType)
		case "data":
			m.Data, err = p.rawField()
		case "ext":
			m.Ext, err = p.rawField()
		case "successful":
			switch p.peek() {
			case 't':
				err = p.literal("true")
				t := true
				m.Successful = &t
			case 'f':
				err = p.literal("false")
				f := false
				m.Successful = &f
			case 'n':
				err = p.literal("null")
				m.Successful = nil
			default:
				err = p.skip(1)
				te = &typeError{field: "successful", want: "true or false"}
			}
		case "id", "advice", "subscription", "supportedConnectionTypes":
			// Small and rare: encoding/json decodes them exactly.
			var raw []byte
			raw, err = p.rawField()
			if err == nil {
				var dst any
				switch string(key) {
				case "id":
					dst = &m.ID
				case "advice":
					dst = &m.Advice
				case "subscription":
					dst = &m.Subscription
				default:
					dst = &m.SupportedConnectionTypes
				}
				te = json.Unmarshal(raw, dst)
			}
		default:
			err = p.skip(1)
		}
		if err != nil {
			return err, nil
		}
		if te != nil && typ == nil {
			typ = te
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil, typ
		default:
			return p.fail("missing , or } in object"), nil
		}
	}
}

// parseMessages reads a response body: a JSON array of messages (a single
// object is accepted too). It calls deliver with the messages read so far,
// in order, every deliverBatch messages and at the end; deliver must not
// keep the slice, which is reused (the messages' Data and Ext point into
// body, which is never copied). A message of the wrong shape is skipped
// and reported in the error (a *decodeError listing the first few
// problems); if the body stops being JSON, what came before has been
// delivered and the error says the rest is lost.
func parseMessages(body []byte, deliver func([]message)) error {
	p := &parser{b: body}
	batch := make([]message, 0, min(deliverBatch, len(body)/16+1))
	var problems []string
	skipped := 0
	problem := func(s string) {
		if len(problems) < maxDecodeErrors {
			problems = append(problems, s)
		}
	}
	end := func(truncated bool) error {
		if len(batch) > 0 {
			deliver(batch)
		}
		if skipped == 0 && !truncated {
			return nil
		}
		return &decodeError{Skipped: skipped, Truncated: truncated, Problems: problems}
	}
	// one reads the value at the cursor as message i; false: syntax error.
	one := func(i int) bool {
		if p.peek() != '{' {
			start := p.i
			if err := p.skip(1); err != nil {
				problem(fmt.Sprintf("not JSON from message %d on: %v", i, err))
				return false
			}
			skipped++
			problem(fmt.Sprintf("message %d is not an object: %s", i, abbreviate(body[start:p.i])))
			return true
		}
		var m message
		syn, typ := p.message(&m)
		switch {
		case syn != nil:
			problem(fmt.Sprintf("not JSON from message %d on: %v", i, syn))
			return false
		case typ != nil:
			skipped++
			problem(fmt.Sprintf("message %d: %v", i, typ))
		case m.Channel == "":
			skipped++
			problem(fmt.Sprintf("message %d: no channel", i))
		default:
			batch = append(batch, m)
			if len(batch) == deliverBatch {
				deliver(batch)
				clear(batch)
				batch = batch[:0]
			}
		}
		return true
	}
	switch p.peek() {
	case 0:
		return errors.New("empty response")
	case '{':
		if !one(0) {
			return end(true)
		}
	case '[':
		p.i++
		if p.peek() == ']' {
			p.i++
			break
		}
		for i := 0; ; i++ {
			if !one(i) {
				return end(true)
			}
			c := p.peek()
			if c == ',' {
				p.i++
				continue
			}
			if c == ']' {
				p.i++
				break
			}
			problem(fmt.Sprintf("not JSON after message %d: %v", i, p.fail("missing , or ] in array")))
			return end(true)
		}
	default:
		return fmt.Errorf("response is not a list of messages: %s", abbreviate(body))
	}
	if p.space(); p.i < len(p.b) {
		problem("data after the list of messages")
		return end(true)
	}
	return end(false)
}
