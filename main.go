// Command ringside is a terminal call console: a live list of ringing and
// active calls from the built-in simulator, a Microsoft Teams calling bot
// (Graph) or Genesys Web Services, answered, rejected with a reason or hung up
// from the keyboard. It also streams the same calls as JSON lines, and acts on
// one call from a script.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/alecthomas/kong"
	"github.com/charmbracelet/colorprofile"

	"ringside/providers"
	"ringside/providers/demo"
	"ringside/providers/directory"
	"ringside/providers/genesys"
	"ringside/providers/graph"
	"ringside/providers/jsonstream"
	"ringside/providers/natsboard"
	"ringside/providers/record"
	"ringside/providers/replay"
	"ringside/providers/statedir"
	"ringside/providers/stats"
	"ringside/providers/textsafe"
	"ringside/theme"
	"ringside/ui"
)

// Exit codes: scripts tell a refused action from a mistyped command.
const (
	exitOK      = 0
	exitFailed  = 1 // the action or the provider failed
	exitUsage   = 2 // the command line or configuration is wrong
	eventBuffer = 4096
	// streamLinger is the longest a line of --json waits for others to
	// share its write: only lines within that time of the last write wait.
	streamLinger = time.Millisecond
	// stopGrace bounds how long a provider may take to shut down after quit
	// (close its listener, disconnect from CometD, log the agent out).
	stopGrace = 5 * time.Second
	// joinTimeout bounds joining the boards of --provider nats: connecting,
	// reading each board's record, learning what the user may do.
	joinTimeout = 10 * time.Second
)

// cli is the whole command line. Every flag also reads RINGSIDE_ + its name in
// upper snake case (kong.DefaultEnvars); a flag given wins over the variable.
// The exception is --graph-skip-auth (tagged env:"-"): turning inbound
// authentication off is a choice made on the command line, never inherited
// from an environment, and the graph provider refuses to start when
// RINGSIDE_GRAPH_SKIP_AUTH is set.
type cli struct {
	Provider      string        `enum:"demo,graph,genesys,nats,replay" default:"demo" help:"Where calls come from: demo (built-in simulator), graph (Microsoft Teams calling bot), genesys (Genesys Web Services), nats (a board a relay publishes, --board) or replay (a recording, --replay)."`
	AnswerWindow  time.Duration `default:"15s" placeholder:"DURATION" help:"How long a ringing call has to be answered before it times out (15s on Teams)."`
	Log           string        `type:"path" placeholder:"FILE" help:"Write structured logs (JSON lines) to FILE. Nothing is logged otherwise, and never to the terminal."`
	LogLevel      string        `enum:"debug,info,warn,error" default:"info" help:"Least severe log level written to --log: debug, info, warn or error."`
	MaxCalls      int           `default:"10000" placeholder:"N" help:"Most live calls held at once (1 to 1000000). Beyond it, each new call ends the one silent longest, connected calls first, with a reason that says so: a lost end notice or a flood of made-up call ids cannot grow memory without limit. The demo adds its --demo-calls."`
	Directory     string        `type:"path" placeholder:"FILE" help:"Transfer and redirect targets (CSV: name,kind,graph,genesys; see the README), offered by the console's target picker (t) and taken by --to. A malformed file is refused at start with its line number."`
	RecentTargets int           `default:"5" placeholder:"N" help:"How many of the last targets used the target picker (t) offers first (0 to 50). They are kept between runs, one file per provider in $XDG_STATE_HOME/ringside (~/.local/state/ringside), which transfer and redirect add to as well; 0 keeps none."`
	ConfigFile    configFlags   `embed:""` // --config, --profile (config.go)

	Demo    demo.Config      `embed:"" group:"Demo provider"`
	Graph   graph.Config     `embed:"" group:"Microsoft Graph"`
	Genesys genesys.Config   `embed:"" group:"Genesys"`
	NATS    natsboard.Config `embed:"" group:"NATS board"`
	Figures figuresFlags     `embed:"" group:"Queue figures"`
	Replay  replay.Config    `embed:"" group:"Replay"`
	Record  record.Config    `embed:"" group:"Recording"`

	Console  consoleCmd  `cmd:"" default:"withargs" help:"Run the call console (the default command)."`
	Answer   answerCmd   `cmd:"" help:"Answer a ringing call, then exit (graph, genesys, nats)."`
	Reject   rejectCmd   `cmd:"" help:"Reject a ringing call, then exit (graph, genesys, nats)."`
	Hangup   hangupCmd   `cmd:"" help:"Hang up a call, then exit (graph, genesys, nats)."`
	Transfer transferCmd `cmd:"" help:"Transfer a connected call to a target (--to), then exit (graph, genesys, nats)."`
	Redirect redirectCmd `cmd:"" help:"Redirect a ringing call to a target (--to), then exit (graph, nats)."`
	Hold     holdCmd     `cmd:"" help:"Put an active call on hold, then exit (genesys, nats)."`
	Resume   resumeCmd   `cmd:"" help:"Take a held call back, then exit (genesys, nats)."`
	State    stateCmd    `cmd:"" help:"Set the agent's state (ready, not-ready, after-call-work), then exit (genesys, nats)."`
	Relay    relayCmd    `cmd:"" help:"Run the provider headless and publish its board to NATS for consoles elsewhere (--provider demo, graph or genesys; one --board)."`
	Config   configCmd   `cmd:"" help:"The configuration file: config check prints every flag's value and where it comes from."`
}

