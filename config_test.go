package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// writeConfig writes a configuration file in a directory of the test's own.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// layered sets demo-rate at every layer but the default: the file says 1,
// profile p says 2.
const layered = `# ringside test configuration
demo-rate = 1
demo-calls = 11

[profile.p]
demo-rate = 2
`

// Command line > environment > profile > file > default, one case per
// layer, each with the layers above it taken away.
func TestConfigPrecedence(t *testing.T) {
	path := writeConfig(t, layered)
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want float64
	}{
		{"command line", []string{"--config", path, "--profile", "p", "--demo-rate", "4"}, map[string]string{"RINGSIDE_DEMO_RATE": "3"}, 4},
		{"environment", []string{"--config", path, "--profile", "p"}, map[string]string{"RINGSIDE_DEMO_RATE": "3"}, 3},
		{"profile", []string{"--config", path, "--profile", "p"}, nil, 2},
		{"profile from RINGSIDE_PROFILE", []string{"--config", path}, map[string]string{"RINGSIDE_PROFILE": "p"}, 2},
		{"file", []string{"--config", path}, nil, 1},
		{"file from RINGSIDE_CONFIG", nil, map[string]string{"RINGSIDE_CONFIG": path}, 1},
		{"default", nil, nil, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			te := newTestEnv(nil)
			cfg, _, _, ok := parseArgs(c.args, te.env())
			if !ok {
				t.Fatalf("parse failed: %s", te.stderr.String())
			}
			if cfg.Demo.Rate != c.want {
				t.Errorf("demo-rate %v, want %v", cfg.Demo.Rate, c.want)
			}
			// A key only the file sets comes from it whatever the layers above
			// do with others.
			if wantCalls := map[bool]int{true: 11, false: 4}[len(c.args) > 0 || c.env["RINGSIDE_CONFIG"] != ""]; cfg.Demo.Calls != wantCalls {
				t.Errorf("demo-calls %d, want %d", cfg.Demo.Calls, wantCalls)
			}
		})
	}
}

// The default file is config.toml in the user's configuration directory; a
// missing one is fine, a missing --config file is not, and --config "" reads
// none.
func TestConfigDefaultFile(t *testing.T) {
	dir := t.TempDir()
	te := newTestEnv(nil)
	e := te.env()
	e.configDir = func() (string, error) { return dir, nil }
	if c, _, _, ok := parseArgs(nil, e); !ok || c.Demo.Rate != 10 {
		t.Fatalf("no default file: ok=%v, %s", ok, te.stderr.String())
	}
	if err := os.MkdirAll(filepath.Join(dir, "ringside"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ringside", "config.toml"), []byte("demo-rate = 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, _, _, ok := parseArgs(nil, e); !ok || c.Demo.Rate != 7 {
		t.Fatalf("the default file was not read: ok=%v, %s", ok, te.stderr.String())
	}
	if c, _, _, ok := parseArgs([]string{"--config", ""}, e); !ok || c.Demo.Rate != 10 {
		t.Fatalf("--config \"\" must read no file: ok=%v, %s", ok, te.stderr.String())
	}

	te = newTestEnv(nil)
	missing := filepath.Join(dir, "nope.toml")
	if code := run([]string{"--config", missing}, te.env()); code != exitUsage {
		t.Fatalf("a missing --config file: exit %d", code)
	}
	if got := te.stderr.String(); got != "ringside: "+missing+": no such file or directory\n" {
		t.Fatalf("stderr %q", got)
	}
	te = newTestEnv(nil)
	if code := run([]string{"--profile", "sales"}, te.env()); code != exitUsage || !strings.Contains(te.stderr.String(), "--profile sales: there is no configuration file to take it from") {
		t.Fatalf("a profile without a file: exit %d, %q", code, te.stderr.String())
	}
}

// A bad file is refused before anything starts, exit 2, each problem with
// the file, its line and its key, all of them at once.
func TestConfigBadFileNamesLineAndKey(t *testing.T) {
	path := writeConfig(t, `provider = "graph"
answer-window = 15
grpah-client-id = "0b7e"
theme = "neon"
max-calls = "lots"
read-only = "yes"
board = ["front", 3]

[profile.sales]
demo-rate = "fast"
colour = "red"

[profile.wall]
read-only = true
`)
	te := newTestEnv(nil)
	if code := run([]string{"--config", path}, te.env()); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	want := []string{
		path + `:2: answer-window: want a duration in quotes, such as "15s" or "2m", not a number (15)`,
		path + `:3: grpah-client-id: unknown key; did you mean graph-client-id?`,
		path + `:4: theme: "neon" is not one of auto, dark, light, mono`,
		path + `:5: max-calls: want a whole number, not text ("lots")`,
		path + `:6: read-only: want true or false, not text ("yes")`,
		path + `:7: board: item 2 of the list: want text in quotes, not a number (3)`,
		path + `:10: profile.sales.demo-rate: want a number, not text ("fast")`,
		path + `:11: profile.sales.colour: unknown key; keys are the flags' names without the dashes (ringside --help lists them)`,
	}
	checkLines(t, te.stderr.String(), want)

	// An unknown profile is named with the ones the file has, and their lines.
	good := writeConfig(t, "demo-rate = 5\n\n[profile.sales]\ndemo-rate = 6\n\n[profile.wall]\nread-only = true\n")
	te = newTestEnv(nil)
	if code := run([]string{"--config", good, "--profile", "salse"}, te.env()); code != exitUsage {
		t.Fatalf("an unknown profile: exit %d", code)
	}
	checkLines(t, te.stderr.String(), []string{good + `: --profile salse: no such profile in the file; it has sales (line 3), wall (line 6)`})

	// Profiles are blocks with names a person can type.
	shapes := writeConfig(t, "demo-rate = 5\nprofile.sales = \"x\"\n\n[profile.\"night shift\"]\nread-only = true\n")
	te = newTestEnv(nil)
	if code := run([]string{"--config", shapes}, te.env()); code != exitUsage {
		t.Fatalf("bad profiles: exit %d", code)
	}
	checkLines(t, te.stderr.String(), []string{
		shapes + `:2: profile.sales: want a block of flags ([profile.sales] and the keys below it), not text ("x")`,
		shapes + `:4: profile.night shift: a profile's name is 1 to 64 letters, digits, '-' and '_'`,
	})

	// TOML that does not parse: where it stops.
	broken := writeConfig(t, "demo-rate = 5\nprovider = \"graph\n")
	te = newTestEnv(nil)
	if code := run([]string{"--config", broken}, te.env()); code != exitUsage {
		t.Fatalf("broken TOML: exit %d", code)
	}
	checkLines(t, te.stderr.String(), []string{broken + `:2: provider: basic strings cannot have new lines`})
}

func checkLines(t *testing.T, stderr string, want []string) {
	t.Helper()
	got := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = strings.TrimPrefix(got[i], "ringside: ")
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, g, w)
		}
	}
}

