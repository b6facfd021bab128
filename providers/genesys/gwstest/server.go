// Package gwstest is a stand-in for the parts of the Genesys Web Services
// (GWS v2) REST API a call console uses, for tests and demos on loopback.
//
// It follows the documented wire shapes: HTTP Basic authentication checked
// on every request, a JSESSIONID cookie, CSRF protection (X-CSRF-HEADER and
// X-CSRF-TOKEN on GETs, HTTP 403 "Missing or invalid Csrf token" for a POST
// without them), GET /api/v2/me, /api/v2/me/calls, /api/v2/me/calls/{id},
// /api/v2/me/devices, StartContactCenterSession and EndContactCenterSession,
// and call operations answered with a statusCode. Like GWS, an accepted
// operation only returns {"statusCode":0}; its effect is published afterwards
// as a CallStateChangeMessage on /v2/me/calls through the Publish hook (a
// real Bayeux server in the tests).
//
// The server does not speak CometD itself. Options.Notifications can mount a
// handler (for example a reverse proxy to a Bayeux server) at
// /api/v2/notifications, where GWS serves CometD.
package gwstest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Channels the server publishes on.
const (
	ChannelCalls   = "/v2/me/calls"
	ChannelDevices = "/v2/me/devices"
)

// NotificationsPath is where GWS serves CometD.
const NotificationsPath = "/api/v2/notifications"

// Options configure a Server. The zero value of every field but User is
// usable.
type Options struct {
	User     string // the only user accepted
	Password string // may be empty, as GWS allows

	FirstName, LastName string
	PhoneNumber         string // the agent's DN; "5001" if empty
	DeviceID            string // the agent's device id; a fixed UUID if empty

	// CSRFHeader is the header name the server asks for in X-CSRF-HEADER;
	// "X-CSRF-TOKEN" if empty.
	CSRFHeader string
	// NoCSRF turns CSRF protection off, as on GWS deployments without
	// enableCsrfProtection.
	NoCSRF bool

	// BaseURL is written into uri and deviceUri fields;
	// "http://127.0.0.1:8080" if empty.
	BaseURL string
	// Now is the clock used for call durations; time.Now if nil.
	Now func() time.Time

	// Publish delivers a notification's data on a CometD channel. Nil
	// drops notifications.
	Publish func(channel string, data []byte) error
	// Notifications, if set, serves NotificationsPath and everything below
	// it (without authentication checks: the Bayeux server does its own).
	Notifications http.Handler
}

// OpMode is how the server carries out an accepted operation.
type OpMode int

const (
	// OpNormal changes the call and publishes the change.
	OpNormal OpMode = iota
	// OpIgnored accepts the operation (statusCode 0) and changes nothing,
	// like a phone that does not accept a remote answer.
	OpIgnored
	// OpSilent changes the call but publishes nothing, like a notification
	// lost on the way.
	OpSilent
)

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // with the query
	Body   []byte
	// CSRF is the value of the CSRF header the client sent ("" if none).
	CSRF string
	// Authorized says the request carried the right Basic credentials.
	Authorized bool
	Status     int // the HTTP status answered
}

// Login is one StartContactCenterSession the server accepted.
type Login struct {
	Channels []string
	Place    string
}

// Server is the fake GWS. It is an http.Handler; serve it with
// httptest.NewServer or an http.Server.
type Server struct {
	opts Options

	mu        sync.Mutex
	sessions  map[string]string // JSESSIONID → CSRF token
	calls     map[string]*Call
	order     []string // call ids in arrival order
	forced    map[string]statusReply
	modes     map[string]OpMode
	requests  []Request
	logins    []Login
	logouts   int
	userState agentState
	// agentStates are the configured agent states (reason codes);
	// stateChanges the agent state operations accepted.
	agentStates  []AgentStateSetting
	stateChanges []string
	transfers    []Transfer
	listGate     func(list string)
	publishMu    sync.Mutex // keeps notifications in the order of the changes
}

