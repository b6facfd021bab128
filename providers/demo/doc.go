// Package demo is ringside's built-in call simulator and its default
// provider: a living console with no account and no server, for demos,
// supervisors' load tests and the console's own end-to-end tests.
//
// # What it simulates
//
// Calls arrive as a Poisson process at Config.Rate per minute (--demo-rate).
// Callers are Teams users, guests from other organisations and PSTN numbers
// from several countries (all from ranges kept for fiction), in the amer,
// emea and apac regions; most calls carry audio, some add video, the odd one
// a screen share (PSTN calls are audio only). About seven calls in ten come
// through a queue (Support, Sales, Billing, IT Helpdesk, Returns, Onboarding);
// the rest are dialled to the agent directly.
//
// A ringing call offers answer, and reject when it came through a queue: as
// on Genesys, a call dialled to the agent directly cannot be turned down, so
// the console's gating is visible. Left alone, a ringing call times out at
// its answer deadline (Options.AnswerWindow after it arrived) with
// EndTimedOut (408/10057); some callers hang up first, and some queue calls
// are taken by another agent; all three count as missed.
//
// Answer moves a call to connecting and, once its media is up (0.4 to 1.5
// s), to active. A connected call talks for a few minutes (log-normal, from
// 12 s to 40 min), is sometimes put on hold and retrieved, and ends with the
// code Graph gives for how it ended: 200/540000 or 560000 when a PSTN caller
// hangs up, 200/4097, 4521 or 18503 when a Teams caller does, now and then a
// keep-alive timeout or a media failure. Reject ends a ringing call at once
// with the reason's code (RejectEnd: 603 none, 486 busy, 403 forbidden) and
// outcome rejected. Hangup moves a connected call to ending and, a fraction
// of a second later, to ended with EndHungUp (200/7000).
//
// # Sending calls on, holding them, and the agent's state
//
// A ringing call offers redirect, a connected one transfer; an active call
// offers hold, a held one resume. Offers is every action. The target is
// checked with providers.Target.Validate; any valid target will do.
//
//   - Redirect: the call stops ringing here 250 to 900 ms later and ends
//     "Redirected to <target>" with no codes (Graph's redirect ends the call
//     with no resultInfo), outcome transferred. While it is on its way the
//     call still rings but offers nothing.
//   - Transfer (blind, from active or held): the call keeps its state but
//     offers only hang-up while the target rings, for 2 to 6 s; then it ends
//     "Transferred to <target>" with 0/7015, as Graph ends a completed
//     transfer, outcome transferred. A person (a user or a phone number)
//     does not answer one time in NoAnswerOdds (8), drawn from the call's
//     own stream: after TransferNoAnswer (10 s) the call is back as it was,
//     and the transfer's error says "no answer from <target> within 10s
//     (500/7700, the transfer failed); the call is still yours, active"
//     (500/7700 is Graph's failed transfer). Queues and applications always
//     answer. Hanging up while the target rings calls the transfer off.
//     While Run is going, Transfer and Redirect return once the outcome is
//     known, or when their context ends (the move goes on); with no Run,
//     once under way.
//   - Hold and Resume act at once. A caller the agent holds waits 45 s to
//     4 min and then hangs up; Resume, whoever put the call on hold, picks
//     the conversation up where it was. The script's own holds go on beside
//     the agent's: one still to come still comes.
//
// The agent has a state (providers.AgentControl), Ready at start: Ready,
// Not Ready without a reason or with one (codes break, lunch, meeting,
// training, in any case), or After call work. Each change is a live status
// whose Agent text the header shows ("Ready", "Not Ready · Lunch", "After
// call work"). Unless the agent is Ready, queues offer their calls to
// colleagues and none rings here; calls dialled directly ring as ever, and
// they are the same calls a ready agent would have had. After call work
// turns back into Ready on its own after AfterCallWork (30 s).
//
// Actions are checked with providers.CheckAction, as in every provider.
// Refused ones return errors that wrap providers.ErrNotFound (no such call),
// providers.ErrEnded (it has already ended; also an ErrNotFound) or
// providers.ErrNotAllowed (the call's state or capabilities forbid it), or
// providers.ErrBadTarget (a transfer or redirect target that is not one),
// with the reason in words.
//
// # Reproducible runs
//
// Everything is drawn from Config.Seed (--demo-seed): the same seed and the
// same clock give the same calls, the same fates and the same events. Each
// call has its own random stream, so what the console does to one call
// never changes another. Seed 0 draws a fresh seed; Provider.Seed and the
// live status detail ("simulated calls, seed N, R/min") show it so a run can
// be repeated. The clock is Options.Now, so a test that controls it controls
// every deadline.
//
// Config.Calls (--demo-calls) starts with that many calls already under
// way at Options.Now(): about a fifth ringing with staggered countdowns, the
// rest connecting, talking or on hold. The first is always a fresh ringing
// queue call that can be rejected, with its whole answer window ahead, and
// its caller waits the window out.
//
// # One ringing call for a test
//
// To make exactly one call ring, deterministically, and nothing else happen:
//
//	p, err := demo.New(demo.Config{Rate: 0, Calls: 1, Seed: 1}, providers.Options{
//		Now:          clock.Now,  // the test's clock
//		AnswerWindow: time.Minute,
//	})
//
// Run then sends a connecting status, the ringing call (AnswerBy =
// clock.Now() at New + AnswerWindow, capabilities answer, reject and
// redirect), and a
// live status. Reject(ctx, id, providers.ReasonBusy) ends it at once; the
// next event is the call ended with the end reason RejectEnd(busy) (486,
// "Rejected from the console: busy") and outcome rejected. With a frozen
// clock the call rings until the clock is moved past AnswerBy; Run notices
// the move within a quarter of a second and ends the call with EndTimedOut,
// Ended exactly AnswerBy. Hangup and the end of media setup wait for the
// clock the same way; Reject and Answer take effect at once.
//
// # Shape
//
// The simulation is a discrete-event scheduler with no clock or goroutine
// of its own: it plays every event due by the time it is handed, and
// actions apply at the time they are made. Provider wraps it in a lock;
// Run sleeps on a timer until the next event or an action, and not at all
// when nothing is scheduled. With a clock of the caller's own
// (Options.Now set), which no timer follows, it also wakes every quarter
// of a second to re-read it. Run sends the calls under way a chunk at a
// time, each chunk read from the ledger as it is then.
//
// Memory: a call costs the simulation 128 bytes of its own (simCall), the
// text of its id in a chunk shared with other ids, and its ledger entry,
// which holds the call packed (providers/compact).
//
// Calls still ringing or talking after a long pause (a laptop asleep) play
// out at once when the clock is read again; new calls that would have
// arrived more than a minute before are skipped, not replayed in a burst.
//
// A simulation knows no call of an earlier run: as a providers.Rechecker
// (recheck.go) it ends every call an earlier run reported that it does not
// know. (With the same --demo-seed it knows the calls it starts with: they
// are the same calls again.)
//
// # Files
//
// As in every provider: config.go reads the flags, provider.go is the
// Provider, mapping.go is what a simulated call is and how it becomes the
// contract's Call. sim.go is the scheduler and the actions, controls.go the
// console's redirect, transfer, hold and resume, agent.go the agent's state,
// cast.go the callers and queues, reasons.go the end reasons with their
// codes, recheck.go the calls of an earlier run.
package demo
