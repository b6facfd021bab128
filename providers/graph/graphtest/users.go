package graphtest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// UserLookup is one request the fake directory received.
type UserLookup struct {
	Time   time.Time
	Path   string // as sent, escaped
	Select string // the $select query parameter
	ID     string // the user id from the path, unescaped
	Header http.Header
	Status int // what the fake answered; 0 if the client gave up first
}

// Users is a fake of Graph's directory users: GET …/users/{id}, under any
// version prefix, answering with the documented shapes: 200 with the
// selected properties, 404 Request_ResourceNotFound for an unknown id, and
// whatever was scripted (403 Authorization_RequestDenied when the app lacks
// User.Read.All, throttling…). It requires a bearer token issued by Tokens.
type Users struct {
	// Tokens checks the bearer token; nil accepts any non-empty token.
	Tokens *TokenEndpoint

	mu       sync.Mutex
	names    map[string]string // lower-case id → displayName
	scripts  map[string][]Response
	hold     chan struct{} // while set, lookups wait until it is closed
	requests []UserLookup
	changed  chan struct{}
}

// Add puts a user in the directory.
func (u *Users) Add(id, displayName string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.names == nil {
		u.names = map[string]string{}
	}
	u.names[strings.ToLower(id)] = displayName
}

// Script queues replies for the next lookups of id; each is used once.
func (u *Users) Script(id string, replies ...Response) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.scripts == nil {
		u.scripts = map[string][]Response{}
	}
	key := strings.ToLower(id)
	u.scripts[key] = append(u.scripts[key], replies...)
}

// Hold makes lookups wait, unanswered, until release is called or the
// client gives up. Release is safe to call more than once; tests register it
// with t.Cleanup so the server can shut down.
func (u *Users) Hold() (release func()) {
	u.mu.Lock()
	defer u.mu.Unlock()
	ch := make(chan struct{})
	u.hold = ch
	var once sync.Once
	return func() {
		once.Do(func() {
			u.mu.Lock()
			if u.hold == ch {
				u.hold = nil
			}
			u.mu.Unlock()
			close(ch)
		})
	}
}

// Requests returns a copy of every lookup answered so far.
func (u *Users) Requests() []UserLookup {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]UserLookup(nil), u.requests...)
}

// Wait blocks until at least n lookups have been answered or ctx ends.
func (u *Users) Wait(ctx context.Context, n int) ([]UserLookup, error) {
	for {
		u.mu.Lock()
		if len(u.requests) >= n {
			out := append([]UserLookup(nil), u.requests...)
			u.mu.Unlock()
			return out, nil
		}
		if u.changed == nil {
			u.changed = make(chan struct{})
		}
		ch := u.changed
		u.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return u.Requests(), fmt.Errorf("waiting for %d user lookups at the fake Graph API: %w", n, ctx.Err())
		}
	}
}

func (u *Users) record(r UserLookup) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.requests = append(u.requests, r)
	if u.changed != nil {
		close(u.changed)
		u.changed = nil
	}
}

// reply picks the answer for id: a scripted one, the user, or 404.
func (u *Users) reply(id string) (resp Response, name string, found bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	key := strings.ToLower(id)
	if q := u.scripts[key]; len(q) > 0 {
		u.scripts[key] = q[1:]
		return q[0], "", false
	}
	name, found = u.names[key]
	if !found {
		return Response{Status: http.StatusNotFound, Code: "Request_ResourceNotFound",
			Message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)}, "", false
	}
	return Response{Status: http.StatusOK}, name, true
}

func (u *Users) held() chan struct{} {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hold
}

// IsUserPath reports whether path is a request for one directory user.
func IsUserPath(path string) bool {
	_, ok := userID(path)
	return ok
}

func userID(path string) (string, bool) {
	i := strings.Index(path, "/users/")
	if i < 0 {
		return "", false
	}
	id := path[i+len("/users/"):]
	return id, id != "" && !strings.Contains(id, "/")
}

func (u *Users) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, _ := userID(r.URL.Path)
	req := UserLookup{Time: time.Now(), Path: r.URL.EscapedPath(), Select: r.URL.Query().Get("$select"),
		ID: id, Header: r.Header.Clone()}
	reqID := newRequestID()
	w.Header().Set("request-id", reqID)
	answer := func(resp Response, body map[string]any) {
		req.Status = resp.Status
		u.record(req)
		if body != nil {
			writeJSON(w, resp.Status, body)
			return
		}
		writeGraph(w, resp, reqID, r.Header.Get("client-request-id"))
	}
	if r.Method != http.MethodGet {
		answer(Response{Status: http.StatusMethodNotAllowed, Code: "Request_BadRequest",
			Message: "Specified HTTP method is not allowed for the request target."}, nil)
		return
	}
	if tok := bearer(r); tok == "" || (u.Tokens != nil && !u.Tokens.Valid(tok)) {
		answer(Response{Status: http.StatusUnauthorized, Code: "InvalidAuthenticationToken",
			Message: "Access token validation failure."}, nil)
		return
	}
	if hold := u.held(); hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			u.record(req) // Status 0: the client gave up before an answer
			return
		}
	}
	resp, name, found := u.reply(id)
	if !found {
		answer(resp, nil)
		return
	}
	body := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(displayName)/$entity",
		"displayName": name}
	if req.Select != "displayName" {
		body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users/$entity"
		body["id"] = id
	}
	answer(resp, body)
}
