package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph/graphtest"
)

// staleHarness runs the provider with its look for silent calls every few
// milliseconds of real time; how long calls have been silent is told by the
// harness's clock, which the tests move.
func staleHarness(t *testing.T) *harness {
	t.Helper()
	return newHarness(t, setup{tune: func(p *Provider) { p.stale.every = 5 * time.Millisecond }})
}

// talkingCall posts a new call that is then answered, and waits until it shows
// as active.
func (h *harness) talkingCall() string {
	h.t.Helper()
	id := graphtest.NewCallID()
	h.post(graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id))
	h.post(graphtest.StateChange(id, "updated", "established", nil))
	h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateActive })
	return id
}

// reads returns the reads of call id the fake calls API received.
func (h *harness) reads(id string) []graphtest.Request {
	var out []graphtest.Request
	for _, r := range h.srv.API.Requests() {
		if r.Action == graphtest.ActionGet && r.CallID == id {
			out = append(out, r)
		}
	}
	return out
}

// waitReads waits until call id has been read n times.
func (h *harness) waitReads(id string, n int) []graphtest.Request {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got := h.reads(id); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("call %s read %d times, want %d", id, len(h.reads(id)), n)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, _ = h.srv.API.Wait(ctx, len(h.srv.API.Requests())+1)
		cancel()
	}
}

// waitLooks waits until the look for silent calls has run n more times,
// so that whatever it was going to do about the calls as they stand now, it
// has done.
func (h *harness) waitLooks(n uint64) {
	h.t.Helper()
	target := h.p.stale.looks.Load() + n
	deadline := time.Now().Add(10 * time.Second)
	for h.p.stale.looks.Load() < target {
		if time.Now().After(deadline) {
			h.t.Fatalf("the look for silent calls did not run %d more times", n)
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) advance(d time.Duration) { h.clock.Set(h.clock.Now().Add(d)) }

func TestSilentCallGraphNoLongerKnowsIsEnded(t *testing.T) {
	h := staleHarness(t)
	id := h.talkingCall()
	h.waitLooks(2)
	if n := len(h.reads(id)); n != 0 {
		t.Fatalf("a call that has just spoken must not be read: %d reads", n)
	}

	h.advance(StaleAfter + time.Second)
	ended := h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateEnded })
	if ended.End.Text != textGone || ended.End.Code != 0 || ended.Caps != 0 || ended.Result() != providers.OutcomeHandled {
		t.Fatalf("ended %+v, want %q", ended, textGone)
	}
	reads := h.reads(id)
	if len(reads) != 1 || reads[0].Status != 404 || reads[0].Path != "/v1.0/communications/calls/"+id {
		t.Fatalf("reads %+v, want one GET answered 404", reads)
	}
	if !h.srv.Tokens.Valid(strings.TrimPrefix(reads[0].Header.Get("Authorization"), "Bearer ")) {
		t.Fatal("the read must carry the app token")
	}
	if !h.logContains("ended a call Graph no longer knows") {
		t.Fatalf("the end must be logged:\n%s", h.logs.String())
	}
}

func TestSilentCallGraphStillHasIsRefreshed(t *testing.T) {
	h := staleHarness(t)
	id := h.talkingCall()
	// Graph says the call is on hold, in the words of its "Get call"
	// documentation.
	doc, err := os.ReadFile("testdata/doc-get-call.json")
	if err != nil {
		t.Fatal(err)
	}
	doc = bytes.Replace(doc, []byte(`"state": "established"`), []byte(`"state": "hold"`), 1)
	h.srv.API.PutCall(id, bytes.ReplaceAll(doc, []byte("2e1a0b00-2db4-4022-9570-243709c565ab"), []byte(id)))

	h.advance(StaleAfter + time.Second)
	held := h.callWhere(func(c providers.Call) bool { return c.ID == id })
	if held.State != providers.StateHeld || held.To.Name != "John" || !held.Can(providers.ActionHangup) {
		t.Fatalf("the call must take what Graph says: %+v", held)
	}
	if n := len(h.waitReads(id, 1)); n != 1 {
		t.Fatalf("%d reads", n)
	}

	// Graph's answer counts as news of the call: no read until it has been
	// silent that long again.
	h.waitLooks(3)
	if n := len(h.reads(id)); n != 1 {
		t.Fatalf("read %d times; a call just read back is not silent", n)
	}
	h.advance(StaleAfter + time.Second)
	h.waitReads(id, 2)
}

