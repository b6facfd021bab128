package bayeux

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// errClosing ends the loop when Close has started.
var errClosing = errors.New("closing")

// stopError carries the reason the server gave for stopping the client.
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }
func (e *stopError) Unwrap() error { return e.err }

// lostConnectError is a held connect the server did not answer within its
// timeout plus the grace: the connection is taken as lost.
type lostConnectError struct {
	hold, grace time.Duration
	err         error
}

func (e *lostConnectError) Error() string {
	return fmt.Sprintf("/meta/connect not answered within the server's timeout (%s) plus %s grace: connection lost", e.hold, e.grace)
}

func (e *lostConnectError) Unwrap() error { return e.err }

// run is the client's one long-lived goroutine: handshake, restore the
// subscriptions, keep exactly one /meta/connect outstanding, and start over
// when the session is lost, until Close or the server says stop.
func (c *Client) run() {
	defer close(c.runDone)
	bo := newBackoff(c.cfg)
	adv := newAdvice(c.cfg, c.log)
	why := ""
	for {
		s, err := c.establish(&adv, bo, why)
		if err == nil {
			why, err = c.poll(s, &adv, bo)
			if err == nil {
				c.abandon(s)
				continue
			}
		}
		if errors.Is(err, errClosing) {
			return // Close takes over the session, if any
		}
		c.stop(err)
		return
	}
}

// abandon drops a session the server no longer knows.
func (c *Client) abandon(s *session) {
	if c.current(s) {
		c.setSession(nil)
	}
	s.carrier.close()
}

// stop ends the client for a reason the server gave.
func (c *Client) stop(err error) {
	c.mu.Lock()
	s := c.sess
	c.sess = nil
	c.stopErr = err
	c.broadcastLocked()
	c.mu.Unlock()
	if s != nil {
		s.carrier.close()
	}
	c.setState(Stopped, err.Error(), err)
	c.q.finish()
}

// establish gets a session ready: handshake, first connect, subscriptions.
// It retries (with back-off) until that works, the server says stop, or
// the client closes. why is the reason for a new session, "" for the first.
func (c *Client) establish(adv *advice, bo *backoff, why string) (*session, error) {
	if why == "" {
		c.setState(Connecting, "", nil)
	} else {
		c.setState(Reconnecting, why, nil)
	}
	var wait time.Duration
	for {
		if !c.sleep(wait) {
			return nil, errClosing
		}
		s, err := c.try(adv)
		if err == nil {
			c.ready(s, why)
			return s, nil
		}
		if c.ctx.Err() != nil {
			return nil, errClosing // Close disconnects the session, if any
		}
		var stop *stopError
		if errors.As(err, &stop) {
			return nil, stop.err
		}
		if s != nil {
			c.abandon(s)
		}
		state := Reconnecting
		if why == "" {
			state = Connecting
		}
		c.setState(state, err.Error(), err)
		wait = max(adv.interval, 0) + bo.next()
		c.log.Debug("will try again", "in", wait, "err", err)
	}
}

// try is one attempt at a ready session. A session that was handed out is
// returned with the error, so that it can be dropped (or, on Close,
// disconnected).
func (c *Client) try(adv *advice) (*session, error) {
	s, err := c.handshake(adv)
	if err != nil {
		return nil, err
	}
	// The first connect returns at once (timeout 0); the server replies
	// with its advice and, on long-polling, binds the session to it.
	m := c.connectMessage(s)
	zero := 0.0
	m.Advice = &wireAdvice{Timeout: &zero}
	replies, err := s.carrier.exchange(c.ctx, []*message{m}, c.cfg.MaxNetworkDelay, true)
	if err != nil {
		return s, err
	}
	r := replies[m.ID]
	if r == nil {
		return s, errors.New("/meta/connect: no reply")
	}
	adv.merge(r.Advice)
	switch decide(r) {
	case actStop:
		return s, &stopError{err: replyError(r, "")}
	case actRetry, actHandshake:
		return s, replyError(r, "")
	}
	if err := c.restore(s); err != nil {
		return s, err
	}
	return s, nil
}

