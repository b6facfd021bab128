package ui

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"ringside/providers"
	"ringside/providers/directory"
)

// memoryRecent is a RecentStore in memory, shared by the consoles of a
// test as a file is shared by the runs of a program.
type memoryRecent struct {
	mu      sync.Mutex
	kept    directory.Recent
	loadErr error
	addErr  error
	loads   int
	adds    []providers.Target
}

func (s *memoryRecent) Load() (directory.Recent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	return s.kept, s.loadErr
}

func (s *memoryRecent) Add(t providers.Target) (directory.Recent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.adds = append(s.adds, t)
	if s.addErr != nil {
		return directory.Recent{}, s.addErr
	}
	s.kept = s.kept.With(t)
	return s.kept, nil
}

func (s *memoryRecent) added() []providers.Target {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.adds)
}

func withRecent(s RecentStore) opt { return func(c *Config) { c.Recent = s } }

// startedHarness is a console as the program starts it: Init's commands run.
func startedHarness(t *testing.T, opts ...opt) *harness {
	t.Helper()
	hs := newHarness(t, 100, 30, opts...)
	hs.run(hs.m.Init())
	return hs
}

// TestRecentTargetsOutliveTheConsole: the targets one console sent calls
// to are offered first by the next console started on the same store,
// most recent first, marked recent.
func TestRecentTargetsOutliveTheConsole(t *testing.T) {
	store := &memoryRecent{}
	first := startedHarness(t, withDirectory(testDir(t)), withRecent(store))
	first.events(connectedCall("c1", "Carol"), connectedCall("c2", "Dan"))
	for _, to := range []struct{ id, typed string }{{"c1", "night"}, {"c2", "+44 20 7946 0999"}} {
		selectCall(t, first, to.id)
		first.key("t")
		first.typeText(to.typed)
		first.key("enter")
	}
	if got := store.added(); len(got) != 2 || got[0].Name != "Night line" || got[1].Name != "+44 20 7946 0999" {
		t.Fatalf("the store was given %+v", got)
	}

	next := startedHarness(t, withDirectory(testDir(t)), withRecent(store))
	next.events(connectedCall("c3", "Erin"))
	next.key("t")
	want := []string{"+44 20 7946 0999", "Night line", "Ana Ribeiro", "Reception", "Sales desk", "Salvador Costa"}
	if got := pickerNames(next.m); !slices.Equal(got, want) {
		t.Fatalf("the next console lists %v, want %v", got, want)
	}
	if l := lineWith(next.screen(), "+44 20 7946 0999"); !strings.Contains(l, "recent") {
		t.Errorf("the number used last run is not marked recent: %q", l)
	}
}

// TestRecentTargetsUsedBeforeTheReadStayFirst: a transfer sent before the
// store's first read came back stays at the head of the list.
func TestRecentTargetsUsedBeforeTheReadStayFirst(t *testing.T) {
	dir := testDir(t)
	ana, _ := dir.Lookup("Ana Ribeiro")
	store := &memoryRecent{kept: directory.NewRecent(0).With(ana)}
	hs := newHarness(t, 100, 30, withDirectory(dir), withRecent(store))
	// The store is read (it holds Ana), but the answer is still on its
	// way when the agent transfers a call to Sales desk.
	read := hs.m.target.loadRecent()()
	hs.events(connectedCall("c1", "Carol"), connectedCall("c2", "Dan"))
	selectCall(t, hs, "c1")
	hs.key("t")
	hs.typeText("sales")
	hs.key("enter")
	hs.send(read)
	selectCall(t, hs, "c2")
	hs.key("t")
	if got := pickerNames(hs.m)[:2]; !slices.Equal(got, []string{"Sales desk", "Ana Ribeiro"}) {
		t.Fatalf("the list starts %v, want Sales desk (this run) then Ana Ribeiro (the store)", got)
	}
}