type statusReply struct {
	code    int
	message string
}

// agentState is the agent's user state as devices report it.
type agentState struct {
	state, workMode, displayName, reason, id string
	dnd                                      bool
}

// New returns a server with no calls and the agent logged out of voice.
func New(opts Options) *Server {
	if opts.PhoneNumber == "" {
		opts.PhoneNumber = "5001"
	}
	if opts.DeviceID == "" {
		opts.DeviceID = "9c14cad7-17c4-48d0-8492-7cf0ff92c224"
	}
	if opts.CSRFHeader == "" {
		opts.CSRFHeader = "X-CSRF-TOKEN"
	}
	if opts.BaseURL == "" {
		opts.BaseURL = "http://127.0.0.1:8080"
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{
		opts:      opts,
		sessions:  make(map[string]string),
		calls:     make(map[string]*Call),
		forced:    make(map[string]statusReply),
		modes:     make(map[string]OpMode),
		userState: agentState{state: "LoggedOut", displayName: "Logged Out"},

		agentStates: withIDs(DefaultAgentStates),
	}
}

// SetPublish replaces the notification hook (servers are often started
// before the Bayeux server they publish to).
func (s *Server) SetPublish(publish func(channel string, data []byte) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Publish = publish
}

// SetBaseURL sets the URL written into uri and deviceUri fields.
func (s *Server) SetBaseURL(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.BaseURL = strings.TrimRight(base, "/")
}

// PhoneNumber is the agent's DN.
func (s *Server) PhoneNumber() string { return s.opts.PhoneNumber }

// RotateCSRF gives every HTTP session a new CSRF token, as GWS does when it
// recreates the session: the next POST with the old token gets HTTP 403.
func (s *Server) RotateCSRF() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.sessions {
		s.sessions[id] = token()
	}
}

// FailNext makes the next operation named op (Answer, Reject, …) fail with
// the statusCode and message given, changing nothing.
func (s *Server) FailNext(op string, code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced[op] = statusReply{code: code, message: message}
}

// SetMode sets how accepted operations named op are carried out.
func (s *Server) SetMode(op string, mode OpMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modes[op] = mode
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

// Logins returns the StartContactCenterSession requests accepted, and how
// many EndContactCenterSession followed.
func (s *Server) Logins() (logins []Login, logouts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.logins), s.logouts
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Notifications != nil && (r.URL.Path == NotificationsPath || strings.HasPrefix(r.URL.Path, NotificationsPath+"/")) {
		s.opts.Notifications.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the request", http.StatusBadRequest)
		return
	}
	req := Request{Method: r.Method, Path: r.URL.RequestURI(), Body: body, Authorized: s.authorized(r)}
	req.CSRF = r.Header.Get(s.opts.CSRFHeader)
	// The request is recorded as its status is written, before the client
	// can read the reply: a test that checks Requests() after its call
	// returned sees it.
	rec := &recorder{ResponseWriter: w, status: http.StatusOK, record: func(status int) {
		req.Status = status
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.mu.Unlock()
	}}
	after := s.serve(rec, r, body, req.Authorized)
	rec.recordOnce(http.StatusOK)
	if after != nil {
		after()
	}
}

// recorder remembers the status written and records the request then.
type recorder struct {
	http.ResponseWriter
	status   int
	record   func(status int)
	recorded bool
}

func (r *recorder) recordOnce(status int) {
	if !r.recorded {
		r.recorded = true
		r.status = status
		r.record(status)
	}
}

