package relay

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/graph"
	"ringside/providers/graph/graphtest"
	"ringside/providers/natsboard"
	"ringside/providers/natsboard/natsconn"
)

// The end-to-end benchmarks: what a team sees of one Graph webhook behind a
// relay, against what one console on its own webhook sees. Everything is
// real and on loopback: the graph provider against the Graph fake, webhook
// POSTs signed by the fake platform key, an embedded JetStream, the relay,
// and natsboard consoles joined and running with their own sink readers.
//
//	go test -run '^$' -bench 'WebhookToConsoles|ActionRoundTrip' -benchtime 2000x ./providers/natsboard/relay/
//
// ns/op is not the figure to read (notifications are paced); the metrics
// are: p50-ms and p99-ms, notifications/s achieved, and the relay's p99
// over the direct path's, measured just before it in the same run.

const (
	// benchConsoles is how many consoles watch the relay's board.
	benchConsoles = 20
	// benchRate is the pace of the webhook POSTs, notifications per second.
	benchRate = 1000
	// benchMaxNotifications caps one run whatever b.N asks, so a run stays
	// bounded in time and memory.
	benchMaxNotifications = 10000
	// benchWindow is how many calls are under way at once: a call's next
	// notification comes benchWindow notifications after its last, so
	// each state is on the board for a while before the next replaces it.
	benchWindow = 100
	// benchPosters is how many goroutines post; a call always goes
	// through the same one, so its notifications arrive in order.
	benchPosters = 8
	// benchActionBatch is how many ringing calls are posted before their
	// answers are timed: few enough that none outlives its answer window.
	benchActionBatch = 100
	// benchMaxActions caps the answers of one run; the default -benchtime
	// (1 s) stays well under it.
	benchMaxActions = 50000
)

// BenchmarkWebhookToConsoles: signed webhook POSTs at benchRate, each a new
// call or a state change of a call under way, timed from just before the
// POST until each sink has the call in that state (or a later one: a
// snapshot may be folded into its successor on the way). direct is the
// graph provider's own sink; relay-20-consoles is every one of 20 natsboard
// consoles on the board a relay of that provider publishes.
func BenchmarkWebhookToConsoles(b *testing.B) {
	var directP99 time.Duration
	b.Run("direct", func(b *testing.B) {
		g := benchStartGraph(b)
		benchDirect(b, g)
		plan := newBenchPlan(b)
		w := newBenchWatcher(plan)
		benchDrain(b, g.sink, w.see)
		directP99 = benchNotify(b, g.poster(b), plan, []*benchWatcher{w})
	})
	b.Run(fmt.Sprintf("relay-%d-consoles", benchConsoles), func(b *testing.B) {
		g := benchStartGraph(b)
		url := benchRelay(b, g)
		plan := newBenchPlan(b)
		watchers := make([]*benchWatcher, benchConsoles)
		for i := range watchers {
			watchers[i] = newBenchWatcher(plan)
			c := benchJoin(b, url, "bench")
			benchDrain(b, c.sink, watchers[i].see)
		}
		p99 := benchNotify(b, g.poster(b), plan, watchers)
		if directP99 > 0 {
			b.ReportMetric(float64(p99)/float64(directP99), "p99-relay/direct")
		}
	})
}

// BenchmarkActionRoundTrip: answering a ringing call, from the call to
// Answer until it returns with Graph's acceptance. direct is the graph
// provider's own Answer; relay is a natsboard console's, a request over
// NATS to the relay, whose graph provider posts to the Graph fake and
// replies. Each answer is for a fresh ringing call the answering side
// already shows; the calls are posted with the timer stopped.
func BenchmarkActionRoundTrip(b *testing.B) {
	var directP99 time.Duration
	b.Run("direct", func(b *testing.B) {
		g := benchStartGraph(b)
		benchDirect(b, g)
		seen := newBenchRingingSet()
		benchDrain(b, g.sink, seen.see)
		directP99 = benchAnswer(b, g, seen, g.p)
	})
	b.Run("relay", func(b *testing.B) {
		g := benchStartGraph(b)
		url := benchRelay(b, g)
		c := benchJoin(b, url, "bench")
		seen := newBenchRingingSet()
		benchDrain(b, c.sink, seen.see)
		p99 := benchAnswer(b, g, seen, c.joined)
		if directP99 > 0 {
			b.ReportMetric(float64(p99)/float64(directP99), "p99-relay/direct")
		}
	})
}

