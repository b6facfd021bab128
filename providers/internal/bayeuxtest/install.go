package bayeuxtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// npmInstallTimeout bounds `npm ci` on a fresh clone.
const npmInstallTimeout = 5 * time.Minute

// ServerDir is the directory of the Node test server (server.js, bench.mjs,
// package.json and its lockfile).
func ServerDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", "server")
	}
	return filepath.Join(filepath.Dir(file), "testdata", "server")
}

// nodeTools finds node and npm, or explains what is missing. The tests that
// need them fail rather than skip: a CI run without Node must not look green.
func nodeTools() (node, npm string, err error) {
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", fmt.Errorf("the Bayeux tests run real servers on Node.js, but `node` is not on PATH: install Node.js 20 or newer with npm")
	}
	npm, err = exec.LookPath("npm")
	if err != nil {
		return "", "", fmt.Errorf("the Bayeux tests install their Node servers with npm, but `npm` is not on PATH: install npm next to Node.js")
	}
	return node, npm, nil
}

// ensureInstalled runs `npm ci` in the server directory when node_modules is
// missing or older than the lockfile. Several test binaries may start at
// once, so the install is serialised with a file lock and re-checked under it.
func ensureInstalled() error {
	_, npm, err := nodeTools()
	if err != nil {
		return err
	}
	dir := ServerDir()
	if installed(dir) {
		return nil
	}
	unlock, err := lockFile(filepath.Join(dir, ".npm-install.lock"))
	if err != nil {
		return fmt.Errorf("lock the npm install in %s: %w", dir, err)
	}
	defer unlock()
	if installed(dir) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), npmInstallTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci in %s: %w\n%s", dir, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// installed says whether node_modules matches the lockfile: npm writes
// node_modules/.package-lock.json at the end of every install.
func installed(dir string) bool {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return false
	}
	done, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err != nil {
		return false
	}
	return !done.ModTime().Before(lock.ModTime())
}
