package genesys

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/internal/bayeuxtest"
)

// The corpus under testdata/ holds GWS messages from Genesys's documentation
// and public client code, and a few composed from documented facts where no
// public capture exists (testdata/README.md names the source of each).

// corpusMessage is one stored CometD message.
type corpusMessage struct {
	Channel string          `json:"channel"`
	Data    json.RawMessage `json:"data"`
}

func readCorpus(t *testing.T, name string) corpusMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m corpusMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// corpusFiles lists every message in testdata/, so that none is left out.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	return names
}

func TestCorpusDecodes(t *testing.T) {
	type check func(t *testing.T, n notification)
	callIs := func(id, state, callType string, caps ...string) check {
		return func(t *testing.T, n notification) {
			if n.Call == nil {
				t.Fatalf("not a call: %+v", n)
			}
			c := n.Call.Call
			if c.ID != id || c.State != state || c.CallType != callType {
				t.Errorf("call %s %s %s", c.ID, c.State, c.CallType)
			}
			for _, op := range caps {
				if !c.has(op) {
					t.Errorf("capabilities %v lack %s", c.Capabilities, op)
				}
			}
		}
	}
	checks := map[string][]check{
		"seed004_reject_notification.json": {callIs("013V08JRL498H10I04000VTAES00000I", "Released", "Internal"),
			func(t *testing.T, n notification) {
				if c := n.Call.Call; len(c.Capabilities) != 0 || c.DNIS != "9000" || c.Duration != 5*time.Second || c.NoAnswer != 0 {
					t.Errorf("%+v", c)
				}
			}},
		"gws_hangup_released.json": {callIs("012PUFMMS0ASNAK48O7GK2LAES00000I", "Released", "Internal"),
			func(t *testing.T, n notification) {
				c := n.Call.Call
				if len(c.Capabilities) != 0 || c.Duration != 672*time.Second || n.Call.PhoneNumber != "15000" ||
					!slices.Equal(c.Participants, []wireParty{{Number: "15001"}}) || c.NoAnswer != 0 || c.NoAnswerProblem != "" {
					t.Errorf("%+v", c)
				}
			}},
		"gws_answer_established.json": {callIs("012PUFMMS0ASNAK48O7GK2LAES00000C", "Established", "Internal", "Hangup", "Hold"),
			func(t *testing.T, n notification) {
				if c := n.Call.Call; c.Duration != 22*time.Second || c.has("Answer") || c.NoAnswer != 0 {
					t.Errorf("%+v", c)
				}
			}},
		"gws_attachuserdata_dialing.json": {callIs("01RCC3N118B1V0SL8O7GK2LAES00000R", "Dialing", "Internal", "Hangup"),
			func(t *testing.T, n notification) {
				var data map[string]string
				if err := json.Unmarshal(n.Call.Call.UserData, &data); err != nil || n.Call.Type != "AttachedDataChanged" || data["AccountNumber"] != "12345" {
					t.Errorf("%s %s (%v)", n.Call.Type, n.Call.Call.UserData, err)
				}
				// Attached data without a name key names nobody.
				if name := nameFromUserData(n.Call.Call.UserData, []nameKey{{prefix: "WWE_PARTY_", perNumber: true}}, "15001"); name != "" {
					t.Errorf("name %q", name)
				}
			}},
		"gws_attached_data_changed_dotnet.json": {callIs("0071025563e9f00f", "Established", "Internal", "Hangup"),
			func(t *testing.T, n notification) {
				c := n.Call.Call
				if n.Call.Type != "AttachedDataChanged" || !slices.Equal(c.Participants, []wireParty{{Number: "1001"}}) || c.Duration != 13*time.Second {
					t.Errorf("%+v", c)
				}
			}},
		"gws_device_state_change.json": {func(t *testing.T, n notification) {
			if n.Device == nil || len(n.Device.Devices) != 1 {
				t.Fatalf("%+v", n)
			}
			d := n.Device.Devices[0]
			if d.ID != "efe1ab32-53f9-43ce-b65e-5768c61f7d4a" || d.PhoneNumber != "5005" || d.DND || d.UserState != "NotReady" || agentLabel(n.Device.Devices) != "Not Ready" {
				t.Errorf("%+v", d)
			}
		}},
		"composed_ringing_no_answer_timeout.json": {callIs("NR0O3ITJ5P0TP0HCUNKM9PPH4K00000D", "Ringing", "Inbound", "Answer", "Reject"),
			func(t *testing.T, n notification) {
				if c := n.Call.Call; c.NoAnswer != 20*time.Second || c.NoAnswerAction != "notready" || c.ANI != "5125" || c.DNIS != "8012" {
					t.Errorf("%+v", c)
				}
			}},
		"composed_ringing_workspace_party.json": {callIs("01RCC3N118B1V0SL8O7GK2LAES00000S", "Ringing", "Internal", "Answer"),
			func(t *testing.T, n notification) {
				c := n.Call.Call
				if c.NoAnswer != 12*time.Second || c.NoAnswerAction != "none" || c.has("Reject") {
					t.Errorf("%+v", c)
				}
				keys := []nameKey{{prefix: "WWE_PARTY_", perNumber: true}}
				if name := nameFromUserData(c.UserData, keys, "5005"); name != "Josh Williams" {
					t.Errorf("caller's name %q", name)
				}
				if name := nameFromUserData(c.UserData, keys, "5001"); name != "Kristi Sippola" {
					t.Errorf("agent's own record %q", name)
				}
			}},
		"composed_error_device.json": {func(t *testing.T, n notification) {
			want := errorNote{Code: "41", Message: "DN is not registered", Device: "efe1ab32-53f9-43ce-b65e-5768c61f7d4a"}
			if n.Error == nil || *n.Error != want {
				t.Errorf("%+v", n.Error)
			}
		}},
		"composed_error_call.json": {func(t *testing.T, n notification) {
			want := errorNote{Code: "56", Message: "Invalid called DN", CallID: "012PUFMMS0ASNAK48O7GK2LAES00000C"}
			if n.Error == nil || *n.Error != want {
				t.Errorf("%+v", n.Error)
			}
		}},
	}
	for _, name := range corpusFiles(t) {
		t.Run(name, func(t *testing.T) {
			fs, ok := checks[name]
			if !ok {
				t.Fatalf("no assertions for %s", name)
			}
			m := readCorpus(t, name)
			n, err := decodeNotification(m.Channel, m.Data)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				f(t, n)
			}
		})
	}
	if len(corpusFiles(t)) != len(checks) {
		t.Errorf("%d files, %d with assertions", len(corpusFiles(t)), len(checks))
	}
}