type consoleCmd struct {
	JSON          bool          `name:"json" help:"No console: write every call change and status change as one JSON object per line to stdout, until interrupted."`
	Stats         bool          `help:"With --json: also write a line of per-queue figures (type stats) every --stats-every."`
	StatsEvery    time.Duration `default:"10s" placeholder:"DURATION" help:"How often --json --stats writes its figures."`
	Theme         string        `enum:"auto,dark,light,mono" default:"auto" help:"Colours: auto (follows the terminal background), dark, light or mono. Any non-empty NO_COLOR means mono."`
	ReadOnly      bool          `help:"Watch only: no action keys at all, agent state included (supervisors, wallboards)."`
	NoConfirm     bool          `help:"Hang up on x without asking first."`
	ActionTimeout time.Duration `default:"15s" placeholder:"DURATION" help:"How long an action request (answer, reject, hang up, transfer, hold, agent state) may take before the console gives up on it."`
	Inline        bool          `help:"Draw in the normal screen instead of the alternate screen."`
	View          string        `enum:"live,history,queues" default:"live" help:"The view the console opens on: live (ringing and connected calls), history (ended calls) or queues (each queue's figures); tab goes round them."`
	Alerts        alertFlags    `embed:""` // --bell, --notify (console_alerts.go)
}

type callArg struct {
	CallID  string        `arg:"" name:"call-id" help:"The call's id, as the console's detail pane or the JSON stream shows it."`
	Timeout time.Duration `default:"30s" placeholder:"DURATION" help:"How long the request may take, retries included."`
}

type answerCmd struct{ callArg }

type hangupCmd struct{ callArg }

type rejectCmd struct {
	callArg
	Reason string `enum:"none,busy,forbidden" default:"none" help:"Why the call is turned down: none, busy or forbidden (graph; genesys takes no reason)."`
}

// targetArg is a call and where it goes.
type targetArg struct {
	callArg
	To string `required:"" placeholder:"TARGET" help:"Where the call goes: a name in --directory, or a number (+44 20 7946 0000, 5002) or Teams user id as it is."`
}

type transferCmd struct{ targetArg }

type redirectCmd struct{ targetArg }

type holdCmd struct{ callArg }

type resumeCmd struct{ callArg }

type stateCmd struct {
	State   string        `arg:"" name:"state" help:"ready, not-ready or after-call-work."`
	Reason  string        `placeholder:"CODE" help:"A reason code the contact centre defines (such as OutToLunch), for the state given; an unknown one is refused with the known ones."`
	Timeout time.Duration `default:"30s" placeholder:"DURATION" help:"How long the request may take."`
}

