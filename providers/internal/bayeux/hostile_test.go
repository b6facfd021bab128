package bayeux

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers/internal/bayeuxtest"
)

// logBuffer collects a client's log for a test to read while the client
// writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count is how many lines contain s.
func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for line := range strings.Lines(b.buf.String()) {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// day is the interval and timeout a hostile server advises.
const day = 24 * time.Hour

// shortLimits are small limits, so that the tests wait seconds, not the
// minutes of the defaults: a second's hold, a second's grace, a back-off
// (and interval) ceiling of a second.
func shortLimits(tr Transport) Config {
	return Config{
		Transport:         tr,
		MaxConnectTimeout: time.Second,
		MaxNetworkDelay:   time.Second,
		BackoffIncrement:  200 * time.Millisecond,
		MaxBackoff:        time.Second,
	}
}

// noReconnect fails the test if the client reported a lost connection.
func (w *watcher) noReconnect() {
	w.t.Helper()
	for _, ev := range w.seen {
		if isReconnecting(ev) {
			w.t.Fatalf("the client lost its connection: %s; events so far: %s", ev, w.history())
		}
	}
}

// TestHostileAdvice: a server advising an interval and a timeout of a day
// does not silence the client. It waits no longer than the back-off
// ceiling between connects, asks for its own limit as the timeout of each
// connect (both servers honour it), so connects keep coming and messages
// keep arriving, and it says once in its log that it capped the advice.
func TestHostileAdvice(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: day, Interval: day})
		var logged logBuffer
		cfg := shortLimits(st.transport)
		cfg.Log = logged.logger()
		w := startClient(t, srv, cfg)
		w.ready()
		before, err := srv.Stats()
		if err != nil {
			t.Fatal(err)
		}
		// Each connect is held a second, not a day, and followed by the
		// next a second later, not a day later.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := srv.WaitStats(ctx, func(s bayeuxtest.Stats) bool { return s.Connects >= before.Connects+3 }); err != nil {
			t.Fatalf("the client stopped connecting: %v", err)
		}
		for seq := range 2 {
			if err := srv.Publish(calls, map[string]int{"seq": seq}); err != nil {
				t.Fatal(err)
			}
			if ev := w.until(10*time.Second, "message", isMessage); seqOf(t, ev.Data) != seq {
				t.Fatalf("unexpected %s", ev)
			}
		}
		w.noReconnect()
		for _, field := range []string{"longer interval", "longer timeout"} {
			if n := logged.count(field); n != 1 {
				t.Errorf("%d warnings about a %s, want one (the server repeats its advice on every reply)", n, field)
			}
		}
	})
}

// TestConnectHeldTooLong: a server that holds a connect far beyond the
// timeout the client asked for (it ignores the request and holds for its
// own day) is a lost connection once the limit and the grace have passed:
// the client says so, with the reason, and is live again once the server
// behaves.
func TestConnectHeldTooLong(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: day})
		w := startClient(t, srv, shortLimits(st.transport))
		w.ready()
		if err := srv.IgnoreAskedTimeout(true); err != nil {
			t.Fatal(err)
		}
		ev := w.until(15*time.Second, "reconnecting", isReconnecting)
		const want = "/meta/connect not answered within the server's timeout (1s) plus 1s grace: connection lost"
		if ev.Reason != want {
			t.Fatalf("reconnecting because %q, want %q", ev.Reason, want)
		}
		// faye never answers a connect overtaken by a newer one, and
		// answers the newer one when the older one's hold (a day) ends:
		// only a new session frees the client there.
		if err := srv.IgnoreAskedTimeout(false); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.ForgetSessions(); err != nil {
			t.Fatal(err)
		}
		w.until(20*time.Second, "live again", isLive)
		if err := srv.Publish(calls, map[string]int{"seq": 3}); err != nil {
			t.Fatal(err)
		}
		if ev := w.until(10*time.Second, "message", isMessage); seqOf(t, ev.Data) != 3 {
			t.Fatalf("unexpected %s", ev)
		}
	})
}

// TestConnectHeldWhileMessagesFlow: on a websocket the server pushes
// messages while a connect is held, and answers the connect when its hold
// ends. One that keeps pushing but holds the connect past the limit and
// the grace no longer serves the session as the protocol says: that too
// is a lost connection, however lively the socket.
func TestConnectHeldWhileMessagesFlow(t *testing.T) {
	srv := bayeuxtest.Start(t, bayeuxtest.Faye, bayeuxtest.Options{Timeout: day})
	w := startClient(t, srv, shortLimits(WebSocket))
	w.ready()
	if err := srv.IgnoreAskedTimeout(true); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for seq := 0; ; seq++ {
			select {
			case <-stop:
				return
			case <-tick.C:
				srv.Publish(calls, map[string]int{"seq": seq})
			}
		}
	}()
	defer func() { close(stop); <-done }()
	ev := w.until(15*time.Second, "reconnecting", isReconnecting)
	if !strings.Contains(ev.Reason, "connection lost") {
		t.Fatalf("reconnecting because %q, want the held connect named", ev.Reason)
	}
	// Messages did flow while the connect was held: a socket quiet for the
	// whole wait would prove nothing about this rule.
	received := 0
	for _, e := range w.seen {
		if isMessage(e) {
			received++
		}
	}
	if received < 3 {
		t.Fatalf("only %d messages arrived while the connect was held; events: %s", received, w.history())
	}
}

// TestMalformedAdvice: advice of the wrong types (a string interval, a
// timeout of 1e300 ms, a numeric reconnect) neither spoils the replies
// it rides on nor makes the client wait: the client goes live and
// receives, and says once in its log which fields it ignored.
func TestMalformedAdvice(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: 2 * time.Second})
		if err := srv.Advise(map[string]any{"interval": "soon", "timeout": 1e300, "reconnect": 7, "maxInterval": []int{1}}); err != nil {
			t.Fatal(err)
		}
		var logged logBuffer
		cfg := shortLimits(st.transport)
		cfg.Log = logged.logger()
		w := startClient(t, srv, cfg)
		w.ready()
		before, err := srv.Stats()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := srv.WaitStats(ctx, func(s bayeuxtest.Stats) bool { return s.Connects >= before.Connects+3 }); err != nil {
			t.Fatalf("the client stopped connecting: %v", err)
		}
		if err := srv.Publish(calls, map[string]int{"seq": 1}); err != nil {
			t.Fatal(err)
		}
		w.until(10*time.Second, "message", isMessage)
		w.noReconnect()
		if n := logged.count(`fields="reconnect, interval, maxInterval"`); n != 1 {
			t.Errorf("%d warnings naming the ignored fields, want one", n)
		}
		if n := logged.count("longer timeout"); n != 1 {
			t.Errorf("%d warnings about the timeout of 1e300 ms, want one", n)
		}
	})
}
