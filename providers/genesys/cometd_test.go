package genesys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/genesys/gwstest"
	"ringside/providers/internal/bayeuxtest"
)

// These tests run the provider against the fake GWS REST server and a real
// Bayeux server from npm (cometd-nodejs-server, the closest to GWS's CometD
// 3, and faye): notifications go through real CometD on loopback.

// liveGWS is the fake GWS wired to a real Bayeux server.
type liveGWS struct {
	*harness
	bayeux *bayeuxtest.Server
}

// bayeuxOptions keep connects short so that tests see restarts quickly.
var bayeuxOptions = bayeuxtest.Options{Timeout: 5 * time.Second}

// startLive starts a Bayeux server of kind, the fake GWS publishing to it
// and the provider listening to it. With proxied set, the fake GWS serves
// the Bayeux server at its own /api/v2/notifications (GWS's default CometD
// URL); otherwise --genesys-cometd-url points at the Bayeux server.
func startLive(t *testing.T, kind bayeuxtest.Kind, proxied bool, cfg Config, calls ...gwstest.Call) *liveGWS {
	t.Helper()
	bx := bayeuxtest.Start(t, kind, bayeuxOptions)
	opts := gwstest.Options{}
	if proxied {
		opts.Notifications = bx.Proxy()
	} else {
		cfg.CometdURL = bx.URL()
	}
	gws, srv := newGWS(t, opts)
	for _, c := range calls {
		gws.Put(c)
	}
	gws.SetPublish(func(channel string, data []byte) error {
		return bx.Publish(channel, json.RawMessage(data))
	})
	h := newHarness(t, gws, srv)
	h.p = newTestProvider(t, srv.URL, cfg)
	h.run()
	h.waitStatus("live", func(s providers.Status) bool { return s.Link == providers.LinkLive })
	// Live means subscribed and the call list read.
	return &liveGWS{harness: h, bayeux: bx}
}

func forEachKind(t *testing.T, test func(t *testing.T, kind bayeuxtest.Kind)) {
	for _, kind := range bayeuxtest.Kinds {
		t.Run(string(kind), func(t *testing.T) { test(t, kind) })
	}
}

func TestLiveSnapshotAndReject(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind bayeuxtest.Kind) {
		l := startLive(t, kind, false, Config{}, seedCall(), gwstest.ActiveCall("TALK", "5005"))
		id := seedCall().ID
		ring := l.waitState(id, providers.StateRinging)
		l.waitState("TALK", providers.StateActive)
		if !ring.Can(providers.ActionReject) || !ring.Can(providers.ActionAnswer) {
			t.Fatalf("ringing queue call: %v", ring.Caps.Names())
		}
		if err := l.p.Reject(context.Background(), id, ""); err != nil {
			t.Fatalf("reject: %v", err)
		}
		ended := l.waitState(id, providers.StateEnded)
		if ended.Result() != providers.OutcomeRejected || ended.End.Text != endRejected {
			t.Errorf("after the Released notification: outcome %s, end %q", ended.Result(), ended.End.Text)
		}
		sent := posts(l.gws, "/api/v2/me/calls/"+id)
		if len(sent) != 1 || string(sent[0].Body) != `{"operationName":"Reject"}` {
			t.Errorf("reject requests: %+v", sent)
		}
	})
}

func TestLiveThroughGWSNotificationsPath(t *testing.T) {
	// CometD at <base>/api/v2/notifications, the default: one cookie jar
	// carries JSESSIONID and BAYEUX_BROWSER.
	l := startLive(t, bayeuxtest.CometD, true, Config{}, gwstest.QueueCall("Q1", "+14255550100", "9000"))
	l.waitState("Q1", providers.StateRinging)
	if _, err := l.gws.Ring(gwstest.DirectCall("D1", "5005")); err != nil {
		t.Fatal(err)
	}
	d := l.waitState("D1", providers.StateRinging)
	if d.Can(providers.ActionReject) {
		t.Errorf("a direct call offers no reject: %v", d.Caps.Names())
	}
	if err := l.p.Reject(context.Background(), "D1", ""); !errors.Is(err, providers.ErrNotAllowed) {
		t.Errorf("reject of a direct call: %v", err)
	}
	if err := l.p.Answer(context.Background(), "D1"); err != nil {
		t.Fatal(err)
	}
	l.waitState("D1", providers.StateActive)
	var authorized int
	for _, r := range l.gws.Requests() {
		if r.Authorized {
			authorized++
		}
	}
	if authorized != len(l.gws.Requests()) {
		t.Errorf("every REST request must carry Basic auth: %d of %d", authorized, len(l.gws.Requests()))
	}
}

