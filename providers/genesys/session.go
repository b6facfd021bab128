package genesys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ringside/providers"
)

// Bounds of the running session.
const (
	// noticeBuffer is how many feed notices may wait for the loop.
	noticeBuffer = 1024
	// maxBuffered is how many call messages are held while the call list
	// is being read; beyond it they are dropped and the list read again
	// (the new read is newer than anything dropped).
	maxBuffered = 10000
	// feedStopWait bounds the wait for the notification session to
	// disconnect at quit.
	feedStopWait = 10 * time.Second
	// logoutWait bounds EndContactCenterSession at quit.
	logoutWait = 5 * time.Second
)

// session is one Run: the loop that owns the view of GWS (calls, devices,
// status) and the pending operations it settles. Everything below the
// "loop-owned" line is touched only by the loop goroutine.
type session struct {
	p       *Provider
	sink    providers.Sink
	log     *slog.Logger
	waiters waiters

	inbox    chan rereadResult // re-read calls, from actions and the loop's own checks
	synced   chan syncResult   // call list reads
	rechecks chan *recheckReq  // Recheck's calls (recheck.go)
	done     chan struct{}     // closed when the loop has ended
	wg       sync.WaitGroup    // background reads
	// rechecksWaiting counts the Rechecks held until the first call list
	// is in, for the log and the tests.
	rechecksWaiting atomic.Int32

	// loop-owned
	ctx           context.Context // the Run's context
	jobs          context.Context // background reads; cancelled at quit
	feedLink      providers.Link
	feedDetail    string
	syncing       bool  // a list read is under way; call and device messages are held
	everSynced    bool  // the call list has been read at least once
	syncGen       int   // which read is current
	syncErr       error // why the last read failed
	retry         *time.Timer
	retryDelay    time.Duration
	buffered      []held
	devices       map[string]wireDevice
	agentDNs      map[string]bool
	agent         string
	agentName     string
	userKnown     bool
	loginInFlight bool
	loggedIn      bool
	sent          providers.Status
	sentAny       bool
	// gwsError is the last error GWS reported, in words; the status
	// detail carries it until gwsErrorEnd fires.
	gwsError    string
	gwsErrorEnd *time.Timer
	// deviceErrs are devices GWS reported failing; the header warns of
	// them until a device message shows them again.
	deviceErrs []deviceErr
	// heldRechecks wait for the first call list (recheck.go).
	heldRechecks []*recheckReq
}

// deviceErr is a device GWS reported failing.
type deviceErr struct {
	key   string // the device's id or number as the report named it ("" if it did not)
	words string
}

// maxDeviceErrs bounds the device failures the header lists; the oldest
// give way.
const maxDeviceErrs = 4

// held is a call or device message, or a re-read, held while the lists
// are read.
type held struct {
	note      *callNote
	device    *deviceNote
	deviceErr *errorNote
	reread    *rereadResult
}

// rereadResult is one call read again by id.
type rereadResult struct {
	id       string
	call     wireCall
	notFound bool
	err      error
	reply    chan providers.Call // gets the call as recorded after applying; may be nil
}

// syncResult is the outcome of reading the call list.
type syncResult struct {
	gen            int
	user           *meUser
	loginAttempted bool
	loginErr       error
	snap           snapshot
	err            error
	devices        []wireDevice
	devErr         error
}

func newSession(p *Provider, sink providers.Sink) *session {
	return &session{
		p:        p,
		sink:     sink,
		log:      p.opts.Log,
		inbox:    make(chan rereadResult),
		synced:   make(chan syncResult),
		rechecks: make(chan *recheckReq),
		done:     make(chan struct{}),
		devices:  make(map[string]wireDevice),
		agentDNs: make(map[string]bool),
	}
}

// loop is Run.
func (s *session) loop(ctx context.Context) (runErr error) {
	defer close(s.done)
	// Background reads outlive ctx until the loop has finished quitting:
	// a login under way at quit must be seen through to log out again.
	jobs, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		stopJobs()
		s.wg.Wait()
	}()
	s.ctx, s.jobs = ctx, jobs
	s.feedLink, s.feedDetail = providers.LinkConnecting, "connecting to GWS at "+s.p.s.base.Host
	s.publishStatus()

	// Check the credentials before anything else: a wrong password is
	// better said at once than retried.
	var user meUser
	switch err := s.p.rest.me(ctx, &user); {
	case err == nil:
		s.learnUser(&user)
	case ctx.Err() != nil:
		return nil
	case permanent(err):
		return s.fail(fmt.Errorf("genesys: %w", err))
	default:
		s.log.Warn("GWS is not answering yet; notifications will keep trying", "error", err)
	}

	notices := make(chan notice, noticeBuffer)
	feedCtx, stopFeed := context.WithCancel(ctx)
	defer stopFeed()
	feedDone := make(chan error, 1)
	f := s.p.newFeed()
	go func() { feedDone <- f.run(feedCtx, notices) }()
	feedEnded := false

