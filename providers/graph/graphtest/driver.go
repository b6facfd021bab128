package graphtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
)

// Driver plays the Microsoft side of a conversation with a webhook: it posts
// call notifications (the seed examples and documented shapes) and, like the
// real service, follows each accepted action with the notifications Graph
// sends next — reject: deleted; answer: establishing, established; hang up:
// terminating, then terminated with 200/5001; redirect: deleted without a
// resultInfo; transfer: transferring, transferAccepted, then terminated with
// 0/7015, or (FailTransfersTo) transferring, then established with 500/7700.
type Driver struct {
	Fake   *Fake
	Poster *Poster
	Log    *slog.Logger
	// Pause between an action and the notifications that follow it.
	Pause time.Duration
	// Posted, if set, is called after each follow-up notification was
	// delivered (or failed to be), with the action that caused it: tests
	// wait on it instead of on the clock.
	Posted func(r Request, body []byte, err error)

	mu     sync.Mutex
	failTo map[string]bool // lower-case target ids whose transfers fail
}

// NewDriver wires a driver for fake that posts to webhook.
func NewDriver(fake *Fake, webhook, audience string, log *slog.Logger) *Driver {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	d := &Driver{
		Fake:   fake,
		Poster: &Poster{URL: webhook, Signer: fake.Signer, Audience: audience},
		Log:    log,
		Pause:  300 * time.Millisecond,
	}
	return d
}

// React makes the fake API log every request it receives and answer
// accepted actions with follow-up notifications, until ctx ends.
func (d *Driver) React(ctx context.Context) {
	d.Fake.API.SetHooks(func(r Request) { LogRequest(d.Log, r) }, func(r Request) {
		for _, step := range d.followUps(r) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d.Pause):
			}
			if step.before != nil {
				step.before()
			}
			_, err := d.Post(ctx, step.body)
			if err != nil {
				d.Log.Error("follow-up notification not delivered", "call", r.CallID, "err", err)
			}
			if d.Posted != nil {
				d.Posted(r, step.body, err)
			}
		}
	})
}

// followUp is one notification the service sends after an action; before,
// if set, changes what a read of the call answers just before it is sent.
type followUp struct {
	body   []byte
	before func()
}

// followUps are the notifications Graph sends after the accepted action r.
// What a read of the call answers is changed before the console hears of
// the change, so that a call that talks for long is not taken for one Graph
// has lost.
func (d *Driver) followUps(r Request) []followUp {
	id, api := r.CallID, d.Fake.API
	gone := func() { api.Gone(id) }
	switch r.Action {
	case ActionReject:
		gone()
		return []followUp{{body: WithCallID(Notification("seed000-deleted.json"), id)}}
	case ActionAnswer:
		api.PutCall(id, StateChangeResource(id, "established"))
		return []followUp{{body: StateChange(id, "updated", "establishing", nil)}, {body: StateChange(id, "updated", "established", nil)}}
	case ActionDelete:
		gone()
		return []followUp{{body: WithCallID(Notification("seed003-terminating.json"), id)}, {body: WithCallID(Notification("seed003-terminated.json"), id)}}
	case ActionRedirect:
		// Graph's redirect examples: one deleted, terminated, no resultInfo.
		gone()
		return []followUp{{body: StateChange(id, "deleted", "terminated", nil)}}
	case ActionTransfer:
		steps := []followUp{{body: StateChange(id, "updated", "transferring", nil)}}
		if d.transferFails(r) {
			// The transfer examples' failure: back to established, 500
			// with the key spelled subCode.
			return append(steps, followUp{body: StateChange(id, "updated", "established",
				&ResultInfo{Code: 500, Subcode: 7700, Message: "Call transfer failed.", SubCodeKey: "subCode"})})
		}
		return append(steps,
			followUp{body: StateChange(id, "updated", "transferAccepted", nil)},
			followUp{body: StateChange(id, "deleted", "terminated", &ResultInfo{Code: 0, Subcode: 7015, Message: "GracefulTransferCompleted"}), before: gone})
	}
	return nil
}

// FailTransfersTo makes transfers to any of ids (Teams ids or E.164
// numbers, as sent in transferTarget) fail the way Graph reports it: the
// call goes back to established with resultInfo 500/7700.
func (d *Driver) FailTransfersTo(ids ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failTo == nil {
		d.failTo = map[string]bool{}
	}
	for _, id := range ids {
		d.failTo[strings.ToLower(id)] = true
	}
}

