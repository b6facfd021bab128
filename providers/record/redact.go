package record

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"ringside/providers"
)

// Redactor replaces what identifies a person in a recording by stable
// pseudonyms (--record-redact): the same name, number or id gives the same
// pseudonym throughout one recording, and a pseudonym cannot be turned back
// into what it replaced, since it is an HMAC under a key drawn at random for
// the recording and never written anywhere.
//
// What is replaced, and by what:
//
//   - call ids: a GUID by another GUID, anything else by "call-" and 16 hex
//     digits, so CheckCallID takes them and two calls never share one;
//   - a party's id: an E.164 number by a fictional number (see
//     fictionalNumber), a GUID (bare, in braces or behind a Teams prefix
//     such as "8:orgid:") by another GUID, an e-mail address by one at
//     example.com, digits by as many digits (an extension), anything
//     else by "id-" and 12 hex digits;
//   - a party's name by "Caller 0042" (a phone), "User 0042", "Guest 0042"
//     or "Party 0042", four digits of its HMAC (two people may now and then
//     share a name; never an id); a name that is the party's number is the
//     number's pseudonym;
//   - a transfer or redirect target, as a party of its kind.
//
// Queues are kept whole (the queue, and a party of kind queue, name and
// id): a queue is a place in the contact centre, not a person. So is a
// party of kind application (a bot, a resource account), by name; its id
// is replaced. End texts, codes, states, times, modalities and regions are
// kept.
//
// Free text (an end reason's words, a status's detail and warning, an
// action's error) is scrubbed: every name, number and id this recording has
// replaced so far (the last 4,096) is replaced there too, and so is
// anything shaped like a GUID, a phone number (a "+" and 8 or more digits,
// or 10 digits in a row) or an e-mail address. A server's message quoted
// in an action's error is dropped, its status and code kept (see Error).
type Redactor struct {
	key []byte

	mu    sync.Mutex
	known map[string]string // original → pseudonym, for free text
	order []string          // keys of known, oldest first, to forget beyond maxKnown
}

// maxKnown bounds what free text is scrubbed of beyond its shapes: the
// names and ids of the calls a console still shows.
const maxKnown = 4096

// NewRedactor returns a redactor with a fresh random key.
func NewRedactor() (*Redactor, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("record: redaction key: %w", err)
	}
	return newRedactorWithKey(key), nil
}

func newRedactorWithKey(key []byte) *Redactor {
	return &Redactor{key: key, known: make(map[string]string)}
}

