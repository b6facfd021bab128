package bayeux

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// advice is the server's latest word on how to reconnect, within the
// limits the client accepts: a broken or hostile server must not be able to
// make the client wait so long that a dead link looks live.
type advice struct {
	reconnect   string        // retry, handshake or none
	interval    time.Duration // wait at least this between connects; negative: never reconnect
	timeout     time.Duration // how long the server holds a connect
	timeoutSet  bool          // whether the server has said how long
	maxInterval time.Duration // how long the server keeps a silent session; 0 if not told

	limits adviceLimits
	log    *slog.Logger
	// What the server advised beyond the limits, in its own milliseconds,
	// as last logged; 0 while its advice is within them. A warning is
	// logged when this changes, not on every reply repeating it.
	overInterval, overTimeout float64
	invalid                   string // the fields of the last advice that had the wrong type
}

// adviceLimits are the most of the server's advice the client obeys.
type adviceLimits struct {
	interval time.Duration // Config.MaxBackoff: no wait longer than the back-off's
	timeout  time.Duration // Config.MaxConnectTimeout
}

// newAdvice is the advice before the server has said anything.
func newAdvice(cfg Config, log *slog.Logger) advice {
	return advice{
		limits: adviceLimits{interval: cfg.MaxBackoff, timeout: cfg.MaxConnectTimeout},
		log:    log,
	}
}

// merge applies the fields a reply's advice carries; the others keep their
// last value (the latest advice supersedes, field by field). Interval and
// timeout are capped at the limits. An advice with multiple-clients set is
// about this one reply (the server degrades one of several sessions sharing
// a browser cookie to plain polling): its interval is returned as a one-off
// wait instead of being kept, so it does not linger once the other session
// has gone.
func (a *advice) merge(w *wireAdvice) (oneOffInterval time.Duration, hasOneOff bool) {
	if w == nil {
		return 0, false
	}
	if bad := strings.Join(w.invalid, ", "); bad != a.invalid {
		a.invalid = bad
		if bad != "" {
			a.log.Warn("ignored advice fields of the wrong type", "fields", bad)
		}
	}
	switch w.Reconnect {
	case reconnectRetry, reconnectHandshake, reconnectNone:
		a.reconnect = w.Reconnect
	}
	if w.Timeout != nil && *w.Timeout >= 0 {
		a.timeout = a.capped("timeout", *w.Timeout, a.limits.timeout, &a.overTimeout)
		a.timeoutSet = true
	}
	if w.MaxInterval != nil && *w.MaxInterval >= 0 {
		a.maxInterval = millis(*w.MaxInterval)
	}
	if w.Interval != nil {
		if w.MultipleClients {
			return min(millis(*w.Interval), a.limits.interval), true
		}
		if *w.Interval < 0 {
			a.interval = millis(*w.Interval) // never reconnect: decide stops
		} else {
			a.interval = a.capped("interval", *w.Interval, a.limits.interval, &a.overInterval)
		}
	}
	return 0, false
}

// capped is an advised number of milliseconds as a duration of at most
// limit. Going over the limit is logged when the advised value changes.
func (a *advice) capped(field string, ms float64, limit time.Duration, over *float64) time.Duration {
	d := millis(ms)
	if d <= limit {
		*over = 0
		return d
	}
	if *over != ms {
		*over = ms
		a.log.Warn("the server advises a longer "+field+" than the client accepts; capped",
			"advised_ms", ms, "used", limit)
	}
	return limit
}

// hold is how long the server is expected to hold a connect: its advice
// (capped), or assumedHold until it has said, never more than the limit.
func (a *advice) hold() time.Duration {
	if a.timeoutSet {
		return a.timeout
	}
	return min(assumedHold, a.limits.timeout)
}

// ask is the timeout to ask for in a connect when the server's own hold is
// (or may be) longer than the client accepts. Both CometD and faye hold a
// connect as long as its advice asks; a server that ignores it is
// detected by the connect's deadline.
func (a *advice) ask() (time.Duration, bool) {
	if a.overTimeout != 0 || (!a.timeoutSet && assumedHold > a.limits.timeout) {
		return a.hold(), true
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
// back to nothing after a success. Each wait is jittered: "equal jitter",
// half the step kept and the other half drawn at random, so that a crowd of
// clients that lost their server together (a GWS restart) comes back spread
// over half a step, while none of them comes back sooner than half of it.
type backoff struct {
	step, max, cur time.Duration
	// randN draws uniformly from [0, n); the tests give their own.
	randN func(n int64) int64
}

// newBackoff is the back-off the config asks for, drawing its jitter from
// math/rand/v2 (safe for concurrent use; its seed differs per process).
func newBackoff(cfg Config) *backoff {
	return &backoff{step: cfg.BackoffIncrement, max: cfg.MaxBackoff, randN: rand.Int64N}
}

// next records a failure and returns the wait before the next attempt:
// between cur-cur/2 and cur, where cur is the un-jittered step.
func (b *backoff) next() time.Duration {
	b.cur = min(b.cur+b.step, b.max)
	half := b.cur / 2
	return b.cur - half + time.Duration(b.randN(int64(half)+1))
}

// reset records a success.
func (b *backoff) reset() { b.cur = 0 }