// No secret goes in the file: a key for one is refused with the file, line
// and key, and what to use instead; so is a URL that carries a password,
// and a flag that is command line only.
func TestConfigRefusesSecrets(t *testing.T) {
	path := writeConfig(t, `graph-client-secret = "s3cret-1"
genesys-password = "s3cret-2"

[profile.relay]
nats-password = "s3cret-3"
nats = "tls://relay:s3cret-4@nats.example.com:4222"
graph-skip-auth = true
sip-auth-token = "s3cret-5"
`)
	te := newTestEnv(nil)
	if code := run([]string{"--config", path}, te.env()); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	checkLines(t, te.stderr.String(), []string{
		path + `:1: graph-client-secret: secrets never go in the configuration file: put it in a file only you can read and name it with graph-client-secret-file, or set RINGSIDE_GRAPH_CLIENT_SECRET`,
		path + `:2: genesys-password: secrets never go in the configuration file: put it in a file only you can read and name it with genesys-password-file, or set RINGSIDE_GENESYS_PASSWORD`,
		path + `:5: profile.relay.nats-password: secrets never go in the configuration file: put it in a file only you can read and name it with nats-password-file, or set RINGSIDE_NATS_PASSWORD`,
		path + `:6: profile.relay.nats: secrets never go in the configuration file: the URL carries a password; use the user and the password's own flag or variable (for NATS: nats-user and nats-password-file or RINGSIDE_NATS_PASSWORD)`,
		path + `:7: profile.relay.graph-skip-auth: command line only: it is never taken from the environment or a file`,
		path + `:8: profile.relay.sip-auth-token: secrets never go in the configuration file: give it in a file of its own (a *-file flag) or in the environment`,
	})
	if strings.Contains(te.stderr.String(), "s3cret") {
		t.Errorf("an error quotes a secret: %s", te.stderr.String())
	}

	// No flag the program has is taken for a secret.
	te = newTestEnv(nil)
	c, _, _, ok := parseArgs(nil, te.env())
	if !ok {
		t.Fatal(te.stderr.String())
	}
	flags := flagsByName(c.ConfigFile.source.model)
	for name := range flags {
		if _, secret := secretKey(name, flags); secret {
			t.Errorf("--%s is refused as a secret", name)
		}
	}
}

