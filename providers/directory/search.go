package directory

import (
	"slices"
	"strings"

	"github.com/sahilm/fuzzy"

	"ringside/providers"
)

// Match is one entry a search found.
type Match struct {
	Target providers.Target
	// Matched are the byte offsets in Target.Name of the characters the
	// query matched, for highlighting; nil when the entry was found by its
	// number or the query was empty.
	Matched []int
	// Score ranks name matches (higher is better); 0 for the others.
	Score int
}

// Search finds the entries a picker offers for query, best first, at most
// limit of them (all when limit <= 0):
//
//   - names matched fuzzily, with the matcher bubbles' list uses
//     (github.com/sahilm/fuzzy: the query's characters in order, case
//     ignored, ranked by how closely and where they match), ties in file
//     order;
//   - then, when the query looks like a number, the other entries whose
//     phone or Genesys number contains its digits, in file order.
//
// An empty query lists the entries in file order.
func (d *Directory) Search(query string, limit int) []Match {
	if d.Len() == 0 {
		return nil
	}
	query = strings.TrimSpace(query)
	if limit <= 0 || limit > len(d.entries) {
		limit = len(d.entries)
	}
	if query == "" {
		out := make([]Match, limit)
		for i := range out {
			out[i] = Match{Target: d.entries[i]}
		}
		return out
	}
	var out []Match
	found := make(map[int]bool)
	for _, m := range fuzzy.FindFrom(query, names(d.entries)) {
		if len(out) == limit {
			return out
		}
		out = append(out, Match{Target: d.entries[m.Index], Matched: slices.Clone(m.MatchedIndexes), Score: m.Score})
		found[m.Index] = true
	}
	digits, ok := numberQuery(query)
	if !ok {
		return out
	}
	for i, t := range d.entries {
		if len(out) == limit {
			break
		}
		if found[i] {
			continue
		}
		if strings.Contains(t.Phone, digits) || strings.Contains(t.GenesysNumber, digits) {
			out = append(out, Match{Target: t})
		}
	}
	return out
}

// names is the entries' names as a fuzzy.Source, without copying them.
type names []providers.Target

func (n names) String(i int) string { return n[i].Name }
func (n names) Len() int            { return len(n) }

// numberQuery reports whether q is (the start of) a number, and its dial
// characters without the separators people type ("+44 20", "(425) 555").
func numberQuery(q string) (string, bool) {
	var b strings.Builder
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9', r == '*', r == '#':
			b.WriteRune(r)
		case r == ' ', r == '-', r == '.', r == '(', r == ')':
		case r == '+' && b.Len() == 0:
			// A leading + is not in a switch's number; matching on the
			// digits finds both forms.
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}