// supportedTypes is what the handshake offers.
func (c *Client) supportedTypes() []string {
	switch c.cfg.Transport {
	case LongPolling:
		return []string{string(LongPolling)}
	case WebSocket:
		return []string{string(WebSocket)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.noWebSocket {
		return []string{string(LongPolling)}
	}
	return []string{string(WebSocket), string(LongPolling)}
}

// handshake asks for a new session (always over HTTP, alone in its
// request) and picks its transport.
func (c *Client) handshake(adv *advice) (*session, error) {
	offer := c.supportedTypes()
	m := c.newMessage(chHandshake, nil)
	m.Version = "1.0"
	m.MinimumVersion = "1.0"
	m.SupportedConnectionTypes = offer
	replies, err := c.post(c.ctx, c.reqHTTP, []*message{m}, c.cfg.MaxNetworkDelay, nil)
	if err != nil {
		return nil, err
	}
	r := replies[m.ID]
	if r == nil {
		return nil, errors.New("/meta/handshake: no reply")
	}
	adv.merge(r.Advice)
	switch decide(r) {
	case actStop:
		return nil, &stopError{err: replyError(r, "")}
	case actRetry, actHandshake:
		return nil, replyError(r, "")
	}
	if r.ClientID == "" {
		return nil, errors.New("/meta/handshake: the reply has no clientId")
	}
	offered := r.SupportedConnectionTypes
	if len(offered) == 0 {
		offered = []string{string(LongPolling)} // the one every server has
	}
	var pick Transport
	for _, t := range offer {
		if slices.Contains(offered, t) {
			pick = Transport(t)
			break
		}
	}
	if pick == "" {
		return nil, &stopError{err: fmt.Errorf("the server offers %v, none of %v", offered, offer)}
	}
	s := &session{clientID: r.ClientID}
	if pick == WebSocket {
		ws := newWSCarrier(c, s)
		if err := ws.dial(c.ctx); err != nil {
			if c.cfg.Transport == WebSocket || c.ctx.Err() != nil {
				return nil, err
			}
			c.log.Warn("websocket failed; using long-polling", "err", err)
			c.mu.Lock()
			c.noWebSocket = true
			c.mu.Unlock()
			pick = LongPolling
		} else {
			s.carrier = ws
		}
	}
	if pick == LongPolling {
		s.carrier = &httpCarrier{c: c, s: s}
	}
	c.setSession(s)
	c.log.Debug("handshake done", "clientId", s.clientID, "transport", pick)
	return s, nil
}

// connectMessage is the next /meta/connect of session s.
func (c *Client) connectMessage(s *session) *message {
	m := c.newMessage(chConnect, s)
	m.ConnectionType = string(s.carrier.transport())
	return m
}

// restore subscribes the new session to every wanted channel. Channels the
// server refuses are dropped and reported.
func (c *Client) restore(s *session) error {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	c.mu.Lock()
	chans := slices.Clone(c.subs)
	c.mu.Unlock()
	if len(chans) > 0 {
		refused, lost, err := c.subscribeAll(c.ctx, s, chans)
		if err != nil {
			return err
		}
		if lost {
			return errors.New("/meta/subscribe: the server lost the session at once")
		}
		for _, ch := range chans {
			if e, ok := refused[ch]; ok {
				c.forget([]string{ch})
				c.q.add(Event{Kind: KindSubscribeFailed, Channel: ch, Reason: e.Error(), Err: e})
				c.log.Warn("subscription refused", "channel", ch, "err", e)
			}
		}
	}
	c.mu.Lock()
	s.ready = true
	c.broadcastLocked()
	c.mu.Unlock()
	return nil
}

// ready reports a session that is ready: live, and the consumer should
// read the state afresh.
func (c *Client) ready(s *session, why string) {
	c.mu.Lock()
	c.pendingLoss = "" // the resync below covers it
	c.mu.Unlock()
	reason := "first session: subscriptions in place"
	if why != "" {
		reason = "new session after: " + why + "; messages in between are lost"
	}
	// Resync before Live: a consumer starts reading afresh before it hears
	// the connection is back, so it never shows a stale view as live.
	c.q.add(Event{Kind: KindResync, Reason: reason, ClientID: s.clientID})
	c.setState(Live, "", nil)
}

// poll is the connect loop of a ready session: one /meta/connect at a
// time, alone in its request, on the long-poll connection. It returns why a
// new session is needed, or an error to stop with (errClosing on Close).
func (c *Client) poll(s *session, adv *advice, bo *backoff) (string, error) {
	wait := max(adv.interval, 0)
	var since time.Time // when the connection was lost; zero while connected
	warnedShared := false
	progressed := false // a connect of this loop succeeded
	// renew asks for a new session. One the server lost at once (its
	// first held connect refused, nothing failing before) waits its
	// back-off first, so that a server that keeps losing sessions right
	// away is not hammered.
	renew := func(why string) (string, error) {
		if !progressed && since.IsZero() && !c.sleep(bo.next()) {
			return "", errClosing
		}
		return why, nil
	}
	for {
		if s.ended.Load() {
			return renew("the server ended the session")
		}
		if !c.sleep(wait) {
			return "", errClosing
		}
		m := c.connectMessage(s)
		hold := adv.hold()
		if !since.IsZero() {
			// Back after a failure: ask for an immediate answer, so that
			// the consumer learns the link is live now, not a hold later.
			zero := 0.0
			m.Advice = &wireAdvice{Timeout: &zero}
		} else if t, ok := adv.ask(); ok {
			ms := float64(t.Milliseconds())
			m.Advice = &wireAdvice{Timeout: &ms}
		}
		// A connect not answered within the hold plus the grace is a lost
		// connection, whatever else arrives meanwhile.
		replies, err := s.carrier.exchange(c.ctx, []*message{m}, hold+c.cfg.MaxNetworkDelay, true)
		if c.ctx.Err() != nil {
			return "", errClosing
		}
		var r *message
		if err == nil {
			if r = replies[m.ID]; r == nil {
				err = errors.New("/meta/connect: no reply")
			}
		}
		if err != nil {
			var late *lateError
			if errors.As(err, &late) {
				err = &lostConnectError{hold: hold, grace: c.cfg.MaxNetworkDelay, err: err}
			}
			now := time.Now()
			if since.IsZero() {
				since = now
			}
			// Past the server's expiry its session is surely gone.
			if adv.maxInterval > 0 && now.Sub(since)+bo.cur > adv.timeout+max(adv.interval, 0)+adv.maxInterval {
				return fmt.Sprintf("no connection for %s: %v", now.Sub(since).Round(time.Second), err), nil
			}
			c.setState(Reconnecting, err.Error(), err)
			wait = max(adv.interval, 0) + bo.next()
			continue
		}
		oneOff, hasOneOff := adv.merge(r.Advice)
		switch decide(r) {
		case actStop:
			return "", replyError(r, "")
		case actHandshake:
			why := "the server no longer knows the session"
			if r.Error != "" {
				why += " (" + r.Error + ")"
			}
			return renew(why)
		case actRetry:
			if since.IsZero() {
				since = time.Now()
			}
			e := replyError(r, "")
			c.setState(Reconnecting, e.Error(), e)
			wait = max(adv.interval, 0) + bo.next()
		case actContinue:
			progressed = true
			since = time.Time{}
			bo.reset()
			// A loss comes before Live, as a new session's resync does:
			// the consumer reads afresh before it hears the link is back.
			c.flushLoss()
			c.setState(Live, "", nil)
			wait = max(adv.interval, 0)
		}
		if hasOneOff {
			wait = max(oneOff, wait)
			if !warnedShared {
				warnedShared = true
				c.log.Warn("the server sees several sessions behind one browser cookie and slows this one down; use one client per cookie jar", "interval", oneOff)
			}
		}
	}
}
