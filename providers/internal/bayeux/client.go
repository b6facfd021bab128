package bayeux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"ringside/providers/httpguard"
)

// ErrClosed is returned by calls on a client that was closed.
var ErrClosed = errors.New("bayeux: client closed")

// StoppedError is returned by calls on a client that stopped because the
// server told it not to reconnect (or a transport it was told to use does
// not exist there); Err says what the server said.
type StoppedError struct{ Err error }

func (e *StoppedError) Error() string { return "bayeux: client stopped: " + e.Err.Error() }
func (e *StoppedError) Unwrap() error { return e.Err }

// carrier takes one session's messages to the server and brings back the
// replies: long-polling or websocket.
type carrier interface {
	// exchange sends msgs together and returns the replies to them, by id.
	// Data messages and anything else that arrives meanwhile are routed by
	// the client. wait bounds the round trip; poll marks the held connect.
	exchange(ctx context.Context, msgs []*message, wait time.Duration, poll bool) (map[messageID]*message, error)
	transport() Transport
	close()
}

// session is one client id the server handed out.
type session struct {
	clientID string
	carrier  carrier
	ready    bool        // subscriptions restored; guarded by Client.mu
	ended    atomic.Bool // the server pushed a /meta/disconnect
}

// Client is a Bayeux client. Start one with Start; end it with Close.
type Client struct {
	cfg      Config
	url      *url.URL
	log      *slog.Logger
	q        *queue
	pollTr   *http.Transport
	reqTr    *http.Transport
	pollHTTP *http.Client // the held /meta/connect only
	reqHTTP  *http.Client // everything else
	ids      atomic.Uint64

	ctx      context.Context // ends when Close starts
	cancel   context.CancelFunc
	runDone  chan struct{}
	wg       sync.WaitGroup // websocket readers and calls in flight
	closing  sync.Once
	closeErr error

	// subMu serialises changes of the subscriptions with their
	// restoration on a new session.
	subMu sync.Mutex

	mu          sync.Mutex
	subs        []string      // wanted subscriptions, in order
	sess        *session      // the current session, nil if none
	changed     chan struct{} // closed and replaced when sess, its readiness or stopErr change
	state       State
	reason      string
	stopErr     error  // why the client stopped by itself
	closed      bool   // Close has started
	pendingLoss string // messages may have been lost: resync when live again
	noWebSocket bool   // negotiated websocket failed once: stay on long-polling
}

// Start validates cfg and starts a client in the background: it
// handshakes, subscribes to cfg.Channels and keeps the session alive,
// reporting on Events. It does no I/O before returning.
func Start(cfg Config) (*Client, error) {
	cfg, u, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:     cfg,
		url:     u,
		log:     cfg.Log.With("bayeux", u.Redacted()),
		q:       newQueue(cfg.BufferSize),
		pollTr:  newHTTPTransport(cfg),
		reqTr:   newHTTPTransport(cfg),
		runDone: make(chan struct{}),
		subs:    slices.Clone(cfg.Channels),
		changed: make(chan struct{}),
	}
	// Header hooks add credentials to every request (GWS: Basic auth):
	// a redirect may not carry them elsewhere or down to http.
	c.pollHTTP = httpguard.Client(&http.Client{Transport: c.pollTr, Jar: cfg.Jar})
	c.reqHTTP = httpguard.Client(&http.Client{Transport: c.reqTr, Jar: cfg.Jar})
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.run()
	return c, nil
}

// Events is the client's ordered stream: data messages, state changes,
// resync signals. It is closed after the client stopped by itself (once
// its last events were received) or when Close returns.
func (c *Client) Events() <-chan Event { return c.q.out }

// nextID returns a fresh message id.
func (c *Client) nextID() messageID {
	return messageID(strconv.FormatUint(c.ids.Add(1), 10))
}

// newMessage makes an outgoing message with a fresh id and the ext hook's
// contribution.
func (c *Client) newMessage(channel string, s *session) *message {
	m := &message{Channel: channel, ID: c.nextID()}
	if s != nil {
		m.ClientID = s.clientID
	}
	if c.cfg.Ext != nil {
		ext := map[string]any{}
		c.cfg.Ext(channel, ext)
		if len(ext) > 0 {
			b, err := json.Marshal(ext)
			if err != nil {
				c.log.Warn("ext hook gave a value that is not JSON; sending without ext", "channel", channel, "err", err)
			} else {
				m.Ext = b
			}
		}
	}
	return m
}

