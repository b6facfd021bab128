package graph

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
	"ringside/providers/jsonstream"
)

// TestDriverRingScenario runs the fakegraph driver against the provider:
// four calls ring in every wire shape, and a busy reject from the console
// reaches the fake Graph, which answers with the deleted notification.
func TestDriverRingScenario(t *testing.T) {
	h := newHarness(t, setup{options: func(o *providers.Options) { o.Now = time.Now }})
	var log syncBuffer
	d := graphtest.NewDriver(h.srv.Fake, h.url(), h.srv.Options.ClientID, slog.New(slog.NewTextHandler(&log, nil)))
	d.Pause = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.React(ctx)
	ids, err := d.Play(ctx, graphtest.ScenarioRing, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 4 {
		t.Fatalf("calls %v", ids)
	}
	calls := map[string]providers.Call{}
	for len(calls) < 4 {
		c := h.call()
		calls[c.ID] = c
	}
	froms := []string{}
	for _, id := range ids {
		c, ok := calls[id]
		if !ok || c.State != providers.StateRinging || c.Remaining(time.Now()) <= 0 {
			t.Fatalf("%s: %+v", id, c)
		}
		froms = append(froms, c.From.String())
	}
	if strings.Join(froms, "|") != "Test User|John|+12345678901|"+EncryptedCaller {
		t.Fatalf("callers %q", froms)
	}

	// r b on the first row.
	if err := h.p.Reject(ctx, ids[0], providers.ReasonBusy); err != nil {
		t.Fatal(err)
	}
	ended := h.callWhere(func(c providers.Call) bool { return c.ID == ids[0] })
	if ended.State != providers.StateEnded || ended.Result() != providers.OutcomeRejected {
		t.Fatalf("%+v", ended)
	}
	if !strings.Contains(log.String(), "action=reject call="+ids[0]) || !strings.Contains(log.String(), "reason=busy") {
		t.Fatalf("the driver's log does not show the busy reject:\n%s", log.String())
	}

	// Answer the second, then hang it up: the fake plays Graph's follow-ups.
	if err := h.p.Answer(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	active := h.callWhere(func(c providers.Call) bool { return c.ID == ids[1] && c.State == providers.StateActive })
	if err := h.p.Hangup(ctx, active.ID); err != nil {
		t.Fatal(err)
	}
	gone := h.callWhere(func(c providers.Call) bool { return c.ID == ids[1] && c.State == providers.StateEnded })
	if gone.End.Code != 200 || gone.End.Subcode != 5001 || gone.Result() != providers.OutcomeHandled {
		t.Fatalf("%+v", gone)
	}
}

// TestDriverSeedsScenario plays every seed notification through whole calls.
func TestDriverSeedsScenario(t *testing.T) {
	h := newHarness(t, setup{})
	d := graphtest.NewDriver(h.srv.Fake, h.url(), h.srv.Options.ClientID, nil)
	ids, err := d.Play(context.Background(), graphtest.ScenarioSeeds, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Fatalf("calls %v", ids)
	}
	final := map[string]providers.Call{}
	for len(final) < 3 {
		c := h.call()
		if c.State == providers.StateEnded {
			final[c.ID] = c
		}
	}
	if c := final[graphtest.SeedCallIDOld]; c.End.Text != "The conversation has ended." || c.Result() != providers.OutcomeHandled {
		t.Fatalf("seed call: %+v", c)
	}
	if c := final[ids[1]]; c.End.Text != "AppInitiated" {
		t.Fatalf("%+v", c)
	}
	if c := final[ids[2]]; c.End.Text != textNoReason || c.Result() != providers.OutcomeMissed {
		t.Fatalf("%+v", c)
	}
	if _, err := d.Play(context.Background(), "nonsense", 0); err == nil {
		t.Fatal("unknown scenario accepted")
	}
}

func TestJSONStreamOfASeedCall(t *testing.T) {
	h := newHarness(t, setup{})
	h.post(graphtest.Notification("seed000-incoming.json"))
	line, err := jsonstream.MarshalEvent("graph", providers.CallEvent(time.Now(), h.call()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"state":"ringing"`, `"answer_by":`, `"capabilities":["answer","reject","redirect"]`, `"name":"Test User"`} {
		if !bytes.Contains(line, []byte(want)) {
			t.Errorf("JSON line lacks %s: %s", want, line)
		}
	}
}
