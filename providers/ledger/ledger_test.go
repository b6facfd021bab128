package ledger

import (
	"bytes"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"ringside/providers"
)

// syncBuffer is a log sink safe to read while the ledger writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLedgerLifecycle(t *testing.T) {
	l := New("test", Config{})
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	c, changed := l.Update("a", func(c *providers.Call) { c.State = providers.StateRinging; c.Arrived = t0 })
	if !changed || c.Version != 1 || c.Provider != "test" || c.ID != "a" {
		t.Fatalf("new call: changed=%v %+v", changed, c)
	}
	if _, changed = l.Update("a", func(c *providers.Call) { c.State = providers.StateRinging }); changed {
		t.Fatal("an identical update must not count as a change")
	}
	if _, changed = l.Update("a", func(c *providers.Call) { c.Arrived = t0.In(time.FixedZone("x", 3600)) }); changed {
		t.Fatal("the same instant in another zone is no change")
	}
	c, _ = l.Update("a", func(c *providers.Call) { c.State = providers.StateActive })
	if c.Version != 2 || c.State != providers.StateActive {
		t.Fatalf("answer: %+v", c)
	}
	c, changed = l.Update("a", func(c *providers.Call) { c.State = providers.StateConnecting; c.Region = "emea" })
	if !changed || c.State != providers.StateActive || c.Region != "emea" {
		t.Fatalf("a late connecting must keep active and still apply other fields: %+v", c)
	}
	c, _ = l.Update("a", func(c *providers.Call) { c.State = providers.StateHeld })
	if c.State != providers.StateHeld {
		t.Fatalf("active to held must be allowed: %+v", c)
	}
	c, _ = l.Update("a", func(c *providers.Call) { c.State = providers.StateActive })
	if c.State != providers.StateActive {
		t.Fatalf("held to active must be allowed: %+v", c)
	}
	c, _ = l.Update("a", func(c *providers.Call) {
		c.State = providers.StateEnded
		c.End = providers.EndReason{Code: 200, Subcode: 5001}
	})
	if c.State != providers.StateEnded {
		t.Fatalf("end: %+v", c)
	}
	v := c.Version
	c, changed = l.Update("a", func(c *providers.Call) { c.State = providers.StateRinging; c.End = providers.EndReason{} })
	if changed || c.State != providers.StateEnded || c.Version != v || c.End.Code != 200 {
		t.Fatalf("an ended call must never come back: changed=%v %+v", changed, c)
	}
	if live := l.Live(); len(live) != 0 {
		t.Fatalf("Live after end: %v", live)
	}
}

func TestLedgerLateStateKeepsCapabilities(t *testing.T) {
	l := New("test", Config{})
	ring := func(c *providers.Call) {
		c.State = providers.StateRinging
		c.Caps = providers.Caps(providers.ActionAnswer, providers.ActionReject)
	}
	l.Update("a", ring)
	l.Update("a", func(c *providers.Call) {
		c.State = providers.StateActive
		c.Caps = providers.Caps(providers.ActionHangup)
	})
	c, changed := l.Update("a", func(c *providers.Call) { ring(c); c.Region = "amer" })
	if !changed || c.State != providers.StateActive || c.Caps != providers.Caps(providers.ActionHangup) || !c.Can(providers.ActionHangup) || c.Region != "amer" {
		t.Fatalf("a late ringing report must leave an active call its state and hang-up, and still apply the rest: %+v", c)
	}
	c, _ = l.Update("a", func(c *providers.Call) { c.State = providers.StateHeld; c.Caps = 0 })
	if c.State != providers.StateHeld || c.Caps != 0 {
		t.Fatalf("a change of the same rank applies its capabilities: %+v", c)
	}
}

func TestLedgerUnknownStateKeepsOld(t *testing.T) {
	l := New("test", Config{})
	c, _ := l.Update("n", func(c *providers.Call) { c.State = "weird" })
	if c.State != providers.StateRinging {
		t.Fatalf("an unknown state on a new call defaults to ringing, got %q", c.State)
	}
	l.Update("n", func(c *providers.Call) { c.State = providers.StateActive })
	c, _ = l.Update("n", func(c *providers.Call) { c.State = "weird" })
	if c.State != providers.StateActive {
		t.Fatalf("an unknown state keeps the old one, got %q", c.State)
	}
}

func TestLedgerForgetsOldestEnded(t *testing.T) {
	l := New("test", Config{KeepEnded: 2})
	for i := range 3 {
		l.Update(fmt.Sprint(i), func(c *providers.Call) { c.State = providers.StateEnded })
	}
	if _, ok := l.Get("0"); ok {
		t.Fatal("the oldest ended call should be forgotten beyond the limit")
	}
	for _, id := range []string{"1", "2"} {
		if _, ok := l.Get(id); !ok {
			t.Fatalf("ended call %s forgotten too early", id)
		}
	}
}

