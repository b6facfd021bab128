package graph

import (
	"container/list"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"ringside/providers"
	"ringside/providers/graph/callapi"
	"ringside/providers/textsafe"
)

// Teams often identifies a caller by directory id and tenant alone, with no
// display name. Such a party reads as a short label ("Teams user ·3f9a2c");
// with --graph-resolve-names the console also asks Graph for the user's name
// (GET /users/{id}?$select=displayName). Lookups never run on the path that
// applies notifications: that path only reads a cache and hands ids to a
// small pool of workers without waiting, and a name that arrives later is
// applied to the call as a new snapshot by the same goroutine that applies
// notifications, so the call's snapshots stay in order.

// Defaults for name resolution; a nameBook's fields may be changed before
// Run starts (tests shrink them).
const (
	nameHitTTL      = time.Hour        // how long a name found is trusted
	nameMissTTL     = 5 * time.Minute  // how long a failed lookup is not repeated
	nameDeniedPause = 15 * time.Minute // no lookups for this long after Graph's 403
	nameCacheSize   = 10000            // names (and misses) remembered
	nameQueueSize   = 256              // ids waiting for a worker
	nameWorkers     = 4                // lookups at once
	nameTimeout     = 10 * time.Second // one lookup, token included
	nameWaitersMax  = 32               // calls waiting for one user's name
	nameMaxRunes    = 128              // a longer display name is cut
)

// nameFound is a name a worker found, for the calls that were waiting for it.
type nameFound struct {
	userID string
	name   string
	calls  []string
}

// nameBook remembers display names of directory users and, when lookup is
// set, finds the missing ones in the background. It is safe for concurrent
// use; want and the apply-time reads are meant for the one goroutine that
// applies notifications.
type nameBook struct {
	lookup func(ctx context.Context, userID string) (string, error) // nil: resolution off
	log    *slog.Logger
	now    func() time.Time

	hitTTL, missTTL, deniedPause, timeout time.Duration
	cacheSize, queueSize, workers         int

	mu          sync.Mutex
	cache       *nameCache
	pending     map[string][]string // user key → calls waiting; present while queued or looked up
	deniedUntil time.Time

	// Set by start, before the goroutine that calls want begins.
	queue chan string
	found chan nameFound

	dropped    atomic.Uint64 // ids not queued because the queue was full
	logDropped rate.Sometimes
	deniedOnce sync.Once
}

func newNameBook(lookup func(context.Context, string) (string, error), log *slog.Logger, now func() time.Time) *nameBook {
	return &nameBook{
		lookup: lookup, log: log, now: now,
		hitTTL: nameHitTTL, missTTL: nameMissTTL, deniedPause: nameDeniedPause, timeout: nameTimeout,
		cacheSize: nameCacheSize, queueSize: nameQueueSize, workers: nameWorkers,
		pending:    make(map[string][]string),
		logDropped: rate.Sometimes{Interval: 10 * time.Second},
	}
}

// userKey is the cache key of a user id: GUIDs compare without case.
func userKey(id string) string { return strings.ToLower(id) }

// keep applies ch to c so that the call's parties keep the names known for
// them: a later notification that names a user by id alone must not turn a
// name back into a label, and a name already in the cache is applied at
// once (reading the cache is no I/O). It runs under the ledger's lock.
func (b *nameBook) keep(c *providers.Call, ch *change) {
	before := *c
	ch.apply(c)
	now, was := parties(c), parties(&before)
	for i, p := range now {
		*p = b.fill(*p, *was[i])
	}
	if q := routeQueue(&c.Route); q != "" {
		c.Queue = q // by the name, where one was filled in
	}
}

// parties are every party of c that can be a directory user shown by a
// label: the caller and callee, and those of the route (a recording
// invite's observed participant stands in the caller column, a transferor
// or the user a call is for in the details), in a fixed order.
func parties(c *providers.Call) [8]*providers.Party {
	r := &c.Route
	return [8]*providers.Party{&c.From, &c.To, &r.Dialled, &r.RoutedTo, &r.OnBehalfOf, &r.Transferor, &r.Observed, &r.Organizer}
}

