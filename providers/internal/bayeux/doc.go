// Package bayeux is a CometD (Bayeux 1.0) client: long-polling and
// websocket transports, reconnection as the server advises, subscriptions
// restored on every new session, and one ordered stream of what happened.
// It is what the Genesys provider receives GWS notifications with; it is
// proven against two real servers, cometd-nodejs-server and faye (see
// package bayeuxtest).
//
// # Use
//
//	c, err := bayeux.Start(bayeux.Config{
//		URL:      "https://gws.example.com/api/v2/notifications",
//		Channels: []string{"/v2/me/calls", "/v2/me/devices"},
//		Jar:      jar, // shared with the REST client of the same login
//		Header: func(h http.Header) {
//			h.Set("Authorization", basicAuth)
//			h.Set(csrfHeader, csrfToken())
//		},
//		Log: logger,
//	})
//	...
//	for ev := range c.Events() {
//		switch ev.Kind {
//		case bayeux.KindMessage:  // ev.Channel, ev.Data (raw JSON)
//		case bayeux.KindResync:   // read a fresh snapshot; later messages apply on top
//		case bayeux.KindState:    // ev.State, ev.Reason: show the link's health
//		case bayeux.KindSubscribeFailed: // ev.Channel was refused on a new session
//		}
//	}
//	...
//	c.Close(ctx) // /meta/disconnect, then every goroutine ends; Events is closed
//
// Start does no I/O; the client connects in the background. Subscribe and
// Unsubscribe change the subscriptions later; Publish sends a message.
// They are safe to call from any goroutine, the event loop included.
//
// # States
//
// The stream reports every change of state (KindState):
//
//   - Connecting: the first handshake is under way or being retried
//     (Reason says why it failed).
//   - Live: connected, subscriptions in place, messages flow. ClientID is
//     the session's id.
//   - Reconnecting: the connection or the session was lost; Reason says
//     why (a refused connection, an HTTP status, the server's error). The
//     client keeps its session and retries, or handshakes anew when the
//     server no longer knows it.
//   - Stopped: final. The server advised reconnect "none" (or a transport
//     the caller forced is not offered); Reason and Err say what the
//     server said, and the stream ends after this event. Close does not
//     send it: after Close the stream is simply closed.
//
// # Resync
//
// Bayeux keeps no history: what is published while a client has no
// session is gone. So after every handshake, once the subscriptions are in
// place, the stream carries a KindResync event (the first session's
// included): the consumer should read the current state afresh (e.g. GET
// the calls) and apply the messages that follow on top. KindResync also
// comes when messages may have been lost on a live session: a connection
// cut while the server may have been answering, an answer that could not
// be read, or messages dropped because the consumer fell behind (then
// Dropped says how many). Whenever the client comes back (a new session, or
// the same one after a broken connection) the KindResync event comes just
// before the Live state, so a consumer can mark its view stale before it
// hears the connection is back.
//
// # Slow subscribers
//
// Receiving never waits for the consumer: the connect loop hands each
// answer's messages to a queue and goes on. At most Config.BufferSize
// messages (default 65536) wait there; beyond that, messages are dropped,
// counted, and one KindResync event with the count (Dropped) takes their
// place in the stream, exactly where the gap is, so the loss is never
// silent and the consumer knows to read afresh. State events are never
// dropped. A consumer that never reads only costs that buffer; Close still
// ends everything.
//
// # Protocol
//
// The handshake always travels over HTTP, alone in its request; it offers
// websocket and long-polling (or the one transport forced by
// Config.Transport), and the client uses websocket when the server offers
// it and the upgrade works, long-polling otherwise. Exactly one
// /meta/connect is outstanding at any time, alone in its request, on an
// HTTP connection of its own, so that subscribes and publishes never queue
// behind it; its deadline is the server's advice.timeout plus
// MaxNetworkDelay (the grace), and one not answered by then is a lost
// connection, on a websocket too however many frames arrive meanwhile. The
// first connect of a session asks for an immediate answer (advice timeout
// 0).
//
// Every message of every answer is dispatched, in order: messages ride on
// connect, subscribe and publish answers, before or after the reply (both
// servers do it differently). Data messages are recognised by their data
// field, never by their id (faye's deliveries carry the publisher's ids,
// which collide with the client's).
//
// Advice is kept field by field as the server sends it: reconnect "retry"
// (connect again after interval, same session), "handshake" (new session),
// "none" (stop). An unknown session (any "402::…" error, faye's
// "401:…:Unknown client") or advice "handshake" means a new handshake,
// the subscriptions restored, and a KindResync. A failure without advice
// waits interval plus a back-off that grows by BackoffIncrement (1 s) up to
// MaxBackoff (60 s) and is reset by a successful connect; each wait is
// jittered between half its step and the whole step, so that clients that
// lost their server together do not come back together.
//
// No advice makes the client wait unbounded: interval is capped at
// MaxBackoff and timeout at MaxConnectTimeout (3 min), and while the
// server's timeout is over that cap every connect asks for the cap
// instead (CometD and faye both hold a connect as long as it asks). Going
// over a cap is logged once per new value. An advice field of the wrong
// type is ignored (and logged), not the reply it came with. Advice with
// multiple-clients (one browser cookie, several sessions) slows that
// session to the given interval. When a connection stays down longer than
// the server keeps sessions (timeout + interval + maxInterval, if it said),
// the client handshakes at once instead of retrying a dead session.
//
// Cookies: every request of a client shares Config.Jar; CometD servers
// bind a session to its BAYEUX_BROWSER cookie and answer 402 without it.
// Run one client per jar.
//
// Not supported: the ack extension (GWS is not known to offer it; the
// snapshot after KindResync is the recovery), callback-polling (JSONP).
package bayeux
