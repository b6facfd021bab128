package genesys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/genesys/gwstest"
)

// resync makes the fake feed report a re-established session.
func (h *harness) resync() {
	h.t.Helper()
	if !h.feed.send(notice{kind: noticeResync, detail: "session re-established"}) {
		h.t.Fatal("feed not running")
	}
}

func TestResyncAfterAGap(t *testing.T) {
	h := startHarness(t, Config{},
		gwstest.QueueCall("GONE", "5125", "9000"),
		gwstest.ActiveCall("STAYS", "5005"))
	h.waitState("GONE", providers.StateRinging)
	h.waitState("STAYS", providers.StateActive)

	// While notifications are down: one call is released, one starts,
	// and nobody hears of it.
	h.gws.SetPublish(nil)
	if err := h.gws.Release("GONE", false); err != nil {
		t.Fatal(err)
	}
	h.gws.Put(gwstest.QueueCall("NEW", "+33155550000", "9000"))
	h.gws.SetPublish(h.feed.publish)
	h.feed.send(notice{kind: noticeLink, link: providers.LinkReconnecting, detail: "connection lost"})
	h.waitStatus("reconnecting", func(s providers.Status) bool { return s.Link == providers.LinkReconnecting })
	h.feed.send(notice{kind: noticeLink, link: providers.LinkLive})
	h.resync()

	gone := h.waitState("GONE", providers.StateEnded)
	if gone.End.Text != endAbsent || gone.Result() != providers.OutcomeMissed {
		t.Errorf("a call released during the gap: end %q outcome %s", gone.End.Text, gone.Result())
	}
	h.waitState("NEW", providers.StateRinging)
	if c, _ := h.call("STAYS"); c.State != providers.StateActive {
		t.Errorf("a call present before and after the gap: %+v", c)
	}
	h.waitStatus("live again", func(s providers.Status) bool { return s.Link == providers.LinkLive })
}

// TestNotificationsDuringTheSnapshotAreNotLost reads the call list while
// notifications arrive that are newer than the list: they must win, and a
// call they announce must not be ended for being absent from the list.
func TestNotificationsDuringTheSnapshotAreNotLost(t *testing.T) {
	h := startHarness(t, Config{},
		gwstest.QueueCall("A", "5125", "9000"),
		gwstest.ActiveCall("B", "5005"),
		gwstest.ActiveCall("D", "5006"))
	h.waitState("A", providers.StateRinging)
	h.waitState("B", providers.StateActive)
	h.waitState("D", providers.StateActive)

	// D ends silently before the list is read; a stale message about it
	// arrives while the list is on its way.
	h.gws.Remove("D")
	var once sync.Once
	h.gws.SetListGate(func(list string) {
		if list != gwstest.ListCalls {
			return
		}
		once.Do(func() {
			h.gws.SetListGate(nil)
			must(t, h.gws.Change("A", func(c *gwstest.Call) {
				c.State, c.Capabilities = "Established", gwstest.EstablishedCapabilities
			}, true, ""))
			must(t, h.gws.Release("B", true))
			_, err := h.gws.Ring(gwstest.QueueCall("C", "5127", "9000"))
			must(t, err)
			stale, _ := json.Marshal(map[string]any{"messageType": "CallStateChangeMessage", "notificationType": "AttachedDataChanged",
				"call": map[string]any{"id": "D", "state": "Established", "capabilities": []string{"Hangup"}}})
			must(t, h.gws.PublishRaw(gwstest.ChannelCalls, stale))
			// The messages must reach the loop while the list is held.
			h.feed.settle(t)
		})
	})
	h.resync()

	h.waitState("A", providers.StateActive)
	h.waitState("B", providers.StateEnded)
	c := h.waitState("C", providers.StateRinging)
	d := h.waitState("D", providers.StateEnded)
	if d.End.Text != endUnknownToGWS {
		t.Errorf("D was doubtful (absent from the list, in a message) and re-read: end %q", d.End.Text)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events {
		if ev.Call != nil && ev.Call.ID == "C" && ev.Call.State == providers.StateEnded {
			t.Fatalf("C started while the list was read and must never be shown ended: %+v", ev.Call)
		}
	}
	if c.From.ID != "5127" {
		t.Errorf("C: %+v", c.From)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Error(err)
	}
}

func TestEveryNotificationTypeReplacesTheCall(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.ActiveCall("T1", "5005"))
	h.waitState("T1", providers.StateActive)
	// An AttachedDataChanged that also drops Hangup (a supervisor took
	// over, say): the capabilities follow data.call.
	must(t, h.gws.Change("T1", func(c *gwstest.Call) {
		c.Capabilities = []string{"AttachUserData"}
		c.UserData = map[string]any{"hello": "hola"}
	}, true, "AttachedDataChanged"))
	h.waitCall("T1", "to lose Hangup", func(c providers.Call) bool { return !c.Caps.Has(providers.ActionHangup) })
	must(t, h.gws.Change("T1", func(c *gwstest.Call) { c.State = "Held"; c.Capabilities = gwstest.HeldCapabilities }, true, "ParticipantsUpdated"))
	held := h.waitState("T1", providers.StateHeld)
	if !held.Can(providers.ActionHangup) {
		t.Errorf("held call: caps %v", held.Caps.Names())
	}
	must(t, h.gws.Change("T1", func(c *gwstest.Call) { c.State = "Conferenced" }, true, "PropertiesUpdated"))
	// An unknown state keeps the call as it was.
	must(t, h.gws.Change("T1", func(c *gwstest.Call) { c.State = "Held"; c.Capabilities = []string{"Retrieve"} }, true, "Error"))
	h.waitCall("T1", "to lose Hangup again", func(c providers.Call) bool { return c.Caps == providers.Caps(providers.ActionResume) })
	if c, _ := h.call("T1"); c.State != providers.StateHeld {
		t.Errorf("unknown state moved the call: %s", c.State)
	}
}

