package bayeux

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/providers/internal/bayeuxtest"
)

// TestNegotiatedTransport: without a forced transport the client uses
// websocket where the server offers it (faye) and long-polling where it
// does not (cometd-nodejs-server, like GWS).
func TestNegotiatedTransport(t *testing.T) {
	for kind, want := range map[bayeuxtest.Kind]Transport{bayeuxtest.CometD: LongPolling, bayeuxtest.Faye: WebSocket} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv := bayeuxtest.Start(t, kind, bayeuxtest.Options{Timeout: 5 * time.Second})
			w := startClient(t, srv, Config{})
			live := w.ready()
			if live.Transport != want || live.ClientID == "" {
				t.Fatalf("live on %q as %q, want %q", live.Transport, live.ClientID, want)
			}
			if err := srv.Publish(calls, map[string]int{"seq": 1}); err != nil {
				t.Fatal(err)
			}
			w.until(5*time.Second, "message", isMessage)
		})
	}
}

// TestForcedTransportMissing: websocket forced on a server without it
// stops the client with a reason, instead of retrying forever.
func TestForcedTransportMissing(t *testing.T) {
	srv := bayeuxtest.Start(t, bayeuxtest.CometD, bayeuxtest.Options{Timeout: 5 * time.Second})
	w := startClient(t, srv, Config{Transport: WebSocket})
	ev := w.until(10*time.Second, "stopped", func(ev Event) bool { return ev.Kind == KindState && ev.State == Stopped })
	if !strings.Contains(ev.Reason, "websocket") || !strings.Contains(ev.Reason, "long-polling") {
		t.Fatalf("stopped for %q; want it to say what the server offers", ev.Reason)
	}
}

// TestConnectionsDropped: every TCP connection is cut but the session
// survives: the client reconnects with the same client id (no new
// handshake) and tells the consumer messages may have been lost, before it
// says the link is live again (as on a new session).
func TestConnectionsDropped(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		// faye answers the connect after the cut only when the cut one's
		// hold ends (it never saw it go): keep holds short.
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: 2 * time.Second})
		w := startClient(t, srv, Config{Transport: st.transport})
		id := w.ready().ClientID
		// A cut that lands between two long-polls finds only an idle
		// keep-alive connection, and net/http quietly sends the next
		// request on a fresh one: nothing was lost, so the client rightly
		// says nothing. Cut again until a held connect was among the cut.
		noticed := false
		for range 5 {
			if _, err := srv.DropConnections(); err != nil {
				t.Fatal(err)
			}
			if _, noticed = w.within(3*time.Second, isReconnecting); noticed {
				break
			}
		}
		if !noticed {
			t.Fatalf("five cuts and no reconnecting; events so far: %s", w.history())
		}
		re := w.until(15*time.Second, "resync", func(ev Event) bool {
			if isLive(ev) {
				t.Fatalf("live again before the resync; events so far: %s", w.history())
			}
			return isResync(ev)
		})
		if re.ClientID != id || !strings.Contains(re.Reason, "may have been lost") {
			t.Fatalf("resync %+v, want one on the same session %q saying messages may be lost", re, id)
		}
		if live := w.next(5 * time.Second); !isLive(live) || live.ClientID != id {
			t.Fatalf("after the resync came %s, want the session live again", live)
		}
		if err := srv.Publish(calls, map[string]int{"seq": 5}); err != nil {
			t.Fatal(err)
		}
		if ev := w.until(5*time.Second, "message", isMessage); seqOf(t, ev.Data) != 5 {
			t.Fatalf("unexpected %s", ev)
		}
		if st, _ := srv.Stats(); st.Handshakes != 1 {
			t.Fatalf("%d handshakes; the session should have been kept", st.Handshakes)
		}
	})
}

