package gwstest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// AgentStateSetting is an agent state the contact centre's administrator
// configured: a "reason code" such as lunch or a meeting. Clients list them
// with GET /api/v2/settings/agent-states and post the chosen OperationName
// to /api/v2/me/channels/voice, exactly like the system states Ready,
// NotReady, AfterCallWork and AuxWork.
type AgentStateSetting struct {
	OperationName string // e.g. OutToLunch
	DisplayName   string // e.g. Out to Lunch
	State         string // the userState.state it results in; NotReady if empty
	WorkMode      string // userState.workMode, e.g. AuxWork; none if empty
	Reason        string // userState.reason, e.g. Lunch; none if empty
	ID            string // userState.id; generated once if empty
}

// DefaultAgentStates are the configured states a new server offers. GWS's
// documentation names OutToLunch as an example operationName; the others
// are made up in the same style.
var DefaultAgentStates = []AgentStateSetting{
	{OperationName: "OutToLunch", DisplayName: "Out to Lunch", WorkMode: "AuxWork", Reason: "Lunch"},
	{OperationName: "Meeting", DisplayName: "Meeting", WorkMode: "AuxWork", Reason: "Meeting"},
	{OperationName: "Training", DisplayName: "Training", WorkMode: "AuxWork", Reason: "Training"},
}

// systemStates are the agent states GWS always offers, with the user state
// each results in (the device samples of the AgentState* pages).
var systemStates = map[string]agentState{
	"Ready":         {state: "Ready", displayName: "Ready", id: "9430250E-0A1B-421F-B372-F29E69366DED"},
	"NotReady":      {state: "NotReady", displayName: "Not Ready", id: "900D55CC-2BB0-431F-8BF9-D3525B383BE6"},
	"AfterCallWork": {state: "NotReady", workMode: "AfterCallWork", displayName: "AfterCallWork", id: "D3663509-3D82-4DD3-A82E-2EA8EFA02AEF"},
	"AuxWork":       {state: "NotReady", workMode: "AuxWork", displayName: "AuxWork", id: "2B1F5E0C-6C3A-4D8E-9F1A-7E2D4C6B8A01"},
}

// SetAgentStates replaces the configured agent states.
func (s *Server) SetAgentStates(states []AgentStateSetting) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.agentStates = withIDs(states)
}

// withIDs copies states, giving each without an id a fixed one for the
// server's life (configuration GUIDs do not change between reads).
func withIDs(states []AgentStateSetting) []AgentStateSetting {
	out := slices.Clone(states)
	for i := range out {
		if out[i].ID == "" {
			out[i].ID = strings.ToUpper(token())
		}
	}
	return out
}

// AgentStateChanges returns the operationNames accepted on
// /api/v2/me/channels/voice, in order.
func (s *Server) AgentStateChanges() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.stateChanges)
}

// getAgentStates answers GET /api/v2/settings/agent-states: {"statusCode":0,
// "settings":[…]}. The documentation does not show an entry's keys; these
// are the operationName and displayName clients post and show, and the user
// state the operation results in.
func (s *Server) getAgentStates(w http.ResponseWriter) {
	s.mu.Lock()
	settings := make([]map[string]any, 0, len(s.agentStates))
	for _, a := range s.agentStates {
		st := a.userState()
		entry := map[string]any{"operationName": a.OperationName, "displayName": a.DisplayName, "state": st.state}
		if a.WorkMode != "" {
			entry["workMode"] = a.WorkMode
		}
		if a.Reason != "" {
			entry["reason"] = a.Reason
		}
		settings = append(settings, entry)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"statusCode": 0, "settings": settings})
}

func (a AgentStateSetting) userState() agentState {
	st := agentState{state: a.State, workMode: a.WorkMode, displayName: a.DisplayName, reason: a.Reason, id: a.ID}
	if st.state == "" {
		st.state = "NotReady"
	}
	return st
}

// postVoice handles agent state operations on the voice channel: the
// system states and the configured ones. It is stricter than GWS is known
// to be: a field GWS does not document for the operation (such as a reason
// on NotReady, which takes none) is refused, so a client that sends one is
// caught.
func (s *Server) postVoice(w http.ResponseWriter, body []byte) func() {
	var fields map[string]json.RawMessage
	var op struct {
		OperationName string `json:"operationName"`
	}
	if json.Unmarshal(body, &fields) != nil || json.Unmarshal(body, &op) != nil {
		writeStatus(w, http.StatusBadRequest, 10, "The request body is not valid JSON")
		return nil
	}
	if op.OperationName == "" {
		writeStatus(w, http.StatusBadRequest, 1, "operationName is missing")
		return nil
	}
	for name := range fields {
		if name != "operationName" && (name != "wrapUpTime" || op.OperationName != "AfterCallWork") {
			writeStatus(w, http.StatusBadRequest, 10, "Unknown parameter "+name+" for "+op.OperationName)
			return nil
		}
	}
	s.mu.Lock()
	st, ok := systemStates[op.OperationName]
	if !ok {
		i := slices.IndexFunc(s.agentStates, func(a AgentStateSetting) bool { return a.OperationName == op.OperationName })
		if i >= 0 {
			st, ok = s.agentStates[i].userState(), true
		}
	}
	if f, forced := s.forced[op.OperationName]; forced {
		delete(s.forced, op.OperationName)
		s.mu.Unlock()
		writeStatus(w, httpStatusFor(f.code), f.code, f.message)
		return nil
	}
	if !ok {
		s.mu.Unlock()
		writeStatus(w, http.StatusBadRequest, 2, "Operation "+op.OperationName+" is not valid here")
		return nil
	}
	mode := s.modes[op.OperationName]
	s.stateChanges = append(s.stateChanges, op.OperationName)
	if mode != OpIgnored {
		st.dnd = s.userState.dnd
		s.userState = st
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"statusCode": 0})
	if mode != OpNormal {
		return nil
	}
	return s.publishDevice
}
