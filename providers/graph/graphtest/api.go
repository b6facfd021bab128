package graphtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Action is what a request to the fake calls API asked for.
type Action string

const (
	ActionAnswer Action = "answer"
	ActionReject Action = "reject"
	ActionDelete Action = "delete"
	ActionGet    Action = "get" // GET …/communications/calls/{id}: read the call
	// ActionRedirect is POST …/redirect: a ringing call sent elsewhere.
	ActionRedirect Action = "redirect"
	// ActionTransfer is POST …/transfer: a connected call handed over.
	ActionTransfer Action = "transfer"
)

// postActions are the actions POSTed to …/communications/calls/{id}/<name>
// (or /microsoft.graph.<name>, as the C# SDK spells them).
var postActions = []Action{ActionAnswer, ActionReject, ActionRedirect, ActionTransfer}

// Request is one request the fake calls API received.
type Request struct {
	Time   time.Time
	Method string
	Path   string
	CallID string
	Action Action
	Body   []byte
	Header http.Header
	Status int // what the fake answered
}

// Response is a scripted reply. Status alone gives the documented success or
// error shape for that status; Code and Message override the error's words.
type Response struct {
	Status     int
	RetryAfter string // Retry-After header value, e.g. "2.128"
	Code       string // error.code, e.g. "8522"
	Message    string // error.message
	// LowerInner spells the inner error key "innererror" (the schema's
	// spelling) instead of "innerError" (what the service sends).
	LowerInner bool
	// RawBody replaces the body entirely (for non-JSON error pages).
	RawBody string
}

// API is a fake of the Graph calls API: POST …/communications/calls/{id}/answer,
// …/reject, …/redirect and …/transfer, DELETE and GET …/communications/calls/{id}, under any version
// prefix (/v1.0, /beta). It requires a bearer token issued by Tokens, records
// every request, and answers 202/204 unless a reply was scripted. GET answers
// 200 with the resource given to PutCall, or 404 for a call it was not given,
// as Graph does for a call that has ended.
type API struct {
	// Tokens checks the bearer token; nil accepts any non-empty token.
	Tokens    *TokenEndpoint
	mu        sync.Mutex
	onAction  func(r Request)
	onRequest func(r Request)
	requests  []Request
	scripts   map[string][]Response // key: callID + " " + action
	gone      map[string]bool
	calls     map[string][]byte // call resources GET answers with, by lower-case id
	changed   chan struct{}
	// While readHold is set, reads wait until it is closed; each read that
	// starts waiting is announced on readWaiting.
	readHold    chan struct{}
	readWaiting chan string
}

// HoldReads makes reads (GET …/communications/calls/{id}) wait, unanswered,
// until release is called or the client gives up (the read is then recorded
// with Status 0). The id of each read that starts waiting is sent on
// waiting, which holds up to 64 of them. Release is safe to call more than
// once; tests register it with t.Cleanup so the server can shut down.
func (a *API) HoldReads() (waiting <-chan string, release func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	hold, ids := make(chan struct{}), make(chan string, 64)
	a.readHold, a.readWaiting = hold, ids
	var once sync.Once
	return ids, func() {
		once.Do(func() {
			a.mu.Lock()
			if a.readHold == hold {
				a.readHold, a.readWaiting = nil, nil
			}
			a.mu.Unlock()
			close(hold)
		})
	}
}

// readHeld returns the hold reads wait on, and where to announce them;
// nil when reads are answered at once.
func (a *API) readHeld() (chan struct{}, chan string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.readHold, a.readWaiting
}

// SetHooks installs callbacks: onRequest sees every request once it has been
// answered; onAction runs, on its own goroutine, after a successful action,
// e.g. to send the notifications the real service would send next. Either
// may be nil.
func (a *API) SetHooks(onRequest, onAction func(r Request)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.onRequest, a.onAction = onRequest, onAction
}

func (a *API) hooks() (onRequest, onAction func(r Request)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.onRequest, a.onAction
}

// Script queues replies for the next requests of action on call id; each
// reply is used once, after which the default applies again.
func (a *API) Script(id string, action Action, replies ...Response) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.scripts == nil {
		a.scripts = map[string][]Response{}
	}
	key := id + " " + string(action)
	a.scripts[key] = append(a.scripts[key], replies...)
}

// Gone makes every later request for call id answer 404 with the calling
// service's "Call not found" error (code 8522).
func (a *API) Gone(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gone == nil {
		a.gone = map[string]bool{}
	}
	a.gone[strings.ToLower(id)] = true
}

// PutCall makes GET …/communications/calls/{id} answer 200 with resource,
// the call's JSON as Graph would return it, until Gone(id).
func (a *API) PutCall(id string, resource []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.calls == nil {
		a.calls = map[string][]byte{}
	}
	a.calls[strings.ToLower(id)] = append([]byte(nil), resource...)
}

func (a *API) callResource(id string) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.calls[strings.ToLower(id)]
	return b, ok
}

// Requests returns a copy of everything received so far.
func (a *API) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Request(nil), a.requests...)
}

// Wait blocks until at least n requests have arrived or ctx ends, and returns
// what arrived.
func (a *API) Wait(ctx context.Context, n int) ([]Request, error) {
	for {
		a.mu.Lock()
		if len(a.requests) >= n {
			out := append([]Request(nil), a.requests...)
			a.mu.Unlock()
			return out, nil
		}
		ch := a.changedLocked()
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return a.Requests(), fmt.Errorf("waiting for %d requests to the fake Graph API: %w", n, ctx.Err())
		}
	}
}

