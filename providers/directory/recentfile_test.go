package directory

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"ringside/providers"
)

func typed(t *testing.T, s string) providers.Target {
	t.Helper()
	tg, err := providers.ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// TestRecentFileRoundTrip: every kind of target a person can pick (a
// directory entry with both addresses, a phone entry, a name with a comma
// and quotes, a typed E.164 number, a typed extension starting with #, a
// typed Teams id) comes back from the file exactly, most recent first.
func TestRecentFileRoundTrip(t *testing.T) {
	d := mustParse(t, "name,kind,graph,genesys,tenant\n"+
		"Ana Ribeiro,user,550fae72-d251-43ec-868c-373732c2704f,5002,72f988bf-86f1-41af-91ab-2d7cd011db47\n"+
		"Reception,phone,+14255550100,,\n"+
		`"Sales, ""EMEA""",queue,,9000,`+"\n")
	var used []providers.Target
	used = append(used, d.Entries()...)
	used = append(used, typed(t, "+44 20 7946 0000"), typed(t, "#31"), typed(t, "3F9A2C17-0B4E-4D6A-9C3E-5A1B2C3D4E5F"))
	f := NewRecentFile(filepath.Join(t.TempDir(), "state", "recent.csv"), 10)
	for _, u := range used {
		if _, err := f.Add(u); err != nil {
			t.Fatal(err)
		}
	}
	got, err := NewRecentFile(f.Path(), 10).Load()
	if err != nil {
		t.Fatal(err)
	}
	want := make([]providers.Target, 0, len(used))
	for i := len(used) - 1; i >= 0; i-- {
		want = append(want, used[i])
	}
	if !reflect.DeepEqual(got.List(), want) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got.List(), want)
	}
}

func mustParse(t *testing.T, text string) *Directory {
	t.Helper()
	d, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRecentFileIsPrivate: the file and the directory made for it are
// its owner's only.
func TestRecentFileIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ringside")
	f := NewRecentFile(filepath.Join(dir, "recent.csv"), 0)
	if _, err := f.Add(typed(t, "5002")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, f.Path(): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".recent-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// TestRecentFileMissingIsEmpty: no file yet is no recent target, not an
// error.
func TestRecentFileMissingIsEmpty(t *testing.T) {
	r, err := NewRecentFile(filepath.Join(t.TempDir(), "none.csv"), 0).Load()
	if err != nil || r.Len() != 0 {
		t.Fatalf("%v %v", r.List(), err)
	}
}

// TestRecentFileSharedByTwoPrograms: two programs adding to one file keep
// each other's uses, newest first, within the limit.
func TestRecentFileSharedByTwoPrograms(t *testing.T) {
	path := filepath.Join(t.TempDir(), "recent.csv")
	a, b := NewRecentFile(path, 3), NewRecentFile(path, 3)
	for i, s := range []string{"5001", "5002", "5003", "5004"} {
		f := a
		if i%2 == 1 {
			f = b
		}
		if _, err := f.Add(typed(t, s)); err != nil {
			t.Fatal(err)
		}
	}
	// Used again: it moves to the front instead of appearing twice.
	r, err := a.Add(typed(t, "5003"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tg := range r.List() {
		names = append(names, tg.Name)
	}
	if got := strings.Join(names, " "); got != "5003 5004 5002" {
		t.Fatalf("recent %q, want 5003 5004 5002", got)
	}
}

// TestRecentFileNeverWritesOverABadFile: a file that cannot be read is
// said, and left exactly as it was.
func TestRecentFileNeverWritesOverABadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "recent.csv")
	bad := "name,kind,graph,genesys\nAna,user,not-a-guid,5002\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	f := NewRecentFile(path, 0)
	if _, err := f.Load(); err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), path) {
		t.Fatalf("load: %v", err)
	}
	if _, err := f.Add(typed(t, "5003")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("add: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != bad {
		t.Fatalf("the file was changed:\n%s", got)
	}
}

// TestRecentFileRepeatedNameKeepsTheNewest: a typed number named as an
// entry is (same name, another destination) keeps only the newest line,
// so the file stays readable.
func TestRecentFileRepeatedNameKeepsTheNewest(t *testing.T) {
	f := NewRecentFile(filepath.Join(t.TempDir(), "recent.csv"), 0)
	entry := providers.Target{Name: "5002", Kind: providers.TargetUser, GraphID: "550fae72-d251-43ec-868c-373732c2704f"}
	for _, tg := range []providers.Target{entry, typed(t, "5002")} {
		if _, err := f.Add(tg); err != nil {
			t.Fatal(err)
		}
	}
	r, err := f.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := r.List(); len(got) != 1 || got[0] != typed(t, "5002") {
		t.Fatalf("%+v", got)
	}
}

// TestRecentNoneKeepsNothing: a limit below zero remembers nothing.
func TestRecentNoneKeepsNothing(t *testing.T) {
	if r := NewRecent(-1).With(typed(t, "5002")); r.Len() != 0 {
		t.Fatalf("%+v", r.List())
	}
}