// env is what the program takes from the process around it, so tests can run
// it in-process.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// signals ends the JSON stream and one-shot commands (SIGINT, SIGTERM).
	signals func(context.Context) (context.Context, context.CancelFunc)
	// runConsole runs the Bubble Tea program; tests replace it.
	runConsole func(m tea.Model, opts ...tea.ProgramOption) error
	// stopGrace bounds how long a provider may take to stop.
	stopGrace time.Duration
	// newProvider builds the provider the command line names; nil means
	// the real ones (tests give a fake).
	newProvider func(*cli, providers.Options) (providers.Provider, error)
	// configDir is where the default configuration file lives (its
	// ringside/config.toml); nil means none (tests).
	configDir func() (string, error)
	// stateDir is where what outlives a run is kept (the recent targets);
	// nil means nowhere: they last for the run (tests).
	stateDir func() (string, error)
}

func main() {
	// The collector's pacing follows what the program holds (gcpace), so
	// that a console of many calls does not sit at twice their size;
	// GOGC or GOMEMLIMIT set by the operator take precedence.
	startGCPace(gcPaceDefault, os.Getenv)
	os.Exit(run(os.Args[1:], processEnv()))
}

// processEnv is the real process around the program.
func processEnv() env {
	return env{
		stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		signals: func(ctx context.Context) (context.Context, context.CancelFunc) {
			return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		},
		runConsole: func(m tea.Model, opts ...tea.ProgramOption) error {
			_, err := tea.NewProgram(m, opts...).Run()
			return err
		},
		stopGrace: stopGrace,
		configDir: os.UserConfigDir,
		stateDir:  func() (string, error) { return statedir.Dir(os.Getenv) },
	}
}

// run parses args, runs the chosen command and returns the exit code.
func run(args []string, e env) int {
	// Errors quote what servers said; nothing of theirs reaches the
	// terminal unclean.
	e.stderr = textsafe.NewWriter(e.stderr)
	c, command, code, ok := parseArgs(args, e)
	if !ok {
		return code
	}
	if command == "config check" {
		return configCheck(e, c)
	}
	if c.RecentTargets < 0 || c.RecentTargets > maxRecentTargets {
		fmt.Fprintf(e.stderr, "ringside: --recent-targets %d: want 0 to %d\n", c.RecentTargets, maxRecentTargets)
		return exitUsage
	}
	if c.MaxCalls < 1 || c.MaxCalls > providers.MaxCallsLimit {
		fmt.Fprintf(e.stderr, "ringside: --max-calls %d: want 1 to %d live calls\n", c.MaxCalls, providers.MaxCallsLimit)
		return exitUsage
	}
	if err := checkFigures(c); err != nil {
		fmt.Fprintf(e.stderr, "ringside: %v\n", err)
		return exitUsage
	}

	log, closeLog, err := openLog(c.Log, c.LogLevel)
	if err != nil {
		fmt.Fprintf(e.stderr, "ringside: %v\n", err)
		return exitUsage
	}
	defer closeLog()

	// The directory is read before anything starts: a typo in it is found
	// now, with its line, not when a call is being transferred.
	var dir *directory.Directory
	switch {
	case c.Directory != "":
		if dir, err = directory.Load(c.Directory); err != nil {
			fmt.Fprintf(e.stderr, "ringside: %v\n", err)
			return exitUsage
		}
	case c.Provider == "demo":
		// The simulation brings its own colleagues, so t has someone to
		// offer on a first run with no file.
		if dir, err = directory.New(demo.Colleagues()...); err != nil {
			fmt.Fprintf(e.stderr, "ringside: demo: %v\n", err)
			return exitFailed
		}
	}

	recent := recentTargets(e, c, log)

	opts := providers.Options{Log: log, AnswerWindow: c.AnswerWindow, Getenv: e.getenv, MaxCalls: c.MaxCalls}
	build := e.newProvider
	if build == nil {
		build = newProvider
	}
	p, err := build(c, opts)
	if err != nil {
		// Providers name themselves in their errors ("graph: …").
		fmt.Fprintf(e.stderr, "ringside: %v\n", err)
		return exitUsage
	}
	if nb, ok := p.(*natsboard.Provider); ok {
		defer nb.Close()
		if p = joinBoards(e, nb); p == nil {
			return exitFailed
		}
		c.Console.ReadOnly = c.Console.ReadOnly || nb.ReadOnly()
	}
	if !prepareReplay(e, command, &c.Console, p) {
		return exitUsage
	}
	p, stopRecording, ok := startRecording(e, c.Record, p, opts)
	if !ok {
		return exitUsage
	}
	defer stopRecording()
	log.Info("starting", "command", command, "provider", p.Name())

	switch command {
	case "answer <call-id>":
		return oneShot(e, c.Answer.callArg, p, providers.ActionAnswer, ui.Arg{})
	case "reject <call-id>":
		reason, _ := providers.ParseRejectReason(c.Reject.Reason)
		return oneShot(e, c.Reject.callArg, p, providers.ActionReject, ui.Arg{Reason: reason})
	case "hangup <call-id>":
		return oneShot(e, c.Hangup.callArg, p, providers.ActionHangup, ui.Arg{})
	case "transfer <call-id>":
		return oneShotTo(e, c.Transfer.targetArg, p, providers.ActionTransfer, dir, recent)
	case "redirect <call-id>":
		return oneShotTo(e, c.Redirect.targetArg, p, providers.ActionRedirect, dir, recent)
	case "hold <call-id>":
		return oneShot(e, c.Hold.callArg, p, providers.ActionHold, ui.Arg{})
	case "resume <call-id>":
		return oneShot(e, c.Resume.callArg, p, providers.ActionResume, ui.Arg{})
	case "state <state>":
		return setAgentState(e, c.State, p)
	case "relay":
		return runRelay(e, c, p, log)
	}
	if c.Console.JSON {
		return streamJSON(e, p, log, newStatsLine(c))
	}
	return console(e, c.Console, c.Figures, p, consoleTargets{dir, recent, c.RecentTargets}, log)
}