// config check prints every value with where it comes from, secrets never
// shown; it exits 2 on a problem the console would meet (a value in the
// environment the flag refuses, a secret file others can read).
func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "gws.pw")
	if err := os.WriteFile(pwFile, []byte("pw-in-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, `provider = "graph"
answer-window = "20s"
genesys-password-file = "`+pwFile+`"

[profile.wall]
read-only = true
board = ["front", "back"]
`)
	t.Setenv("RINGSIDE_LOG_LEVEL", "debug")
	t.Setenv("RINGSIDE_NATS", "nats://agent:pw-in-url@nats.example.com:4222")
	te := newTestEnv(map[string]string{"RINGSIDE_GRAPH_CLIENT_SECRET": "secret-in-env"})
	if code := run([]string{"config", "check", "--config", path, "--profile", "wall", "--max-calls", "500"}, te.env()); code != exitOK {
		t.Fatalf("exit %d: %s", code, te.stderr.String())
	}
	out := te.stdout.String()
	for _, want := range []string{
		"configuration file " + path,
		"profile wall (line 5)",
		"FLAG VALUE FROM",
		"provider graph file " + path + " (line 1)",
		"answer-window 20s file " + path + " (line 2)",
		"log-level debug env RINGSIDE_LOG_LEVEL",
		"max-calls 500 flag",
		"read-only true profile wall (line 6)",
		"board front,back profile wall (line 7)",
		"nats nats://agent:xxxxx@nats.example.com:4222 env RINGSIDE_NATS",
		"theme auto default",
		"json false default",
		"graph-client-id (none) default",
		"SECRET STATE FROM",
		"graph client secret set (not shown) env RINGSIDE_GRAPH_CLIENT_SECRET",
		"genesys password set (not shown) file " + pwFile + " (genesys-password-file)",
		"nats password not set",
	} {
		if !hasLine(out, want) {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}
	for _, secret := range []string{"secret-in-env", "pw-in-file", "pw-in-url"} {
		if strings.Contains(out, secret) {
			t.Errorf("config check shows a secret (%s):\n%s", secret, out)
		}
	}

	// Problems the console would meet: exit 2, each named.
	if err := os.Chmod(pwFile, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RINGSIDE_THEME", "neon")
	te = newTestEnv(map[string]string{"RINGSIDE_GRAPH_SKIP_AUTH": "1", "RINGSIDE_GENESYS_INSECURE_HTTP": "true"})
	if code := run([]string{"config", "check", "--config", path}, te.env()); code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", code, exitUsage, te.stderr.String())
	}
	for _, want := range []string{
		`ringside: config check: RINGSIDE_THEME="neon": "neon" is not one of auto, dark, light, mono`,
		"ringside: config check: genesys-password-file: " + pwFile + " is readable by group or others (mode 0644): run chmod 600 " + pwFile,
		"ringside: config check: RINGSIDE_GRAPH_SKIP_AUTH is set, but --graph-skip-auth is read from the command line only",
		"ringside: config check: RINGSIDE_GENESYS_INSECURE_HTTP is set, but --genesys-insecure-http is read from the command line only",
	} {
		if !strings.Contains(te.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, te.stderr.String())
		}
	}
}

// hasLine reports whether out has a line that reads want once runs of spaces
// are folded (columns widen as flags are added).
func hasLine(out, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(l), " ") == want {
			return true
		}
	}
	return false
}

// The file reaches the console: a profile that asks for OSC 777
// notifications makes the demo's first ringing call ring the bell and raise
// one, through the real program.
func TestConfigReachesTheConsoleAlerts(t *testing.T) {
	path := writeConfig(t, "demo-calls = 1\ndemo-rate = 0\ndemo-seed = 7\nanswer-window = \"1m\"\n\n[profile.desk]\nnotify = \"osc777\"\n")
	te := newTestEnv(nil)
	e := te.env()
	var out []byte
	e.runConsole = func(m tea.Model, opts ...tea.ProgramOption) error {
		opts = append(opts, tea.WithColorProfile(colorprofile.ASCII))
		tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30), teatest.WithProgramOptions(opts...))
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			out = append(out[:0], b...)
			return bytes.Contains(b, []byte("\a\x1b]777;notify;ringside: Call ringing;"))
		}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
		tm.Type("q")
		tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
		return nil
	}
	if code := run([]string{"--config", path, "--profile", "desk"}, e); code != exitOK {
		t.Fatalf("exit %d: %s", code, te.stderr.String())
	}
	if n := bytes.Count(out, []byte("\x1b]777;notify;")); n != 1 {
		t.Fatalf("%d notifications, want one: %q", n, out)
	}
}

// The README's example file parses, each of its profiles with it.
func TestReadmeConfigExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start := strings.Index(s, "## Config file")
	from := strings.Index(s[start:], "```toml\n")
	if start < 0 || from < 0 {
		t.Fatal("no TOML example under ## Config file")
	}
	body := s[start+from+len("```toml\n"):]
	body = body[:strings.Index(body, "```")]
	path := writeConfig(t, body)
	for _, profile := range []string{"sales", "agent", "supervisor"} {
		te := newTestEnv(nil)
		c, _, _, ok := parseArgs([]string{"--config", path, "--profile", profile}, te.env())
		if !ok {
			t.Fatalf("profile %s: %s", profile, te.stderr.String())
		}
		if want := map[string]string{"sales": "graph", "agent": "genesys", "supervisor": "nats"}[profile]; c.Provider != want {
			t.Errorf("profile %s: provider %s, want %s", profile, c.Provider, want)
		}
	}
}