// sum is the HMAC of value in the given domain: the same value gets
// unrelated pseudonyms as a name and as an id.
func (r *Redactor) sum(domain, value string) []byte {
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// remember notes that original was replaced by pseudonym, for free text.
func (r *Redactor) remember(original, pseudonym string) {
	if len(original) < 2 || original == pseudonym {
		return // a single character is no one's name and would be found everywhere
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.known[original]; ok {
		return
	}
	if len(r.order) >= maxKnown {
		delete(r.known, r.order[0])
		r.order = r.order[1:]
	}
	r.known[original] = pseudonym
	r.order = append(r.order, original)
}

// Call returns c with its ids, parties and end words redacted.
func (r *Redactor) Call(c providers.Call) providers.Call {
	c = c.Clone()
	c.ID = r.CallID(c.ID)
	c.From, c.To = r.Party(c.From), r.Party(c.To)
	rt := &c.Route
	for _, p := range []*providers.Party{&rt.Dialled, &rt.RoutedTo, &rt.OnBehalfOf, &rt.Transferor, &rt.Observed, &rt.Organizer} {
		*p = r.Party(*p)
	}
	rt.SourceParticipant = r.ID(rt.SourceParticipant)
	c.End.Text = r.Text(c.End.Text)
	return c
}

// CallID is the pseudonym of a call id.
func (r *Redactor) CallID(id string) string {
	if id == "" {
		return ""
	}
	var p string
	if providers.IsGUID(id) {
		p = r.guid(id)
	} else {
		p = "call-" + hex.EncodeToString(r.sum("call", id)[:8])
	}
	r.remember(id, p)
	return p
}

// Party returns p with its name and id redacted by its kind.
func (r *Redactor) Party(p providers.Party) providers.Party {
	if p.IsZero() || p.Kind == providers.KindQueue {
		return p
	}
	name, id := p.Name, p.ID
	p.ID = r.ID(id)
	switch {
	case name == "" || p.Kind == providers.KindApplication:
	case name == id:
		p.Name = p.ID
	case isPhoneText(name):
		p.Name = r.number(name)
	default:
		p.Name = r.name(p.Kind, name)
	}
	r.remember(name, p.Name)
	return p
}

// Target is the pseudonym of a transfer or redirect target's name, as the
// status line would show it; a queue or application target is kept.
func (r *Redactor) Target(t providers.Target) string {
	name := t.String()
	switch {
	case t.Kind == providers.TargetQueue || t.Kind == providers.TargetApplication:
		return name
	case isPhoneText(name):
		p := r.number(name)
		r.remember(name, p)
		return p
	case providers.IsGUID(name):
		p := r.guid(name)
		r.remember(name, p)
		return p
	}
	kind := providers.KindUser
	if t.Kind == providers.TargetPhone {
		kind = providers.KindPhone
	}
	p := r.name(kind, name)
	r.remember(name, p)
	return p
}

// ID is the pseudonym of a party's id, shaped like it.
func (r *Redactor) ID(id string) string {
	if id == "" {
		return ""
	}
	var p string
	switch prefix, rest := splitMRI(id); {
	case isPhoneText(id):
		p = r.number(id)
	case providers.IsGUID(rest):
		p = prefix + r.guid(rest)
	case len(rest) == 38 && rest[0] == '{' && rest[37] == '}' && providers.IsGUID(rest[1:37]):
		p = prefix + "{" + r.guid(rest[1:37]) + "}"
	case emailRE.MatchString(id):
		p = r.email(id)
	case strings.Trim(id, "0123456789") == "":
		p = r.digits(id)
	default:
		p = "id-" + hex.EncodeToString(r.sum("id", id)[:6])
	}
	r.remember(id, p)
	return p
}

// guid is a version-4-shaped GUID for a GUID, the same whatever its case.
func (r *Redactor) guid(g string) string {
	b := r.sum("guid", strings.ToLower(g))[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// name is a readable pseudonym for a person's name: a word for what sort
// of party it is and four digits.
func (r *Redactor) name(kind providers.PartyKind, name string) string {
	word := "Party"
	switch kind {
	case providers.KindPhone:
		word = "Caller"
	case providers.KindUser:
		word = "User"
	case providers.KindGuest:
		word = "Guest"
	}
	n := binary.BigEndian.Uint32(r.sum("name", name)) % 10000
	return fmt.Sprintf("%s %04d", word, n)
}

// fictionalNumber is a North American number in 555-0100 to 555-0199, the
// line numbers NANPA reserves for fictional use in every area code ("555
// NXX Line Numbers", North American Numbering Plan Administrator). The
// area code is 2-9, 0-8, 0-9 and not an N11 service code, so the number is
// a well-formed E.164 number that reaches no one.
func fictionalNumber(sum []byte) string {
	v := binary.BigEndian.Uint64(sum)
	line := v % 100
	v /= 100
	for {
		area := 200 + v%800
		v /= 800
		if area/10%10 != 9 && area%100 != 11 {
			return fmt.Sprintf("+1%03d55501%02d", area, line)
		}
		if v == 0 {
			return fmt.Sprintf("+1%03d55501%02d", 212, line)
		}
	}
}

// number is the fictional number for a number, however it was written
// (spaces, dashes and brackets between digits do not make it another).
func (r *Redactor) number(s string) string {
	digits := phoneDigits(s)
	p := fictionalNumber(r.sum("number", digits))
	if !strings.HasPrefix(strings.TrimSpace(s), "+") {
		p = p[1:] // written without the plus, it stays without
	}
	return p
}

// digits is as many digits as s has: an extension for an extension.
func (r *Redactor) digits(s string) string {
	sum := r.sum("digits", s)
	b := make([]byte, len(s))
	for i := range b {
		b[i] = '0' + sum[i%len(sum)]%10
	}
	return string(b)
}

func (r *Redactor) email(s string) string {
	return "person-" + hex.EncodeToString(r.sum("email", strings.ToLower(s))[:4]) + "@example.com"
}

// Text scrubs free text: every name, number and id replaced so far, and
// anything shaped like a GUID, a phone number or an e-mail address.
func (r *Redactor) Text(s string) string {
	if s == "" {
		return s
	}
	type span struct {
		start, end int
		with       string
	}
	var spans []span
	r.mu.Lock()
	for _, original := range r.order {
		for from := 0; ; {
			i := strings.Index(s[from:], original)
			if i < 0 {
				break
			}
			i += from
			if wordBoundary(s, i, i+len(original)) {
				spans = append(spans, span{i, i + len(original), r.known[original]})
			}
			from = i + 1
		}
	}
	r.mu.Unlock()
	for _, m := range guidRE.FindAllStringIndex(s, -1) {
		spans = append(spans, span{m[0], m[1], r.guid(s[m[0]:m[1]])})
	}
	for _, m := range phoneRE.FindAllStringIndex(s, -1) {
		spans = append(spans, span{m[0], m[1], r.number(s[m[0]:m[1]])})
	}
	for _, m := range emailRE.FindAllStringIndex(s, -1) {
		spans = append(spans, span{m[0], m[1], r.email(s[m[0]:m[1]])})
	}
	if len(spans) == 0 {
		return s
	}
	// Leftmost first, the longest of those that start together: "Ana
	// Ribeiro" goes whole, not "Ana" and then the rest.
	slices.SortFunc(spans, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	var b strings.Builder
	at := 0
	for _, sp := range spans {
		if sp.start < at {
			continue
		}
		b.WriteString(s[at:sp.start])
		b.WriteString(sp.with)
		at = sp.end
	}
	b.WriteString(s[at:])
	return b.String()
}

// Error is an action's error in words, scrubbed as Text. A refusal from
// the provider's server keeps its HTTP status and code, not its message:
// a server's message may name anyone, and nothing here can tell.
func (r *Redactor) Error(err error) string {
	var refused *providers.RefusedError
	if errors.As(err, &refused) {
		safe := &providers.RefusedError{Status: refused.Status, Code: refused.Code}
		if refused.Message != "" {
			safe.Message = "(message withheld: --record-redact)"
		}
		return r.Text(safe.Error())
	}
	return r.Text(err.Error())
}

var (
	guidRE = regexp.MustCompile(`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)
	// A "+" and 8 or more digits (separators allowed between them), or 10
	// digits in a row: a demo's seed (at most 9) is not a number.
	phoneRE = regexp.MustCompile(`\+[1-9](?:[ \-.()]?[0-9]){7,15}|\b[0-9]{10,16}\b`)
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
)

// isPhoneText reports whether s is a phone number as a whole: "+" and 8 to
// 15 digits, or 7 to 16 digits, with separators between them.
func isPhoneText(s string) bool {
	s = strings.TrimSpace(s)
	digits := phoneDigits(s)
	if strings.Trim(strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '+':
			return -1
		}
		return r
	}, s), "0123456789") != "" {
		return false
	}
	if strings.HasPrefix(s, "+") {
		return len(digits) >= 8 && len(digits) <= 15
	}
	return len(digits) >= 7 && len(digits) <= 16
}

// phoneDigits is the digits of s.
func phoneDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// splitMRI splits a Teams routing prefix ("8:orgid:", "28:") from an id.
func splitMRI(id string) (prefix, rest string) {
	i := strings.LastIndexByte(id, ':')
	if i < 0 || i > 24 {
		return "", id
	}
	head := id[:i+1]
	if head[0] < '0' || head[0] > '9' {
		return "", id
	}
	return head, id[i+1:]
}

// wordBoundary reports whether s[i:j] stands alone: no letter or digit
// right before or after it, so "Ana" is not found in "Banana".
func wordBoundary(s string, i, j int) bool {
	alnum := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	return (i == 0 || !alnum(s[i-1])) && (j == len(s) || !alnum(s[j]))
}
