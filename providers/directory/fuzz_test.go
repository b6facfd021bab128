package directory

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse: no input panics, and a directory that is accepted holds only
// valid targets, each found again by its name and by a search for it.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile(example); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		"",
		"name,kind,genesys\nAna,user,5002\n",
		"name,kind,graph\nDesk,phone,+44 20 7946 0000\n",
		"\uFEFFname,kind,graph,genesys,tenant\r\n\"a,\"\"b\"\"\",queue,,9000,\r\n",
		"name,kind,genesys\nAna,user,5002\nana,user,5003\n",
		"name,kind,genesys\n\"Ana\nB\",user,5002\n",
		"name,kind,graph\nA,user,550fae72-d251-43ec-868c-373732c2704f\n",
		"# c\n\nname,kind,genesys\n#x\nA \"b\",user,1\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		d, err := Parse(strings.NewReader(file))
		if err != nil {
			if d != nil {
				t.Fatal("a refused file must give no directory")
			}
			return
		}
		if d.Len() > MaxEntries {
			t.Fatalf("%d entries", d.Len())
		}
		for _, e := range d.Entries() {
			if err := e.Validate(); err != nil {
				t.Fatalf("accepted an invalid entry %+v: %v", e, err)
			}
			if got, ok := d.Lookup(strings.ToUpper(e.Name)); !ok || got.Name == "" {
				t.Fatalf("Lookup(%q) failed", e.Name)
			}
			if len(d.Search(e.Name, 1)) != 1 {
				t.Fatalf("Search(%q) found nothing", e.Name)
			}
		}
	})
}