func TestSilentCallReadThatFailsIsTriedAgainLater(t *testing.T) {
	h := staleHarness(t)
	id := h.talkingCall()
	h.srv.API.Script(id, graphtest.ActionGet, graphtest.Response{Status: 500})

	h.advance(StaleAfter + time.Second)
	h.waitReads(id, 1)
	h.waitLooks(3)
	if n := len(h.reads(id)); n != 1 {
		t.Fatalf("read %d times; a failed read waits before the next", n)
	}
	if c, _ := h.p.ledger.Get(id); c.State != providers.StateActive {
		t.Fatalf("a failed read must leave the call as it is: %+v", c)
	}
	if !h.logContains("cannot read back a call") {
		t.Fatalf("the failure must be logged:\n%s", h.logs.String())
	}

	// After the wait, the call is read again; this time Graph does not
	// know it.
	h.advance(staleRetryMin)
	ended := h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateEnded })
	if ended.End.Text != textGone {
		t.Fatalf("ended %+v, want %q", ended, textGone)
	}
	if n := len(h.reads(id)); n != 2 {
		t.Fatalf("read %d times, want 2", n)
	}
}

// A call the bot places rings at the far end with no deadline here; if its
// end notice is lost, it is read back like any other silent call.
func TestSilentOutgoingRingingCallIsReadBack(t *testing.T) {
	h := staleHarness(t)
	id := graphtest.NewCallID()
	body := graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id)
	body = bytes.Replace(body, []byte(`"state": "incoming", "direction": "incoming"`), []byte(`"state": "ringing", "direction": "outgoing"`), 1)
	h.post(body)
	ringing := h.callWhere(func(c providers.Call) bool { return c.ID == id })
	if ringing.State != providers.StateRinging || ringing.Direction != providers.Outgoing || !ringing.AnswerBy.IsZero() {
		t.Fatalf("want an outgoing call ringing with no deadline: %+v", ringing)
	}
	h.advance(StaleAfter - time.Second)
	h.waitLooks(2)
	if n := len(h.reads(id)); n != 0 {
		t.Fatalf("read after %v of silence, before %v: %d reads", StaleAfter-time.Second, StaleAfter, n)
	}
	h.advance(2 * time.Second)
	ended := h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateEnded })
	if ended.End.Text != textGone || ended.Result() != providers.OutcomeMissed {
		t.Fatalf("ended %+v", ended)
	}
	if n := len(h.reads(id)); n != 1 {
		t.Fatalf("%d reads, want 1", n)
	}
}

