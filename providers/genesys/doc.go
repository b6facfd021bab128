// Package genesys is the console's provider for Genesys Web Services (GWS
// 8.5/8.6, REST API v2 Voice): the signed-in agent's calls, live, with
// answer, reject, hang up, transfer, hold and resume as GWS allows them,
// and the agent's own state.
//
// # How it talks to GWS
//
// REST: HTTP Basic authentication on every request, one cookie jar (the
// JSESSIONID session) shared with CometD, and the CSRF header GWS names in
// X-CSRF-HEADER / X-CSRF-TOKEN on any GET sent back on every POST. A POST
// answered with HTTP 403 (missing or stale token: the session was recreated)
// fetches the token again with GET /api/v2/me and is retried once.
//
// Notifications: CometD long-polling at <base>/api/v2/notifications (or
// --genesys-cometd-url), subscribed to /v2/me/calls and /v2/me/devices. The
// CometD client (providers/internal/bayeux) re-handshakes and re-subscribes
// by itself; every time it has a new session, or has had to drop messages,
// the call list is read again with GET /api/v2/me/calls?fields=* (and the
// devices with GET /api/v2/me/devices?fields=*). Call and device messages
// that arrive while the lists are on their way are held and applied after
// them, in order, so they win over the (older) lists; calls absent from
// the list end, unless a held message mentions them, in which case they are
// read once more by id. The header shows the connection as live only once
// the list has been read.
//
// # Calls
//
// Every CallStateChangeMessage, whatever its notificationType, replaces the
// call with data.call. GWS states map to the console's: Ringing → ringing
// (answer deadline = arrival + the switch's ring timeout, from the event's
// extensions.NO_ANSWER_TIMEOUT, or + the answer window when the switch sent
// none), Dialing → connecting, Established → active, Held → held, Released → ended.
// Unknown states keep the call where it was (a new call in an unknown state
// shows as active). A message that would move a call back in its lifecycle
// is stale and ignored; an ended call never comes back (ledger.Ledger).
// GWS sends no caller names; a name attached to the call (userData, under
// the keys of --genesys-name-keys, Workspace's WWE_PARTY_<number> by
// default) is shown with the number.
// The console's actions follow GWS's capabilities exactly: answer only with
// Answer, reject only with Reject (calls delivered through a queue), hang up
// only with Hangup, transfer only with SingleStepTransfer, hold and resume
// only with Hold and Retrieve. Reject takes no reason (RejectReasons is
// empty, so the console skips the picker); GWS sends the call back to its
// queue. GWS v2 has no redirect: Redirect is refused in words.
//
// # Operations and their outcome
//
// Answer, Reject, Hangup, Hold and Retrieve POST {"operationName":"…"} to
// /api/v2/me/calls/{id}; SingleStepTransfer adds destination.phoneNumber
// (the target's Genesys number, else its E.164 number). A successful
// transfer looks exactly like a hang-up (Released): the call ends as
// transferred, "Transferred to <target>", because the transfer was the
// operation pending on it.
//
// A non-zero statusCode is returned as a
// *StatusError worded from GWS's table (2 wraps providers.ErrNotAllowed, 6
// providers.ErrNotFound) and the call is left as it was. statusCode 0 only
// means GWS accepted the request: the method returns when a notification
// shows the effect (the call answered, held, retrieved, released), or with an error when one
// rules it out (notificationType Error, an ErrorMessage naming the call, or
// the call ended before an answer took effect). If none arrives within 10 s (less when the caller's deadline
// is nearer, keeping 3 s to explain), the call is re-read by id, the fresh
// state sent to the console, and an *UnconfirmedError says what was found
// ("GWS accepted the answer but nothing changed within 10s; the call is
// still ringing (the phone may not accept a remote answer)"); when the
// re-read shows the effect after all, the method returns nil and the lost
// notification is logged. Callers should give these methods a context of at
// least 13 s.
//
// Without Run (the one-shot commands), the operation is sent the same way
// and confirmed by re-reading the call every half second for up to 10 s.
//
// # Agent session
//
// With --genesys-login, StartContactCenterSession (channel voice, at
// --genesys-place) is sent once the subscriptions are in place, and
// EndContactCenterSession at quit, after the CometD disconnect (it ends the
// HTTP session). A refused login stops Run with the reason. The agent's
// state from /v2/me/devices (Ready, Not Ready with its reason, DND) is shown
// in the header.
//
// # Agent state
//
// The provider implements providers.AgentControl (agent.go): the system
// states Ready, NotReady and AfterCallWork, and the states the administrator
// configured (GET /api/v2/settings/agent-states), posted by operationName to
// /api/v2/me/channels/voice. The new state reaches the header with the
// device message that follows.
//
// # Errors GWS reports
//
// An ErrorMessage (on /v2/me/calls or /v2/me/devices) is logged and shown
// in the status detail for DefaultErrorShow. One that names a device stays
// in the header's warning until a device message (or the device list) shows
// that device again.
//
// # Calls an earlier run reported
//
// The provider is a providers.Rechecker (recheck.go). GWS's list of the
// agent's calls, read before Run reports live, holds every call the agent
// has: a call an earlier run reported that this run has not heard of by
// then has ended, and is reported so without asking GWS again. A Recheck
// that comes before the list is in waits for it.
//
// # Plain http
//
// http:// to a host that is not loopback is refused (the Basic credentials
// would travel in clear text) unless --genesys-insecure-http is given; the
// header then warns for as long as Run goes.
//
// # Files
//
// As in every provider: config.go reads the flags and secrets, provider.go is
// the Provider and its actions, mapping.go turns a GWS call into the
// contract's Call. wire.go holds GWS's message types, rest.go, api.go and
// controls.go the REST client and its operations, agent.go the agent's state, feed.go and cometd.go the notification
// session, session.go the running view of calls and devices, confirm.go and
// status.go what an operation's reply means, recheck.go the calls of an
// earlier run.
package genesys