func (r *recorder) WriteHeader(code int) {
	r.recordOnce(code)
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.recordOnce(http.StatusOK)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// serve answers one authenticated-or-not request; the function it returns
// (if any) runs after the reply is sent, to publish the change it caused.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte, authorized bool) func() {
	if !authorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="GWS"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 20, "statusMessage": "Access denied: the user is not authenticated"})
		return nil
	}
	session, ok := s.session(w, r)
	if r.Method != http.MethodGet && !s.opts.NoCSRF {
		s.mu.Lock()
		want := s.sessions[session]
		s.mu.Unlock()
		got := r.Header.Get(s.opts.CSRFHeader)
		if !ok || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "Missing or invalid Csrf token")
			return nil
		}
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/api/v2/me" && r.Method == http.MethodGet:
		s.getMe(w, r)
	case path == "/api/v2/me" && r.Method == http.MethodPost:
		return s.postMe(w, body, session)
	case path == "/api/v2/me/calls" && r.Method == http.MethodGet:
		s.getCalls(w, r)
	case path == "/api/v2/me/devices" && r.Method == http.MethodGet:
		s.getDevices(w, r)
	case path == "/api/v2/me/channels/voice" && r.Method == http.MethodPost:
		return s.postVoice(w, body)
	case path == "/api/v2/settings/agent-states" && r.Method == http.MethodGet:
		s.getAgentStates(w)
	case strings.HasPrefix(path, "/api/v2/me/calls/"):
		id, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/api/v2/me/calls/"))
		if err != nil || id == "" || strings.Contains(id, "/") {
			writeStatus(w, http.StatusNotFound, 6, "No such resource")
			return nil
		}
		switch r.Method {
		case http.MethodGet:
			s.getCall(w, id)
		case http.MethodPost:
			return s.operate(w, id, body)
		default:
			writeStatus(w, http.StatusMethodNotAllowed, 3, "Method not allowed")
		}
	default:
		writeStatus(w, http.StatusNotFound, 6, "No such resource")
	}
	return nil
}

// authorized checks the Basic credentials.
func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(user), []byte(s.opts.User)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.opts.Password)) == 1
}

// session finds the request's HTTP session. A GET without one opens one
// (Set-Cookie JSESSIONID) and, with CSRF protection, hands out its token.
// ok is false when the request has no live session and none was opened.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (id string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, err := r.Cookie("JSESSIONID"); err == nil {
		if _, live := s.sessions[c.Value]; live {
			id, ok = c.Value, true
		}
	}
	if !ok && r.Method == http.MethodGet {
		id, ok = token(), true
		s.sessions[id] = token()
		http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: id, Path: "/", HttpOnly: true})
	}
	if ok && r.Method == http.MethodGet && !s.opts.NoCSRF {
		w.Header().Set("X-CSRF-HEADER", s.opts.CSRFHeader)
		w.Header().Set("X-CSRF-TOKEN", s.sessions[id])
	}
	return id, ok
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	user := map[string]any{
		"id":                         "63630bbe1f0c4a4e8f34b2d2e1c4b001",
		"userName":                   s.opts.User,
		"firstName":                  s.opts.FirstName,
		"lastName":                   s.opts.LastName,
		"roles":                      []string{"ROLE_AGENT"},
		"enabled":                    true,
		"changePasswordOnFirstLogin": false,
		"uri":                        s.opts.BaseURL + "/api/v2/users/63630bbe1f0c4a4e8f34b2d2e1c4b001",
		"path":                       "/users/63630bbe1f0c4a4e8f34b2d2e1c4b001",
	}
	if r.URL.Query().Get("subresources") != "" {
		user["devices"] = []any{s.deviceLocked()}
		user["calls"] = s.callListLocked()
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"statusCode": 0, "user": user})
}