// maxRecentTargets bounds --recent-targets: the picker shows six entries
// at once, and a list of recent ones longer than a few screens is no
// longer a shortcut.
const maxRecentTargets = 50

// recentTargets is the file the last targets used are kept in between
// runs, one per provider (a Teams user id means nothing to the switch); nil
// when --recent-targets is 0 or there is no state directory, and then they
// last for the run.
func recentTargets(e env, c *cli, log *slog.Logger) *directory.RecentFile {
	if c.RecentTargets == 0 || e.stateDir == nil {
		return nil
	}
	dir, err := e.stateDir()
	if err != nil {
		log.Warn("recent targets kept for this run only", "err", err)
		return nil
	}
	return directory.NewRecentFile(filepath.Join(dir, "recent-targets-"+c.Provider+".csv"), c.RecentTargets)
}

// consoleTargets is where the console's target picker finds targets.
type consoleTargets struct {
	dir    *directory.Directory
	recent *directory.RecentFile // nil: none kept between runs
	keep   int                   // --recent-targets
}

// config fills the picker's part of the console's configuration.
func (t consoleTargets) config(c *ui.Config) {
	c.Directory, c.RecentTargets = t.dir, t.keep
	if t.keep == 0 {
		c.RecentTargets = -1 // none, where the console's zero is its default
	}
	if t.recent != nil {
		c.Recent = t.recent
	}
}

// parseArgs reads the command line and the RINGSIDE_* environment. When it
// returns ok=false the program should exit with code (help was printed, or
// the command line is wrong and the error was).
func parseArgs(args []string, e env) (c *cli, command string, code int, ok bool) {
	c = new(cli)
	src := newConfigSource(e.configDir)
	exited := false
	parser, err := kong.New(c,
		kong.Name("ringside"),
		kong.Description("A terminal call console: live ringing and active calls, answered, rejected with a reason or hung up from the keyboard."),
		kong.DefaultEnvars("RINGSIDE"),
		// The file is read by configFlags.BeforeResolve, once --config
		// and --profile are known.
		kong.Configuration(src.loader),
		kong.Bind(src),
		kong.UsageOnError(),
		kong.Writers(e.stdout, e.stderr),
		// --help prints and asks to exit; return from run instead, so the
		// program has one way out and tests can call run.
		kong.Exit(func(int) { exited = true }),
	)
	if err != nil {
		fmt.Fprintf(e.stderr, "ringside: %v\n", err)
		return nil, "", exitUsage, false
	}
	kctx, err := parser.Parse(args)
	if exited {
		return nil, "", exitOK, false
	}
	if err != nil {
		if !reportConfigError(e, err) {
			fmt.Fprintf(e.stderr, "ringside: %v\nRun 'ringside --help' for the flags.\n", err)
		}
		return nil, "", exitUsage, false
	}
	c.ConfigFile.source = src
	return c, kctx.Command(), exitOK, true
}