func (a *API) changedLocked() chan struct{} {
	if a.changed == nil {
		a.changed = make(chan struct{})
	}
	return a.changed
}

func (a *API) record(req Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = append(a.requests, req)
	if a.changed != nil {
		close(a.changed)
		a.changed = nil
	}
}

func (a *API) next(id string, action Action) (Response, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gone[strings.ToLower(id)] {
		return Response{Status: http.StatusNotFound}, true
	}
	key := id + " " + string(action)
	q := a.scripts[key]
	if len(q) == 0 {
		return Response{}, false
	}
	a.scripts[key] = q[1:]
	return q[0], true
}

// ParseCallPath finds the call id and action in a calls API path.
func ParseCallPath(method, path string) (id string, action Action, ok bool) {
	i := strings.Index(path, "/communications/calls/")
	if i < 0 {
		return "", "", false
	}
	rest := strings.Split(strings.Trim(path[i+len("/communications/calls/"):], "/"), "/")
	switch {
	case len(rest) == 1 && rest[0] != "" && method == http.MethodDelete:
		return rest[0], ActionDelete, true
	case len(rest) == 1 && rest[0] != "" && method == http.MethodGet:
		return rest[0], ActionGet, true
	case len(rest) == 2 && rest[0] != "" && method == http.MethodPost:
		name := strings.TrimPrefix(rest[1], "microsoft.graph.")
		for _, a := range postActions {
			if name == string(a) {
				return rest[0], a, true
			}
		}
	}
	return "", "", false
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{
		Time: time.Now(), Method: r.Method, Path: r.URL.EscapedPath(), Body: body, Header: r.Header.Clone(),
	}
	reqID := newRequestID()
	w.Header().Set("request-id", reqID)
	if c := r.Header.Get("client-request-id"); c != "" {
		w.Header().Set("client-request-id", c)
	}
	id, action, ok := ParseCallPath(r.Method, r.URL.Path)
	req.CallID, req.Action = id, action
	onRequest, onAction := a.hooks()
	reply := func(resp Response) {
		req.Status = resp.Status
		a.record(req)
		writeGraph(w, resp, reqID, r.Header.Get("client-request-id"))
		if onRequest != nil {
			onRequest(req)
		}
	}
	if !ok {
		reply(Response{Status: http.StatusBadRequest, Code: "BadRequest",
			Message: fmt.Sprintf("Unsupported segment or method: %s %s", r.Method, r.URL.Path)})
		return
	}
	tok := bearer(r)
	if tok == "" || (a.Tokens != nil && !a.Tokens.Valid(tok)) {
		reply(Response{Status: http.StatusUnauthorized, Code: "InvalidAuthenticationToken",
			Message: "Access token validation failure."})
		return
	}
	if action != ActionDelete && action != ActionGet && !strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/json") {
		reply(Response{Status: http.StatusUnsupportedMediaType, Code: "UnsupportedMediaType",
			Message: "The content type is not supported."})
		return
	}
	if hold, waiting := a.readHeld(); hold != nil && action == ActionGet {
		select {
		case waiting <- id:
		default: // nobody is counting that many
		}
		select {
		case <-hold:
		case <-r.Context().Done():
			a.record(req) // Status 0: the client gave up before an answer
			return
		}
	}
	resp, scripted := a.next(id, action)
	if !scripted && action == ActionGet {
		resource, known := a.callResource(id)
		if !known {
			reply(Response{Status: http.StatusNotFound})
			return
		}
		req.Status = http.StatusOK
		a.record(req)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(resource)
		if onRequest != nil {
			onRequest(req)
		}
		return
	}
	if !scripted {
		resp = Response{Status: http.StatusAccepted}
		if action == ActionDelete {
			resp.Status = http.StatusNoContent
		}
	}
	reply(resp)
	if resp.Status/100 == 2 && onAction != nil {
		go onAction(req)
	}
}

// writeGraph writes resp in Graph's shape: no body for success, the error
// object with innerError (request-id, client-request-id, date) otherwise.
func writeGraph(w http.ResponseWriter, resp Response, reqID, clientReqID string) {
	if resp.RetryAfter != "" {
		w.Header().Set("Retry-After", resp.RetryAfter)
	}
	if resp.RawBody != "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(resp.Status)
		_, _ = io.WriteString(w, resp.RawBody)
		return
	}
	if resp.Status < 400 {
		w.WriteHeader(resp.Status)
		return
	}
	code, msg := resp.Code, resp.Message
	if code == "" || msg == "" {
		c, m := defaultError(resp.Status)
		if code == "" {
			code = c
		}
		if msg == "" {
			msg = m
		}
	}
	innerKey := "innerError"
	if resp.LowerInner {
		innerKey = "innererror"
	}
	writeJSON(w, resp.Status, map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		innerKey: map[string]any{
			"date": time.Now().UTC().Format("2006-01-02T15:04:05"), "request-id": reqID,
			"client-request-id": clientReqID,
		},
	}})
}

func defaultError(status int) (code, msg string) {
	switch status {
	case http.StatusNotFound:
		return "8522", "Call not found."
	case http.StatusTooManyRequests:
		return "TooManyRequests", "Please retry again later."
	case http.StatusServiceUnavailable:
		return "serviceNotAvailable", "The service is temporarily unavailable."
	case http.StatusGatewayTimeout:
		return "gatewayTimeout", "The gateway timed out."
	case http.StatusForbidden:
		return "7504", "Insufficient enterprise tenant permissions, cannot access this API."
	case http.StatusInternalServerError:
		return "generalException", "An unexpected error occurred."
	}
	return "invalidRequest", http.StatusText(status)
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