// postMe handles the session operations.
func (s *Server) postMe(w http.ResponseWriter, body []byte, session string) func() {
	var op struct {
		OperationName string   `json:"operationName"`
		Channels      []string `json:"channels"`
		Place         string   `json:"place"`
	}
	if json.Unmarshal(body, &op) != nil {
		writeStatus(w, http.StatusBadRequest, 10, "The request body is not valid JSON")
		return nil
	}
	switch op.OperationName {
	case "StartContactCenterSession":
		if !slices.Contains(op.Channels, "voice") {
			writeStatus(w, http.StatusBadRequest, 1, "channels must include voice")
			return nil
		}
		s.mu.Lock()
		s.logins = append(s.logins, Login{Channels: op.Channels, Place: op.Place})
		s.userState = systemStates["NotReady"]
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"statusCode": 0})
		return s.publishDevice
	case "EndContactCenterSession":
		s.mu.Lock()
		s.logouts++
		delete(s.sessions, session) // GWS ends the HTTP session too
		s.userState = agentState{state: "LoggedOut", displayName: "Logged Out"}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"statusCode": 0})
		return s.publishDevice
	case "":
		writeStatus(w, http.StatusBadRequest, 1, "operationName is missing")
	default:
		writeStatus(w, http.StatusBadRequest, 2, "Operation "+op.OperationName+" is not valid here")
	}
	return nil
}

func (s *Server) getCalls(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if r.URL.Query().Get("fields") == "" {
		uris := make([]string, 0, len(s.order))
		for _, id := range s.order {
			uris = append(uris, s.opts.BaseURL+"/api/v2/me/calls/"+url.PathEscape(id))
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"statusCode": 0, "uris": uris})
		return
	}
	list, gate := s.callListLocked(), s.listGate
	s.mu.Unlock()
	if gate != nil {
		gate(ListCalls)
	}
	writeJSON(w, http.StatusOK, map[string]any{"statusCode": 0, "calls": list})
}

// Lists a list gate is called for.
const (
	ListCalls   = "calls"   // GET /api/v2/me/calls?fields=*
	ListDevices = "devices" // GET /api/v2/me/devices?fields=*
)

// SetListGate sets a function the full call and device lists call (with
// ListCalls or ListDevices) after they have read the state and before they
// reply, so a test can change calls or the agent's state (and publish the
// changes) while a list is on its way: the reply is then older than the
// notifications. Nil removes the gate.
func (s *Server) SetListGate(gate func(list string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listGate = gate
}

func (s *Server) getCall(w http.ResponseWriter, id string) {
	// The reply is built under the lock and written after it: writing
	// records the request, which takes the lock.
	s.mu.Lock()
	c, ok := s.calls[id]
	var resource map[string]any
	if ok {
		resource = s.resourceLocked(c)
	}
	s.mu.Unlock()
	if !ok {
		writeStatus(w, http.StatusNotFound, 6, "Call "+id+" does not exist")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"statusCode": 0, "call": resource})
}

func (s *Server) getDevices(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if r.URL.Query().Get("fields") == "" {
		uri := s.opts.BaseURL + "/api/v2/devices/" + s.opts.DeviceID
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"statusCode": 0, "uris": []string{uri}})
		return
	}
	device, gate := s.deviceLocked(), s.listGate
	s.mu.Unlock()
	if gate != nil {
		gate(ListDevices)
	}
	writeJSON(w, http.StatusOK, map[string]any{"statusCode": 0, "devices": []any{device}})
}