func newProvider(c *cli, opts providers.Options) (providers.Provider, error) {
	switch c.Provider {
	case "graph":
		return graph.New(c.Graph, opts)
	case "genesys":
		return genesys.New(c.Genesys, opts)
	case "nats":
		return natsboard.New(c.NATS, opts)
	case "replay":
		return replay.New(c.Replay, opts)
	default:
		return demo.New(c.Demo, opts)
	}
}

// joinBoards joins the boards of --provider nats before anything is built
// on them, and returns the provider to use (nil, with the words on stderr,
// when the boards cannot be joined).
func joinBoards(e env, nb *natsboard.Provider) providers.Provider {
	// Bounded by its own time, not by a signal: until a handler is
	// installed, Ctrl+C ends the program at once, as it should here.
	ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
	defer cancel()
	p, err := nb.Join(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "ringside: %v\n", err)
		return nil
	}
	return p
}

// openLog returns the program's logger: JSON lines into path, or nothing at
// all without one. The console owns the terminal, so logs never go there.
// Every message and value is cleaned on its way (textsafe.LogHandler): the
// log quotes what servers said, and is read later in a terminal.
func openLog(path, level string) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, nil, fmt.Errorf("log level: %w", err)
	}
	f, err := openLogFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open log: %w", err)
	}
	h := slog.NewJSONHandler(f, &slog.HandlerOptions{Level: lvl})
	return slog.New(textsafe.LogHandler(h)), func() { f.Close() }, nil
}

// openLogFile opens path for appending, creating it readable by its owner
// only: the log names callers and numbers. It refuses a symbolic link (one
// planted where the log goes would make the program append to a file of
// someone else's choosing), and narrows the mode of an existing log that
// group or others could read.
func openLogFile(path string) (*os.File, error) { return openLogFileAfter(path, nil) }

// openLogFileAfter is openLogFile with looked, when not nil, run between the
// look at path and the open: where a link planted in that moment would land.
func openLogFileAfter(path string, looked func()) (*os.File, error) {
	isLink := func() error { return fmt.Errorf("%s is a symbolic link; give the path of the file itself", path) }
	before, err := os.Lstat(path)
	switch {
	case err == nil && before.Mode()&os.ModeSymlink != 0:
		return nil, isLink()
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	if looked != nil {
		looked()
	}
	// noFollow makes the open itself refuse a link, so that one planted
	// after the look, where no file was yet, is not followed either.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|noFollow, 0o600)
	if err != nil {
		// Systems differ in the error noFollow gives (ELOOP, EMLINK,
		// EFTYPE); a look at what is there now says it in words.
		if now, lerr := os.Lstat(path); lerr == nil && now.Mode()&os.ModeSymlink != 0 {
			return nil, isLink()
		}
		return nil, err
	}
	after, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	// The path may have been swapped between the look and the open: what
	// was opened must be what was looked at (or a new file).
	if before != nil && !os.SameFile(before, after) {
		f.Close()
		return nil, fmt.Errorf("%s changed while it was being opened", path)
	}
	// A named pipe to a log shipper keeps its own mode.
	if after.Mode().IsRegular() && after.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s can be read by group or others and its mode could not be narrowed: %w", path, err)
		}
	}
	return f, nil
}

// oneShot acts on one call as the console's key for the action does, and
// reports in one line: the console's word for it on stdout and exit 0, or
// the provider's words on stderr and exit 1.
func oneShot(e env, a callArg, p providers.Provider, action providers.Action, arg ui.Arg) int {
	if !oneShotProvider(e, p) {
		return exitUsage
	}
	if err := providers.CheckCallID(a.CallID); err != nil {
		fmt.Fprintf(e.stderr, "ringside: call id: %v\n", err)
		return exitUsage
	}
	ctx, stop := e.signals(context.Background())
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	if err := ui.Perform(ctx, p, action, a.CallID, arg); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (no answer within %s)", err, a.Timeout)
		}
		fmt.Fprintf(e.stderr, "ringside: %v\n", err)
		return exitFailed
	}
	to := ""
	if arg.To != (providers.Target{}) {
		to = " to " + arg.To.String()
	}
	fmt.Fprintf(e.stdout, "%s %s%s\n", ui.DoneWord(action), a.CallID, to)
	return exitOK
}