// benchGraph is a running graph provider against the Graph fake, its events
// in sink.
type benchGraph struct {
	srv    *graphtest.Server
	p      *graph.Provider
	sink   chan providers.Event
	client *http.Client
}

func benchStartGraph(b *testing.B) *benchGraph {
	b.Helper()
	srv := graphtest.Start(b, graphtest.Options{})
	p, err := graph.New(graph.Config{
		Listen: "127.0.0.1:0", CallbackPath: "/api/calls",
		ClientID: srv.Options.ClientID, Tenant: srv.Options.Tenant,
		APIBase: srv.APIBase, TokenURL: srv.Base + "/{tenant}/oauth2/v2.0/token", OpenIDConfig: srv.OpenIDConfig,
	}, providers.Options{
		Log: slog.New(slog.DiscardHandler),
		Getenv: func(k string) string {
			if k == graph.SecretEnv {
				return srv.Options.ClientSecret
			}
			return ""
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	// As main sizes a console's sink; the relay makes its own.
	g := &benchGraph{srv: srv, p: p, sink: make(chan providers.Event, 4096),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: benchPosters}}}
	return g
}

// run runs the provider into sink until the benchmark ends, and waits
// until its webhook listens.
func (g *benchGraph) run(b *testing.B, sink providers.Sink) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.p.Run(ctx, sink) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("graph provider: %v", err)
		}
	})
	eventually(b, "the graph webhook to listen", func() bool { return g.p.Addr() != "" })
}

// poster signs and posts notifications to the provider's webhook, over
// connections kept open as the platform keeps them. They are closed before
// the provider stops: a connection dialled but never used counts as busy
// to the webhook's graceful shutdown, which would wait seconds for it.
func (g *benchGraph) poster(b *testing.B) *graphtest.Poster {
	b.Cleanup(g.client.CloseIdleConnections)
	return &graphtest.Poster{URL: "http://" + g.p.Addr() + "/api/calls", Signer: g.srv.Signer,
		Audience: g.srv.Options.ClientID, Client: g.client}
}

// benchStartGraph's provider on its own: it runs into its sink.
func benchDirect(b *testing.B, g *benchGraph) { g.run(b, g.sink) }

// benchRelay runs a relay of g's provider on an embedded NATS, board
// "bench", and returns where the consoles connect.
func benchRelay(b *testing.B, g *benchGraph) string {
	b.Helper()
	ns := startNATS(b)
	startRelay(b, g.p, connect(b, ns.ClientURL()), Config{Board: "bench"})
	eventually(b, "the graph webhook to listen", func() bool { return g.p.Addr() != "" })
	return ns.ClientURL()
}

// benchConsole is a natsboard console joined to a board and running, its
// events in sink: what the UI of one team member reads.
type benchConsole struct {
	joined providers.Provider
	sink   chan providers.Event
}

func benchJoin(b *testing.B, url, boardName string) *benchConsole {
	b.Helper()
	p, err := natsboard.New(natsboard.Config{Boards: []string{boardName}, NATS: natsconn.Config{URL: url}},
		providers.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	joined, err := p.Join(ctx)
	if err != nil {
		b.Fatalf("join %s: %v", boardName, err)
	}
	c := &benchConsole{joined: joined, sink: make(chan providers.Event, 4096)}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx, c.sink) }()
	b.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			b.Errorf("console: %v", err)
		}
		p.Close()
	})
	return c
}

// benchDrain reads sink in a goroutine of its own until the benchmark
// ends, handing each call to see with the time it arrived.
func benchDrain(b *testing.B, sink <-chan providers.Event, see func(c *providers.Call, at time.Time)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-sink:
				if ev.Call != nil {
					see(ev.Call, time.Now())
				}
			}
		}
	}()
	// Cleanups run last registered first: the reader stops, then the
	// provider, whose pending sends end with its context.
	b.Cleanup(func() { cancel(); <-done })
}

// benchPlan is one run's notifications, built before the timer starts:
// notification i is stage benchStep(i) of call benchStep(i), so calls come
// in waves of benchWindow, each rung, then answered, then ended.
type benchPlan struct {
	n      int
	ids    []string       // call index → call id
	byID   map[string]int // call id → call index
	bodies [][]byte       // notification → signed-POST body
	// warm are calls posted before the timer starts: connections, token
	// and caches are warm when the first measured POST goes out.
	warm   []string
	origin time.Time
	// sent is when each POST began, in nanoseconds after origin plus one;
	// zero while it has not.
	sent []atomic.Int64
}

