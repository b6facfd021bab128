package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"ringside/providers"
	"ringside/providers/natsboard/wire"
	"ringside/providers/textsafe"
)

// maxChoices bounds the agent states a reply lists (a reply is at most
// wire.MaxRequest).
const maxChoices = 64

// actionService serves a board's actions as a NATS micro service. micro runs each
// endpoint's handler on one goroutine, so every request is handed to a
// goroutine of its own, at most cap(sem) at once.
type actionService struct {
	nc      *nats.Conn
	p       providers.Provider
	agent   providers.AgentControl
	board   string
	timeout time.Duration
	owner   *atomic.Bool
	log     *slog.Logger
	svc     micro.Service
	sem     chan struct{}
	// wg counts the requests under way; once closed, none is added.
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	// ctx ends the actions under way when the relay stops.
	ctx    context.Context
	cancel context.CancelFunc
	// endpoints are the names served, for the operator.
	endpoints []string
}

// action does what one endpoint asks, once the request has been read.
type action func(ctx context.Context, rq wire.Request) (wire.Reply, error)

// badRequest is a request that asks nothing valid: nothing is sent to the
// provider.
type badRequest struct{ err error }

func (b *badRequest) Error() string { return b.err.Error() }
func (b *badRequest) Unwrap() error { return b.err }

func bad(format string, args ...any) error { return &badRequest{fmt.Errorf(format, args...)} }

// startServer serves one endpoint per action p offers, and the agent's
// endpoints when p has an agent state.
func startServer(nc *nats.Conn, p providers.Provider, cfg Config, owner *atomic.Bool, log *slog.Logger) (*actionService, error) {
	s := &actionService{nc: nc, p: p, board: cfg.Board, timeout: cfg.ActionTimeout, owner: owner, log: log,
		sem: make(chan struct{}, cfg.MaxInFlight)}
	s.agent, _ = p.(providers.AgentControl)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	svc, err := micro.AddService(nc, micro.Config{
		Name: wire.ServiceName, Version: wire.ServiceVersion,
		Description: "ringside relay of board " + cfg.Board,
		Metadata:    map[string]string{"board": cfg.Board, "provider": p.Name()},
		ErrorHandler: func(_ micro.Service, err *micro.NATSError) {
			log.Warn("action service", "err", err)
		},
	})
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("action service: %w", err)
	}
	s.svc = svc
	if err := s.addEndpoints(); err != nil {
		svc.Stop()
		s.cancel()
		return nil, fmt.Errorf("action service: %w", err)
	}
	return s, nil
}

func (s *actionService) addEndpoints() error {
	g := s.svc.AddGroup(wire.ActionGroup(s.board))
	add := func(name string, do action) error {
		s.endpoints = append(s.endpoints, name)
		return g.AddEndpoint(name, s.handler(name, do))
	}
	for _, a := range providers.Actions {
		if s.p.Offers().Has(a) {
			if err := add(a.String(), s.callAction(a)); err != nil {
				return err
			}
		}
	}
	if s.agent == nil {
		return nil
	}
	if err := add(wire.EndpointAgentChoices, s.agentChoices); err != nil {
		return err
	}
	return add(wire.EndpointAgentState, s.agentState)
}

// handler hands each request to a goroutine of its own, or refuses it
// as busy when MaxInFlight are under way.
func (s *actionService) handler(name string, do action) micro.Handler {
	return micro.HandlerFunc(func(mr micro.Request) {
		// The reply goes out from another goroutine, so it is sent on the
		// connection, not through mr: micro reads mr's outcome for its
		// statistics once this handler returns.
		req := incoming{nc: s.nc, reply: mr.Reply(), data: mr.Data(), headers: mr.Headers()}
		if !s.begin() {
			s.respondError(req, wire.CodeNotOwner, fmt.Sprintf("the relay of board %s is stopping; nothing was sent", s.board), nil)
			return
		}
		select {
		case s.sem <- struct{}{}:
		default:
			s.wg.Done()
			s.log.Warn("action refused: the relay is busy", "endpoint", name, "in_flight", cap(s.sem))
			s.respondError(req, wire.CodeFailed, fmt.Sprintf("the relay is busy (%d actions under way); nothing was sent, try again", cap(s.sem)), nil)
			return
		}
		go func() {
			var once sync.Once
			// The slot is the provider's work: it is free again before the
			// reply goes out, so a console that got its reply finds room.
			release := func() { once.Do(func() { <-s.sem }) }
			defer func() { release(); s.wg.Done() }()
			s.serve(req, name, do, release)
		}()
	})
}

