package ui

// queueFilterPane is the limit to one queue's calls that enter sets on the
// Queues view: the live and history lists show only the calls counted under
// that queue (with the text filter, if one is kept, on top). It has no line
// of its own; the tab strip names the queue, and esc lifts the limit. The
// limit itself lives in the store's query, beside the filter's words.
type queueFilterPane struct{ paneBase }

func (*queueFilterPane) open(m *Model) bool { return m.store.query.queue != "" }
func (*queueFilterPane) close(m *Model)     { m.store.setQueue("") }

func (q *queueFilterPane) backLabel(m *Model) string {
	if q.open(m) {
		return "all queues"
	}
	return ""
}