// heapInUse is the heap's live size after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A flood of new call ids through the webhook (anyone holding a valid token,
// or anyone at all with --graph-skip-auth, can invent them) keeps the
// provider at its cap, and every call it drops reaches the console. Without
// the cap, the same flood held about 120 MB of heap.
func TestFloodOfNewCallIDsThroughTheWebhookStaysAtTheCap(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("posts 200,000 calls; measures the heap, which the race detector inflates")
	}
	const posts, perPost = 200, 1000 // notification.MaxItems per body
	// Warnings only: the harness's debug log would hold a line per
	// notification, and be measured with the rest.
	logs := &syncBuffer{}
	h := newHarness(t, setup{options: func(o *providers.Options) {
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}})
	tmpl := graphtest.Notification("doc-incoming-current.json")
	start := bytes.Index(tmpl, []byte(`"value": [`)) + len(`"value": [`)
	item := bytes.TrimSpace(tmpl[start:bytes.LastIndexByte(tmpl, ']')])

	const flood = posts * perPost
	wantEvents := flood + flood - providers.DefaultMaxCalls
	done := make(chan int)
	go func() {
		calls, dropped := 0, 0
		for ev := range h.events {
			if ev.Call == nil {
				continue
			}
			calls++
			if ev.Call.State == providers.StateEnded && strings.HasPrefix(ev.Call.End.Text, "Dropped: more than 10000 live calls") {
				dropped++
			}
			if calls == wantEvents {
				done <- dropped
				return
			}
		}
	}()

	before := heapInUse()
	var body bytes.Buffer
	n := 0
	for range posts {
		body.Reset()
		body.WriteString(`{"value":[`)
		for k := range perPost {
			if k > 0 {
				body.WriteByte(',')
			}
			n++
			body.Write(graphtest.WithCallID(item, fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n)))
		}
		body.WriteString(`]}`)
		h.post(body.Bytes())
	}
	var dropped int
	select {
	case dropped = <-done:
	case <-time.After(5 * time.Minute):
		t.Fatalf("the console did not hear of every call: %d live, %d evicted", h.p.ledger.LiveCount(), h.p.ledger.Evictions())
	}
	grown := int64(heapInUse()) - int64(before)
	t.Logf("heap grew by %.1f MB for %d calls (%d live, %d dropped)", float64(grown)/1e6, flood, h.p.ledger.LiveCount(), dropped)
	if live := h.p.ledger.LiveCount(); live != providers.DefaultMaxCalls {
		t.Fatalf("%d live calls, want the cap of %d", live, providers.DefaultMaxCalls)
	}
	if dropped != flood-providers.DefaultMaxCalls || h.p.ledger.Evictions() != uint64(dropped) {
		t.Fatalf("%d drops reached the console, %d counted, want %d", dropped, h.p.ledger.Evictions(), flood-providers.DefaultMaxCalls)
	}
	if !strings.Contains(logs.String(), "graph: more live calls than --max-calls allows") {
		t.Fatalf("the drops must be logged:\n%s", logs.String())
	}
	// Ten thousand live calls, ten thousand ended ones remembered and the
	// id book come to some megabytes; the bound leaves a wide margin.
	if grown > 50<<20 {
		t.Fatalf("heap grew by %.1f MB for a flood of %d ids, want under 50 MiB", float64(grown)/1e6, flood)
	}
}

func TestCallsBeyondMaxCallsAreDropped(t *testing.T) {
	h := newHarness(t, setup{options: func(o *providers.Options) { o.MaxCalls = 2 }})
	first := h.talkingCall()
	second := h.talkingCall()
	third := graphtest.NewCallID()
	h.post(graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), third))
	dropped := h.call()
	if dropped.ID != first || dropped.State != providers.StateEnded ||
		dropped.End.Text != "Dropped: more than 2 live calls (--max-calls)." || dropped.Caps != 0 {
		t.Fatalf("want %s, the call silent longest, ended for the limit first; got %+v", first, dropped)
	}
	if c := h.call(); c.ID != third || c.State != providers.StateRinging {
		t.Fatalf("then the new call ringing; got %+v", c)
	}
	// Graph's own end of the dropped call, late, changes nothing: the next
	// event is about the next notification.
	h.post(graphtest.StateChange(first, "deleted", "terminated", nil))
	h.post(graphtest.StateChange(third, "updated", "established", nil))
	if c := h.call(); c.ID != third || c.State != providers.StateActive {
		t.Fatalf("want %s answered next; got %+v", third, c)
	}
	if c, _ := h.p.ledger.Get(second); c.State != providers.StateActive {
		t.Fatalf("%s must still be talking: %+v", second, c)
	}
	if err := h.p.Hangup(context.Background(), first); !errors.Is(err, providers.ErrNotFound) {
		t.Fatalf("a dropped call is over for the console: %v", err)
	}
}

// The fakegraph driver answers reads of the calls it has answered, so that a
// long conversation in an end-to-end run is not taken for a lost call.
func TestDriverKeepsAnsweredCallsReadable(t *testing.T) {
	h := staleHarness(t)
	d := graphtest.NewDriver(h.srv.Fake, h.url(), h.srv.Options.ClientID, nil)
	d.Pause = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.React(ctx)
	id := graphtest.NewCallID()
	h.post(graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id))
	h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateRinging })
	if err := h.p.Answer(ctx, id); err != nil {
		t.Fatal(err)
	}
	h.callWhere(func(c providers.Call) bool { return c.ID == id && c.State == providers.StateActive })

	h.advance(StaleAfter + time.Second)
	reads := h.waitReads(id, 1)
	h.waitLooks(2)
	if reads[0].Status != 200 {
		t.Fatalf("read answered %d, want 200", reads[0].Status)
	}
	if c, _ := h.p.ledger.Get(id); c.State != providers.StateActive {
		t.Fatalf("a call the fake still has must stay: %+v", c)
	}
}