run:
	for {
		var retryC, errorEndC <-chan time.Time
		if s.retry != nil {
			retryC = s.retry.C
		}
		if s.gwsErrorEnd != nil {
			errorEndC = s.gwsErrorEnd.C
		}
		select {
		case <-ctx.Done():
			break run
		case n := <-notices:
			s.handleNotice(n)
		case r := <-s.synced:
			if runErr = s.handleSync(r); runErr != nil {
				break run
			}
		case r := <-s.inbox:
			s.handleReread(r)
		case r := <-s.rechecks:
			s.handleRecheck(r)
		case <-retryC:
			s.retry = nil
			s.startSync()
		case <-errorEndC:
			s.gwsErrorEnd, s.gwsError = nil, ""
			s.publishStatus()
		case err := <-feedDone:
			feedEnded = true
			if ctx.Err() != nil {
				break run
			}
			if err == nil {
				err = errors.New("the notification session ended")
			}
			runErr = fmt.Errorf("genesys notifications: %w", err)
			break run
		}
	}
	if s.retry != nil {
		s.retry.Stop()
	}
	if s.gwsErrorEnd != nil {
		s.gwsErrorEnd.Stop()
	}
	stopFeed()
	if !feedEnded {
		s.awaitFeed(feedDone, notices)
	}
	s.awaitLogin()
	// GWS ends the HTTP session on logout, so it comes after the CometD
	// disconnect.
	if s.loggedIn {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logoutWait)
		if err := s.p.rest.endSession(lctx); err != nil {
			s.log.Warn("agent logout failed", "error", err)
		} else {
			s.log.Info("agent logged out")
		}
		cancel()
	}
	if runErr != nil {
		return s.fail(runErr)
	}
	return nil
}

// awaitLogin lets a login under way at quit finish (bounded), so that an
// agent it logged in is logged out again.
func (s *session) awaitLogin() {
	if !s.loginInFlight {
		return
	}
	t := time.NewTimer(logoutWait)
	defer t.Stop()
	for s.loginInFlight {
		select {
		case r := <-s.synced:
			if r.loginAttempted {
				s.loginInFlight = false
				s.loggedIn = r.loginErr == nil
			}
		case <-t.C:
			s.log.Warn("the agent login was still under way at quit; the agent may stay logged in")
			return
		}
	}
}

// awaitFeed waits (bounded) for the notification session to disconnect,
// draining what it still sends.
func (s *session) awaitFeed(feedDone <-chan error, notices <-chan notice) {
	t := time.NewTimer(feedStopWait)
	defer t.Stop()
	for {
		select {
		case <-feedDone:
			return
		case <-notices:
		case <-t.C:
			s.log.Warn("the notification session did not stop in time")
			return
		}
	}
}

// permanent reports whether err will not go away by trying again: GWS
// refused the credentials or answered with a statusCode.
func permanent(err error) bool {
	var auth *AuthError
	var status *StatusError
	return errors.As(err, &auth) || errors.As(err, &status)
}

// fail sends a failed status saying why and returns err. It is sent even
// when the Run's context has ended, if the console still takes it at once.
func (s *session) fail(err error) error {
	st := s.sent
	st.Link, st.Detail, st.Warning = providers.LinkFailed, err.Error(), s.warning()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), time.Second)
	defer cancel()
	if s.ctx.Err() == nil {
		ctx = s.ctx
	}
	providers.Emit(ctx, s.sink, providers.StatusEvent(s.p.opts.Now(), st))
	return err
}

func (s *session) learnUser(u *meUser) {
	s.userKnown = true
	s.agentName = strings.TrimSpace(u.FirstName + " " + u.LastName)
	if s.agentName == "" {
		s.agentName = u.UserName
	}
}