func TestLiveRefusedAnswer(t *testing.T) {
	l := startLive(t, bayeuxtest.CometD, false, Config{}, gwstest.QueueCall("R1", "5125", "9000"))
	before := l.waitState("R1", providers.StateRinging)
	l.gws.FailNext("Answer", 2, "Invalid state")
	err := l.p.Answer(context.Background(), "R1")
	if !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "not allowed in the call's current state") {
		t.Fatalf("answer refused with statusCode 2: %v", err)
	}
	// The call stays as it was: a later change still applies on top.
	if _, err := l.gws.Ring(gwstest.QueueCall("MARK", "5126", "9000")); err != nil {
		t.Fatal(err)
	}
	l.waitState("MARK", providers.StateRinging)
	if c, _ := l.call("R1"); c.Version != before.Version || c.State != providers.StateRinging {
		t.Errorf("call changed after a refused answer: %+v", c)
	}
}

func TestLiveCSRFRotation(t *testing.T) {
	l := startLive(t, bayeuxtest.CometD, false, Config{}, gwstest.QueueCall("R1", "5125", "9000"))
	l.waitState("R1", providers.StateRinging)
	l.gws.RotateCSRF()
	if err := l.p.Answer(context.Background(), "R1"); err != nil {
		t.Fatal(err)
	}
	l.waitState("R1", providers.StateActive)
	var statuses []int
	for _, r := range posts(l.gws, "/api/v2/me/calls/R1") {
		statuses = append(statuses, r.Status)
	}
	if len(statuses) != 2 || statuses[0] != 403 || statuses[1] != 200 {
		t.Errorf("POST statuses %v, want one 403 then one retry", statuses)
	}
}

func TestLiveServerRestartResyncs(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind bayeuxtest.Kind) {
		l := startLive(t, kind, false, Config{}, gwstest.QueueCall("GONE", "5125", "9000"), gwstest.ActiveCall("STAYS", "5005"))
		l.waitState("GONE", providers.StateRinging)
		l.waitState("STAYS", providers.StateActive)
		lists := countLists(l.gws)

		// The CometD server goes down; meanwhile one call ends and one
		// starts, and the notifications are lost with the server.
		restarted := make(chan error, 1)
		go func() { restarted <- l.bayeux.Restart(time.Second) }()
		l.waitStatus("reconnecting", func(s providers.Status) bool { return s.Link == providers.LinkReconnecting })
		l.gws.SetPublish(nil)
		must(t, l.gws.Release("GONE", false))
		l.gws.Put(gwstest.QueueCall("NEW", "+33155550000", "9000"))
		l.gws.SetPublish(func(channel string, data []byte) error { return l.bayeux.Publish(channel, json.RawMessage(data)) })
		if err := <-restarted; err != nil {
			t.Fatal(err)
		}

		gone := l.waitState("GONE", providers.StateEnded)
		if gone.End.Text != endAbsent {
			t.Errorf("released during the gap: %q", gone.End.Text)
		}
		l.waitState("NEW", providers.StateRinging)
		l.waitStatus("live again", func(s providers.Status) bool { return s.Link == providers.LinkLive })
		if c, _ := l.call("STAYS"); c.State != providers.StateActive {
			t.Errorf("call through the gap: %+v", c)
		}
		if countLists(l.gws) <= lists {
			t.Error("the calls were not read again after the new session")
		}
		// Notifications flow on the new session.
		if _, err := l.gws.Ring(gwstest.QueueCall("AFTER", "5127", "9000")); err != nil {
			t.Fatal(err)
		}
		l.waitState("AFTER", providers.StateRinging)
	})
}

