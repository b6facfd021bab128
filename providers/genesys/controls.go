package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"ringside/providers"
	"ringside/providers/textsafe"
)

// GWS operation names of the agent controls. Each call operation is also
// the capability that allows it.
const (
	opHold               = "Hold"
	opRetrieve           = "Retrieve"
	opSingleStepTransfer = "SingleStepTransfer"

	// System agent states, always available (POST /api/v2/me/channels/voice).
	OpReady         = "Ready"
	OpNotReady      = "NotReady"
	OpAfterCallWork = "AfterCallWork"
)

// voiceChannelPath is where agent state operations for voice are posted.
// (Several GWS pages print /api/v2/me/calls/{id} for them: a documentation
// slip; the samples and later revisions use this path.)
const voiceChannelPath = "/api/v2/me/channels/voice"

// agentStatesPath lists the agent states the administrator configured.
const agentStatesPath = "/api/v2/settings/agent-states"

// maxAgentStates bounds the configured agent states read: a menu of a
// few dozen at most; more is not a configuration a person picks from.
const maxAgentStates = 200

// transferOperation is the body of SingleStepTransfer.
type transferOperation struct {
	OperationName string      `json:"operationName"`
	Destination   destination `json:"destination"`
}

type destination struct {
	PhoneNumber string `json:"phoneNumber"`
}

// transferTo posts SingleStepTransfer to number, a destination already
// checked (genesysDestination), and says nothing of its own on failure.
func (c *restClient) transferTo(ctx context.Context, id, number string) error {
	path, err := callPath(id)
	if err != nil {
		return err
	}
	body := transferOperation{OperationName: opSingleStepTransfer, Destination: destination{PhoneNumber: number}}
	return c.post(ctx, path, body, nil)
}

// genesysDestination is the number GWS is asked to dial for target.
func genesysDestination(to providers.Target) (string, error) {
	if err := to.Validate(); err != nil {
		return "", err
	}
	// The switch's own number when the target has one, else its E.164
	// number.
	number := to.GenesysNumber
	if number == "" {
		number = to.Phone
	}
	if number == "" {
		return "", fmt.Errorf("%w: Genesys cannot dial %q: it has no Genesys number and no phone number", providers.ErrBadTarget, to.Name)
	}
	// A Teams-only entry may carry an E.164 number that is fine for
	// Graph; GWS takes it too, but check it against GWS's alphabet.
	if err := providers.CheckGenesysNumber(number); err != nil {
		return "", err
	}
	return number, nil
}

// setAgentState posts an agent state operation for the voice channel:
// OpReady, OpNotReady, OpAfterCallWork, or the OperationName of a
// configured state (a reason code) from agentStates. The body carries only
// the operationName: NotReady takes no reason, the reason *is* the
// operation. GWS answers statusCode 0 at once; the new state arrives as a
// DeviceStateChangeMessage on /v2/me/devices.
func (c *restClient) setAgentState(ctx context.Context, operationName string) error {
	if err := checkOperationName(operationName); err != nil {
		return fmt.Errorf("agent state: %w", err)
	}
	if err := c.post(ctx, voiceChannelPath, operation{OperationName: operationName}, nil); err != nil {
		return fmt.Errorf("agent state %s: %w", operationName, err)
	}
	return nil
}

// AgentStateOption is an agent state a person can pick: a system state or
// one the administrator configured. Post OperationName; show DisplayName.
type AgentStateOption struct {
	OperationName string
	DisplayName   string // OperationName when GWS gives none
	State         string // Ready, NotReady, … when the setting says
	WorkMode      string // AfterCallWork, AuxWork, … when the setting says
}

// SystemAgentStates are the states GWS always offers, in menu order.
var SystemAgentStates = []AgentStateOption{
	{OperationName: OpReady, DisplayName: "Ready", State: "Ready"},
	{OperationName: OpNotReady, DisplayName: "Not Ready", State: "NotReady"},
	{OperationName: OpAfterCallWork, DisplayName: "After Call Work", State: "NotReady", WorkMode: "AfterCallWork"},
}

// agentStates reads the configured agent states (GET
// /api/v2/settings/agent-states, {"statusCode":0,"settings":[…]}). Entries
// without a usable operationName are skipped, repeats kept once, and at
// most maxAgentStates kept. The keys of an entry besides operationName and
// displayName are not documented; state and workMode are read when there.
func (c *restClient) agentStates(ctx context.Context) ([]AgentStateOption, error) {
	var out struct {
		Settings json.RawMessage `json:"settings"`
	}
	if err := c.get(ctx, agentStatesPath, &out); err != nil {
		return nil, fmt.Errorf("reading the configured agent states: %w", err)
	}
	if isNull(out.Settings) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(out.Settings, &items); err != nil {
		return nil, errors.New("reading the configured agent states: settings is not an array")
	}
	var states []AgentStateOption
	seen := map[string]bool{}
	for _, item := range items {
		var raw struct {
			OperationName json.RawMessage `json:"operationName"`
			DisplayName   json.RawMessage `json:"displayName"`
			State         json.RawMessage `json:"state"`
			WorkMode      json.RawMessage `json:"workMode"`
		}
		if decodeObject(item, &raw) != nil {
			continue
		}
		var o AgentStateOption
		o.OperationName, _ = optString(raw.OperationName)
		if checkOperationName(o.OperationName) != nil || seen[o.OperationName] {
			continue
		}
		o.DisplayName, _ = optText(raw.DisplayName)
		o.DisplayName = textsafe.Cut(textsafe.Line(o.DisplayName), 60)
		if o.DisplayName == "" {
			o.DisplayName = o.OperationName
		}
		o.State, _ = optString(raw.State)
		o.WorkMode, _ = optString(raw.WorkMode)
		o.State, o.WorkMode = textsafe.Cut(textsafe.Line(o.State), 40), textsafe.Cut(textsafe.Line(o.WorkMode), 40)
		seen[o.OperationName] = true
		states = append(states, o)
		if len(states) == maxAgentStates {
			break
		}
	}
	return states, nil
}

// FindAgentState picks the state a person named (--reason CODE, or a menu
// entry) from options: by operationName, else by display name, both
// without regard to case.
func FindAgentState(options []AgentStateOption, name string) (AgentStateOption, bool) {
	name = strings.TrimSpace(name)
	for _, o := range options {
		if strings.EqualFold(o.OperationName, name) {
			return o, true
		}
	}
	for _, o := range options {
		if strings.EqualFold(o.DisplayName, name) {
			return o, true
		}
	}
	return AgentStateOption{}, false
}

// checkOperationName accepts the names GWS uses for operations: 1 to 64
// ASCII letters, digits, '_' and '-'. Anything else never reaches a
// request body, a log line or the screen.
func checkOperationName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("operation name %q: want 1 to 64 letters and digits", textsafe.Cut(textsafe.Clean(name), 40))
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return fmt.Errorf("operation name %q: want only letters, digits, '_' and '-'", textsafe.Cut(textsafe.Clean(name), 40))
		}
	}
	return nil
}