// TestOverlappingConnect: someone else sends a /meta/connect for the
// client's session while the client's own is held (cometd-nodejs-server
// answers the older one with HTTP 500, faye never answers it). The client
// recovers without busy-looping and keeps receiving.
func TestOverlappingConnect(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: 2 * time.Second})
		jar, _ := cookiejar.New(nil)
		w := startClient(t, srv, Config{Transport: st.transport, Jar: jar, MaxNetworkDelay: time.Second})
		id := w.ready().ClientID
		before, err := srv.Stats()
		if err != nil {
			t.Fatal(err)
		}
		intruder := &http.Client{Jar: jar, Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		intrude := func() {
			body, _ := json.Marshal([]map[string]any{{"channel": chConnect, "clientId": id, "connectionType": "long-polling", "id": "x"}})
			resp, err := intruder.Post(srv.URL(), "application/json", bytes.NewReader(body))
			if err == nil {
				resp.Body.Close()
			}
		}
		window := 4 * time.Second
		stop := time.Now().Add(window)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for time.Now().Before(stop) {
				intrude()
			}
		}()
		<-done
		after, err := srv.Stats()
		if err != nil {
			t.Fatal(err)
		}
		// The intruder's connects are counted too: each lasts a hold (2 s)
		// or ends when the client's next connect displaces it, which the
		// client sends after a back-off of a second or more.
		if n := after.Connects - before.Connects; n > 30 {
			t.Fatalf("%d connects in %s: the client is busy-looping", n, window)
		}
		if err := srv.Publish(calls, map[string]int{"seq": 9}); err != nil {
			t.Fatal(err)
		}
		ev := w.until(15*time.Second, "message after the intrusions", isMessage)
		if seqOf(t, ev.Data) != 9 {
			t.Fatalf("unexpected %s", ev)
		}
	})
}

// TestSharedCookieJar: two clients behind one cookie jar. On
// cometd-nodejs-server the second session is degraded to polling every
// 2 s (advice multiple-clients); the client honours it instead of
// busy-looping, and both clients still receive.
func TestSharedCookieJar(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: 2 * time.Second})
		jar, _ := cookiejar.New(nil)
		a := startClient(t, srv, Config{Transport: st.transport, Jar: jar})
		a.ready()
		b := startClient(t, srv, Config{Transport: st.transport, Jar: jar})
		b.ready()
		before, _ := srv.Stats()
		time.Sleep(2 * time.Second)
		after, _ := srv.Stats()
		// Held connects: about one per hold (2 s) each; the degraded one
		// polls every 2 s. A busy loop makes hundreds in that time.
		if n := after.Connects - before.Connects; n > 8 {
			t.Fatalf("%d connects in 2 s from two clients: busy-looping", n)
		}
		if err := srv.Publish(calls, map[string]int{"seq": 4}); err != nil {
			t.Fatal(err)
		}
		for _, w := range []*watcher{a, b} {
			if ev := w.until(10*time.Second, "message", isMessage); seqOf(t, ev.Data) != 4 {
				t.Fatalf("unexpected %s", ev)
			}
		}
	})
}

// TestSlowSubscriber: a consumer that does not read while a burst arrives
// loses what exceeds the buffer, and is told how much, where.
func TestSlowSubscriber(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: 5 * time.Second})
		w := startClient(t, srv, Config{Transport: st.transport, BufferSize: 10})
		w.ready()
		const n = 3000
		if _, err := srv.Burst(calls, n); err != nil {
			t.Fatal(err)
		}
		// Not reading until the client has had to drop some.
		for deadline := time.Now().Add(20 * time.Second); !w.c.q.hasDropped(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("nothing dropped within 20 s while the consumer was not reading")
			}
		}
		received, dropped, last := 0, 0, -1
		for received+dropped < n {
			ev := w.until(20*time.Second, "the rest of the burst", func(ev Event) bool {
				return ev.Kind == KindMessage || (ev.Kind == KindResync && ev.Dropped > 0)
			})
			if ev.Kind == KindResync {
				dropped += ev.Dropped
				continue
			}
			seq := seqOf(t, ev.Data)
			if seq <= last {
				t.Fatalf("seq %d after %d", seq, last)
			}
			if seq != last+1 && dropped == 0 {
				t.Fatalf("seq %d after %d with no drop reported", seq, last)
			}
			last = seq
			received++
		}
		if dropped == 0 || received+dropped != n {
			t.Fatalf("received %d, dropped %d, of %d", received, dropped, n)
		}
	})
}