func TestLateMessagesNeverMoveACallBack(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.QueueCall("L1", "5125", "9000"))
	h.waitState("L1", providers.StateRinging)
	must(t, h.gws.Change("L1", func(c *gwstest.Call) { c.State, c.Capabilities = "Established", gwstest.EstablishedCapabilities }, true, ""))
	active := h.waitState("L1", providers.StateActive)
	late, _ := json.Marshal(map[string]any{"messageType": "CallStateChangeMessage", "notificationType": "StatusChange",
		"call": map[string]any{"id": "L1", "state": "Ringing", "capabilities": []string{"Answer", "Reject"}}})
	must(t, h.gws.PublishRaw(gwstest.ChannelCalls, late))
	must(t, h.gws.Release("L1", true))
	ended := h.waitState("L1", providers.StateEnded)
	if ended.Version != active.Version+1 {
		t.Errorf("the late Ringing should have changed nothing: versions %d then %d", active.Version, ended.Version)
	}
	// And an ended call never comes back.
	must(t, h.gws.PublishRaw(gwstest.ChannelCalls, late))
	must(t, h.gws.PublishRaw(gwstest.ChannelCalls, mustJSON(map[string]any{"messageType": "CallStateChangeMessage",
		"call": map[string]any{"id": "MARK", "state": "Ringing"}})))
	h.waitState("MARK", providers.StateRinging)
	if c, _ := h.call("L1"); c.State != providers.StateEnded || c.Version != ended.Version {
		t.Errorf("ended call changed: %+v", c)
	}
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}