// route hands the data messages among got to the consumer, in order, and
// puts the replies to the messages sent into replies (copies: got may be
// reused). Anything else is a message nobody asked for: a /meta/disconnect
// pushed by the server ends the session; the rest is logged.
func (c *Client) route(s *session, got []message, sent []*message, replies map[messageID]*message) {
	c.q.addMessages(got)
	for i := range got {
		m := &got[i]
		if m.isData() {
			continue
		}
		if m.ID != "" && wanted(sent, m) {
			r := *m
			replies[m.ID] = &r
			continue
		}
		switch {
		case m.Channel == chDisconnect && s != nil:
			c.log.Info("the server ended the session", "clientId", s.clientID)
			s.ended.Store(true)
		default:
			c.log.Debug("ignored a message nobody waits for", "channel", m.Channel, "id", string(m.ID), "error", m.Error)
		}
	}
}

// wanted says whether m answers one of the sent messages: same id, and the
// same channel for meta messages (a reply to a publish carries the publish
// channel).
func wanted(sent []*message, m *message) bool {
	for _, s := range sent {
		if s.ID == m.ID && s.Channel == m.Channel {
			return true
		}
	}
	return false
}

// noteLoss records that messages may have been lost, so that the consumer
// gets a KindResync event: at once if now is set and the client is live
// (a message that could not be read), else after the next successful
// connect (a connection that broke: what the server kept for the session
// comes first).
func (c *Client) noteLoss(why string, now bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now && c.state == Live {
		c.q.add(Event{Kind: KindResync, Reason: "messages may have been lost: " + why, ClientID: c.clientIDLocked()})
		return
	}
	if c.pendingLoss == "" {
		c.pendingLoss = why
	}
}

// flushLoss sends the KindResync event a loss called for; it is called
// when a connect has succeeded, just before the client reports it is live.
func (c *Client) flushLoss() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pendingLoss != "" {
		c.q.add(Event{Kind: KindResync, Reason: "messages may have been lost: " + c.pendingLoss, ClientID: c.clientIDLocked()})
		c.pendingLoss = ""
	}
}

func (c *Client) clientIDLocked() string {
	if c.sess == nil {
		return ""
	}
	return c.sess.clientID
}

// setState reports a change of state. Repeats are not reported, except a
// new reason while connecting or reconnecting.
func (c *Client) setState(st State, reason string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st == c.state && ((st != Reconnecting && st != Connecting) || reason == c.reason) {
		return
	}
	c.state, c.reason = st, reason
	ev := Event{Kind: KindState, State: st, Reason: reason, Err: err}
	if st == Live && c.sess != nil {
		ev.ClientID, ev.Transport = c.sess.clientID, c.sess.carrier.transport()
	}
	id := ev.ClientID
	c.q.add(ev)
	switch st {
	case Live:
		c.log.Info("live", "clientId", id, "transport", ev.Transport)
	case Stopped:
		c.log.Warn("stopped", "reason", reason)
	default:
		c.log.Info(st.String(), "reason", reason)
	}
}

// broadcastLocked wakes everyone waiting for a change of session.
func (c *Client) broadcastLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// setSession makes s the current session (nil: none).
func (c *Client) setSession(s *session) {
	c.mu.Lock()
	c.sess = s
	c.broadcastLocked()
	c.mu.Unlock()
}