func (d *Driver) transferFails(r Request) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range InvitedIDs(r.Body) {
		if d.failTo[strings.ToLower(id)] {
			return true
		}
	}
	return false
}

// InvitedIDs are the identity ids a redirect (targets) or transfer
// (transferTarget) body sends the call to, whatever the identity's kind.
func InvitedIDs(body []byte) []string {
	// identity holds "@odata.type" (a string) beside the identities
	// (objects): each member is decoded on its own.
	type info struct {
		Identity map[string]json.RawMessage `json:"identity"`
	}
	var b struct {
		Targets        []info `json:"targets"`
		TransferTarget *info  `json:"transferTarget"`
	}
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	infos := b.Targets
	if b.TransferTarget != nil {
		infos = append(infos, *b.TransferTarget)
	}
	var ids []string
	for _, in := range infos {
		for key, raw := range in.Identity {
			var ident struct {
				ID string `json:"id"`
			}
			if !strings.HasPrefix(key, "@") && json.Unmarshal(raw, &ident) == nil && ident.ID != "" {
				ids = append(ids, ident.ID)
			}
		}
	}
	return ids
}

// LogRequest writes one received API request in a form a person can scan:
// the action, the call, the reject reason or where the call was sent, the
// reply.
func LogRequest(log *slog.Logger, r Request) {
	attrs := []any{"method", r.Method, "path", r.Path, "status", r.Status}
	if r.Action != "" {
		attrs = append(attrs, "action", string(r.Action), "call", r.CallID)
	}
	switch r.Action {
	case ActionReject:
		var body struct {
			Reason string `json:"reason"`
		}
		if json.Unmarshal(r.Body, &body) == nil {
			attrs = append(attrs, "reason", body.Reason)
		}
	case ActionRedirect, ActionTransfer:
		attrs = append(attrs, "to", strings.Join(InvitedIDs(r.Body), ","))
	}
	if len(r.Body) > 0 {
		attrs = append(attrs, "body", string(r.Body))
	}
	log.Info("Graph API request", attrs...)
}

// Post delivers one notification body and logs the webhook's reply.
func (d *Driver) Post(ctx context.Context, body []byte) (Reply, error) {
	rep, err := d.Poster.Post(ctx, body)
	if err != nil {
		return rep, err
	}
	level := slog.LevelInfo
	if rep.Status != 202 {
		level = slog.LevelWarn
	}
	d.Log.Log(ctx, level, "notification posted", "status", rep.Status, "reply", strings.TrimSpace(rep.Body), "summary", summary(body))
	if rep.Status != 202 {
		return rep, fmt.Errorf("webhook answered %d: %s", rep.Status, strings.TrimSpace(rep.Body))
	}
	return rep, nil
}

