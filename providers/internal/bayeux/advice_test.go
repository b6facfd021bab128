package bayeux

import (
	"bytes"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
)

func num(v float64) *float64 { return &v }
func yes() *bool             { t := true; return &t }
func no() *bool              { f := false; return &f }

// TestDecide: what follows a handshake or connect reply, from the reply
// alone; the replies are the ones both real servers send.
func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply message
		want  action
	}{
		{"connect ok", message{Channel: chConnect, Successful: yes()}, actContinue},
		{"connect ok with retry advice", message{Channel: chConnect, Successful: yes(), Advice: &wireAdvice{Reconnect: "retry", Interval: num(0), Timeout: num(30000)}}, actContinue},
		{"multiple clients still polls", message{Channel: chConnect, Successful: yes(), Advice: &wireAdvice{Reconnect: "retry", Interval: num(2000), MultipleClients: true}}, actContinue},
		{"cometd unknown session", message{Channel: chConnect, Successful: no(), Error: "402::session_unknown", Advice: &wireAdvice{Reconnect: "handshake", Interval: num(0)}}, actHandshake},
		{"cometd 2 unknown client, no advice", message{Channel: chConnect, Successful: no(), Error: "402::Unknown client"}, actHandshake},
		{"faye unknown client", message{Channel: chConnect, Successful: no(), Error: "401:abc:Unknown client", Advice: &wireAdvice{Reconnect: "handshake"}}, actHandshake},
		{"faye unknown client without advice", message{Channel: chConnect, Successful: no(), Error: "401:abc:Unknown client"}, actHandshake},
		{"faye missing parameter is not unknown session", message{Channel: chConnect, Successful: no(), Error: "402:clientId:Missing required parameter"}, actRetry},
		{"advice handshake on any error", message{Channel: chConnect, Successful: no(), Error: "500::oops", Advice: &wireAdvice{Reconnect: "handshake"}}, actHandshake},
		{"failure without advice retries", message{Channel: chConnect, Successful: no(), Error: "500::oops"}, actRetry},
		{"failure with retry advice", message{Channel: chConnect, Successful: no(), Advice: &wireAdvice{Reconnect: "retry", Interval: num(500)}}, actRetry},
		{"no successful field is a failure", message{Channel: chConnect}, actRetry},
		{"reconnect none stops", message{Channel: chConnect, Successful: no(), Error: "403::go_away", Advice: &wireAdvice{Reconnect: "none"}}, actStop},
		{"cometd multiple clients refused", message{Channel: chConnect, Successful: no(), Advice: &wireAdvice{Reconnect: "none", MultipleClients: true}}, actStop},
		{"none wins even on success", message{Channel: chConnect, Successful: yes(), Advice: &wireAdvice{Reconnect: "none"}}, actStop},
		{"negative interval stops", message{Channel: chConnect, Successful: no(), Advice: &wireAdvice{Interval: num(-1)}}, actStop},
		{"none beats unknown session", message{Channel: chConnect, Successful: no(), Error: "402::session_unknown", Advice: &wireAdvice{Reconnect: "none"}}, actStop},
		{"handshake ok", message{Channel: chHandshake, Successful: yes(), ClientID: "c"}, actContinue},
		{"handshake denied", message{Channel: chHandshake, Successful: no(), Error: "403::handshake_denied", Advice: &wireAdvice{Reconnect: "none"}}, actStop},
		{"handshake failed, try again", message{Channel: chHandshake, Successful: no(), Error: "500::busy", Advice: &wireAdvice{Reconnect: "handshake"}}, actRetry},
		{"handshake unknown client means nothing", message{Channel: chHandshake, Successful: no(), Error: "402::session_unknown"}, actRetry},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(&tc.reply); got != tc.want {
				t.Errorf("decide = %s, want %s", got, tc.want)
			}
		})
	}
}

// testAdvice is advice within the default limits, logging to log.
func testAdvice(log *slog.Logger) advice {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return newAdvice(Config{MaxBackoff: DefaultMaxBackoff, MaxConnectTimeout: DefaultMaxConnectTimeout}, log)
}

