package genesys

import (
	"context"
	"encoding/json"

	"ringside/providers"
)

// feed is where the provider hears from GWS: a notification session
// subscribed to /v2/me/calls and /v2/me/devices. Production uses CometD;
// tests can substitute any source that keeps the same promises.
type feed interface {
	// run connects, subscribes and sends notices to out until ctx ends
	// (then it disconnects and returns nil) or the server tells it to stop
	// for good (then it returns the reason). Notices keep the order in which
	// things happened: a noticeResync comes after every message that
	// arrived before it and before every message that arrives after.
	run(ctx context.Context, out chan<- notice) error
}

// noticeKind says what a notice carries.
type noticeKind int

const (
	// noticeMessage is a message delivered on a subscribed channel.
	noticeMessage noticeKind = iota
	// noticeResync says the subscriptions are in place after the first
	// connection or after the session was lost and re-established (or
	// after messages were dropped): what happened in between is unknown,
	// so the calls must be read afresh.
	noticeResync
	// noticeLink is a change of the connection's state.
	noticeLink
)

// notice is one thing the feed reports.
type notice struct {
	kind    noticeKind
	channel string          // noticeMessage
	data    json.RawMessage // noticeMessage: the message's data
	link    providers.Link  // noticeLink
	detail  string          // noticeLink, noticeResync: why, in words
	// noticeMessage: data is known to be one JSON value (the CometD
	// client checks every message's data), so it is not checked again.
	checked bool
}
