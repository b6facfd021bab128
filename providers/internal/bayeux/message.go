package bayeux

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Meta channels of the protocol.
const (
	chHandshake   = "/meta/handshake"
	chConnect     = "/meta/connect"
	chSubscribe   = "/meta/subscribe"
	chUnsubscribe = "/meta/unsubscribe"
	chDisconnect  = "/meta/disconnect"
)

// message is one Bayeux message on the wire, in either direction. Fields a
// message does not carry stay at their zero value and are left out when
// encoding.
type message struct {
	Channel                  string          `json:"channel"`
	ID                       messageID       `json:"id,omitempty"`
	ClientID                 string          `json:"clientId,omitempty"`
	Version                  string          `json:"version,omitempty"`
	MinimumVersion           string          `json:"minimumVersion,omitempty"`
	SupportedConnectionTypes []string        `json:"supportedConnectionTypes,omitempty"`
	ConnectionType           string          `json:"connectionType,omitempty"`
	Subscription             subscription    `json:"subscription,omitempty"`
	Data                     json.RawMessage `json:"data,omitempty"`
	Successful               *bool           `json:"successful,omitempty"`
	Error                    string          `json:"error,omitempty"`
	Advice                   *wireAdvice     `json:"advice,omitempty"`
	Ext                      json.RawMessage `json:"ext,omitempty"`
}

// isData says whether m is a delivery on an application channel (as opposed
// to a reply). Deliveries are recognised by their data, never by their id:
// faye's deliveries carry the publisher's ids, which collide with ours.
func (m *message) isData() bool {
	return m.Data != nil && !strings.HasPrefix(m.Channel, "/meta/")
}

// ok says whether a reply reports success.
func (m *message) ok() bool { return m.Successful != nil && *m.Successful }

// messageID is a message's id. The protocol says it is a string; numbers
// are accepted too (and kept in their JSON spelling) so that a server that
// echoes them differently is still understood.
type messageID string

func (id *messageID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = messageID(s)
	case bytes.Equal(b, []byte("null")):
		*id = ""
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("id must be a string, not %s", abbreviate(b))
		}
		*id = messageID(n.String())
	}
	return nil
}

// subscription is the subscription field: one channel or a list of them.
type subscription []string

func (s subscription) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]string(s))
}

func (s *subscription) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = subscription{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("subscription must be a channel or a list of channels, not %s", abbreviate(b))
	}
	*s = many
	return nil
}

// wireAdvice is the advice object. Numbers are milliseconds; pointers tell
// a field that was sent from one that was not.
type wireAdvice struct {
	Reconnect       string   `json:"reconnect,omitempty"`
	Interval        *float64 `json:"interval,omitempty"`
	Timeout         *float64 `json:"timeout,omitempty"`
	MaxInterval     *float64 `json:"maxInterval,omitempty"`
	MultipleClients bool     `json:"multiple-clients,omitempty"`
	Hosts           []string `json:"hosts,omitempty"`

	// invalid names the fields of a received advice that had the wrong
	// type and were ignored (advice itself, if it was not an object).
	invalid []string
}

// UnmarshalJSON reads a server's advice leniently: a field of the wrong
// type is ignored and named in invalid, and the reply it came with is
// kept. Advice is only advice; a reply, its success and the messages
// riding with it matter more than a malformed hint. Numbers beyond
// float64 are read as infinite (millis caps them), not refused.
func (a *wireAdvice) UnmarshalJSON(b []byte) error {
	*a = wireAdvice{}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		a.invalid = []string{"advice (not an object)"}
		return nil
	}
	number := func(name string) *float64 {
		v, ok := fields[name]
		if !ok || string(v) == "null" {
			return nil
		}
		if len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
			// Valid JSON already; the only error left is a range one,
			// which leaves ±Inf (or 0 for a tiny number) in f.
			f, _ := strconv.ParseFloat(string(v), 64)
			return &f
		}
		a.invalid = append(a.invalid, name)
		return nil
	}
	adviceField(fields, "reconnect", &a.Reconnect, &a.invalid)
	a.Interval = number("interval")
	a.Timeout = number("timeout")
	a.MaxInterval = number("maxInterval")
	adviceField(fields, "multiple-clients", &a.MultipleClients, &a.invalid)
	adviceField(fields, "hosts", &a.Hosts, &a.invalid)
	return nil
}

// adviceField decodes fields[name] into dst; a value of the wrong type
// leaves dst as it was (it is decoded into a fresh value first: a failed
// decode may have filled part) and is named in invalid.
func adviceField[T any](fields map[string]json.RawMessage, name string, dst *T, invalid *[]string) {
	v, ok := fields[name]
	if !ok {
		return
	}
	var t T
	if json.Unmarshal(v, &t) != nil {
		*invalid = append(*invalid, name)
		return
	}
	*dst = t
}

// Reconnect advice values.
const (
	reconnectRetry     = "retry"
	reconnectHandshake = "handshake"
	reconnectNone      = "none"
)

// millis turns an advice number into a duration, clamping values no server
// means (negative stays negative: it says "do not reconnect").
func millis(ms float64) time.Duration {
	const maxMS = float64(24 * time.Hour / time.Millisecond)
	switch {
	case math.IsNaN(ms):
		return 0
	case ms > maxMS:
		ms = maxMS
	case ms < -maxMS:
		ms = -maxMS
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// maxDecodeErrors bounds how many per-message problems one response reports.
const maxDecodeErrors = 5

// deliverBatch is how many messages readMessages gathers before handing
// them on: big enough to make the handing cheap, small enough for the
// consumer to start on a burst while the rest is still being read.
const deliverBatch = 256

// decodeResponse reads a whole response body (see parseMessages).
func decodeResponse(body []byte) ([]message, error) {
	var msgs []message
	err := parseMessages(body, func(batch []message) {
		msgs = append(msgs, batch...)
	})
	return msgs, err
}

// decodeError reports what of a response could not be read.
type decodeError struct {
	Skipped   int      // messages skipped because they had the wrong shape
	Truncated bool     // the body stopped being JSON: what followed is lost
	Problems  []string // the first few problems, in words
}

func (e *decodeError) Error() string {
	var parts []string
	if e.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d unreadable message(s) skipped", e.Skipped))
	}
	if e.Truncated {
		parts = append(parts, "the rest of the answer is not JSON")
	}
	s := strings.Join(parts, ", ") + ": " + strings.Join(e.Problems, "; ")
	if e.Skipped > len(e.Problems) {
		s += "; …"
	}
	return s
}

// encodeRequest writes messages as the JSON array a request carries.
func encodeRequest(msgs []*message) ([]byte, error) {
	b, err := json.Marshal(msgs)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", describe(msgs), err)
	}
	return b, nil
}

// describe names the channels of a request, for errors and logs.
func describe(msgs []*message) string {
	names := make([]string, len(msgs))
	for i, m := range msgs {
		names[i] = m.Channel
	}
	return strings.Join(names, "+")
}

// abbreviate shortens b for an error message.
func abbreviate(b []byte) string {
	const max = 120
	if len(b) <= max {
		return strconv.Quote(string(b))
	}
	return strconv.Quote(string(b[:max])) + "…"
}
