package bayeux

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// advice is the server's latest word on how to reconnect.
type advice struct {
	reconnect   string        // retry, handshake or none
	interval    time.Duration // wait at least this between connects; negative: never reconnect
	timeout     time.Duration // how long the server holds a connect
	timeoutSet  bool          // whether the server has said how long
	maxInterval time.Duration // how long the server keeps a silent session; 0 if not told
}

// merge applies the fields a reply's advice carries; the others keep their
// last value (the latest advice supersedes, field by field). An advice with
// multiple-clients set is about this one reply (the server degrades one of
// several sessions sharing a browser cookie to plain polling): its interval
// is returned as a one-off wait instead of being kept, so it does not linger
// once the other session has gone.
func (a *advice) merge(w *wireAdvice) (oneOffInterval time.Duration, hasOneOff bool) {
	if w == nil {
		return 0, false
	}
	switch w.Reconnect {
	case reconnectRetry, reconnectHandshake, reconnectNone:
		a.reconnect = w.Reconnect
	}
	if w.Timeout != nil && *w.Timeout >= 0 {
		a.timeout = millis(*w.Timeout)
		a.timeoutSet = true
	}
	if w.MaxInterval != nil && *w.MaxInterval >= 0 {
		a.maxInterval = millis(*w.MaxInterval)
	}
	if w.Interval != nil {
		if w.MultipleClients {
			return millis(*w.Interval), true
		}
		a.interval = millis(*w.Interval)
	}
	return 0, false
}

// action is what the client does after a reply.
type action int

const (
	actContinue  action = iota // all is well: carry on
	actRetry                   // send the same request again, same session, after a wait
	actHandshake               // the session is gone: handshake anew
	actStop                    // the server said never to reconnect
)

func (a action) String() string {
	switch a {
	case actContinue:
		return "continue"
	case actRetry:
		return "retry"
	case actHandshake:
		return "handshake"
	case actStop:
		return "stop"
	}
	return "action(" + strconv.Itoa(int(a)) + ")"
}

// decide says what follows a /meta/connect or /meta/handshake reply, from
// the reply alone (its own advice wins over anything said before):
//   - advice reconnect "none", or a negative interval: stop;
//   - for a connect: the session unknown (402::…, faye's 401:…:Unknown
//     client) or advice "handshake": handshake again;
//   - any other failure: retry (a failed handshake is retried too, with
//     back-off, unless told none);
//   - success: continue.
func decide(reply *message) action {
	w := reply.Advice
	if w != nil && (w.Reconnect == reconnectNone || (w.Interval != nil && *w.Interval < 0)) {
		return actStop
	}
	if reply.ok() {
		return actContinue
	}
	if reply.Channel == chHandshake {
		return actRetry
	}
	if unknownSession(reply.Error) || (w != nil && w.Reconnect == reconnectHandshake) {
		return actHandshake
	}
	return actRetry
}

// unknownSession says whether a Bayeux error means the server does not know
// the client id: any 402 with empty arguments (CometD: 402::session_unknown,
// 402::Unknown client) or faye's 401:<id>:Unknown client. faye uses 402 with
// arguments for a missing parameter, which is not this.
func unknownSession(errText string) bool {
	e := parseError(errText)
	switch e.Code {
	case 402:
		return len(e.Args) == 0
	case 401:
		return strings.Contains(strings.ToLower(e.Message), "unknown client")
	}
	return false
}

// bayeuxError is an error string taken apart: code:args:message, where args
// are comma separated.
type bayeuxError struct {
	Code    int // 0 when the string does not follow the format
	Args    []string
	Message string
}

func parseError(s string) bayeuxError {
	code, rest, ok := strings.Cut(s, ":")
	n, err := strconv.Atoi(code)
	if !ok || err != nil || len(code) != 3 {
		return bayeuxError{Message: s}
	}
	args, msg, ok := strings.Cut(rest, ":")
	if !ok {
		return bayeuxError{Code: n, Message: rest}
	}
	e := bayeuxError{Code: n, Message: msg}
	if args != "" {
		e.Args = strings.Split(args, ",")
	}
	return e
}

// ServerError is a failure the server reported in a reply.
type ServerError struct {
	Channel string // the meta channel (or publish channel) of the reply
	Text    string // the server's error string, e.g. "403::subscription_denied"; may be empty
	Target  string // what was refused: the subscription or publish channel, if any
}

func (e *ServerError) Error() string {
	what := e.Channel
	if e.Target != "" {
		what += " " + e.Target
	}
	if e.Text == "" {
		return fmt.Sprintf("%s refused by the server (no reason given)", what)
	}
	return fmt.Sprintf("%s refused by the server: %s", what, e.Text)
}

// replyError turns an unsuccessful reply into an error.
func replyError(reply *message, target string) error {
	return &ServerError{Channel: reply.Channel, Text: reply.Error, Target: target}
}

// backoff is the growing wait between failed attempts that got no advice
// to wait otherwise: one step more after each failure, up to a ceiling,
// back to nothing after a success.
type backoff struct {
	step, max, cur time.Duration
}

// next records a failure and returns the wait before the next attempt.
func (b *backoff) next() time.Duration {
	b.cur += b.step
	if b.cur > b.max {
		b.cur = b.max
	}
	return b.cur
}

// reset records a success.
func (b *backoff) reset() { b.cur = 0 }
