package bayeux

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func dataMessages(from, n int) []message {
	msgs := make([]message, n)
	for i := range msgs {
		msgs[i] = message{Channel: "/c", Data: json.RawMessage(fmt.Sprint(from + i))}
	}
	return msgs
}

// drain reads the queue's stream until it closes or goes quiet.
func drain(t *testing.T, q *queue) []Event {
	t.Helper()
	var out []Event
	for {
		select {
		case ev, ok := <-q.out:
			if !ok {
				return out
			}
			out = append(out, ev)
		case <-time.After(200 * time.Millisecond):
			return out
		}
	}
}

// TestQueueDropsAndSays: a consumer that falls behind loses messages
// beyond the limit, and a resync event with the count stands exactly where
// they were; the sum of received and dropped is what arrived.
func TestQueueDropsAndSays(t *testing.T) {
	q := newQueue(10)
	defer q.stop()
	// Nobody reads yet: the pump holds one event and the channel buffer
	// outBuffer more, so fill beyond all of that.
	total := outBuffer + 100
	q.addMessages(dataMessages(0, total))
	q.add(Event{Kind: KindState, State: Reconnecting, Reason: "x"})
	q.addMessages(dataMessages(total, 5))
	got := drain(t, q)

	received, dropped, next := 0, 0, 0
	var order []string
	for _, ev := range got {
		switch ev.Kind {
		case KindMessage:
			var n int
			json.Unmarshal(ev.Data, &n)
			if n < next {
				t.Fatalf("message %d after %d", n, next)
			}
			if n > next && dropped == 0 {
				t.Fatalf("message %d follows %d with no drop reported", n, next-1)
			}
			next = n + 1
			received++
			order = append(order, "m")
		case KindResync:
			if ev.Dropped == 0 || !strings.Contains(ev.Reason, fmt.Sprint(ev.Dropped)) {
				t.Fatalf("drop event %+v", ev)
			}
			dropped += ev.Dropped
			order = append(order, "R")
		case KindState:
			order = append(order, "S")
		}
	}
	if received+dropped != total+5 {
		t.Fatalf("received %d + dropped %d != %d", received, dropped, total+5)
	}
	if dropped == 0 {
		t.Fatal("nothing dropped")
	}
	s := strings.Join(order, "")
	if !strings.Contains(s, "S") {
		t.Fatalf("state event dropped: %s", s)
	}
	if strings.Contains(s, "RR") {
		t.Fatalf("two drop markers in a row: %s", s)
	}
}

// TestQueueFinish: after finish, what waits is delivered, then the stream
// closes; after stop, it closes at once.
func TestQueueFinish(t *testing.T) {
	q := newQueue(100)
	q.addMessages(dataMessages(0, 3))
	q.add(Event{Kind: KindState, State: Stopped})
	q.finish()
	q.addMessages(dataMessages(3, 3)) // too late: ignored
	var kinds []Kind
	for ev := range q.out {
		kinds = append(kinds, ev.Kind)
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]Kind{KindMessage, KindMessage, KindMessage, KindState}) {
		t.Fatalf("got %v", kinds)
	}
	<-q.done
	q.stop() // harmless after the end

	q = newQueue(100)
	q.addMessages(dataMessages(0, outBuffer+50))
	q.stop()
	for range q.out {
	}
}

// TestQueueKeepsUp: a consumer that keeps reading loses nothing, however
// large the burst compared with the limit's headroom.
func TestQueueKeepsUp(t *testing.T) {
	q := newQueue(1000)
	defer q.stop()
	done := make(chan int)
	go func() {
		n := 0
		for ev := range q.out {
			if ev.Kind != KindMessage {
				t.Errorf("unexpected %s", ev)
			}
			n++
			if n == 20000 {
				break
			}
		}
		done <- n
	}()
	for i := 0; i < 20000; i += 100 {
		q.addMessages(dataMessages(i, 100))
		for {
			q.mu.Lock()
			waiting := q.messages
			q.mu.Unlock()
			if waiting < 900 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	if n := <-done; n != 20000 {
		t.Fatalf("received %d", n)
	}
}

// hasDropped says whether the queue has dropped a message.
func (q *queue) hasDropped() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped > 0
}
