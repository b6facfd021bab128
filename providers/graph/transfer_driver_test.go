package graph

import (
	"bytes"
	"context"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/callapi"
	"ringside/providers/graph/graphtest"
)

// TestDriverPlaysRedirectAndTransferThroughTheWebhook: the wire calls of
// callapi reach the fake Graph, whose driver answers with Graph's
// notifications through the signed webhook; the provider ends a redirected
// call, ends a transferred one with 0/7015, and keeps a call whose transfer
// failed.
func TestDriverPlaysRedirectAndTransferThroughTheWebhook(t *testing.T) {
	h := newHarness(t, setup{options: func(o *providers.Options) { o.Now = time.Now }})
	d := graphtest.NewDriver(h.srv.Fake, h.url(), h.srv.Options.ClientID, nil)
	d.Pause = time.Millisecond
	d.FailTransfersTo("+12345678901")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	posted := make(chan []byte, 64)
	d.Posted = func(_ graphtest.Request, body []byte, err error) {
		if err != nil && ctx.Err() == nil {
			t.Errorf("follow-up not delivered: %v", err)
		}
		select {
		case posted <- body:
		default: // the test has stopped reading
		}
	}
	d.React(ctx)
	api, err := callapi.New(callapi.Config{APIBase: h.srv.APIBase, TokenURL: h.srv.TokenURL,
		ClientID: h.srv.Options.ClientID, ClientSecret: h.srv.Options.ClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	ring := func() string {
		id := graphtest.NewCallID()
		h.post(graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id))
		h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateRinging })
		return id
	}
	answered := func() string {
		id := ring()
		if err := h.p.Answer(ctx, id); err != nil {
			t.Fatal(err)
		}
		h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateActive })
		return id
	}
	user := providers.Target{Name: "Heidi Steen", Kind: providers.TargetUser, GraphID: "550fae72-d251-43ec-868c-373732c2704f"}
	phone := providers.Target{Name: "Desk", Kind: providers.TargetPhone, Phone: "+12345678901"}

	r := ring()
	if err := api.Redirect(ctx, r, user, time.Now().Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	h.callWhere(func(c providers.Call) bool { return c.ID == r && c.State == providers.StateEnded })

	ok := answered()
	if err := api.Transfer(ctx, ok, user); err != nil {
		t.Fatal(err)
	}
	c := h.callWhere(func(c providers.Call) bool { return c.ID == ok && c.State == providers.StateEnded })
	if c.End.Code != 0 || c.End.Subcode != 7015 || c.End.Text != "Call transferred: the transfer completed." {
		t.Fatalf("transferred: %+v", c.End)
	}

	failed := answered()
	if err := api.Transfer(ctx, failed, phone); err != nil {
		t.Fatal(err)
	}
	// transferring, then back to established (500/7700): the call is
	// connected again and a hang-up still finds it.
	for seen := false; !seen; {
		select {
		case body := <-posted:
			seen = bytes.Contains(body, []byte(`"subCode":7700`))
		case <-time.After(10 * time.Second):
			t.Fatal("the driver never reported the failed transfer")
		}
	}
	if err := h.p.Hangup(ctx, failed); err != nil {
		t.Fatalf("the call whose transfer failed must still be there: %v", err)
	}
	h.callWhere(func(c providers.Call) bool {
		return c.ID == failed && c.State == providers.StateEnded && c.End.Subcode == 5001
	})
}