// oneShotProvider reports whether p takes one-shot commands, and says why
// not: the demo's calls exist only inside a running console.
func oneShotProvider(e env, p providers.Provider) bool {
	if p.Name() == "demo" {
		fmt.Fprintln(e.stderr, "ringside: the demo provider's calls live inside a running console; one-shot commands need --provider graph, genesys or nats")
		return false
	}
	return true
}

// oneShotTo is oneShot for an action that sends the call on: --to is read
// as the console's picker reads typed text (a directory name, else a number
// or Teams id), and a target the provider cannot reach is refused before
// anything is sent. Both are mistakes of the command line: exit 2.
func oneShotTo(e env, a targetArg, p providers.Provider, action providers.Action, dir *directory.Directory, recent *directory.RecentFile) int {
	if !oneShotProvider(e, p) {
		return exitUsage
	}
	to, err := dir.Resolve(a.To)
	if err == nil {
		err = ui.CheckTarget(p, to)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "ringside: --to: %v\n", err)
		return exitUsage
	}
	code := oneShot(e, a.callArg, p, action, ui.Arg{To: to})
	if code == exitOK && recent != nil {
		// The call went; a list that could not be kept changes nothing
		// about that, so the exit code stays 0.
		if _, err := recent.Add(to); err != nil {
			fmt.Fprintf(e.stderr, "ringside: recent targets not kept: %v\n", err)
		}
	}
	return code
}

// setAgentState asks for the agent state sc names, where the provider has
// one. Exit 0 done, 1 refused by the provider, 2 for a provider without
// agent state, an unknown state or an unknown --reason (the known ones are
// listed).
func setAgentState(e env, sc stateCmd, p providers.Provider) int {
	if !oneShotProvider(e, p) {
		return exitUsage
	}
	ctl, ok := p.(providers.AgentControl)
	if !ok {
		fmt.Fprintf(e.stderr, "ringside: state: %s has no agent state (genesys has one)\n", p.Name())
		return exitUsage
	}
	st, ok := providers.ParseAgentState(sc.State)
	if !ok {
		fmt.Fprintf(e.stderr, "ringside: state %q: want ready, not-ready or after-call-work\n", textsafe.Cut(textsafe.Clean(sc.State), 40))
		return exitUsage
	}
	ctx, stop := e.signals(context.Background())
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, sc.Timeout)
	defer cancel()
	choice := providers.AgentChoice{State: st}
	if sc.Reason != "" {
		choices, err := ctl.AgentChoices(ctx)
		if err != nil {
			fmt.Fprintf(e.stderr, "ringside: reading the agent states: %v\n", err)
			return exitFailed
		}
		if choice, ok = pickReason(choices, st, sc.Reason); !ok {
			fmt.Fprintf(e.stderr, "ringside: --reason %q: %s\n", textsafe.Cut(textsafe.Clean(sc.Reason), 40), knownReasons(choices, st))
			return exitUsage
		}
	}
	if err := ctl.SetAgentState(ctx, choice); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (no answer within %s)", err, sc.Timeout)
		}
		fmt.Fprintf(e.stderr, "ringside: state %s: %v\n", st, err)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "agent state set to %s\n", ui.AgentChoiceWords(choice))
	return exitOK
}

// pickReason is the choice for state st whose code is reason, compared
// without regard to case.
func pickReason(choices []providers.AgentChoice, st providers.AgentState, reason string) (providers.AgentChoice, bool) {
	reason = strings.TrimSpace(reason)
	for _, c := range choices {
		if c.State == st && c.Code != "" && strings.EqualFold(c.Code, reason) {
			return c, true
		}
	}
	return providers.AgentChoice{}, false
}

