package graph

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
	"ringside/providers/jsonstream"
)

// corpusDir holds real notification bodies from Microsoft's documentation
// and public issue threads; its README names the source of each.
const corpusDir = "testdata/corpus"

func corpusBody(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postReply delivers body with a valid token and returns the webhook's reply.
func (h *harness) postReply(body []byte) graphtest.Reply {
	h.t.Helper()
	rep, err := h.poster.Post(context.Background(), body)
	if err != nil {
		h.t.Fatal(err)
	}
	return rep
}

// expectReply posts body and fails unless the webhook answers status with
// words in its reply.
func (h *harness) expectReply(body []byte, status int, words string) {
	h.t.Helper()
	if rep := h.postReply(body); rep.Status != status || !strings.Contains(rep.Body, words) {
		h.t.Fatalf("webhook answered %d %q, want %d saying %q", rep.Status, rep.Body, status, words)
	}
}

// talking makes call id ring and then talk, as the platform reports it.
func (h *harness) talking(id string) {
	h.t.Helper()
	h.post(graphtest.StateChange(id, "created", "incoming", nil))
	h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateRinging })
	h.post(graphtest.StateChange(id, "updated", "established", nil))
	h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateActive })
}

// ledgerCall is the provider's current snapshot of call id.
func (h *harness) ledgerCall(id string) providers.Call {
	h.t.Helper()
	c, ok := h.p.ledger.Get(h.p.ids.resolve(id))
	if !ok {
		h.t.Fatalf("the provider does not know call %s", id)
	}
	return c
}

// jsonLine is the call as the --json stream writes it.
func jsonLine(t *testing.T, c providers.Call) string {
	t.Helper()
	b, err := jsonstream.MarshalEvent(Name, providers.CallEvent(time.Now(), c))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	transferCallID = "341a0500-d4bf-4224-8b19-1581168d328b"
	meetingCallID  = "2f1a1100-b174-40a0-aba7-0b405e01ed92"
)

