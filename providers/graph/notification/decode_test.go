package notification_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"ringside/providers/graph/graphtest"
	"ringside/providers/graph/notification"
)

func decodeOne(t *testing.T, name string) notification.Notification {
	t.Helper()
	ns, err := notification.Decode(graphtest.Notification(name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(ns) != 1 {
		t.Fatalf("%s: %d notifications, want 1", name, len(ns))
	}
	return ns[0]
}

func TestSeedIncomingOldShape(t *testing.T) {
	n := decodeOne(t, "seed000-incoming.json")
	if n.ChangeType != notification.Created || n.Kind != notification.KindCall {
		t.Fatalf("change/kind: %+v", n)
	}
	if n.Resource != "/app/calls/57DAB8B1894C409AB240BD8BEAE78896" || n.CallID != graphtest.SeedCallIDOld {
		t.Fatalf("resource %q id %q", n.Resource, n.CallID)
	}
	c := n.Call
	if c == nil || c.State != "incoming" || c.Direction != "incoming" {
		t.Fatalf("call: %+v", c)
	}
	if c.Source == nil || c.Source.Identity.User == nil ||
		*c.Source.Identity.User != (notification.Identity{ID: "8A34A46B-3D17-4ADC-8DCE-DC4E7D572698", DisplayName: "Test User"}) {
		t.Fatalf("source: %+v", c.Source)
	}
	if c.Source.Region != "westus" || c.Source.LanguageID != "en-US" {
		t.Fatalf("source region/language: %+v", c.Source)
	}
	if len(c.Targets) != 1 || c.Targets[0].Identity.Application == nil || c.Targets[0].Identity.Application.DisplayName != "Test BOT" {
		t.Fatalf("targets: %+v", c.Targets)
	}
	if !slices.Equal(c.RequestedModalities, []string{"audio", "video"}) {
		t.Fatalf("modalities: %v", c.RequestedModalities)
	}
	if c.ResultInfo != nil || c.Meeting != nil || c.Context != nil || c.Routes != nil {
		t.Fatalf("unexpected result info, meeting or routing: %+v", c)
	}
}

func TestSeedDeletedWithoutState(t *testing.T) {
	n := decodeOne(t, "seed000-deleted.json")
	if n.ChangeType != notification.Deleted || n.CallID != graphtest.SeedCallIDOld {
		t.Fatalf("%+v", n)
	}
	if n.Call == nil || n.Call.State != "" || n.Call.Source != nil || n.Call.Targets != nil || n.Call.RequestedModalities != nil {
		t.Fatalf("a deleted notification with only @odata fields must decode to an empty call: %+v", n.Call)
	}
}

func TestSeedTerminatedOldShape(t *testing.T) {
	n := decodeOne(t, "seed002-terminated.json")
	if n.ChangeType != notification.Deleted || n.Call.State != "terminated" || n.Call.TerminationReason != "AppInitiated" {
		t.Fatalf("%+v %+v", n, n.Call)
	}
}

func TestSeedCurrentShape(t *testing.T) {
	n := decodeOne(t, "seed003-terminating.json")
	if n.ChangeType != notification.Updated || n.CallID != graphtest.SeedCallID || n.Call.State != "terminating" {
		t.Fatalf("%+v %+v", n, n.Call)
	}
	n = decodeOne(t, "seed003-terminated.json")
	if n.ChangeType != notification.Deleted || n.Call.State != "terminated" {
		t.Fatalf("%+v %+v", n, n.Call)
	}
	want := notification.ResultInfo{Code: 200, Subcode: 5001, Message: "The conversation has ended."}
	if n.Call.ResultInfo == nil || *n.Call.ResultInfo != want {
		t.Fatalf("result info %+v, want %+v", n.Call.ResultInfo, want)
	}
}

func TestBothResourceFieldsAndCapitals(t *testing.T) {
	n := decodeOne(t, "field-both-resources.json")
	if n.Resource != "/communications/calls/811f5c00-0e32-48ce-9f27-8d77b9892453" {
		t.Fatalf("resourceUrl must win over resource: %q", n.Resource)
	}
	if n.ChangeType != notification.Updated || n.Call.State != "established" {
		t.Fatalf("enum values must compare without case: %+v %+v", n, n.Call)
	}
	if n.Call.TenantID != "0688dcf9-164e-4b85-aa11-cf763e279409" {
		t.Fatalf("tenant: %q", n.Call.TenantID)
	}
}

func TestNumericResultCodes(t *testing.T) {
	n := decodeOne(t, "field-terminated-numeric.json")
	want := notification.ResultInfo{Code: 500, Subcode: 7106, Message: "Server Internal Error. DiagCode: 3003#7106.@"}
	if n.ChangeType != notification.Deleted || n.Call.State != "terminated" || *n.Call.ResultInfo != want {
		t.Fatalf("%+v %+v", n, n.Call.ResultInfo)
	}
}

func TestParticipantsArrayIsAccepted(t *testing.T) {
	n := decodeOne(t, "doc-participants.json")
	if n.Kind != notification.KindParticipants || n.CallID != graphtest.SeedCallID || n.Call != nil {
		t.Fatalf("%+v", n)
	}
}

func TestPhoneCallerAndAppInstance(t *testing.T) {
	n := decodeOne(t, "doc-incoming-pstn-instance.json")
	c := n.Call
	if c.Source.Identity.Phone == nil || c.Source.Identity.Phone.ID != "+12345678901" {
		t.Fatalf("phone caller: %+v", c.Source)
	}
	if c.Targets[0].Identity.ApplicationInstance == nil || c.Targets[0].Identity.ApplicationInstance.DisplayName != "PstnAppInstance" {
		t.Fatalf("target: %+v", c.Targets)
	}
	if c.Targets[0].LanguageID != "" || c.Source.Region != "amer" || c.CallbackURI == "" || c.ID != n.CallID {
		t.Fatalf("call: %+v", c)
	}
}

func TestEncryptedCaller(t *testing.T) {
	n := decodeOne(t, "field-encrypted-caller.json")
	if n.Call.Source.Identity.Encrypted == nil || n.Call.Source.Identity.User != nil {
		t.Fatalf("%+v", n.Call.Source)
	}
}

func TestEveryStoredNotificationDecodes(t *testing.T) {
	for _, name := range graphtest.Notifications() {
		if _, err := notification.Decode(graphtest.Notification(name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSeveralNotificationsInOneBody(t *testing.T) {
	body := `{"value":[
		{"changeType":"updated","resourceUrl":"/communications/calls/a","resourceData":{"state":"establishing"}},
		{"changeType":"updated","resourceUrl":"/communications/calls/a/participants","resourceData":[]},
		{"changeType":"deleted","resourceUrl":"/communications/calls/a/operations/op1","resourceData":{"status":"completed"}},
		{"changeType":"created","resourceUrl":"/communications/calls/a/contentsharingsessions/s1"},
		{"changeType":"updated","resourceUrl":"/communications/callRecords/r1","resourceData":{"id":"r1"}},
		{"changeType":"unknownFutureValue","resourceUrl":"/communications/calls/b","resourceData":{"state":"unknownFutureValue"}}
	]}`
	ns, err := notification.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	kinds := []notification.Kind{
		notification.KindCall, notification.KindParticipants, notification.KindOperation,
		notification.KindCallSubresource, notification.KindOther, notification.KindCall,
	}
	if len(ns) != len(kinds) {
		t.Fatalf("%d notifications", len(ns))
	}
	for i, n := range ns {
		if n.Kind != kinds[i] {
			t.Errorf("value[%d] kind %d, want %d", i, n.Kind, kinds[i])
		}
	}
	if ns[5].ChangeType != "unknownfuturevalue" || ns[5].Call.State != "unknownfuturevalue" {
		t.Fatalf("unknown values must pass through, lowered: %+v %+v", ns[5], ns[5].Call)
	}
}

func TestBadBodies(t *testing.T) {
	many := `{"value":[` + strings.Repeat(`{"changeType":"updated","resource":"/app/calls/x"},`, notification.MaxItems) +
		`{"changeType":"updated","resource":"/app/calls/x"}]}`
	cases := []struct{ name, body, want string }{
		{"empty", "", "empty"},
		{"garbage in an unknown field", `{"value":[{"changeType":"created","resource":"/app/calls/a","x":{0}}]}`, "not valid JSON"},
		{"leading zero", `{"value":[{"changeType":"created","resource":"/app/calls/a","x":01}]}`, "not valid JSON"},
		{"whitespace", " \n ", "empty"},
		{"array", `[{"changeType":"created"}]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"not JSON", `{"value": [}`, "not valid JSON"},
		{"truncated", `{"value":[{"changeType":"created"`, "not valid JSON"},
		{"no value", `{"@odata.type":"#microsoft.graph.commsNotifications"}`, `no "value"`},
		{"null value", `{"value":null}`, `no "value"`},
		{"value object", `{"value":{}}`, "wrong type"},
		{"item not object", `{"value":[1]}`, "value[0]: a notification must be a JSON object"},
		{"no change type", `{"value":[{"resourceUrl":"/communications/calls/a"}]}`, `"changeType" is missing`},
		{"change type number", `{"value":[{"changeType":5,"resourceUrl":"/communications/calls/a"}]}`, `"changeType"`},
		{"no resource", `{"value":[{"changeType":"created"}]}`, "names the resource"},
		{"second item bad", `{"value":[{"changeType":"created","resource":"/app/calls/a"},{"changeType":"x"}]}`, "value[1]"},
		{"call data array", `{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/a","resourceData":[]}]}`, "must be a JSON object"},
		{"state number", `{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/a","resourceData":{"state":5}}]}`, `"state"`},
		{"source string", `{"value":[{"changeType":"created","resourceUrl":"/communications/calls/a","resourceData":{"source":"x"}}]}`, "source"},
		{"too many", many, "more than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns, err := notification.Decode([]byte(tc.body))
			if err == nil {
				t.Fatalf("decoded %+v, want an error", ns)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestResultCodesAsStringsOrNumbers(t *testing.T) {
	cases := []struct {
		code string
		want int
	}{
		{`"200"`, 200}, {`200`, 200}, {`" 408 "`, 408}, {`500.0`, 500}, {`null`, 0},
		{`"abc"`, 0}, {`1e20`, 0}, {`99999999999`, 0}, {`-1`, -1}, {`4.5`, 0},
	}
	for _, tc := range cases {
		body := fmt.Sprintf(`{"value":[{"changeType":"deleted","resourceUrl":"/communications/calls/a",
			"resourceData":{"state":"terminated","resultInfo":{"code":%s,"subcode":%s,"message":"m"}}}]}`, tc.code, tc.code)
		ns, err := notification.Decode([]byte(body))
		if err != nil {
			t.Fatalf("code %s: %v", tc.code, err)
		}
		ri := ns[0].Call.ResultInfo
		if ri.Code != tc.want || ri.Subcode != tc.want || ri.Message != "m" {
			t.Errorf("code %s: got %+v, want %d", tc.code, ri, tc.want)
		}
	}
	// A code that is neither string nor number is a wrong type, not a zero.
	if _, err := notification.Decode([]byte(`{"value":[{"changeType":"deleted","resourceUrl":"/communications/calls/a",
		"resourceData":{"resultInfo":{"code":{"x":1}}}}]}`)); err == nil {
		t.Fatal("an object as a code must be refused")
	}
}

func TestParseResource(t *testing.T) {
	cases := []struct {
		in   string
		kind notification.Kind
		id   string
	}{
		{"/communications/calls/57dab8b1-894c-409a-b240-bd8beae78896", notification.KindCall, "57dab8b1-894c-409a-b240-bd8beae78896"},
		{"/app/calls/57DAB8B1894C409AB240BD8BEAE78896", notification.KindCall, "57DAB8B1894C409AB240BD8BEAE78896"},
		{"communications/calls/abc", notification.KindCall, "abc"},
		{"/applications/app1/calls/abc/", notification.KindCall, "abc"},
		{"https://graph.microsoft.com/v1.0/communications/calls/abc", notification.KindCall, "abc"},
		{"/communications/calls/abc?x=1", notification.KindCall, "abc"},
		{"/Communications/Calls/abc/Participants", notification.KindParticipants, "abc"},
		{"/communications/calls/abc/operations/op", notification.KindOperation, "abc"},
		{"/communications/calls/abc/contentsharingsessions/s", notification.KindCallSubresource, "abc"},
		{"/communications/calls/", notification.KindOther, ""},
		{"/communications/callRecords/abc", notification.KindOther, ""},
		{"/users/u/calls/abc", notification.KindOther, ""},
		{"calls/abc", notification.KindOther, ""},
		{"https://host", notification.KindOther, ""},
		{"", notification.KindOther, ""},
	}
	for _, tc := range cases {
		kind, id := notification.ParseResource(tc.in)
		if kind != tc.kind || id != tc.id {
			t.Errorf("ParseResource(%q) = %d %q, want %d %q", tc.in, kind, id, tc.kind, tc.id)
		}
	}
}

// A call id goes into REST paths and onto the screen as it is, so only the
// safe alphabet is accepted: ".." would survive url.PathEscape.
func TestUnsafeCallIDsAreRefused(t *testing.T) {
	for _, resource := range []string{
		"/communications/calls/..", "/communications/calls/.", "/communications/calls/../answer",
		"/app/calls/a%2Fb", "/communications/calls/x\u001b[2J", "/communications/calls/" + strings.Repeat("a", 200),
	} {
		quoted, _ := json.Marshal(resource)
		body := fmt.Sprintf(`{"value":[{"changeType":"updated","resourceUrl":%s,"resourceData":{"state":"established"}}]}`, quoted)
		_, err := notification.Decode([]byte(body))
		if err == nil || !strings.Contains(err.Error(), "not a valid call id") {
			t.Errorf("%q: %v, want a refusal of the id", resource, err)
			continue
		}
		if strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("the error quotes the resource raw: %q", err)
		}
	}
}

func decodeCall(t *testing.T, resourceData string) *notification.Call {
	t.Helper()
	ns, err := notification.Decode([]byte(`{"value":[{"changeType":"created","resourceUrl":"/communications/calls/a","resourceData":` + resourceData + `}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || ns[0].Call == nil {
		t.Fatalf("%+v", ns)
	}
	return ns[0].Call
}

// chatInfo and a meetingInfo without an organizer or a join id come with 1:1
// calls and recording invites too: only a meetingInfo that names a meeting
// makes a meeting.
func TestMeetingOnlyForARealMeeting(t *testing.T) {
	chat := `"chatInfo":{"threadId":"19:abc@unq.gbl.spaces","messageId":"0"}`
	for _, tc := range []struct {
		name, data string
		meeting    bool
	}{
		{"chat info only", `{"state":"incoming",` + chat + `}`, false},
		{"join token", `{"state":"incoming",` + chat + `,"meetingInfo":{"@odata.type":"#microsoft.graph.tokenMeetingInfo","token":"join token"}}`, false},
		{"organizer without identity", `{"meetingInfo":{"@odata.type":"#microsoft.graph.organizerMeetingInfo","organizer":{"user":{"id":" "}}}}`, false},
		{"organizer null", `{"meetingInfo":{"organizer":null,"allowConversationWithoutHost":true}}`, false},
		{"meeting info null", `{"meetingInfo":null}`, false},
		{"meeting info of another shape", `{"meetingInfo":"yes"}`, false},
		{"organizer", `{` + chat + `,"meetingInfo":{"@odata.type":"#microsoft.graph.organizerMeetingInfo","organizer":{"user":{"id":"5810cede","displayName":"Bob"}}}}`, true},
		{"join meeting id", `{"meetingInfo":{"@odata.type":"#microsoft.graph.joinMeetingIdMeetingInfo","joinMeetingId":"1234567","passcode":null}}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := decodeCall(t, tc.data)
			if (c.Meeting != nil) != tc.meeting {
				t.Fatalf("meeting %+v, want %v", c.Meeting, tc.meeting)
			}
		})
	}
	m := decodeCall(t, `{"meetingInfo":{"organizer":{"user":{"id":" 5810cede ","displayName":" Bob "}}}}`).Meeting
	if m.Organizer == nil || *m.Organizer.User != (notification.Identity{ID: "5810cede", DisplayName: "Bob"}) {
		t.Fatalf("organizer %+v", m)
	}
}

func TestRoutesAndIncomingContext(t *testing.T) {
	c := decodeCall(t, `{"state":"incoming",
		"callRoutes":[{"routingType":"Forwarded","original":{"phone":{"id":"+14258828080"}},"final":{"user":{"id":"u1","displayName":"Heidi Steen"}}},
		              {"routingType":"lookup","original":{"user":{"id":"u1"}},"final":{"user":{"id":"u2"}}}],
		"incomingContext":{"sourceParticipantId":"p1","observedParticipantId":" p1 ",
		                   "onBehalfOf":{"user":{"id":"boss","displayName":"Megan Bowen"}},"transferor":{"user":{"id":"t1","displayName":"Alex Wilber"}}}}`)
	if len(c.Routes) != 2 || c.Routes[0].RoutingType != "forwarded" || c.Routes[0].Original.Phone.ID != "+14258828080" ||
		c.Routes[0].Final.User.DisplayName != "Heidi Steen" || c.Routes[1].Final.User.ID != "u2" {
		t.Fatalf("routes %+v", c.Routes)
	}
	ic := c.Context
	if ic == nil || ic.SourceParticipantID != "p1" || ic.ObservedParticipantID != "p1" ||
		ic.OnBehalfOf.User.DisplayName != "Megan Bowen" || ic.Transferor.User.ID != "t1" {
		t.Fatalf("context %+v", ic)
	}
}

// The call's context only adds to what is shown: a part of an unexpected
// shape is left out, and the call itself still decodes.
func TestContextOfAnotherShapeIsLeftOut(t *testing.T) {
	c := decodeCall(t, `{"state":"incoming","source":{"identity":{"user":{"id":"u","displayName":"Ann"}}},
		"callRoutes":"none","incomingContext":[1,2],"meetingInfo":{"organizer":{"user":5}}}`)
	if c.State != "incoming" || c.Source == nil || c.Source.Identity.User.DisplayName != "Ann" {
		t.Fatalf("the call was lost: %+v", c)
	}
	if c.Routes != nil || c.Context != nil || c.Meeting != nil {
		t.Fatalf("context of another shape kept: %+v %+v %+v", c.Routes, c.Context, c.Meeting)
	}
}

// A body in the legacy (pre-Graph) format is told apart from other bodies
// without a "value" array.
func TestLegacyCallIsRecognised(t *testing.T) {
	for _, tc := range []struct {
		body, id string
	}{
		{`{"id":"0b022b87","participants":[{"identity":"29:x","originator":true}],"isMultiparty":false,"presentedModalityTypes":["audio"],"callState":"incoming"}`, "0b022b87"},
		{`{"Id":"c1","CallState":"incoming"}`, "c1"},
		{`{"id":" c2 ","participants":[]}`, "c2"},
		{`{"id":"` + strings.Repeat("x", 300) + `","callState":"incoming"}`, strings.Repeat("x", notification.MaxLegacyID)},
	} {
		_, err := notification.Decode([]byte(tc.body))
		var legacy *notification.LegacyError
		if !errors.As(err, &legacy) || legacy.CallID != tc.id {
			t.Errorf("%.60s: %v", tc.body, err)
		}
	}
	for _, body := range []string{
		`{}`, `{"id":"c"}`, `{"callState":"incoming","participants":[]}`, `{"id":"","callState":"incoming"}`,
		`{"id":["c"],"callState":"incoming"}`, `{"id":"c","callState":"","participants":{}}`, `{"id":"c","callState":5}`,
		`{"value":[],"id":"c","callState":"incoming"}`,
	} {
		_, err := notification.Decode([]byte(body))
		var legacy *notification.LegacyError
		if errors.As(err, &legacy) {
			t.Errorf("%s taken for a legacy call", body)
		}
	}
}
