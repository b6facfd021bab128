package graphtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// webhook records the notification bodies the driver posts.
type webhook struct {
	mu     sync.Mutex
	bodies [][]byte
	more   chan struct{}
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	w.bodies = append(w.bodies, b)
	w.mu.Unlock()
	rw.WriteHeader(http.StatusAccepted)
	w.more <- struct{}{}
}

// next waits for the next n notifications and returns each one's
// changeType, state and resultInfo (nil when absent).
func (w *webhook) next(t *testing.T, n int) []map[string]any {
	t.Helper()
	var out []map[string]any
	for range n {
		select {
		case <-w.more:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d notifications arrived", len(out), n)
		}
		w.mu.Lock()
		b := w.bodies[len(w.bodies)-1]
		w.mu.Unlock()
		var env struct {
			Value []struct {
				ChangeType   string         `json:"changeType"`
				ResourceData map[string]any `json:"resourceData"`
			} `json:"value"`
		}
		if err := json.Unmarshal(b, &env); err != nil || len(env.Value) != 1 {
			t.Fatalf("notification %s: %v", b, err)
		}
		v := env.Value[0]
		out = append(out, map[string]any{"changeType": v.ChangeType, "state": v.ResourceData["state"], "resultInfo": v.ResourceData["resultInfo"]})
	}
	return out
}

func appToken(t *testing.T, srv *Server) string {
	t.Helper()
	resp, err := http.PostForm(srv.TokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {srv.Options.ClientID},
		"client_secret": {srv.Options.ClientSecret}, "scope": {"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %v", err)
	}
	return tok.AccessToken
}

func TestDriverFollowsRedirectAndTransfer(t *testing.T) {
	srv := Start(t, Options{})
	hook := &webhook{more: make(chan struct{}, 16)}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	d := NewDriver(srv.Fake, hs.URL, srv.Options.ClientID, nil)
	d.Pause = time.Millisecond
	d.FailTransfersTo("+12345678901")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.React(ctx)
	tok := appToken(t, srv)
	act := func(id, action, body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.APIBase+"/communications/calls/"+id+"/"+action, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		rep, err := Do(http.DefaultClient, req)
		if err != nil || rep.Status != http.StatusAccepted {
			t.Fatalf("%s: %+v %v", action, rep, err)
		}
	}
	read := func(id string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.APIBase+"/communications/calls/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rep, _ := Do(http.DefaultClient, req)
		return rep.Status
	}
	toUser := `{"transferTarget":{"identity":{"user":{"id":"550fae72-d251-43ec-868c-373732c2704f"}}}}`
	toPhone := `{"transferTarget":{"@odata.type":"#microsoft.graph.invitationParticipantInfo","endpointType":"default",
		"identity":{"@odata.type":"#microsoft.graph.identitySet","phone":{"@odata.type":"#microsoft.graph.identity","id":"+12345678901"}}}}`

	// Redirect: one deleted, terminated, without a resultInfo; the call is gone.
	act("r1", "redirect", `{"targets":[{"identity":{"phone":{"id":"+12345678901"}}}]}`)
	if got := hook.next(t, 1); !reflect.DeepEqual(got, []map[string]any{{"changeType": "deleted", "state": "terminated", "resultInfo": nil}}) {
		t.Fatalf("redirect: %v", got)
	}
	if s := read("r1"); s != http.StatusNotFound {
		t.Fatalf("a redirected call reads back %d", s)
	}

	// A transfer that succeeds ends with 0/7015.
	srv.API.PutCall("t1", StateChangeResource("t1", "established"))
	act("t1", "transfer", toUser)
	want := []map[string]any{
		{"changeType": "updated", "state": "transferring", "resultInfo": nil},
		{"changeType": "updated", "state": "transferAccepted", "resultInfo": nil},
		{"changeType": "deleted", "state": "terminated", "resultInfo": map[string]any{
			"@odata.type": "#microsoft.graph.resultInfo", "code": 0.0, "subcode": 7015.0, "message": "GracefulTransferCompleted"}},
	}
	if got := hook.next(t, 3); !reflect.DeepEqual(got, want) {
		t.Fatalf("transfer:\n got %v\nwant %v", got, want)
	}
	if s := read("t1"); s != http.StatusNotFound {
		t.Fatalf("a transferred call reads back %d", s)
	}

	// A transfer to a target set to fail goes back to established, 500/7700
	// with the key spelled subCode as in Graph's examples.
	srv.API.PutCall("t2", StateChangeResource("t2", "established"))
	act("t2", "transfer", toPhone)
	want = []map[string]any{
		{"changeType": "updated", "state": "transferring", "resultInfo": nil},
		{"changeType": "updated", "state": "established", "resultInfo": map[string]any{
			"@odata.type": "#microsoft.graph.resultInfo", "code": 500.0, "subCode": 7700.0, "message": "Call transfer failed."}},
	}
	if got := hook.next(t, 2); !reflect.DeepEqual(got, want) {
		t.Fatalf("failed transfer:\n got %v\nwant %v", got, want)
	}
	if s := read("t2"); s != http.StatusOK {
		t.Fatalf("a call whose transfer failed reads back %d", s)
	}
	for body, want := range map[string][]string{
		toPhone: {"+12345678901"},
		toUser:  {"550fae72-d251-43ec-868c-373732c2704f"},
		string(RequestBody("doc-redirect-application.json")):   {"22bfd41f-550e-477d-8789-f6f7bd2a5e8b"},
		`{"targets":[{"identity":{"phone":"not an object"}}]}`: nil,
		`not json`: nil,
	} {
		if ids := InvitedIDs([]byte(body)); !reflect.DeepEqual(ids, want) {
			t.Errorf("InvitedIDs(%s) = %v, want %v", body, ids, want)
		}
	}
}