// knownReasons says which reason codes state st takes, or that it takes
// none and which states do.
func knownReasons(choices []providers.AgentChoice, st providers.AgentState) string {
	var mine, others []string
	for _, c := range choices {
		if c.Code == "" {
			continue
		}
		entry := textsafe.Clean(c.Code)
		if c.Label != "" && !strings.EqualFold(c.Label, c.Code) {
			entry += " (" + textsafe.Clean(c.Label) + ")"
		}
		if c.State == st {
			mine = append(mine, entry)
		} else {
			others = append(others, string(c.State)+" "+entry)
		}
	}
	switch {
	case len(mine) > 0:
		return fmt.Sprintf("not a reason for %s; known: %s", st, strings.Join(mine, ", "))
	case len(others) > 0:
		return fmt.Sprintf("%s takes no reason here; the known reasons are for other states: %s", st, strings.Join(others, ", "))
	}
	return fmt.Sprintf("the contact centre has no reason codes for %s", st)
}

// streamJSON runs the provider without the console and writes each event as a
// line of JSON until a signal arrives, the reader goes away or the provider
// gives up. With figures (--stats), the events it writes also feed the queue
// figures, written as a line of their own every --stats-every.
func streamJSON(e env, p providers.Provider, log *slog.Logger, figures *statsLine) int {
	ctx, stop := e.signals(context.Background())
	defer stop()

	// A reader that goes away (`ringside --json | head`) must end the
	// stream like a signal does, with the provider stopped properly. Left
	// to itself, a write to a closed pipe on stdout kills the process with
	// SIGPIPE; while SIGPIPE is being received, the write fails instead.
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)

	figures.start(time.Now())
	defer figures.stop()
	// Once the provider is asked to stop (a signal, or the reader went
	// away), the stream stops catching signals: a second Ctrl+C ends the
	// program at once instead of waiting for the provider.
	run := startProvider(ctx, p, e.stopGrace, stop)
	defer run.stop()

	out := bufio.NewWriterSize(e.stdout, 64<<10)
	var broken bool // stdout is gone: nobody reads, stop
	gone := func(err error) {
		broken = true
		log.Warn("json stream stopped", "err", err)
		run.stop()
	}
	writeLine := func(line []byte) {
		out.Write(line)
		if err := out.WriteByte('\n'); err != nil {
			gone(err)
		}
	}
	write := func(ev providers.Event) {
		if broken {
			return
		}
		// The line is encoded straight into the buffer's free space, which
		// Write then takes without a copy: nothing is allocated per line.
		line, err := jsonstream.AppendEvent(out.AvailableBuffer(), p.Name(), ev)
		if err != nil {
			log.Error("encode event", "err", err)
			return
		}
		if _, err := out.Write(append(line, '\n')); err != nil {
			gone(err)
		}
		figures.apply(ev)
	}
	// drain writes what is already queued, then flushes once: a burst costs
	// one write system call, and a quiet stream is never held back.
	var flushed time.Time
	drain := func() {
		for {
			select {
			case ev := <-run.events:
				write(ev)
			default:
				if !broken {
					if err := out.Flush(); err != nil {
						gone(err)
					}
					flushed = time.Now()
				}
				return
			}
		}
	}
	for {
		select {
		case ev := <-run.events:
			write(ev)
			// Events that follow a flush closely are a burst: on a busy
			// webhook each notification makes one, and a write and a
			// wake-up per line cost the stream as much as the rest of
			// the line's way. Within a burst the lines wait until
			// streamLinger has passed since the last flush, the rest of
			// the burst joins them, and they go out in one write. A line
			// after a pause goes out at once.
			if wait := streamLinger - time.Since(flushed); wait > 0 && !broken {
				time.Sleep(wait)
			}
			drain()
		case <-figures.ticks():
			// What is queued first, so that the figures count it.
			drain()
			if line, err := figures.line(time.Now()); err != nil {
				log.Error("encode stats", "err", err)
			} else if !broken {
				writeLine(line)
				drain()
			}
		case err := <-run.done:
			drain()
			return run.report(e, log, err)
		}
	}
}

// running is a provider started for the console or the JSON stream: its Run
// goes in a goroutine of its own, feeding events, until it is asked to stop.
type running struct {
	p      providers.Provider
	ctx    context.Context // the provider's; done once it is asked to stop
	events chan providers.Event
	// done yields, once, how the provider ended: Run's error (nil when it
	// stopped as asked), or, when it has not returned within the grace
	// after being asked to stop, an error saying so.
	done   <-chan error
	cancel context.CancelFunc
}