// corpusCases says, for every file of the corpus, what the console must
// make of it. Each runs against a provider of its own.
var corpusCases = map[string]func(t *testing.T, h *harness, body []byte){
	"doc-answer-p2p-incoming.json": func(t *testing.T, h *harness, body []byte) {
		h.post(body)
		c := h.call()
		want := providers.Call{ID: "57DAB8B1894C409AB240BD8BEAE78896", State: providers.StateRinging, Direction: providers.Incoming,
			From: providers.Party{Name: "Test User", ID: "8A34A46B-3D17-4ADC-8DCE-DC4E7D572698", Kind: providers.KindUser},
			To:   providers.Party{Name: "Test BOT", ID: "8A34A46B-3D17-4ADC-8DCE-DC4E7D572698", Kind: providers.KindApplication}}
		if c.ID != want.ID || c.State != want.State || c.Direction != want.Direction || c.From != want.From || c.To != want.To ||
			!c.Route.IsZero() || c.Queue != "" || !slices.Equal(c.Modalities, []string{"audio"}) {
			t.Fatalf("%+v", c)
		}
		if w := c.AnswerBy.Sub(c.Arrived); w != 15*time.Second {
			t.Fatalf("an ordinary call rings %v, want 15s", w)
		}
	},
	"doc-answer-policy-recording.json": func(t *testing.T, h *harness, body []byte) {
		h.post(body)
		c := h.call()
		observed := providers.Party{ID: "8A34A46B-3D17-4ADC-8DCE-DC4E7D572698", Kind: providers.KindUser}
		if c.ID != "e71f0300-9c1f-4d99-b5f4-2722e877d497" || c.State != providers.StateRinging ||
			c.Route != (providers.Route{Kind: providers.CallRecording, Observed: observed, SourceParticipant: "30fad2ce-8989-41a1-8a66-f6636e629a2a"}) {
			t.Fatalf("a policy-based recording invite must show as one, for the observed participant: %+v", c)
		}
		if w := c.AnswerBy.Sub(c.Arrived); w != RecordingWindow {
			t.Fatalf("a recording invite rings %v, want %v", w, RecordingWindow)
		}
		if !c.Can(providers.ActionAnswer) {
			t.Fatal("a recording invite can be answered")
		}
		if j := jsonLine(t, c); !strings.Contains(j, `"route":{"kind":"recording","observed":{"id":"8A34A46B-3D17-4ADC-8DCE-DC4E7D572698","kind":"user","label":"Teams user ·8a34a4"},"source_participant":"30fad2ce-8989-41a1-8a66-f6636e629a2a"}`) {
			t.Fatalf("json: %s", j)
		}
	},
	"doc-answer-beta-callroutes.json": func(t *testing.T, h *harness, body []byte) {
		h.post(body)
		c := h.call()
		want := providers.Route{
			Dialled:  providers.Party{ID: "+14258828080", Kind: providers.KindPhone},
			RoutedTo: providers.Party{Name: "Heidi Steen", ID: "29362BD4-CD58-4ED0-A206-0E4A33DBB0B6", Kind: providers.KindUser},
		}
		if c.Route != want || c.Queue != "+14258828080" || c.From.Name != "Test User" {
			t.Fatalf("route %+v queue %q from %+v", c.Route, c.Queue, c.From)
		}
		j := jsonLine(t, c)
		for _, part := range []string{`"queue":"+14258828080"`,
			`"route":{"dialled":{"id":"+14258828080","kind":"phone"},"routed_to":{"name":"Heidi Steen","id":"29362BD4-CD58-4ED0-A206-0E4A33DBB0B6","kind":"user"}}`} {
			if !strings.Contains(j, part) {
				t.Fatalf("json lacks %s: %s", part, j)
			}
		}
	},
	"doc-commsnotifications-incoming-minimal.json": func(t *testing.T, h *harness, body []byte) {
		h.post(body)
		c := h.call()
		if c.ID != "f13f9755-9b05-4f27-b8a9-b071ed29c731" || c.State != providers.StateRinging || !c.From.IsZero() || !c.Route.IsZero() {
			t.Fatalf("%+v", c)
		}
	},
	"doc-transfer-transferring.json": func(t *testing.T, h *harness, body []byte) {
		h.talking(transferCallID)
		h.post(body)
		h.quiet() // a transfer under way leaves the call talking
		if c := h.ledgerCall(transferCallID); c.State != providers.StateActive {
			t.Fatalf("%+v", c)
		}
	},
	"doc-transfer-accepted.json": func(t *testing.T, h *harness, body []byte) {
		h.talking(transferCallID)
		h.post(body)
		h.quiet()
		if c := h.ledgerCall(transferCallID); c.State != providers.StateActive {
			t.Fatalf("%+v", c)
		}
	},
	"doc-transfer-completed-0-7015.json": func(t *testing.T, h *harness, body []byte) {
		h.talking(transferCallID)
		h.post(body)
		c := h.call()
		want := providers.EndReason{Code: 0, Subcode: 7015, Text: "Call transferred: the transfer completed."}
		// Graph's end alone says the call was transferred: a bot's call
		// is transferred only by the bot.
		if c.State != providers.StateEnded || c.End != want || c.Result() != providers.OutcomeTransferred {
			t.Fatalf("%+v", c)
		}
		if s := c.End.String(); s != "Call transferred: the transfer completed. (0/7015)" {
			t.Fatalf("end shows as %q", s)
		}
		if j := jsonLine(t, c); !strings.Contains(j, `"end":{"code":0,"subcode":7015,"text":"Call transferred: the transfer completed."}`) ||
			!strings.Contains(j, `"outcome":"transferred"`) {
			t.Fatalf("json: %s", j)
		}
	},
	"doc-transfer-completed-apptransferred.json": func(t *testing.T, h *harness, body []byte) {
		h.talking(transferCallID)
		h.post(body)
		c := h.call()
		if c.State != providers.StateEnded || c.End != (providers.EndReason{Text: "Call transferred by the bot."}) ||
			c.Result() != providers.OutcomeTransferred {
			t.Fatalf("%+v", c)
		}
	},
	"doc-transfer-failed-500-7000.json": func(t *testing.T, h *harness, body []byte) {
		h.talking(transferCallID)
		h.post(body)
		h.quiet() // a failed transfer leaves the call as it was
		if c := h.ledgerCall(transferCallID); c.State != providers.StateActive || !c.End.IsZero() {
			t.Fatalf("%+v", c)
		}
	},
	"doc-join-meeting-establishing.json": func(t *testing.T, h *harness, body []byte) {
		h.post(body)
		c := h.call()
		bob := providers.Party{Name: "Bob", ID: "5810cede-f3cc-42eb-b2c1-e9bd5d53ec96", Kind: providers.KindUser}
		if c.ID != meetingCallID || c.State != providers.StateConnecting ||
			c.Route != (providers.Route{Kind: providers.CallMeeting, Organizer: bob}) {
			t.Fatalf("a meeting join must show as one: %+v", c)
		}
		if j := jsonLine(t, c); !strings.Contains(j, `"route":{"kind":"meeting","organizer":{"name":"Bob","id":"5810cede-f3cc-42eb-b2c1-e9bd5d53ec96","kind":"user"}}`) {
			t.Fatalf("json: %s", j)
		}
	},
	"doc-join-meeting-established.json": func(t *testing.T, h *harness, body []byte) {
		h.post(corpusBody(t, "doc-join-meeting-establishing.json"))
		h.call()
		h.post(body)
		c := h.call()
		if c.State != providers.StateActive || c.Route.Kind != providers.CallMeeting || c.Route.Organizer.Name != "Bob" {
			t.Fatalf("%+v", c)
		}
	},
	"doc-content-sharing-started.json": func(t *testing.T, h *harness, body []byte) {
		h.post(body)
		h.quiet() // not a call: nothing to show
	},
	"doc-content-sharing-sessions-updated.json": func(t *testing.T, h *harness, body []byte) {
		h.post(body)
		h.quiet()
	},
	"doc-teams-callback-auth-example.json": func(t *testing.T, h *harness, body []byte) {
		h.expectReply(body, 400, "not a JSON object")
		h.quiet()
	},
	"legacy-skype-calling-conversation.json": func(t *testing.T, h *harness, body []byte) {
		expectLegacy(t, h, body, "11111111-2222-3333-4444-555555555555")
	},
	"legacy-skype-calling-conversation-result.json": func(t *testing.T, h *harness, body []byte) {
		expectLegacy(t, h, body, "11111111-2222-3333-4444-555555555555")
	},
	"legacy-rtmc-incoming.json": func(t *testing.T, h *harness, body []byte) {
		expectLegacy(t, h, body, "0b022b87-f255-4667-9335-2335f30ee8de")
	},
	"legacy-issue-docs-8310.json": func(t *testing.T, h *harness, body []byte) {
		expectLegacy(t, h, body, "8e8dded7-f99f-4ee7-967e-56ecc1c48392")
	},
	"legacy-rtmc-state-change.json": func(t *testing.T, h *harness, body []byte) {
		h.expectReply(body, 400, "not valid JSON")
		h.quiet()
		if n := h.p.LegacyCalls(); n != 0 {
			t.Fatalf("a body that is not JSON counted as a legacy call (%d)", n)
		}
	},
}

