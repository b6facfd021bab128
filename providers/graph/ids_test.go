package graph

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Every spelling of a call's id lands on the spelling first seen; ids that
// differ after case and dashes are put aside stay apart.
func TestIDBookSpellings(t *testing.T) {
	b := newIDBook(100)
	first := "57dab8b1-894c-409a-b240-bd8beae78896"
	if got := b.resolve(first); got != first {
		t.Fatalf("a new id resolves to %q", got)
	}
	for _, same := range []string{"57DAB8B1894C409AB240BD8BEAE78896", "57DAB8B1-894C-409A-B240-BD8BEAE78896", "57dab8b1894c409ab240bd8beae78896", "5-7dab8b1894c409ab240bd8beae7889-6"} {
		if got := b.resolve(same); got != first {
			t.Errorf("%s resolves to %q, want %q", same, got, first)
		}
		if got, ok := b.lookup(same); !ok || got != first {
			t.Errorf("lookup %s: %q %v", same, got, ok)
		}
	}
	for _, other := range []string{
		"57dab8b1-894c-409a-b240-bd8beae78897",  // another GUID
		"57dab8b1-894c-409a-b240-bd8beae7889",   // 31 digits
		"57dab8b1-894c-409a-b240-bd8beae788960", // 33 digits
		"57dab8b1-894c-409a-b240-bd8beae7889g",  // not hex
		"call-1",
	} {
		if got := b.resolve(other); got != other {
			t.Errorf("%s resolves to %q", other, got)
		}
	}
	if got := b.resolve("CALL1"); got != "call-1" {
		t.Errorf("CALL1 resolves to %q, want call-1 (case and dashes aside)", got)
	}
}

// The book's keys are equal exactly when the ids' comparison forms are,
// GUID or not.
func TestIDBookKeysFollowTheComparisonForm(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	alphabet := "0123456789abcdefABCDEF-gG"
	spell := func() string {
		n := 30 + r.IntN(8)
		var sb strings.Builder
		for range n {
			sb.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		return sb.String()
	}
	for range 100000 {
		a, b := spell(), spell()
		if r.IntN(2) == 0 { // the same id spelt otherwise
			b = strings.ToUpper(strings.ReplaceAll(a, "-", ""))
		}
		var ba, bb [64]byte
		sameKey := keyOf(appendKey(ba[:0], a)) == keyOf(appendKey(bb[:0], b))
		if sameForm := idKey(a) == idKey(b); sameKey != sameForm {
			t.Fatalf("%q and %q: same key %v, same comparison form %v", a, b, sameKey, sameForm)
		}
	}
}

// A GUID's key holds no string: the book allocates nothing per call for
// its keys, and keeps nothing the garbage collector must visit.
func TestIDBookKeepsNoStringForAGUID(t *testing.T) {
	b := newIDBook(1 << 20)
	ids := make([]string, 10000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
	}
	i := 0 // AllocsPerRun runs it once more, to warm up: every id once
	allocs := testing.AllocsPerRun(len(ids)-1, func() {
		b.resolve(ids[i])
		i++
	})
	// What is left is the map and the list growing now and then.
	if allocs >= 0.5 {
		t.Errorf("%.2f allocations per new call", allocs)
	}
	if len(b.byOther) != 0 || len(b.oddGUID) != 0 || len(b.byGUID) != len(ids) {
		t.Fatalf("%d GUIDs kept by their 16 bytes, %d as strings, %d in odd spellings", len(b.byGUID), len(b.byOther), len(b.oddGUID))
	}
}

// A GUID's first spelling comes back byte for byte whichever spelling asks,
// in each form the book keeps by its bytes and in odd ones, and an odd
// spelling is forgotten with its GUID.
func TestIDBookSpellsGUIDsAsFirstSeen(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	variants := func(guid string) []string {
		plain := strings.ReplaceAll(guid, "-", "")
		mixed := []byte(guid)
		for i := range mixed {
			if r.IntN(2) == 0 {
				mixed[i] = strings.ToUpper(string(mixed[i]))[0]
			}
		}
		return []string{guid, strings.ToUpper(guid), plain, strings.ToUpper(plain), string(mixed),
			"-" + plain, plain[:5] + "-" + plain[5:]}
	}
	b := newIDBook(1 << 20)
	for range 2000 {
		var g [16]byte
		for i := range g {
			g[i] = byte(r.Uint32())
		}
		if r.IntN(8) == 0 {
			g = [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, byte(r.IntN(10))} // digits only
		}
		guid := spell(g, guidLowerDashed)
		vs := variants(guid)
		first := vs[r.IntN(len(vs))]
		if _, ok := b.lookup(first); ok {
			continue // drawn before
		}
		if got := b.resolve(first); got != first {
			t.Fatalf("new %s resolves to %q", first, got)
		}
		for _, v := range vs {
			if got := b.resolve(v); got != first {
				t.Fatalf("%s resolves to %q, want %q", v, got, first)
			}
			if got, ok := b.lookup(v); !ok || got != first {
				t.Fatalf("lookup %s: %q %v, want %q", v, got, ok, first)
			}
		}
	}
	small := newIDBook(2)
	small.resolve("-57dab8b1894c409ab240bd8beae78896")
	for i := range 10 {
		small.resolve(fmt.Sprintf("%032x", i))
	}
	if len(small.oddGUID) != 0 {
		t.Errorf("an odd spelling outlived its GUID: %v", small.oddGUID)
	}
}

// Beyond its limit the book forgets the oldest calls, in chunks.
func TestIDBookForgets(t *testing.T) {
	b := newIDBook(8)
	for i := range 100 {
		b.resolve(fmt.Sprintf("%032x", i))
	}
	if n := b.size(); n > 8+8/4 || n < 8 {
		t.Errorf("%d ids remembered, limit 8", n)
	}
	if _, ok := b.lookup(fmt.Sprintf("%032X", 99)); !ok {
		t.Error("the newest id was forgotten")
	}
	if _, ok := b.lookup(fmt.Sprintf("%032x", 0)); ok {
		t.Error("the oldest id is still remembered")
	}
}

// runeKey is the comparison form as it was first written, a rune at a
// time: the reference appendKey must agree with.
func runeKey(id string) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r == '-':
		case r >= 'A' && r <= 'Z':
			b.WriteByte(byte(r - 'A' + 'a'))
		case r < 0x80:
			b.WriteByte(byte(r))
		default:
			b.WriteString(strings.ToLower(string(r)))
		}
	}
	return b.String()
}

func TestAppendKeyMatchesRunes(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	pieces := []string{"a", "F", "-", "0", "Ä", "ß", "İ", "K", "\xff", "\xc3", "\u2028", "z", ":"}
	for range 100000 {
		var sb strings.Builder
		for range r.IntN(12) {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		id := sb.String()
		if got, want := idKey(id), runeKey(id); got != want {
			t.Fatalf("%q: %q, want %q", id, got, want)
		}
	}
}
