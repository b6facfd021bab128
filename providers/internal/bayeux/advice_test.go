package bayeux

import (
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

// TestAdviceMerge: the latest advice wins field by field; a
// multiple-clients interval is a one-off.
func TestAdviceMerge(t *testing.T) {
	var a advice
	if _, one := a.merge(nil); one || a != (advice{}) {
		t.Fatalf("nil advice changed %+v", a)
	}
	a.merge(&wireAdvice{Reconnect: "retry", Interval: num(0), Timeout: num(30000), MaxInterval: num(10000)})
	want := advice{reconnect: "retry", timeout: 30 * time.Second, timeoutSet: true, maxInterval: 10 * time.Second}
	if a != want {
		t.Fatalf("after handshake advice %+v, want %+v", a, want)
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
	a.merge(&wireAdvice{Timeout: num(1e30)})
	if a.timeout != 24*time.Hour {
		t.Fatalf("huge timeout became %v", a.timeout)
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

// TestBackoff: one step more per failure, capped, back to nothing on
// success.
func TestBackoff(t *testing.T) {
	b := backoff{step: time.Second, max: 3 * time.Second}
	var got []time.Duration
	for range 5 {
		got = append(got, b.next())
	}
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits %v, want %v", got, want)
		}
	}
	b.reset()
	if b.next() != time.Second {
		t.Fatal("reset did not start over")
	}
	d := backoff{step: DefaultBackoffIncrement, max: DefaultMaxBackoff}
	for range 100 {
		d.next()
	}
	if d.cur != 60*time.Second {
		t.Fatalf("default back-off tops at %v, want 60s", d.cur)
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
