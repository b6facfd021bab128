package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"ringside/providers"
	"ringside/providers/graph/callapi"
	"ringside/providers/graph/notification"
	"ringside/providers/graph/webhookauth"
	"ringside/providers/ledger"
)

// Name is the provider's name on the command line and in the JSON stream.
const Name = "graph"

// Provider is the Microsoft Graph provider.
type Provider struct {
	cfg  Config
	set  settings
	opts providers.Options

	ledger *ledger.Ledger
	ids    *idBook
	names  *nameBook              // callers' names: kept across snapshots, looked up with --graph-resolve-names
	auth   *webhookauth.Validator // nil when inbound authentication is off
	api    *callapi.Client        // nil when the console cannot act on calls
	caps   providers.Capabilities

	// asked records what we asked Graph to do to a call (by idKey: a
	// reject, a redirect, a transfer) from the moment it is sent, so the end
	// that follows says so even when Graph's notification overtakes the
	// reply to the request (asked.go).
	askedMu  sync.Mutex
	asked    map[string]asked
	anyAsked atomic.Bool // asked is not empty: the worker checks this first

	running atomic.Bool
	run     atomic.Pointer[runState]

	statusMu sync.Mutex
	status   providers.Status
	// notice is added to the status detail for a while: a transfer Graph
	// reported failed. noticeEnd ends it; the worker owns the timer.
	notice     string
	noticeEnd  *time.Timer
	noticeShow time.Duration

	queueSize int
	// queueWait is how long a notification may wait for room in the queue
	// before it is answered 503 (QueueWait; tests shorten it).
	queueWait time.Duration
	// readTimeout bounds reading a request, headers and body, and
	// writeTimeout writing its answer (ReadTimeout, WriteTimeout; tests
	// shorten them to see a slow client cut off).
	readTimeout, writeTimeout time.Duration
	// turnedAway counts notifications answered 503 because the console was
	// behind.
	turnedAway atomic.Int64
	// ringGrace is how long after its answer deadline a call still shown as
	// ringing is ended locally, in case Graph's end notice never arrives.
	ringGrace time.Duration
	encWarn   sync.Once
	legacy    legacyCalls
	stale     staleCheck
}

// runState is what the action methods need from a running Run.
type runState struct {
	ctx  context.Context
	sink providers.Sink
	addr string
	// rechecks takes Recheck's answers to the worker (recheck.go).
	rechecks chan<- recheckWork
}

// New checks cfg and builds the provider. It does no network I/O.
func New(cfg Config, opts providers.Options) (*Provider, error) {
	opts = opts.WithDefaults()
	set, err := cfg.check(opts.Getenv)
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	p := &Provider{
		cfg: cfg, set: set, opts: opts,
		ledger:       ledger.New(Name, ledger.FromOptions(opts)),
		ids:          newIDBook(opts.MaxCalls + ledger.DefaultKeepEnded),
		asked:        make(map[string]asked),
		noticeShow:   DefaultNoticeShow,
		queueSize:    1024,
		queueWait:    QueueWait,
		readTimeout:  ReadTimeout,
		writeTimeout: WriteTimeout,
		ringGrace:    20 * time.Second,
	}
	if set.openID != "" {
		p.auth, err = webhookauth.New(webhookauth.Config{
			OpenIDConfigURL: set.openID, Audience: cfg.ClientID, Now: opts.Now, Log: opts.Log,
		})
		if err != nil {
			return nil, fmt.Errorf("graph: inbound authentication: %w", err)
		}
	}
	if set.actionsOff == "" {
		api := set.api
		api.Log, api.Now, api.OnReject = opts.Log, opts.Now, p.noteReject
		p.api, err = callapi.New(api)
		if err != nil {
			return nil, fmt.Errorf("graph: %w", err)
		}
		p.caps = graphOffers
	}
	var lookup func(context.Context, string) (string, error)
	if cfg.ResolveNames && p.api != nil {
		lookup = p.api.UserDisplayName
	}
	p.names = newNameBook(lookup, opts.Log, opts.Now)
	return p, nil
}

// Name is "graph".
func (p *Provider) Name() string { return Name }

