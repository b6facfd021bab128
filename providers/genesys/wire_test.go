package genesys

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDecodeSeedRejectNotification(t *testing.T) {
	raw, err := os.ReadFile("testdata/seed004_reject_notification.json")
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Channel string          `json:"channel"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &msg); err != nil {
		t.Fatal(err)
	}
	n, err := decodeNotification(msg.Channel, msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	want := &callNote{Type: "StatusChange", PhoneNumber: "5001", Call: wireCall{
		ID: "013V08JRL498H10I04000VTAES00000I", State: "Released", CallType: "Internal", DNIS: "9000",
		Participants: []wireParty{{Number: "5005"}}, Capabilities: []string{},
		Duration: 5 * time.Second, HasDuration: true,
	}}
	if !reflect.DeepEqual(n.Call, want) {
		t.Fatalf("seed notification:\n got %+v\nwant %+v", n.Call, want)
	}
}

func TestDecodeCallShapes(t *testing.T) {
	tests := []struct {
		name string
		json string
		want wireCall
	}{
		{
			name: "participants as strings (before 8.5.2)",
			json: `{"id":"0071025563e9f00f","state":"Established","participants":["1001"],"duration":"13","userData":{"hello":"hola"}}`,
			want: wireCall{ID: "0071025563e9f00f", State: "Established", Participants: []wireParty{{Number: "1001"}}, Duration: 13 * time.Second, HasDuration: true,
				UserData: json.RawMessage(`{"hello":"hola"}`)},
		},
		{
			name: "participants as objects with a formatted number",
			json: `{"id":"c1","state":"Ringing","participants":[{"phoneNumber":"+14255550100","formattedPhoneNumber":"(425) 555-0100","digits":"14255550100","e164Number":"+14255550100"}]}`,
			want: wireCall{ID: "c1", State: "Ringing", Participants: []wireParty{{Number: "+14255550100", Formatted: "(425) 555-0100"}}},
		},
		{
			name: "objects with digits only, a bare number, and junk entries",
			json: `{"id":"c2","participants":[{"digits":"5005"},42,{"x":1},null,"",{"formattedPhoneNumber":"Front desk"}]}`,
			want: wireCall{ID: "c2", Participants: []wireParty{{Number: "5005"}, {Number: "42"}, {Number: "Front desk"}}},
		},
		{
			name: "duration as a number; unknown state and fields",
			json: `{"id":"c3","state":"Conferenced","duration":7,"mute":"On","case":[],"newThing":{"a":[1,2]}}`,
			want: wireCall{ID: "c3", State: "Conferenced", Duration: 7 * time.Second, HasDuration: true},
		},
		{
			name: "unreadable duration is ignored",
			json: `{"id":"c4","duration":"soon"}`,
			want: wireCall{ID: "c4"},
		},
		{
			name: "negative and absurd durations are ignored",
			json: `{"id":"c5","duration":"-3","callType":"Inbound"}`,
			want: wireCall{ID: "c5", CallType: "Inbound"},
		},
		{
			name: "capabilities skip non-strings",
			json: `{"id":"c6","capabilities":["Answer",1,{"a":1},"Reject",""]}`,
			want: wireCall{ID: "c6", Capabilities: []string{"Answer", "Reject"}},
		},
		{
			name: "userData that is not an object is not kept",
			json: `{"id":"c8","userData":["x"]}`,
			want: wireCall{ID: "c8"},
		},
		{
			name: "extensions on the call resource",
			json: `{"id":"c9","state":"Ringing","extensions":{"NO_ANSWER_TIMEOUT":"25","NO_ANSWER_ACTION":"notready"}}`,
			want: wireCall{ID: "c9", State: "Ringing", NoAnswer: 25 * time.Second, NoAnswerAction: "notready"},
		},
		{
			name: "wrong types in optional fields cost only those fields",
			json: `{"id":"c7","state":"Held","callType":5,"ani":5125,"dnis":{"x":1},"participants":"5005","capabilities":"Answer"}`,
			want: wireCall{ID: "c7", State: "Held", ANI: "5125"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeCall([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrorsSayWhatIsWrong(t *testing.T) {
	tests := []struct {
		channel, data, want string
	}{
		{channelCalls, ``, "empty"},
		{channelCalls, `nope`, "not JSON"},
		{channelCalls, `[1]`, "expected a JSON object, got an array"},
		{channelCalls, `{"messageType":"CallStateChangeMessage"`, "malformed JSON"},
		{channelCalls, `{"messageType":"CallStateChangeMessage"}`, "has no call"},
		{channelCalls, `{"messageType":"CallStateChangeMessage","call":null}`, "has no call"},
		{channelCalls, `{"messageType":"CallStateChangeMessage","call":"x"}`, "got a string"},
		{channelCalls, `{"messageType":"CallStateChangeMessage","call":{}}`, "call has no id"},
		{channelCalls, `{"messageType":"CallStateChangeMessage","call":{"id":" "}}`, "call has no id"},
		{channelCalls, `{"messageType":"CallStateChangeMessage","call":{"id":12}}`, "call id is not a string"},
		{channelCalls, `{"messageType":"CallStateChangeMessage","call":{"id":".."}}`, "not a valid call id"},
		{channelCalls, `{"messageType":"CallStateChangeMessage","call":{"id":"a/b"}}`, "not a valid call id"},
		{channelCalls, `{"messageType":"CallStateChangeMessage","call":{"id":"x\u001b[2J"}}`, "not a valid call id"},
		{channelCalls, `{"messageType":"CallStateChangeMessage","call":{"id":"a","state":true}}`, "state is not a string"},
		{channelDevices, `{"messageType":"DeviceStateChangeMessage","devices":{}}`, "devices is not an array"},
		{channelDevices, `{"messageType":"DeviceStateChangeMessage"}`, "no devices"},
	}
	for _, tt := range tests {
		_, err := decodeNotification(tt.channel, []byte(tt.data))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %q: error %v, want it to mention %q", tt.channel, tt.data, err, tt.want)
		}
	}
}

func TestDecodeIgnoresOtherMessages(t *testing.T) {
	for _, data := range []string{
		`{"messageType":"ChatStateChangeMessage","chat":{}}`,
		`{"messageType":"PasswordChangeSuccessful"}`,
		`{}`,
		`{"messageType":42,"call":{"id":"x"}}`,
	} {
		n, err := decodeNotification("/v2/me/chats", []byte(data))
		if err != nil || n.Call != nil || n.Device != nil || n.Error != nil {
			t.Errorf("%s: %+v %v", data, n, err)
		}
	}
	// Without messageType, the channel and payload decide.
	n, err := decodeNotification(channelCalls, []byte(`{"call":{"id":"x","state":"Ringing"}}`))
	if err != nil || n.Call == nil || n.Call.Call.ID != "x" {
		t.Errorf("call message without messageType: %+v %v", n, err)
	}
}

func TestDecodeDevices(t *testing.T) {
	data := `{"messageType":"DeviceStateChangeMessage","devices":[
	  {"id":"efe1ab32","deviceState":"Active","phoneNumber":"5005","doNotDisturb":"On",
	   "userState":{"id":"900D55CC","displayName":"Not Ready","state":"NotReady","workMode":"AfterCallWork"},
	   "capabilities":["DoNotDisturbOff"]},
	  "junk",
	  {"id":"second","phoneNumber":5006,"doNotDisturb":true,"userState":"weird"}]}`
	n, err := decodeNotification(channelDevices, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []wireDevice{
		{ID: "efe1ab32", PhoneNumber: "5005", DND: true, UserState: "NotReady", WorkMode: "AfterCallWork", DisplayName: "Not Ready"},
		{ID: "second", PhoneNumber: "5006", DND: true},
	}
	if !reflect.DeepEqual(n.Device.Devices, want) {
		t.Fatalf("\n got %+v\nwant %+v", n.Device.Devices, want)
	}
}

func TestAgentLabel(t *testing.T) {
	tests := []struct {
		devices []wireDevice
		want    string
	}{
		{nil, ""},
		{[]wireDevice{{UserState: "Ready", DisplayName: "Ready"}}, "Ready"},
		{[]wireDevice{{UserState: "NotReady", DisplayName: "Not Ready"}}, "Not Ready"},
		{[]wireDevice{{UserState: "NotReady", WorkMode: "AfterCallWork"}}, "Not Ready (After Call Work)"},
		{[]wireDevice{{UserState: "NotReady", WorkMode: "Unknown"}}, "Not Ready"},
		{[]wireDevice{{UserState: "NotReady", DisplayName: "Lunch", WorkMode: "AuxWork"}}, "Not Ready (Lunch)"},
		{[]wireDevice{{UserState: "Ready", DND: true}}, "Ready · DND"},
		{[]wireDevice{{DND: true}}, "DND"},
		{[]wireDevice{{UserState: "Ready"}, {UserState: "Ready"}}, "Ready"},
		{[]wireDevice{{UserState: "Ready"}, {UserState: "NotReady"}}, "Ready, Not Ready"},
	}
	for _, tt := range tests {
		if got := agentLabel(tt.devices); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.devices, got, tt.want)
		}
	}
}

func TestDecodeNoAnswerTimeout(t *testing.T) {
	tests := []struct {
		name       string
		extensions string
		timeout    time.Duration
		action     string
		problem    string
	}{
		{"seconds as a number", `{"NO_ANSWER_TIMEOUT":20,"NO_ANSWER_ACTION":"notready"}`, 20 * time.Second, "notready", ""},
		{"seconds as a string", `{"NO_ANSWER_TIMEOUT":"12","NO_ANSWER_ACTION":"logout"}`, 12 * time.Second, "logout", ""},
		{"padded, fractional", `{"NO_ANSWER_TIMEOUT":" 7.5 "}`, 7500 * time.Millisecond, "", ""},
		{"the documented maximum", `{"NO_ANSWER_TIMEOUT":600}`, 600 * time.Second, "", ""},
		{"zero is no supervision", `{"NO_ANSWER_TIMEOUT":0,"NO_ANSWER_ACTION":"none"}`, 0, "none", ""},
		{"absent", `{"WrapUpTime":0,"BusinessCall":0}`, 0, "", ""},
		{"null", `{"NO_ANSWER_TIMEOUT":null}`, 0, "", ""},
		{"negative", `{"NO_ANSWER_TIMEOUT":-5}`, 0, "", "NO_ANSWER_TIMEOUT -5 is negative"},
		{"negative string", `{"NO_ANSWER_TIMEOUT":"-1"}`, 0, "", "is negative"},
		{"huge", `{"NO_ANSWER_TIMEOUT":86400}`, 0, "", "NO_ANSWER_TIMEOUT 86400 s is more than the 600 s T-Server allows"},
		{"overflowing", `{"NO_ANSWER_TIMEOUT":1e400}`, 0, "", "not a number of seconds"},
		{"not a number", `{"NO_ANSWER_TIMEOUT":"soon"}`, 0, "", `NO_ANSWER_TIMEOUT "soon" is not a number of seconds`},
		{"NaN", `{"NO_ANSWER_TIMEOUT":"NaN"}`, 0, "", "is not a number of seconds"},
		{"wrong type", `{"NO_ANSWER_TIMEOUT":{"s":20}}`, 0, "", "NO_ANSWER_TIMEOUT is not a number of seconds"},
		{"a long refused value is cut", `{"NO_ANSWER_TIMEOUT":"` + strings.Repeat("9", 500) + `"}`, 0, "", "…"},
		{"extensions not an object", `[1,2]`, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := `{"messageType":"CallStateChangeMessage","notificationType":"StatusChange","call":{"id":"c1","state":"Ringing"},"extensions":` + tt.extensions + `}`
			n, err := decodeNotification(channelCalls, []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			c := n.Call.Call
			if c.NoAnswer != tt.timeout || c.NoAnswerAction != tt.action {
				t.Errorf("timeout %v action %q, want %v %q", c.NoAnswer, c.NoAnswerAction, tt.timeout, tt.action)
			}
			if tt.problem == "" && c.NoAnswerProblem != "" || !strings.Contains(c.NoAnswerProblem, tt.problem) {
				t.Errorf("problem %q, want %q", c.NoAnswerProblem, tt.problem)
			}
			if len(c.NoAnswerProblem) > 200 {
				t.Errorf("problem is not bounded: %d bytes", len(c.NoAnswerProblem))
			}
		})
	}
	// The event's own extensions win over the call's.
	n, err := decodeNotification(channelCalls, []byte(`{"messageType":"CallStateChangeMessage",
	  "call":{"id":"c1","state":"Ringing","extensions":{"NO_ANSWER_TIMEOUT":40}},"extensions":{"NO_ANSWER_TIMEOUT":"9"}}`))
	if err != nil || n.Call.Call.NoAnswer != 9*time.Second {
		t.Errorf("data.extensions over call.extensions: %+v %v", n.Call, err)
	}
}

func TestDecodeErrorMessages(t *testing.T) {
	long := strings.Repeat("é", 400)
	tests := []struct {
		name, channel, data string
		want                errorNote
	}{
		{
			name: "a device that failed", channel: channelDevices,
			data: `{"messageType":"ErrorMessage","errorCode":41,"errorMessage":"DN is not registered",
			        "deviceUri":"http://127.0.0.1:8080/api/v2/devices/efe1ab32-53f9-43ce-b65e-5768c61f7d4a"}`,
			want: errorNote{Code: "41", Message: "DN is not registered", Device: "efe1ab32-53f9-43ce-b65e-5768c61f7d4a"},
		},
		{
			name: "a call operation that failed, the call as an object", channel: channelCalls,
			data: `{"messageType":"ErrorMessage","errorCode":"56","errorMessage":"Invalid called DN","phoneNumber":"5001",
			        "call":{"id":"012PUFMMS0ASNAK48O7GK2LAES00000C","state":"Established"}}`,
			want: errorNote{Code: "56", Message: "Invalid called DN", CallID: "012PUFMMS0ASNAK48O7GK2LAES00000C"},
		},
		{
			name: "the call by URI", channel: channelCalls,
			data: `{"messageType":"ErrorMessage","errorMessage":"x","callUri":"http://gws/api/v2/me/calls/C42/"}`,
			want: errorNote{Message: "x", CallID: "C42"},
		},
		{
			name: "a device by its number only", channel: channelDevices,
			data: `{"messageType":"ErrorMessage","errorMessage":"out of service","phoneNumber":5005}`,
			want: errorNote{Message: "out of service", Device: "5005"},
		},
		{
			name: "nothing but the type", channel: channelCalls,
			data: `{"messageType":"ErrorMessage"}`,
			want: errorNote{},
		},
		{
			name: "fields of the wrong type are left out", channel: channelCalls,
			data: `{"messageType":"ErrorMessage","errorCode":{"a":1},"errorMessage":["x"],"call":"C1","deviceUri":7}`,
			want: errorNote{},
		},
		{
			name: "long text is cut on a character boundary", channel: channelCalls,
			data: `{"messageType":"ErrorMessage","errorMessage":"` + long + `","errorCode":"` + strings.Repeat("7", 100) + `"}`,
			want: errorNote{Message: cut(long, maxErrorText), Code: strings.Repeat("7", maxErrorCode) + "…"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := decodeNotification(tt.channel, []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if n.Error == nil || n.Call != nil || n.Device != nil {
				t.Fatalf("%+v", n)
			}
			if *n.Error != tt.want {
				t.Fatalf("\n got %+v\nwant %+v", *n.Error, tt.want)
			}
			if !utf8.ValidString(n.Error.Message) || len(n.Error.Message) > maxErrorText+len("…") {
				t.Errorf("message not bounded or cut inside a character: %d bytes", len(n.Error.Message))
			}
		})
	}
}

func TestNameFromUserData(t *testing.T) {
	workspace, err := parseNameKeys([]string{"WWE_PARTY_{number}"})
	if err != nil {
		t.Fatal(err)
	}
	several, err := parseNameKeys([]string{"CallerName", "WWE_PARTY_{number}", "{number}"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		keys     []nameKey
		userData string
		number   string
		want     string
	}{
		{"Workspace party record", workspace, `{"WWE_PARTY_5005":{"username":"jwilliams","firstname":"Josh","lastname":"Williams","dbid":112}}`, "5005", "Josh Williams"},
		{"another party's record is not the caller's", workspace, `{"WWE_PARTY_5001":{"firstname":"Kristi","lastname":"Sippola"}}`, "5005", ""},
		{"keys of any case, first name only", workspace, `{"WWE_PARTY_5005":{"FirstName":"Josh","LastName":""}}`, "5005", "Josh"},
		{"user name when there is no real name", workspace, `{"WWE_PARTY_5005":{"username":"jwilliams","dbid":112}}`, "5005", "jwilliams"},
		{"a plain text value", workspace, `{"WWE_PARTY_5005":"Josh Williams"}`, "5005", "Josh Williams"},
		{"no number, no per-number key", workspace, `{"WWE_PARTY_":"x"}`, "", ""},
		{"the first key that names wins", several, `{"CallerName":"  ","WWE_PARTY_+14255550100":{"firstname":"Ana","lastname":"Ribeiro"},"+14255550100":"Other"}`, "+14255550100", "Ana Ribeiro"},
		{"a literal key needs no number", several, `{"CallerName":"Front desk"}`, "", "Front desk"},
		{"numbers, lists and empty objects are no names", several, `{"CallerName":42,"WWE_PARTY_1":[1],"1":{}}`, "1", ""},
		{"white space and line breaks fold", workspace, `{"WWE_PARTY_1":"Ana\n\t  Ribeiro\r\n"}`, "1", "Ana Ribeiro"},
		{"long names are cut", workspace, `{"WWE_PARTY_1":"` + strings.Repeat("Ana ", 40) + `"}`, "1", strings.TrimSpace(strings.Repeat("Ana ", 16)[:maxNameRunes-1]) + "…"},
		{"no keys, no lookup", nil, `{"WWE_PARTY_1":"Ana"}`, "1", ""},
		{"not JSON", workspace, `{"WWE_PARTY_1":`, "1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nameFromUserData([]byte(tt.userData), tt.keys, tt.number)
			if got != tt.want {
				t.Fatalf("%q, want %q", got, tt.want)
			}
			if utf8.RuneCountInString(got) > maxNameRunes {
				t.Errorf("name longer than %d characters", maxNameRunes)
			}
		})
	}
}
