package genesys

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/genesys/gwstest"
)

// The one-shot commands (`ringside reject --provider genesys ID`) call the
// actions without Run: the effect is confirmed by re-reading the call.

func TestOneShotReject(t *testing.T) {
	gws, srv := newGWS(t, gwstest.Options{})
	gws.Put(seedCall())
	p := newTestProvider(t, srv.URL, Config{})
	id := seedCall().ID
	if err := p.Reject(context.Background(), id, providers.ReasonBusy); err != nil {
		t.Fatal(err)
	}
	var sequence []string
	for _, r := range gws.Requests() {
		sequence = append(sequence, r.Method+" "+r.Path)
	}
	want := []string{
		"GET /api/v2/me", // the CSRF token
		"POST /api/v2/me/calls/" + id,
		"GET /api/v2/me/calls/" + id + "?fields=*", // gone: rejected
	}
	if strings.Join(sequence, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(sequence, "\n"), strings.Join(want, "\n"))
	}
	if body := string(gws.Requests()[1].Body); body != `{"operationName":"Reject"}` {
		t.Errorf("body %s", body)
	}
}

func TestOneShotAnswer(t *testing.T) {
	gws, srv := newGWS(t, gwstest.Options{})
	gws.Put(gwstest.QueueCall("R1", "5125", "9000"))
	p := newTestProvider(t, srv.URL, Config{})
	if err := p.Answer(context.Background(), "R1"); err != nil {
		t.Fatal(err)
	}
	if c, _ := gws.Call("R1"); c.State != "Established" {
		t.Errorf("state %s", c.State)
	}
}

func TestOneShotUnconfirmed(t *testing.T) {
	gws, srv := newGWS(t, gwstest.Options{})
	gws.Put(gwstest.QueueCall("R2", "5125", "9000"))
	gws.SetMode("Answer", gwstest.OpIgnored)
	p := newTestProvider(t, srv.URL, Config{})
	p.confirmWait = 200 * time.Millisecond
	err := p.Answer(context.Background(), "R2")
	var unconfirmed *UnconfirmedError
	if !errors.As(err, &unconfirmed) || !strings.Contains(err.Error(), "answer R2: GWS accepted the answer but nothing changed within") ||
		!strings.Contains(err.Error(), "still ringing") {
		t.Fatalf("%v", err)
	}
}

func TestOneShotRefusals(t *testing.T) {
	gws, srv := newGWS(t, gwstest.Options{})
	gws.Put(gwstest.DirectCall("D1", "5005"))
	p := newTestProvider(t, srv.URL, Config{})
	ctx := context.Background()
	if err := p.Reject(ctx, "D1", ""); !errors.Is(err, providers.ErrNotAllowed) || !strings.HasPrefix(err.Error(), "reject D1: not allowed") {
		t.Errorf("reject of a direct call: %v", err)
	}
	if err := p.Hangup(ctx, "NOPE"); !errors.Is(err, providers.ErrNotFound) || !strings.Contains(err.Error(), "hang up NOPE: call not found") {
		t.Errorf("hangup of an unknown call: %v", err)
	}
	if err := p.Answer(ctx, " "); err == nil || !strings.Contains(err.Error(), "no call id") {
		t.Errorf("empty id: %v", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.Answer(ctx, "D1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