// TestSubscriptions: Subscribe, Unsubscribe and Publish on a live client,
// wildcard patterns, a refused subscription, and subscriptions restored on
// a new session (a refused one reported, not retried forever).
func TestSubscriptions(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: 5 * time.Second})
		w := startClient(t, srv, Config{Transport: st.transport, Channels: []string{}})
		w.ready()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := w.c.Subscribe(ctx, "/v2/me/*", "/chat/**"); err != nil {
			t.Fatal(err)
		}
		if err := w.c.Subscribe(ctx, "/v2/me/*"); err != nil {
			t.Fatalf("subscribing again: %v", err)
		}
		if err := srv.Publish("/v2/me/devices", map[string]int{"seq": 1}); err != nil {
			t.Fatal(err)
		}
		if ev := w.until(5*time.Second, "message", isMessage); ev.Channel != "/v2/me/devices" {
			t.Fatalf("unexpected %s", ev)
		}
		if err := w.c.Publish(ctx, "/chat/room/1", map[string]int{"seq": 2}); err != nil {
			t.Fatal(err)
		}
		if ev := w.until(5*time.Second, "own message", isMessage); ev.Channel != "/chat/room/1" || seqOf(t, ev.Data) != 2 {
			t.Fatalf("unexpected %s", ev)
		}
		if err := w.c.Publish(ctx, "/chat/*", 1); err == nil {
			t.Fatal("publishing to a pattern was accepted")
		}

		if err := srv.DenySubscriptions("/secret"); err != nil {
			t.Fatal(err)
		}
		err := w.c.Subscribe(ctx, "/secret")
		var se *ServerError
		if !errors.As(err, &se) || se.Text != "403::subscription_denied" || se.Target != "/secret" {
			t.Fatalf("refused subscription returned %v", err)
		}

		if err := w.c.Unsubscribe(ctx, "/chat/**"); err != nil {
			t.Fatal(err)
		}
		sub, _ := srv.WaitStats(ctx, func(s bayeuxtest.Stats) bool { return s.Subscribers["/chat/**"] == 0 })
		if sub.Subscribers["/v2/me/*"] != 1 {
			t.Fatalf("subscribers %v", sub.Subscribers)
		}

		// A new session restores /v2/me/* (and not /chat/** nor /secret).
		if err := srv.DenySubscriptions("/v2/me/*"); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.ForgetSessions(); err != nil {
			t.Fatal(err)
		}
		failed := w.until(15*time.Second, "subscribe-failed", func(ev Event) bool { return ev.Kind == KindSubscribeFailed })
		if failed.Channel != "/v2/me/*" || !strings.Contains(failed.Reason, "403::subscription_denied") {
			t.Fatalf("unexpected %s", failed)
		}
		w.until(10*time.Second, "resync", isResync)
		srv.DenySubscriptions("")
		if err := w.c.Subscribe(ctx, "/v2/me/calls"); err != nil {
			t.Fatal(err)
		}
		after, _ := srv.Stats()
		if after.Subscribers["/v2/me/calls"] != 1 || after.Subscribers["/chat/**"] != 0 || after.Subscribers["/v2/me/*"] != 0 {
			t.Fatalf("subscribers after the new session: %v", after.Subscribers)
		}
	})
}

// TestCloseDisconnects: Close tells the server, which forgets the session
// at once.
func TestCloseDisconnects(t *testing.T) {
	forEach(t, func(t *testing.T, st setup) {
		srv := bayeuxtest.Start(t, st.kind, bayeuxtest.Options{Timeout: 5 * time.Second})
		w := startClient(t, srv, Config{Transport: st.transport})
		w.ready()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := w.c.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.WaitStats(ctx, func(s bayeuxtest.Stats) bool { return s.Disconnects == 1 && s.Sessions == 0 }); err != nil {
			t.Fatal(err)
		}
	})
}