// incoming is one request, as much of it as the reply needs.
type incoming struct {
	nc      *nats.Conn
	reply   string
	data    []byte
	headers micro.Headers
}

// respond sends a successful reply.
func (in incoming) respond(v wire.Reply) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return in.send(&nats.Msg{Data: b})
}

// fail sends an error reply as micro's Request.Error does: the code and
// the words in headers, data as the body.
func (in incoming) fail(code, words string, data []byte) error {
	return in.send(&nats.Msg{Data: data, Header: nats.Header{micro.ErrorCodeHeader: {code}, micro.ErrorHeader: {words}}})
}

func (in incoming) send(m *nats.Msg) error {
	if in.reply == "" {
		return errors.New("the request has no reply subject")
	}
	m.Subject = in.reply
	return in.nc.PublishMsg(m)
}

// begin counts a request in, unless the server is stopping. (micro's
// Stop drains: a request already delivered may still reach a handler.)
func (s *actionService) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// serve reads a request, checks it, does it within the deadline, replies.
func (s *actionService) serve(req incoming, name string, do action, release func()) {
	if !s.owner.Load() {
		release()
		s.respondError(req, wire.CodeNotOwner, fmt.Sprintf("this relay no longer holds board %s; nothing was sent", s.board), nil)
		return
	}
	rq, wait, err := s.read(req)
	if err != nil {
		release()
		s.refused(req, name, "", err)
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, wait)
	defer cancel()
	reply, err := do(ctx, rq)
	release()
	if err != nil {
		s.refused(req, name, rq.ID, err)
		return
	}
	s.log.Info("action done", "endpoint", name, "call", rq.ID)
	if err := req.respond(reply); err != nil {
		s.log.Warn("action reply not sent", "endpoint", name, "call", rq.ID, "err", err)
	}
}

// read is the request's body and how long it may take.
func (s *actionService) read(req incoming) (wire.Request, time.Duration, error) {
	wait, err := s.deadline(req.headers)
	if err != nil {
		return wire.Request{}, 0, err
	}
	rq, err := decodeRequest(req.data)
	return rq, wait, err
}

// refused replies with err's code and words (the provider's own).
func (s *actionService) refused(req incoming, name, id string, err error) {
	var b *badRequest
	if errors.As(err, &b) {
		s.log.Warn("action request refused", "endpoint", name, "call", id, "err", err)
		s.respondError(req, wire.CodeBadRequest, err.Error(), nil)
		return
	}
	code, refusal := wire.Classify(err)
	var data []byte
	if refusal != nil {
		data, _ = json.Marshal(refusal)
	}
	s.log.Info("action failed", "endpoint", name, "call", id, "code", code, "err", err)
	s.respondError(req, code, err.Error(), data)
}

func (s *actionService) respondError(req incoming, code, words string, data []byte) {
	words = textsafe.Line(textsafe.Cut(words, wire.MaxWords))
	if words == "" {
		words = "the action failed"
	}
	if err := req.fail(code, words, data); err != nil {
		s.log.Warn("action reply not sent", "err", err)
	}
}

