// Package graph is the Microsoft Graph provider: the calls of a Teams
// calling bot, live. Microsoft posts call notifications to a webhook this
// package serves (checking the token on each), and the console's actions go
// back through the Graph calls API with an app-only token.
//
// The webhook replies as soon as a body is authenticated and decoded; the
// notifications are then applied in arrival order by one worker goroutine,
// through a ledger.Ledger so that duplicates, reordering and late updates
// never move a call backwards or bring an ended call back.
//
// Answer, Reject, Hangup, Redirect and Transfer work whether or not Run is
// going: the one-shot commands construct the provider and call one of them.
// Graph has no hold for a bot's call, so Hold and Resume are refused in
// words. What the console asked of a call (a reject, a redirect, a
// transfer) is remembered from the moment it is sent until the call ends,
// because Graph's end of the call does not say who asked for it (asked.go).
//
// It is a providers.Rechecker (recheck.go): the calls an earlier run
// reported live are read back from Graph as silent calls are (stale.go),
// and filed by the worker as if a notification had brought them, or ended
// when Graph no longer knows them.
//
// Files, as in every provider: config.go reads the flags and secrets,
// provider.go is the Provider (Run, its worker and status), mapping.go turns
// a notification into the contract's Call; actions.go sends answer, reject,
// hang-up, redirect and transfer. The rest is one concern a file (asked,
// webhook, endreason, ringwatch, stale, recheck, names, legacy, ids). The wire types live in notification, the REST
// client in callapi, the token check in webhookauth.
package graph