// The stages of a call in the plan; the notifications that bring them.
const (
	benchRinging = iota // doc-incoming-current.json: an incoming call
	benchActive         // updated, established
	benchEnded          // deleted, terminated
	benchStages
)

// benchStep is which call and stage notification i is about.
func benchStep(i int) (call, stage int) {
	return i%benchWindow + benchWindow*(i/(benchStages*benchWindow)), i / benchWindow % benchStages
}

// benchIndex is benchStep's inverse: the notification of call at stage.
func benchIndex(call, stage int) int {
	return call/benchWindow*benchStages*benchWindow + stage*benchWindow + call%benchWindow
}

// benchStage maps a call's state to the stage of the plan it shows; -1
// for a state no notification of the plan brings.
func benchStage(s providers.State) int {
	switch s {
	case providers.StateRinging:
		return benchRinging
	case providers.StateActive:
		return benchActive
	case providers.StateEnded:
		return benchEnded
	}
	return -1
}

func newBenchPlan(b *testing.B) *benchPlan {
	n := min(b.N, benchMaxNotifications)
	p := &benchPlan{n: n, byID: map[string]int{}, bodies: make([][]byte, n), sent: make([]atomic.Int64, n),
		origin: time.Now()}
	incoming := graphtest.Notification("doc-incoming-current.json")
	for i := range n {
		call, stage := benchStep(i)
		if stage == benchRinging {
			id := graphtest.NewCallID()
			p.ids = append(p.ids, id)
			p.byID[id] = call
		}
		id := p.ids[call]
		switch stage {
		case benchRinging:
			p.bodies[i] = graphtest.WithCallID(incoming, id)
		case benchActive:
			p.bodies[i] = graphtest.StateChange(id, "updated", "established", nil)
		case benchEnded:
			p.bodies[i] = graphtest.StateChange(id, "deleted", "terminated",
				&graphtest.ResultInfo{Code: "200", Subcode: "5001", Message: "The conversation has ended."})
		}
	}
	for range benchPosters {
		p.warm = append(p.warm, graphtest.NewCallID())
	}
	return p
}

// benchWatcher matches what one sink receives against the plan.
type benchWatcher struct {
	plan *benchPlan

	mu sync.Mutex
	// reached is, per call index, how many of its stages have arrived.
	reached map[int]int
	lat     []time.Duration
	// early counts snapshots of a state whose notification was not yet
	// posted: a mismatch the benchmark fails on rather than hides.
	early  int
	warmed map[string]bool
	warm   chan struct{} // closed once every warm-up call arrived
	done   chan struct{} // closed once every notification arrived
}

func newBenchWatcher(plan *benchPlan) *benchWatcher {
	return &benchWatcher{plan: plan, reached: map[int]int{}, lat: make([]time.Duration, 0, plan.n),
		warmed: map[string]bool{}, warm: make(chan struct{}), done: make(chan struct{})}
}

// see takes a call snapshot from the sink. A snapshot in stage s stands
// for every notification of its call up to s not matched yet: a state the
// relay folded into the next one still reached the console, in that one.
func (w *benchWatcher) see(c *providers.Call, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seeWarm(c.ID) {
		return
	}
	call, ok := w.plan.byID[c.ID]
	stage := benchStage(c.State)
	if !ok || stage < 0 {
		return
	}
	now := at.Sub(w.plan.origin)
	for s := w.reached[call]; s <= stage; s++ {
		i := benchIndex(call, s)
		if i >= w.plan.n {
			break
		}
		sent := w.plan.sent[i].Load()
		if sent == 0 {
			w.early++
			return
		}
		w.lat = append(w.lat, now-time.Duration(sent-1))
		w.reached[call] = s + 1
	}
	if len(w.lat) == w.plan.n {
		close(w.done)
	}
}

// seeWarm notes a warm-up call; it says whether c was one.
func (w *benchWatcher) seeWarm(id string) bool {
	if !slices.Contains(w.plan.warm, id) {
		return false
	}
	if !w.warmed[id] {
		w.warmed[id] = true
		if len(w.warmed) == len(w.plan.warm) {
			close(w.warm)
		}
	}
	return true
}