// Address is the identity Graph is asked to invite for t: its directory id,
// else its E.164 number.
func (p *Provider) Address(t providers.Target) (string, error) {
	switch {
	case t.GraphID != "":
		return t.GraphID, nil
	case t.Phone != "":
		return t.Phone, nil
	}
	return "", fmt.Errorf("%w: %s has no Teams id or E.164 number, so Teams cannot be asked to send the call there", providers.ErrBadTarget, t)
}

// RejectReasons are Graph's: none, busy, forbidden.
func (p *Provider) RejectReasons() []providers.RejectReason {
	return slices.Clone(providers.RejectReasons)
}

// ActionsOff says why the console cannot act on calls (no client secret),
// or is empty when it can. Calls then carry no capabilities.
func (p *Provider) ActionsOff() string { return p.set.actionsOff }

// Addr is the address the webhook listens on while Run is going.
func (p *Provider) Addr() string {
	if rs := p.run.Load(); rs != nil {
		return rs.addr
	}
	return ""
}

// skipAuthWarning is the standing caution while inbound authentication is off.
func (p *Provider) skipAuthWarning() string {
	return "INBOUND AUTH OFF (--graph-skip-auth): anyone who can reach " + p.set.listen +
		" can inject calls. Local development only."
}

// Run serves the webhook until ctx ends.
func (p *Provider) Run(ctx context.Context, sink providers.Sink) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("graph: already running")
	}
	defer p.running.Store(false)

	warning := ""
	if p.auth == nil {
		warning = p.skipAuthWarning()
		p.opts.Log.Warn("graph: " + warning)
	}
	if p.api == nil {
		p.opts.Log.Warn("graph: calls are shown but cannot be answered, rejected or hung up: " + p.set.actionsOff)
	}
	p.statusMu.Lock()
	p.notice = ""
	p.statusMu.Unlock()
	p.setStatus(ctx, sink, func(s *providers.Status) {
		*s = providers.Status{Link: providers.LinkConnecting, Detail: "starting the webhook on " + p.set.listen, Warning: warning}
	})

	ln, err := net.Listen("tcp", p.set.listen)
	if err != nil {
		err = fmt.Errorf("graph webhook: cannot listen on %s: %w", p.set.listen, err)
		p.opts.Log.Error(err.Error())
		p.setStatus(ctx, sink, func(s *providers.Status) { s.Link, s.Detail = providers.LinkFailed, err.Error() })
		return err
	}
	if err := boundForSkipAuth(p.set.skipAuth, ln.Addr()); err != nil {
		ln.Close()
		p.opts.Log.Error(err.Error())
		p.setStatus(ctx, sink, func(s *providers.Status) { s.Link, s.Detail = providers.LinkFailed, err.Error() })
		return err
	}
	addr := ln.Addr().String()

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	queue := make(chan batch, p.queueSize)
	rechecks := make(chan recheckWork)
	p.run.Store(&runState{ctx: runCtx, sink: sink, addr: addr, rechecks: rechecks})
	defer p.run.Store(nil)

	var wg sync.WaitGroup
	p.names.start(runCtx, &wg)
	wg.Go(func() { p.work(runCtx, sink, queue, rechecks) })
	if p.api != nil {
		// Without credentials nothing can be read back; the cap alone
		// bounds calls whose end never arrives.
		wg.Go(func() { p.watchStale(runCtx, sink, queue) })
	}
	keysTried := make(chan struct{})
	if p.auth != nil {
		wg.Go(func() { p.loadKeys(runCtx, sink, keysTried) })
	} else {
		close(keysTried)
	}
	// Requests are served once the first attempt to load the signing keys
	// is over. Notifications arriving meanwhile wait in the listen queue
	// instead of being refused for want of keys: Graph does not send them
	// again. If the attempt failed, they are refused until a retry succeeds.
	select {
	case <-keysTried:
	case <-ctx.Done():
	}
	srv := p.server(runCtx, queue)
	served := make(chan error, 1)
	go func() {
		if p.set.tls != nil {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()

	scheme := "http"
	if p.set.tls != nil {
		scheme = "https"
	}
	p.opts.Log.Info("graph: webhook listening", "url", scheme+"://"+addr+p.set.callbackPath)
	p.setStatus(ctx, sink, func(s *providers.Status) { s.Link, s.Detail = providers.LinkLive, addr })

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-served:
		runErr = fmt.Errorf("graph webhook on %s stopped: %w", addr, err)
	}
	stop()
	// In-flight requests get a moment to finish; a client that holds a
	// connection without sending is then cut off.
	shutCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		_ = srv.Close()
	}
	wg.Wait()
	if runErr != nil {
		p.opts.Log.Error(runErr.Error())
		p.setStatus(ctx, sink, func(s *providers.Status) { s.Link, s.Detail = providers.LinkFailed, runErr.Error() })
		return runErr
	}
	return nil
}

