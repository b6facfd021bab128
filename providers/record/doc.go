// Package record writes and reads recordings: what a provider sent and what
// was asked of it, line by line, as it happened (--record FILE), for
// --provider replay to play again later.
//
// # The format
//
// A recording is JSON lines. The first is a header:
//
//	{"type":"recording","format":1,"provider":"demo","ringside":"v1.2.0 3c68dd2f1a2b",
//	 "started":"2026-11-23T09:00:00.123456789Z","redacted":true}
//
// Then, in the order they happened, "call" and "status" lines exactly as
// --json writes them (jsonstream), and "action" lines, one per action
// taken from this process (the console's keys, a one-shot command, a
// relay's console):
//
//	{"time":"…","type":"action","action":"reject","call":"c1","reason":"busy","result":"ok","took_ms":3}
//	{"time":"…","type":"action","action":"transfer","call":"c1","target":"Sales desk","target_kind":"queue",
//	 "result":"error","error":"transfer c1: …","kind":"not-allowed","took_ms":12}
//	{"time":"…","type":"action","action":"state","state":"not-ready","code":"lunch","result":"ok","took_ms":40}
//
// A line is at most MaxLine bytes. Format is the format's version: a reader
// refuses a newer one, naming both.
//
// # Writing
//
// Wrap decorates a provider: Run passes every event on unchanged after
// handing its line to a Writer, and each action method records its result.
// A Writer never blocks the one who records: lines go through a bounded
// queue to a goroutine that writes them with a buffer flushed once per
// burst, each line whole (so a recording stopped at any moment ends with a
// whole line, or, if the disk filled, with one a reader reports as cut).
// When the disk cannot keep up, lines are dropped and counted, the log
// says so and the console's status carries a warning.
//
// With a Redactor (--record-redact), names, numbers and ids are replaced
// by stable pseudonyms in what is written; see Redactor for what is kept.
//
// # Reading
//
// Reader reads a recording in bounded memory, one line at a time, with
// jsonstream's decoders for call and status lines. Every error names its
// line. A last line cut short (ErrCut) ends the recording with what came
// before it.
package record