// WaitForWebhook polls until the webhook accepts connections or ctx ends.
func (d *Driver) WaitForWebhook(ctx context.Context) error {
	host := strings.TrimPrefix(strings.TrimPrefix(d.Poster.URL, "http://"), "https://")
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	for {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", host)
		if err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("webhook %s never came up: %w", d.Poster.URL, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Scenarios the driver can play.
const (
	// ScenarioRing offers four calls in the shapes seen on the wire (old
	// beta, current, PSTN caller to an app instance, encrypted caller) and
	// leaves them ringing for the agent to act on.
	ScenarioRing = "ring"
	// ScenarioSeeds plays every seed notification through complete calls:
	// one answered and hung up (ending 200/5001), one ended by the app
	// (AppInitiated), one rejected elsewhere (deleted without a reason).
	ScenarioSeeds = "seeds"
)

// Play posts a scenario's notifications, pausing between them. It returns the
// ids of the calls it offered.
func (d *Driver) Play(ctx context.Context, scenario string, pause time.Duration) ([]string, error) {
	var steps []struct {
		id   string
		body []byte
	}
	add := func(id string, body []byte) {
		steps = append(steps, struct {
			id   string
			body []byte
		}{id, body})
	}
	switch scenario {
	case ScenarioRing:
		add(SeedCallIDOld, Notification("seed000-incoming.json"))
		current := NewCallID()
		add(current, WithCallID(Notification("doc-incoming-current.json"), current))
		pstn := NewCallID()
		add(pstn, replaceID(Notification("doc-incoming-pstn-instance.json"), "491f0b00-ffff-4bc9-a43e-b226498ec22a", pstn))
		enc := NewCallID()
		add(enc, replaceID(Notification("field-encrypted-caller.json"), "2f1a5b00-3a1c-4d6e-9e0f-6b7c8d9e0a1b", enc))
	case ScenarioSeeds:
		add(SeedCallIDOld, Notification("seed000-incoming.json"))
		add(SeedCallID, StateChange(SeedCallID, "updated", "establishing", nil))
		add(SeedCallID, StateChange(SeedCallID, "updated", "established", nil))
		add(SeedCallID, Notification("seed003-terminating.json"))
		add(SeedCallID, Notification("seed003-terminated.json"))
		x := NewCallID()
		add(x, WithCallID(Notification("seed000-incoming.json"), x))
		add(x, WithCallID(Notification("seed002-terminating.json"), x))
		add(x, WithCallID(Notification("seed002-terminated.json"), x))
		y := NewCallID()
		add(y, WithCallID(Notification("seed000-incoming.json"), y))
		add(y, WithCallID(Notification("seed000-deleted.json"), y))
	case "", "none":
		return nil, nil
	default:
		return nil, fmt.Errorf("unknown scenario %q (want %s, %s or none)", scenario, ScenarioRing, ScenarioSeeds)
	}
	var ids []string
	var errs []error
	for i, s := range steps {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ids, ctx.Err()
			case <-time.After(pause):
			}
		}
		if len(ids) == 0 || ids[len(ids)-1] != s.id {
			ids = append(ids, s.id)
		}
		if _, err := d.Post(ctx, s.body); err != nil {
			errs = append(errs, err)
		}
	}
	return dedupe(ids), errors.Join(errs...)
}

// StateChange builds a notification in the current shape that moves call id
// to state, with a resultInfo when given.
func StateChange(id, changeType, state string, result *ResultInfo) []byte {
	data := map[string]any{"@odata.type": "#microsoft.graph.call", "state": state}
	if result != nil {
		key := result.SubCodeKey
		if key == "" {
			key = "subcode"
		}
		data["resultInfo"] = map[string]any{
			"@odata.type": "#microsoft.graph.resultInfo",
			"code":        result.Code, key: result.Subcode, "message": result.Message,
		}
	}
	b, _ := json.Marshal(map[string]any{
		"@odata.type": "#microsoft.graph.commsNotifications",
		"value": []any{map[string]any{
			"@odata.type":  "#microsoft.graph.commsNotification",
			"changeType":   changeType,
			"resourceUrl":  "/communications/calls/" + id,
			"resourceData": data,
		}},
	})
	return b
}

// StateChangeResource is call id in state as GET …/communications/calls/{id}
// returns it, reduced to what StateChange sends.
func StateChangeResource(id, state string) []byte {
	b, _ := json.Marshal(map[string]any{"@odata.type": "#microsoft.graph.call", "id": id, "state": state})
	return b
}

// ResultInfo is a termination reason for StateChange. Code and Subcode are
// any JSON value, to send them as numbers or as strings.
type ResultInfo struct {
	Code, Subcode any
	Message       string
	// SubCodeKey spells the subcode's key: "subcode" when empty; Graph's
	// transfer-failure examples write "subCode".
	SubCodeKey string
}

// NewCallID returns a fresh call id in the current (lower-case GUID) form.
func NewCallID() string { return newRequestID() }

func replaceID(body []byte, old, id string) []byte {
	return []byte(strings.ReplaceAll(string(body), old, id))
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0]
	for _, id := range ids {
		if !seen[strings.ToLower(strings.ReplaceAll(id, "-", ""))] {
			seen[strings.ToLower(strings.ReplaceAll(id, "-", ""))] = true
			out = append(out, id)
		}
	}
	return out
}

// summary is a one-line description of a notification body for logs.
func summary(body []byte) string {
	var env struct {
		Value []struct {
			ChangeType   string          `json:"changeType"`
			ResourceURL  string          `json:"resourceUrl"`
			Resource     string          `json:"resource"`
			ResourceData json.RawMessage `json:"resourceData"`
		} `json:"value"`
	}
	if json.Unmarshal(body, &env) != nil {
		return "unreadable body"
	}
	var parts []string
	for _, v := range env.Value {
		res := v.ResourceURL
		if res == "" {
			res = v.Resource
		}
		var data struct {
			State string `json:"state"`
		}
		_ = json.Unmarshal(v.ResourceData, &data)
		parts = append(parts, strings.TrimSpace(v.ChangeType+" "+res+" "+data.State))
	}
	return strings.Join(parts, "; ")
}