// server is the webhook's HTTP server, with timeouts so that a slow or
// silent client cannot hold connections open. ReadTimeout bounds the whole
// request, headers and body (at most 1 MiB) alike; with no separate
// ReadHeaderTimeout net/http sets one read deadline per request instead of
// two, which matters on a path that runs for every notification.
func (p *Provider) server(ctx context.Context, queue chan<- batch) *http.Server {
	return &http.Server{
		Handler: &webhook{p: p, ctx: ctx, queue: queue,
			logRefusal: rate.Sometimes{Interval: time.Second}, logBehind: rate.Sometimes{Interval: time.Second}},
		TLSConfig:      p.set.tls,
		ReadTimeout:    p.readTimeout,
		WriteTimeout:   p.writeTimeout,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       newErrorLog(p.opts.Log),
		BaseContext:    func(net.Listener) context.Context { return ctx },
	}
}

// setStatus changes the status under a lock and sends the whole of it, with
// the notice shown for the while, if any, after the detail.
func (p *Provider) setStatus(ctx context.Context, sink providers.Sink, change func(*providers.Status)) {
	p.statusMu.Lock()
	change(&p.status)
	s := p.status
	if p.notice != "" {
		if s.Detail != "" {
			s.Detail += " · "
		}
		s.Detail += p.notice
	}
	p.statusMu.Unlock()
	providers.Emit(ctx, sink, providers.StatusEvent(p.opts.Now(), s))
}