func TestLedgerSnapshotsShareNoMemory(t *testing.T) {
	l := New("test", Config{})
	c, _ := l.Update("m", func(c *providers.Call) { c.Modalities = []string{"audio"} })
	c.Modalities[0] = "changed"
	got, _ := l.Get("m")
	if got.Modalities[0] != "audio" {
		t.Fatal("a returned snapshot must not alias the ledger's copy")
	}
}

func TestLedgerConcurrent(t *testing.T) {
	l := New("test", Config{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				l.Update(fmt.Sprint(i%10), func(c *providers.Call) { c.Region = fmt.Sprint(w, i) })
			}
		})
	}
	wg.Wait()
	total := uint64(0)
	for _, c := range l.Live() {
		total += c.Version
	}
	if total != 1600 {
		t.Fatalf("every distinct update must bump the version once: total %d", total)
	}
}

// stepClock is a clock tests move by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func set(state providers.State) func(*providers.Call) {
	return func(c *providers.Call) { c.State = state }
}

func liveIDs(l *Ledger) []string {
	var ids []string
	for _, c := range l.Live() {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestLedgerCapEndsTheLongestSilentConnectedCallFirst(t *testing.T) {
	clock := &stepClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	l := New("test", Config{MaxLive: 4, Now: clock.Now})
	l.Update("ring1", set(providers.StateRinging))
	l.Update("talk1", set(providers.StateActive))
	l.Update("talk2", func(c *providers.Call) { c.State, c.Answered = providers.StateHeld, clock.Now() })
	l.Update("setup", set(providers.StateConnecting))
	// talk1 speaks up (no change, but an update came in): talk2 is now the
	// connected call silent longest.
	l.Update("talk1", set(providers.StateActive))
	if got := l.Evicted(); got != nil {
		t.Fatalf("nothing evicted below the cap, got %+v", got)
	}

	clock.Add(time.Minute)
	if _, changed := l.Update("ring2", set(providers.StateRinging)); !changed {
		t.Fatal("the new call must be filed")
	}
	got := l.Evicted()
	if len(got) != 1 || got[0].ID != "talk2" {
		t.Fatalf("evicted %+v, want talk2 (connected, silent longest)", got)
	}
	c := got[0]
	if c.State != providers.StateEnded || c.Caps != 0 || c.Version != 2 || !c.Ended.Equal(clock.Now()) ||
		c.End.Code != 0 || c.End.Text != "Dropped: more than 4 live calls (--max-calls)." || c.Outcome != providers.OutcomeHandled {
		t.Fatalf("evicted snapshot %+v", c)
	}
	if stored, _ := l.Get("talk2"); stored.State != providers.StateEnded || stored.Version != c.Version {
		t.Fatalf("the ledger must hold the evicted call as ended: %+v", stored)
	}
	if l.Evicted() != nil {
		t.Fatal("Evicted hands each eviction over once")
	}
	if want := []string{"ring1", "ring2", "setup", "talk1"}; !slices.Equal(liveIDs(l), want) {
		t.Fatalf("live %v, want %v", liveIDs(l), want)
	}

	// Then setup, then talk1: connected calls go before any ringing one.
	l.Update("ring3", set(providers.StateRinging))
	l.Update("ring4", set(providers.StateRinging))
	ids := []string{}
	for _, c := range l.Evicted() {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, []string{"setup", "talk1"}) {
		t.Fatalf("evicted %v, want [setup talk1]", ids)
	}
	if l.Evictions() != 3 {
		t.Fatalf("Evictions %d, want 3", l.Evictions())
	}
}

func TestLedgerCapEndsTheOldestRingingCallWhenNoneIsConnected(t *testing.T) {
	l := New("test", Config{MaxLive: 3})
	for _, id := range []string{"a", "b", "c"} {
		l.Update(id, set(providers.StateRinging))
	}
	// A later update of a ringing call moves it behind the others.
	l.Update("a", func(c *providers.Call) { c.Region = "emea" })
	l.Update("d", set(providers.StateActive))
	got := l.Evicted()
	if len(got) != 1 || got[0].ID != "b" {
		t.Fatalf("evicted %+v, want b (the ringing call silent longest)", got)
	}
	if got[0].Outcome != providers.OutcomeMissed {
		t.Fatalf("an unanswered evicted call counts as missed, got %q", got[0].Result())
	}
	if want := []string{"a", "c", "d"}; !slices.Equal(liveIDs(l), want) {
		t.Fatalf("live %v, want %v; the new connected call must not be the one evicted", liveIDs(l), want)
	}
}

func TestLedgerEvictedCallNeverComesBack(t *testing.T) {
	l := New("test", Config{MaxLive: 1})
	l.Update("old", set(providers.StateActive))
	l.Update("new", set(providers.StateRinging))
	c, changed := l.Update("old", func(c *providers.Call) { c.State = providers.StateHeld; c.Region = "apac" })
	if changed || c.State != providers.StateEnded || c.Region != "" {
		t.Fatalf("a late notice for an evicted call must be dropped: changed=%v %+v", changed, c)
	}
	if l.LiveCount() != 1 {
		t.Fatalf("live %d, want 1", l.LiveCount())
	}
}

func TestLedgerEndedCallsDoNotCountAgainstTheCap(t *testing.T) {
	l := New("test", Config{MaxLive: 2})
	l.Update("a", set(providers.StateActive))
	l.Update("b", set(providers.StateActive))
	l.Update("a", set(providers.StateEnded))
	l.Update("gone", set(providers.StateEnded)) // first heard of as ended
	l.Update("c", set(providers.StateRinging))
	if got := l.Evicted(); got != nil {
		t.Fatalf("two live calls fit a cap of two, yet evicted %+v", got)
	}
}

func TestLedgerUnreadEvictionsAreBounded(t *testing.T) {
	l := New("test", Config{MaxLive: 1, KeepEnded: 5})
	for i := range 50 {
		l.Update(fmt.Sprint(i), set(providers.StateRinging))
	}
	got := l.Evicted()
	if len(got) != 5 || got[0].ID != "44" || got[4].ID != "48" {
		t.Fatalf("a provider that never takes evictions must not make the ledger grow: kept %d", len(got))
	}
	if l.Evictions() != 49 {
		t.Fatalf("every eviction is counted: %d", l.Evictions())
	}
}

func TestLedgerEvictionsAreLoggedSparingly(t *testing.T) {
	var buf syncBuffer
	l := New("test", Config{MaxLive: 10, Log: slog.New(slog.NewTextHandler(&buf, nil))})
	start := time.Now()
	for i := range 1000 {
		l.Update(fmt.Sprint(i), set(providers.StateRinging))
	}
	elapsed := time.Since(start)
	lines := strings.Count(buf.String(), "\n")
	// At most one line per 10 s, and the first eviction is always said.
	if most := 1 + int(elapsed/(10*time.Second)); lines < 1 || lines > most {
		t.Fatalf("%d log lines for 990 evictions in %v, want 1 to %d:\n%s", lines, elapsed, most, buf.String())
	}
	for _, want := range []string{"test: more live calls than --max-calls allows", "max_calls=10", "call=0", "state=ringing", "evicted_total=1"} {
		if !strings.Contains(buf.String(), want) {
			t.Fatalf("log line lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestLedgerQuiet(t *testing.T) {
	clock := &stepClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	l := New("test", Config{Now: clock.Now})
	l.Update("talk-early", set(providers.StateActive))
	l.Update("ring-early", set(providers.StateRinging))
	clock.Add(time.Minute)
	l.Update("talk-late", set(providers.StateActive))
	l.Update("over", set(providers.StateActive))
	clock.Add(time.Minute)
	l.Update("over", set(providers.StateEnded))
	cutoff := clock.Now().Add(-30 * time.Second)
	if got, want := l.Quiet(cutoff), []string{"talk-early", "talk-late", "ring-early"}; !slices.Equal(got, want) {
		t.Fatalf("Quiet %v, want %v", got, want)
	}
	// An update with nothing new still counts as a sign of life.
	l.Update("talk-early", set(providers.StateActive))
	if got, want := l.Quiet(cutoff), []string{"talk-late", "ring-early"}; !slices.Equal(got, want) {
		t.Fatalf("Quiet after talk-early spoke %v, want %v", got, want)
	}
	if got := l.Quiet(cutoff.Add(-time.Hour)); got != nil {
		t.Fatalf("nothing was silent an hour, got %v", got)
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

// A flood of new call ids (anyone who can reach a webhook can invent them)
// keeps the ledger at its cap. Without the cap, 200,000 such calls held
// about 93 MB of heap.
func TestLedgerFloodOfNewIDsStaysAtTheCap(t *testing.T) {
	if testing.Short() {
		t.Skip("floods the ledger with 200,000 calls")
	}
	const flood = 200_000
	l := New("test", Config{})
	before := heapInUse()
	t0 := time.Now()
	evicted := 0
	for i := range flood {
		id := fmt.Sprintf("%08x-flood-call-id-%d", i, i)
		l.Update(id, func(c *providers.Call) {
			c.State, c.Arrived, c.AnswerBy = providers.StateRinging, t0, t0.Add(15*time.Second)
			c.From = providers.Party{ID: id, Kind: providers.KindUser}
			c.Modalities = []string{"audio"}
		})
		evicted += len(l.Evicted())
	}
	grown := int64(heapInUse()) - int64(before)
	t.Logf("heap grew by %.1f MB for %d calls (%d live, %d evicted)", float64(grown)/1e6, flood, l.LiveCount(), evicted)
	if l.LiveCount() != providers.DefaultMaxCalls {
		t.Fatalf("%d live calls, want the cap of %d", l.LiveCount(), providers.DefaultMaxCalls)
	}
	if evicted != flood-providers.DefaultMaxCalls || l.Evictions() != uint64(evicted) {
		t.Fatalf("evicted %d (counted %d), want %d", evicted, l.Evictions(), flood-providers.DefaultMaxCalls)
	}
	// The cap and the ended calls remembered hold 20,000 calls: a few
	// megabytes. The bound leaves a wide margin and still fails without
	// the cap.
	if grown > 40<<20 {
		t.Fatalf("heap grew by %.1f MB for a flood of %d ids, want under 40 MiB", float64(grown)/1e6, flood)
	}
	runtime.KeepAlive(l)
}

// Filing a new call at the cap costs the same whatever the cap: eviction
// takes the front of a list, it does not search the calls.
func BenchmarkLedgerNewCallAtTheCap(b *testing.B) {
	for _, limit := range []int{1000, 100_000} {
		b.Run(fmt.Sprintf("max=%d", limit), func(b *testing.B) {
			l := New("bench", Config{MaxLive: limit})
			// Ids come round again once the ledger has forgotten them, so
			// every update files a new call and evicts one.
			ids := make([]string, 2*(limit+DefaultKeepEnded))
			for i := range ids {
				ids[i] = fmt.Sprintf("call-%d", i)
			}
			ring := set(providers.StateRinging)
			for i := range limit {
				l.Update(ids[i], ring)
			}
			b.ReportAllocs()
			for i := limit; b.Loop(); i++ {
				l.Update(ids[i%len(ids)], ring)
				l.Evicted()
			}
			if l.Evictions() != uint64(b.N) {
				b.Fatalf("%d evictions for %d new calls", l.Evictions(), b.N)
			}
		})
	}
}

// A call an earlier run reported is filed with a version above the one that
// run gave it, and only when this run has not heard of it itself.
func TestLedgerAdoptContinuesTheEarlierRunsVersion(t *testing.T) {
	l := New("test", Config{MaxLive: 2})
	talking := func(c *providers.Call) { c.State = providers.StateActive }

	c, filed := l.Adopt("a", 7, talking)
	if !filed || c.Version != 8 || c.ID != "a" || c.Provider != "test" || c.State != providers.StateActive {
		t.Fatalf("adopted: filed=%v %+v", filed, c)
	}
	if c, _ = l.Update("a", func(c *providers.Call) { c.State = providers.StateHeld }); c.Version != 9 {
		t.Fatalf("the next change must go on from the adopted version: %+v", c)
	}

	// Known already: left as this run has it.
	l.Update("b", func(c *providers.Call) { c.State = providers.StateRinging })
	c, filed = l.Adopt("b", 40, func(c *providers.Call) { c.State = providers.StateEnded })
	if filed || c.State != providers.StateRinging || c.Version != 1 {
		t.Fatalf("a call this run knows must be left alone: filed=%v %+v", filed, c)
	}

	// Adopted ended: remembered, so a late report cannot bring it back,
	// and it takes no room from live calls.
	c, filed = l.Adopt("c", 3, func(c *providers.Call) { c.State = providers.StateEnded })
	if !filed || c.Version != 4 || l.LiveCount() != 2 {
		t.Fatalf("adopted ended: filed=%v %+v, %d live", filed, c, l.LiveCount())
	}
	if _, changed := l.Update("c", talking); changed {
		t.Fatal("an ended adopted call must not come back")
	}

	// Adopted live beyond the cap: the cap's rule, one call goes.
	if _, filed = l.Adopt("d", 1, talking); !filed {
		t.Fatal("d not adopted")
	}
	if gone := l.Evicted(); len(gone) != 1 || gone[0].ID != "a" || l.LiveCount() != 2 {
		t.Fatalf("evicted %+v, %d live; want a, the call silent longest, and 2 live", gone, l.LiveCount())
	}

	// The top version cannot grow, and must not wrap to 0.
	if c, _ = l.Adopt("e", ^uint64(0), talking); c.Version != ^uint64(0) {
		t.Fatalf("version %d", c.Version)
	}
}

// An entry is 128 bytes, a size class of its own: a demo files a hundred
// thousand at start, and one more field would cost 16 bytes each.
func TestEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(entry{}); n > 128 {
		t.Fatalf("a ledger entry is %d bytes, more than 128", n)
	}
}
