package main

import (
	"fmt"
	"net/url"
	"os"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kong"

	"ringside/providers/directory"
	"ringside/providers/genesys"
	"ringside/providers/graph"
	"ringside/providers/natsboard/natsconn"
	"ringside/providers/secretfile"
	"ringside/providers/textsafe"
)

// configCmd is `ringside config …`.
type configCmd struct {
	Check configCheckCmd `cmd:"" help:"Print the effective configuration, each value with where it comes from (flag, env, profile, file, default), secrets never shown; exit 2 on any problem."`
}

type configCheckCmd struct{}

// maxShown bounds a value as config check prints it.
const maxShown = 60

// secretsChecked are the secrets a provider reads, each from a file a flag
// names or else from a variable.
var secretsChecked = []struct{ what, fileFlag, env string }{
	{"graph client secret", "graph-client-secret-file", graph.SecretEnv},
	{"genesys password", "genesys-password-file", genesys.PasswordEnv},
	{"nats password", "nats-password-file", natsconn.PasswordEnv},
}

// commandLineOnly are the flags no variable may set (they turn a protection
// off), with the variable each would otherwise read.
var commandLineOnly = []struct{ flag, env string }{
	{"graph-skip-auth", graph.SkipAuthEnv},
	{"genesys-insecure-http", genesys.InsecureHTTPEnv},
}

// configCheck prints every flag's effective value and where it comes from,
// then the secrets' state (never their values). A file that cannot be used
// never gets here: parsing it failed already, with its lines. What is checked
// here is what parsing cannot see for a command it did not select: the
// environment's values, the secret files, the directory file.
func configCheck(e env, c *cli) int {
	src := c.ConfigFile.source
	var problems []string
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)

	file, profile := "none", "none"
	if src.path != "" {
		file = src.path
	} else if src.defaultPath != "" {
		file = "none (" + src.defaultPath + " does not exist)"
	}
	if src.profile != "" {
		profile = src.profile + " (line " + fmt.Sprint(src.file.profiles[src.profile]) + ")"
	}
	fmt.Fprintf(w, "configuration file\t%s\n", shown(file))
	fmt.Fprintf(w, "profile\t%s\n\n", shown(profile))

	fmt.Fprintf(w, "FLAG\tVALUE\tFROM\n")
	effective := map[string]string{}
	for _, f := range allFlags(src.model) {
		value, from, err := src.effective(f)
		if err != nil {
			problems = append(problems, err.Error())
		}
		effective[f.Name] = value
		if value == "" {
			value = "(none)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", f.Name, textsafe.Cut(shown(value), maxShown), shown(from))
	}

	fmt.Fprintf(w, "\nSECRET\tSTATE\tFROM\n")
	for _, s := range secretsChecked {
		state, from := "not set", ""
		switch path := effective[s.fileFlag]; {
		case path != "":
			from = "file " + path + " (" + s.fileFlag + ")"
			if _, err := secretfile.Read(path); err != nil {
				state = "cannot be read"
				problems = append(problems, s.fileFlag+": "+err.Error())
			} else {
				state = "set (not shown)"
			}
		case e.getenv(s.env) != "":
			state, from = "set (not shown)", "env "+s.env
		}
		if from != "" {
			state += "\t" + shown(from)
		}
		fmt.Fprintf(w, "%s\t%s\n", s.what, state)
	}
	w.Flush()

	for _, o := range commandLineOnly {
		if e.getenv(o.env) != "" {
			problems = append(problems, fmt.Sprintf("%s is set, but --%s is read from the command line only, and the provider refuses to start with it set; unset it", o.env, o.flag))
		}
	}
	if path := effective["directory"]; path != "" {
		if _, err := directory.Load(path); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(e.stderr, "ringside: config check: %s\n", p)
		}
		return exitUsage
	}
	return exitOK
}

// effective is a flag's value as the program would take it and where it
// comes from, by the precedence: command line, environment, profile, file,
// default. A value in the environment that the flag would refuse is an
// error (parsing checks it only for the command it runs).
func (s *configSource) effective(f *kong.Flag) (value, from string, err error) {
	if s.onCommand[f.Name] {
		return formatTarget(f.Target), "flag", nil
	}
	for _, name := range f.Envs {
		if v, ok := os.LookupEnv(name); ok {
			parsed, err := decodeValue(f, v)
			if err != nil {
				return v, "env " + name, fmt.Errorf("%s=%q: %v", name, textsafe.Cut(textsafe.Line(v), 40), err)
			}
			return formatTarget(parsed), "env " + name, nil
		}
	}
	if v, where := s.file.source(f.Name); where != "" {
		// Checked when the file was read, for one flag of the name at
		// least; this one may refuse it (a name two commands share).
		parsed, err := decodeValue(f, v.value)
		if err != nil {
			return formatValue(v.value), where, fmt.Errorf("%s:%d: %s: %v", s.path, v.line, f.Name, err)
		}
		return formatTarget(parsed), where, nil
	}
	if f.Default == "" && f.IsBool() {
		return "false", "default", nil
	}
	return f.Default, "default", nil
}

// allFlags is every flag the file may set, once each, in the order of
// --help: the program's, then each command's.
func allFlags(app *kong.Application) []*kong.Flag {
	var out []*kong.Flag
	seen := map[string]bool{}
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, f := range n.Flags {
			if !seen[f.Name] && !skipped[f.Name] && len(f.Envs) > 0 {
				seen[f.Name] = true
				out = append(out, f)
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(app.Node)
	return out
}

// formatTarget shows a parsed flag's value as the command line spells it.
func formatTarget(v reflect.Value) string {
	if d, ok := v.Interface().(time.Duration); ok {
		return d.String()
	}
	if v.Kind() == reflect.Slice {
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.Interface())
}

// shown is a value as config check prints it: one clean line (bounded by
// textsafe.Line), a password in a URL replaced (nats://user:xxxxx@host).
func shown(s string) string {
	s = textsafe.Line(s)
	if strings.Contains(s, "://") {
		parts := strings.Split(s, ",")
		for i, p := range parts {
			if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
				parts[i] = u.Redacted()
			}
		}
		s = strings.Join(parts, ",")
	}
	return s
}
