package bayeux

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
)

// The response decoder. A burst answer is megabytes of JSON whose bulk is
// the messages' data, which the client only hands on. jsontext (the
// tokenizer behind encoding/json/v2) reads the envelope fields token by
// token and each message's data as one raw value, checked in a single
// pass. Reading from a bytes.Buffer, it parses the buffer in place and
// never writes to it, so the data handed on is a slice of the body, never
// copied (TestDecodeKeepsDataInBody holds the library to that). Measured
// against the hand-written scanner it replaced, it reads the 20,000
// message burst body about a fifth faster (BenchmarkDecodeResponse, 350
// against 290 MB/s on two cores), and BenchmarkBurstVsCometDJS did not
// change beyond its noise.
//
// What it accepts and what it makes of it follows encoding/json (the fuzz
// target holds it to that), except that field names match exactly, as
// Bayeux spells them, and that nesting is bounded at jsontext's 10,000
// levels counting the list around the messages, where encoding/json
// counts from each message (a Bayeux message is never nested a thousandth
// as deep). jsontext is stricter than encoding/json in two corners, which
// decodeOptions relax to match it: duplicate field names (the last one
// wins) and strings that are not UTF-8 (they read as U+FFFD).

// decodeOptions make jsontext accept what encoding/json accepts.
var decodeOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
}

// typeError is a field whose JSON is valid but of the wrong kind; the
// message is then skipped, as encoding/json would refuse it.
type typeError struct{ field, want string }

func (e *typeError) Error() string { return fmt.Sprintf("field %q: want %s", e.field, e.want) }

// fieldName is an object name as read, without quotes or escapes. Names
// without escapes are used in place; one that does not decode cleanly
// (not UTF-8) matches no Bayeux field either way.
func fieldName(quoted jsontext.Value) []byte {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return quoted[1 : len(quoted)-1]
	}
	name, _ := jsontext.AppendUnquote(nil, quoted)
	return name
}

// readString reads a string field (null leaves it as it was).
func readString(dec *jsontext.Decoder, field string, dst *string) (syntax, typ error) {
	switch dec.PeekKind() {
	case '"':
		tok, err := dec.ReadToken()
		if err != nil {
			return err, nil
		}
		*dst = tok.String()
		return nil, nil
	case 'n':
		_, err := dec.ReadToken()
		return err, nil
	}
	if _, err := dec.ReadValue(); err != nil {
		return err, nil
	}
	return nil, &typeError{field: field, want: "a string"}
}

// readSuccessful reads the successful field (null unsets it).
func readSuccessful(dec *jsontext.Decoder, m *message) (syntax, typ error) {
	switch dec.PeekKind() {
	case 't', 'f':
		tok, err := dec.ReadToken()
		if err != nil {
			return err, nil
		}
		ok := tok.Bool()
		m.Successful = &ok
		return nil, nil
	case 'n':
		m.Successful = nil
		_, err := dec.ReadToken()
		return err, nil
	}
	if _, err := dec.ReadValue(); err != nil {
		return err, nil
	}
	return nil, &typeError{field: "successful", want: "true or false"}
}

// readMessage reads the object at the decoder into m. A syntax error ends
// the body; a type error only this message.
func readMessage(dec *jsontext.Decoder, m *message) (syntax, typ error) {
	if _, err := dec.ReadToken(); err != nil { // {
		return err, nil
	}
	// A syntax error makes PeekKind report no kind, and the next read
	// returns the error.
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue()
		if err != nil {
			return err, nil
		}
		var te error
		switch key := fieldName(name); string(key) {
		case "channel":
			err, te = readString(dec, "channel", &m.Channel)
		case "clientId":
			err, te = readString(dec, "clientId", &m.ClientID)
		case "error":
			err, te = readString(dec, "error", &m.Error)
		case "version":
			err, te = readString(dec, "version", &m.Version)
		case "minimumVersion":
			err, te = readString(dec, "minimumVersion", &m.MinimumVersion)
		case "connectionType":
			err, te = readString(dec, "connectionType", &m.ConnectionType)
		case "successful":
			err, te = readSuccessful(dec, m)
		case "data", "ext":
			// The raw value, null included, as encoding/json fills a
			// RawMessage: a slice of the body.
			var v jsontext.Value
			if v, err = dec.ReadValue(); err == nil {
				if key[0] == 'd' {
					m.Data = json.RawMessage(v)
				} else {
					m.Ext = json.RawMessage(v)
				}
			}
		case "id", "advice", "subscription", "supportedConnectionTypes":
			// Small and rare: encoding/json decodes them exactly, with
			// the types' own UnmarshalJSON.
			var v jsontext.Value
			if v, err = dec.ReadValue(); err == nil {
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
				te = json.Unmarshal(v, dst)
			}
		default:
			_, err = dec.ReadValue()
		}
		if err != nil {
			return err, nil
		}
		if te != nil && typ == nil {
			typ = te
		}
	}
	_, err := dec.ReadToken() // }
	return err, typ
}

// trimSpace drops JSON white space from the front of b.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
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
	trimmed := trimSpace(body)
	if len(trimmed) == 0 {
		return errors.New("empty response")
	}
	if trimmed[0] != '[' && trimmed[0] != '{' {
		return fmt.Errorf("response is not a list of messages: %s", abbreviate(body))
	}
	dec := jsontext.NewDecoder(bytes.NewBuffer(body), decodeOptions...)
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
	// one reads the value at the decoder as message i; false: syntax error.
	one := func(i int) bool {
		if dec.PeekKind() != '{' {
			v, err := dec.ReadValue()
			if err != nil {
				problem(fmt.Sprintf("not JSON from message %d on: %v", i, err))
				return false
			}
			skipped++
			problem(fmt.Sprintf("message %d is not an object: %s", i, abbreviate(v)))
			return true
		}
		// Read in place, in the batch's next slot: a message weighs a few
		// hundred bytes, and a burst brings tens of thousands.
		batch = append(batch, message{})
		syn, typ := readMessage(dec, &batch[len(batch)-1])
		noChannel := batch[len(batch)-1].Channel == ""
		if syn != nil || typ != nil || noChannel {
			batch[len(batch)-1] = message{}
			batch = batch[:len(batch)-1]
		}
		switch {
		case syn != nil:
			problem(fmt.Sprintf("not JSON from message %d on: %v", i, syn))
			return false
		case typ != nil:
			skipped++
			problem(fmt.Sprintf("message %d: %v", i, typ))
		case noChannel:
			skipped++
			problem(fmt.Sprintf("message %d: no channel", i))
		default:
			if len(batch) == deliverBatch {
				deliver(batch)
				clear(batch)
				batch = batch[:0]
			}
		}
		return true
	}
	if trimmed[0] == '{' {
		if !one(0) {
			return end(true)
		}
	} else {
		// The list: a syntax error makes PeekKind report no kind, and one
		// then reports it.
		_, err := dec.ReadToken() // [
		for i := 0; err == nil && dec.PeekKind() != ']'; i++ {
			if !one(i) {
				return end(true)
			}
		}
		if err == nil {
			_, err = dec.ReadToken() // ]
		}
		if err != nil {
			problem(fmt.Sprintf("not JSON: %v", err))
			return end(true)
		}
	}
	if len(trimSpace(body[dec.InputOffset():])) > 0 {
		problem("data after the list of messages")
		return end(true)
	}
	return end(false)
}
