package bayeux

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"ringside/providers/internal/bayeuxtest"
)

// TestReceiveInOrder: messages an application publishes on the server
// arrive complete and in order, on every server and transport. On faye they
// carry the publisher's ids, which collide with the client's own.
func TestReceiveInOrder(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: 5 * time.Second})
		w := startClient(t, srv, Config{Transport: st.transport})
		first := w.ready()
		if first.ClientID == "" {
			t.Errorf("resync without client id: %+v", first)
		}
		const n = 50
		var data []any
		for i := range n {
			data = append(data, map[string]any{"messageType": "CallStateChangeMessage", "seq": i, "text": fmt.Sprintf("call %d", i)})
		}
		if err := srv.Publish(calls, data...); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			ev := w.until(10*time.Second, fmt.Sprintf("message %d", i), isMessage)
			if ev.Channel != calls {
				t.Fatalf("message on %q, want %q", ev.Channel, calls)
			}
			if got := seqOf(t, ev.Data); got != i {
				t.Fatalf("message %d has seq %d", i, got)
			}
			var d struct{ Text string }
			json.Unmarshal(ev.Data, &d)
			if d.Text != fmt.Sprintf("call %d", i) {
				t.Fatalf("message %d: text %q", i, d.Text)
			}
		}
	})
}

// TestBurst: 20,000 messages published in one tight loop all arrive, in
// order, on every server and transport.
func TestBurst(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		// The servers' publish loop blocks them while it runs; on a busy
		// machine under the race detector it can outlast a session's expiry
		// (faye: two timeouts after the last connect arrived;
		// cometd-nodejs-server: maxInterval after the last reply), and the
		// server would forget the session before it could see the client's
		// next connect. Sessions here outlive any burst; a held connect is
		// answered as soon as the burst starts, so nothing waits longer.
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: 30 * time.Second, MaxInterval: time.Minute})
		w := startClient(t, srv, Config{Transport: st.transport})
		w.ready()
		const n = 20000
		errc := make(chan error, 1)
		go func() {
			_, err := srv.Burst(calls, n)
			errc <- err
		}()
		for i := range n {
			ev := w.until(60*time.Second, fmt.Sprintf("burst message %d", i), func(ev Event) bool {
				if ev.Kind == KindResync {
					t.Fatalf("resync during the burst: %s", ev.Reason)
				}
				return isMessage(ev)
			})
			if got := seqOf(t, ev.Data); got != i {
				t.Fatalf("burst message %d has seq %d", i, got)
			}
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	})
}

// TestServerRestart: the server restarts under a live client, losing every
// session; the client handshakes anew, subscribes again, says resync, and
// receives what is published next.
func TestServerRestart(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: 5 * time.Second})
		w := startClient(t, srv, Config{Transport: st.transport})
		old := w.ready().ClientID
		if err := srv.Restart(300 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
		w.until(10*time.Second, "reconnecting", isReconnecting)
		re := w.until(15*time.Second, "resync after the restart", isResync)
		if re.ClientID == "" || re.ClientID == old {
			t.Fatalf("resync on client id %q, want a new one (old %q)", re.ClientID, old)
		}
		if err := srv.Publish(calls, map[string]int{"seq": 7}); err != nil {
			t.Fatal(err)
		}
		ev := w.until(5*time.Second, "message after the restart", isMessage)
		if seqOf(t, ev.Data) != 7 {
			t.Fatalf("unexpected message %s", ev.Data)
		}
	})
}

// TestForgottenSession: the server drops the session without a word; the
// client finds out on its next connect and recovers as after a restart.
func TestForgottenSession(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: 5 * time.Second})
		w := startClient(t, srv, Config{Transport: st.transport})
		old := w.ready().ClientID
		n, err := srv.ForgetSessions()
		if err != nil || n != 1 {
			t.Fatalf("forgot %d sessions (%v), want 1", n, err)
		}
		re := w.until(15*time.Second, "resync after the session was lost", isResync)
		if re.ClientID == old {
			t.Fatalf("resync on the old client id %q", old)
		}
		if err := srv.Publish(calls, map[string]int{"seq": 3}); err != nil {
			t.Fatal(err)
		}
		ev := w.until(5*time.Second, "message on the new session", isMessage)
		if seqOf(t, ev.Data) != 3 {
			t.Fatalf("unexpected message %s", ev.Data)
		}
		st2, err := srv.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if st2.Handshakes != 2 {
			t.Errorf("server saw %d handshakes, want 2", st2.Handshakes)
		}
	})
}

// TestReconnectNone: a server that answers with advice reconnect "none"
// stops the client, which says why and ends its stream.
func TestReconnectNone(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: 2 * time.Second})
		w := startClient(t, srv, Config{Transport: st.transport})
		w.ready()
		if err := srv.Refuse("none", "403::go_away"); err != nil {
			t.Fatal(err)
		}
		// End the held connect now: its reply is refused.
		if _, err := srv.ForgetSessions(); err != nil {
			t.Fatal(err)
		}
		ev := w.until(15*time.Second, "stopped", func(ev Event) bool { return ev.Kind == KindState && ev.State == Stopped })
		var se *ServerError
		if !errorsAs(ev.Err, &se) || se.Text != "403::go_away" {
			t.Fatalf("stopped with %v, want the server's 403::go_away", ev.Err)
		}
		select {
		case ev, ok := <-w.events:
			if ok {
				t.Fatalf("event after stopped: %s", ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("event stream not closed after stopped")
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := w.c.Subscribe(ctx, "/v2/me/devices"); err == nil {
			t.Fatal("Subscribe on a stopped client succeeded")
		}
	})
}
