package bayeux

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
)

// Kind says what an Event carries.
type Kind int

const (
	// KindMessage is a message delivered on a channel: Channel and Data.
	KindMessage Kind = iota + 1
	// KindState is a change of the connection's state: State, Reason, Err,
	// and ClientID once live.
	KindState
	// KindResync says that what happened before it may be unknown to the
	// consumer, who should read the state afresh (a snapshot) and apply the
	// messages that follow on top: the subscriptions are in place on a new
	// session (the first one, or one after the server lost the old one:
	// messages published in between are gone), or messages were lost on the
	// way (Dropped > 0 when this client dropped them itself because they
	// were not received fast enough). Reason says which, in words.
	KindResync
	// KindSubscribeFailed says the server refused a subscription while the
	// client restored it on a new session; Channel is no longer subscribed.
	// Reason and Err say why.
	KindSubscribeFailed
)

func (k Kind) String() string {
	switch k {
	case KindMessage:
		return "message"
	case KindState:
		return "state"
	case KindResync:
		return "resync"
	case KindSubscribeFailed:
		return "subscribe-failed"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// State is the connection's state.
type State int

const (
	// Connecting: the first handshake is under way (or being retried).
	Connecting State = iota + 1
	// Live: connected and subscribed; messages flow.
	Live
	// Reconnecting: the connection or the session was lost and is being
	// restored; Reason says why.
	Reconnecting
	// Stopped: the client has ended, for good: Close was called, or the
	// server said not to reconnect (Reason and Err say what it said).
	Stopped
)

func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Live:
		return "live"
	case Reconnecting:
		return "reconnecting"
	case Stopped:
		return "stopped"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Event is one thing the client reports, in the order things happened.
type Event struct {
	Kind Kind

	// KindMessage, KindSubscribeFailed: the channel.
	Channel string
	// KindMessage: the message's data, as the server sent it: one
	// complete JSON value, which the client has checked as encoding/json
	// would, so a consumer need not check it again. It stays intact after
	// the next event (it is never reused), but it may share memory with
	// the other messages of the same answer (a burst answer weighs
	// megabytes): copy it to keep it for long.
	Data json.RawMessage

	// KindState: the new state.
	State State
	// KindState (reconnecting, stopped), KindResync, KindSubscribeFailed:
	// why, in words a person can read.
	Reason string
	// KindState (reconnecting, stopped), KindSubscribeFailed: the error
	// behind Reason, if there is one (e.g. a *ServerError).
	Err error
	// KindState live, KindResync: the session's client id.
	ClientID string
	// KindState live: the transport in use.
	Transport Transport
	// KindResync: how many messages this client dropped because they were
	// not received fast enough (0 for the other reasons).
	Dropped int
}

func (e Event) String() string {
	switch e.Kind {
	case KindMessage:
		return fmt.Sprintf("message on %s: %s", e.Channel, abbreviate(e.Data))
	case KindState:
		if e.Reason != "" {
			return fmt.Sprintf("%s: %s", e.State, e.Reason)
		}
		if e.Transport != "" {
			return fmt.Sprintf("%s (%s)", e.State, e.Transport)
		}
		return e.State.String()
	case KindResync:
		return "resync: " + e.Reason
	case KindSubscribeFailed:
		return fmt.Sprintf("subscription to %s failed: %s", e.Channel, e.Reason)
	}
	return e.Kind.String()
}

// outBuffer is the capacity of the channel Events returns: the pump may run
// that far ahead of the consumer.
const outBuffer = 256

// queue holds events between the goroutines that receive them from the
// server and the consumer, and applies the slow-subscriber policy: at most
// limit messages wait; beyond that, messages are dropped, counted, and a
// KindResync event with the count takes their place in the stream, so the
// consumer learns of the loss exactly where it happened. State events are
// never dropped (the client makes few of them). Nothing that receives from
// the server ever waits for the consumer.
type queue struct {
	out   chan Event    // what Events returns; closed when the pump ends
	wake  chan struct{} // a nudge for the pump (capacity 1)
	quit  chan struct{} // closed to make the pump end at once
	done  chan struct{} // closed when the pump has ended
	limit int

	mu       sync.Mutex
	items    []Event
	head     int  // items[head:] wait
	messages int  // how many of them are KindMessage
	finished bool // no event will be added: the pump ends once the queue is empty
	dropMark int  // index+1 in items of the drop marker still open for counting, 0 if none
	dropped  int  // messages dropped since the start (tests watch it)
}

func newQueue(limit int) *queue {
	q := &queue{
		out:   make(chan Event, outBuffer),
		wake:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
		limit: limit,
	}
	go q.pump()
	return q
}

// addMessages queues the data messages among msgs, in order, all at once.
func (q *queue) addMessages(msgs []message) {
	if len(msgs) == 0 {
		return
	}
	q.mu.Lock()
	if q.finished {
		q.mu.Unlock()
		return
	}
	for i := range msgs {
		if !msgs[i].isData() {
			continue
		}
		if q.messages >= q.limit {
			q.drop()
			continue
		}
		q.items = append(q.items, Event{Kind: KindMessage, Channel: msgs[i].Channel, Data: msgs[i].Data})
		q.messages++
		q.dropMark = 0
	}
	q.mu.Unlock()
	q.nudge()
}

// drop counts one dropped message on the marker at the tail of the queue,
// adding one if the tail is not already an open marker.
func (q *queue) drop() {
	if q.dropMark == 0 || q.dropMark != len(q.items) {
		q.items = append(q.items, Event{Kind: KindResync})
		q.dropMark = len(q.items)
	}
	q.items[q.dropMark-1].Dropped++
	q.dropped++
}

// add queues an event other than a data message. It is never dropped.
func (q *queue) add(ev Event) {
	q.mu.Lock()
	if q.finished {
		q.mu.Unlock()
		return
	}
	q.items = append(q.items, ev)
	q.mu.Unlock()
	q.nudge()
}

// finish says no more events will be added: the pump closes the channel
// once the consumer has taken everything.
func (q *queue) finish() {
	q.mu.Lock()
	q.finished = true
	q.mu.Unlock()
	q.nudge()
}

// stop ends the pump at once, dropping whatever waits, and waits for it.
func (q *queue) stop() {
	q.mu.Lock()
	q.finished = true
	q.mu.Unlock()
	select {
	case <-q.quit:
	default:
		close(q.quit)
	}
	<-q.done
}

func (q *queue) nudge() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take removes up to len(buf) waiting events into buf.
func (q *queue) take(buf []Event) (n int, finished bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = copy(buf, q.items[q.head:])
	for i := range n {
		if buf[i].Kind == KindMessage {
			q.messages--
		} else if buf[i].Kind == KindResync && buf[i].Dropped > 0 {
			buf[i].Reason = fmt.Sprintf("%d message(s) dropped: they arrived faster than they were received", buf[i].Dropped)
		}
		q.items[q.head+i] = Event{} // let the data go
	}
	q.head += n
	if q.dropMark != 0 && q.dropMark <= q.head {
		q.dropMark = 0 // taken: later drops start a new marker
	}
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
		q.dropMark = 0
	} else if q.head > 4096 && q.head > len(q.items)/2 {
		rest := copy(q.items, q.items[q.head:])
		clear(q.items[rest:])
		q.items = q.items[:rest]
		if q.dropMark != 0 {
			q.dropMark -= q.head
		}
		q.head = 0
	}
	return n, q.finished && q.head == len(q.items)
}

// pump moves events from the queue to the consumer's channel.
func (q *queue) pump() {
	defer close(q.done)
	defer close(q.out)
	buf := make([]Event, 64)
	for {
		n, finished := q.take(buf)
		for i := range n {
			select {
			case q.out <- buf[i]:
				buf[i] = Event{}
			case <-q.quit:
				return
			}
		}
		if n > 0 {
			continue
		}
		if finished {
			return
		}
		select {
		case <-q.wake:
		case <-q.quit:
			return
		}
	}
}
