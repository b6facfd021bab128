package graph

import (
	"bufio"
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
	"ringside/providers/graph/notification"
)

var ringingCaps = providers.Caps(providers.ActionAnswer, providers.ActionReject, providers.ActionRedirect)

func TestNameAndReasons(t *testing.T) {
	h := newHarness(t, setup{noRun: true})
	if h.p.Name() != "graph" {
		t.Fatalf("name %q", h.p.Name())
	}
	want := []providers.RejectReason{providers.ReasonNone, providers.ReasonBusy, providers.ReasonForbidden}
	got := h.p.RejectReasons()
	if !slices.Equal(got, want) {
		t.Fatalf("reasons %v", got)
	}
	got[0] = "changed"
	if h.p.RejectReasons()[0] != providers.ReasonNone {
		t.Fatal("RejectReasons must return a copy")
	}
	var _ providers.Provider = h.p
}

func TestSeedIncomingRingsWithCountdown(t *testing.T) {
	h := newHarness(t, setup{})
	arrival := time.Now().Truncate(time.Second)
	h.clock.Set(arrival)
	h.post(graphtest.Notification("seed000-incoming.json"))
	c := h.call()
	want := providers.Call{
		ID: graphtest.SeedCallIDOld, Provider: "graph", State: providers.StateRinging, Direction: providers.Incoming,
		From:       providers.Party{Name: "Test User", ID: "8A34A46B-3D17-4ADC-8DCE-DC4E7D572698", Kind: providers.KindUser},
		To:         providers.Party{Name: "Test BOT", ID: "8A34A46B-3D17-4ADC-8DCE-DC4E7D572698", Kind: providers.KindApplication},
		Modalities: []string{"audio", "video"}, Region: "westus",
		Arrived: arrival, AnswerBy: arrival.Add(15 * time.Second), Caps: ringingCaps, Version: 1,
	}
	if !equalCall(c, want) {
		t.Fatalf("got  %+v\nwant %+v", c, want)
	}
	if !c.Can(providers.ActionAnswer) || !c.Can(providers.ActionReject) || c.Can(providers.ActionHangup) {
		t.Fatal("a ringing call can be answered or rejected, not hung up")
	}
	if r := c.Remaining(arrival.Add(5 * time.Second)); r != 10*time.Second {
		t.Fatalf("countdown: %v left after 5 s", r)
	}
}

func TestAnswerWindowOption(t *testing.T) {
	h := newHarness(t, setup{options: func(o *providers.Options) { o.AnswerWindow = 5 * time.Second }})
	h.post(graphtest.Notification("doc-incoming-current.json"))
	c := h.call()
	if c.ID != graphtest.SeedCallID || c.AnswerBy.Sub(c.Arrived) != 5*time.Second {
		t.Fatalf("%+v", c)
	}
	if c.From.Name != "John" || c.To.Name != "Calling Bot" {
		t.Fatalf("parties %+v %+v", c.From, c.To)
	}
}

func equalCall(a, b providers.Call) bool {
	return a.ID == b.ID && a.Provider == b.Provider && a.State == b.State && a.Direction == b.Direction &&
		a.From == b.From && a.To == b.To && slices.Equal(a.Modalities, b.Modalities) && a.Region == b.Region &&
		a.Arrived.Equal(b.Arrived) && a.AnswerBy.Equal(b.AnswerBy) && a.Answered.Equal(b.Answered) &&
		a.Ended.Equal(b.Ended) && a.End == b.End && a.Caps == b.Caps && a.Outcome == b.Outcome && a.Version == b.Version
}