func TestMalformedNotificationsAreSkipped(t *testing.T) {
	h := startHarness(t, Config{})
	for _, bad := range []string{
		`not json`, `[]`, `"text"`, `{"messageType":"CallStateChangeMessage"}`,
		`{"messageType":"CallStateChangeMessage","call":{"state":"Ringing"}}`,
		`{"messageType":"CallStateChangeMessage","call":{"id":42,"state":"Ringing"}}`,
		`{"messageType":"CallStateChangeMessage","call":{"id":"X","state":7}}`,
		`{"messageType":"CallStateChangeMessage","call":[1,2]}`,
		`{"messageType":"DeviceStateChangeMessage","devices":"none"}`,
		`{"messageType":"ChatStateChangeMessage","chat":{}}`,
	} {
		must(t, h.gws.PublishRaw(gwstest.ChannelCalls, []byte(bad)))
	}
	// Wrong types in optional fields only cost those fields.
	must(t, h.gws.PublishRaw(gwstest.ChannelCalls, []byte(`{"messageType":"CallStateChangeMessage","call":{"id":"OK1","state":"Ringing",
		"participants":"5005","capabilities":["Answer",3,null],"duration":{"s":1},"callType":9,"ani":5125}}`)))
	c := h.waitState("OK1", providers.StateRinging)
	if c.Caps != providers.Caps(providers.ActionAnswer) || c.From.ID != "5125" {
		t.Errorf("tolerant decoding: caps %v from %+v", c.Caps.Names(), c.From)
	}
	h.mu.Lock()
	n := len(h.calls)
	h.mu.Unlock()
	if n != 1 {
		t.Errorf("only the readable call should show: %d calls", n)
	}
}

func TestReleasedCallNeverSeenIsNotShown(t *testing.T) {
	h := startHarness(t, Config{})
	must(t, h.gws.PublishRaw(gwstest.ChannelCalls, mustJSON(map[string]any{"messageType": "CallStateChangeMessage",
		"call": map[string]any{"id": "GHOST", "state": "Released"}})))
	must(t, h.gws.PublishRaw(gwstest.ChannelCalls, mustJSON(map[string]any{"messageType": "CallStateChangeMessage",
		"call": map[string]any{"id": "GHOST", "state": "Ringing", "capabilities": []string{"Answer"}}})))
	must(t, h.gws.PublishRaw(gwstest.ChannelCalls, mustJSON(map[string]any{"messageType": "CallStateChangeMessage",
		"call": map[string]any{"id": "MARK", "state": "Ringing"}})))
	h.waitState("MARK", providers.StateRinging)
	if c, ok := h.call("GHOST"); ok {
		t.Fatalf("a call first heard of as released (then a late Ringing) must not show: %+v", c)
	}
}

func TestAgentStateFromDevices(t *testing.T) {
	h := startHarness(t, Config{})
	st := h.waitStatus("logged out", func(s providers.Status) bool { return s.Agent != "" })
	if st.Agent != "Logged Out" {
		t.Errorf("initial agent state from the device list: %q", st.Agent)
	}
	must(t, h.gws.SetAgentState("Ready", "Ready", false))
	h.waitStatus("ready", func(s providers.Status) bool { return s.Agent == "Ready" })
	must(t, h.gws.SetAgentState("NotReady", "Lunch", true))
	h.waitStatus("not ready, lunch, dnd", func(s providers.Status) bool { return s.Agent == "Not Ready (Lunch) · DND" })
	must(t, h.gws.SetAgentState("NotReady", "Not Ready", false))
	st = h.waitStatus("not ready", func(s providers.Status) bool { return s.Agent == "Not Ready" })
	if st.Link != providers.LinkLive {
		t.Errorf("agent changes keep the link: %+v", st)
	}
}

func TestAgentStateChangeDuringTheSnapshotIsNotLost(t *testing.T) {
	h := startHarness(t, Config{})
	h.waitStatus("logged out", func(s providers.Status) bool { return s.Agent == "Logged Out" })
	// The agent turns Ready while the device list (read just before) is on
	// its way: the list is older than the message and must not undo it.
	var once sync.Once
	h.gws.SetListGate(func(list string) {
		if list != gwstest.ListDevices {
			return
		}
		once.Do(func() {
			h.gws.SetListGate(nil)
			must(t, h.gws.SetAgentState("Ready", "Ready", false))
			h.feed.settle(t)
		})
	})
	st := h.resyncUntilLive()
	if st.Agent != "Ready" {
		t.Fatalf("after the lists the agent shows as %q, want Ready (the newer message)", st.Agent)
	}
}