// deadline is how long an action may take: ActionTimeout, or less when
// the console waits less (DeadlineHeader, in milliseconds).
func (s *actionService) deadline(h micro.Headers) (time.Duration, error) {
	v := h.Get(wire.DeadlineHeader)
	if v == "" {
		return s.timeout, nil
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, bad("header %s %q is not a number of milliseconds", wire.DeadlineHeader, textsafe.Cut(textsafe.Clean(v), 20))
	}
	if ms <= 0 {
		return 0, fmt.Errorf("the console had stopped waiting before the request arrived; nothing was sent: %w", context.DeadlineExceeded)
	}
	if ms > s.timeout.Milliseconds() {
		return s.timeout, nil
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// decodeRequest reads an action request: one JSON object of at most
// wire.MaxRequest bytes whose fields have their types. Fields it does not
// know are skipped (a newer console may send one).
func decodeRequest(b []byte) (wire.Request, error) {
	var rq wire.Request
	if len(b) > wire.MaxRequest {
		return rq, bad("request of %d bytes, over the %d allowed", len(b), wire.MaxRequest)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return rq, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&rq); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field == "" {
			return rq, bad("request is a JSON %s, not a JSON object", typeErr.Value)
		}
		if errors.As(err, &typeErr) {
			return rq, bad("request: field %q is a JSON %s, want %s", textsafe.Cut(typeErr.Field, 40), typeErr.Value, typeErr.Type)
		}
		return rq, bad("request is not a JSON object: %v", err)
	}
	if dec.More() {
		return rq, bad("request holds more than one JSON value")
	}
	return rq, nil
}

// callAction is the endpoint of a call action: the id, reason and target
// are checked as every provider checks them, then the provider acts (its
// own words say what happened, a call it does not know included).
func (s *actionService) callAction(a providers.Action) action {
	return func(ctx context.Context, rq wire.Request) (wire.Reply, error) {
		if err := providers.CheckCallID(rq.ID); err != nil {
			return wire.Reply{}, bad("call id: %v", err)
		}
		var err error
		switch a {
		case providers.ActionAnswer:
			err = s.p.Answer(ctx, rq.ID)
		case providers.ActionReject:
			reason, rerr := providers.CheckRejectReason(providers.RejectReason(rq.Reason))
			if rerr != nil {
				return wire.Reply{}, bad("reject: %v", rerr)
			}
			err = s.p.Reject(ctx, rq.ID, reason)
		case providers.ActionHangup:
			err = s.p.Hangup(ctx, rq.ID)
		case providers.ActionHold:
			err = s.p.Hold(ctx, rq.ID)
		case providers.ActionResume:
			err = s.p.Resume(ctx, rq.ID)
		case providers.ActionTransfer, providers.ActionRedirect:
			err = s.sendOn(ctx, a, rq)
		default:
			// An action the contract gained and this switch did not:
			// saying OK would tell the console it was done.
			return wire.Reply{}, fmt.Errorf("the relay cannot %s a call: %w", a, providers.ErrNotAllowed)
		}
		return wire.Reply{OK: true}, err
	}
}

// sendOn transfers or redirects a call once its target passes the checks
// and the provider can reach it.
func (s *actionService) sendOn(ctx context.Context, a providers.Action, rq wire.Request) error {
	to, err := rq.Target.Target()
	if err != nil {
		return err
	}
	if _, err := s.p.Address(to); err != nil {
		if !errors.Is(err, providers.ErrBadTarget) {
			err = fmt.Errorf("%w: %v", providers.ErrBadTarget, err)
		}
		return err
	}
	if a == providers.ActionTransfer {
		return s.p.Transfer(ctx, rq.ID, to)
	}
	return s.p.Redirect(ctx, rq.ID, to)
}

// agentChoices lists the agent's states and reasons.
func (s *actionService) agentChoices(ctx context.Context, _ wire.Request) (wire.Reply, error) {
	choices, err := s.agent.AgentChoices(ctx)
	if err != nil {
		return wire.Reply{}, err
	}
	reply := wire.Reply{OK: true, Choices: []wire.Choice{}}
	for _, c := range choices[:min(len(choices), maxChoices)] {
		reply.Choices = append(reply.Choices, wire.Choice{State: string(c.State), Code: c.Code, Label: c.Label})
	}
	return fitReply(reply), nil
}

// fitReply drops the last choices until the reply fits wire.MaxRequest.
func fitReply(r wire.Reply) wire.Reply {
	for len(r.Choices) > 0 {
		if b, err := json.Marshal(r); err == nil && len(b) <= wire.MaxRequest {
			break
		}
		r.Choices = r.Choices[:len(r.Choices)-1]
	}
	return r
}

// agentState sets the agent's state.
func (s *actionService) agentState(ctx context.Context, rq wire.Request) (wire.Reply, error) {
	if rq.Choice == nil {
		return wire.Reply{}, bad("agent state: no choice given")
	}
	st, ok := providers.ParseAgentState(rq.Choice.State)
	if !ok {
		return wire.Reply{}, bad("agent state %q: want ready, not-ready or after-call-work", textsafe.Cut(textsafe.Clean(rq.Choice.State), 40))
	}
	err := s.agent.SetAgentState(ctx, providers.AgentChoice{State: st, Code: rq.Choice.Code, Label: rq.Choice.Label})
	return wire.Reply{OK: true}, err
}

// stop ends the service: no request is taken any more; those under way
// get grace to finish (none when the lease is lost), then their context
// ends.
func (s *actionService) stop(grace time.Duration, now bool) {
	if err := s.svc.Stop(); err != nil {
		s.log.Warn("stopping the action service", "err", err)
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	if now {
		s.cancel()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	if !waitFor(done, grace) {
		s.log.Warn("actions still under way at stop; their context ends now")
		s.cancel()
		if !waitFor(done, grace) {
			s.log.Error("actions still under way after their context ended; leaving them")
		}
	}
	s.cancel()
}

// waitFor waits until done is closed or grace has passed.
func waitFor(done <-chan struct{}, grace time.Duration) bool {
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
