package stats

import "ringside/providers/textsafe"

// QueueName is the name under which a call whose Call.Queue is field is
// counted: field itself, Direct when it is empty, cut as a Counter cuts a
// long name. The console uses it to list the calls of one queue of the
// figures. (Calls a Counter counts under Overflow, past MaxQueues names,
// have no one name that selects them.)
func QueueName(field string) string {
	switch {
	case field == "":
		return Direct
	case len(field) > maxQueueName:
		return textsafe.Cut(field, maxQueueName)
	}
	return field
}
