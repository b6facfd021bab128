// Package stats keeps a supervisor's figures per queue: what is happening
// now (calls waiting, talking, held, the longest wait) and what happened over
// a sliding window (calls offered, answered, abandoned, the service level,
// the average speed of answer and handling time), updated as call snapshots
// arrive. The console's Queues view and the `--json --stats` line read them.
//
// A Counter is fed every call snapshot a provider sends (Apply) and asked
// for the figures at a time (Snapshot). Apply is a hash-table lookup and a few
// additions; Snapshot costs a pass over the window's minutes of each queue,
// whatever the number of calls. A store that keeps a Handle per call
// (ApplyAt, and ApplyAll for a batch, as the console does) spares the
// lookup. A Counter is not safe for concurrent use: call Apply and Snapshot
// from one goroutine (Snapshot also moves calls across the service-level
// threshold as time passes).
//
// # Definitions
//
// Queue of a call: Call.Queue, or "direct" (Direct) when it has none. Only
// incoming calls count; calls of any other direction are left out of every
// figure.
//
// The window is made of one-minute buckets: the minute that holds the
// snapshot's time and the minutes before it, Window/1min in all. Each call is
// counted in the bucket of the minute it arrived (Call.Arrived), and its
// outcome updates that same bucket when it becomes known, as long as that
// minute is still in the window; buckets older than the window drop off. A
// call that arrived before Config.Since (the console saw it already under
// way) is in none of the window's figures, nor is one whose arrival is not
// known; both still count in the figures of now.
//
// Window figures, over the calls that arrived in the window:
//
//   - Offered: every such call, whatever became of it.
//   - Answered: those with Call.Answered set, whatever came after (a hang-up,
//     a transfer), and those another agent answered first (Result()
//     elsewhere: the caller was served, though not from here; answered when
//     the call ended here). Speed of answer = Answered (or that end) −
//     Arrived (0 if negative). WithinSL: answered with a speed of answer at
//     most Threshold.
//   - ASA: the mean speed of answer of the answered calls. AHT: the mean of
//     Ended − Answered (talk and hold) over the answered calls that have
//     ended, leaving out the calls answered elsewhere, whose talk is not
//     seen here.
//   - Abandoned: ended without being answered, Result() missed (the caller
//     gave up, it rang out). ShortAbandoned: abandoned
//     within Grace of its arrival (Ended − Arrived <= Grace: a misdial);
//     counted in Abandoned, left out of the service level.
//   - Rejected: Result() rejected and never answered (an agent turned it
//     down): a miss for the service level.
//   - Transferred: Result() transferred. A call answered and then
//     transferred is also Answered, and its speed counts. A call redirected
//     while it rang (never answered) is neither answered nor abandoned and is
//     left out of the service level: routing sent it to a person, it is not
//     this queue's miss.
//   - SLCounted, the service level's denominator: answered + rejected +
//     abandoned (not short) + the calls still ringing, never answered, that
//     have already waited longer than Threshold at the snapshot's time (they
//     can no longer be answered within it: a miss now, and still a miss if
//     answered later). A call still ringing under the threshold is offered
//     but not yet in the service level.
//   - SL = WithinSL ÷ SLCounted; HasSL is false (shown "—") when SLCounted
//     is 0. HasASA and HasAHT are false when no call is there to average.
//   - Arrivals: calls offered per minute, oldest minute first.
//
// Figures of now, over every incoming call, whenever it arrived: Waiting is
// the calls ringing; LongestWait = now − the earliest arrival among them
// (calls with no known arrival count in Waiting but not here); Talking is the
// calls connecting or active; Held the calls on hold.
//
// Alarms: SLBelowTarget when HasSL and SL < Target; WaitBeyondThreshold
// when LongestWait > Threshold.
//
// Total is the sum over the queues: LongestWait is the longest of theirs,
// and SL, ASA and AHT are computed from the summed parts, not averaged.
// Snapshot.Queues lists, by name, every queue with a call now or in the
// window.
//
// # Snapshots, versions and memory
//
// Snapshots of a call arrive many times, duplicated or out of order:
// Call.Version decides, as in the console's store. A snapshot whose version
// is not above the last one applied for its call is ignored, and a call is
// counted once, by its latest snapshot. Per call the Counter keeps only what
// its figures need: 96 bytes (a record of 64 that its snapshots read, a
// link of 32 for its places in heaps and lists), and not its id (see
// index.go).
//
// Memory is bounded. An ended call is forgotten a window's length after it
// ended: its figures stay where they were counted (by then its minute has
// left the window), and what is forgotten is only that it was seen, which a
// late duplicate of one of its snapshots, or a provider reading its calls
// afresh, needs so as not to count it again. At most Config.MaxCalls calls
// are remembered. Past that, the call that ended first is forgotten early,
// its figures kept; when every call remembered is live, the one remembered
// longest is forgotten and leaves every figure, now and window alike (it
// would otherwise stay waiting or talking for ever; a later snapshot of it
// counts it afresh, once). Snapshot.Forgotten says how many calls were
// forgotten early. At most MaxQueues queue names are kept, each cut to 128
// characters; the calls of any further queue count under Overflow.
package stats