// sleep waits d, or less if the client closes; it says whether to go on.
func (c *Client) sleep(d time.Duration) bool {
	if d <= 0 {
		return c.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// enter registers a call in flight; it fails once Close has started.
func (c *Client) enter() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	return true
}

// callContext is ctx, also ended when the client closes.
func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// readySession waits until a session has its subscriptions in place.
func (c *Client) readySession(ctx context.Context) (*session, error) {
	for {
		c.mu.Lock()
		s, ch, stopErr, closed := c.sess, c.changed, c.stopErr, c.closed
		c.mu.Unlock()
		switch {
		case closed:
			return nil, ErrClosed
		case stopErr != nil:
			return nil, &StoppedError{Err: stopErr}
		case s != nil && s.ready:
			return s, nil
		}
		select {
		case <-ctx.Done():
			if c.ctx.Err() != nil {
				return nil, ErrClosed
			}
			return nil, fmt.Errorf("waiting for the connection: %w", ctx.Err())
		case <-ch:
		}
	}
}

// current says whether s is still the client's session.
func (c *Client) current(s *session) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess == s
}

// Subscribe adds subscriptions. Once connected (it waits for that, within
// ctx), it asks the server and returns its answer: channels the server
// refused are not subscribed and are named in the error. Subscriptions are
// restored on every new session. Patterns ending in /* or /** are allowed.
// Subscribing to a channel already subscribed does nothing.
func (c *Client) Subscribe(ctx context.Context, channels ...string) error {
	for _, ch := range channels {
		if err := checkChannel(ch, true); err != nil {
			return fmt.Errorf("bayeux: subscribe: %w", err)
		}
	}
	if !c.enter() {
		return ErrClosed
	}
	defer c.wg.Done()
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	for {
		s, err := c.readySession(ctx)
		if err != nil {
			return fmt.Errorf("bayeux: subscribe %v: %w", channels, err)
		}
		retry, err := c.subscribeOn(ctx, s, channels)
		if !retry {
			return err
		}
	}
}

// subscribeOn subscribes on session s. retry says the session was lost on
// the way: the channels are kept and will be restored on the next one.
func (c *Client) subscribeOn(ctx context.Context, s *session, channels []string) (retry bool, err error) {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if !c.current(s) {
		return true, nil
	}
	c.mu.Lock()
	var fresh []string
	for _, ch := range channels {
		if !slices.Contains(c.subs, ch) && !slices.Contains(fresh, ch) {
			fresh = append(fresh, ch)
		}
	}
	c.subs = append(c.subs, fresh...)
	c.mu.Unlock()
	if len(fresh) == 0 {
		return false, nil
	}
	refused, lost, err := c.subscribeAll(ctx, s, fresh)
	if err != nil {
		c.forget(fresh)
		return false, fmt.Errorf("bayeux: subscribe %v: %w", fresh, err)
	}
	if lost {
		return true, nil
	}
	var errs []error
	for ch, e := range refused {
		c.forget([]string{ch})
		errs = append(errs, e)
	}
	return false, errors.Join(errs...)
}

// forget drops channels from the wanted subscriptions.
func (c *Client) forget(channels []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subs = slices.DeleteFunc(c.subs, func(ch string) bool { return slices.Contains(channels, ch) })
}

// subscribeAll sends one /meta/subscribe per channel, together. It returns
// the channels the server refused, whether it no longer knows the session,
// and an error if the request itself failed.
func (c *Client) subscribeAll(ctx context.Context, s *session, channels []string) (refused map[string]error, lost bool, err error) {
	msgs := make([]*message, len(channels))
	for i, ch := range channels {
		msgs[i] = c.newMessage(chSubscribe, s)
		msgs[i].Subscription = subscription{ch}
	}
	replies, err := s.carrier.exchange(ctx, msgs, c.cfg.MaxNetworkDelay, false)
	if err != nil {
		return nil, false, err
	}
	for i, m := range msgs {
		r := replies[m.ID]
		switch {
		case r == nil:
			return nil, false, fmt.Errorf("no reply to the subscription to %s", channels[i])
		case r.ok():
		case unknownSession(r.Error):
			return nil, true, nil
		default:
			if refused == nil {
				refused = map[string]error{}
			}
			refused[channels[i]] = replyError(r, channels[i])
		}
	}
	return refused, false, nil
}

