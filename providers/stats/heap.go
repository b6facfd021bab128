package stats

// arrivalHeap is a binary heap of calls (their slots in Counter.recs) keyed
// by arrival time: the earliest on top, or the latest when latest is set.
// Each call keeps its position in the heap (ringPos or slPos of its link),
// so it leaves in O(log n) when it stops ringing, wherever it is. An item
// carries its call's arrival, so sifting compares without reading records.
type arrivalHeap struct {
	items  []heapItem
	latest bool // the latest arrival on top
	sl     bool // positions live in link.slPos, else link.ringPos
}

type heapItem struct {
	arrived int64 // the call's facts.arrived
	slot    int32
}

func (h *arrivalHeap) len() int { return len(h.items) }

// top is the call on top and its arrival; call only when len() > 0.
func (h *arrivalHeap) top() (slot int32, arrived int64) {
	return h.items[0].slot, h.items[0].arrived
}

func (h *arrivalHeap) before(a, b heapItem) bool {
	if h.latest {
		return a.arrived > b.arrived
	}
	return a.arrived < b.arrived
}

func (h *arrivalHeap) setPos(links []link, i int) {
	l := &links[h.items[i].slot]
	if h.sl {
		l.slPos = int32(i)
	} else {
		l.ringPos = int32(i)
	}
}

func (h *arrivalHeap) pos(l *link) int32 {
	if h.sl {
		return l.slPos
	}
	return l.ringPos
}

func (h *arrivalHeap) push(links []link, slot int32, arrived int64) {
	h.items = append(h.items, heapItem{arrived: arrived, slot: slot})
	i := len(h.items) - 1
	h.setPos(links, i)
	h.up(links, i)
}

// remove takes slot out of the heap; it must be in it.
func (h *arrivalHeap) remove(links []link, slot int32) {
	i := int(h.pos(&links[slot]))
	last := len(h.items) - 1
	if i != last {
		h.items[i] = h.items[last]
		h.setPos(links, i)
	}
	h.items = h.items[:last]
	if h.sl {
		links[slot].slPos = -1
	} else {
		links[slot].ringPos = -1
	}
	if i != last {
		if !h.down(links, i) {
			h.up(links, i)
		}
	}
	// A heap that emptied after a burst gives its memory back.
	if len(h.items) == 0 && cap(h.items) > 1024 {
		h.items = nil
	}
}

func (h *arrivalHeap) up(links []link, i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.before(h.items[i], h.items[parent]) {
			return
		}
		h.items[i], h.items[parent] = h.items[parent], h.items[i]
		h.setPos(links, i)
		h.setPos(links, parent)
		i = parent
	}
}

// down sifts the item at i down and reports whether it moved.
func (h *arrivalHeap) down(links []link, i int) bool {
	start, n := i, len(h.items)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		if right := child + 1; right < n && h.before(h.items[right], h.items[child]) {
			child = right
		}
		if !h.before(h.items[child], h.items[i]) {
			break
		}
		h.items[i], h.items[child] = h.items[child], h.items[i]
		h.setPos(links, i)
		h.setPos(links, child)
		i = child
	}
	return i > start
}