// TestAdviceMerge: the latest advice wins field by field; a
// multiple-clients interval is a one-off.
func TestAdviceMerge(t *testing.T) {
	a := testAdvice(nil)
	before := a
	if _, one := a.merge(nil); one || a != before {
		t.Fatalf("nil advice changed %+v", a)
	}
	a.merge(&wireAdvice{Reconnect: "retry", Interval: num(0), Timeout: num(30000), MaxInterval: num(10000)})
	if a.reconnect != "retry" || a.interval != 0 || a.timeout != 30*time.Second || !a.timeoutSet || a.maxInterval != 10*time.Second {
		t.Fatalf("after handshake advice %+v", a)
	}
	a.merge(&wireAdvice{Interval: num(250)})
	if a.interval != 250*time.Millisecond || a.timeout != 30*time.Second || a.reconnect != "retry" {
		t.Fatalf("partial advice gave %+v", a)
	}
	a.merge(&wireAdvice{Reconnect: "bogus", Timeout: num(-5)})
	if a.reconnect != "retry" || a.timeout != 30*time.Second {
		t.Fatalf("invalid values were kept: %+v", a)
	}
	d, one := a.merge(&wireAdvice{Reconnect: "retry", Interval: num(2000), MultipleClients: true})
	if !one || d != 2*time.Second || a.interval != 250*time.Millisecond {
		t.Fatalf("multiple-clients: one-off %v %v, kept interval %v", d, one, a.interval)
	}
	if _, ask := a.ask(); ask {
		t.Fatal("a timeout within the limit is asked for")
	}
}

// TestAdviceCapped: no advised number, however large, makes the client
// wait longer than its limits: the interval is capped at the back-off
// ceiling, the timeout at MaxConnectTimeout (and then asked for in each
// connect); each new excess is logged once.
func TestAdviceCapped(t *testing.T) {
	var logged bytes.Buffer
	a := testAdvice(slog.New(slog.NewTextHandler(&logged, nil)))
	warnings := func() int { return strings.Count(logged.String(), "level=WARN") }
	day := float64(24 * time.Hour / time.Millisecond)
	for range 3 { // the same advice on every reply: one warning each
		a.merge(&wireAdvice{Interval: num(day), Timeout: num(day)})
	}
	if a.interval != DefaultMaxBackoff || a.timeout != DefaultMaxConnectTimeout || a.hold() != DefaultMaxConnectTimeout {
		t.Fatalf("a day's advice gave interval %v, timeout %v, hold %v", a.interval, a.timeout, a.hold())
	}
	if n := warnings(); n != 2 || !strings.Contains(logged.String(), "capped") || !strings.Contains(logged.String(), "advised_ms=8.64e+07") {
		t.Fatalf("%d warnings, want one for the interval and one for the timeout:\n%s", n, logged.String())
	}
	if ask, ok := a.ask(); !ok || ask != DefaultMaxConnectTimeout {
		t.Fatalf("asks for %v (%v), want the limit", ask, ok)
	}
	a.merge(&wireAdvice{Interval: num(1e300), Timeout: num(math.Inf(1))})
	if a.interval != DefaultMaxBackoff || a.timeout != DefaultMaxConnectTimeout || warnings() != 4 {
		t.Fatalf("a new excess gave interval %v, timeout %v, %d warnings", a.interval, a.timeout, warnings())
	}
	a.merge(&wireAdvice{Interval: num(1000), Timeout: num(30000)})
	if a.interval != time.Second || a.timeout != 30*time.Second {
		t.Fatalf("advice within the limits gave interval %v, timeout %v", a.interval, a.timeout)
	}
	if _, ok := a.ask(); ok {
		t.Fatal("still asks for a timeout once the server's is within the limit")
	}
	a.merge(&wireAdvice{Interval: num(day)})
	if warnings() != 5 {
		t.Fatalf("going over again after coming back is not logged: %d warnings", warnings())
	}
	if d, _ := a.merge(&wireAdvice{Interval: num(day), MultipleClients: true}); d != DefaultMaxBackoff {
		t.Fatalf("multiple-clients one-off wait %v, want capped at %v", d, DefaultMaxBackoff)
	}
	a.merge(&wireAdvice{Interval: num(-1)})
	if a.interval >= 0 {
		t.Fatalf("a negative interval (never reconnect) became %v", a.interval)
	}
	// Before the server says, the assumed hold is within a short limit too.
	short := newAdvice(Config{MaxBackoff: time.Second, MaxConnectTimeout: 2 * time.Second}, slog.New(slog.DiscardHandler))
	if ask, ok := short.ask(); short.hold() != 2*time.Second || !ok || ask != 2*time.Second {
		t.Fatalf("unadvised hold %v, asks %v %v; want the 2s limit", short.hold(), ask, ok)
	}
}

