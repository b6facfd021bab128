package bayeuxtest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestInstalled: node_modules counts as installed only when npm finished
// an install at least as new as the lockfile.
func TestInstalled(t *testing.T) {
	dir := t.TempDir()
	if installed(dir) {
		t.Fatal("installed without a lockfile")
	}
	lock := filepath.Join(dir, "package-lock.json")
	os.WriteFile(lock, []byte("{}"), 0o644)
	if installed(dir) {
		t.Fatal("installed without node_modules")
	}
	os.MkdirAll(filepath.Join(dir, "node_modules"), 0o755)
	marker := filepath.Join(dir, "node_modules", ".package-lock.json")
	os.WriteFile(marker, []byte("{}"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(marker, old, old)
	if installed(dir) {
		t.Fatal("installed although the lockfile changed after the install")
	}
	os.Chtimes(marker, time.Now(), time.Now())
	if !installed(dir) {
		t.Fatal("not installed after an install newer than the lockfile")
	}
	if err := ensureInstalled(); err != nil {
		t.Fatal(err)
	}
	if !installed(ServerDir()) {
		t.Fatal("the test server is not installed after ensureInstalled")
	}
}

// TestLockFile: a second taker of the install lock waits for the first.
func TestLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	unlock, err := lockFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		u, err := lockFile(path)
		if err != nil {
			t.Error(err)
		} else {
			u()
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("the lock was taken twice")
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the lock was not handed over")
	}
}