// handleNotice applies one notice from the feed.
func (s *session) handleNotice(n notice) {
	switch n.kind {
	case noticeLink:
		s.feedLink, s.feedDetail = n.link, n.detail
		s.publishStatus()
	case noticeResync:
		s.log.Info("reading the calls afresh", "why", n.detail)
		s.startSync()
	case noticeMessage:
		decode := decodeNotification
		if n.checked {
			decode = decodeCheckedNotification
		}
		note, err := decode(n.channel, n.data)
		switch {
		case err != nil:
			s.log.Warn("ignoring a GWS notification that cannot be read", "error", err)
		case note.Call != nil:
			if s.syncing {
				s.hold(held{note: note.Call})
			} else {
				s.applyNote(note.Call)
			}
		case note.Device != nil:
			// The device list on its way may be older than this message.
			if s.syncing {
				s.hold(held{device: note.Device})
			} else {
				s.applyDevices(note.Device.Devices, false)
			}
		case note.Error != nil:
			s.handleError(n.channel, note.Error)
		}
	}
}

// handleError shows an ErrorMessage: in the log, in the status detail for a
// while, to the action waiting on the call it names, and, for a device, in
// the header until the device reports a state again.
func (s *session) handleError(channel string, e *errorNote) {
	s.log.Warn("GWS reported an error", "channel", channel, "code", e.Code, "message", e.Message, "call", e.CallID, "device", e.Device)
	words := s.errorWords(e)
	if e.CallID != "" {
		s.waiters.fail(e.CallID, e.refusal())
	}
	s.gwsError = words
	if s.gwsErrorEnd != nil {
		s.gwsErrorEnd.Stop()
	}
	s.gwsErrorEnd = time.NewTimer(s.p.errorShowFor)
	if channel == channelDevices && e.CallID == "" {
		// Like device messages, a device's failure is held while the
		// lists are read: the device list on its way may be older.
		if s.syncing {
			s.hold(held{deviceErr: e})
		} else {
			s.addDeviceError(e)
		}
	}
	s.publishStatus()
}

// errorWords says what an ErrorMessage reported, naming the call, or the
// device by its number where the console knows it.
func (s *session) errorWords(e *errorNote) string {
	var b strings.Builder
	b.WriteString("GWS reported an error")
	switch {
	case e.CallID != "":
		b.WriteString(" on call " + e.CallID)
	case e.Device != "":
		name := e.Device
		if d, ok := s.devices[e.Device]; ok && d.PhoneNumber != "" {
			name = d.PhoneNumber
		}
		b.WriteString(" on device " + name)
	}
	b.WriteString(": ")
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString("no reason given")
	}
	if e.Code != "" {
		b.WriteString(" (errorCode " + e.Code + ")")
	}
	return b.String()
}

// addDeviceError records a device GWS reported failing, replacing an
// earlier report for the same device.
func (s *session) addDeviceError(e *errorNote) {
	s.deviceErrs = slices.DeleteFunc(s.deviceErrs, func(d deviceErr) bool { return d.key == e.Device })
	s.deviceErrs = append(s.deviceErrs, deviceErr{key: e.Device, words: s.errorWords(e)})
	if n := len(s.deviceErrs); n > maxDeviceErrs {
		s.deviceErrs = slices.Delete(s.deviceErrs, 0, n-maxDeviceErrs)
	}
}

// clearDeviceErrors forgets the failures of the devices a device message
// shows again (all of them when replace is set), and any failure that did
// not say which device failed.
func (s *session) clearDeviceErrors(devices []wireDevice, replace bool) {
	if replace {
		s.deviceErrs = nil
		return
	}
	s.deviceErrs = slices.DeleteFunc(s.deviceErrs, func(e deviceErr) bool {
		if e.key == "" {
			return true
		}
		for _, d := range devices {
			if e.key == d.ID || e.key == d.PhoneNumber {
				return true
			}
		}
		return false
	})
}

// warning is the standing caution for the header: the configuration's, and
// devices GWS reported failing.
func (s *session) warning() string {
	parts := make([]string, 0, 1+len(s.deviceErrs))
	if s.p.s.warning != "" {
		parts = append(parts, s.p.s.warning)
	}
	for _, e := range s.deviceErrs {
		parts = append(parts, e.words)
	}
	return strings.Join(parts, "; ")
}