func TestParseError(t *testing.T) {
	for _, tc := range []struct {
		in   string
		code int
		args string
		msg  string
	}{
		{"402::session_unknown", 402, "", "session_unknown"},
		{"401:abc:Unknown client", 401, "abc", "Unknown client"},
		{"403:/a,/b:Subscription denied", 403, "/a|/b", "Subscription denied"},
		{"402:clientId:Missing required parameter", 402, "clientId", "Missing required parameter"},
		{"boom", 0, "", "boom"},
		{"40x::x", 0, "", "40x::x"},
		{"1234::x", 0, "", "1234::x"},
		{"500:only", 500, "", "only"},
		{"", 0, "", ""},
	} {
		e := parseError(tc.in)
		if e.Code != tc.code || strings.Join(e.Args, "|") != tc.args || e.Message != tc.msg {
			t.Errorf("parseError(%q) = %+v", tc.in, e)
		}
	}
	for in, want := range map[string]bool{
		"402::session_unknown": true, "402::Unknown client": true, "401:x:Unknown client": true, "401:x:unknown CLIENT": true,
		"402:clientId:Missing required parameter": false, "401::No client ID": false, "403::denied": false, "": false,
	} {
		if unknownSession(in) != want {
			t.Errorf("unknownSession(%q) = %v", in, !want)
		}
	}
}

// fixedDraw is a random source that always draws the same end of the
// range: 0 for the lowest wait, n-1 for the highest.
func fixedDraw(highest bool) func(int64) int64 {
	return func(n int64) int64 {
		if highest {
			return n - 1
		}
		return 0
	}
}

// TestBackoff: one step more per failure, capped, back to nothing on
// success; each wait lies between half its step and the whole step
// ("equal jitter"), both ends reachable.
func TestBackoff(t *testing.T) {
	steps := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second}
	for _, highest := range []bool{false, true} {
		b := backoff{step: time.Second, max: 3 * time.Second, randN: fixedDraw(highest)}
		for i, step := range steps {
			want := step - step/2
			if highest {
				want = step
			}
			if got := b.next(); got != want {
				t.Fatalf("highest draw %v: wait %d is %v, want %v", highest, i+1, got, want)
			}
		}
		b.reset()
		if got := b.next(); got > time.Second || got < time.Second/2 {
			t.Fatalf("after reset the wait is %v, want the first step's", got)
		}
	}
	b := newBackoff(Config{BackoffIncrement: DefaultBackoffIncrement, MaxBackoff: DefaultMaxBackoff})
	for i := range 100 {
		step := min(time.Duration(i+1)*DefaultBackoffIncrement, DefaultMaxBackoff)
		if got := b.next(); got < step/2 || got > step {
			t.Fatalf("wait %d is %v, want between %v and %v", i+1, got, step/2, step)
		}
	}
	if b.cur != 60*time.Second {
		t.Fatalf("default back-off tops at %v, want 60s", b.cur)
	}
}

// TestBackoffSpreads: clients failing together (a hundred consoles whose
// GWS restarted) do not come back together: their waits at the same step
// differ.
func TestBackoffSpreads(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 100 {
		b := newBackoff(Config{BackoffIncrement: time.Second, MaxBackoff: time.Minute})
		seen[b.next()] = true
	}
	// 100 draws from half a billion nanoseconds: all distinct, in practice.
	if len(seen) < 90 {
		t.Fatalf("100 clients' first waits take only %d values", len(seen))
	}
}

func TestServerErrorText(t *testing.T) {
	e := replyError(&message{Channel: chSubscribe, Error: "403::denied"}, "/v2/x")
	if e.Error() != "/meta/subscribe /v2/x refused by the server: 403::denied" {
		t.Errorf("got %q", e)
	}
	e = replyError(&message{Channel: chConnect}, "")
	if !strings.Contains(e.Error(), "no reason given") {
		t.Errorf("got %q", e)
	}
}