func TestRejectBusyEndToEnd(t *testing.T) {
	h := newHarness(t, setup{})
	h.post(graphtest.Notification("seed000-incoming.json"))
	ringing := h.call()
	if err := h.p.Reject(context.Background(), ringing.ID, providers.ReasonBusy); err != nil {
		t.Fatal(err)
	}
	reqs := h.srv.API.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests reached Graph", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v1.0/communications/calls/"+graphtest.SeedCallIDOld+"/reject" {
		t.Fatalf("%s %s", r.Method, r.Path)
	}
	if string(r.Body) != `{"reason":"busy"}` {
		t.Fatalf("body %q", r.Body)
	}
	h.post(graphtest.Notification("seed000-deleted.json"))
	ended := h.call()
	if ended.State != providers.StateEnded || ended.Outcome != providers.OutcomeRejected || ended.Result() != providers.OutcomeRejected {
		t.Fatalf("%+v", ended)
	}
	if ended.End.Text != "Rejected as busy." || ended.Caps != 0 || ended.Ended.IsZero() || ended.Version != 2 {
		t.Fatalf("%+v", ended)
	}
}

func TestRejectOutcomeWhenTheEndOvertakesTheReply(t *testing.T) {
	h := newHarness(t, setup{})
	d := graphtest.NewDriver(h.srv.Fake, h.url(), h.srv.Options.ClientID, nil)
	d.Pause = 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.React(ctx) // the fake posts "deleted" the moment it has accepted the reject
	h.post(graphtest.Notification("doc-incoming-current.json"))
	c := h.call()
	if err := h.p.Reject(context.Background(), c.ID, providers.ReasonForbidden); err != nil {
		t.Fatal(err)
	}
	ended := h.call()
	if ended.Result() != providers.OutcomeRejected || ended.End.Text != "Rejected as forbidden." {
		t.Fatalf("%+v", ended)
	}
}