// hold keeps a message (or re-read) until the lists have been read.
func (s *session) hold(h held) {
	s.buffered = append(s.buffered, h)
	if len(s.buffered) <= maxBuffered {
		return
	}
	s.log.Warn("too many notifications while reading the calls; reading them again", "held", len(s.buffered))
	// Re-reads carry a caller waiting for the answer: keep those.
	kept := s.buffered[:0]
	for _, h := range s.buffered {
		if h.reread != nil {
			kept = append(kept, h)
		}
	}
	clear(s.buffered[len(kept):])
	s.buffered = kept
	s.startSync()
}

// startSync reads the call and device lists (and, the first time, logs the
// agent in). Call and device messages are held until they are applied; a
// newer read supersedes an older one still under way.
func (s *session) startSync() {
	if s.retry != nil {
		s.retry.Stop()
		s.retry = nil
	}
	s.syncGen++
	s.syncing = true
	s.publishStatus()
	r := syncResult{gen: s.syncGen}
	needUser := !s.userKnown
	login := s.p.s.login && !s.loggedIn && !s.loginInFlight
	if login {
		s.loginInFlight = true
	}
	rest, jobs, place := s.p.rest, s.jobs, s.p.s.place
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if needUser {
			var u meUser
			if err := rest.me(jobs, &u); err == nil {
				r.user = &u
			}
		}
		if login {
			r.loginAttempted = true
			r.loginErr = rest.startSession(jobs, place)
		}
		if r.loginErr == nil {
			r.snap, r.err = rest.calls(jobs)
			if r.err == nil {
				r.devices, r.devErr = rest.devices(jobs)
			}
		}
		select {
		case s.synced <- r:
		case <-jobs.Done():
		}
	}()
}

// handleSync applies a finished read of the call list. It returns an error
// only when the session cannot go on (the agent login was refused, the
// credentials stopped working).
func (s *session) handleSync(r syncResult) error {
	if r.user != nil && !s.userKnown {
		s.learnUser(r.user)
	}
	if r.loginAttempted {
		s.loginInFlight = false
		switch {
		case r.loginErr == nil:
			s.loggedIn = true
			s.log.Info("agent logged in", "place", s.p.s.place)
		case permanent(r.loginErr):
			return r.loginErr
		case r.gen != s.syncGen:
			// The newer read that superseded this one does not log in
			// (this one was under way): read again, logging in.
			s.log.Warn("agent login failed; trying again", "error", r.loginErr)
			s.startSync()
			return nil
		}
	}
	if r.gen != s.syncGen {
		return nil // superseded by a newer read
	}
	err := r.loginErr
	if err == nil {
		err = r.err
	}
	if err != nil {
		var auth *AuthError
		if errors.As(err, &auth) {
			return err
		}
		s.syncErr = err
		s.retryDelay = min(max(2*s.retryDelay, s.p.retryMin), s.p.retryMax)
		s.retry = time.NewTimer(s.retryDelay)
		s.log.Warn("reading the calls failed; trying again", "error", err, "in", s.retryDelay)
		s.publishStatus()
		return nil
	}
	s.syncErr, s.retryDelay = nil, 0
	// Devices first: they name the agent's own numbers, which tell a
	// queue from a direct call in the list.
	switch {
	case r.devErr != nil:
		s.log.Warn("could not read the agent's devices; agent state shows with the next change", "error", r.devErr)
	default:
		s.applyDevices(r.devices, true)
	}
	s.applySnapshot(r.snap)
	s.releaseRechecks()
	s.publishStatus()
	return nil
}

// applySnapshot makes the calls match GWS's list, then applies the messages
// held while it was read, in order. Calls absent from the list end, except
// those a held message mentions: for them the list and the message
// disagree about which is newer, so they are read once more by id.
func (s *session) applySnapshot(snap snapshot) {
	for _, err := range snap.Problems {
		s.log.Warn("GWS listed a call that cannot be read", "error", err)
	}
	present := make(map[string]bool, len(snap.Calls)+len(snap.Unreadable))
	for _, w := range snap.Calls {
		present[w.ID] = true
	}
	for _, id := range snap.Unreadable {
		present[id] = true
	}
	mentioned := make(map[string]bool)
	for _, h := range s.buffered {
		switch {
		case h.note != nil:
			mentioned[h.note.Call.ID] = true
		case h.reread != nil:
			mentioned[h.reread.id] = true
		}
	}
	for i := range snap.Calls {
		s.applyCall(&snap.Calls[i], "", "")
	}
	var doubtful []string
	for _, c := range s.p.ledger.Live() {
		switch {
		case present[c.ID]:
		case mentioned[c.ID]:
			doubtful = append(doubtful, c.ID)
		default:
			s.endGone(c.ID, endAbsent)
		}
	}
	held := s.buffered
	s.buffered = nil
	s.syncing, s.everSynced = false, true
	for _, h := range held {
		switch {
		case h.note != nil:
			s.applyNote(h.note)
		case h.device != nil:
			s.applyDevices(h.device.Devices, false)
		case h.deviceErr != nil:
			s.addDeviceError(h.deviceErr)
			s.publishStatus()
		case h.reread != nil:
			s.applyReread(*h.reread)
		}
	}
	slices.Sort(doubtful)
	for _, id := range doubtful {
		if c, ok := s.p.ledger.Get(id); ok && c.State.Live() {
			s.rereadInBackground(id)
		}
	}
}