// benchNotify posts the plan at benchRate and waits until every watcher
// has every notification; it reports the latencies over all (notification,
// watcher) pairs and returns their p99.
func benchNotify(b *testing.B, poster *graphtest.Poster, plan *benchPlan, watchers []*benchWatcher) time.Duration {
	b.Helper()
	warm := make([][]byte, len(plan.warm))
	incoming := graphtest.Notification("doc-incoming-current.json")
	for i, id := range plan.warm {
		warm[i] = graphtest.WithCallID(incoming, id)
	}
	if err := benchPostAll(poster, warm); err != nil {
		b.Fatal(err)
	}
	for i, w := range watchers {
		benchWait(b, w.warm, fmt.Sprintf("sink %d to show the warm-up calls", i))
	}
	b.ResetTimer()
	elapsed, err := benchPace(poster, plan)
	if err != nil {
		b.Fatal(err)
	}
	var all []time.Duration
	for i, w := range watchers {
		benchWait(b, w.done, fmt.Sprintf("sink %d to show all %d notifications", i, plan.n))
		w.mu.Lock()
		early := w.early
		all = append(all, w.lat...)
		w.mu.Unlock()
		if early > 0 {
			b.Fatalf("sink %d showed %d states before their notifications were posted", i, early)
		}
	}
	b.StopTimer()
	benchCapped(b, plan.n)
	slices.Sort(all)
	p99 := benchPercentile(all, 99)
	b.ReportMetric(benchMs(benchPercentile(all, 50)), "p50-ms")
	b.ReportMetric(benchMs(p99), "p99-ms")
	b.ReportMetric(float64(plan.n)/elapsed.Seconds(), "notifications/s")
	return p99
}

// benchPace posts the plan's notifications as a ticker paces them, each
// call's through the same goroutine so that they arrive in order; a
// goroutine that falls behind holds the pace back, which the achieved
// rate then shows. It returns how long the posting took.
func benchPace(poster *graphtest.Poster, plan *benchPlan) (time.Duration, error) {
	var (
		wg     sync.WaitGroup
		failMu sync.Mutex
		fail   error
	)
	failed := func() error { failMu.Lock(); defer failMu.Unlock(); return fail }
	queues := make([]chan int, benchPosters)
	for q := range queues {
		queues[q] = make(chan int, benchWindow)
		wg.Go(func() {
			for i := range queues[q] {
				if failed() != nil {
					continue // drain, so the pacer never blocks on a stopped poster
				}
				plan.sent[i].Store(int64(time.Since(plan.origin)) + 1)
				if err := benchPost(poster, plan.bodies[i]); err != nil {
					failMu.Lock()
					fail = benchFirstErr(fail, fmt.Errorf("notification %d: %w", i, err))
					failMu.Unlock()
				}
			}
		})
	}
	tick := time.NewTicker(time.Second / benchRate)
	start := time.Now()
	for next := 0; next < plan.n && failed() == nil; {
		<-tick.C
		// Every notification due by now, so that late ticks do not lower
		// the rate.
		due := min(plan.n, int(time.Since(start)*benchRate/time.Second)+1)
		for ; next < due; next++ {
			call, _ := benchStep(next)
			queues[call%benchPosters] <- next
		}
	}
	tick.Stop()
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	return time.Since(start), failed()
}

// benchFirstErr keeps the first error.
func benchFirstErr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}

// benchPost posts one notification and wants it accepted.
func benchPost(poster *graphtest.Poster, body []byte) error {
	rep, err := poster.Post(context.Background(), body)
	if err != nil {
		return fmt.Errorf("post to the webhook: %w", err)
	}
	if rep.Status != http.StatusAccepted {
		return fmt.Errorf("the webhook answered %d %q", rep.Status, rep.Body)
	}
	return nil
}