// loadKeys fetches the platform's signing keys, retrying with growing pauses
// while it cannot; until then every notification is refused with 401 and
// the header says why. It closes tried when its first attempt is over.
func (p *Provider) loadKeys(ctx context.Context, sink providers.Sink, tried chan<- struct{}) {
	first := true
	firstOver := func() {
		if first {
			first = false
			close(tried)
		}
	}
	defer firstOver()
	wait := time.Second
	warned := false
	for {
		err := p.auth.Start(ctx)
		if err == nil {
			if warned {
				p.setStatus(ctx, sink, func(s *providers.Status) { s.Warning = "" })
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		p.opts.Log.Error("graph: cannot load the calling platform's signing keys; notifications are refused until they load",
			"err", err, "retry_in", wait)
		warned = true
		msg := "Cannot load Microsoft's signing keys (" + err.Error() + "); notifications are refused until they load."
		p.setStatus(ctx, sink, func(s *providers.Status) { s.Warning = msg })
		firstOver()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(wait*2, time.Minute)
	}
}

// batch is one accepted POST: its notifications and when it arrived.
type batch struct {
	at    time.Time
	items []notification.Notification
}

// work applies batches in arrival order, and Recheck's answers, and ends
// calls that rang out with no word from Graph.
func (p *Provider) work(ctx context.Context, sink providers.Sink, queue <-chan batch, rechecks <-chan recheckWork) {
	rings := newRingWatch()
	defer rings.stop()
	defer p.clearNotice(ctx, sink)
	for {
		p.takeWaiting(ctx, sink, rings, queue)
		select {
		case <-ctx.Done():
			return
		case b := <-queue:
			p.apply(ctx, sink, rings, b)
		case r := <-rechecks:
			p.applyRecheck(ctx, sink, rings, r)
		case <-rings.fired():
			p.sweep(ctx, sink, rings)
		case f := <-p.names.results():
			p.applyName(ctx, sink, f)
		case <-p.noticeExpired():
			p.clearNotice(ctx, sink)
		}
	}
}

// inARow bounds how many waiting batches work takes in a row before it
// looks at its other sources again.
const inARow = 32

// takeWaiting applies batches that are already waiting, without the select
// over every source of work: under a burst that is most turns, and a select
// locks each of its six channels every time. It takes inARow at most, so
// that timers, rechecks and names keep their turn in a flood.
func (p *Provider) takeWaiting(ctx context.Context, sink providers.Sink, rings *ringWatch, queue <-chan batch) {
	for range inARow {
		select {
		case b := <-queue:
			p.apply(ctx, sink, rings, b)
		default:
			return
		}
	}
}

// apply applies the notifications of one accepted POST, in order.
func (p *Provider) apply(ctx context.Context, sink providers.Sink, rings *ringWatch, b batch) {
	for _, n := range b.items {
		p.handle(ctx, sink, rings, b.at, n, nil)
	}
}

// handle applies one notification. adopt, when set, is the call an earlier
// run reported and n Graph's answer about it read back (Recheck): the call
// is filed only if this run has not heard of it.
func (p *Provider) handle(ctx context.Context, sink providers.Sink, rings *ringWatch, at time.Time, n notification.Notification, adopt *providers.Call) {
	if n.Kind != notification.KindCall {
		p.opts.Log.DebugContext(ctx, "graph: notification about something the console does not show", "resource", n.Resource, "change", n.ChangeType)
		return
	}
	id := p.ids.resolve(n.CallID)
	ch := change{n: n, at: at, window: p.opts.AnswerWindow, caps: p.caps, asked: p.askedOf(id)}
	call, changed := p.file(id, ch, adopt)
	if ri := transferFailure(n, ch.asked); ri != nil && call.State.Live() {
		p.transferFailed(ctx, sink, call, ch.asked.transfer, ri)
	}
	p.dropEvicted(ctx, sink, rings, at)
	if p.opts.Log.Enabled(ctx, slog.LevelDebug) {
		p.opts.Log.Debug("graph: call notification", "call", id, "change", n.ChangeType, "state", call.State, "changed", changed)
	}
	if n.Call != nil && n.Call.Source != nil && call.From.Name == EncryptedCaller {
		p.encWarn.Do(func() {
			p.opts.Log.Warn("graph: callers arrive encrypted; grant the app a Calls.* application permission (e.g. Calls.JoinGroupCall.All) to see who is calling")
		})
	}
	if !changed {
		return
	}
	if call.State == providers.StateEnded {
		p.forgetAsked(id)
	}
	if call.State == providers.StateRinging && !call.AnswerBy.IsZero() {
		rings.watch(id, call.AnswerBy.Add(p.ringGrace), p.opts.Now())
	} else {
		rings.forget(id)
	}
	providers.Emit(ctx, sink, providers.CallEvent(at, call))
	p.askNames(ctx, sink, call)
}

// sweep ends calls still ringing well past their deadline: their end notice
// was lost (the webhook was down, or Graph never sent one), and a row that
// rings forever would mislead the agent.
func (p *Provider) sweep(ctx context.Context, sink providers.Sink, rings *ringWatch) {
	now := p.opts.Now()
	for _, id := range rings.due(now) {
		call, changed := p.ledger.Update(id, func(c *providers.Call) {
			if c.State != providers.StateRinging {
				return
			}
			c.State, c.Ended, c.Caps = providers.StateEnded, now, 0
			c.End = providers.EndReason{Text: textRangOut}
		})
		if changed {
			p.forgetAsked(id)
			providers.Emit(ctx, sink, providers.CallEvent(now, call))
		}
	}
}

// graphOffers is what Graph can do to a bot's call: no hold (its calls API
// has none for a bot's own call), and no agent state.
var graphOffers = providers.Caps(providers.ActionAnswer, providers.ActionReject, providers.ActionHangup,
	providers.ActionTransfer, providers.ActionRedirect)

// Offers is every action this provider may offer on a call: answer,
// reject, hang up, transfer and redirect.
func (p *Provider) Offers() providers.Capabilities { return graphOffers }

// boundForSkipAuth checks, with inbound authentication off, that the
// webhook really listens on loopback. The flag's check reads the name
// given; "localhost" is trusted there, but a hosts file can point it
// anywhere, so the address bound is what decides.
func boundForSkipAuth(skipAuth bool, a net.Addr) error {
	if !skipAuth {
		return nil
	}
	if tcp, ok := a.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("graph webhook: --graph-skip-auth needs a loopback address, but the webhook is bound to %s: anyone who can reach it could inject calls", a)
}
