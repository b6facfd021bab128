package natsboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"ringside/providers"
	"ringside/providers/natsboard/wire"
	"ringside/providers/textsafe"
)

// Errors of a board that are not the relay's: no relay serves the board,
// or this NATS user may not send actions on it.
var (
	ErrNoRelay  = errors.New("no relay serves the board")
	ErrReadOnly = errors.New("the NATS user may not send actions on the board")
)

// defaultActionWait bounds a request whose context has no deadline.
const defaultActionWait = 30 * time.Second

// maxChoices bounds the agent states a relay may list.
const maxChoices = 64

// boardError reads as its words alone and matches its kinds.
type boardError struct {
	words string
	kinds []error
}

func (e *boardError) Error() string   { return e.words }
func (e *boardError) Unwrap() []error { return e.kinds }

func noRelay(b *board) error {
	return &boardError{words: "board " + b.name + " has no relay running; nothing was sent", kinds: []error{ErrNoRelay, nats.ErrNoResponders}}
}

func readOnly(b *board) error {
	return &boardError{words: "the NATS user may not send actions on board " + b.name, kinds: []error{ErrReadOnly, providers.ErrNotAllowed}}
}

// Answer asks the board's relay to answer the call.
func (p *Provider) Answer(ctx context.Context, id string) error {
	return p.act(ctx, providers.ActionAnswer, id, wire.Request{})
}

// Reject asks the relay to reject the call with reason.
func (p *Provider) Reject(ctx context.Context, id string, reason providers.RejectReason) error {
	r, err := providers.CheckRejectReason(reason)
	if err != nil {
		return fmt.Errorf("reject %s: %w", id, err)
	}
	return p.act(ctx, providers.ActionReject, id, wire.Request{Reason: string(r)})
}

// Hangup asks the relay to hang the call up.
func (p *Provider) Hangup(ctx context.Context, id string) error {
	return p.act(ctx, providers.ActionHangup, id, wire.Request{})
}

// Transfer asks the relay to transfer the call to t.
func (p *Provider) Transfer(ctx context.Context, id string, t providers.Target) error {
	return p.act(ctx, providers.ActionTransfer, id, wire.Request{Target: wire.TargetOf(t)})
}

// Redirect asks the relay to redirect the ringing call to t.
func (p *Provider) Redirect(ctx context.Context, id string, t providers.Target) error {
	return p.act(ctx, providers.ActionRedirect, id, wire.Request{Target: wire.TargetOf(t)})
}

// Hold asks the relay to put the call on hold.
func (p *Provider) Hold(ctx context.Context, id string) error {
	return p.act(ctx, providers.ActionHold, id, wire.Request{})
}

// Resume asks the relay to take the held call back.
func (p *Provider) Resume(ctx context.Context, id string) error {
	return p.act(ctx, providers.ActionResume, id, wire.Request{})
}

// act sends action a on call id (the console's id) to the board that has
// it, after the checks every provider makes on a call it knows.
func (p *Provider) act(ctx context.Context, a providers.Action, id string, req wire.Request) error {
	b, local, err := p.locate(id)
	if err != nil {
		return fmt.Errorf("%s %s: %w", a, id, err)
	}
	if b.readOnly {
		return readOnly(b)
	}
	if !b.meta.Capabilities().Has(a) {
		// The relay serves only what it offers: the request would find
		// no responder, which would read as no relay at all.
		return &boardError{words: fmt.Sprintf("%s %s: board %s (%s) does not offer %s", a, id, b.name,
			textsafe.Line(textsafe.Cut(b.meta.Provider, 32)), a), kinds: []error{providers.ErrNotAllowed}}
	}
	if c, ok := b.known(local); ok {
		if err := providers.CheckAction(c, a, ""); err != nil {
			return fmt.Errorf("%s %s: %w", a, id, err)
		}
	}
	req.ID = local
	_, err = p.request(ctx, b, a.String(), req)
	return err
}

// locate is the board of the console's call id and the board's own id.
func (p *Provider) locate(id string) (*board, string, error) {
	if len(p.boards) == 0 {
		return nil, "", errors.New("not joined to any board")
	}
	if !p.multi {
		return p.boards[0], id, providers.CheckCallID(id)
	}
	name, local, found := strings.Cut(id, ".")
	b := p.byName[name]
	if !found || b == nil {
		return nil, "", fmt.Errorf("%w: the id names none of the boards watched (ids are BOARD.ID with several boards)", providers.ErrNotFound)
	}
	return b, local, providers.CheckCallID(local)
}

// errDenied ends a wait on a subject NATS refused this user.
var errDenied = errors.New("permission denied")

