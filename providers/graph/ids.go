package graph

import (
	"strings"
	"sync"
)

// idBook maps every spelling of a call id to the spelling first seen. Graph
// writes the same call as 57DAB8B1894C409AB240BD8BEAE78896 in old /app paths
// and as 57dab8b1-894c-409a-b240-bd8beae78896 in current ones; both must land
// on one row. The first spelling is kept as the call's id because it is one
// Graph itself used. It is safe for concurrent use.
type idBook struct {
	limit int

	mu    sync.Mutex
	byKey map[string]string
	order []string // keys, oldest first, to forget beyond limit
}

func newIDBook(limit int) *idBook {
	return &idBook{limit: limit, byKey: make(map[string]string)}
}

// idKey is the comparison form of an id: lower case, without dashes.
func idKey(id string) string { return string(appendKey(nil, id)) }

// appendKey appends id's comparison form to dst.
func appendKey(dst []byte, id string) []byte {
	for _, r := range id {
		switch {
		case r == '-':
		case r >= 'A' && r <= 'Z':
			dst = append(dst, byte(r-'A'+'a'))
		case r < 0x80:
			dst = append(dst, byte(r))
		default:
			dst = append(dst, strings.ToLower(string(r))...)
		}
	}
	return dst
}

// resolve returns the call's id as first seen, recording id if it is new.
func (b *idBook) resolve(id string) string {
	// The key is built on the stack and looked up without a copy; only a
	// new call's key is kept. Each notification of a call resolves its id.
	var buf [64]byte
	k := appendKey(buf[:0], id)
	b.mu.Lock()
	defer b.mu.Unlock()
	if first, ok := b.byKey[string(k)]; ok {
		return first
	}
	key := string(k)
	b.byKey[key] = id
	b.order = append(b.order, key)
	// Forget in chunks so the cost per new call stays constant.
	if len(b.order) > b.limit+b.limit/4 {
		drop := len(b.order) - b.limit
		for _, k := range b.order[:drop] {
			delete(b.byKey, k)
		}
		b.order = append([]string(nil), b.order[drop:]...)
	}
	return id
}

// lookup returns the id as first seen, if any spelling of it was.
func (b *idBook) lookup(id string) (string, bool) {
	var buf [64]byte
	k := appendKey(buf[:0], id)
	b.mu.Lock()
	defer b.mu.Unlock()
	first, ok := b.byKey[string(k)]
	return first, ok
}