// rereadInBackground reads one call by id and hands it to the loop.
func (s *session) rereadInBackground(id string) {
	rest, jobs := s.p.rest, s.jobs
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		r := rereadResult{id: id}
		r.call, r.err = rest.call(jobs, id)
		if errors.Is(r.err, providers.ErrNotFound) {
			r.notFound, r.err = true, nil
		}
		select {
		case s.inbox <- r:
		case <-jobs.Done():
		}
	}()
}

// handleReread applies a re-read call, or holds it during a list read.
func (s *session) handleReread(r rereadResult) {
	if s.syncing {
		s.hold(held{reread: &r})
		return
	}
	s.applyReread(r)
}

func (s *session) applyReread(r rereadResult) {
	switch {
	case r.err != nil:
		s.log.Warn("re-reading a call failed", "call", r.id, "error", r.err)
	case r.notFound:
		if c, ok := s.p.ledger.Get(r.id); ok && c.State.Live() {
			s.endGone(r.id, endUnknownToGWS)
		} else {
			s.waiters.judge(r.id, gwsReleased, "")
		}
	default:
		s.applyCall(&r.call, "", "")
	}
	if r.reply != nil {
		c, _ := s.p.ledger.Get(r.id)
		r.reply <- c
	}
}

// applyNote applies a CallStateChangeMessage: whatever its
// notificationType, data.call is the call's full new state.
func (s *session) applyNote(n *callNote) {
	if n.PhoneNumber != "" {
		s.agentDNs[n.PhoneNumber] = true
	}
	s.applyCall(&n.Call, n.PhoneNumber, n.Type)
}

// applyCall records GWS's view of a call, tells the console if it changed
// and settles pending operations it decides.
func (s *session) applyCall(w *wireCall, phoneNumber, noteType string) {
	if w.NoAnswerProblem != "" {
		s.log.Warn("ignoring the switch's ring timeout; the answer window applies", "call", w.ID, "why", w.NoAnswerProblem)
	} else if w.NoAnswer > 0 && w.State == gwsRinging {
		s.log.Debug("the switch times the ring", "call", w.ID, "timeout", w.NoAnswer, "action", w.NoAnswerAction)
	}
	if _, known := noAnswerAction(w.NoAnswerAction); !known && w.NoAnswerAction != "" {
		s.log.Debug("unknown no-answer action; taken as none", "call", w.ID, "action", w.NoAnswerAction)
	}
	fc := s.foldContext(w.ID, phoneNumber)
	_, known := s.p.ledger.Get(w.ID)
	c, changed := s.p.ledger.Update(w.ID, func(c *providers.Call) { fold(c, w, fc) })
	// A call first heard of as released was never shown; the ledger
	// remembers it (so a late message cannot bring it back) but the console
	// need not see it.
	if changed && (known || c.State != providers.StateEnded) {
		s.emit(c)
	}
	s.waiters.judge(w.ID, w.State, noteType)
	// A new call beyond --max-calls ends the one silent longest.
	for _, gone := range s.p.ledger.Evicted() {
		s.emit(gone)
	}
}

// endGone ends a call GWS no longer has, for the reason given.
func (s *session) endGone(id, why string) {
	fc := s.foldContext(id, "")
	fc.gone = why
	released := wireCall{ID: id, State: gwsReleased}
	if c, changed := s.p.ledger.Update(id, func(c *providers.Call) { fold(c, &released, fc) }); changed {
		s.emit(c)
	}
	s.waiters.judge(id, gwsReleased, "")
}

