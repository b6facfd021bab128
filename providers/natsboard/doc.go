// Package natsboard is the console's provider for a board a relay
// publishes on NATS JetStream (--provider nats): the calls of a graph,
// genesys or demo provider run headless elsewhere, watched and acted on
// with no provider credentials at all. See package wire for how a board
// lies in NATS.
//
// # Joining
//
// Join, called before the console is built, connects, binds each board's
// bucket, reads its record (what it offers, its reject reasons, whether
// the agent has a state) and probes whether this NATS user may send
// actions: it publishes to wire.ProbeSubject, which nobody serves, and
// NATS's permission check answers through the connection's last error. A
// user that may not is read-only on that board: its calls carry no
// capabilities, the status carries a warning, and an action is refused at
// once in words. Join fails with words for each way it can: no NATS
// server, credentials refused, no such board, a user that may not read it.
//
// # Watching
//
// Run follows each board with a key-value watcher on calls.*, status and
// relay. Every call is the relay's --json call object (jsonstream); its
// Version becomes the entry's revision, which grows across relay restarts
// where a restarted provider counts from 1 again. A value that is too big,
// not a call, or a call under another key's id is refused with a log line
// and changes nothing. The live calls of a board are bounded by --max-calls
// as a provider's ledger bounds them: beyond it, a new call ends the call
// silent longest, connected calls first, with words that say so.
//
// The status is the relay's own while its lease (the relay key) is held.
// Once the lease is deleted (a clean stop), expires (a purge marker) or is
// absent, the board is "relay offline since HH:MM:SS · showing the board as
// it was" (reconnecting), and the calls stay as they were; when a relay
// holds the lease again its status and calls follow without a restart.
//
// A watcher that goes quiet is not trusted: the relay renews its lease
// every wire.RenewEvery, so a watch that has seen nothing for three of
// those while connected is re-created from the revision after the last one
// taken (no gap). After NATS reconnects, each board is watched again from
// scratch, and when its values are all in, every call still live here that
// the board no longer holds ends (no ghost).
//
// # Several boards
//
// With more than one --board, call ids become "<board>.<id>" (a board name
// has no '.', so the board is what comes before the first one) and
// Call.Provider is the board, which the console shows in a column of its
// own. Offers and reject reasons are the union over the boards; the status
// is the worst link of them, each board's words after its name. Agent
// state is offered only with a single board whose relay has one.
//
// # Actions
//
// An action is a NATS request to wire.ActionSubject with the caller's
// deadline in wire.DeadlineHeader. An error reply becomes wire.ErrorFrom:
// the relay's words, matching the contract's errors (ErrEnded, ErrNotFound,
// ErrNotAllowed, *RefusedError). No responders is "board X has no relay
// running; nothing was sent" (ErrNoRelay); a permission violation on the
// subject ends the wait at once as ErrReadOnly instead of running out the
// timeout.
//
// Files, as in every provider: config.go (flags), provider.go (the
// Provider, Join, Run), mapping.go (a board's entries to calls, the lease
// and the status: the wire to the contract). Besides: board.go (a board's
// live calls, bounded), watch.go (the watchers, the watchdog, the
// re-watch), status.go (the merged status), actions.go (the requests and
// their errors).
package natsboard
