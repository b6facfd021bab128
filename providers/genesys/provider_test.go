package genesys

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/genesys/gwstest"
)

// seedCall is the call of the documented Reject sample, ringing before the
// reject (capabilities Answer and Reject: it came through queue 9000).
func seedCall() gwstest.Call {
	return gwstest.Call{
		ID: "013V08JRL498H10I04000VTAES00000I", ConnID: "0071023821aec012", State: "Ringing",
		CallType: "Internal", DNIS: "9000", Participants: []string{"5005"},
		Capabilities: []string{"Answer", "Reject", "AttachUserData", "UpdateUserData"},
	}
}

func TestSnapshotShowsEveryCall(t *testing.T) {
	h := startHarness(t, Config{},
		gwstest.QueueCall("RING1", "+14255550100", "9000"),
		gwstest.ActiveCall("TALK1", "5005"))

	ring := h.waitState("RING1", providers.StateRinging)
	if !ring.Can(providers.ActionAnswer) || !ring.Can(providers.ActionReject) || ring.Caps.Has(providers.ActionHangup) {
		t.Errorf("ringing queue call: capabilities %v", ring.Caps.Names())
	}
	if ring.From.ID != "+14255550100" || ring.Queue != "9000" || ring.Direction != providers.Incoming {
		t.Errorf("ringing call parties: from %+v queue %q direction %q", ring.From, ring.Queue, ring.Direction)
	}
	if ring.To.Name != "Kristi Sippola" || ring.To.ID != "5001" {
		t.Errorf("the agent should be the callee: %+v", ring.To)
	}
	if ring.AnswerBy.Sub(ring.Arrived) != providers.DefaultAnswerWindow {
		t.Errorf("answer deadline %v after arrival, want the answer window", ring.AnswerBy.Sub(ring.Arrived))
	}
	talk := h.waitState("TALK1", providers.StateActive)
	if !talk.Can(providers.ActionHangup) || talk.Caps.Has(providers.ActionAnswer) || talk.Answered.IsZero() {
		t.Errorf("active call: caps %v answered %v", talk.Caps.Names(), talk.Answered)
	}
	if talk.Provider != "genesys" || len(talk.Modalities) != 1 || talk.Modalities[0] != "audio" {
		t.Errorf("active call: provider %q modalities %v", talk.Provider, talk.Modalities)
	}
	st := h.waitStatus("live", func(s providers.Status) bool { return s.Link == providers.LinkLive })
	if !strings.Contains(st.Detail, testUser) {
		t.Errorf("live status should say who is signed in: %+v", st)
	}
}

func TestRejectSendsExactlyTheDocumentedBodyAndEndsTheCall(t *testing.T) {
	h := startHarness(t, Config{}, seedCall())
	id := seedCall().ID
	h.waitState(id, providers.StateRinging)

	if reasons := h.p.RejectReasons(); reasons == nil || len(reasons) != 0 {
		t.Fatalf("RejectReasons = %#v, want an empty list (GWS Reject takes no reason)", reasons)
	}
	if err := h.p.Reject(context.Background(), id, providers.ReasonBusy); err != nil {
		t.Fatalf("reject: %v", err)
	}
	// Reject returns once the Released notification has been applied (and
	// the ended call sent to the console).
	c := h.waitState(id, providers.StateEnded)
	if c.State != providers.StateEnded || c.Result() != providers.OutcomeRejected || c.Caps != 0 {
		t.Fatalf("after reject: state %s outcome %s caps %v", c.State, c.Result(), c.Caps.Names())
	}
	if !strings.Contains(c.End.Text, "rejected") {
		t.Errorf("end reason %q should say it was rejected", c.End.Text)
	}
	sent := posts(h.gws, "/api/v2/me/calls/"+id)
	if len(sent) != 1 || string(sent[0].Body) != `{"operationName":"Reject"}` {
		t.Fatalf("reject requests: %+v", sent)
	}
	if sent[0].CSRF == "" || !sent[0].Authorized {
		t.Errorf("the POST must carry Basic auth and the CSRF token: %+v", sent[0])
	}
}

