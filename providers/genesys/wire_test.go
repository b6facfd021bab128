package genesys

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
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
			want: wireCall{ID: "0071025563e9f00f", State: "Established", Participants: []wireParty{{Number: "1001"}}, Duration: 13 * time.Second, HasDuration: true},
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
		if err != nil || n.Call != nil || n.Device != nil {
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
