package demo

import (
	"testing"

	"ringside/providers"
	"ringside/providers/directory"
)

// The demo's colleagues make a valid directory, and the simulation can
// reach every one of them.
func TestColleaguesAreAValidDirectory(t *testing.T) {
	d, err := directory.New(Colleagues()...)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != len(teammates)+len(queues)+1 {
		t.Errorf("%d entries", d.Len())
	}
	p, err := New(Config{Rate: 1}, providers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range d.Entries() {
		if _, err := p.Address(c); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
}
