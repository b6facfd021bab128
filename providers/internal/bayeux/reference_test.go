package bayeux

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// referenceDecode does parseMessages' job with encoding/json alone, slowly
// and plainly: the fuzz target holds the fast decoder to it. Field names
// match exactly, the first field of the wrong type spoils its message and
// nesting is bounded counting the list, as in parseMessages.
func referenceDecode(body []byte) (msgs []message, skipped int, truncated bool, err error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, 0, false, errors.New("empty response")
	}
	single := trimmed[0] == '{'
	if !single && trimmed[0] != '[' {
		return nil, 0, false, errors.New("not a list of messages")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if !single {
		if _, err := dec.Token(); err != nil {
			return nil, 0, true, nil
		}
	}
	for single || dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return msgs, skipped, true, nil
		}
		// parseMessages bounds nesting at 10,000 levels counting the list
		// around the messages, where encoding/json counts from each
		// message: inside the list, a message may nest one level less.
		if !single && !json.Valid(append(append([]byte{'['}, raw...), ']')) {
			return msgs, skipped, true, nil
		}
		m, ok := referenceMessage(raw)
		if ok {
			msgs = append(msgs, m)
		} else {
			skipped++
		}
		if single {
			break
		}
	}
	if !single {
		if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
			return msgs, skipped, true, nil
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return msgs, skipped, true, nil
	}
	return msgs, skipped, false, nil
}

// referenceMessage reads one message; false if it is not one.
func referenceMessage(raw json.RawMessage) (message, bool) {
	var m message
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return m, false
	}
	ok := true
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return m, false
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return m, false
		}
		var dst any
		switch key {
		case "channel":
			dst = &m.Channel
		case "clientId":
			dst = &m.ClientID
		case "error":
			dst = &m.Error
		case "version":
			dst = &m.Version
		case "minimumVersion":
			dst = &m.MinimumVersion
		case "connectionType":
			dst = &m.ConnectionType
		case "successful":
			dst = &m.Successful
		case "id":
			dst = &m.ID
		case "advice":
			dst = &m.Advice
		case "subscription":
			dst = &m.Subscription
		case "supportedConnectionTypes":
			dst = &m.SupportedConnectionTypes
		case "data":
			m.Data = v
		case "ext":
			m.Ext = v
		}
		if dst != nil && json.Unmarshal(v, dst) != nil {
			ok = false
		}
	}
	return m, ok && m.Channel != ""
}