// benchPostAll posts bodies from benchPosters goroutines at once.
func benchPostAll(poster *graphtest.Poster, bodies [][]byte) error {
	var (
		wg   sync.WaitGroup
		next atomic.Int64
		mu   sync.Mutex
		fail error
	)
	for range benchPosters {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(bodies); i = int(next.Add(1) - 1) {
				if err := benchPost(poster, bodies[i]); err != nil {
					mu.Lock()
					fail = benchFirstErr(fail, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return fail
}

// benchWait waits for done, or fails naming what it waited for.
func benchWait(b *testing.B, done <-chan struct{}, what string) {
	b.Helper()
	select {
	case <-done:
	case <-time.After(waitLimit):
		b.Fatalf("gave up waiting for %s", what)
	}
}

// benchCapped says when a run did fewer operations than b.N asked, and
// gives ns/op over those it did.
func benchCapped(b *testing.B, done int) {
	if done == b.N {
		return
	}
	b.Logf("capped at %d of the %d operations asked", done, b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(done), "ns/op")
}

// benchPercentile is the nearest-rank percentile of sorted durations.
func benchPercentile(sorted []time.Duration, pct int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (len(sorted)*pct + 99) / 100 // ceil(len × pct / 100)
	return sorted[max(rank, 1)-1]
}

func benchMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchRingingSet notes which calls a sink has shown ringing.
type benchRingingSet struct {
	mu      sync.Mutex
	ringing map[string]bool
	changed chan struct{}
}

func newBenchRingingSet() *benchRingingSet {
	return &benchRingingSet{ringing: map[string]bool{}, changed: make(chan struct{}, 1)}
}

func (r *benchRingingSet) see(c *providers.Call, _ time.Time) {
	if c.State != providers.StateRinging {
		return
	}
	r.mu.Lock()
	r.ringing[c.ID] = true
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// forget drops ids, so the set holds no more than a batch.
func (r *benchRingingSet) forget(ids []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		delete(r.ringing, id)
	}
}

// wait waits until every call of ids has been shown ringing.
func (r *benchRingingSet) wait(b *testing.B, ids []string) {
	b.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		missing := slices.IndexFunc(ids, func(id string) bool { return !r.ringing[id] })
		r.mu.Unlock()
		if missing < 0 {
			return
		}
		select {
		case <-r.changed:
		case <-deadline.C:
			b.Fatalf("gave up waiting for call %s to ring", ids[missing])
		}
	}
}

// benchAnswer answers fresh ringing calls with actor, timing each Answer,
// and reports their p50 and p99, which it returns. Calls are posted in
// batches with the timer stopped, and ended after their batch, so that none
// outlives its answer window. One call answered first, untimed, warms the
// connections and Graph's app token.
func benchAnswer(b *testing.B, g *benchGraph, seen *benchRingingSet, actor providers.Provider) time.Duration {
	b.Helper()
	poster := g.poster(b)
	answer := func(id string) (time.Duration, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		err := actor.Answer(ctx, id)
		took := time.Since(start)
		if err != nil {
			return took, fmt.Errorf("answer %s: %w", id, err)
		}
		return took, nil
	}
	ring := func(n int) []string {
		ids, bodies := make([]string, n), make([][]byte, n)
		incoming := graphtest.Notification("doc-incoming-current.json")
		for i := range ids {
			ids[i] = graphtest.NewCallID()
			bodies[i] = graphtest.WithCallID(incoming, ids[i])
		}
		if err := benchPostAll(poster, bodies); err != nil {
			b.Fatal(err)
		}
		seen.wait(b, ids)
		seen.forget(ids)
		return ids
	}
	hangUp := func(ids []string) {
		bodies := make([][]byte, len(ids))
		for i, id := range ids {
			bodies[i] = graphtest.StateChange(id, "deleted", "terminated",
				&graphtest.ResultInfo{Code: "200", Subcode: "5001", Message: "The conversation has ended."})
		}
		if err := benchPostAll(poster, bodies); err != nil {
			b.Fatal(err)
		}
	}

	warm := ring(1)
	if _, err := answer(warm[0]); err != nil {
		b.Fatal(err)
	}
	hangUp(warm)
	n := min(b.N, benchMaxActions)
	lat := make([]time.Duration, 0, n)
	b.ResetTimer()
	b.StopTimer()
	for len(lat) < n {
		ids := ring(min(benchActionBatch, n-len(lat)))
		b.StartTimer()
		for _, id := range ids {
			took, err := answer(id)
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, took)
		}
		b.StopTimer()
		hangUp(ids)
	}
	benchCapped(b, n)
	benchAnswered(b, g.srv, n+1)
	slices.Sort(lat)
	p99 := benchPercentile(lat, 99)
	b.ReportMetric(benchMs(benchPercentile(lat, 50)), "p50-ms")
	b.ReportMetric(benchMs(p99), "p99-ms")
	return p99
}

// benchAnswered checks that Graph was asked to answer want calls: every
// timed Answer went all the way to the Graph fake.
func benchAnswered(b *testing.B, srv *graphtest.Server, want int) {
	b.Helper()
	got := 0
	for _, r := range srv.API.Requests() {
		if r.Action == graphtest.ActionAnswer && r.Status == http.StatusAccepted {
			got++
		}
	}
	if got != want {
		b.Fatalf("Graph accepted %d answers, want %d", got, want)
	}
}