// TestHooks: the header hook runs for every request and the ext hook for
// every message, handshake included (checked on a recording fake, since
// the real servers do not show what they received).
func TestHooks(t *testing.T) {
	fake := newFakeBayeux(t)
	c, err := Start(Config{
		URL:      fake.URL(),
		Channels: []string{"/v2/me/calls"},
		Header: func(h http.Header) {
			h.Set("Authorization", "Basic dGVzdDp0ZXN0")
			h.Set("X-CSRF-TOKEN", "tok")
		},
		Ext: func(channel string, ext map[string]any) { ext["auth"] = map[string]string{"token": "t-" + channel} },
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &watcher{t: t, c: c, events: c.Events()}
	w.ready()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Publish(ctx, "/v2/me/x", 1); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	seen := fake.requests()
	channels := map[string]bool{}
	for _, r := range seen {
		if r.header.Get("Authorization") != "Basic dGVzdDp0ZXN0" || r.header.Get("X-CSRF-TOKEN") != "tok" {
			t.Errorf("request %v without the hook's headers: %v", r.channels, r.header)
		}
		if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Errorf("request %v with content type %q", r.channels, r.header.Get("Content-Type"))
		}
		for i, ch := range r.channels {
			channels[ch] = true
			if r.exts[i] != `{"auth":{"token":"t-`+ch+`"}}` {
				t.Errorf("message on %s with ext %s", ch, r.exts[i])
			}
		}
	}
	for _, ch := range []string{chHandshake, chConnect, chSubscribe, "/v2/me/x", chDisconnect} {
		if !channels[ch] {
			t.Errorf("no %s seen (saw %v)", ch, channels)
		}
	}
	fake.checkProtocol(t)
}

// TestUnreadableMessage: a message of the wrong shape among good ones is
// skipped, the good ones arrive, and the consumer is told to resync.
func TestUnreadableMessage(t *testing.T) {
	fake := newFakeBayeux(t)
	fake.extra = `{"channel":"/v2/me/calls","data":{"seq":1}},{"channel":"/v2/me/calls","successful":"maybe"},{"channel":"/v2/me/calls","data":{"seq":2}}`
	c, err := Start(Config{URL: fake.URL(), Channels: []string{"/v2/me/calls"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	w := &watcher{t: t, c: c, events: c.Events()}
	w.ready()
	for want := 1; want <= 2; want++ {
		if ev := w.next(5 * time.Second); ev.Kind != KindMessage || seqOf(t, ev.Data) != want {
			t.Fatalf("got %s, want message %d", ev, want)
		}
	}
	re := w.next(5 * time.Second)
	if re.Kind != KindResync || !strings.Contains(re.Reason, "unreadable") {
		t.Fatalf("after the answer's messages came %s, want a resync about the unreadable one", re)
	}
}

// TestSessionLostAtOnce: a server that loses every session as soon as it
// is set up is not hammered with handshakes: they back off like failures,
// one more step before each new session (jittered: at least half of it).
func TestSessionLostAtOnce(t *testing.T) {
	t.Parallel()
	fake := newFakeBayeux(t)
	fake.forgetful = true
	const step = 200 * time.Millisecond
	c, err := Start(Config{URL: fake.URL(), Channels: []string{"/v2/me/calls"}, BackoffIncrement: step})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	w := &watcher{t: t, c: c, events: c.Events()}
	w.ready()
	var handshakes []time.Time
	for deadline := time.Now().Add(20 * time.Second); len(handshakes) < 4; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d handshakes within 20 s; the lost sessions should be renewed", len(handshakes))
		}
		handshakes = handshakes[:0]
		for _, r := range fake.requests() {
			if slices.Contains(r.channels, chHandshake) {
				handshakes = append(handshakes, r.at)
			}
		}
	}
	fake.checkProtocol(t)
	// Waits only ever run long, so these lower bounds hold on any machine.
	for i := 1; i < 4; i++ {
		if gap, least := handshakes[i].Sub(handshakes[i-1]), time.Duration(i)*step/2; gap < least {
			t.Errorf("handshake %d came %s after the one before, want a back-off of at least %s", i+1, gap, least)
		}
	}
}