// expectLegacy: 204 No Content, counted, logged with its id, not processed.
func expectLegacy(t *testing.T, h *harness, body []byte, id string) {
	t.Helper()
	h.expectReply(body, 204, "")
	h.quiet()
	if n := h.p.LegacyCalls(); n != 1 {
		t.Fatalf("%d legacy calls counted, want 1", n)
	}
	if !h.logContains("legacy (pre-Graph) format") || !h.logContains(id) {
		t.Fatalf("the legacy call is not logged with its id:\n%s", h.logs.String())
	}
}

func TestCorpus(t *testing.T) {
	for name, check := range corpusCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, setup{})
			check(t, h, corpusBody(t, name))
		})
	}
}

// Every file of the corpus has an expectation, and every expectation a file.
func TestCorpusIsCovered(t *testing.T) {
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			files[e.Name()] = true
			if corpusCases[e.Name()] == nil {
				t.Errorf("%s has no expectation in corpusCases", e.Name())
			}
		}
	}
	for name := range corpusCases {
		if !files[name] {
			t.Errorf("corpusCases expects %s, which is not in %s", name, corpusDir)
		}
	}
	readme, err := os.ReadFile(filepath.Join(corpusDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name := range files {
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("the corpus README does not name the source of %s", name)
		}
	}
}