func (s *session) foldContext(id, phoneNumber string) foldContext {
	if phoneNumber == "" && len(s.agentDNs) == 1 {
		// The call list does not say which of the agent's numbers a call
		// is on; with a single one there is no doubt.
		for dn := range s.agentDNs {
			phoneNumber = dn
		}
	}
	pending, pendingTo := s.waiters.pending(id)
	return foldContext{
		now:         s.p.opts.Now(),
		window:      s.p.opts.AnswerWindow,
		phoneNumber: phoneNumber,
		isAgentDN:   func(n string) bool { return n != "" && s.agentDNs[n] },
		agentName:   s.agentName,
		nameKeys:    s.p.s.nameKeys,
		pending:     pending,
		pendingTo:   pendingTo,
	}
}

// applyDevices records device states (all of them when replace is set) and
// shows the agent's state.
func (s *session) applyDevices(devices []wireDevice, replace bool) {
	if replace {
		clear(s.devices)
	}
	s.clearDeviceErrors(devices, replace)
	for _, d := range devices {
		key := d.ID
		if key == "" {
			key = d.PhoneNumber
		}
		s.devices[key] = d
		if d.PhoneNumber != "" {
			s.agentDNs[d.PhoneNumber] = true
		}
	}
	keys := slices.Sorted(maps.Keys(s.devices))
	list := make([]wireDevice, 0, len(keys))
	for _, k := range keys {
		list = append(list, s.devices[k])
	}
	s.agent = agentLabel(list)
	s.publishStatus()
}

// publishStatus sends the connection status if it changed. The console is
// shown live only once the call list has been read: before that, what it
// shows may be stale.
func (s *session) publishStatus() {
	st := providers.Status{Warning: s.warning(), Agent: s.agent}
	switch {
	case s.feedLink == providers.LinkLive && (s.syncing || !s.everSynced):
		st.Link = providers.LinkConnecting
		if s.everSynced {
			st.Link = providers.LinkReconnecting
		}
		st.Detail = "reading the calls from GWS"
		if s.syncErr != nil {
			st.Detail = fmt.Sprintf("reading the calls from GWS failed (%v); trying again in %s", s.syncErr, s.retryDelay)
		}
	case s.feedLink == providers.LinkLive:
		st.Link = providers.LinkLive
		st.Detail = s.p.s.user + " at " + s.p.s.base.Host
	default:
		st.Link, st.Detail = s.feedLink, s.feedDetail
	}
	if s.gwsError != "" {
		if st.Detail != "" {
			st.Detail += " · "
		}
		st.Detail += s.gwsError
	}
	if s.sentAny && st == s.sent {
		return
	}
	s.sent, s.sentAny = st, true
	providers.Emit(s.ctx, s.sink, providers.StatusEvent(s.p.opts.Now(), st))
}

func (s *session) emit(c providers.Call) {
	providers.Emit(s.ctx, s.sink, providers.CallEvent(s.p.opts.Now(), c))
}

// operate sends r on call id while the session runs and waits for its
// effect (see Provider.act).
func (s *session) operate(ctx context.Context, id string, r request) error {
	op := r.op
	w := s.waiters.expect(id, op, r.to.String())
	defer s.waiters.forget(w)
	if err := r.send(ctx, s.p.rest, id); err != nil {
		return err
	}
	wait := s.p.confirmWindow(ctx)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-w.result:
		return err
	case <-t.C:
	case <-ctx.Done():
		return fmt.Errorf("GWS accepted it; stopped waiting for the effect: %w", ctx.Err())
	case <-s.done:
		return errSessionEnded
	}

	unconfirmed := &UnconfirmedError{Action: actionName(op), After: wait}
	reread := rereadResult{id: id, reply: make(chan providers.Call, 1)}
	reread.call, reread.err = s.p.rest.call(ctx, id)
	switch {
	case errors.Is(reread.err, providers.ErrNotFound):
		reread.notFound, reread.err = true, nil
	case reread.err != nil:
		return fmt.Errorf("%w; re-reading the call failed: %w", unconfirmed, reread.err)
	}
	select {
	case s.inbox <- reread:
	case <-ctx.Done():
		return unconfirmed
	case <-s.done:
		return unconfirmed
	}
	var c providers.Call
	select {
	case c = <-reread.reply:
	case <-ctx.Done():
		return unconfirmed
	case <-s.done:
		return unconfirmed
	}
	select {
	case err := <-w.result:
		if err == nil {
			s.log.Warn("no notification showed an operation's effect; re-reading the call did", "call", id, "operation", op, "after", wait)
		}
		return err
	default:
	}
	unconfirmed.State = c.State
	return unconfirmed
}