func TestDirectCallCannotBeRejected(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.DirectCall("DIRECT1", "5005"))
	c := h.waitState("DIRECT1", providers.StateRinging)
	if c.Can(providers.ActionReject) || !c.Can(providers.ActionAnswer) {
		t.Fatalf("direct call: caps %v", c.Caps.Names())
	}
	if c.From.ID != "5005" || c.From.Kind != providers.KindUser || c.Queue != "" {
		t.Errorf("direct internal call: from %+v queue %q", c.From, c.Queue)
	}
	err := h.p.Reject(context.Background(), "DIRECT1", providers.ReasonNone)
	if !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "queue") {
		t.Fatalf("reject on a direct call: %v", err)
	}
	if n := len(posts(h.gws, "/api/v2/me/calls/DIRECT1")); n != 0 {
		t.Errorf("a reject GWS does not offer must not be sent; %d POSTs", n)
	}
}

func TestRefusedOperationLeavesTheCallAlone(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.QueueCall("RING2", "5125", "9000"))
	before := h.waitState("RING2", providers.StateRinging)
	h.gws.FailNext("Answer", 2, "Invalid state for Answer")

	err := h.p.Answer(context.Background(), "RING2")
	if !errors.Is(err, providers.ErrNotAllowed) {
		t.Fatalf("statusCode 2 should wrap ErrNotAllowed: %v", err)
	}
	var refused *providers.RefusedError
	if !errors.As(err, &refused) || refused.Message != "Invalid state for Answer" {
		t.Errorf("the refusal should carry GWS's words: %v", err)
	}
	for _, want := range []string{"answer RING2", "not allowed in the call's current state", "statusCode 2", "Invalid state for Answer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	after, _ := h.call("RING2")
	if after.Version != before.Version || after.State != providers.StateRinging {
		t.Errorf("call changed after a refused answer: %+v", after)
	}
}

func TestUnknownCallIsNotFound(t *testing.T) {
	h := startHarness(t, Config{})
	err := h.p.Hangup(context.Background(), "NOSUCHCALL")
	if !errors.Is(err, providers.ErrNotFound) || !strings.Contains(err.Error(), "call not found") {
		t.Fatalf("hangup of an unknown call: %v", err)
	}
}

func TestAnswerThenHangup(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.QueueCall("RING3", "5125", "9000"))
	h.waitState("RING3", providers.StateRinging)
	if err := h.p.Answer(context.Background(), "RING3"); err != nil {
		t.Fatal(err)
	}
	c := h.waitState("RING3", providers.StateActive)
	if c.State != providers.StateActive || !c.Can(providers.ActionHangup) || c.Answered.IsZero() || !c.AnswerBy.IsZero() {
		t.Fatalf("after answer: %+v", c)
	}
	if err := h.p.Hangup(context.Background(), "RING3"); err != nil {
		t.Fatal(err)
	}
	c = h.waitState("RING3", providers.StateEnded)
	if c.State != providers.StateEnded || c.Result() != providers.OutcomeHandled || c.End.Text != endHungUp {
		t.Fatalf("after hangup: state %s outcome %s end %q", c.State, c.Result(), c.End.Text)
	}
	err := h.p.Hangup(context.Background(), "RING3")
	if !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("hangup of an ended call: %v", err)
	}
}

func TestAcceptedButNothingHappens(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.QueueCall("RING4", "5125", "9000"))
	h.waitState("RING4", providers.StateRinging)
	h.p.confirmWait = 300 * time.Millisecond
	h.gws.SetMode("Answer", gwstest.OpIgnored)

	start := time.Now()
	err := h.p.Answer(context.Background(), "RING4")
	var unconfirmed *UnconfirmedError
	if !errors.As(err, &unconfirmed) || unconfirmed.State != providers.StateRinging {
		t.Fatalf("an answer GWS accepted but never carried out: %v", err)
	}
	if !strings.Contains(err.Error(), "still ringing") {
		t.Errorf("the user should be told the call still rings: %v", err)
	}
	if waited := time.Since(start); waited < h.p.confirmWait {
		t.Errorf("gave up after %v, before the confirmation window", waited)
	}
	var rereads int
	for _, r := range h.gws.Requests() {
		if r.Method == "GET" && strings.HasPrefix(r.Path, "/api/v2/me/calls/RING4") {
			rereads++
		}
	}
	if rereads != 1 {
		t.Errorf("the call should be re-read once after the wait; %d reads", rereads)
	}
}

