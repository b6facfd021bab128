package graph

import (
	"sync"
	"sync/atomic"
)

// legacyCalls counts incoming calls that arrived in the calling platform's
// older, pre-Graph format and were answered 204 No Content, as Microsoft's
// protocol determination rule asks: the platform then sends the same call
// again in the Graph format, and the console shows that one. Each call id is
// logged once, however often the platform tries it; the ids remembered for
// that are bounded.
type legacyCalls struct {
	count atomic.Uint64

	mu    sync.Mutex
	seen  map[string]struct{}
	order []string // the remembered ids, oldest first, at most maxLegacyIDs
}

// maxLegacyIDs bounds the ids remembered to log each call once. The platform
// resends a legacy call at once, so only the most recent ids matter.
const maxLegacyIDs = 256

// note counts one legacy call and reports whether its id is new, so that
// the caller logs it; total is the count so far.
func (l *legacyCalls) note(id string) (first bool, total uint64) {
	total = l.count.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen[id]; ok {
		return false, total
	}
	if l.seen == nil {
		l.seen = make(map[string]struct{}, maxLegacyIDs)
	}
	if len(l.order) == maxLegacyIDs {
		delete(l.seen, l.order[0])
		l.order = append(l.order[:0], l.order[1:]...)
	}
	l.seen[id] = struct{}{}
	l.order = append(l.order, id)
	return true, total
}

// LegacyCalls is how many notifications arrived in the legacy (pre-Graph)
// format and were answered 204 No Content without being processed.
func (p *Provider) LegacyCalls() uint64 { return p.legacy.count.Load() }
