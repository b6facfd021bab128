package graph

import (
	"encoding/hex"
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
	// directly, and holds no pointer in its keys. Nor in its values: a
	// GUID's first spelling is kept as its form (guidForm), from which the
	// 16 bytes spell it again, so the garbage collector has nothing to
	// visit in the book's largest part on each of its cycles. Only a
	// spelling in no form of guidForm's is kept as a string, in oddGUID.
	byGUID  map[[16]byte]guidForm
	oddGUID map[[16]byte]string
	byOther map[string]string
	order   []bookKey // oldest first, to forget beyond limit
}

// guidForm is how a GUID was spelled: lower or upper case hex digits, with
// dashes as in 57dab8b1-894c-409a-b240-bd8beae78896 or without. A GUID
// with no letter among its digits is lower case.
type guidForm uint8

const (
	guidOdd guidForm = iota // none of the forms below: the spelling is in oddGUID
	guidLowerDashed
	guidUpperDashed
	guidLowerPlain
	guidUpperPlain
)

// formOf is the form of id, the spelling of a GUID.
func formOf(id string) guidForm {
	dashed := len(id) == 36
	if !dashed && len(id) != 32 {
		return guidOdd
	}
	var lower, upper bool
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case dashed && (i == 8 || i == 13 || i == 18 || i == 23):
			if c != '-' {
				return guidOdd
			}
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'f':
			lower = true
		case c >= 'A' && c <= 'F':
			upper = true
		default:
			return guidOdd
		}
	}
	switch {
	case lower && upper:
		return guidOdd
	case upper && dashed:
		return guidUpperDashed
	case upper:
		return guidUpperPlain
	case dashed:
		return guidLowerDashed
	}
	return guidLowerPlain
}

// spell writes guid in form f (not guidOdd). Only an id spelled otherwise
// than its first spelling comes here: rare, so plain rather than quick.
func spell(guid [16]byte, f guidForm) string {
	h := hex.EncodeToString(guid[:])
	if f == guidLowerDashed || f == guidUpperDashed {
		h = h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	}
	if f == guidUpperDashed || f == guidUpperPlain {
		h = strings.ToUpper(h)
	}
	return h
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
	return &idBook{limit: limit, byGUID: make(map[[16]byte]guidForm), oddGUID: make(map[[16]byte]string),
		byOther: make(map[string]string)}
}

// get returns the id filed under key, which is id's.
func (b *idBook) get(key bookKey, id string) (string, bool) {
	if key.other != "" {
		first, ok := b.byOther[key.other]
		return first, ok
	}
	f, ok := b.byGUID[key.guid]
	switch {
	case !ok:
		return "", false
	case f == guidOdd:
		return b.oddGUID[key.guid], true
	case formOf(id) == f:
		// Same digits in the same form: id is spelled as the first was,
		// byte for byte. The common case, with no string made.
		return id, true
	}
	return spell(key.guid, f), true
}

func (b *idBook) put(key bookKey, id string) {
	switch {
	case key.other != "":
		b.byOther[key.other] = id
	case formOf(id) == guidOdd:
		b.byGUID[key.guid] = guidOdd
		b.oddGUID[key.guid] = id
	default:
		b.byGUID[key.guid] = formOf(id)
	}
}

func (b *idBook) forget(key bookKey) {
	if key.other != "" {
		delete(b.byOther, key.other)
	} else {
		delete(b.byGUID, key.guid)
		delete(b.oddGUID, key.guid)
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
	if first, ok := b.get(key, id); ok {
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
	return b.get(key, id)
}
