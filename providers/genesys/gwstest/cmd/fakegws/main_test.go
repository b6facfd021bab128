package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/genesys"
	"ringside/providers/genesys/gwstest"
	"ringside/providers/internal/bayeuxtest"
)

func post(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("POST %s: %v: %s", url, err, data)
		}
	}
}

func get(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// agentClient talks to the fake GWS as an agent's client does: Basic
// credentials, the session cookie, and the CSRF token from a GET.
type agentClient struct {
	base, csrfHeader, csrfToken string
	http                        *http.Client
}

func newAgentClient(t *testing.T, base string) *agentClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	a := &agentClient{base: base, http: &http.Client{Jar: jar}}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v2/me", nil)
	req.SetBasicAuth("agent", "pw")
	resp, err := a.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	a.csrfHeader, a.csrfToken = resp.Header.Get("X-CSRF-HEADER"), resp.Header.Get("X-CSRF-TOKEN")
	if a.csrfHeader == "" || a.csrfToken == "" {
		t.Fatal("no CSRF token handed out")
	}
	return a
}

// op posts an operation and expects statusCode 0.
func (a *agentClient) op(t *testing.T, path, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.base+path, strings.NewReader(body))
	req.SetBasicAuth("agent", "pw")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(a.csrfHeader, a.csrfToken)
	resp, err := a.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(data) != `{"statusCode":0}` {
		t.Fatalf("POST %s %s: %d %s", path, body, resp.StatusCode, data)
	}
}

// TestDriverEndToEnd runs the driver and the genesys provider against it:
// the seeded calls show, a call rung through the control endpoint arrives
// over CometD behind /api/v2/notifications, and a reject ends it.
func TestDriverEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	o := options{listen: "127.0.0.1:0", user: "agent", password: "pw", kind: bayeuxtest.CometD, seed: true}
	go func() { done <- serve(ctx, o, io.Discard, func(base string) { ready <- base }) }()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the driver did not start")
	}
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	}()

	p, err := genesys.New(genesys.Config{URL: base, User: "agent", NameKeys: []string{"WWE_PARTY_{number}"}}, providers.Options{
		Getenv: func(k string) string { return map[string]string{genesys.PasswordEnv: "pw"}[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	sink := make(chan providers.Event, 64)
	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- p.Run(runCtx, sink) }()
	defer func() {
		stopRun()
		<-ran
	}()
	calls := map[string]providers.Call{}
	var status providers.Status
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for !cond() {
			select {
			case ev := <-sink:
				if ev.Call != nil {
					calls[ev.Call.ID] = *ev.Call
				}
				if ev.Status != nil {
					status = *ev.Status
				}
			case <-deadline:
				t.Fatalf("timed out waiting for %s: status %+v, %d calls", what, status, len(calls))
			}
		}
	}
	wait("live with the two seeded calls", func() bool { return status.Link == providers.LinkLive && len(calls) == 2 })

	var rung gwstest.Call
	post(t, base+"/fake/ring?from=%2B33155550123&queue=9000", &rung)
	wait("the new call", func() bool { return calls[rung.ID].State == providers.StateRinging })
	if !calls[rung.ID].Can(providers.ActionReject) {
		t.Fatalf("queue call: %v", calls[rung.ID].Caps.Names())
	}
	if err := p.Reject(ctx, rung.ID, ""); err != nil {
		t.Fatal(err)
	}
	wait("the rejected call to end", func() bool { return calls[rung.ID].State == providers.StateEnded })
	if calls[rung.ID].Result() != providers.OutcomeRejected {
		t.Errorf("outcome %s", calls[rung.ID].Result())
	}

	var timed gwstest.Call
	post(t, base+"/fake/ring?from=5005&direct=1&noanswer=20&name=Josh%20Williams", &timed)
	wait("the call with the switch's timeout", func() bool { return calls[timed.ID].State == providers.StateRinging })
	if c := calls[timed.ID]; c.AnswerBy.Sub(c.Arrived) != 20*time.Second || c.From.Name != "Josh Williams" {
		t.Errorf("ring timeout %v, caller %+v", c.AnswerBy.Sub(c.Arrived), c.From)
	}
	post(t, base+"/fake/error?on=device&code=41&message=DN%20is%20not%20registered", nil)
	wait("the device's failure", func() bool { return strings.Contains(status.Warning, "DN is not registered (errorCode 41)") })

	post(t, base+"/fake/agent?state=NotReady&name=Lunch&dnd=1", nil)
	wait("the agent state, the failure gone", func() bool { return status.Agent == "Not Ready (Lunch) · DND" && status.Warning == "" })

	// The agent controls, sent as an agent's client sends them (cookie,
	// CSRF token), reach the console over CometD.
	agent := newAgentClient(t, base)
	var active string
	for id, c := range calls {
		if c.State == providers.StateActive {
			active = id
		}
	}
	agent.op(t, "/api/v2/me/calls/"+active, `{"operationName":"Hold"}`)
	wait("the call held", func() bool { return calls[active].State == providers.StateHeld })
	agent.op(t, "/api/v2/me/calls/"+active, `{"operationName":"Retrieve"}`)
	wait("the call back", func() bool { return calls[active].State == providers.StateActive })
	agent.op(t, "/api/v2/me/calls/"+active, `{"operationName":"SingleStepTransfer","destination":{"phoneNumber":"5002"}}`)
	wait("the transferred call gone", func() bool { return calls[active].State == providers.StateEnded })
	agent.op(t, "/api/v2/me/channels/voice", `{"operationName":"OutToLunch"}`)
	wait("the configured agent state", func() bool { return status.Agent == "Not Ready (Out to Lunch) · DND" })
	agent.op(t, "/api/v2/me/channels/voice", `{"operationName":"Ready"}`)
	wait("ready", func() bool { return status.Agent == "Ready · DND" })
	var transfers []gwstest.Transfer
	get(t, base+"/fake/transfers", &transfers)
	if len(transfers) != 1 || transfers[0].CallID != active || transfers[0].Destination != "5002" {
		t.Errorf("transfers %+v", transfers)
	}

	resp, err := http.Post(base+"/fake/mode?op=Answer&mode=sideways", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "mode=normal|ignored|silent") {
		t.Errorf("a bad control request: %d %s", resp.StatusCode, body)
	}
}

func TestDriverServesLoopbackOnly(t *testing.T) {
	err := serve(context.Background(), options{listen: "0.0.0.0:0", kind: bayeuxtest.CometD}, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "loopback only") {
		t.Fatalf("%v", err)
	}
}
