// Package replay is a provider that plays a recording made with --record
// (package record): the console, the JSON stream and a relay see the calls
// and statuses the recorded provider sent, in the same order, at the same
// pace or faster, with their times moved to now.
//
// # Time
//
// The recording's start (its header's "started", plus --from) becomes the
// moment the replay starts, and every interval after it is divided by
// --speed: a line recorded 8 s in plays 2 s in at --speed 4, and every time
// in a call (arrived, answer by, answered, ended) and each event's time go
// through the same map, so a 15 s answer window lasts 3.75 s and its
// countdown runs as it did, four times as fast. Lines recorded out of order
// play at once after the one before.
//
// --from starts part of the way in: the lines before it are read without
// being sent, then what they left is sent at once (the last status, the
// ended calls, up to the console's 10,000, and every live call's latest
// snapshot), and time runs from there.
//
// # The end, and --loop
//
// Without --loop, Run sends a status saying the recording ends there and
// returns: calls still live in the recording stay as they were (--json ends
// with exit 0). With --replay-act it keeps going until stopped, for the
// calls it simulates. With --loop each pass starts again at --from; calls
// still live at the end of a pass are ended ("The recording ends here; the
// replay starts again"), and the calls of pass N carry ids ending "_loopN"
// (N from 2), so the console takes them as new calls, not as older versions
// of calls it has seen end. A pass lasts at least a second.
//
// # Read-only, and --replay-act
//
// A replay is read-only: Offers is empty, every action is refused with
// providers.ErrNotAllowed, and the status detail says "replay of FILE ·
// read-only" before the recorded provider's own words (main also makes the
// console read-only). With --replay-act, actions are simulated as the demo
// simulates them: answer → connecting → active, reject → ended with the
// reason's code (603, 486, 403), hang up → ending → ended (200/7000), hold
// and resume, transfer → ended 0/7015 and redirect → ended, both outcome
// transferred. From then on the call is the replay's: the recording's later
// events for it are skipped. Action lines of the recording are not played:
// what they did shows in the calls.
//
// # Files it refuses
//
// New reads the whole file once before anything is shown. A file that is
// not a recording (no header: a --json stream, anything else), a newer
// format, a line that is not JSON, of the wrong types, over 64 KiB, or of a
// type format 1 does not have, anywhere in the file, is refused with its
// line number: a recording is evidence, and a replay that stops half way
// with an error is worth less than one refused at once. A last line cut
// short (the recording was stopped while writing it) is left out, and the
// status carries a warning naming it.
//
// Live calls are bounded by Options.MaxCalls (--max-calls) as a provider's
// ledger bounds them; the calls a pass remembers as ended by the console's
// history limit.
//
// # Files
//
// config.go reads the flags, provider.go is the Provider and its timing,
// mapping.go a pass: the recorded calls as this replay shows them, act.go
// the simulated actions.
package replay