// request sends one action request to the board's relay and reads the
// reply: nil, or the relay's error in its words.
func (p *Provider) request(ctx context.Context, b *board, endpoint string, req wire.Request) (*wire.Reply, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if len(body) > wire.MaxRequest {
		return nil, fmt.Errorf("%s: a request of %d bytes, over the %d allowed", endpoint, len(body), wire.MaxRequest)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultActionWait)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	subject := wire.ActionSubject(b.name, endpoint)
	msg := nats.NewMsg(subject)
	msg.Data = body
	msg.Header.Set(wire.DeadlineHeader, strconv.FormatInt(max(time.Until(deadline).Milliseconds(), 1), 10))

	// A publish NATS refuses this user gets no reply: the violation, which
	// arrives on the side, ends the wait instead of the timeout.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := p.denials.watch(func(s string) bool { return s == subject }, func() { cancel(errDenied) })
	defer stop()

	reply, err := p.nc.RequestMsgWithContext(ctx, msg)
	switch {
	case context.Cause(ctx) == errDenied || (err != nil && deniedSubject(p.nc.LastError()) == subject):
		return nil, &boardError{words: "the NATS user may not send " + endpoint + " on board " + b.name,
			kinds: []error{ErrReadOnly, providers.ErrNotAllowed}}
	case errors.Is(err, nats.ErrNoResponders):
		return nil, noRelay(b)
	case err != nil:
		return nil, fmt.Errorf("%s on board %s: %w", endpoint, b.name, err)
	}
	return decodeReply(b, reply)
}

// decodeReply reads a relay's reply: an error reply is the relay's error
// (wire.ErrorFrom: its words, the contract's kind), else {"ok":true}.
func decodeReply(b *board, m *nats.Msg) (*wire.Reply, error) {
	if len(m.Data) > wire.MaxRequest {
		return nil, fmt.Errorf("board %s: a reply of %d bytes, over the %d allowed", b.name, len(m.Data), wire.MaxRequest)
	}
	if code := m.Header.Get(micro.ErrorCodeHeader); code != "" {
		// Any error reply may carry the server's refusal behind it; an
		// empty one says nothing but for a 502.
		var refusal *wire.Refusal
		var r wire.Refusal
		if len(m.Data) > 0 && json.Unmarshal(m.Data, &r) == nil && (code == wire.CodeRefused || r != (wire.Refusal{})) {
			refusal = &r
		}
		return nil, wire.ErrorFrom(code, m.Header.Get(micro.ErrorHeader), refusal)
	}
	var r wire.Reply
	if err := json.Unmarshal(m.Data, &r); err != nil || !r.OK {
		return nil, fmt.Errorf("board %s: the relay's reply is not one: %s", b.name, textsafe.Cut(textsafe.Body(m.Data), 80))
	}
	if len(r.Choices) > maxChoices {
		return nil, fmt.Errorf("board %s: the relay lists %d agent states, at most %d", b.name, len(r.Choices), maxChoices)
	}
	return &r, nil
}

// agentProvider is the provider of a single board whose relay has an
// agent state: it also implements providers.AgentControl.
type agentProvider struct{ *Provider }

// AgentChoices asks the relay what the agent may choose.
func (a agentProvider) AgentChoices(ctx context.Context) ([]providers.AgentChoice, error) {
	b := a.boards[0]
	if b.readOnly {
		return nil, readOnly(b)
	}
	r, err := a.request(ctx, b, wire.EndpointAgentChoices, wire.Request{})
	if err != nil {
		return nil, err
	}
	choices := make([]providers.AgentChoice, 0, len(r.Choices))
	for _, c := range r.Choices {
		st, ok := providers.ParseAgentState(c.State)
		if !ok {
			continue // a state this build does not know cannot be asked for
		}
		choices = append(choices, providers.AgentChoice{State: st,
			Code: textsafe.Line(textsafe.Cut(c.Code, 64)), Label: textsafe.Line(textsafe.Cut(c.Label, 64))})
	}
	return choices, nil
}

// SetAgentState asks the relay for the agent's new state.
func (a agentProvider) SetAgentState(ctx context.Context, choice providers.AgentChoice) error {
	b := a.boards[0]
	if b.readOnly {
		return readOnly(b)
	}
	_, err := a.request(ctx, b, wire.EndpointAgentState, wire.Request{Choice: &wire.Choice{
		State: string(choice.State), Code: choice.Code, Label: choice.Label}})
	return err
}

// denials passes NATS's permission violations, which arrive on the side,
// to whoever waits on the subject refused.
type denials struct {
	mu      sync.Mutex
	next    int
	waiting map[int]denialWait
}

type denialWait struct {
	match  func(subject string) bool
	notify func()
}

// watch calls notify when a subject match accepts is refused, until stop.
func (d *denials) watch(match func(string) bool, notify func()) (stop func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.waiting == nil {
		d.waiting = make(map[int]denialWait)
	}
	d.next++
	n := d.next
	d.waiting[n] = denialWait{match, notify}
	return func() {
		d.mu.Lock()
		delete(d.waiting, n)
		d.mu.Unlock()
	}
}

// notify tells whoever waits on subject that it was refused.
func (d *denials) notify(subject string) {
	if subject == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, w := range d.waiting {
		if w.match(subject) {
			w.notify()
		}
	}
}

var violation = regexp.MustCompile(`Permissions Violation for Publish to "([^"]+)"`)

// deniedSubject is the subject a permission violation names ("" if err is
// none).
func deniedSubject(err error) string {
	if err == nil || !errors.Is(err, nats.ErrPermissionViolation) {
		return ""
	}
	m := violation.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	return m[1]
}
