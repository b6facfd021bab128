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

	mu sync.Mutex
	// GUIDs and other ids apart: a map keyed by 16 bytes hashes them
	// directly, and holds no pointer in its keys.
	byGUID  map[[16]byte]string
	byOther map[string]string
	order   []bookKey // oldest first, to forget beyond limit
}

// bookKey is an id's comparison form (idKey) as the book keeps it: a GUID,
// which Graph's call ids are, as its 16 bytes, anything else as the string.
// The book holds a key for each of tens of thousands of recent calls; keys
// without a string of their own cost no allocation, and nothing for the
// garbage collector to visit.
type bookKey struct {
	guid  [16]byte
	other string // the comparison form when it is not a GUID's
}

// keyOf is the book's key for the comparison form k.
func keyOf(k []byte) bookKey {
	var key bookKey
	if len(k) != 2*len(key.guid) {
		key.other = string(k)
		return key
	}
	for i := range key.guid {
		hi, ok1 := hexValue(k[2*i])
		lo, ok2 := hexValue(k[2*i+1])
		if !ok1 || !ok2 {
			return bookKey{other: string(k)}
		}
		key.guid[i] = hi<<4 | lo
	}
	return key
}

// hexValue reads a lower-case hex digit.
func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func newIDBook(limit int) *idBook {
	return &idBook{limit: limit, byGUID: make(map[[16]byte]string), byOther: make(map[string]string)}
}

// get returns the id filed under key.
func (b *idBook) get(key bookKey) (string, bool) {
	if key.other != "" {
		id, ok := b.byOther[key.other]
		return id, ok
	}
	id, ok := b.byGUID[key.guid]
	return id, ok
}

func (b *idBook) put(key bookKey, id string) {
	if key.other != "" {
		b.byOther[key.other] = id
	} else {
		b.byGUID[key.guid] = id
	}
}

func (b *idBook) forget(key bookKey) {
	if key.other != "" {
		delete(b.byOther, key.other)
	} else {
		delete(b.byGUID, key.guid)
	}
}

// size is how many ids the book holds.
func (b *idBook) size() int { return len(b.byGUID) + len(b.byOther) }

// idKey is the comparison form of an id: lower case, without dashes.
func idKey(id string) string { return string(appendKey(nil, id)) }

// appendKey appends id's comparison form to dst: lower case, without
// dashes. ASCII, which ids are, a byte at a time.
func appendKey(dst []byte, id string) []byte {
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c == '-':
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c-'A'+'a')
		case c < 0x80:
			dst = append(dst, c)
		default:
			return appendKeyRunes(dst, id[i:])
		}
	}
	return dst
}

// appendKeyRunes is appendKey for the rest of an id that is not ASCII.
func appendKeyRunes(dst []byte, id string) []byte {
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
	// The comparison form is built on the stack; a GUID's key holds no
	// string. Each notification of a call resolves its id.
	var buf [64]byte
	key := keyOf(appendKey(buf[:0], id))
	b.mu.Lock()
	defer b.mu.Unlock()
	if first, ok := b.get(key); ok {
		return first
	}
	b.put(key, id)
	b.order = append(b.order, key)
	// Forget in chunks so the cost per new call stays constant.
	if len(b.order) > b.limit+b.limit/4 {
		drop := len(b.order) - b.limit
		for _, k := range b.order[:drop] {
			b.forget(k)
		}
		b.order = append([]bookKey(nil), b.order[drop:]...)
	}
	return id
}

// lookup returns the id as first seen, if any spelling of it was.
func (b *idBook) lookup(id string) (string, bool) {
	var buf [64]byte
	key := keyOf(appendKey(buf[:0], id))
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.get(key)
}
