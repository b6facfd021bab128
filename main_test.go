package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"ringside/providers"
	"ringside/providers/demo"
	"ringside/providers/directory"
	"ringside/providers/genesys"
	"ringside/providers/graph"
	"ringside/ui"
)

// testEnv runs the program in-process: output in buffers, the environment
// from a map, and signals replaced by a context the test cancels.
type testEnv struct {
	stdout, stderr bytes.Buffer
	vars           map[string]string
	interrupt      context.CancelFunc
	ctx            context.Context
	stopOnce       sync.Once
	stopped        chan struct{} // closed when the program stops catching signals
}

func newTestEnv(vars map[string]string) *testEnv {
	te := &testEnv{vars: vars, stopped: make(chan struct{})}
	te.ctx, te.interrupt = context.WithCancel(context.Background())
	return te
}

func (te *testEnv) env() env {
	return env{
		stdout: &te.stdout, stderr: &te.stderr,
		getenv: func(k string) string { return te.vars[k] },
		signals: func(parent context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(parent)
			go func() {
				select {
				case <-te.ctx.Done():
					cancel()
				case <-ctx.Done():
				}
			}()
			return ctx, func() { te.stopOnce.Do(func() { close(te.stopped) }); cancel() }
		},
		runConsole: func(tea.Model, ...tea.ProgramOption) error {
			return errors.New("no terminal in tests")
		},
		stopGrace: 5 * time.Second,
	}
}

func TestFlagsReadEnvironmentAndFlagsWin(t *testing.T) {
	t.Setenv("RINGSIDE_DEMO_RATE", "3.5")
	t.Setenv("RINGSIDE_ANSWER_WINDOW", "20s")
	t.Setenv("RINGSIDE_GRAPH_LISTEN", "127.0.0.1:9999")
	t.Setenv("RINGSIDE_READ_ONLY", "true")
	te := newTestEnv(nil)

	c, command, _, ok := parseArgs([]string{"--demo-rate", "7"}, te.env())
	if !ok {
		t.Fatalf("parse failed: %s", te.stderr.String())
	}
	if command != "console" {
		t.Errorf("the console is the default command, got %q", command)
	}
	if c.Demo.Rate != 7 {
		t.Errorf("the flag must win over RINGSIDE_DEMO_RATE: %v", c.Demo.Rate)
	}
	if c.AnswerWindow != 20*time.Second || c.Graph.Listen != "127.0.0.1:9999" || !c.Console.ReadOnly {
		t.Errorf("environment not read: window %v listen %q read-only %v", c.AnswerWindow, c.Graph.Listen, c.Console.ReadOnly)
	}
	if c.Provider != "demo" {
		t.Errorf("demo is the default provider, got %q", c.Provider)
	}
}

// TestSkipAuthComesOnlyFromTheCommandLine: RINGSIDE_GRAPH_SKIP_AUTH does not
// turn inbound authentication off like the other variables turn flags on; a
// graph provider started with it set is refused with words that say so.
func TestSkipAuthComesOnlyFromTheCommandLine(t *testing.T) {
	t.Setenv("RINGSIDE_GRAPH_SKIP_AUTH", "1")
	t.Setenv("RINGSIDE_GRAPH_LISTEN", "127.0.0.1:0")
	vars := map[string]string{"RINGSIDE_GRAPH_SKIP_AUTH": "1"}

	te := newTestEnv(vars)
	c, _, _, ok := parseArgs([]string{"--provider", "graph"}, te.env())
	if !ok {
		t.Fatalf("parse failed: %s", te.stderr.String())
	}
	if c.Graph.SkipAuth {
		t.Fatal("RINGSIDE_GRAPH_SKIP_AUTH turned inbound authentication off")
	}
	if c.Graph.Listen != "127.0.0.1:0" {
		t.Fatalf("the other graph variables must still be read: listen %q", c.Graph.Listen)
	}

	// A one-shot command builds the provider without serving anything.
	te = newTestEnv(vars)
	if code := run([]string{"answer", "--provider", "graph", "CALL-1"}, te.env()); code != exitUsage {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, te.stderr.String())
	}
	if msg := te.stderr.String(); !strings.Contains(msg, "RINGSIDE_GRAPH_SKIP_AUTH is set") || !strings.Contains(msg, "--graph-skip-auth on the command line") {
		t.Fatalf("the refusal should name the variable and the flag: %q", msg)
	}

	te = newTestEnv(nil)
	if code := run([]string{"--help"}, te.env()); code != exitOK {
		t.Fatalf("help: exit %d", code)
	}
	if strings.Contains(te.stdout.String(), "$RINGSIDE_GRAPH_SKIP_AUTH") {
		t.Fatal("help offers RINGSIDE_GRAPH_SKIP_AUTH")
	}
}

// TestSkipAuthNeedsALoopbackListener: the flag itself is refused unless the
// webhook listens on this machine only.
func TestSkipAuthNeedsALoopbackListener(t *testing.T) {
	for _, listen := range []string{":8443", "0.0.0.0:8443", "[::]:8443", "192.0.2.10:8443", "bot.example.com:8443"} {
		te := newTestEnv(nil)
		args := []string{"answer", "--provider", "graph", "--graph-skip-auth", "--graph-listen", listen, "CALL-1"}
		if code := run(args, te.env()); code != exitUsage || !strings.Contains(te.stderr.String(), "loopback") {
			t.Errorf("%s: exit %d, stderr %q", listen, code, te.stderr.String())
		}
	}
}