// startProvider runs p until parent ends or stop is called. onStop (if not
// nil) runs once the provider is asked to stop; the provider then has grace
// to return (close its listener, disconnect from CometD, log the agent out)
// before done gives up on it.
func startProvider(parent context.Context, p providers.Provider, grace time.Duration, onStop func()) *running {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan error, 1)
	r := &running{p: p, ctx: ctx, events: make(chan providers.Event, eventBuffer), done: done, cancel: cancel}
	result := make(chan error, 1)
	go func() { result <- p.Run(ctx, r.events) }()
	go func() {
		select {
		case err := <-result:
			done <- err
			return
		case <-ctx.Done():
		}
		if onStop != nil {
			onStop()
		}
		select {
		case err := <-result:
			done <- err
		case <-time.After(grace):
			done <- fmt.Errorf("did not stop within %s", grace)
		}
	}()
	return r
}

// stop asks the provider to stop; done then says how it went. It may be
// called more than once.
func (r *running) stop() { r.cancel() }

// report says how the provider ended where it stays readable (stderr, after
// the console has restored the screen) and in the log, and returns the exit
// code it calls for.
func (r *running) report(e env, log *slog.Logger, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "ringside: %s: %v\n", r.p.Name(), err)
	log.Error("provider stopped", "err", err)
	return exitFailed
}

// sourceColumn is the title of the console's column for where each call
// came from: a board, when several are watched.
func sourceColumn(p providers.Provider) string {
	if b, ok := p.(interface{ Boards() []string }); ok && len(b.Boards()) > 1 {
		return "BOARD"
	}
	return ""
}

// consoleFigures is what the console's Queues view counts over. Its
// figures start with the console, so that calls already under way are not
// taken for calls that arrived; a board on NATS (--provider nats) has a
// past its relay saw, so there they cover the whole window.
func consoleFigures(f figuresFlags, provider string, start time.Time) stats.Config {
	if provider == natsboard.Name {
		start = time.Time{}
	}
	return f.config(start)
}

// console runs the Bubble Tea program over the provider.
func console(e env, cc consoleCmd, figures figuresFlags, p providers.Provider, targets consoleTargets, log *slog.Logger) int {
	name, err := theme.Choose(cc.Theme, e.getenv)
	if err != nil {
		fmt.Fprintf(e.stderr, "ringside: %v\n", err)
		return exitUsage
	}
	notify, err := ui.NotifyFor(cc.Alerts.Notify, e.getenv)
	if err != nil {
		fmt.Fprintf(e.stderr, "ringside: %v\n", err)
		return exitUsage
	}
	run := startProvider(context.Background(), p, e.stopGrace, nil)
	defer run.stop()

	cfg := ui.Config{
		Provider:      p,
		Events:        run.events,
		Context:       run.ctx,
		Theme:         name,
		ReadOnly:      cc.ReadOnly,
		NoConfirm:     cc.NoConfirm,
		ActionTimeout: cc.ActionTimeout,
		Inline:        cc.Inline,
		SourceColumn:  sourceColumn(p),
		View:          ui.ViewName(cc.View),
		Stats:         consoleFigures(figures, p.Name(), time.Now()),
		Bell:          cc.Alerts.Bell,
		Notify:        notify,
		Log:           log,
	}
	targets.config(&cfg)
	m := ui.New(cfg)
	var opts []tea.ProgramOption
	if name == theme.Mono {
		// Mono styles carry no colour, and the Ascii profile makes sure
		// nothing else (help, borders) sneaks one in either.
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	uiErr := e.runConsole(m, opts...)
	run.stop()
	if errors.Is(uiErr, tea.ErrInterrupted) {
		// SIGINT from outside the terminal (kill -INT, a supervisor):
		// a request to stop like SIGTERM, which ends the program cleanly.
		uiErr = nil
	}

	code := exitOK
	if uiErr != nil {
		fmt.Fprintf(e.stderr, "ringside: console: %v\n", uiErr)
		code = exitFailed
	}
	// The header showed a provider's failure while the console ran; it is
	// said again where it stays readable after the screen is restored.
	if provCode := run.report(e, log, <-run.done); provCode != exitOK {
		code = provCode
	}
	return code
}