// operate carries out a call operation.
func (s *Server) operate(w http.ResponseWriter, id string, body []byte) func() {
	var op struct {
		OperationName string `json:"operationName"`
		Destination   *struct {
			PhoneNumber string `json:"phoneNumber"`
		} `json:"destination"`
	}
	if json.Unmarshal(body, &op) != nil {
		writeStatus(w, http.StatusBadRequest, 10, "The request body is not valid JSON")
		return nil
	}
	if op.OperationName == "" {
		writeStatus(w, http.StatusBadRequest, 1, "operationName is missing")
		return nil
	}
	if needsDestination(op.OperationName) && (op.Destination == nil || op.Destination.PhoneNumber == "") {
		writeStatus(w, http.StatusBadRequest, 1, "destination.phoneNumber is missing")
		return nil
	}
	// Hold the publishing order from the change until its notification
	// is out, so notifications follow the order of the changes.
	s.publishMu.Lock()
	published := false
	defer func() {
		if !published {
			s.publishMu.Unlock()
		}
	}()
	s.mu.Lock()
	if f, ok := s.forced[op.OperationName]; ok {
		delete(s.forced, op.OperationName)
		s.mu.Unlock()
		writeStatus(w, httpStatusFor(f.code), f.code, f.message)
		return nil
	}
	c, ok := s.calls[id]
	if !ok {
		s.mu.Unlock()
		writeStatus(w, http.StatusNotFound, 6, "Call "+id+" does not exist")
		return nil
	}
	if !slices.Contains(c.Capabilities, op.OperationName) {
		s.mu.Unlock()
		writeStatus(w, http.StatusBadRequest, 2, "Operation "+op.OperationName+" is not valid for the call in state "+c.State)
		return nil
	}
	mode := s.modes[op.OperationName]
	if op.OperationName == "SingleStepTransfer" {
		s.transfers = append(s.transfers, Transfer{CallID: id, Destination: op.Destination.PhoneNumber})
	}
	var next *Call
	if mode != OpIgnored {
		next = s.transitionLocked(c, op.OperationName)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"statusCode": 0})
	if next == nil || mode == OpSilent {
		return nil
	}
	published = true
	return func() {
		defer s.publishMu.Unlock()
		s.publishCall(next, "StatusChange")
	}
}

// transitionLocked applies an accepted operation to c and returns a copy of
// the call as changed.
func (s *Server) transitionLocked(c *Call, op string) *Call {
	switch op {
	case "Answer", "Retrieve":
		c.State = "Established"
		c.Capabilities = slices.Clone(EstablishedCapabilities)
	case "Hold":
		c.State = "Held"
		c.Capabilities = slices.Clone(HeldCapabilities)
	case "Reject", "Hangup", "SingleStepTransfer":
		// A completed single-step transfer looks exactly like a hang-up:
		// the call leaves the agent's DN.
		c.State = "Released"
		c.Capabilities = []string{}
	default:
		// Other operations leave the call as it is; GWS would send
		// AttachedDataChanged and the like.
	}
	out := c.clone()
	if c.State == "Released" {
		s.removeLocked(c.ID)
	}
	return &out
}

// Transfer is one SingleStepTransfer the server accepted.
type Transfer struct {
	CallID      string
	Destination string // destination.phoneNumber
}

// Transfers returns the single-step transfers accepted, in order.
func (s *Server) Transfers() []Transfer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.transfers)
}

// needsDestination reports whether operation op dials a number.
func needsDestination(op string) bool {
	switch op {
	case "SingleStepTransfer", "SingleStepConference", "InitiateTransfer", "InitiateConference":
		return true
	}
	return false
}

// httpStatusFor picks the HTTP status sent with a statusCode error. GWS does
// not document the mapping; clients must look at statusCode first.
func httpStatusFor(code int) int {
	switch code {
	case 6:
		return http.StatusNotFound
	case 3, 5:
		return http.StatusForbidden
	case 4:
		return http.StatusInternalServerError
	case 20:
		return http.StatusUnauthorized
	}
	return http.StatusBadRequest
}

func writeStatus(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, map[string]any{"statusCode": code, "statusMessage": message})
}

// writeJSON sends v with a Content-Length and flushes it, so that the
// client has the whole reply before any notification it causes is
// published.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	w.Write(data)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// token is a random UUID-shaped string.
func token() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// BasicAuth is the Authorization header value for user and password, for
// tests that talk to the server directly.
func BasicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// publish sends one notification through the hook, if any.
func (s *Server) publish(channel string, data map[string]any) error {
	s.mu.Lock()
	hook := s.opts.Publish
	s.mu.Unlock()
	if hook == nil {
		return nil
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if err := hook(channel, raw); err != nil {
		return fmt.Errorf("publishing on %s: %w", channel, err)
	}
	return nil
}