func (b *nameBook) fill(p, before providers.Party) providers.Party {
	if !p.Labelled() {
		return p
	}
	if !before.Labelled() && before.Name != "" && strings.EqualFold(before.ID, p.ID) {
		p.Name = before.Name
		return p
	}
	if b.lookup == nil {
		return p
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if name, ok := b.cacheLocked().get(userKey(p.ID), b.now()); ok && name != "" {
		p.Name = name
	}
	return p
}

// askNames hands the call's unnamed users to the workers, and applies at
// once any name the cache already holds.
func (p *Provider) askNames(ctx context.Context, sink providers.Sink, call providers.Call) {
	for _, f := range p.names.want(call) {
		p.applyName(ctx, sink, f)
	}
}

// applyName gives a user's name to the calls that show the user as a label,
// each as a new snapshot. It runs on the goroutine that applies
// notifications, so snapshots of a call are emitted in version order.
func (p *Provider) applyName(ctx context.Context, sink providers.Sink, f nameFound) {
	for _, id := range f.calls {
		// Only a call the ledger still holds: Update would start a new one.
		// Calls are forgotten only long after they end, and an ended call
		// takes no change, so nothing is forgotten between these two steps.
		if c, ok := p.ledger.Get(id); !ok || !c.State.Live() {
			continue
		}
		call, changed := p.ledger.Update(id, func(c *providers.Call) {
			for _, party := range parties(c) {
				*party = withName(*party, f)
			}
			// The queue column may show what was dialled, or whom the
			// call is for, by its label.
			if q := routeQueue(&c.Route); q != "" {
				c.Queue = q
			}
		})
		if changed {
			providers.Emit(ctx, sink, providers.CallEvent(p.opts.Now(), call))
		}
	}
}

func withName(p providers.Party, f nameFound) providers.Party {
	if p.Labelled() && strings.EqualFold(p.ID, f.userID) {
		p.Name = f.name
	}
	return p
}

// resolvable reports whether p is a directory user worth looking up.
func resolvable(p providers.Party) bool {
	return p.Labelled() && p.Kind == providers.KindUser && providers.IsGUID(p.ID)
}

// want asks for the names of call's parties that show as labels. It never
// blocks: an id goes to the workers' queue, or joins a lookup already under
// way, or is dropped (and counted) when the queue is full. Names already in
// the cache are returned, to be applied at once.
func (b *nameBook) want(call providers.Call) []nameFound {
	if b.lookup == nil || b.queue == nil || !call.State.Live() {
		return nil
	}
	var hits []nameFound
	ps := parties(&call)
	for i, p := range ps {
		if !resolvable(*p) || seenBefore(ps, i) {
			continue
		}
		if name, ok := b.request(p.ID, call.ID); ok {
			hits = append(hits, nameFound{userID: p.ID, name: name, calls: []string{call.ID}})
		}
	}
	return hits
}

// seenBefore reports whether the user at ps[i] is also at an earlier
// index: a recording invite names the observed participant twice, as the
// source and as observed, and one user needs one lookup.
func seenBefore(ps [8]*providers.Party, i int) bool {
	for _, q := range ps[:i] {
		if resolvable(*q) && strings.EqualFold(q.ID, ps[i].ID) {
			return true
		}
	}
	return false
}

// request queues userID's lookup for callID; ok says the name is known.
func (b *nameBook) request(userID, callID string) (name string, ok bool) {
	key := userKey(userID)
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Before(b.deniedUntil) {
		return "", false
	}
	if name, cached := b.cacheLocked().get(key, now); cached {
		return name, name != "" // a miss: not asked again until it expires
	}
	if waiting, busy := b.pending[key]; busy {
		if len(waiting) < nameWaitersMax && !slices.Contains(waiting, callID) {
			b.pending[key] = append(waiting, callID)
		}
		return "", false
	}
	select {
	case b.queue <- userID:
		b.pending[key] = []string{callID}
	default:
		n := b.dropped.Add(1)
		b.logDropped.Do(func() {
			b.log.Warn("graph: too many callers' names to look up at once; the rest keep their labels",
				"dropped", n, "queue", cap(b.queue))
		})
	}
	return "", false
}

// start makes the queues and starts the workers; they stop when ctx ends.
// It must return before the goroutine that calls want starts.
func (b *nameBook) start(ctx context.Context, wg *sync.WaitGroup) {
	if b.lookup == nil {
		return
	}
	b.queue = make(chan string, b.queueSize)
	b.found = make(chan nameFound, b.queueSize)
	var workers sync.WaitGroup
	for range b.workers {
		workers.Go(func() { b.work(ctx) })
	}
	wg.Go(func() {
		workers.Wait()
		// Forget ids that were queued or under way: a later Run starts
		// afresh instead of waiting for lookups nobody will finish.
		b.mu.Lock()
		clear(b.pending)
		b.mu.Unlock()
	})
}

// results delivers names found; nil (never ready) when resolution is off.
func (b *nameBook) results() <-chan nameFound { return b.found }

func (b *nameBook) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-b.queue:
			if f, ok := b.resolve(ctx, id); ok {
				select {
				case b.found <- f:
				case <-ctx.Done():
					return
				}
			}
		}
	}
}

