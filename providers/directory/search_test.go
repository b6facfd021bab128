package directory

import (
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/list"

	"ringside/providers"
)

func nameList(ms []Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Target.Name
	}
	return out
}

func TestSearchRanksNamesLikeBubblesList(t *testing.T) {
	d := load(t)
	all := make([]string, d.Len())
	for i, e := range d.Entries() {
		all[i] = e.Name
	}
	for _, q := range []string{"ana", "sls", "it", "e", "ri", "desk", "BOT"} {
		var want []string
		for _, r := range list.DefaultFilter(q, all) {
			want = append(want, all[r.Index])
		}
		got := d.Search(q, 0)
		if len(got) < len(want) || !slices.Equal(nameList(got[:len(want)]), want) {
			t.Errorf("Search(%q) = %q; the picker must rank names as bubbles' list does: %q", q, nameList(got), want)
		}
	}
}

func TestSearchFindsByFuzzyName(t *testing.T) {
	d := load(t)
	got := d.Search("sls", 0)
	if len(got) == 0 || got[0].Target.Name != "Sales, EMEA" {
		t.Fatalf("sls: %q", nameList(got))
	}
	if !slices.Equal(got[0].Matched, []int{0, 2, 4}) {
		t.Fatalf("matched offsets %v, want the S, l and s of Sales", got[0].Matched)
	}
	got = d.Search("it", 0)
	if got[0].Target.Name != "IT Helpdesk" {
		t.Fatalf("a match at the start ranks first: %q", nameList(got))
	}
	if got := d.Search("zzz", 5); len(got) != 0 {
		t.Fatalf("nothing matches zzz: %q", nameList(got))
	}
	// Offsets are bytes of the name, for highlighting multi-byte names.
	e, _ := Parse(strings.NewReader("name,kind,genesys\nJosé Núñez,user,5010\n"))
	m := e.Search("jn", 1)
	if len(m) != 1 || m[0].Target.Name[m[0].Matched[1]:][:1] != "N" {
		t.Fatalf("jn in José Núñez: %+v", m)
	}
}

func TestSearchFindsByNumber(t *testing.T) {
	d := load(t)
	got := d.Search("5002", 0)
	if len(got) != 1 || got[0].Target.Name != "Ana Ribeiro" || got[0].Matched != nil {
		t.Fatalf("5002: %+v", got)
	}
	got = d.Search("+1 (425) 555", 0)
	if len(got) != 1 || got[0].Target.Name != "Reception" {
		t.Fatalf("+1 (425) 555: %q", nameList(got))
	}
	// Both numbers are searched, in file order.
	got = d.Search("00", 0)
	if !slices.Equal(nameList(got), []string{"Ana Ribeiro", "James Carter", "Lena Fischer", "Reception", "Sales, EMEA", "IT Helpdesk"}) {
		t.Fatalf("00: %q", nameList(got))
	}
	got = d.Search("01", 0)
	if !slices.Equal(nameList(got), []string{"Reception", "Paris office"}) {
		t.Fatalf("01: %q", nameList(got))
	}
}

func TestSearchLimitAndEmptyQuery(t *testing.T) {
	d := load(t)
	got := d.Search("  ", 3)
	if !slices.Equal(nameList(got), []string{"Ana Ribeiro", "James Carter", "Lena Fischer"}) {
		t.Fatalf("empty query: %q", nameList(got))
	}
	if got := d.Search("", 0); len(got) != d.Len() {
		t.Fatalf("no limit: %d", len(got))
	}
	if got := d.Search("e", 2); len(got) != 2 {
		t.Fatalf("limit 2: %d", len(got))
	}
}

func TestRecent(t *testing.T) {
	ana := providers.Target{Name: "Ana Ribeiro", Kind: providers.TargetUser, GenesysNumber: "5002"}
	desk := providers.Target{Name: "+44 20 7946 0000", Kind: providers.TargetPhone, Phone: "+442079460000"}
	desk2 := providers.Target{Name: "+442079460000", Kind: providers.TargetPhone, Phone: "+442079460000"}
	r := NewRecent(3)
	r1 := r.With(ana)
	r2 := r1.With(desk).With(ana)
	if r.Len() != 0 || r1.Len() != 1 {
		t.Fatal("With must leave the list it was called on as it was")
	}
	if !slices.Equal(nameList(wrap(r2.List())), []string{"Ana Ribeiro", "+44 20 7946 0000"}) {
		t.Fatalf("most recent first, each once: %q", nameList(wrap(r2.List())))
	}
	r3 := r2.With(desk2)
	if got := nameList(wrap(r3.List())); !slices.Equal(got, []string{"+442079460000", "Ana Ribeiro"}) {
		t.Fatalf("the same number typed another way is one entry, under its latest name: %q", got)
	}
	for i := range 10 {
		r3 = r3.With(providers.Target{Name: "x", Kind: providers.TargetPhone, GenesysNumber: strings.Repeat("1", i+1)})
	}
	if r3.Len() != 3 || r3.List()[0].GenesysNumber != "1111111111" {
		t.Fatalf("bounded to 3, newest first: %+v", r3.List())
	}
	var zero Recent
	for i := range 10 {
		zero = zero.With(providers.Target{Name: "x", Kind: providers.TargetPhone, GenesysNumber: strings.Repeat("2", i+1)})
	}
	if zero.Len() != DefaultRecent {
		t.Fatalf("a zero Recent keeps %d, not %d", DefaultRecent, zero.Len())
	}
	l := r2.List()
	l[0].Name = "changed"
	if r2.List()[0].Name != "Ana Ribeiro" {
		t.Fatal("List must return a copy")
	}
}

func wrap(ts []providers.Target) []Match {
	out := make([]Match, len(ts))
	for i, t := range ts {
		out[i] = Match{Target: t}
	}
	return out
}
