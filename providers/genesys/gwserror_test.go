package genesys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/genesys/gwstest"
	"ringside/providers/jsonstream"
)

// syncBuffer is a log destination several goroutines may write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logTo sends the provider's logs to buf as JSON lines.
func logTo(buf *syncBuffer) func(*Provider) {
	return func(p *Provider) {
		p.opts.Log = slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// waitUntil polls cond (something no event announces) until it holds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

const deviceFailure = "GWS reported an error on device 5001: DN is not registered (errorCode 41)"

func TestDeviceErrorStandsUntilTheDeviceReportsAgain(t *testing.T) {
	var logs syncBuffer
	h := startHarnessWith(t, Config{}, logTo(&logs))
	h.waitStatus("the agent's state", func(s providers.Status) bool { return s.Agent == "Logged Out" })

	must(t, h.gws.PublishError(gwstest.ChannelDevices, gwstest.ErrorReport{Code: 41, Message: "DN is not registered", Device: true}))
	st := h.waitStatus("the device's failure in the header", func(s providers.Status) bool { return strings.Contains(s.Warning, deviceFailure) })
	if st.Link != providers.LinkLive || !strings.Contains(st.Detail, deviceFailure) || !strings.HasPrefix(st.Detail, testUser+" at ") {
		t.Errorf("status after a device failure: %+v", st)
	}
	// The JSON stream carries it as the status detail (and the warning).
	line, err := jsonstream.MarshalEvent(Name, providers.StatusEvent(time.Now(), st))
	if err != nil {
		t.Fatal(err)
	}
	var js struct{ Detail, Warning string }
	if err := json.Unmarshal(line, &js); err != nil || !strings.Contains(js.Detail, deviceFailure) || !strings.Contains(js.Warning, deviceFailure) {
		t.Errorf("JSON status %s (%v)", line, err)
	}
	if !strings.Contains(logs.String(), `"msg":"GWS reported an error"`) || !strings.Contains(logs.String(), `"code":"41"`) {
		t.Errorf("the log lacks the error:\n%s", logs.String())
	}

	// Other traffic does not clear it: it stands until the device reports.
	if _, err := h.gws.Ring(gwstest.QueueCall("Q1", "+14255550100", "9000")); err != nil {
		t.Fatal(err)
	}
	h.waitState("Q1", providers.StateRinging)
	if s := h.waitStatus("any", func(providers.Status) bool { return true }); !strings.Contains(s.Warning, deviceFailure) {
		t.Fatalf("a call message cleared the device's failure: %+v", s)
	}
	must(t, h.gws.SetAgentState("Ready", "Ready", false))
	st = h.waitStatus("the device back", func(s providers.Status) bool { return s.Agent == "Ready" })
	if st.Warning != "" {
		t.Errorf("the device reported again; the warning stays: %q", st.Warning)
	}
}

func TestDeviceErrorDuringTheListReadIsNotUndone(t *testing.T) {
	h := startHarness(t, Config{})
	h.waitStatus("the agent's state", func(s providers.Status) bool { return s.Agent == "Logged Out" })
	// The device fails while the device list (read just before) is on its
	// way: the older list must not clear the newer failure.
	var once sync.Once
	h.gws.SetListGate(func(list string) {
		if list != gwstest.ListDevices {
			return
		}
		once.Do(func() {
			h.gws.SetListGate(nil)
			must(t, h.gws.PublishError(gwstest.ChannelDevices, gwstest.ErrorReport{Code: 41, Message: "DN is not registered", Device: true}))
			h.feed.settle(t)
		})
	})
	st := h.resyncUntilLive()
	if !strings.Contains(st.Warning, deviceFailure) {
		t.Fatalf("after the lists the warning is %q, want the device's failure", st.Warning)
	}
}

func TestCallErrorFailsThePendingActionAndShowsForAWhile(t *testing.T) {
	h := startHarnessWith(t, Config{}, func(p *Provider) {
		p.confirmWait = testWait // only the ErrorMessage may settle the answer
		p.errorShowFor = 50 * time.Millisecond
	}, gwstest.QueueCall("C1", "+14255550100", "9000"))
	h.waitState("C1", providers.StateRinging)
	h.gws.SetMode("Answer", gwstest.OpIgnored) // accepted, then the switch fails it

	answered := make(chan error, 1)
	go func() { answered <- h.p.Answer(context.Background(), "C1") }()
	waitUntil(t, "the answer to reach GWS", func() bool { return len(posts(h.gws, "/api/v2/me/calls/C1")) == 1 })
	must(t, h.gws.PublishError(gwstest.ChannelCalls, gwstest.ErrorReport{Code: 56, Message: "Invalid called DN", CallID: "C1"}))

	var err error
	select {
	case err = <-answered:
	case <-time.After(testWait):
		t.Fatal("the answer did not return after GWS reported its failure")
	}
	var refused *providers.RefusedError
	if err == nil || !strings.Contains(err.Error(), "GWS reported that the answer failed") || !errors.As(err, &refused) ||
		refused.Code != "errorCode 56" || refused.Message != "Invalid called DN" {
		t.Fatalf("answer: %v", err)
	}
	want := "GWS reported an error on call C1: Invalid called DN (errorCode 56)"
	st := h.waitStatus("the error in the detail", func(s providers.Status) bool { return strings.Contains(s.Detail, want) })
	if st.Link != providers.LinkLive || st.Warning != "" {
		t.Errorf("a call's error is not a standing one: %+v", st)
	}
	h.waitStatus("the error to pass", func(s providers.Status) bool { return !strings.Contains(s.Detail, "GWS reported") })
	if c, _ := h.call("C1"); c.State != providers.StateRinging {
		t.Errorf("the call should be as GWS left it: %s", c.State)
	}
}

func TestErrorWithoutDetailsStillSaysSomething(t *testing.T) {
	h := startHarness(t, Config{})
	must(t, h.gws.PublishRaw(gwstest.ChannelCalls, []byte(`{"messageType":"ErrorMessage"}`)))
	h.waitStatus("an error in words", func(s providers.Status) bool {
		return strings.Contains(s.Detail, "GWS reported an error: no reason given")
	})
}

// TestInsecureHTTPWarningStands: with --genesys-insecure-http the header warns
// that the password travels unencrypted on every status for as long as the
// console runs, beside a device's failure and after it. The fake GWS is on
// loopback (plain http there needs no flag), so the settings' warning is taken
// from a configuration that did need it.
func TestInsecureHTTPWarningStands(t *testing.T) {
	insecure, err := Config{URL: "http://gws.internal:8080", User: testUser, InsecureHTTP: true}.resolve(env(map[string]string{PasswordEnv: "x"}))
	if err != nil || insecure.warning == "" {
		t.Fatalf("plain http elsewhere with the flag: warning %q, %v", insecure.warning, err)
	}
	h := startHarnessWith(t, Config{}, func(p *Provider) { p.s.warning = insecure.warning })
	st := h.waitStatus("the agent's state", func(s providers.Status) bool { return s.Agent == "Logged Out" })
	if !strings.Contains(st.Warning, "password travels unencrypted") {
		t.Fatalf("live status without the plain-http warning: %+v", st)
	}
	must(t, h.gws.PublishError(gwstest.ChannelDevices, gwstest.ErrorReport{Code: 41, Message: "DN is not registered", Device: true}))
	st = h.waitStatus("the device's failure", func(s providers.Status) bool { return strings.Contains(s.Warning, deviceFailure) })
	if !strings.Contains(st.Warning, "password travels unencrypted") {
		t.Fatalf("a device's failure pushed out the plain-http warning: %q", st.Warning)
	}
	must(t, h.gws.SetAgentState("Ready", "Ready", false))
	st = h.waitStatus("the device back", func(s providers.Status) bool { return s.Agent == "Ready" })
	if st.Warning != insecure.warning {
		t.Fatalf("after the device reported again the warning is %q, want %q", st.Warning, insecure.warning)
	}
}