func TestAnswerHoldHangUpAndEndReason(t *testing.T) {
	h := newHarness(t, setup{config: func(c *Config) { c.CallbackURL = "https://bot.contoso.com/api/calls" }})
	t0 := time.Now().Truncate(time.Second)
	h.clock.Set(t0)
	h.post(graphtest.Notification("doc-incoming-current.json"))
	id := h.call().ID
	if err := h.p.Answer(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if b := string(h.srv.API.Requests()[0].Body); !strings.Contains(b, `"callbackUri":"https://bot.contoso.com/api/calls"`) {
		t.Fatalf("answer body %s", b)
	}
	h.post(graphtest.StateChange(id, "updated", "establishing", nil))
	if c := h.call(); c.State != providers.StateConnecting || !c.Answered.IsZero() {
		t.Fatalf("%+v", c)
	}
	h.clock.Set(t0.Add(3 * time.Second))
	h.post(graphtest.StateChange(id, "updated", "established", nil))
	c := h.call()
	if c.State != providers.StateActive || !c.Answered.Equal(t0.Add(3*time.Second)) || !c.Can(providers.ActionHangup) ||
		c.Caps != providers.Caps(providers.ActionHangup, providers.ActionTransfer) {
		t.Fatalf("%+v", c)
	}
	h.post(graphtest.StateChange(id, "updated", "hold", nil))
	if c := h.call(); c.State != providers.StateHeld {
		t.Fatalf("%+v", c)
	}
	h.post(graphtest.StateChange(id, "updated", "Established", nil))
	if c := h.call(); c.State != providers.StateActive {
		t.Fatalf("held → active: %+v", c)
	}
	if err := h.p.Hangup(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if r := h.srv.API.Requests()[1]; r.Method != "DELETE" || r.Path != "/v1.0/communications/calls/"+id {
		t.Fatalf("%s %s", r.Method, r.Path)
	}
	h.post(graphtest.Notification("seed003-terminating.json"))
	if c := h.call(); c.State != providers.StateEnding || c.Caps != 0 {
		t.Fatalf("%+v", c)
	}
	h.clock.Set(t0.Add(60 * time.Second))
	h.post(graphtest.Notification("seed003-terminated.json"))
	c = h.call()
	want := providers.EndReason{Code: 200, Subcode: 5001, Text: "The conversation has ended."}
	if c.State != providers.StateEnded || c.End != want || c.Result() != providers.OutcomeHandled {
		t.Fatalf("%+v", c)
	}
	if c.Duration(t0.Add(time.Hour)) != 57*time.Second {
		t.Fatalf("duration %v", c.Duration(t0.Add(time.Hour)))
	}
}

func TestOldShapeTermination(t *testing.T) {
	h := newHarness(t, setup{})
	h.post(graphtest.Notification("seed000-incoming.json"))
	h.call()
	h.post(graphtest.Notification("seed002-terminating.json"))
	if c := h.call(); c.State != providers.StateEnding {
		t.Fatalf("%+v", c)
	}
	h.post(graphtest.Notification("seed002-terminated.json"))
	c := h.call()
	if c.State != providers.StateEnded || c.End != (providers.EndReason{Text: "AppInitiated"}) || c.Result() != providers.OutcomeMissed {
		t.Fatalf("%+v", c)
	}
}

func TestDeletedWithoutReason(t *testing.T) {
	h := newHarness(t, setup{})
	h.post(graphtest.Notification("seed000-incoming.json"))
	h.call()
	h.post(graphtest.Notification("seed000-deleted.json"))
	c := h.call()
	if c.State != providers.StateEnded || c.End.Text != textNoReason || c.Result() != providers.OutcomeMissed {
		t.Fatalf("%+v", c)
	}
}

func TestBothSpellingsAreOneCall(t *testing.T) {
	h := newHarness(t, setup{})
	h.post(graphtest.Notification("seed000-incoming.json")) // /app/calls/57DAB8B1…
	h.call()
	h.post(graphtest.Notification("seed003-terminated.json")) // /communications/calls/57dab8b1-…
	c := h.call()
	if c.ID != graphtest.SeedCallIDOld || c.State != providers.StateEnded || c.Version != 2 || c.End.Subcode != 5001 {
		t.Fatalf("the two spellings must be one call: %+v", c)
	}
	if len(h.p.ledger.Live()) != 0 {
		t.Fatalf("live calls left: %+v", h.p.ledger.Live())
	}
}

func TestEndReasonFallbacks(t *testing.T) {
	h := newHarness(t, setup{})
	ids := []string{graphtest.NewCallID(), graphtest.NewCallID(), graphtest.NewCallID(), graphtest.NewCallID()}
	cases := []struct {
		result *graphtest.ResultInfo
		want   providers.EndReason
		shown  string
	}{
		{&graphtest.ResultInfo{Code: 480, Subcode: 10199, Message: "something else"},
			providers.EndReason{Code: 480, Subcode: 10199, Text: "Call rejected as private calling is disabled for the user."},
			"Call rejected as private calling is disabled for the user. (480/10199)"},
		{&graphtest.ResultInfo{Code: 500, Subcode: 7106, Message: "Server Internal Error. DiagCode: 3003#7106.@"},
			providers.EndReason{Code: 500, Subcode: 7106, Text: "Server Internal Error. DiagCode: 3003#7106.@"},
			"Server Internal Error. DiagCode: 3003#7106.@ (500/7106)"},
		{&graphtest.ResultInfo{Code: "408", Subcode: "13025"},
			providers.EndReason{Code: 408, Subcode: 13025}, "code 408/13025"},
		{&graphtest.ResultInfo{Code: 200, Subcode: 560000},
			providers.EndReason{Code: 200, Subcode: 560000, Text: "Call ended by the PSTN User."}, "Call ended by the PSTN User. (200/560000)"},
	}
	for i, tc := range cases {
		h.post(graphtest.StateChange(ids[i], "deleted", "Terminated", tc.result))
		c := h.call()
		if c.End != tc.want || c.End.String() != tc.shown {
			t.Errorf("%d: %+v %q", i, c.End, c.End.String())
		}
	}
}

// TestEndReasonTableIsTheSeeds checks every row of seed 003's end-reason
// table, as the seed words it, against the provider's table.
func TestEndReasonTableIsTheSeeds(t *testing.T) {
	f, err := os.Open("testdata/seed003-end-reasons.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), " ", 3)
		code, err := strconv.Atoi(fields[0])
		if err != nil {
			t.Fatalf("row %q", sc.Text())
		}
		for _, sub := range strings.Split(fields[1], "/") {
			subcode, err := strconv.Atoi(sub)
			if err != nil {
				t.Fatalf("row %q", sc.Text())
			}
			rows++
			data := &notification.Call{ResultInfo: &notification.ResultInfo{Code: code, Subcode: subcode, Message: "fallback"}}
			got := endReason(data, "")
			if got.Text != fields[2] || got.Code != code || got.Subcode != subcode {
				t.Errorf("%d/%d: %q, want the seed's %q", code, subcode, got.Text, fields[2])
			}
		}
	}
	if rows != len(endWords) || rows != 30 {
		t.Fatalf("%d seed rows, %d table entries", rows, len(endWords))
	}
}

func TestDuplicatesAndOutOfOrder(t *testing.T) {
	h := newHarness(t, setup{})
	id := graphtest.NewCallID()
	incoming := graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id)
	h.post(incoming)
	if c := h.call(); c.Version != 1 {
		t.Fatalf("%+v", c)
	}
	h.post(incoming) // duplicate
	h.quiet()
	h.post(graphtest.StateChange(id, "updated", "established", nil))
	if c := h.call(); c.State != providers.StateActive || c.Version != 2 {
		t.Fatalf("%+v", c)
	}
	h.post(graphtest.StateChange(id, "updated", "establishing", nil)) // late
	h.post(graphtest.StateChange(id, "updated", "established", nil))  // duplicate
	h.post(incoming)                                                  // very late
	h.quiet()
	h.post(graphtest.StateChange(id, "deleted", "terminated", &graphtest.ResultInfo{Code: 200, Subcode: 4097}))
	c := h.call()
	if c.State != providers.StateEnded || c.Version != 3 || c.End.Subcode != 4097 {
		t.Fatalf("%+v", c)
	}
	// Nothing brings it back.
	h.post(graphtest.StateChange(id, "updated", "established", nil))
	h.post(graphtest.StateChange(id, "deleted", "terminated", &graphtest.ResultInfo{Code: 200, Subcode: 5001}))
	h.post(incoming)
	h.quiet()
	if got, _ := h.p.ledger.Get(id); got.Version != 3 || got.End.Subcode != 4097 {
		t.Fatalf("ended call changed: %+v", got)
	}
}

func TestNeverSeenCallIsCreated(t *testing.T) {
	h := newHarness(t, setup{})
	h.post(graphtest.Notification("field-both-resources.json"))
	c := h.call()
	if c.ID != "811f5c00-0e32-48ce-9f27-8d77b9892453" || c.State != providers.StateActive || c.Answered.IsZero() || !c.AnswerBy.IsZero() {
		t.Fatalf("%+v", c)
	}
	h.post(graphtest.Notification("field-terminated-numeric.json"))
	c = h.call()
	if c.State != providers.StateEnded || c.End.Code != 500 || c.End.Subcode != 7106 || c.Result() != providers.OutcomeHandled {
		t.Fatalf("%+v", c)
	}
	// A first notification with no state it can place is shown as
	// connecting, not as a ringing call to answer.
	h.post(graphtest.StateChange("late-joiner", "updated", "unknownFutureValue", nil))
	if c := h.call(); c.State != providers.StateConnecting {
		t.Fatalf("%+v", c)
	}
}

func TestRosterAndOperationsAreIgnored(t *testing.T) {
	h := newHarness(t, setup{})
	h.post(graphtest.Notification("doc-participants.json"))
	h.post([]byte(`{"value":[{"changeType":"deleted","resourceUrl":"/communications/calls/x/operations/o1","resourceData":{"status":"completed"}},
		{"changeType":"updated","resourceUrl":"/communications/callRecords/r"}]}`))
	h.quiet()
}

func TestPartiesAndIdentities(t *testing.T) {
	h := newHarness(t, setup{})
	h.post(graphtest.Notification("doc-incoming-pstn-instance.json"))
	c := h.call()
	if c.From != (providers.Party{ID: "+12345678901", Kind: providers.KindPhone}) || c.From.String() != "+12345678901" {
		t.Fatalf("caller %+v", c.From)
	}
	if c.To.Name != "PstnAppInstance" || c.To.Kind != providers.KindApplication || c.Region != "amer" {
		t.Fatalf("%+v", c)
	}
	h.post(graphtest.Notification("field-encrypted-caller.json"))
	c = h.call()
	if c.From.Name != EncryptedCaller || c.From.ID != "" || c.From.String() != EncryptedCaller {
		t.Fatalf("encrypted caller must be said plainly: %+v", c.From)
	}
	if !h.logContains("Calls.") {
		t.Fatal("no hint about the missing permission in the log")
	}
	guest := `{"value":[{"changeType":"created","resourceUrl":"/communications/calls/g","resourceData":{"state":"incoming",
		"direction":"incoming","source":{"identity":{"guest":{"displayName":"Visitor","id":"v1"}}},"targets":[]}}]}`
	h.post([]byte(guest))
	if c := h.call(); c.From != (providers.Party{Name: "Visitor", ID: "v1", Kind: providers.KindGuest}) || !c.To.IsZero() {
		t.Fatalf("%+v", c)
	}
}

func TestOutgoingCallsOfferOnlyHangUp(t *testing.T) {
	h := newHarness(t, setup{})
	h.post([]byte(`{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/out1","resourceData":{"state":"establishing","direction":"outgoing"}}]}`))
	c := h.call()
	if c.Direction != providers.Outgoing || c.Caps != providers.Caps(providers.ActionHangup) || !c.AnswerBy.IsZero() {
		t.Fatalf("%+v", c)
	}
}

func TestSeveralNotificationsInOrder(t *testing.T) {
	h := newHarness(t, setup{})
	body := `{"value":[
		{"changeType":"created","resourceUrl":"/communications/calls/m1","resourceData":{"state":"incoming","direction":"incoming"}},
		{"changeType":"updated","resourceUrl":"/communications/calls/m1","resourceData":{"state":"establishing"}},
		{"changeType":"updated","resourceUrl":"/communications/calls/m1","resourceData":{"state":"established"}}]}`
	h.post([]byte(body))
	for _, want := range []providers.State{providers.StateRinging, providers.StateConnecting, providers.StateActive} {
		if c := h.call(); c.State != want {
			t.Fatalf("%s, want %s", c.State, want)
		}
	}
}

func TestRingingCallEndsWhenGraphNeverSaysSo(t *testing.T) {
	h := newHarness(t, setup{options: func(o *providers.Options) { o.AnswerWindow = 40 * time.Millisecond; o.Now = time.Now }})
	h.p.ringGrace = 40 * time.Millisecond
	h.post(graphtest.Notification("doc-incoming-current.json"))
	h.call()
	c := h.call()
	if c.State != providers.StateEnded || c.End.Text != textRangOut || c.Result() != providers.OutcomeMissed || c.Caps != 0 {
		t.Fatalf("%+v", c)
	}
	// An answered call is left alone.
	id := graphtest.NewCallID()
	h.post(graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id))
	h.call()
	h.post(graphtest.StateChange(id, "updated", "established", nil))
	h.call()
	time.Sleep(150 * time.Millisecond)
	h.quiet()
	if got, _ := h.p.ledger.Get(id); got.State != providers.StateActive {
		t.Fatalf("%+v", got)
	}
}

