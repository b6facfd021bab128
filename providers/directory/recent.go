package directory

import (
	"slices"
	"strings"

	"ringside/providers"
)

// DefaultRecent is how many recent targets a zero Recent keeps.
const DefaultRecent = 5

// Recent is the last few targets used, most recent first, each destination
// once. It is a value: With returns a new list and leaves the old one as it
// was, so a console model can hold it and copy it freely.
type Recent struct {
	max   int
	items []providers.Target
}

// NewRecent keeps up to max targets: DefaultRecent when max is 0, none
// when it is below 0.
func NewRecent(max int) Recent { return Recent{max: max} }

func (r Recent) limit() int {
	switch {
	case r.max == 0:
		return DefaultRecent
	case r.max < 0:
		return 0
	}
	return r.max
}

// With is the list after t was used: t first, an earlier use of the same
// destination dropped, the oldest dropped beyond the limit.
func (r Recent) With(t providers.Target) Recent {
	if r.limit() == 0 {
		return r
	}
	items := make([]providers.Target, 0, r.limit())
	items = append(items, t)
	for _, old := range r.items {
		if len(items) == r.limit() {
			break
		}
		if sameDestination(old, t) {
			continue
		}
		items = append(items, old)
	}
	return Recent{max: r.max, items: items}
}

// List returns the targets, most recent first.
func (r Recent) List() []providers.Target { return slices.Clone(r.items) }

// Len is how many targets the list holds.
func (r Recent) Len() int { return len(r.items) }

// sameDestination reports whether a and b send a call to the same place,
// whatever they are called: "+44 20 7946 0000" typed twice, or a directory
// entry chosen under a name that changed.
func sameDestination(a, b providers.Target) bool {
	return a.Kind == b.Kind && strings.EqualFold(a.GraphID, b.GraphID) && a.Phone == b.Phone && a.GenesysNumber == b.GenesysNumber
}