func TestSubcommands(t *testing.T) {
	te := newTestEnv(nil)
	c, command, _, ok := parseArgs([]string{"reject", "--provider", "graph", "CALL-1", "--reason", "busy"}, te.env())
	if !ok || command != "reject <call-id>" || c.Reject.CallID != "CALL-1" || c.Reject.Reason != "busy" || c.Provider != "graph" {
		t.Fatalf("ok=%v command=%q %+v %s", ok, command, c.Reject, te.stderr.String())
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"--provider", "sip"},
		{"reject", "X", "--reason", "decline"},
		{"hangup"},
		{"--demo-rate", "fast"},
		{"--theme", "neon"},
	} {
		te := newTestEnv(nil)
		if code := run(args, te.env()); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.Contains(te.stderr.String(), "ringside: ") {
			t.Errorf("%v: no error message: %q", args, te.stderr.String())
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	te := newTestEnv(nil)
	if code := run([]string{"--help"}, te.env()); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--provider", "--demo-rate", "--graph-listen", "--genesys-url", "$RINGSIDE_DEMO_RATE", "answer", "reject", "hangup"} {
		if !strings.Contains(te.stdout.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestOneShotNeedsARealProvider(t *testing.T) {
	te := newTestEnv(nil)
	if code := run([]string{"answer", "X"}, te.env()); code != exitUsage {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(te.stderr.String(), "--provider graph") {
		t.Fatalf("the message should say which providers work: %q", te.stderr.String())
	}
}

func TestBadProviderConfigIsAUsageError(t *testing.T) {
	te := newTestEnv(nil)
	if code := run([]string{"--provider", "genesys"}, te.env()); code != exitUsage {
		t.Fatalf("exit %d, stderr %q", code, te.stderr.String())
	}
	if !strings.HasPrefix(te.stderr.String(), "ringside: genesys: --genesys-url") {
		t.Fatalf("the error should name the provider once, then the flag: %q", te.stderr.String())
	}
}

// TestJSONStream runs the demo provider through --json for a moment, stops
// it the way SIGINT would, and checks every line against the schema.
func TestJSONStream(t *testing.T) {
	out := streamUntil(t, "no events", func(out string) bool { return strings.Count(out, "\n") >= 6 },
		"--json", "--demo-seed", "7", "--demo-calls", "5", "--demo-rate", "0")

	sc := bufio.NewScanner(strings.NewReader(out))
	var calls, statuses int
	for sc.Scan() {
		var ev struct {
			Time     string         `json:"time"`
			Type     string         `json:"type"`
			Provider string         `json:"provider"`
			Status   string         `json:"status"`
			Call     map[string]any `json:"call"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line is not JSON: %q: %v", sc.Text(), err)
		}
		if _, err := time.Parse(time.RFC3339Nano, ev.Time); err != nil || !strings.HasSuffix(ev.Time, "Z") {
			t.Errorf("time %q is not RFC 3339 UTC", ev.Time)
		}
		switch ev.Type {
		case "call":
			calls++
			for _, k := range []string{"id", "provider", "state", "direction", "from", "to", "arrived", "capabilities", "modalities", "region"} {
				if _, ok := ev.Call[k]; !ok {
					t.Errorf("call lacks %q: %s", k, sc.Text())
				}
			}
		case "status":
			statuses++
			if ev.Provider != "demo" || ev.Status == "" {
				t.Errorf("status line: %s", sc.Text())
			}
		default:
			t.Errorf("unknown type: %s", sc.Text())
		}
	}
	if calls < 5 || statuses < 1 {
		t.Fatalf("%d calls and %d statuses:\n%s", calls, statuses, out)
	}
}

// TestJSONStreamProviderFailure: a provider that gives up ends the stream with
// its words on stderr and exit 1, after everything it sent was written.
func TestJSONStreamProviderFailure(t *testing.T) {
	te := newTestEnv(nil)
	p := &scriptedProvider{events: []providers.Event{
		providers.StatusEvent(time.Unix(1, 0), providers.Status{Link: providers.LinkConnecting}),
		providers.CallEvent(time.Unix(2, 0), providers.Call{ID: "c1", State: providers.StateRinging}),
		providers.StatusEvent(time.Unix(3, 0), providers.Status{Link: providers.LinkFailed, Detail: "listen tcp: address already in use"}),
	}, err: errors.New("listen tcp: address already in use")}
	code := streamJSON(te.env(), p, discardLog(), nil)
	if code != exitFailed {
		t.Fatalf("exit %d", code)
	}
	if got := strings.Count(te.stdout.String(), "\n"); got != 3 {
		t.Fatalf("%d lines written, want 3:\n%s", got, te.stdout.String())
	}
	if !strings.Contains(te.stderr.String(), "address already in use") {
		t.Fatalf("stderr: %q", te.stderr.String())
	}
}

// TestJSONStreamClosedPipe: when stdout goes away the stream stops the
// provider and exits quietly instead of spinning.
func TestJSONStreamClosedPipe(t *testing.T) {
	te := newTestEnv(nil)
	e := te.env()
	e.stdout = failingWriter{}
	p := &scriptedProvider{events: []providers.Event{
		providers.CallEvent(time.Unix(2, 0), providers.Call{ID: "c1", State: providers.StateRinging}),
	}, waitForCancel: true}
	done := make(chan int, 1)
	go func() { done <- streamJSON(e, p, discardLog(), nil) }()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream kept going with nobody reading")
	}
	if !p.cancelled() {
		t.Fatal("the provider was not stopped")
	}
}

// TestJSONStreamGivesUpOnAStuckProvider: once a signal has come, the stream
// no longer catches them (a second Ctrl+C ends the program at once), and a
// provider that does not stop within the grace time is reported, exit 1.
func TestJSONStreamGivesUpOnAStuckProvider(t *testing.T) {
	stream := func(grace time.Duration) (*testEnv, *stuckProvider, chan int) {
		te := newTestEnv(nil)
		e := te.env()
		e.stopGrace = grace
		p := &stuckProvider{release: make(chan struct{})}
		done := make(chan int, 1)
		go func() { done <- streamJSON(e, p, discardLog(), nil) }()
		te.interrupt()
		return te, p, done
	}

	te, p, done := stream(time.Minute)
	select {
	case <-te.stopped:
	case code := <-done:
		t.Fatalf("the stream ended (exit %d) before its provider stopped", code)
	case <-time.After(10 * time.Second):
		t.Fatal("the stream still catches signals while its provider stops: a second Ctrl+C would be lost")
	}
	close(p.release)
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d once the provider stopped: %s", code, te.stderr.String())
	}

	te, p, done = stream(50 * time.Millisecond)
	defer close(p.release)
	select {
	case code := <-done:
		if code != exitFailed {
			t.Fatalf("exit %d, want %d", code, exitFailed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream waited for the stuck provider for ever")
	}
	if !strings.Contains(te.stderr.String(), "stuck: did not stop within 50ms") {
		t.Errorf("stderr %q", te.stderr.String())
	}
}

// stuckProvider's Run ignores its context until released.
type stuckProvider struct {
	scriptedProvider
	release chan struct{}
}

func (p *stuckProvider) Name() string { return "stuck" }
func (p *stuckProvider) Run(context.Context, providers.Sink) error {
	<-p.release
	return nil
}

// TestJSONStreamReaderGoesAway runs the program in a child process with its
// stdout on a real pipe, reads a line and closes the pipe: the program must
// stop the provider and exit 0, not be killed by SIGPIPE.
func TestJSONStreamReaderGoesAway(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGPIPE")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "RINGSIDE_HELPER_ARGS=--json --demo-seed 7 --demo-calls 50 --demo-rate 6000")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatalf("no first line: %v (%s)", err, stderr.String())
	}
	out.Close()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("the program ended with %v once its reader went away (want exit 0): %s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the program kept running with nobody reading")
	}
}

// TestHelperProcess is the program itself, for tests that need a real
// process (RINGSIDE_HELPER_ARGS holds its arguments).
func TestHelperProcess(t *testing.T) {
	args := os.Getenv("RINGSIDE_HELPER_ARGS")
	if args == "" {
		t.Skip("runs only as a child of another test")
	}
	e := processEnv()
	e.configDir = nil // the user's own configuration file must not change the test
	os.Exit(run(strings.Fields(args), e))
}

// TestConsoleStopsProvider: when the console ends, the provider's Run is
// stopped and waited for; a console error is reported with exit 1.
func TestConsoleStopsProvider(t *testing.T) {
	te := newTestEnv(nil)
	p := &scriptedProvider{waitForCancel: true}
	var got []tea.ProgramOption
	e := te.env()
	e.runConsole = func(m tea.Model, opts ...tea.ProgramOption) error {
		got = opts
		if m == nil {
			return errors.New("no model")
		}
		return nil
	}
	e.getenv = func(k string) string {
		if k == "NO_COLOR" {
			return "yes"
		}
		return ""
	}
	if code := console(e, consoleCmd{Theme: "auto", ActionTimeout: time.Second}, figuresFlags{}, p, consoleTargets{keep: 5}, discardLog()); code != exitOK {
		t.Fatalf("exit %d: %s", code, te.stderr.String())
	}
	if !p.cancelled() {
		t.Fatal("the provider was not stopped when the console ended")
	}
	if len(got) != 1 {
		t.Fatalf("NO_COLOR=yes must force the Ascii colour profile; got %d options", len(got))
	}

	// SIGINT from outside the terminal stops the console like SIGTERM.
	e.runConsole = func(tea.Model, ...tea.ProgramOption) error { return tea.ErrInterrupted }
	p = &scriptedProvider{waitForCancel: true}
	if code := console(e, consoleCmd{Theme: "dark"}, figuresFlags{}, p, consoleTargets{keep: 5}, discardLog()); code != exitOK || te.stderr.Len() != 0 {
		t.Fatalf("interrupted console: exit %d, stderr %q", code, te.stderr.String())
	}

	e.runConsole = func(tea.Model, ...tea.ProgramOption) error { return errors.New("could not open a TTY") }
	p = &scriptedProvider{waitForCancel: true}
	if code := console(e, consoleCmd{Theme: "dark"}, figuresFlags{}, p, consoleTargets{keep: 5}, discardLog()); code != exitFailed {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(te.stderr.String(), "could not open a TTY") {
		t.Fatalf("stderr: %q", te.stderr.String())
	}
}

func TestLogFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ringside.log")
	log, closeLog, err := openLog(path, "debug")
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hello", "k", 1)
	closeLog()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(b), &rec); err != nil || rec["msg"] != "hello" {
		t.Fatalf("log line %q: %v", b, err)
	}
	if _, _, err := openLog(filepath.Join(t.TempDir(), "missing", "x.log"), "info"); err == nil {
		t.Fatal("an unwritable log path must be an error")
	}
}

// scriptedProvider sends its events, then returns err, or waits for its
// context when waitForCancel is set.
type scriptedProvider struct {
	events        []providers.Event
	err           error
	waitForCancel bool

	mu   sync.Mutex
	done bool
}

func (p *scriptedProvider) Name() string { return "scripted" }
func (p *scriptedProvider) Run(ctx context.Context, sink providers.Sink) error {
	for _, ev := range p.events {
		if !providers.Emit(ctx, sink, ev) {
			break
		}
	}
	if p.waitForCancel {
		<-ctx.Done()
		p.mu.Lock()
		p.done = true
		p.mu.Unlock()
		return nil
	}
	return p.err
}
func (p *scriptedProvider) cancelled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}
func (p *scriptedProvider) Answer(context.Context, string) error { return nil }
func (p *scriptedProvider) Reject(context.Context, string, providers.RejectReason) error {
	return nil
}
func (p *scriptedProvider) Hangup(context.Context, string) error { return nil }
func (p *scriptedProvider) Transfer(context.Context, string, providers.Target) error {
	return nil
}
func (p *scriptedProvider) Redirect(context.Context, string, providers.Target) error {
	return nil
}
func (p *scriptedProvider) Hold(context.Context, string) error   { return nil }
func (p *scriptedProvider) Resume(context.Context, string) error { return nil }
func (p *scriptedProvider) Address(t providers.Target) (string, error) {
	return (&demo.Provider{}).Address(t)
}

func (p *scriptedProvider) Offers() providers.Capabilities {
	return providers.Caps(providers.Actions...)
}
func (p *scriptedProvider) RejectReasons() []providers.RejectReason { return providers.RejectReasons }

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) {
	return 0, fmt.Errorf("write |1: %w", io.ErrClosedPipe)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// What goes to stderr quotes paths, URLs and servers' refusals; none of it
// reaches the terminal with its escape sequences.
func TestStderrIsCleaned(t *testing.T) {
	te := newTestEnv(nil)
	path := filepath.Join(t.TempDir(), "no\x1b]52;c;aGk=\x07dir\u009b2J", "x.log")
	if code := run([]string{"--log", path, "--json"}, te.env()); code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", code, exitUsage, te.stderr.String())
	}
	got := te.stderr.String()
	if strings.ContainsAny(got, "\x1b\x07\u009b") || strings.Contains(got, "52;c") {
		t.Fatalf("stderr keeps control sequences: %q", got)
	}
	if !strings.Contains(got, "open log") || !strings.Contains(got, "nodir") {
		t.Fatalf("stderr lost the words: %q", got)
	}
}

func TestLogFileIsPrivate(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.log")
	_, closeLog, err := openLog(fresh, "info")
	if err != nil {
		t.Fatal(err)
	}
	closeLog()
	if info, err := os.Stat(fresh); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("a new log file: %v, %v; want mode 0600", info.Mode(), err)
	}

	// An existing log that others could read is narrowed, and kept.
	old := filepath.Join(dir, "old.log")
	if err := os.WriteFile(old, []byte("{\"msg\":\"before\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(old, 0o644)
	log, closeLog, err := openLog(old, "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("after")
	closeLog()
	info, _ := os.Stat(old)
	b, _ := os.ReadFile(old)
	if info.Mode().Perm() != 0o600 || !bytes.Contains(b, []byte("before")) || !bytes.Contains(b, []byte("after")) {
		t.Fatalf("existing log: mode %v, content %q; want 0600 with both lines", info.Mode().Perm(), b)
	}

	// A link planted where the log goes is not followed.
	target := filepath.Join(dir, "target")
	os.WriteFile(target, nil, 0o600)
	link := filepath.Join(dir, "link.log")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, _, err := openLog(link, "info"); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("a symlinked log: %v", err)
	}
	if b, _ := os.ReadFile(target); len(b) != 0 {
		t.Fatalf("the link's target was written: %q", b)
	}

	// Nor is one planted between the look, which found no file, and the
	// open.
	late := filepath.Join(dir, "late.log")
	f, err := openLogFileAfter(late, func() {
		if err := os.Symlink(target, late); err != nil {
			t.Fatal(err)
		}
	})
	if err == nil {
		f.Close()
	}
	if runtime.GOOS != "windows" && (err == nil || !strings.Contains(err.Error(), "symbolic link")) {
		t.Fatalf("a link planted after the look: %v", err)
	}
}

// The log quotes servers; read later with cat, it must not replay their
// escape sequences.
func TestLogFileIsCleaned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ringside.log")
	log, closeLog, err := openLog(path, "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Warn("refused: \u009b2J", "message", "Forbidden\x1b]52;c;aGk=\x07\u202e", "err", errors.New("x\x1b[31m"))
	closeLog()
	b, _ := os.ReadFile(path)
	for _, bad := range []string{`\u001b`, "\u009b", "\u202e", "52;c"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("log keeps %q: %s", bad, b)
		}
	}
}

func TestMaxCalls(t *testing.T) {
	te := newTestEnv(nil)
	c, _, _, ok := parseArgs(nil, te.env())
	if !ok || c.MaxCalls != providers.DefaultMaxCalls {
		t.Fatalf("--max-calls defaults to %d, want providers.DefaultMaxCalls %d", c.MaxCalls, providers.DefaultMaxCalls)
	}
	for _, n := range []string{"0", "-5", "1000001"} {
		te := newTestEnv(nil)
		if code := run([]string{"--max-calls=" + n}, te.env()); code != exitUsage {
			t.Errorf("--max-calls %s: exit %d, want %d", n, code, exitUsage)
		}
		if !strings.HasPrefix(te.stderr.String(), "ringside: --max-calls "+n+": want 1 to 1000000") {
			t.Errorf("--max-calls %s: %q", n, te.stderr.String())
		}
	}
}

// A call id outside the safe alphabet is a wrong command line: nothing is
// sent ("..", which URL escaping keeps, would act on another resource).
func TestOneShotRefusesUnsafeCallIDs(t *testing.T) {
	for _, id := range []string{"..", "a/b", "x\x1b[2J"} {
		te := newTestEnv(map[string]string{"RINGSIDE_GENESYS_PASSWORD": "pw"})
		code := run([]string{"--provider", "genesys", "--genesys-url", "https://127.0.0.1:1", "--genesys-user", "u", "answer", id}, te.env())
		if code != exitUsage || !strings.Contains(te.stderr.String(), "not a valid call id") {
			t.Errorf("answer %q: exit %d, stderr %q; want %d and a refusal of the id", id, code, te.stderr.String(), exitUsage)
		}
		if strings.Contains(te.stderr.String(), "unreachable") {
			t.Errorf("answer %q: a request was sent: %q", id, te.stderr.String())
		}
	}
}

// TestMaxCallsReachesTheProvider: with room for one live call beyond the
// demo's start, a thousand calls a second soon drop calls, and the stream
// says why.
func TestMaxCallsReachesTheProvider(t *testing.T) {
	const why = `"Dropped: more than 1 live calls (--max-calls)."`
	streamUntil(t, "no call dropped for --max-calls 1", func(out string) bool { return strings.Contains(out, why) },
		"--json", "--demo-seed", "3", "--demo-calls", "0", "--demo-rate", "60000", "--max-calls", "1")
}

// streamUntil runs the program with args (a --json stream) until its output
// satisfies enough (failing with what after 10 s), stops it the way SIGINT
// would, checks that it ended with exit 0, and returns the output.
func streamUntil(t *testing.T, what string, enough func(out string) bool, args ...string) string {
	t.Helper()
	te := newTestEnv(nil)
	done := make(chan int, 1)
	out := &lockedBuffer{}
	e := te.env()
	e.stdout = out
	go func() { done <- run(args, e) }()
	deadline := time.After(10 * time.Second)
	for !enough(out.String()) {
		select {
		case <-deadline:
			t.Fatalf("%s:\n%s", what, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	te.interrupt()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, te.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not end on interrupt")
	}
	return out.String()
}

// controlProvider is a provider for the one-shot commands: it records each
// action with its target, answers with err, and has an agent state.
type controlProvider struct {
	scriptedProvider
	name       string
	err        error
	choices    []providers.AgentChoice
	choicesErr error

	cmu  sync.Mutex
	got  []string // "transfer C1 → Sales desk", "hold C1"
	sent []providers.Target
	set  []providers.AgentChoice
}

func (p *controlProvider) Name() string { return p.name }

// Address is the real rule of the provider the fake stands in for.
func (p *controlProvider) Address(t providers.Target) (string, error) {
	switch p.name {
	case graph.Name:
		return (&graph.Provider{}).Address(t)
	case genesys.Name:
		return (&genesys.Provider{}).Address(t)
	}
	return p.scriptedProvider.Address(t)
}
func (p *controlProvider) record(what string) error {
	p.cmu.Lock()
	defer p.cmu.Unlock()
	p.got = append(p.got, what)
	return p.err
}
func (p *controlProvider) Transfer(_ context.Context, id string, to providers.Target) error {
	p.cmu.Lock()
	p.sent = append(p.sent, to)
	p.cmu.Unlock()
	return p.record("transfer " + id + " → " + to.String())
}
func (p *controlProvider) Redirect(_ context.Context, id string, to providers.Target) error {
	p.cmu.Lock()
	p.sent = append(p.sent, to)
	p.cmu.Unlock()
	return p.record("redirect " + id + " → " + to.String())
}
func (p *controlProvider) Hold(_ context.Context, id string) error   { return p.record("hold " + id) }
func (p *controlProvider) Resume(_ context.Context, id string) error { return p.record("resume " + id) }
func (p *controlProvider) AgentChoices(context.Context) ([]providers.AgentChoice, error) {
	return p.choices, p.choicesErr
}
func (p *controlProvider) SetAgentState(_ context.Context, c providers.AgentChoice) error {
	p.cmu.Lock()
	p.set = append(p.set, c)
	p.cmu.Unlock()
	return p.err
}
func (p *controlProvider) requests() []string {
	p.cmu.Lock()
	defer p.cmu.Unlock()
	return append([]string(nil), p.got...)
}

// noAgentProvider has every action but no agent state.
type noAgentProvider struct{ scriptedProvider }

func (*noAgentProvider) Name() string { return "graph" }

// runWith runs the program with p as the provider the command line names.
func runWith(p providers.Provider, args ...string) (code int, stdout, stderr string) {
	te := newTestEnv(nil)
	e := te.env()
	e.newProvider = func(*cli, providers.Options) (providers.Provider, error) { return p, nil }
	code = run(args, e)
	return code, te.stdout.String(), te.stderr.String()
}

// writeDirectory writes a directory file and returns its path.
func writeDirectory(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "directory.csv")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const testDirectoryFile = `# the front office
name,kind,graph,genesys
Sales desk,queue,2c3d4e5f-6a7b-4c8d-9e0f-a1b2c3d4e5f6,9000
Salvador Costa,user,,5007
`

// transfer, redirect, hold and resume act through the console's action
// table and report in its words: 0 done, 1 refused with the provider's
// words, 2 for a command line that is wrong (an unknown --to, a target the
// provider cannot reach, no --to).
func TestOneShotAgentControls(t *testing.T) {
	dir := writeDirectory(t, testDirectoryFile)
	for _, tt := range []struct {
		name     string
		provider string
		err      error
		args     []string
		code     int
		stdout   string
		stderr   string
		sent     []string
	}{
		{name: "transfer to a directory name", args: []string{"--directory", dir, "transfer", "C1", "--to", "sales DESK"},
			stdout: "transferred C1 to Sales desk\n", sent: []string{"transfer C1 → Sales desk"}},
		{name: "transfer to a number", args: []string{"transfer", "C1", "--to", "+44 20 7946 0000"},
			stdout: "transferred C1 to +44 20 7946 0000\n", sent: []string{"transfer C1 → +44 20 7946 0000"}},
		{name: "redirect", args: []string{"--directory", dir, "redirect", "R1", "--to", "Salvador Costa"},
			stdout: "redirected R1 to Salvador Costa\n", sent: []string{"redirect R1 → Salvador Costa"}},
		{name: "hold", args: []string{"hold", "C1"}, stdout: "put on hold C1\n", sent: []string{"hold C1"}},
		{name: "resume", args: []string{"resume", "C1"}, stdout: "resumed C1\n", sent: []string{"resume C1"}},
		{name: "refused", err: errors.New("hold C1: refused by the server: statusCode 3 Invalid state"), args: []string{"hold", "C1"},
			code: exitFailed, stderr: "ringside: hold C1: refused by the server: statusCode 3 Invalid state\n", sent: []string{"hold C1"}},
		{name: "unknown name", args: []string{"--directory", dir, "transfer", "C1", "--to", "Sales floor"},
			code: exitUsage, stderr: `"Sales floor" is not a name in the directory`},
		{name: "no --to", args: []string{"transfer", "C1"}, code: exitUsage, stderr: "--to"},
		{name: "unreachable on graph", provider: "graph", args: []string{"--directory", dir, "transfer", "C1", "--to", "Salvador Costa"},
			code: exitUsage, stderr: "Salvador Costa has no Teams id or E.164 number"},
		{name: "unreachable on genesys", args: []string{"redirect", "R1", "--to", "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f"},
			code: exitUsage, stderr: "it has no Genesys number and no phone number"},
		{name: "bad call id", args: []string{"hold", ".."}, code: exitUsage, stderr: "not a valid call id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &controlProvider{name: "genesys", err: tt.err}
			if tt.provider != "" {
				p.name = tt.provider
			}
			code, stdout, stderr := runWith(p, append([]string{"--provider", p.name}, tt.args...)...)
			if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q and %q", code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
			if got := p.requests(); strings.Join(got, "|") != strings.Join(tt.sent, "|") {
				t.Errorf("provider got %q, want %q", got, tt.sent)
			}
		})
	}

	// The target sent is the directory's entry, every address with it.
	p := &controlProvider{name: "genesys"}
	if code, _, stderr := runWith(p, "--provider", "genesys", "--directory", dir, "transfer", "C1", "--to", "Sales desk"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := providers.Target{Name: "Sales desk", Kind: providers.TargetQueue, GraphID: "2c3d4e5f-6a7b-4c8d-9e0f-a1b2c3d4e5f6", GenesysNumber: "9000"}
	if len(p.sent) != 1 || p.sent[0] != want {
		t.Errorf("sent %+v, want %+v", p.sent, want)
	}
}

// state asks for an agent state where the provider has one; --reason picks
// the contact centre's reason by its code, without regard to case.
func TestStateCommand(t *testing.T) {
	choices := []providers.AgentChoice{
		{State: providers.AgentReady},
		{State: providers.AgentNotReady},
		{State: providers.AgentNotReady, Code: "OutToLunch", Label: "Out to Lunch"},
		{State: providers.AgentNotReady, Code: "Meeting", Label: "Meeting"},
		{State: providers.AgentAfterCallWork},
	}
	for _, tt := range []struct {
		name       string
		args       []string
		err        error
		choicesErr error
		code       int
		stdout     string
		stderr     string
		set        []providers.AgentChoice
	}{
		{name: "ready", args: []string{"ready"}, stdout: "agent state set to Ready\n",
			set: []providers.AgentChoice{{State: providers.AgentReady}}},
		{name: "after-call-work", args: []string{"After-Call-Work"}, stdout: "agent state set to After call work\n",
			set: []providers.AgentChoice{{State: providers.AgentAfterCallWork}}},
		{name: "a reason by its code", args: []string{"not-ready", "--reason", "outtolunch"}, stdout: "agent state set to Not Ready · Out to Lunch\n",
			set: []providers.AgentChoice{choices[2]}},
		{name: "an unknown reason", args: []string{"not-ready", "--reason", "Nap"}, code: exitUsage,
			stderr: `ringside: --reason "Nap": not a reason for not-ready; known: OutToLunch (Out to Lunch), Meeting`},
		{name: "a reason for another state", args: []string{"ready", "--reason", "Meeting"}, code: exitUsage,
			stderr: "ready takes no reason here; the known reasons are for other states: not-ready OutToLunch (Out to Lunch), not-ready Meeting"},
		{name: "an unknown state", args: []string{"asleep"}, code: exitUsage, stderr: `ringside: state "asleep": want ready, not-ready or after-call-work`},
		{name: "refused", args: []string{"ready"}, err: errors.New("refused by the server: statusCode 3"), code: exitFailed,
			stderr: "ringside: state ready: refused by the server: statusCode 3", set: []providers.AgentChoice{{State: providers.AgentReady}}},
		{name: "the reasons cannot be read", args: []string{"not-ready", "--reason", "Meeting"}, choicesErr: errors.New("HTTP 503"),
			code: exitFailed, stderr: "ringside: reading the agent states: HTTP 503"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &controlProvider{name: "genesys", err: tt.err, choices: choices, choicesErr: tt.choicesErr}
			code, stdout, stderr := runWith(p, append([]string{"--provider", "genesys", "state"}, tt.args...)...)
			if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q and %q", code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
			if !slices.Equal(p.set, tt.set) {
				t.Errorf("provider was asked for %+v, want %+v", p.set, tt.set)
			}
		})
	}

	// A provider without agent state: a wrong command line, in words.
	code, _, stderr := runWith(&noAgentProvider{}, "--provider", "graph", "state", "ready")
	if code != exitUsage || !strings.Contains(stderr, "graph has no agent state") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// A malformed --directory is refused at start, whatever the command, with
// its line number and what is wrong; nothing is started.
func TestDirectoryFlagRefusesABadFile(t *testing.T) {
	for _, tt := range []struct {
		name, body, want string
	}{
		{"bad kind", "name,kind,graph,genesys\nSales desk,queue,,9000\nAna,person,,5002\n", `line 3: `},
		{"bad number", "name,kind,graph\nReception,phone,+0425\n", "line 2: "},
		{"repeated name", "name,kind,genesys\nAna,user,5002\nana,user,5003\n", `line 3: the name "ana" is already used`},
		{"no header", "", "empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeDirectory(t, tt.body)
			for _, args := range [][]string{
				{"--directory", path},
				{"--directory", path, "--provider", "genesys", "transfer", "C1", "--to", "5002"},
			} {
				p := &controlProvider{name: "genesys"}
				built := false
				te := newTestEnv(nil)
				e := te.env()
				e.newProvider = func(*cli, providers.Options) (providers.Provider, error) { built = true; return p, nil }
				code := run(args, e)
				if code != exitUsage || !strings.Contains(te.stderr.String(), tt.want) || !strings.Contains(te.stderr.String(), path) {
					t.Errorf("%v: exit %d, stderr %q; want %d and %q", args, code, te.stderr.String(), exitUsage, tt.want)
				}
				if built || len(p.requests()) != 0 {
					t.Errorf("%v: the provider was built or used with a bad directory", args)
				}
			}
		})
	}
	te := newTestEnv(nil)
	if code := run([]string{"--directory", filepath.Join(t.TempDir(), "missing.csv")}, te.env()); code != exitUsage ||
		!strings.Contains(te.stderr.String(), "no such file") {
		t.Errorf("missing file: exit %d, stderr %q", code, te.stderr.String())
	}
}

// The console gets the directory: its picker lists the file's entries. The
// demo, given no file, offers its own colleagues; a file given to it wins.
func TestConsoleGetsTheDirectory(t *testing.T) {
	path := writeDirectory(t, testDirectoryFile)
	for _, tc := range []struct {
		name      string
		args      []string
		want      []string
		wantNot   []string
		providerN string
	}{
		{name: "file", providerN: "genesys", args: []string{"--provider", "genesys", "--directory", path},
			want: []string{"Sales desk", "Salvador Costa", "2 in the directory"}},
		{name: "no file", providerN: "genesys", args: []string{"--provider", "genesys"},
			want: []string{"no directory"}, wantNot: []string{"Priya Natarajan"}},
		{name: "demo without a file", providerN: "demo", args: []string{"--provider", "demo"},
			want: []string{"Priya Natarajan", "Support queue", "12 in the directory"}},
		{name: "demo with a file", providerN: "demo", args: []string{"--provider", "demo", "--directory", path},
			want: []string{"Sales desk", "Salvador Costa"}, wantNot: []string{"Priya Natarajan"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			view := pickerView(t, tc.providerN, append(tc.args, "--theme", "mono"))
			for _, w := range tc.want {
				if !strings.Contains(view, w) {
					t.Errorf("the picker does not show %q:\n%s", w, view)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(view, w) {
					t.Errorf("the picker shows %q:\n%s", w, view)
				}
			}
		})
	}
}

// pickerView runs the console on one connected call of a provider named
// name and returns the screen after t opens the target picker.
func pickerView(t *testing.T, name string, args []string) string {
	t.Helper()
	te := newTestEnv(nil)
	e := te.env()
	call := providers.Call{ID: "C1", Provider: name, State: providers.StateActive, From: providers.Party{Name: "Carol"},
		Answered: time.Now(), Caps: providers.Caps(providers.ActionTransfer), Version: 1}
	p := &controlProvider{name: name, scriptedProvider: scriptedProvider{
		events: []providers.Event{providers.CallEvent(time.Now(), call)}, waitForCancel: true}}
	e.newProvider = func(*cli, providers.Options) (providers.Provider, error) { return p, nil }
	var view string
	e.runConsole = func(m tea.Model, _ ...tea.ProgramOption) error {
		m, _ = m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
		// Init's commands, once: the first batch of events is the call.
		var runCmd func(tea.Cmd)
		runCmd = func(c tea.Cmd) {
			if c == nil {
				return
			}
			switch msg := c().(type) {
			case tea.BatchMsg:
				for _, c := range msg {
					runCmd(c)
				}
			default:
				m, _ = m.Update(msg)
			}
		}
		runCmd(m.Init())
		m, _ = m.Update(tea.KeyPressMsg{Code: 't', Text: "t"})
		view = m.View().Content
		return nil
	}
	if code := run(args, e); code != exitOK {
		t.Fatalf("exit %d: %s", code, te.stderr.String())
	}
	return view
}

// TestRecentTargetsKeptByOneShots: a transfer or redirect that went adds
// its target to the provider's recent targets in the state directory, the
// file the console offers them from; one refused, a --recent-targets 0, or
// another provider's file, does not.
func TestRecentTargetsKeptByOneShots(t *testing.T) {
	dir := writeDirectory(t, testDirectoryFile)
	state := t.TempDir()
	runIn := func(p providers.Provider, args ...string) (int, string) {
		te := newTestEnv(nil)
		e := te.env()
		e.newProvider = func(*cli, providers.Options) (providers.Provider, error) { return p, nil }
		e.stateDir = func() (string, error) { return state, nil }
		return run(args, e), te.stderr.String()
	}
	kept := func(provider string) []string {
		t.Helper()
		r, err := directory.NewRecentFile(filepath.Join(state, "recent-targets-"+provider+".csv"), 0).Load()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tg := range r.List() {
			names = append(names, tg.Name)
		}
		return names
	}
	for _, args := range [][]string{
		{"--directory", dir, "transfer", "C1", "--to", "sales DESK"},
		{"transfer", "C2", "--to", "+44 20 7946 0000"},
		{"--recent-targets", "0", "transfer", "C3", "--to", "5003"},
	} {
		if code, stderr := runIn(&controlProvider{name: "genesys"}, append([]string{"--provider", "genesys"}, args...)...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	refused := &controlProvider{name: "genesys", err: errors.New("transfer C4: refused by the server: statusCode 3 Invalid state")}
	if code, _ := runIn(refused, "--provider", "genesys", "transfer", "C4", "--to", "5004"); code != exitFailed {
		t.Fatalf("refused: exit %d", code)
	}
	if got := kept("genesys"); !slices.Equal(got, []string{"+44 20 7946 0000", "Sales desk"}) {
		t.Fatalf("genesys keeps %v, want the two transfers that went, the last first", got)
	}
	if code, stderr := runIn(&controlProvider{name: "graph"}, "--provider", "graph", "redirect", "R1", "--to", "+14255550100"); code != exitOK {
		t.Fatalf("graph redirect: exit %d: %s", code, stderr)
	}
	if got := kept("graph"); !slices.Equal(got, []string{"+14255550100"}) {
		t.Fatalf("graph keeps %v", got)
	}

	// A file a person broke is said, left as it is, and the call still went.
	broken := filepath.Join(state, "recent-targets-genesys.csv")
	if err := os.WriteFile(broken, []byte("name,kind\nx,user\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stderr := runIn(&controlProvider{name: "genesys"}, "--provider", "genesys", "transfer", "C5", "--to", "5005")
	if code != exitOK || !strings.Contains(stderr, "recent targets") || !strings.Contains(stderr, broken) {
		t.Fatalf("broken file: exit %d, stderr %q", code, stderr)
	}
	if b, _ := os.ReadFile(broken); string(b) != "name,kind\nx,user\n" {
		t.Fatalf("the broken file was written over: %q", b)
	}

	if code, stderr := runIn(&controlProvider{name: "genesys"}, "--provider", "genesys", "--recent-targets", "51", "transfer", "C6", "--to", "5006"); code != exitUsage ||
		!strings.Contains(stderr, "--recent-targets 51: want 0 to 50") {
		t.Fatalf("--recent-targets 51: exit %d, stderr %q", code, stderr)
	}
}

// TestConsoleTargetsConfig: the console gets the recent file when there
// is one (and no typed nil when there is none), and 0 means none at all,
// where the console's own zero would mean its default.
func TestConsoleTargetsConfig(t *testing.T) {
	var c ui.Config
	consoleTargets{keep: 0}.config(&c)
	if c.RecentTargets >= 0 || c.Recent != nil {
		t.Errorf("keep 0: RecentTargets %d, Recent %v", c.RecentTargets, c.Recent)
	}
	c = ui.Config{}
	consoleTargets{keep: 7}.config(&c)
	if c.RecentTargets != 7 || c.Recent != nil {
		t.Errorf("no file: RecentTargets %d, Recent %#v", c.RecentTargets, c.Recent)
	}
	f := directory.NewRecentFile(filepath.Join(t.TempDir(), "r.csv"), 7)
	c = ui.Config{}
	consoleTargets{recent: f, keep: 7}.config(&c)
	if c.Recent != ui.RecentStore(f) {
		t.Errorf("the file is not the console's store: %#v", c.Recent)
	}
}