func TestLoginFailingWhileANewerReadGoesIsRetried(t *testing.T) {
	// The first login is slow and then fails (GWS briefly unwell) while a
	// resync has started a newer read of the lists: the login is tried again
	// rather than forgotten with the read it rode on.
	gws := gwstest.New(gwstest.Options{User: testUser, Password: testPassword})
	loginArrived, loginFail := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	first.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/api/v2/me" {
			body, _ := io.ReadAll(r.Body)
			if strings.Contains(string(body), "StartContactCenterSession") && first.CompareAndSwap(true, false) {
				close(loginArrived)
				<-loginFail
				http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		gws.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	gws.SetBaseURL(srv.URL)
	h := newHarness(t, gws, srv)
	h.feed = newFakeFeed()
	gws.SetPublish(h.feed.publish)
	h.p = newTestProvider(t, srv.URL, Config{Login: true})
	h.p.newFeed = func() feed { return h.feed }
	h.run()
	select {
	case <-loginArrived:
	case <-time.After(testWait):
		t.Fatal("no login")
	}
	h.resync()
	h.waitStatus("live on the newer read", func(s providers.Status) bool { return s.Link == providers.LinkLive })
	close(loginFail)
	h.waitStatus("logged in after all", func(s providers.Status) bool { return s.Agent == "Not Ready" })
	if logins, _ := gws.Logins(); len(logins) != 1 {
		t.Fatalf("logins: %+v", logins)
	}
}

func TestLoginAfterSubscribingAndLogoutAfterDisconnect(t *testing.T) {
	gws, srv := newGWS(t, gwstest.Options{})
	h := newHarness(t, gws, srv)
	h.feed = newFakeFeed()
	gws.SetPublish(h.feed.publish)
	h.p = newTestProvider(t, srv.URL, Config{Login: true, Place: "SIP_Server_Place1"})
	var logoutsAtDisconnect atomic.Int32
	logoutsAtDisconnect.Store(-1)
	h.p.newFeed = func() feed {
		return feedFunc(func(ctx context.Context, out chan<- notice) error {
			err := h.feed.run(ctx, out)
			_, n := gws.Logins()
			logoutsAtDisconnect.Store(int32(n))
			return err
		})
	}
	h.run()
	h.waitStatus("logged in", func(s providers.Status) bool { return s.Agent == "Not Ready" })
	logins, _ := gws.Logins()
	if len(logins) != 1 || logins[0].Place != "SIP_Server_Place1" || strings.Join(logins[0].Channels, ",") != "voice" {
		t.Fatalf("logins: %+v", logins)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if _, logouts := gws.Logins(); logouts != 1 {
		t.Errorf("logouts at quit: %d", logouts)
	}
	if n := logoutsAtDisconnect.Load(); n != 0 {
		t.Errorf("the logout must come after the notification session ended (logouts then: %d)", n)
	}
	// Logout ended the HTTP session; a later one-shot command logs in
	// afresh through the CSRF refresh.
	gws.Put(gwstest.QueueCall("AFTER", "5125", "9000"))
	if err := h.p.Reject(context.Background(), "AFTER", ""); err != nil {
		t.Errorf("one-shot reject after logout: %v", err)
	}
}

// feedFunc adapts a function to the feed interface.
type feedFunc func(ctx context.Context, out chan<- notice) error

func (f feedFunc) run(ctx context.Context, out chan<- notice) error { return f(ctx, out) }

func TestLoginRefusedFailsRun(t *testing.T) {
	gws, srv := newGWS(t, gwstest.Options{})
	h := newHarness(t, gws, srv)
	h.feed = newFakeFeed()
	h.p = newTestProvider(t, srv.URL, Config{Login: true})
	h.p.newFeed = func() feed { return h.feed }
	// Every POST is refused with statusCode 3 by a wrapper.
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"statusCode":3,"statusMessage":"Agent login forbidden"}`))
			return
		}
		gws.ServeHTTP(w, r)
	})
	h.run()
	st := h.waitStatus("failed", func(s providers.Status) bool { return s.Link == providers.LinkFailed })
	if !strings.Contains(st.Detail, "agent login") || !strings.Contains(st.Detail, "Agent login forbidden") {
		t.Errorf("failed status should say the login was refused: %q", st.Detail)
	}
	if err := h.ended(); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("Run error: %v", err)
	}
}

func TestWrongPasswordFailsAtOnce(t *testing.T) {
	_, srv := newGWS(t, gwstest.Options{})
	p := newTestProvider(t, srv.URL, Config{})
	p.s.password = "wrong"
	p.rest = newRESTClient(p.s, p.opts.Log)
	p.newFeed = func() feed { return newFakeFeed() }
	sink := make(chan providers.Event, 16)
	err := p.Run(context.Background(), sink)
	var auth *AuthError
	if !errors.As(err, &auth) {
		t.Fatalf("Run with a wrong password: %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the password must never appear in errors: %v", err)
	}
	var last providers.Status
	for len(sink) > 0 {
		if ev := <-sink; ev.Status != nil {
			last = *ev.Status
		}
	}
	if last.Link != providers.LinkFailed || !strings.Contains(last.Detail, "ksippo") {
		t.Errorf("final status: %+v", last)
	}
}

// outage is a handler that can drop every connection, like a GWS that has
// vanished.
type outage struct {
	next http.Handler
	down atomic.Bool
}

func (o *outage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if o.down.Load() {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	o.next.ServeHTTP(w, r)
}

func TestGWSVanishingMidStream(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.QueueCall("V1", "5125", "9000"))
	h.waitState("V1", providers.StateRinging)
	o := &outage{next: h.gws}
	h.srv.Config.Handler = o
	o.down.Store(true)

	err := h.p.Answer(context.Background(), "V1")
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("answer while GWS is gone: %v", err)
	}
	h.resync()
	st := h.waitStatus("reading failed", func(s providers.Status) bool {
		return s.Link == providers.LinkReconnecting && strings.Contains(s.Detail, "trying again")
	})
	if !strings.Contains(st.Detail, "unreachable") {
		t.Errorf("status should say why: %q", st.Detail)
	}
	// Messages keep arriving meanwhile; they are held, not lost.
	must(t, h.gws.Change("V1", func(c *gwstest.Call) { c.State, c.Capabilities = "Established", gwstest.EstablishedCapabilities }, true, ""))
	time.Sleep(50 * time.Millisecond)
	if c, _ := h.call("V1"); c.State != providers.StateRinging {
		t.Fatalf("messages are applied only after the list: %s", c.State)
	}
	o.down.Store(false)
	h.waitStatus("live again", func(s providers.Status) bool { return s.Link == providers.LinkLive })
	h.waitState("V1", providers.StateActive)
}

func TestFeedGivingUpFailsRun(t *testing.T) {
	h := startHarness(t, Config{})
	h.feed.stop <- errors.New("the server said reconnect: none")
	st := h.waitStatus("failed", func(s providers.Status) bool { return s.Link == providers.LinkFailed })
	if !strings.Contains(st.Detail, "reconnect: none") {
		t.Errorf("failed status: %q", st.Detail)
	}
	if err := h.ended(); err == nil {
		t.Error("Run should return the feed's reason")
	}
}

func TestRunTwiceIsRefused(t *testing.T) {
	h := startHarness(t, Config{})
	if err := h.p.Run(context.Background(), make(chan providers.Event)); err == nil {
		t.Fatal("a second Run while the first goes must be refused")
	}
}
