package statedir

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestDirFollowsXDGStateHome(t *testing.T) {
	got, err := Dir(func(k string) string {
		if k == "XDG_STATE_HOME" {
			return "/srv/state"
		}
		return ""
	})
	if err != nil || got != filepath.Join("/srv/state", "ringside") {
		t.Fatalf("%q %v", got, err)
	}
}

// TestDirIgnoresARelativeXDGStateHome: the specification says a relative
// path is invalid and must be ignored; the home directory is used.
func TestDirIgnoresARelativeXDGStateHome(t *testing.T) {
	t.Setenv("HOME", "/home/agent")
	got, err := Dir(func(k string) string {
		if k == "XDG_STATE_HOME" {
			return "state"
		}
		return ""
	})
	if err != nil || got != filepath.Join("/home/agent", ".local", "state", "ringside") {
		t.Fatalf("%q %v", got, err)
	}
}

func TestDirWithoutAHome(t *testing.T) {
	t.Setenv("HOME", "")
	_, err := Dir(func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "home directory") {
		t.Fatalf("%v", err)
	}
}