// TestRecentTargetFollowsTheDirectory: a recent target whose entry changed
// in the directory since (a colleague's new number) is offered, and sent,
// as the directory has it now, once.
func TestRecentTargetFollowsTheDirectory(t *testing.T) {
	dir := testDir(t)
	now, _ := dir.Lookup("Reception")
	old := now
	old.Phone = "+14255550199"
	store := &memoryRecent{kept: directory.NewRecent(0).With(now).With(old)}
	hs := startedHarness(t, withDirectory(dir), withRecent(store))
	hs.events(connectedCall("c1", "Carol"))
	hs.key("t")
	if got := pickerNames(hs.m); got[0] != "Reception" || slices.Contains(got[1:], "Reception") {
		t.Fatalf("list %v: Reception should come first, once", got)
	}
	hs.key("enter")
	if got := hs.p.sentTargets(); len(got) != 1 || got[0] != now {
		t.Fatalf("sent to %+v, want the directory's %+v", got, now)
	}
}

// TestRecentStoreThatCannotBeRead: the status line says so, the store is
// never written (a file a person broke is not written over), and the
// targets used this run are still offered first.
func TestRecentStoreThatCannotBeRead(t *testing.T) {
	store := &memoryRecent{loadErr: errors.New("directory /s/recent.csv: line 2: kind \"usr\" is not one of user, phone, queue, application")}
	hs := startedHarness(t, withDirectory(testDir(t)), withRecent(store))
	if s := hs.m.status.text; !strings.Contains(s, "recent targets not kept") || !strings.Contains(s, "line 2") {
		t.Fatalf("status %q", s)
	}
	hs.events(connectedCall("c1", "Carol"), connectedCall("c2", "Dan"))
	selectCall(t, hs, "c1")
	hs.key("t")
	hs.typeText("sales")
	hs.key("enter")
	if got := store.added(); len(got) != 0 {
		t.Fatalf("a store that could not be read was written: %+v", got)
	}
	selectCall(t, hs, "c2")
	hs.key("t")
	if got := pickerNames(hs.m); got[0] != "Sales desk" {
		t.Fatalf("list %v: the target used this run should come first", got)
	}
}

// TestRecentStoreThatCannotBeWritten: said once, after the transfer it
// followed; not tried again this run.
func TestRecentStoreThatCannotBeWritten(t *testing.T) {
	store := &memoryRecent{addErr: errors.New("open /s/.recent-1.csv: read-only file system")}
	hs := startedHarness(t, withDirectory(testDir(t)), withRecent(store))
	hs.events(connectedCall("c1", "Carol"), connectedCall("c2", "Dan"))
	for _, id := range []string{"c1", "c2"} {
		selectCall(t, hs, id)
		hs.key("t")
		hs.typeText("sales")
		hs.key("enter")
		if id == "c1" {
			if s := hs.m.status.text; !strings.Contains(s, "recent targets not kept") || !strings.Contains(s, "read-only file system") {
				t.Fatalf("status %q", s)
			}
		}
	}
	if got := store.added(); len(got) != 1 {
		t.Fatalf("the store was tried %d times, want once", len(got))
	}
	if s := hs.m.status.text; s != "transferred Dan to Sales desk" {
		t.Errorf("status after the second transfer %q", s)
	}
}

// TestRecentStoreUnusedWhenNothingIsSent: a read-only console, or one told
// to remember no targets, neither reads the store nor writes it.
func TestRecentStoreUnusedWhenNothingIsSent(t *testing.T) {
	for name, o := range map[string]opt{
		"read-only": func(c *Config) { c.ReadOnly = true },
		"none":      func(c *Config) { c.RecentTargets = -1 },
	} {
		store := &memoryRecent{kept: directory.NewRecent(0).With(providers.Target{Name: "5002", Kind: providers.TargetPhone, GenesysNumber: "5002"})}
		hs := startedHarness(t, withDirectory(testDir(t)), withRecent(store), o)
		hs.events(connectedCall("c1", "Carol"))
		hs.key("t")
		hs.typeText("sales")
		hs.key("enter")
		if store.loads != 0 || len(store.added()) != 0 {
			t.Errorf("%s: %d reads, %d writes", name, store.loads, len(store.added()))
		}
		if name == "none" {
			hs.events(connectedCall("c2", "Dan"))
			selectCall(t, hs, "c2")
			hs.key("t")
			if got := pickerNames(hs.m); got[0] != "Ana Ribeiro" {
				t.Errorf("none: list %v offers a recent target", got)
			}
		}
	}
}