// Unsubscribe removes subscriptions: they are not restored on later
// sessions, and if a session is live the server is told now (its error, if
// any, is returned). Messages already on their way may still arrive.
func (c *Client) Unsubscribe(ctx context.Context, channels ...string) error {
	for _, ch := range channels {
		if err := checkChannel(ch, true); err != nil {
			return fmt.Errorf("bayeux: unsubscribe: %w", err)
		}
	}
	if !c.enter() {
		return ErrClosed
	}
	defer c.wg.Done()
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	c.subMu.Lock()
	defer c.subMu.Unlock()
	c.mu.Lock()
	var gone []string
	for _, ch := range channels {
		if slices.Contains(c.subs, ch) && !slices.Contains(gone, ch) {
			gone = append(gone, ch)
		}
	}
	s := c.sess
	c.mu.Unlock()
	c.forget(gone)
	if len(gone) == 0 || s == nil || !c.isReady(s) {
		return nil
	}
	msgs := make([]*message, len(gone))
	for i, ch := range gone {
		msgs[i] = c.newMessage(chUnsubscribe, s)
		msgs[i].Subscription = subscription{ch}
	}
	replies, err := s.carrier.exchange(ctx, msgs, c.cfg.MaxNetworkDelay, false)
	if err != nil {
		return fmt.Errorf("bayeux: unsubscribe %v: %w", gone, err)
	}
	var errs []error
	for i, m := range msgs {
		r := replies[m.ID]
		switch {
		case r == nil:
			errs = append(errs, fmt.Errorf("bayeux: no reply to the unsubscription from %s", gone[i]))
		case !r.ok() && !unknownSession(r.Error):
			errs = append(errs, replyError(r, gone[i]))
		}
	}
	return errors.Join(errs...)
}

func (c *Client) isReady(s *session) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return s.ready
}

// Publish sends data (anything encoding/json marshals; json.RawMessage is
// sent as is) on channel, once connected (it waits for that, within ctx),
// and returns the server's answer.
func (c *Client) Publish(ctx context.Context, channel string, data any) error {
	if err := checkChannel(channel, false); err != nil {
		return fmt.Errorf("bayeux: publish: %w", err)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("bayeux: publish to %s: %w", channel, err)
	}
	if !c.enter() {
		return ErrClosed
	}
	defer c.wg.Done()
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	s, err := c.readySession(ctx)
	if err != nil {
		return fmt.Errorf("bayeux: publish to %s: %w", channel, err)
	}
	m := c.newMessage(channel, s)
	m.Data = raw
	replies, err := s.carrier.exchange(ctx, []*message{m}, c.cfg.MaxNetworkDelay, false)
	if err != nil {
		return fmt.Errorf("bayeux: publish to %s: %w", channel, err)
	}
	r := replies[m.ID]
	switch {
	case r == nil:
		return fmt.Errorf("bayeux: publish to %s: no reply", channel)
	case !r.ok():
		return fmt.Errorf("bayeux: publish: %w", replyError(r, ""))
	}
	return nil
}

// Close ends the client: it stops reconnecting, tells the server it leaves
// (/meta/disconnect, within ctx and MaxNetworkDelay), closes its
// connections and waits for every goroutine it started. Events is closed
// when it returns; events not yet received are dropped. The error is about
// the disconnect only: the client is closed either way. Calling Close again
// returns the first result.
func (c *Client) Close(ctx context.Context) error {
	c.closing.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.broadcastLocked()
		c.mu.Unlock()
		c.cancel()
		<-c.runDone
		c.mu.Lock()
		s := c.sess
		c.sess = nil
		c.mu.Unlock()
		if s != nil {
			c.closeErr = c.disconnect(ctx, s)
			s.carrier.close()
		}
		c.wg.Wait()
		c.q.stop()
		c.pollTr.CloseIdleConnections()
		c.reqTr.CloseIdleConnections()
	})
	return c.closeErr
}

// disconnect tells the server the session ends.
func (c *Client) disconnect(ctx context.Context, s *session) error {
	m := c.newMessage(chDisconnect, s)
	replies, err := s.carrier.exchange(ctx, []*message{m}, c.cfg.MaxNetworkDelay, false)
	if err != nil {
		return fmt.Errorf("bayeux: disconnect: %w", err)
	}
	if r := replies[m.ID]; r != nil && !r.ok() && !unknownSession(r.Error) {
		return fmt.Errorf("bayeux: disconnect: %w", replyError(r, ""))
	}
	return nil
}