func TestLostNotificationIsMadeUpByTheReread(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.QueueCall("RING5", "5125", "9000"))
	h.waitState("RING5", providers.StateRinging)
	h.p.confirmWait = 200 * time.Millisecond
	h.gws.SetMode("Answer", gwstest.OpSilent)

	if err := h.p.Answer(context.Background(), "RING5"); err != nil {
		t.Fatalf("the re-read shows the answer took effect: %v", err)
	}
	h.waitState("RING5", providers.StateActive)
}

func TestShortDeadlineStillLeavesRoomToExplain(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.QueueCall("RING6", "5125", "9000"))
	h.waitState("RING6", providers.StateRinging)
	h.p.confirmWait = time.Minute
	h.gws.SetMode("Answer", gwstest.OpIgnored)

	ctx, cancel := context.WithTimeout(context.Background(), rereadBudget+300*time.Millisecond)
	defer cancel()
	err := h.p.Answer(ctx, "RING6")
	var unconfirmed *UnconfirmedError
	if !errors.As(err, &unconfirmed) || ctx.Err() != nil {
		t.Fatalf("with a short deadline the answer should still be re-read and explained in time: %v (ctx %v)", err, ctx.Err())
	}
}

func TestCSRFRotationRetriesOnce(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.QueueCall("RING7", "5125", "9000"))
	h.waitState("RING7", providers.StateRinging)
	h.gws.RotateCSRF()
	before := len(h.gws.Requests())

	if err := h.p.Answer(context.Background(), "RING7"); err != nil {
		t.Fatalf("answer after the token rotated: %v", err)
	}
	var sequence []string
	for _, r := range h.gws.Requests()[before:] {
		if r.Path == "/api/v2/me/calls/RING7" || r.Path == "/api/v2/me" {
			sequence = append(sequence, r.Method+" "+r.Path+" "+strconv.Itoa(r.Status))
		}
	}
	want := []string{"POST /api/v2/me/calls/RING7 403", "GET /api/v2/me 200", "POST /api/v2/me/calls/RING7 200"}
	if strings.Join(sequence, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests after rotation:\n%s\nwant:\n%s", strings.Join(sequence, "\n"), strings.Join(want, "\n"))
	}
}

// TestActionOnAnEndedCallIsErrEnded: an action on a call the switch has
// released is refused before anything is sent, with the contract's error for
// an ended call, as in every provider.
func TestActionOnAnEndedCallIsErrEnded(t *testing.T) {
	h := startHarness(t, Config{}, gwstest.QueueCall("GONE1", "5125", "9000"))
	h.waitState("GONE1", providers.StateRinging)
	if err := h.gws.Release("GONE1", true); err != nil {
		t.Fatal(err)
	}
	h.waitState("GONE1", providers.StateEnded)
	for verb, act := range map[string]func() error{
		"answer":  func() error { return h.p.Answer(context.Background(), "GONE1") },
		"reject":  func() error { return h.p.Reject(context.Background(), "GONE1", "") },
		"hang up": func() error { return h.p.Hangup(context.Background(), "GONE1") },
	} {
		err := act()
		if !errors.Is(err, providers.ErrEnded) || !errors.Is(err, providers.ErrNotFound) || !strings.HasPrefix(err.Error(), verb+" GONE1: the call has already ended") {
			t.Errorf("%s on a released call: %v", verb, err)
		}
	}
	if n := len(posts(h.gws, "/api/v2/me/calls/GONE1")); n != 0 {
		t.Errorf("actions on an ended call reached GWS: %d POSTs", n)
	}
}
