package genesys

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"ringside/providers"
)

// A GWS operation reply of statusCode 0 only means "accepted and passed on to
// the switch". The console keeps the action pending until a notification
// shows its effect, or until confirmWait has passed; then it re-reads the call
// and says what it found.

// DefaultConfirmWait is how long an accepted operation waits for the
// notification that shows its effect before the call is re-read.
const DefaultConfirmWait = 10 * time.Second

// rereadBudget is kept back from a caller's deadline so the re-read and the
// explanation still fit in it.
const rereadBudget = 3 * time.Second

// actionName is how an operation is named to a person.
func actionName(op string) string {
	switch op {
	case opAnswer:
		return "answer"
	case opReject:
		return "reject"
	case opHangup:
		return "hang up"
	case opSingleStepTransfer:
		return "transfer"
	case opRetrieve:
		return "resume"
	}
	return strings.ToLower(op)
}

// verdict decides whether a call in GWS state gwsState (reported with
// notificationType noteType) settles a pending op: done says it is settled,
// err whether it failed. A state that neither shows the effect nor rules it
// out keeps the op pending.
func verdict(op, gwsState, noteType string) (done bool, err error) {
	if noteType == notificationError {
		return true, fmt.Errorf("GWS reported that the %s failed; the call is %s", actionName(op), stateWords(gwsState))
	}
	switch op {
	case opAnswer:
		switch gwsState {
		case gwsEstablished, gwsHeld:
			return true, nil
		case gwsReleased:
			return true, fmt.Errorf("the call was released before the answer took effect: %w", providers.ErrNotFound)
		}
	case opReject:
		switch gwsState {
		case gwsReleased:
			return true, nil
		case gwsEstablished, gwsHeld:
			return true, fmt.Errorf("the call was answered before the reject took effect: %w", providers.ErrNotAllowed)
		}
	case opHangup, opSingleStepTransfer:
		// A transfer that went through releases the call from the
		// agent's DN, exactly as a hang-up does.
		if gwsState == gwsReleased {
			return true, nil
		}
	case opHold:
		switch gwsState {
		case gwsHeld:
			return true, nil
		case gwsReleased:
			return true, fmt.Errorf("the call was released before the hold took effect: %w", providers.ErrNotFound)
		}
	case opRetrieve:
		switch gwsState {
		case gwsEstablished:
			return true, nil
		case gwsReleased:
			return true, fmt.Errorf("the call was released before it was taken off hold: %w", providers.ErrNotFound)
		}
	}
	return false, nil
}

// stateWords is a GWS state as the console would say it.
func stateWords(gwsState string) string {
	if s, ok := mapState(gwsState); ok {
		return string(s)
	}
	if gwsState == "" {
		return "in an unknown state"
	}
	return "in state " + gwsState
}

// UnconfirmedError says GWS accepted an operation but no notification showed
// its effect in time, and what re-reading the call found.
type UnconfirmedError struct {
	Action string          // answer, reject, hang up
	After  time.Duration   // how long the console waited
	State  providers.State // the call's state as re-read ("" if it could not be read)
}

func (e *UnconfirmedError) Error() string {
	msg := fmt.Sprintf("GWS accepted the %s but nothing changed within %s", e.Action, e.After.Round(time.Second))
	switch {
	case e.State == "":
		return msg
	case e.Action == "answer" && e.State == providers.StateRinging:
		return msg + "; the call is still ringing (the phone may not accept a remote answer)"
	}
	return msg + "; the call is " + string(e.State)
}

// waiter is one operation sent and not yet seen to take effect.
type waiter struct {
	id, op string
	to     string     // a transfer's target, as a person reads it
	result chan error // receives the verdict once
}

// waiters is the set of pending operations, shared by the action callers and
// the loop that applies notifications.
type waiters struct {
	mu     sync.Mutex
	byCall map[string][]*waiter
}

// expect registers op on call id (to: a transfer's target) before it is
// sent, so that a notification arriving before the HTTP reply is not missed.
func (ws *waiters) expect(id, op, to string) *waiter {
	w := &waiter{id: id, op: op, to: to, result: make(chan error, 1)}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.byCall == nil {
		ws.byCall = make(map[string][]*waiter)
	}
	ws.byCall[id] = append(ws.byCall[id], w)
	return w
}

// forget removes w, settled or not.
func (ws *waiters) forget(w *waiter) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	list := ws.byCall[w.id]
	for i, x := range list {
		if x == w {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(ws.byCall, w.id)
	} else {
		ws.byCall[w.id] = list
	}
}

// pending is the operation most recently sent on call id, if any is
// waiting, and for a transfer its target.
func (ws *waiters) pending(id string) (op, to string) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if list := ws.byCall[id]; len(list) > 0 {
		w := list[len(list)-1]
		return w.op, w.to
	}
	return "", ""
}

// judge settles every waiter on call id that the new state decides.
func (ws *waiters) judge(id, gwsState, noteType string) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	list := ws.byCall[id]
	kept := list[:0]
	for _, w := range list {
		if done, err := verdict(w.op, gwsState, noteType); done {
			w.result <- err
			continue
		}
		kept = append(kept, w)
	}
	if len(kept) == 0 {
		delete(ws.byCall, id)
	} else {
		ws.byCall[id] = kept
	}
}

// errSessionEnded is returned to a pending action when Run stops first.
var errSessionEnded = errors.New("the GWS session ended before GWS confirmed it")

// fail settles every waiter on call id: GWS reported that the operation
// failed, with refusal in its own words.
func (ws *waiters) fail(id string, refusal error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, w := range ws.byCall[id] {
		w.result <- fmt.Errorf("GWS reported that the %s failed: %w", actionName(w.op), refusal)
	}
	delete(ws.byCall, id)
}
