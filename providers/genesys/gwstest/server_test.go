package gwstest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type client struct {
	t    *testing.T
	base string
	http *http.Client
	auth string
	csrf string
}

func newClient(t *testing.T, srv *httptest.Server, user, password string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: srv.URL, http: &http.Client{Jar: jar}, auth: BasicAuth(user, password)}
}

func (c *client) do(method, path, body string) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-TOKEN", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

type published struct {
	channel string
	data    json.RawMessage
}

func startServer(t *testing.T, opts Options) (*Server, *httptest.Server, func() []published) {
	var mu sync.Mutex
	var got []published
	opts.User, opts.Password = "ksippo", "pw"
	opts.Publish = func(channel string, data []byte) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, published{channel, json.RawMessage(bytes.Clone(data))})
		return nil
	}
	s := New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv, func() []published {
		mu.Lock()
		defer mu.Unlock()
		return append([]published(nil), got...)
	}
}

// waitNotes waits until n notifications were published (they follow the
// reply that announced the change) and returns them.
func waitNotes(t *testing.T, notes func() []published, n int) []published {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(notes()) < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return notes()
}

func TestAuthenticationIsCheckedOnEveryRequest(t *testing.T) {
	_, srv, _ := startServer(t, Options{})
	for _, auth := range []string{"", BasicAuth("ksippo", "wrong"), BasicAuth("other", "pw")} {
		c := newClient(t, srv, "", "")
		c.auth = auth
		resp, body := c.do("GET", "/api/v2/me", "")
		if resp.StatusCode != 401 || !strings.Contains(body, `"statusCode":20`) {
			t.Errorf("auth %q: %d %s", auth, resp.StatusCode, body)
		}
	}
	c := newClient(t, srv, "ksippo", "pw")
	resp, body := c.do("GET", "/api/v2/me", "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"userName":"ksippo"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	// A session cookie does not replace the credentials.
	c.auth = ""
	if resp, _ := c.do("GET", "/api/v2/me/calls?fields=*", ""); resp.StatusCode != 401 {
		t.Errorf("a request with the cookie but no credentials: %d", resp.StatusCode)
	}
}

func TestCSRFProtection(t *testing.T) {
	s, srv, _ := startServer(t, Options{})
	s.Put(QueueCall("C1", "5125", "9000"))
	c := newClient(t, srv, "ksippo", "pw")

	// No session yet: refused like a missing token.
	if resp, body := c.do("POST", "/api/v2/me/calls/C1", `{"operationName":"Answer"}`); resp.StatusCode != 403 || body != "Missing or invalid Csrf token" {
		t.Fatalf("POST without a session: %d %s", resp.StatusCode, body)
	}
	resp, _ := c.do("GET", "/api/v2/me", "")
	if resp.Header.Get("X-CSRF-HEADER") != "X-CSRF-TOKEN" || resp.Header.Get("X-CSRF-TOKEN") == "" {
		t.Fatalf("CSRF headers: %v", resp.Header)
	}
	var jsession bool
	for _, ck := range resp.Cookies() {
		jsession = jsession || (ck.Name == "JSESSIONID" && ck.HttpOnly)
	}
	if !jsession {
		t.Fatalf("no JSESSIONID cookie: %v", resp.Cookies())
	}
	if resp, _ := c.do("POST", "/api/v2/me/calls/C1", `{"operationName":"Answer"}`); resp.StatusCode != 403 {
		t.Fatalf("POST with the session but no token: %d", resp.StatusCode)
	}
	c.csrf = resp.Header.Get("X-CSRF-TOKEN")
	if resp, body := c.do("POST", "/api/v2/me/calls/C1", `{"operationName":"Answer"}`); resp.StatusCode != 200 || body != `{"statusCode":0}` {
		t.Fatalf("POST with the token: %d %s", resp.StatusCode, body)
	}
	s.RotateCSRF()
	if resp, _ := c.do("POST", "/api/v2/me/calls/C1", `{"operationName":"Hangup"}`); resp.StatusCode != 403 {
		t.Fatalf("POST with a rotated token: %d", resp.StatusCode)
	}
	resp, _ = c.do("GET", "/api/v2/me", "")
	if resp.Header.Get("X-CSRF-TOKEN") == c.csrf {
		t.Fatal("the token did not change")
	}
}

func TestNoCSRF(t *testing.T) {
	s, srv, _ := startServer(t, Options{NoCSRF: true})
	s.Put(QueueCall("C1", "5125", "9000"))
	c := newClient(t, srv, "ksippo", "pw")
	resp, _ := c.do("GET", "/api/v2/me", "")
	if resp.Header.Get("X-CSRF-HEADER") != "" {
		t.Error("CSRF headers without CSRF protection")
	}
	if resp, body := c.do("POST", "/api/v2/me/calls/C1", `{"operationName":"Answer"}`); resp.StatusCode != 200 {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}

// TestRejectPublishesTheDocumentedNotification rejects the call of the
// documented Reject sample and compares what is published with the sample.
func TestRejectPublishesTheDocumentedNotification(t *testing.T) {
	now := time.Date(2026, 4, 16, 9, 0, 0, 0, time.UTC)
	s, srv, notes := startServer(t, Options{Now: func() time.Time { return now }})
	s.Put(Call{ID: "013V08JRL498H10I04000VTAES00000I", ConnID: "0071023821aec012", CallType: "Internal",
		DNIS: "9000", Participants: []string{"5005"}, Capabilities: RingingQueueCapabilities, Started: now.Add(-5 * time.Second)})
	c := newClient(t, srv, "ksippo", "pw")
	resp, _ := c.do("GET", "/api/v2/me", "")
	c.csrf = resp.Header.Get("X-CSRF-TOKEN")
	resp, body := c.do("POST", "/api/v2/me/calls/013V08JRL498H10I04000VTAES00000I", `{"operationName":"Reject"}`)
	if resp.StatusCode != 200 || body != `{"statusCode":0}` {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	got := waitNotes(t, notes, 1)
	if len(got) != 1 || got[0].channel != "/v2/me/calls" {
		t.Fatalf("published: %+v", got)
	}
	raw, err := os.ReadFile("../testdata/seed004_reject_notification.json")
	if err != nil {
		t.Fatal(err)
	}
	var seed struct {
		Channel string         `json:"channel"`
		Data    map[string]any `json:"data"`
	}
	if err := json.Unmarshal(raw, &seed); err != nil {
		t.Fatal(err)
	}
	// The printed sample shows the extensions object under "chone".
	seed.Data["extensions"] = seed.Data["chone"]
	delete(seed.Data, "chone")
	var mine map[string]any
	json.Unmarshal(got[0].data, &mine)
	if !reflect.DeepEqual(mine, seed.Data) || seed.Channel != got[0].channel {
		a, _ := json.MarshalIndent(mine, "", " ")
		b, _ := json.MarshalIndent(seed.Data, "", " ")
		t.Fatalf("published:\n%s\nsample:\n%s", a, b)
	}
	if _, ok := s.Call("013V08JRL498H10I04000VTAES00000I"); ok {
		t.Error("a released call stays listed")
	}
	if resp, body := c.do("GET", "/api/v2/me/calls/013V08JRL498H10I04000VTAES00000I", ""); resp.StatusCode != 404 || !strings.Contains(body, `"statusCode":6`) {
		t.Errorf("reading a released call: %d %s", resp.StatusCode, body)
	}
}

func TestOperationsAnswerWithStatusCodes(t *testing.T) {
	s, srv, notes := startServer(t, Options{})
	s.Put(DirectCall("D1", "5005"))
	c := newClient(t, srv, "ksippo", "pw")
	resp, _ := c.do("GET", "/api/v2/me", "")
	c.csrf = resp.Header.Get("X-CSRF-TOKEN")
	for _, tt := range []struct {
		path, body string
		status     int
		code       string
	}{
		{"/api/v2/me/calls/D1", `{"operationName":"Reject"}`, 400, `"statusCode":2`},
		{"/api/v2/me/calls/NOPE", `{"operationName":"Answer"}`, 404, `"statusCode":6`},
		{"/api/v2/me/calls/D1", `{}`, 400, `"statusCode":1`},
		{"/api/v2/me/calls/D1", `{"operationName":`, 400, `"statusCode":10`},
		{"/api/v2/me", `{"operationName":"StartContactCenterSession","channels":["chat"]}`, 400, `"statusCode":1`},
	} {
		resp, body := c.do("POST", tt.path, tt.body)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.code) {
			t.Errorf("%s %s: %d %s", tt.path, tt.body, resp.StatusCode, body)
		}
	}
	s.FailNext("Answer", 4, "T-Server unavailable")
	if _, body := c.do("POST", "/api/v2/me/calls/D1", `{"operationName":"Answer"}`); !strings.Contains(body, `"statusCode":4`) {
		t.Errorf("forced failure: %s", body)
	}
	if len(notes()) != 0 {
		t.Errorf("refused operations published: %+v", notes())
	}
	if _, body := c.do("POST", "/api/v2/me/calls/D1", `{"operationName":"Answer"}`); body != `{"statusCode":0}` {
		t.Errorf("answer: %s", body)
	}
	if call, _ := s.Call("D1"); call.State != "Established" || len(waitNotes(t, notes, 1)) != 1 {
		t.Errorf("after answer: %+v, %d notifications", call, len(notes()))
	}
}

func TestListsAndSession(t *testing.T) {
	s, srv, notes := startServer(t, Options{})
	s.Put(QueueCall("Q1", "5125", "9000"))
	legacy := ActiveCall("A1", "1001")
	legacy.LegacyParticipants = true
	s.Put(legacy)
	c := newClient(t, srv, "ksippo", "pw")
	if _, body := c.do("GET", "/api/v2/me/calls", ""); !strings.Contains(body, `"uris":[`) || strings.Contains(body, `"calls"`) {
		t.Errorf("without fields=*: %s", body)
	}
	resp, body := c.do("GET", "/api/v2/me/calls?fields=*", "")
	if !strings.Contains(body, `"participants":["1001"]`) || !strings.Contains(body, `"id":"Q1"`) {
		t.Errorf("with fields=*: %s", body)
	}
	c.csrf = resp.Header.Get("X-CSRF-TOKEN")
	if _, body := c.do("POST", "/api/v2/me", `{"operationName":"StartContactCenterSession","channels":["voice"],"place":"P1"}`); body != `{"statusCode":0}` {
		t.Fatalf("login: %s", body)
	}
	if logins, _ := s.Logins(); len(logins) != 1 || logins[0].Place != "P1" {
		t.Errorf("logins %+v", logins)
	}
	if n := waitNotes(t, notes, 1); len(n) != 1 || n[0].channel != ChannelDevices || !strings.Contains(string(n[0].data), `"state":"NotReady"`) {
		t.Errorf("login notification: %+v", n)
	}
	if _, body := c.do("POST", "/api/v2/me", `{"operationName":"EndContactCenterSession"}`); body != `{"statusCode":0}` {
		t.Fatalf("logout: %s", body)
	}
	// The HTTP session is gone with the logout.
	if resp, _ := c.do("POST", "/api/v2/me/channels/voice", `{"operationName":"Ready"}`); resp.StatusCode != 403 {
		t.Errorf("POST after logout: %d", resp.StatusCode)
	}
}

// session opens an HTTP session and takes its CSRF token.
func (c *client) session() {
	c.t.Helper()
	resp, _ := c.do("GET", "/api/v2/me", "")
	c.csrf = resp.Header.Get("X-CSRF-TOKEN")
}

func TestTransferAndAgentStateRequests(t *testing.T) {
	s, srv, notes := startServer(t, Options{})
	s.Put(ActiveCall("C1", "+14255550100"))
	c := newClient(t, srv, "ksippo", "pw")
	c.session()

	// A transfer names where to: without destination.phoneNumber it is refused.
	for _, body := range []string{`{"operationName":"SingleStepTransfer"}`, `{"operationName":"SingleStepTransfer","destination":{}}`} {
		if resp, got := c.do("POST", "/api/v2/me/calls/C1", body); resp.StatusCode != 400 || !strings.Contains(got, `"statusCode":1`) {
			t.Fatalf("%s: %d %s", body, resp.StatusCode, got)
		}
	}
	if resp, got := c.do("POST", "/api/v2/me/calls/C1", `{"operationName":"SingleStepTransfer","destination":{"phoneNumber":"5002"}}`); resp.StatusCode != 200 || got != `{"statusCode":0}` {
		t.Fatalf("transfer: %d %s", resp.StatusCode, got)
	}
	// The request is on record by the time its reply is read.
	if reqs := s.Requests(); reqs[len(reqs)-1].Status != 200 || !strings.Contains(string(reqs[len(reqs)-1].Body), "5002") {
		t.Fatalf("last request %+v", reqs[len(reqs)-1])
	}
	got := waitNotes(t, notes, 1)
	var msg struct {
		Call struct {
			State        string   `json:"state"`
			Capabilities []string `json:"capabilities"`
		} `json:"call"`
	}
	json.Unmarshal(got[0].data, &msg)
	if msg.Call.State != "Released" || msg.Call.Capabilities == nil || len(msg.Call.Capabilities) != 0 {
		t.Fatalf("after the transfer: %s", got[0].data)
	}
	if _, ok := s.Call("C1"); ok {
		t.Fatal("a transferred call leaves the list")
	}

	// The configured agent states, and posting one by its operationName.
	resp, body := c.do("GET", "/api/v2/settings/agent-states", "")
	want := `{"settings":[{"displayName":"Out to Lunch","operationName":"OutToLunch","reason":"Lunch","state":"NotReady","workMode":"AuxWork"},` +
		`{"displayName":"Meeting","operationName":"Meeting","reason":"Meeting","state":"NotReady","workMode":"AuxWork"},` +
		`{"displayName":"Training","operationName":"Training","reason":"Training","state":"NotReady","workMode":"AuxWork"}],"statusCode":0}`
	if resp.StatusCode != 200 || body != want {
		t.Fatalf("agent states: %d %s", resp.StatusCode, body)
	}
	s.SetAgentStates([]AgentStateSetting{{OperationName: "Break", DisplayName: "Break", Reason: "Break", ID: "B1"}})
	for _, op := range []string{`{"operationName":"Break"}`, `{"operationName":"AfterCallWork","wrapUpTime":"0"}`} {
		if resp, got := c.do("POST", "/api/v2/me/channels/voice", op); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", op, resp.StatusCode, got)
		}
	}
	got = waitNotes(t, notes, 3)
	if !strings.Contains(string(got[1].data), `"userState":{"displayName":"Break","id":"B1","reason":"Break","state":"NotReady"}`) ||
		!strings.Contains(string(got[2].data), `"userState":{"displayName":"AfterCallWork","id":"D3663509-3D82-4DD3-A82E-2EA8EFA02AEF","state":"NotReady","workMode":"AfterCallWork"}`) {
		t.Fatalf("device messages:\n%s\n%s", got[1].data, got[2].data)
	}
	// What GWS does not document for an operation is refused: no reason
	// on NotReady, no wrapUpTime on Ready; unknown states too.
	for _, op := range []string{`{"operationName":"NotReady","reason":"Lunch"}`, `{"operationName":"Ready","wrapUpTime":"0"}`,
		`{"operationName":"OutToLunch"}`, `{}`} {
		if resp, got := c.do("POST", "/api/v2/me/channels/voice", op); resp.StatusCode != 400 {
			t.Errorf("%s: %d %s", op, resp.StatusCode, got)
		}
	}
	if got := s.AgentStateChanges(); !slices.Equal(got, []string{"Break", "AfterCallWork"}) {
		t.Fatalf("accepted %v", got)
	}
}