// resolve looks userID up and records the outcome. ok is false when there
// is no name to apply.
func (b *nameBook) resolve(ctx context.Context, userID string) (nameFound, bool) {
	key := userKey(userID)
	if b.denied() {
		b.finish(key, "", false)
		return nameFound{}, false
	}
	lctx, cancel := context.WithTimeout(ctx, b.timeout)
	name, err := b.lookup(lctx, userID)
	cancel()
	if ctx.Err() != nil {
		return nameFound{}, false // stopping: start's cleanup forgets the rest
	}
	if err != nil {
		b.failed(userID, err)
		b.finish(key, "", true)
		return nameFound{}, false
	}
	name = cleanName(name)
	if name == "" {
		b.log.Debug("graph: the directory has no display name for a caller", "user", userID)
	}
	waiting := b.finish(key, name, true)
	if name == "" || len(waiting) == 0 {
		return nameFound{}, false
	}
	return nameFound{userID: userID, name: name, calls: waiting}, true
}

// finish ends key's lookup, remembering name ("" for a miss) when cache is
// set, and returns the calls that waited for it.
func (b *nameBook) finish(key, name string, cache bool) []string {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if cache {
		ttl := b.hitTTL
		if name == "" {
			ttl = b.missTTL
		}
		b.cacheLocked().put(key, name, now.Add(ttl))
	}
	waiting := b.pending[key]
	delete(b.pending, key)
	return waiting
}

func (b *nameBook) denied() bool {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	return now.Before(b.deniedUntil)
}

// failed logs a failed lookup. Graph's 403 means the app lacks the
// permission: said once, with what to do, and no lookups for a while.
func (b *nameBook) failed(userID string, err error) {
	if callapi.IsForbidden(err) {
		b.mu.Lock()
		b.deniedUntil = b.now().Add(b.deniedPause)
		b.mu.Unlock()
		b.deniedOnce.Do(func() {
			b.log.Warn("graph: cannot read callers' names: grant the app the User.Read.All application permission "+
				"with admin consent, or leave out --graph-resolve-names; callers show as labels meanwhile",
				"err", err, "retry_in", b.deniedPause)
		})
		return
	}
	level := slog.LevelWarn
	if errors.Is(err, context.DeadlineExceeded) {
		level = slog.LevelInfo // a slow directory: the label stays, nothing to fix here
	}
	b.log.Log(context.Background(), level, "graph: could not look up a caller's name; the call keeps its label",
		"user", userID, "err", err, "retry_after", b.missTTL)
}

// cacheLen is how many names and misses are remembered.
func (b *nameBook) cacheLen() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cacheLocked().len()
}

func (b *nameBook) cacheLocked() *nameCache {
	if b.cache == nil {
		b.cache = newNameCache(b.cacheSize)
	}
	return b.cache
}

// cleanName makes a display name from the directory safe and short to show
// (textsafe.Line), cut at nameMaxRunes.
func cleanName(s string) string { return textsafe.Cut(textsafe.Line(s), nameMaxRunes) }

// nameCache is a size-capped cache with expiry: the least recently used
// entry goes when it is full, and an expired entry counts as absent.
type nameCache struct {
	size  int
	order *list.List // of *nameEntry, most recently used first
	byKey map[string]*list.Element
}

type nameEntry struct {
	key     string
	name    string // "" records a failed lookup
	expires time.Time
}

func newNameCache(size int) *nameCache {
	return &nameCache{size: max(size, 1), order: list.New(), byKey: make(map[string]*list.Element)}
}

// get returns key's entry if it has not expired at now.
func (c *nameCache) get(key string, now time.Time) (string, bool) {
	el, ok := c.byKey[key]
	if !ok {
		return "", false
	}
	e := el.Value.(*nameEntry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.byKey, key)
		return "", false
	}
	c.order.MoveToFront(el)
	return e.name, true
}

func (c *nameCache) put(key, name string, expires time.Time) {
	if el, ok := c.byKey[key]; ok {
		e := el.Value.(*nameEntry)
		e.name, e.expires = name, expires
		c.order.MoveToFront(el)
		return
	}
	c.byKey[key] = c.order.PushFront(&nameEntry{key: key, name: name, expires: expires})
	for c.order.Len() > c.size {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.byKey, old.Value.(*nameEntry).key)
	}
}

func (c *nameCache) len() int { return c.order.Len() }
