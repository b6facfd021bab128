package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/genesys/gwstest"
)

// controlsGWS is a fake GWS with CSRF protection, a REST client for it, and
// the notifications it publishes.
type controlsGWS struct {
	gws    *gwstest.Server
	client *restClient
	mu     sync.Mutex
	notes  []published
	more   chan struct{}
}

type published struct {
	Channel string
	Data    map[string]any
}

func newControlsGWS(t *testing.T, calls ...gwstest.Call) *controlsGWS {
	t.Helper()
	g := &controlsGWS{more: make(chan struct{}, 64)}
	gws, srv := newGWS(t, gwstest.Options{Publish: func(channel string, data []byte) error {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		g.mu.Lock()
		g.notes = append(g.notes, published{channel, m})
		g.mu.Unlock()
		g.more <- struct{}{}
		return nil
	}})
	for _, c := range calls {
		gws.Put(c)
	}
	s, err := Config{URL: srv.URL, User: testUser}.resolve(env(map[string]string{PasswordEnv: testPassword}))
	if err != nil {
		t.Fatal(err)
	}
	g.gws, g.client = gws, newRESTClient(s, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return g
}

// next waits for the next notification.
func (g *controlsGWS) next(t *testing.T) published {
	t.Helper()
	select {
	case <-g.more:
	case <-time.After(testWait):
		t.Fatal("no notification")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.notes[len(g.notes)-1]
}

// lastPost checks the last POST the fake received: its path, its exact
// body, and that it carried the CSRF token of the session (the fake
// answers 403 to a POST without it).
func (g *controlsGWS) lastPost(t *testing.T, path, body string) {
	t.Helper()
	reqs := g.gws.Requests()
	r := reqs[len(reqs)-1]
	if r.Method != http.MethodPost || r.Path != path {
		t.Fatalf("last request %s %s, want POST %s", r.Method, r.Path, path)
	}
	if string(r.Body) != body {
		t.Fatalf("body %s, want exactly %s", r.Body, body)
	}
	if r.CSRF == "" || r.Status != http.StatusOK || !r.Authorized {
		t.Fatalf("CSRF %q, status %d, authorized %v", r.CSRF, r.Status, r.Authorized)
	}
}

func callOf(t *testing.T, p published) map[string]any {
	t.Helper()
	if p.Channel != gwstest.ChannelCalls || p.Data["messageType"] != "CallStateChangeMessage" {
		t.Fatalf("not a call message: %+v", p)
	}
	return p.Data["call"].(map[string]any)
}

func caps(c map[string]any) []string {
	var out []string
	for _, x := range c["capabilities"].([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestHoldAndRetrieve(t *testing.T) {
	g := newControlsGWS(t, gwstest.ActiveCall("C1", "+14255550100"))
	ctx := context.Background()
	path := "/api/v2/me/calls/C1"

	if err := g.client.hold(ctx, "C1"); err != nil {
		t.Fatal(err)
	}
	g.lastPost(t, path, `{"operationName":"Hold"}`)
	held := callOf(t, g.next(t))
	if held["state"] != "Held" || !slices.Equal(caps(held), gwstest.HeldCapabilities) {
		t.Fatalf("after Hold: %v %v", held["state"], caps(held))
	}

	if err := g.client.retrieve(ctx, "C1"); err != nil {
		t.Fatal(err)
	}
	g.lastPost(t, path, `{"operationName":"Retrieve"}`)
	back := callOf(t, g.next(t))
	if back["state"] != "Established" || !slices.Contains(caps(back), "Hold") {
		t.Fatalf("after Retrieve: %v %v", back["state"], caps(back))
	}

	// Retrieve on an established call is not in its capabilities.
	err := g.client.retrieve(ctx, "C1")
	if !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "resume C1") {
		t.Fatalf("retrieve when not held: %v", err)
	}
}

func TestCSRFTokenRefreshedForAControl(t *testing.T) {
	g := newControlsGWS(t, gwstest.ActiveCall("C1", "+14255550100"))
	if err := g.client.hold(context.Background(), "C1"); err != nil {
		t.Fatal(err)
	}
	g.gws.RotateCSRF()
	if err := g.client.retrieve(context.Background(), "C1"); err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for _, r := range posts(g.gws, "/api/v2/me/calls/C1") {
		statuses = append(statuses, r.Status)
	}
	if !slices.Equal(statuses, []int{200, 403, 200}) {
		t.Fatalf("POST statuses %v: a stale token must be fetched again and the request sent once more", statuses)
	}
}

func TestSingleStepTransfer(t *testing.T) {
	g := newControlsGWS(t, gwstest.ActiveCall("C1", "+14255550100"), gwstest.ActiveCall("C2", "+14255550101"),
		gwstest.QueueCall("R1", "+14255550102", "9000"))
	ctx := context.Background()
	ana := providers.Target{Name: "Ana Ribeiro", Kind: providers.TargetUser, GraphID: "550fae72-d251-43ec-868c-373732c2704f", GenesysNumber: "5002"}
	if err := g.client.singleStepTransfer(ctx, "C1", ana); err != nil {
		t.Fatal(err)
	}
	g.lastPost(t, "/api/v2/me/calls/C1", `{"operationName":"SingleStepTransfer","destination":{"phoneNumber":"5002"}}`)
	gone := callOf(t, g.next(t))
	if gone["state"] != "Released" || len(caps(gone)) != 0 {
		t.Fatalf("after the transfer: %v %v", gone["state"], caps(gone))
	}

	// A number without a switch number is dialled as E.164.
	paris := providers.Target{Name: "Paris", Kind: providers.TargetPhone, Phone: "+33155550123"}
	if err := g.client.singleStepTransfer(ctx, "C2", paris); err != nil {
		t.Fatal(err)
	}
	g.lastPost(t, "/api/v2/me/calls/C2", `{"operationName":"SingleStepTransfer","destination":{"phoneNumber":"+33155550123"}}`)
	if got := g.gws.Transfers(); !reflect.DeepEqual(got, []gwstest.Transfer{{CallID: "C1", Destination: "5002"}, {CallID: "C2", Destination: "+33155550123"}}) {
		t.Fatalf("transfers %+v", got)
	}

	// A ringing call cannot be transferred: GWS's words come back.
	err := g.client.singleStepTransfer(ctx, "R1", paris)
	var se *StatusError
	if !errors.Is(err, providers.ErrNotAllowed) || !errors.As(err, &se) || se.Code != 2 || !strings.Contains(err.Error(), "transfer R1 to Paris") {
		t.Fatalf("ringing: %v", err)
	}

	// Targets GWS cannot dial are not sent.
	before := len(g.gws.Requests())
	for _, to := range []providers.Target{
		{Name: "Teams only", Kind: providers.TargetUser, GraphID: "550fae72-d251-43ec-868c-373732c2704f"},
		{Name: "Bad", Kind: providers.TargetPhone, GenesysNumber: "50 02"},
	} {
		if err := g.client.singleStepTransfer(ctx, "C2", to); !errors.Is(err, providers.ErrBadTarget) {
			t.Errorf("%+v: %v", to, err)
		}
	}
	if err := g.client.singleStepTransfer(ctx, "..", paris); !errors.Is(err, providers.ErrBadCallID) {
		t.Errorf("bad id: %v", err)
	}
	if n := len(g.gws.Requests()); n != before {
		t.Fatalf("%d requests sent for targets GWS cannot dial", n-before)
	}
}

func TestAgentStateOperations(t *testing.T) {
	g := newControlsGWS(t)
	ctx := context.Background()
	cases := []struct {
		op, body        string
		state, workMode string
		display, reason string
	}{
		{OpReady, `{"operationName":"Ready"}`, "Ready", "", "Ready", ""},
		// NotReady carries no reason field: the reason is its own operation.
		{OpNotReady, `{"operationName":"NotReady"}`, "NotReady", "", "Not Ready", ""},
		{OpAfterCallWork, `{"operationName":"AfterCallWork"}`, "NotReady", "AfterCallWork", "AfterCallWork", ""},
		{"OutToLunch", `{"operationName":"OutToLunch"}`, "NotReady", "AuxWork", "Out to Lunch", "Lunch"},
	}
	for _, tc := range cases {
		if err := g.client.setAgentState(ctx, tc.op); err != nil {
			t.Fatalf("%s: %v", tc.op, err)
		}
		g.lastPost(t, "/api/v2/me/channels/voice", tc.body)
		note := g.next(t)
		if note.Channel != gwstest.ChannelDevices || note.Data["messageType"] != "DeviceStateChangeMessage" {
			t.Fatalf("%s: %+v", tc.op, note)
		}
		us := note.Data["devices"].([]any)[0].(map[string]any)["userState"].(map[string]any)
		want := map[string]any{"state": tc.state, "displayName": tc.display}
		if tc.workMode != "" {
			want["workMode"] = tc.workMode
		}
		if tc.reason != "" {
			want["reason"] = tc.reason
		}
		delete(us, "id")
		if !reflect.DeepEqual(us, want) {
			t.Errorf("%s: userState %v, want %v", tc.op, us, want)
		}
		// The provider's own decoder reads the message the fake sent.
		raw, _ := json.Marshal(note.Data["devices"])
		devices, err := decodeDevices(raw)
		if err != nil || devices[0].UserState != tc.state || devices[0].WorkMode != tc.workMode {
			t.Errorf("%s: decoded %+v %v", tc.op, devices, err)
		}
	}

	// A state GWS does not know is refused in its words, and a name that
	// is not an operation name is not sent.
	if err := g.client.setAgentState(ctx, "Sleeping"); !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "agent state Sleeping") {
		t.Fatalf("unknown state: %v", err)
	}
	before := len(g.gws.Requests())
	for _, bad := range []string{"", "Not Ready", `Ready","reason":"x`, strings.Repeat("A", 65)} {
		if err := g.client.setAgentState(ctx, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if n := len(g.gws.Requests()); n != before {
		t.Fatalf("%d requests for bad names", n-before)
	}
	if got := g.gws.AgentStateChanges(); !slices.Equal(got, []string{"Ready", "NotReady", "AfterCallWork", "OutToLunch"}) {
		t.Fatalf("accepted %v", got)
	}
}

func TestFakeRefusesAReasonOnNotReady(t *testing.T) {
	// The fake is strict: a client that sent a reason with NotReady (GWS
	// documents none) would be caught by the tests above.
	g := newControlsGWS(t)
	err := g.client.post(context.Background(), voiceChannelPath, map[string]string{"operationName": "NotReady", "reason": "Lunch"}, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 10 {
		t.Fatalf("%v", err)
	}
}

func TestConfiguredAgentStates(t *testing.T) {
	g := newControlsGWS(t)
	states, err := g.client.agentStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []AgentStateOption{
		{OperationName: "OutToLunch", DisplayName: "Out to Lunch", State: "NotReady", WorkMode: "AuxWork"},
		{OperationName: "Meeting", DisplayName: "Meeting", State: "NotReady", WorkMode: "AuxWork"},
		{OperationName: "Training", DisplayName: "Training", State: "NotReady", WorkMode: "AuxWork"},
	}
	if !reflect.DeepEqual(states, want) {
		t.Fatalf("states %+v", states)
	}
	// Every listed state can be posted by its operationName.
	for _, s := range states {
		if err := g.client.setAgentState(context.Background(), s.OperationName); err != nil {
			t.Fatalf("%s: %v", s.OperationName, err)
		}
	}
	if o, ok := FindAgentState(append(slices.Clone(SystemAgentStates), states...), "out to lunch"); !ok || o.OperationName != "OutToLunch" {
		t.Fatalf("by display name: %+v %v", o, ok)
	}
	if o, ok := FindAgentState(states, " meeting "); !ok || o.OperationName != "Meeting" {
		t.Fatalf("by operation name: %+v %v", o, ok)
	}
	if _, ok := FindAgentState(states, "Lunch"); ok {
		t.Fatal("a reason is not an operation")
	}
}

func TestConfiguredAgentStatesSkipWhatCannotBePosted(t *testing.T) {
	client, _ := rawGWS(t, testPassword, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != agentStatesPath {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"statusCode":0,"settings":[
			{"operationName":"OutToLunch","displayName":"Out to \u001b[2JLunch"},
			{"operationName":"OutToLunch","displayName":"again"},
			{"displayName":"no operation"},
			{"operationName":"bad name"},
			{"operationName":42},
			"not an object",
			{"operationName":"Break"}
		]}`)
	})
	states, err := client.agentStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []AgentStateOption{{OperationName: "OutToLunch", DisplayName: "Out to Lunch"}, {OperationName: "Break", DisplayName: "Break"}}
	if !reflect.DeepEqual(states, want) {
		t.Fatalf("%+v", states)
	}

	empty, _ := rawGWS(t, testPassword, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"statusCode":0,"settings":{"not":"a list"}}`)
	})
	if _, err := empty.agentStates(context.Background()); err == nil || !strings.Contains(err.Error(), "not an array") {
		t.Fatalf("%v", err)
	}
}

// The wire tests drive the operations through these: operate and
// transferTo are what the provider sends (provider.go, through its
// confirmation path); the wrappers only add the words of a direct call.

// hold puts an established call on hold ({"operationName":"Hold"}). GWS
// answers statusCode 0 before the switch acts; the call then reports Held.
func (c *restClient) hold(ctx context.Context, id string) error {
	if err := c.operate(ctx, id, opHold); err != nil {
		return fmt.Errorf("hold %s: %w", id, err)
	}
	return nil
}

// retrieve takes a held call back ({"operationName":"Retrieve"}); the call
// then reports Established.
func (c *restClient) retrieve(ctx context.Context, id string) error {
	if err := c.operate(ctx, id, opRetrieve); err != nil {
		return fmt.Errorf("resume %s: %w", id, err)
	}
	return nil
}

// singleStepTransfer hands a call over to target without consulting it
// ({"operationName":"SingleStepTransfer","destination":{"phoneNumber":…}}).
// On success the call reports Released with no capabilities, exactly like a
// hang-up: the caller must remember that it asked for a transfer.
func (c *restClient) singleStepTransfer(ctx context.Context, id string, to providers.Target) error {
	number, err := genesysDestination(to)
	if err != nil {
		return fmt.Errorf("transfer %s: %w", id, err)
	}
	if err := c.transferTo(ctx, id, number); err != nil {
		if errors.Is(err, providers.ErrBadCallID) {
			return fmt.Errorf("transfer: %w", err)
		}
		return fmt.Errorf("transfer %s to %s: %w", id, to, err)
	}
	return nil
}

// GWS dials the switch's own number first, else the E.164 number; a
// Teams-only target has nothing for it to dial.
func TestAddressIsTheNumberGWSDials(t *testing.T) {
	p := new(Provider)
	for _, c := range []struct {
		to   providers.Target
		want string
	}{
		{providers.Target{Name: "Reception", Kind: providers.TargetPhone, Phone: "+14255550100", GenesysNumber: "914255550100"}, "914255550100"},
		{providers.Target{Name: "Paris", Kind: providers.TargetPhone, Phone: "+33155550123"}, "+33155550123"},
		{providers.Target{Name: "Desk", Kind: providers.TargetUser, GenesysNumber: "5002"}, "5002"},
	} {
		if got, err := p.Address(c.to); err != nil || got != c.want {
			t.Errorf("%+v: %q, %v; want %q", c.to, got, err, c.want)
		}
	}
	bot := providers.Target{Name: "Bot", Kind: providers.TargetApplication, GraphID: "550fae72-d251-43ec-868c-373732c2704f"}
	if got, err := p.Address(bot); !errors.Is(err, providers.ErrBadTarget) {
		t.Errorf("a Teams-only target: %q, %v; want ErrBadTarget", got, err)
	}
}