// TestLiveCorpus publishes the corpus through a real Bayeux server to the
// provider and checks what the console is told.
func TestLiveCorpus(t *testing.T) {
	l := startLive(t, bayeuxtest.CometD, false, Config{NameKeys: []string{"WWE_PARTY_{number}"}})
	publish := func(name string) {
		t.Helper()
		m := readCorpus(t, name)
		if err := l.gws.PublishRaw(m.Channel, m.Data); err != nil {
			t.Fatal(err)
		}
	}

	publish("composed_ringing_no_answer_timeout.json")
	c := l.waitState("NR0O3ITJ5P0TP0HCUNKM9PPH4K00000D", providers.StateRinging)
	if window(c) != 20*time.Second || c.From.ID != "5125" || c.Queue != "8012" || !c.Can(providers.ActionReject) {
		t.Errorf("queue call with the switch's timeout: window %v %+v queue %q caps %v", window(c), c.From, c.Queue, c.Caps.Names())
	}

	publish("composed_ringing_workspace_party.json")
	c = l.waitState("01RCC3N118B1V0SL8O7GK2LAES00000S", providers.StateRinging)
	if window(c) != 12*time.Second || c.From.Name != "Josh Williams" || c.From.ID != "5005" || c.Can(providers.ActionReject) {
		t.Errorf("internal call from a Workspace agent: window %v %+v caps %v", window(c), c.From, c.Caps.Names())
	}

	publish("gws_answer_established.json")
	c = l.waitState("012PUFMMS0ASNAK48O7GK2LAES00000C", providers.StateActive)
	if !c.Can(providers.ActionHangup) || c.From.ID != "15001" {
		t.Errorf("established call: %+v caps %v", c.From, c.Caps.Names())
	}

	publish("composed_error_call.json")
	l.waitStatus("the call's error", func(s providers.Status) bool {
		return strings.Contains(s.Detail, "GWS reported an error on call 012PUFMMS0ASNAK48O7GK2LAES00000C: Invalid called DN (errorCode 56)")
	})

	publish("gws_attached_data_changed_dotnet.json")
	c = l.waitState("0071025563e9f00f", providers.StateActive)
	if c.From.ID != "1001" {
		t.Errorf("attached data changed: %+v", c.From)
	}

	publish("gws_attachuserdata_dialing.json")
	c = l.waitState("01RCC3N118B1V0SL8O7GK2LAES00000R", providers.StateConnecting)
	if c.Direction != providers.Outgoing || c.To.ID != "15001" {
		t.Errorf("dialing: %s to %+v", c.Direction, c.To)
	}

	publish("gws_device_state_change.json")
	l.waitStatus("the second device's state", func(s providers.Status) bool { return strings.Contains(s.Agent, "Not Ready") })
	publish("composed_error_device.json")
	l.waitStatus("the device's failure", func(s providers.Status) bool {
		return strings.Contains(s.Warning, "GWS reported an error on device 5005: DN is not registered (errorCode 41)")
	})
	publish("gws_device_state_change.json")
	l.waitStatus("the device back", func(s providers.Status) bool { return s.Warning == "" })

	// The released samples end calls the console had seen ringing.
	for _, r := range []struct{ file, id string }{
		{"gws_hangup_released.json", "012PUFMMS0ASNAK48O7GK2LAES00000I"},
		{"seed004_reject_notification.json", "013V08JRL498H10I04000VTAES00000I"},
	} {
		if err := l.gws.PublishRaw("/v2/me/calls", mustJSON(map[string]any{"messageType": "CallStateChangeMessage",
			"call": map[string]any{"id": r.id, "state": "Ringing", "capabilities": []string{"Answer"}}})); err != nil {
			t.Fatal(err)
		}
		l.waitState(r.id, providers.StateRinging)
		publish(r.file)
		if c := l.waitState(r.id, providers.StateEnded); c.End.Text != endReleasedRinging || c.Caps != 0 {
			t.Errorf("%s: end %q caps %v", r.file, c.End.Text, c.Caps.Names())
		}
	}
}

// Every message of the corpus has its source named in the README beside it.
func TestCorpusSourcesAreNamed(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("testdata", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range corpusFiles(t) {
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("testdata/README.md does not name the source of %s", name)
		}
	}
}
