// Package relay runs one provider headless and publishes its board to NATS
// JetStream, so that consoles with no provider credentials can watch the
// calls and act on them (package wire says what lies where).
//
// A relay owns its board through a lease (the "relay" key, renewed every
// wire.RenewEvery, gone wire.LeaseTTL after the relay stops renewing it):
// a second relay on the same board is refused and names the first. While it
// holds the lease it
//
//   - writes every call the provider reports to calls.<id> (live calls
//     never expire; ended ones expire after Config.History, and at most
//     Config.HistoryMax of them are kept, the oldest purged first), and the
//     provider's status to "status";
//   - ends, once the provider is live, the calls an earlier run left live
//     that the provider does not report: a provider that can look calls up
//     (Recheck) is asked, else each is written ended "while the relay was
//     away";
//   - serves actions as a NATS micro service on ringside.<board>.act.*,
//     each request in its own goroutine, a bounded number at once, within
//     the console's deadline and Config.ActionTimeout.
//
// Losing the lease (another writer took the key) stops the actions at once
// and ends Run with ErrLeaseLost. A clean stop stops the actions, lets the
// provider stop, writes what it still had, and deletes the lease so a
// console shows the relay offline at once and another relay may start.
//
// Files: relay.go (Config, Run: the order of things), bucket.go (the
// bucket, reading what an earlier run left, the board record), lease.go
// (taking, renewing, releasing the lease), publish.go (events to KV writes,
// in order per key, asynchronous, retried), reconcile.go (the calls an
// earlier run left), serve.go (the actions).
package relay