func TestActionsWithoutRun(t *testing.T) {
	h := newHarness(t, setup{noRun: true})
	ctx := context.Background()
	if err := h.p.Reject(ctx, "57dab8b1-894c-409a-b240-bd8beae78896", "Busy"); err != nil {
		t.Fatal(err)
	}
	if err := h.p.Answer(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if err := h.p.Hangup(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	reqs := h.srv.API.Requests()
	if len(reqs) != 3 || string(reqs[0].Body) != `{"reason":"busy"}` || reqs[1].Action != graphtest.ActionAnswer || reqs[2].Action != graphtest.ActionDelete {
		t.Fatalf("%+v", reqs)
	}
	h.srv.API.Gone("gone1")
	err := h.p.Hangup(ctx, "gone1")
	if !errors.Is(err, providers.ErrNotFound) || !strings.Contains(err.Error(), "no longer exists") {
		t.Fatalf("%v", err)
	}
	if err := h.p.Reject(ctx, "a1", "maybe"); err == nil || !strings.Contains(err.Error(), "unknown reason") {
		t.Fatalf("%v", err)
	}
	// A throttled reject of a call this process never saw gives up within
	// the budget instead of a deadline it does not know.
	h.srv.API.Script("t1", graphtest.ActionReject, graphtest.Response{Status: 429, RetryAfter: "30"})
	before := len(h.srv.API.Requests())
	err = h.p.Reject(ctx, "t1", providers.ReasonNone)
	var ref *providers.RefusedError
	if !errors.As(err, &ref) || ref.Status != 429 || !strings.Contains(err.Error(), "retry budget") {
		t.Fatalf("%v", err)
	}
	if n := len(h.srv.API.Requests()) - before; n != 1 {
		t.Fatalf("%d attempts", n)
	}
}

func TestActionsRespectTheCallsState(t *testing.T) {
	h := newHarness(t, setup{})
	ctx := context.Background()
	h.post(graphtest.Notification("seed000-incoming.json"))
	h.call()
	if err := h.p.Hangup(ctx, graphtest.SeedCallIDOld); !errors.Is(err, providers.ErrNotAllowed) {
		t.Fatalf("hang up a ringing call: %v", err)
	}
	h.post(graphtest.StateChange(graphtest.SeedCallID, "updated", "established", nil))
	h.call()
	if err := h.p.Reject(ctx, graphtest.SeedCallID, providers.ReasonBusy); !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "hang it up") {
		t.Fatalf("reject an answered call: %v", err)
	}
	if err := h.p.Answer(ctx, graphtest.SeedCallIDOld); !errors.Is(err, providers.ErrNotAllowed) {
		t.Fatalf("answer an answered call: %v", err)
	}
	h.post(graphtest.Notification("seed003-terminated.json"))
	h.call()
	if err := h.p.Hangup(ctx, graphtest.SeedCallIDOld); !errors.Is(err, providers.ErrNotFound) || !strings.Contains(err.Error(), "already ended") {
		t.Fatalf("hang up an ended call: %v", err)
	}
	if n := len(h.srv.API.Requests()); n != 0 {
		t.Fatalf("refused actions reached Graph: %d requests", n)
	}
}

// TestActionOnAnEndedCallIsErrEnded: once Graph said a call ended, every
// action on it is refused before a request is made, with the contract's
// error for an ended call and why it ended.
func TestActionOnAnEndedCallIsErrEnded(t *testing.T) {
	h := newHarness(t, setup{})
	ctx := context.Background()
	h.post(graphtest.Notification("seed000-incoming.json"))
	h.call()
	h.post(graphtest.Notification("seed003-terminated.json"))
	ended := h.call()
	for verb, act := range map[string]func() error{
		"answer":  func() error { return h.p.Answer(ctx, graphtest.SeedCallIDOld) },
		"reject":  func() error { return h.p.Reject(ctx, graphtest.SeedCallIDOld, providers.ReasonBusy) },
		"hang up": func() error { return h.p.Hangup(ctx, graphtest.SeedCallIDOld) },
	} {
		err := act()
		if !errors.Is(err, providers.ErrEnded) || !errors.Is(err, providers.ErrNotFound) ||
			!strings.HasPrefix(err.Error(), verb+" "+graphtest.SeedCallIDOld+": the call has already ended: "+ended.End.String()) {
			t.Errorf("%s on an ended call: %v", verb, err)
		}
	}
	if n := len(h.srv.API.Requests()); n != 0 {
		t.Fatalf("refused actions reached Graph: %d requests", n)
	}
}

func TestActionOnACallGraphLostEndsIt(t *testing.T) {
	h := newHarness(t, setup{})
	h.post(graphtest.Notification("doc-incoming-current.json"))
	c := h.call()
	h.srv.API.Gone(c.ID)
	err := h.p.Reject(context.Background(), c.ID, providers.ReasonBusy)
	if !errors.Is(err, providers.ErrNotFound) {
		t.Fatalf("%v", err)
	}
	var ref *providers.RefusedError
	if !errors.As(err, &ref) || ref.RequestID == "" || !strings.Contains(err.Error(), ref.RequestID) {
		t.Fatalf("the request id must be shown: %v", err)
	}
	ended := h.call()
	if ended.State != providers.StateEnded || ended.End.Text != textGone || ended.Outcome == providers.OutcomeRejected {
		t.Fatalf("%+v", ended)
	}
}

func TestReadOnlyWithoutSecret(t *testing.T) {
	h := newHarness(t, setup{secret: "-"})
	if h.p.ActionsOff() == "" {
		t.Fatal("no reason given for being read-only")
	}
	h.post(graphtest.Notification("seed000-incoming.json"))
	c := h.call()
	if c.Caps != 0 || c.Can(providers.ActionAnswer) {
		t.Fatalf("a read-only console must offer no actions: %+v", c)
	}
	err := h.p.Reject(context.Background(), c.ID, providers.ReasonBusy)
	if err == nil || !strings.Contains(err.Error(), SecretEnv) {
		t.Fatalf("%v", err)
	}
	if !h.logContains("cannot be answered") {
		t.Fatal("read-only mode not logged")
	}
}

func TestSecretFromFile(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/secret"
	if err := os.WriteFile(file, []byte("not-a-real-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The file wins over a wrong secret in the environment.
	h := newHarness(t, setup{noRun: true, secret: "wrong", config: func(c *Config) { c.ClientSecretFile = file }})
	if err := h.p.Hangup(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(Config{Listen: "127.0.0.1:0", CallbackPath: "/api/calls", ClientID: "c", Tenant: "t", ClientSecretFile: file}, providers.Options{})
	if err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("%v", err)
	}
	// A secret others can read is refused, as ssh refuses such a key.
	if err := os.WriteFile(file, []byte("not-a-real-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o640); err != nil {
		t.Fatal(err)
	}
	_, err = New(Config{Listen: "127.0.0.1:0", CallbackPath: "/api/calls", ClientID: "c", Tenant: "t", ClientSecretFile: file}, providers.Options{})
	if err == nil || !strings.Contains(err.Error(), "--graph-client-secret-file") || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a group-readable secret file: %v", err)
	}
}

// Graph is sent a directory id first, else an E.164 number; a target with
// only a number of the Genesys switch cannot be reached from Teams.
func TestAddressIsTheIdentityGraphIsSent(t *testing.T) {
	p := new(Provider)
	const user = "550fae72-d251-43ec-868c-373732c2704f"
	for _, c := range []struct {
		to   providers.Target
		want string
	}{
		{providers.Target{Name: "Ana", Kind: providers.TargetUser, GraphID: user, Phone: "+14255550100"}, user},
		{providers.Target{Name: "Paris", Kind: providers.TargetPhone, Phone: "+33155550123", GenesysNumber: "900"}, "+33155550123"},
	} {
		if got, err := p.Address(c.to); err != nil || got != c.want {
			t.Errorf("%+v: %q, %v; want %q", c.to, got, err, c.want)
		}
	}
	desk := providers.Target{Name: "Desk", Kind: providers.TargetUser, GenesysNumber: "5002"}
	if got, err := p.Address(desk); !errors.Is(err, providers.ErrBadTarget) {
		t.Errorf("a Genesys-only target: %q, %v; want ErrBadTarget", got, err)
	}
}