// countLists counts the call list reads the fake GWS has served.
func countLists(gws *gwstest.Server) int {
	n := 0
	for _, r := range gws.Requests() {
		if r.Method == "GET" && strings.HasPrefix(r.Path, "/api/v2/me/calls?") {
			n++
		}
	}
	return n
}

func TestLiveForgottenSessionResyncs(t *testing.T) {
	l := startLive(t, bayeuxtest.CometD, false, Config{}, gwstest.ActiveCall("A", "5005"))
	l.waitState("A", providers.StateActive)
	l.gws.SetPublish(nil)
	must(t, l.gws.Release("A", false))
	l.gws.SetPublish(func(channel string, data []byte) error { return l.bayeux.Publish(channel, json.RawMessage(data)) })
	if _, err := l.bayeux.ForgetSessions(); err != nil {
		t.Fatal(err)
	}
	a := l.waitState("A", providers.StateEnded)
	if a.End.Text != endAbsent {
		t.Errorf("end %q", a.End.Text)
	}
}

func TestLiveServerSaysStop(t *testing.T) {
	l := startLive(t, bayeuxtest.CometD, false, Config{})
	if err := l.bayeux.Refuse("none", "403::go_away"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.bayeux.ForgetSessions(); err != nil {
		t.Fatal(err)
	}
	st := l.waitStatus("failed", func(s providers.Status) bool { return s.Link == providers.LinkFailed })
	if strings.Count(st.Detail, "go_away") != 1 {
		t.Errorf("failed status should carry the server's reason, once: %q", st.Detail)
	}
	if err := l.ended(); err == nil {
		t.Error("Run should return the reason")
	}
}

func TestLiveLogoutAfterCometDDisconnect(t *testing.T) {
	bx := bayeuxtest.Start(t, bayeuxtest.CometD, bayeuxOptions)
	gws := gwstest.New(gwstest.Options{User: testUser, Password: testPassword})
	var disconnectsAtLogout atomic.Int64
	disconnectsAtLogout.Store(-1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/api/v2/me" {
			body, _ := io.ReadAll(r.Body)
			if strings.Contains(string(body), "EndContactCenterSession") {
				if st, err := bx.Stats(); err == nil {
					disconnectsAtLogout.Store(int64(st.Disconnects))
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		gws.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	gws.SetBaseURL(srv.URL)
	gws.SetPublish(func(channel string, data []byte) error { return bx.Publish(channel, json.RawMessage(data)) })
	h := newHarness(t, gws, srv)
	h.p = newTestProvider(t, srv.URL, Config{Login: true, Place: "SIP_Server_Place1", CometdURL: bx.URL()})
	h.run()
	h.waitStatus("logged in and live", func(s providers.Status) bool { return s.Link == providers.LinkLive && s.Agent == "Not Ready" })
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if _, logouts := gws.Logins(); logouts != 1 {
		t.Fatalf("logouts: %d", logouts)
	}
	if n := disconnectsAtLogout.Load(); n < 1 {
		t.Errorf("the CometD disconnect must precede EndContactCenterSession (disconnects then: %d)", n)
	}
}

func TestLiveDroppedConnectionRereadsBeforeLive(t *testing.T) {
	// Connections cut, session kept: what the server was sending may be
	// lost, so the calls are read again, and the header must not show the
	// old view as live in between.
	l := startLive(t, bayeuxtest.CometD, false, Config{}, gwstest.ActiveCall("A", "5005"))
	l.waitState("A", providers.StateActive)
	lists := countLists(l.gws)
	l.mu.Lock()
	mark := len(l.events)
	l.mu.Unlock()
	// The list read again is held a moment, so that it cannot finish
	// before the client's Live (which follows its resync at once) has been
	// heard: the header must then say the calls are being read, not live.
	// Without the hold a quick list can end first, and Live is then right.
	l.gws.SetListGate(func(list string) {
		if list == gwstest.ListCalls {
			time.Sleep(300 * time.Millisecond)
		}
	})
	if _, err := l.bayeux.DropConnections(); err != nil {
		t.Fatal(err)
	}
	l.waitFor("the calls read again and live", func() bool {
		return countLists(l.gws) > lists && l.status.Link == providers.LinkLive
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	var seen []string
	down, reread := false, false
	for _, ev := range l.events[mark:] {
		if ev.Status == nil {
			continue
		}
		st := *ev.Status
		seen = append(seen, string(st.Link)+": "+st.Detail)
		switch {
		case st.Link == providers.LinkReconnecting:
			down = true
			reread = reread || strings.Contains(st.Detail, "reading the calls")
		case st.Link == providers.LinkLive && down && !reread:
			t.Fatalf("live again before the calls were read again: %q", seen)
		}
	}
	if !down {
		t.Fatalf("the cut connection was never reported: %q", seen)
	}
}

func TestLivePasswordNeverLogged(t *testing.T) {
	bx := bayeuxtest.Start(t, bayeuxtest.CometD, bayeuxOptions)
	gws, srv := newGWS(t, gwstest.Options{Notifications: bx.Proxy()})
	gws.Put(gwstest.QueueCall("Q1", "5125", "9000"))
	gws.SetPublish(func(channel string, data []byte) error { return bx.Publish(channel, json.RawMessage(data)) })
	h := newHarness(t, gws, srv)
	h.p = newTestProvider(t, srv.URL, Config{Login: true})
	logs := &syncWriter{w: &bytes.Buffer{}}
	h.p.opts.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("provider", Name)
	h.p.rest = newRESTClient(h.p.s, h.p.opts.Log)
	h.run()
	h.waitStatus("logged in and live", func(s providers.Status) bool { return s.Link == providers.LinkLive && s.Agent == "Not Ready" })
	// Every path that logs: a refused CSRF token, an operation, a cut
	// connection, the logout.
	gws.RotateCSRF()
	if err := h.p.Reject(context.Background(), "Q1", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := bx.DropConnections(); err != nil {
		t.Fatal(err)
	}
	h.waitStatus("reconnecting", func(s providers.Status) bool { return s.Link == providers.LinkReconnecting })
	h.waitStatus("live again", func(s providers.Status) bool { return s.Link == providers.LinkLive })
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	text := logs.w.String()
	if !strings.Contains(text, "CSRF") || !strings.Contains(text, "logged out") {
		t.Fatalf("the log misses what happened:\n%s", text)
	}
	for _, secret := range []string{testPassword, basicToken(testUser, testPassword)} {
		if strings.Contains(text, secret) {
			t.Fatalf("the log holds the password (%q):\n%s", secret, text)
		}
	}
}

// TestLiveRingTimeoutNameAndErrors sends what a real switch and desktop add
// to a call, and GWS's error reports, through a real Bayeux server.
func TestLiveRingTimeoutNameAndErrors(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind bayeuxtest.Kind) {
		l := startLive(t, kind, false, Config{NameKeys: []string{"WWE_PARTY_{number}"}})
		call := gwstest.DirectCall("W1", "5005")
		call.Extensions = map[string]any{"NO_ANSWER_TIMEOUT": "20", "NO_ANSWER_ACTION": "notready"}
		call.UserData = map[string]any{"WWE_PARTY_5005": map[string]any{"username": "jwilliams", "firstname": "Josh", "lastname": "Williams", "dbid": 112}}
		if _, err := l.gws.Ring(call); err != nil {
			t.Fatal(err)
		}
		c := l.waitState("W1", providers.StateRinging)
		if window(c) != 20*time.Second {
			t.Errorf("answer by %v after arrival, want the switch's 20s", window(c))
		}
		if c.From.Name != "Josh Williams" || c.From.ID != "5005" {
			t.Errorf("caller %+v", c.From)
		}

		if err := l.gws.PublishError(gwstest.ChannelDevices, gwstest.ErrorReport{Code: 41, Message: "DN is not registered", Device: true}); err != nil {
			t.Fatal(err)
		}
		l.waitStatus("the device's failure", func(s providers.Status) bool {
			return strings.Contains(s.Warning, deviceFailure) && strings.Contains(s.Detail, deviceFailure)
		})
		if err := l.gws.SetAgentState("Ready", "Ready", false); err != nil {
			t.Fatal(err)
		}
		l.waitStatus("the device back", func(s providers.Status) bool { return s.Agent == "Ready" && s.Warning == "" })
	})
}
